"""Harvest benchmark, and the store contract suite on each engine.

    python -m bench.harvest [N ...]        (default: 10000 100000)

Part 1. A peer on loopback serves a synthetic ecosystem's datasets (harness.generate) as a
Hydra-paged DCAT catalog in N-Triples, 1000 datasets a page. The harvesting node holds the
rest of that ecosystem (organisations, data spaces, policies the datasets reference) and
harvests the peer with validation on: descriptions/s and peak memory (RSS of a fresh process
per run). Then 1% of the datasets change at the peer and it harvests again: the time as a
fraction of the first. The baseline, measured in the same run: a bare pyoxigraph bulk load of
the same datasets.

Part 2. The store contract suite (harness/store_contract.py), each test timed on the embedded
store, on `oxigraph serve` and on Virtuoso (when installed), median of 3 runs.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from harness.generate import ID, generate

PAGE_SIZE = 1000
CHANGED_EVERY = 100  # 1%
DATASET_GRAPH = f"<{ID}dataset/"
CATALOG = "<https://peer.example.org/catalog>"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
DCAT = "http://www.w3.org/ns/dcat#"
HYDRA = "http://www.w3.org/ns/hydra/core#"


# -- the peer ------------------------------------------------------------------------------
def split_generated(path: Path) -> tuple[bytes, list[list[str]]]:
    """(N-Quads of everything but the datasets, N-Triples lines of each dataset)."""
    context: list[str] = []
    datasets: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            triple, graph = line.rstrip().removesuffix(" .").rsplit(" ", 1)
            if graph.startswith(DATASET_GRAPH):
                datasets.setdefault(graph, []).append(triple + " .\n")
            else:
                context.append(line)
    return "".join(context).encode(), list(datasets.values())


def revised(lines: list[str]) -> list[str]:
    """The dataset with a changed title (what 'changed at the peer' means here)."""
    return [line.replace('"Dataset ', '"Revised dataset ', 1)
            if "/terms/title>" in line else line for line in lines]


def build_pages(base: str, datasets: list[list[str]], changed: bool) -> dict[str, bytes]:
    pages: ClassVar[dict[str, bytes]] = {}
    count = -(-len(datasets) // PAGE_SIZE)
    for number in range(1, count + 1):
        url = f"{base}?page={number}"
        chunk = datasets[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
        out = [f"{CATALOG} {RDF_TYPE} <{DCAT}Catalog> .\n",
               f"{CATALOG} <{HYDRA}view> <{url}> .\n"]
        if number < count:
            out.append(f"<{url}> <{HYDRA}next> <{base}?page={number + 1}> .\n")
        for i, lines in enumerate(chunk):
            index = (number - 1) * PAGE_SIZE + i
            out.append(f"{CATALOG} <{DCAT}dataset> {lines[0].split(' ', 1)[0]} .\n")
            out.extend(revised(lines) if changed and index % CHANGED_EVERY == 0 else lines)
        pages[url] = "".join(out).encode()
    return pages


class _Pages(BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        page = parse_qs(parts.query).get("page", ["1"])[0]
        body = self.pages.get(f"http://{self.headers['Host']}{parts.path}?page={page}")
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/n-triples")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def serve_pages(pages_for: Callable[[str], dict[str, bytes]]) -> tuple[str, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _Pages.pages = pages_for(base)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return base, server


# -- measured in fresh processes -----------------------------------------------------------
def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _bare_load(nquads_path: str, result: Any) -> None:
    import pyoxigraph as ox

    data = Path(nquads_path).read_bytes()
    started = time.perf_counter()
    store = ox.Store()
    store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
    result.put({"seconds": time.perf_counter() - started, "peak_mb": _peak_mb()})


def _harvest_runs(context: bytes, base: str, result: Any) -> None:
    from kg.federation.harvest import harvest_peer
    from kg.federation.peers import peer_from_table
    from kg.settings import Settings
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore()
    store.import_quads(context, "nquads")
    settings = Settings(store="memory", base_iri="https://node.example.org/",
                        load_default_graph=False)
    runs = {}
    for label, path in (("first", "/v1/catalog"), ("changed", "/v2/catalog"),
                        ("unchanged", "/v2/catalog")):
        peer = peer_from_table({"name": "peer", "catalog": base + path, "timeout": 600}, 0)
        started = time.perf_counter()
        report = harvest_peer(store, settings, peer)
        if report.error:
            raise RuntimeError(report.error)
        runs[label] = {"seconds": time.perf_counter() - started, "added": report.added,
                       "updated": report.updated, "rejected": len(report.rejected)}
    result.put({"runs": runs, "peak_mb": _peak_mb()})


def in_fresh_process(target: Callable[..., None], *args: Any) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    answer = queue.get()
    process.join()
    return answer


@dataclass
class HarvestFigures:
    datasets: int
    first_s: float
    per_s: float
    peak_mb: float
    rejected: int
    bare_s: float
    bare_peak_mb: float
    changed_s: float
    updated: int
    unchanged_s: float


def bench_harvest(n_datasets: int, workdir: Path) -> HarvestFigures:
    generated = generate(n_datasets, 42, workdir / f"synthetic-{n_datasets}.nq")
    context, datasets = split_generated(generated)
    bare_path = workdir / f"datasets-{n_datasets}.nq"
    bare_path.write_text("".join(line.removesuffix(" .\n") + f" <{ID}g> .\n"
                                 for lines in datasets for line in lines), encoding="utf-8")

    def pages_for(base: str) -> dict[str, bytes]:
        return {**build_pages(f"{base}/v1/catalog", datasets, changed=False),
                **build_pages(f"{base}/v2/catalog", datasets, changed=True)}

    base, server = serve_pages(pages_for)
    try:
        bare = in_fresh_process(_bare_load, str(bare_path))
        measured = in_fresh_process(_harvest_runs, context, base)
    finally:
        server.shutdown()
    runs = measured["runs"]
    first = runs["first"]
    return HarvestFigures(
        datasets=n_datasets, first_s=first["seconds"], per_s=first["added"] / first["seconds"],
        peak_mb=measured["peak_mb"], rejected=first["rejected"], bare_s=bare["seconds"],
        bare_peak_mb=bare["peak_mb"], changed_s=runs["changed"]["seconds"],
        updated=runs["changed"]["updated"], unchanged_s=runs["unchanged"]["seconds"])


# -- the store contract on each engine -----------------------------------------------------
def contract_timings(repeats: int = 3) -> tuple[list[str], dict[str, dict[str, float]]]:
    from harness.servers import oxigraph_server
    from harness.store_contract import StoreContract
    from kg.store.embedded import EmbeddedStore
    from kg.store.remote import RemoteStore

    names = sorted(n for n in dir(StoreContract) if n.startswith("test_"))
    logging.getLogger("rdflib.term").setLevel(logging.ERROR)  # the atomicity test's bad IRI
    engines: dict[str, Callable[[ExitStack], Callable[[], Any]]] = {
        "embedded": lambda _stack: EmbeddedStore}
    if shutil.which("oxigraph"):
        def oxigraph(stack: ExitStack) -> Callable[[], Any]:
            url = stack.enter_context(oxigraph_server(Path(stack.enter_context(
                _tempdir()))))
            return lambda: RemoteStore(f"{url}/query", f"{url}/update", f"{url}/store")
        engines["oxigraph serve"] = oxigraph
    if shutil.which("virtuoso-t"):
        from harness.servers import VIRTUOSO_USER, virtuoso_server
        from kg.store.remote import EngineCredentials

        def virtuoso(stack: ExitStack) -> Callable[[], Any]:
            server = stack.enter_context(virtuoso_server(Path(stack.enter_context(
                _tempdir())), "bench-secret"))
            return lambda: RemoteStore(server.sparql_auth, gsp_url=server.gsp_auth,
                                       credentials=EngineCredentials(VIRTUOSO_USER,
                                                                     "bench-secret"))
        engines["Virtuoso"] = virtuoso
    timings: dict[str, dict[str, float]] = {}
    for engine, start in engines.items():
        with ExitStack() as stack:
            make = start(stack)
            suite = StoreContract()
            timings[engine] = {}
            for name in names:
                samples = []
                for _ in range(repeats):
                    store = make()
                    store.clear()
                    started = time.perf_counter()
                    getattr(suite, name)(store)
                    samples.append((time.perf_counter() - started) * 1000)
                    store.clear()
                    store.close()
                timings[engine][name] = statistics.median(samples)
    return names, timings


def _tempdir() -> AbstractContextManager[str]:
    return tempfile.TemporaryDirectory(prefix="dskg-bench-")


# -- output --------------------------------------------------------------------------------
def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + " |"
            for r in rows]
    return "\n".join([line, rule, *body])


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="dskg-bench-harvest-") as work:
        figures = [bench_harvest(n, Path(work)) for n in sizes]
    print("Harvest of a Hydra-paged DCAT catalog (N-Triples, 1000 datasets a page), validated")
    print(_table(
        ["datasets", "harvest s", "descr/s", "peak MB", "rejected", "bare load s",
         "bare peak MB", "harvest/bare", "1% changed s", "updated", "fraction of first",
         "unchanged s"],
        [[str(f.datasets), f"{f.first_s:.1f}", f"{f.per_s:.0f}", f"{f.peak_mb:.0f}",
          str(f.rejected), f"{f.bare_s:.2f}", f"{f.bare_peak_mb:.0f}",
          f"{f.first_s / f.bare_s:.0f}x", f"{f.changed_s:.1f}", str(f.updated),
          f"{f.changed_s / f.first_s:.2f}", f"{f.unchanged_s:.1f}"] for f in figures]))
    print()
    names, timings = contract_timings()
    engines = list(timings)
    print("Store contract suite, median ms per test (ratio to embedded)")
    rows = [[name.removeprefix("test_")] + [
        f"{timings[e][name]:.1f}" + ("" if e == "embedded" else
                                     f" ({timings[e][name] / timings['embedded'][name]:.0f}x)")
        for e in engines] for name in names]
    totals = {e: sum(timings[e].values()) for e in engines}
    rows.append(["total"] + [f"{totals[e]:.1f}" + ("" if e == "embedded" else
                                                   f" ({totals[e] / totals['embedded']:.0f}x)")
                             for e in engines])
    print(_table(["test", *engines], rows))


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [10_000, 100_000])
