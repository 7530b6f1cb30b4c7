"""Web page render times at scale: ``python -m bench.web [N_DATASETS] [--runs R]``.

Loads a synthetic ecosystem (``harness.generate``, default 100,000 datasets) into the embedded
store, then requests every kind of page as a browser would (in process, through the whole
ASGI app: routing, service calls, templates) and prints the median and p95 per page. The
baseline, measured in the same run, is the service-layer call the page is built on, without
rendering (the REST answer's data): the ratio is what the page adds. The home page's picture
is cached until a write; its cold computation is measured separately.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from rdflib import URIRef

from bench.common import median_ms, p95_ms, print_table
from harness.generate import ID, generate
from kg import services
from kg.services import KINDS, ServiceContext
from kg.services.listing import Filters
from kg.services.textindex import text_index_for
from kg.settings import Settings
from kg.store.embedded import EmbeddedStore
from kg.web.browse import choices
from kg.web.home import home_picture

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
TARGET_MS = 200.0
VALID = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://example.org/d/1> a dcat:Dataset ; dct:title "Soil"@en ; dct:description "Soil."@en ;
  dct:publisher <https://w3id.org/dskg/synthetic/id/organisation/1> ."""


def load(n: int) -> tuple[EmbeddedStore, float]:
    path = generate(n, seed=42)
    store = EmbeddedStore()
    started = time.perf_counter()
    store.import_quads(path.read_bytes(), "nquads")
    return store, time.perf_counter() - started


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    fn()  # warm: first call compiles templates, fills the OS cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="?", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from api.app import create_app

    store, seconds = load(args.datasets)
    print(f"loaded {args.datasets:,} datasets ({store.triple_count():,} quads) in "
          f"{seconds:.1f} s")
    settings = Settings(store="memory", base_iri="http://127.0.0.1:8000/",
                        load_default_graph=False)
    ctx = ServiceContext(store, settings)
    started = time.perf_counter()
    client = TestClient(create_app(settings, store))  # starts building the text index
    index = text_index_for(store, settings)
    while index is not None and not index.ready():
        time.sleep(0.05)
    print(f"text index built in the background in {time.perf_counter() - started:.1f} s "
          "(searches meanwhile scan the text)")
    for what, compute in (("home picture", home_picture), ("form choices", choices)):
        started = time.perf_counter()
        compute(ctx)
        print(f"{what}, cold (recomputed after a write): "
              f"{(time.perf_counter() - started) * 1000:.0f} ms")

    def rest_id(kind: str, path: str) -> str:
        return ctx.ids.to_id(URIRef(ID + path), KINDS[kind])

    space, org = rest_id("dataspaces", "dataspace/0"), rest_id("organisations", "organisation/0")
    dataset, offer = rest_id("datasets", "dataset/7"), rest_id("policies", "policy/offer7")
    kinds = {name: KINDS[name] for name in ("datasets", "dataspaces", "organisations",
                                             "policies")}

    def resource(kind: str, rid: str) -> Callable[[], Any]:
        def run() -> Any:
            document = services.get_resource(ctx, kinds[kind], rid)
            return services.resource_view(ctx, document, kinds[kind])
        return run

    def listing(kind: str, **filters: str) -> Callable[[], Any]:
        return lambda: services.list_resources(ctx, kinds[kind], Filters(**filters), limit=50)

    pages: list[tuple[str, str, Callable[[], Any] | None]] = [
        ("home (cached picture)", "/", None),
        ("datasets list, theme filter", "/datasets?theme=AGRI", listing("datasets",
                                                                         theme="AGRI")),
        ("datasets list, page 100", "/datasets?offset=5000", None),
        ("data spaces list", "/dataspaces", listing("dataspaces")),
        ("search, a common word", "/ui/search?q=" + quote("dataset 4"), None),
        ("search, a word found nowhere", "/ui/search?q=" + quote("zebra"), None),
        ("search, a word found everywhere", "/ui/search?q=" + quote("data"), None),
        ("datasets list, text filter", "/datasets?q=" + quote("dataset 4"),
         listing("datasets", q="dataset 4")),
        ("dataset page", f"/datasets/{dataset}", resource("datasets", dataset)),
        ("data space page", f"/dataspaces/{space}", resource("dataspaces", space)),
        ("organisation page", f"/organisations/{org}", resource("organisations", org)),
        ("policy page (offer)", f"/policies/{offer}", resource("policies", offer)),
        ("SPARQL page + example", "/ui/sparql?example=3&query=" + quote(
            "PREFIX dskg: <https://w3id.org/dskg#> SELECT ?tier (COUNT(?s) AS ?n) "
            "WHERE { ?s a dskg:DataSpace ; dskg:tier ?tier } GROUP BY ?tier"), None),
        ("may I? (decision)", "/ui/may-i?" + "&".join([
            f"assignee={quote(ID + 'organisation/1', safe='')}", "action=use",
            f"target={quote(ID + 'dataset/7', safe='')}",
            f"purpose={quote('https://w3id.org/dskg/id/concept/research', safe='')}"]), None),
        ("validate page (form)", "/ui/validate", None),
        ("edit form (dataset)", f"/ui/edit/datasets/{dataset}", None),
    ]
    rows = []
    for name, url, baseline in pages:
        started = time.perf_counter()
        response = client.get(url, headers=HTML)
        if response.status_code != 200:  # reported, not hidden: the table says which failed
            rows.append([name, (time.perf_counter() - started) * 1000, "-", "-", "-",
                         f"FAILED {response.status_code}"])
            continue
        samples = timed(lambda url=url: client.get(url, headers=HTML), args.runs)
        base = timed(baseline, args.runs) if baseline else None
        rows.append(_row(name, samples, base))
    post = timed(lambda: client.post("/ui/validate", data={"data": VALID.decode()},
                                     headers=HTML), args.runs)
    rows.append(_row("validate (POST, report)", post, None))
    print_table(["page", "median ms", "p95 ms", "service-layer median ms", "ratio",
                 f"< {TARGET_MS:.0f} ms"], rows)
    print(f"ratio = page median / the service-layer call it renders (same run); "
          f"{args.runs} runs per page after one warm-up")


def _row(name: str, samples: list[float], base: list[float] | None) -> list[object]:
    med = median_ms(samples)
    base_med = median_ms(base) if base else None
    return [name, med, p95_ms(samples), base_med if base_med is not None else "-",
            f"{med / base_med:.1f}x" if base_med else "-",
            "yes" if p95_ms(samples) < TARGET_MS else "NO"]


if __name__ == "__main__":
    main()
