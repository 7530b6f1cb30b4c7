"""`/sparql` against the engine it wraps: `oxigraph serve-read-only` on the same data.

    python -m bench.sparql            # 10k synthetic datasets
    python -m bench.sparql 20000 50   # datasets, GETs per query and server

The synthetic ecosystem (``harness.generate``) is bulk-loaded into an on-disk store, copied
once (two processes must not open one store where one may write), and served by
``oxigraph serve-read-only --union-default-graph`` (the baseline, pip package ``oxigraph``)
and by ``dskg serve``. One httpx client on loopback sends the same GETs to both, taking
turns, so load on the machine hits both alike: a 1-row SELECT, a 3-hop SELECT of 100 rows,
a SELECT of 5,000 rows (SPARQL JSON) and a CONSTRUCT of 5,000 triples (Turtle). Printed:
median latency of each and the ratio dskg/oxigraph (goal: at most 1.3), and the CPU time
each server spent per request (read from /proc, so the machine's other load does not count).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.common import median_ms, print_table
from harness.generate import ID, generate
from harness.node import start_server
from harness.servers import free_port

PREFIXES = """PREFIX dct: <http://purl.org/dc/terms/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX dskg: <https://w3id.org/dskg#>
"""
JSON = "application/sparql-results+json"
QUERIES = [
    ("SELECT, 1 row", JSON,
     PREFIXES + f"SELECT ?title WHERE {{ <{ID}dataset/7> dct:title ?title }}", 1),
    ("SELECT 3 hops, 100 rows", JSON,
     PREFIXES + """SELECT ?dataset ?space ?authority WHERE {
  ?dataset dct:publisher ?publisher .
  ?membership org:member ?publisher ; org:organization ?space .
  ?space dskg:governedBy ?authority .
} LIMIT 100""", 100),
    ("SELECT, 5,000 rows", JSON,
     PREFIXES + "SELECT ?dataset ?title WHERE { ?dataset a dcat:Dataset ; dct:title ?title }"
     " LIMIT 5000", 5000),
    ("CONSTRUCT, 5,000 triples (Turtle)", "text/turtle",
     PREFIXES + "CONSTRUCT { ?dataset dct:title ?title } WHERE { ?dataset a dcat:Dataset ; "
     "dct:title ?title } LIMIT 5000", 5000),
]


def prepare(size: int) -> tuple[Path, Path]:
    """Two identical on-disk stores of the synthetic ecosystem (kept in /tmp)."""
    from kg.store.embedded import EmbeddedStore

    root = Path(f"/tmp/dskg-bench-sparql-{size}")
    ours, engines = root / "dskg", root / "oxigraph"
    if not (root / "done").exists():
        shutil.rmtree(root, ignore_errors=True)
        store = EmbeddedStore(ours)
        store.bulk_import(generate(size).read_bytes(), "nquads")
        store.close()
        shutil.copytree(ours, engines)
        (root / "done").touch()
    return ours, engines


def start_oxigraph(location: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    process = subprocess.Popen([binary, "serve-read-only", "--location", str(location),
                                "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/query", params={"query": "ASK {}"}, timeout=2)
            return process, f"{base}/query"
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("oxigraph serve-read-only did not start")


def answer_size(body: bytes, media: str) -> int:
    if media == JSON:
        import json

        return len(json.loads(body)["results"]["bindings"])
    import rdflib

    return len(rdflib.Graph().parse(data=body, format="turtle"))


def cpu_seconds(pid: int) -> float:
    """CPU time of a process, its ended children and its live descendants (query workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        own, parent = int(stat.parent.name), int(fields[1])
        if own == pid:
            total += sum(int(f) for f in fields[11:15]) / ticks
        elif parent == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def measure(endpoints: dict[str, str], pids: dict[str, int], runs: int
            ) -> list[list[object]]:
    rows: list[list[object]] = []
    with httpx.Client(timeout=60) as client:
        for label, media, query, expected in QUERIES:
            samples: dict[str, list[float]] = {name: [] for name in endpoints}
            for name, url in endpoints.items():  # warm-up, and the answers agree
                response = client.get(url, params={"query": query}, headers={"Accept": media})
                response.raise_for_status()
                got = answer_size(response.content, media)
                assert got == expected, f"{name}: {label} gave {got}, not {expected}"
            cpu = {name: 0.0 for name in endpoints}
            for _ in range(runs):
                for name, url in endpoints.items():
                    before = cpu_seconds(pids[name])
                    started = time.perf_counter()
                    response = client.get(url, params={"query": query},
                                          headers={"Accept": media})
                    samples[name].append(time.perf_counter() - started)
                    cpu[name] += cpu_seconds(pids[name]) - before
                    assert response.status_code == 200
            engine, ours = median_ms(samples["oxigraph"]), median_ms(samples["dskg"])
            cpu_engine, cpu_ours = (cpu[n] / runs * 1000 for n in ("oxigraph", "dskg"))
            rows.append([label, engine, ours, round(ours / engine, 2), cpu_engine, cpu_ours,
                         round(cpu_ours / cpu_engine, 2) if cpu_engine else "-"])
    return rows


def main(argv: list[str]) -> None:
    size = int(argv[0]) if argv else 10_000
    runs = int(argv[1]) if len(argv) > 1 else 30
    ours, engines = prepare(size)
    engine, engine_url = start_oxigraph(engines)
    log = ours.parent / "dskg.log"
    server = start_server(ours, log, DSKG_TEXT_INDEX="false",
                          DSKG_RESULT_LIMIT="100000")
    try:
        rows = measure({"oxigraph": engine_url, "dskg": f"{server.base}/sparql"},
                       {"oxigraph": engine.pid, "dskg": server.process.pid}, runs)
    finally:
        server.kill()
        engine.kill()
        engine.wait()
    load = os.getloadavg()[0]
    print(f"/sparql vs oxigraph serve-read-only, {size:,} datasets, median of {runs} GETs "
          f"each (load average {load:.2f})")
    print_table(["query", "oxigraph ms", "dskg ms", "ratio", "oxigraph CPU ms",
                 "dskg CPU ms", "CPU ratio"], rows)
    print("CPU ms: server CPU time per request (with its query workers), in clock ticks "
          "of 10 ms: a mean over the runs, independent of the machine's load")


if __name__ == "__main__":
    main(sys.argv[1:])
