"""`GET /catalog` (DCAT-AP 3) against the engine's own CONSTRUCT of the same records.

    python -m bench.catalog            # 10k synthetic datasets
    python -m bench.catalog 1000 3     # datasets, runs per measurement (median)

The synthetic ecosystem (``harness.generate``) is bulk-loaded into an on-disk store and
copied (bench.sparql's ``prepare``); ``dskg serve`` and ``oxigraph serve-read-only
--union-default-graph`` (the baseline) serve the copies on 127.0.0.1. For each format
(Turtle, N-Triples, RDF/XML, JSON-LD) an httpx client streams the whole catalog
(``/catalog?all=true``) and the baseline's answer to the CONSTRUCT the node runs for the
records (the same VALUES of (graph, dataset) and path: about 97% of the catalog's triples,
the rest being the catalog node, agents, inherited policies and terms), taking turns so load
on the machine hits both alike. Printed: time to the first byte and in all (medians), the
ratios node/baseline, triples in each answer (after one warm-up request each). Then the
Hydra walk a harvester makes (pages of 1000, Turtle) and the default first page.
"""

from __future__ import annotations

import os
import re
import sys
import time

import httpx

from bench.common import print_table
from bench.sparql import prepare, start_oxigraph
from harness.node import BASE_IRI, start_server

FORMATS = ["text/turtle", "application/n-triples", "application/rdf+xml",
           "application/ld+json"]


def fetch(client: httpx.Client, method: str, url: str, media: str,
          body: str | None = None) -> tuple[float, float, bytes]:
    """(seconds to the first byte of the body, seconds in all, the body)."""
    started = time.perf_counter()
    first: float | None = None
    parts = []
    kwargs = {"content": body, "headers": {"Accept": media,
                                           "Content-Type": "application/sparql-query"}} \
        if body is not None else {"headers": {"Accept": media}}
    with client.stream(method, url, **kwargs) as response:  # type: ignore[arg-type]
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.read()[:300]!r}")
        for chunk in response.iter_bytes():
            if first is None and chunk:
                first = time.perf_counter() - started
            parts.append(chunk)
    return first or 0.0, time.perf_counter() - started, b"".join(parts)


def baseline_queries(client: httpx.Client, engine_url: str) -> tuple[str, str]:
    """The records CONSTRUCT the node runs for the whole catalog (made by its own module
    from the same (graph, dataset) starts, read from the engine), and the plainest
    CONSTRUCT of the same triples here: the datasets' whole description graphs."""
    from rdflib import URIRef

    from kg.namespaces import DCAT, META_GRAPH
    from kg.services.catalog import records_query, split_records

    answer = client.post(engine_url, content=(
        f"SELECT ?d ?g WHERE {{ GRAPH ?g {{ ?d a <{DCAT.Dataset}> }} "
        f"FILTER(?g != <{META_GRAPH}>) }}"), headers={
        "Content-Type": "application/sparql-query",
        "Accept": "application/sparql-results+json"}).json()["results"]["bindings"]
    rows = [(URIRef(b["d"]["value"]), URIRef(b["g"]["value"])) for b in answer]
    holder: dict[URIRef, URIRef] = {}
    for d, g in sorted(rows, key=lambda r: (r[0] != r[1], str(r[1]))):
        holder.setdefault(d, g)
    walked, by_hand = split_records(holder, {(g, d) for d, g in rows})
    if by_hand:
        print(f"note: {len(by_hand)} description graphs are walked in Python by the node")
    graphs = " ".join(f"<{g}>" for g in sorted({g for g, _d in walked}))
    whole = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?g {{ {graphs} }} GRAPH ?g {{ ?s ?p ?o }} }}"
    return records_query(walked), whole


def triples(body: bytes, media: str) -> int | str:
    """Distinct triples in an answer (read with pyoxigraph: rdflib takes minutes here)."""
    import pyoxigraph as ox

    try:
        return len({(q.subject, q.predicate, q.object) for q in ox.parse(
            body, format=ox.RdfFormat.from_media_type(media))})
    except (SyntaxError, ValueError) as exc:
        return f"unread: {str(exc)[:40]}"


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def walk(client: httpx.Client, url: str) -> tuple[float, float, int]:
    """A harvester's walk of the Hydra pages: first byte, total, pages."""
    started = time.perf_counter()
    first: float | None = None
    pages = 0
    next_url: str | None = url
    while next_url:
        ttfb, _total, body = fetch(client, "GET", next_url, "text/turtle")
        first = first if first is not None else ttfb
        pages += 1
        found = re.search(rb"hydra:next\s+<([^>]+)>", body)
        next_url = found.group(1).decode().replace(BASE_IRI.rstrip("/"), url.split(
            "/catalog")[0]) if found else None
    return first or 0.0, time.perf_counter() - started, pages


def main(argv: list[str]) -> None:
    size = int(argv[0]) if argv else 10_000
    runs = int(argv[1]) if len(argv) > 1 else 3
    ours, engines = prepare(size)
    engine, engine_url = start_oxigraph(engines)
    server = start_server(ours, ours.parent / "dskg-catalog.log", DSKG_TEXT_INDEX="false",
                          DSKG_QUERY_TIMEOUT="600")
    rows: list[list[object]] = []
    try:
        with httpx.Client(timeout=900) as client:
            whole = f"{server.base}/catalog?all=true"
            path_query, graphs_query = baseline_queries(client, engine_url)
            # Warm-up (caches of both servers and of the machine), not measured.
            fetch(client, "GET", whole, "application/n-triples")
            fetch(client, "POST", engine_url, "application/n-triples", path_query)
            for media in FORMATS:
                samples: dict[str, list[tuple[float, float]]] = {
                    "path": [], "graphs": [], "ours": []}
                bodies: dict[str, bytes] = {}
                for _ in range(runs):
                    for name, method, url, query in (
                            ("path", "POST", engine_url, path_query),
                            ("graphs", "POST", engine_url, graphs_query),
                            ("ours", "GET", whole, None)):
                        first, total, bodies[name] = fetch(client, method, url, media, query)
                        samples[name].append((first, total))
                firsts = {n: median([s[0] for s in v]) for n, v in samples.items()}
                totals = {n: median([s[1] for s in v]) for n, v in samples.items()}
                rows.append([media, totals["graphs"], firsts["path"], totals["path"],
                             firsts["ours"], totals["ours"],
                             round(totals["ours"] / totals["path"], 2),
                             round(totals["ours"] / totals["graphs"], 2),
                             triples(bodies["path"], media), triples(bodies["ours"], media),
                             round(len(bodies["ours"]) / 1e6, 1)])
                print(f"{media}: engine {firsts['path']:.2f}/{totals['path']:.2f} s, "
                      f"/catalog {firsts['ours']:.2f}/{totals['ours']:.2f} s", flush=True)
            hydra = walk(client, f"{server.base}/catalog?page=1&pageSize=1000")
            first_page = fetch(client, "GET", f"{server.base}/catalog", "text/turtle")
    finally:
        server.kill()
        engine.kill()
        engine.wait()
    load = os.getloadavg()[0]
    print(f"\nGET /catalog?all=true vs oxigraph serve-read-only, {size:,} datasets, "
          f"median of {runs} (load average {load:.2f})")
    print_table(["format", "graphs total s", "engine first byte s", "engine total s",
                 "/catalog first byte s", "/catalog total s", "x engine", "x graphs",
                 "engine triples", "/catalog triples", "/catalog MB"], rows)
    print("engine: oxigraph answering the node's records CONSTRUCT (the same path from each "
          "dataset); graphs: the datasets' whole description graphs (the same triples on "
          "synthetic data, no path); x: /catalog total over theirs")
    print(f"\nHydra walk, pages of 1000 (Turtle): first byte {hydra[0]:.2f} s, total "
          f"{hydra[1]:.2f} s, {hydra[2]} pages")
    print(f"GET /catalog (first page of 100, Turtle): first byte {first_page[0]:.2f} s, "
          f"total {first_page[1]:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
