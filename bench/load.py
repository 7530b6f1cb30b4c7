"""Validated load vs a bare Oxigraph bulk load, and 3-hop query latency via /sparql vs store.

The third row per size loads the same file with one dataset's title removed: the time until
the load is rejected and everything it wrote is undone (the store is checked to be empty).
A second table loads the same ecosystem as a portal exports it, one Turtle file with every
description in the default graph: `dskg load` splits it (kg.split) and takes the bulk path;
the baseline is a bare Oxigraph bulk load of that file.

    python -m bench.load                 # 1k and 10k datasets
    python -m bench.load 10000 100000    # the sizes you name
    python -m bench.load 100000 dump     # only the single-file dump rows (or: nquads)

Each load runs in its own process (clean peak memory); the ratio is the figure.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.common import median_ms, p95_ms, peak_rss_mib, print_table, run_child
from harness.generate import generate, generate_turtle

THREE_HOPS = """
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX dskg: <https://w3id.org/dskg#>
SELECT ?dataset ?space ?authority WHERE {
  VALUES ?dataset { <https://w3id.org/dskg/synthetic/id/dataset/7> }
  ?dataset dct:publisher ?publisher .
  ?membership org:member ?publisher ; org:organization ?space .
  ?space dskg:governedBy ?authority .
}"""


def child_bare(path: str) -> dict:
    import pyoxigraph as ox

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        store = ox.Store(folder)
        store.bulk_load(path=path, format=ox.RdfFormat.N_QUADS)
        store.flush()
        seconds = time.perf_counter() - started
        triples = len(store)
        del store
    return {"seconds": seconds, "triples": triples, "rss": peak_rss_mib()}


def child_bare_dump(path: str) -> dict:
    """The engine's own loader on the single-file Turtle dump (into its default graph)."""
    import pyoxigraph as ox

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        store = ox.Store(folder)
        store.bulk_load(path=path, format=ox.RdfFormat.TURTLE)
        store.flush()
        seconds = time.perf_counter() - started
        triples = len(store)
        del store
    return {"seconds": seconds, "triples": triples, "rss": peak_rss_mib()}


def child_dump(path: str) -> dict:
    """As `dskg load` takes a single-file catalog dump (``kg.split.load_dump``): split into
    descriptions, validated (into an empty store: the file's triples checked in a second
    process meanwhile), committed through the bulk path (the process holds the store alone).
    """
    from kg.split import load_dump
    from kg.store.embedded import EmbeddedStore
    from kg.write import Origin

    base = "http://127.0.0.1:8000/"
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        store = EmbeddedStore(folder)
        done = load_dump(store, Path(path).read_bytes(), "turtle", base_iri=base,
                         origin=Origin(agent="bench"), exclusive=True)
        assert done is not None, "the dump was not recognised as a catalog"
        store.close()
        seconds = time.perf_counter() - started
    assert done.result.created and not done.result.replaced
    return {"seconds": seconds, "triples": done.result.triples, "rss": peak_rss_mib(),
            "descriptions": len(done.result.created), "child_rss": peak_rss_mib(children=True)}


def child_validated(path: str) -> dict:
    from kg.store.embedded import EmbeddedStore
    from kg.write import Origin, write_bytes

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        store = EmbeddedStore(folder)
        # As `dskg load` calls it: the process holds the store alone.
        result = write_bytes(store, Path(path).read_bytes(), "nquads",
                             base_iri="http://127.0.0.1:8000/", origin=Origin(agent="bench"),
                             exclusive=True)
        store.close()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "triples": result.triples, "rss": peak_rss_mib()}


def child_rejected(path: str) -> dict:
    """The same file with one dataset's title removed: rejected, and the store left empty."""
    from kg.errors import ValidationFailed
    from kg.store.embedded import EmbeddedStore
    from kg.write import Origin, write_bytes

    lines = Path(path).read_bytes().splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines)
               if b"/dataset/3> <http://purl.org/dc/terms/title>" in line)
    data = b"".join(lines[:cut] + lines[cut + 1:])
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        store = EmbeddedStore(folder)
        try:
            write_bytes(store, data, "nquads", base_iri="http://127.0.0.1:8000/",
                        origin=Origin(agent="bench"), exclusive=True)
            raise AssertionError("the load with a missing title was not rejected")
        except ValidationFailed:
            pass
        seconds = time.perf_counter() - started
        left = store.triple_count() + len(store.graph_names())
        store.close()
    assert left == 0, f"the rejected load left {left} quads and graphs"
    return {"seconds": seconds, "triples": 0, "rss": peak_rss_mib()}


def query_latency(path: Path, runs: int = 200) -> tuple[list[float], list[float]]:
    """The same 3-hop query on the bare store and through /sparql (same store, same run)."""
    import httpx

    from api.app import create_app
    from harness.servers import serve_app
    from kg.settings import Settings
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore()
    store.import_quads(path.read_bytes(), "nquads")
    direct = []
    for _ in range(runs):
        started = time.perf_counter()
        rows = store.query(THREE_HOPS).rows
        direct.append(time.perf_counter() - started)
    assert rows, "the 3-hop query found nothing"
    settings = Settings(store="memory", load_default_graph=False)
    via_http = []
    with serve_app(create_app(settings, store)) as base, httpx.Client() as client:
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(f"{base}/sparql", params={"query": THREE_HOPS},
                                  headers={"Accept": "application/sparql-results+json"})
            via_http.append(time.perf_counter() - started)
            assert response.status_code == 200 and response.json()["results"]["bindings"]
    return direct, via_http


def dump_row(size: int) -> list[list]:
    """The single-file DCAT dump rows: bare bulk load of the Turtle file, then dskg load."""
    path = generate_turtle(size)
    before = os.getloadavg()[0]
    bare = run_child("bench.load", "--child", "bare-dump", str(path))
    between = os.getloadavg()[0]
    ours = run_child("bench.load", "--child", "dump", str(path))
    after = os.getloadavg()[0]
    # The floor: the same descriptions as per-description N-Quads (what the split makes,
    # before provenance records), loaded bare into named graphs.
    quads = run_child("bench.load", "--child", "bare", str(generate(size)))
    last = os.getloadavg()[0]
    return [[f"{size:,}", "bare pyoxigraph bulk_load (Turtle)", "-", bare["triples"],
             bare["seconds"], bare["rss"], "-", 1.0, f"{before:.1f} -> {between:.1f}"],
            [f"{size:,}", "dskg load (split, validated)", ours["descriptions"],
             ours["triples"], ours["seconds"], ours["rss"], ours["child_rss"],
             ours["seconds"] / bare["seconds"], f"{between:.1f} -> {after:.1f}"],
            [f"{size:,}", "bare bulk_load of the split as N-Quads", ours["descriptions"],
             quads["triples"], quads["seconds"], quads["rss"], "-",
             quads["seconds"] / bare["seconds"], f"{after:.1f} -> {last:.1f}"]]


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--child":
        mode, path = argv[1], argv[2]
        child = {"bare": child_bare, "validated": child_validated,
                 "rejected": child_rejected, "bare-dump": child_bare_dump,
                 "dump": child_dump}[mode]
        print(json.dumps(child(path)))
        return
    sizes = [int(a) for a in argv if a.isdigit()] or [1000, 10000]
    kinds = [a for a in argv if not a.isdigit()] or ["nquads", "dump"]
    unknown = set(kinds) - {"nquads", "dump"}
    if unknown:
        raise SystemExit(f"unknown row kind(s) {sorted(unknown)}: name nquads and/or dump")
    rows: list[list] = []
    dump_rows: list[list] = []
    for size in sizes:
        if "dump" in kinds:
            dump_rows.extend(dump_row(size))
        if "nquads" not in kinds:
            continue
        path = generate(size)
        bare = run_child("bench.load", "--child", "bare", str(path))
        validated = run_child("bench.load", "--child", "validated", str(path))
        rows.append([f"{size:,}", "bare pyoxigraph bulk_load", bare["triples"], bare["seconds"],
                     int(bare["triples"] / bare["seconds"]), bare["rss"], 1.0])
        rows.append([f"{size:,}", "dskg load (validated)", validated["triples"],
                     validated["seconds"], int(validated["triples"] / validated["seconds"]),
                     validated["rss"], validated["seconds"] / bare["seconds"]])
        rejected = run_child("bench.load", "--child", "rejected", str(path))
        rows.append([f"{size:,}", "dskg load, one title missing: rejected, undone", "-",
                     rejected["seconds"], "-", rejected["rss"],
                     rejected["seconds"] / bare["seconds"]])
    if rows:
        print("Load: validated write path vs bare Oxigraph bulk load of the same N-Quads file")
        print_table(["datasets", "loader", "triples", "seconds", "triples/s", "peak MiB",
                     "x bare"], rows)
        print()
    if not dump_rows:
        _query_table(sizes[-1])
        return
    print("Single-file DCAT dump (the same ecosystem as one Turtle file, default graph): "
          "dskg load splits it into descriptions; baseline: a bare Oxigraph bulk load of the "
          "same file")
    print_table(["datasets", "loader", "descriptions", "triples", "seconds", "peak MiB",
                 "check process peak MiB", "x bare", "load avg (1 min)"], dump_rows)
    print()
    if "nquads" in kinds:
        _query_table(sizes[-1])


def _query_table(size: int) -> None:
    direct, via_http = query_latency(generate(size))
    print(f"3-hop SPARQL query at {size:,} datasets ({len(direct)} runs each)")
    print_table(["path", "median ms", "p95 ms", "x store"], [
        ["bare store query", median_ms(direct), p95_ms(direct), 1.0],
        ["GET /sparql over loopback", median_ms(via_http), p95_ms(via_http),
         median_ms(via_http) / median_ms(direct)],
    ])


if __name__ == "__main__":
    main(sys.argv[1:])
