"""The text index behind search and the REST ``q`` filter, and the store's change events.

The index must give exactly the answers of the ``CONTAINS`` scan it replaces, stay exact
after writes through any path (write path, deletions, SPARQL Update), and the web pages'
caches must follow writes that do not come over HTTP (a scheduled harvest, the CLI in the
same process).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import URIRef

from kg.services import KINDS, ServiceContext
from kg.services import listing as listing_module
from kg.services.listing import Filters, list_resources
from kg.services.textindex import TextIndex, text_index_for
from kg.settings import Settings
from kg.sparql import QueryService
from kg.store import Store
from kg.store.embedded import EmbeddedStore
from kg.write import Origin, delete_graphs, graph_iri_for, write_bytes

BASE = "http://127.0.0.1:8000/"
SETTINGS = Settings(store="memory", load_default_graph=False, base_iri=BASE)
WORDS = ("agdatahub", "HEALTH", "x-road", "données", "data space", "gaia", "zzzz-none",
         "energy", "mobility", "a")


def everything(ctx: ServiceContext, kind: str, filters: Filters) -> tuple[int, list[str]]:
    """Total and every item IRI of a listing, page by page."""
    found, offset = [], 0
    while True:
        page = list_resources(ctx, KINDS[kind], filters, limit=1000, offset=offset)
        found += [item["@id"] for item in page.items]
        offset += 1000
        if offset >= page.total:
            return page.total, sorted(found)


@pytest.fixture
def fresh_store() -> Iterator[Store]:
    from kg.defaultgraph import load_default_graph

    store = EmbeddedStore()
    load_default_graph(store, BASE)
    yield store
    store.close()


def wait_ready(index: TextIndex | None, seconds: float = 30) -> None:
    assert index is not None
    deadline = time.monotonic() + seconds
    while not index.ready():
        assert time.monotonic() < deadline, "the text index was never built"
        time.sleep(0.05)


def test_the_index_answers_what_the_text_scan_answers(
        default_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = ServiceContext(default_store, SETTINGS)
    wait_ready(text_index_for(default_store, SETTINGS))
    cases = [(kind, Filters(q=word)) for kind in KINDS for word in WORDS]
    cases += [("datasets", Filters(q="data", theme="AGRI")),
              ("organisations", Filters(q="agency", country="ES")),
              ("policies", Filters(q="research", tier="eu"))]
    indexed = {(kind, str(f)): everything(ctx, kind, f) for kind, f in cases}
    monkeypatch.setattr(listing_module, "text_index_for", lambda store, settings: None)
    scanned = {(kind, str(f)): everything(ctx, kind, f) for kind, f in cases}
    assert indexed == scanned
    assert sum(total for total, _ in indexed.values()) > 100  # the words do match things


def test_page_links_from_the_index_equal_links_from_the_store(
        default_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from kg.services import resources

    ctx = ServiceContext(default_store, SETTINGS)
    wait_ready(text_index_for(default_store, SETTINGS))
    graphs = [g for g in default_store.graph_names() if "/graph/" in g
              and not g.endswith(("/meta", "/ontology"))][::7]
    indexed = {g: resources.links_for(ctx, default_store.get_graph(g)) for g in graphs}
    monkeypatch.setattr(resources, "text_index_for", lambda store, settings: None)
    asked = {g: resources.links_for(ctx, default_store.get_graph(g)) for g in graphs}
    assert indexed == asked
    hrefs = [h for links in indexed.values() for h in links.values()]
    assert any(h.startswith("/datasets/") for h in hrefs)
    assert any(h.startswith("/organisations/") for h in hrefs)


def test_writes_are_searchable_at_once_without_a_rebuild(fresh_store: Store) -> None:
    index = text_index_for(fresh_store, SETTINGS)
    wait_ready(index)
    ctx = ServiceContext(fresh_store, SETTINGS)
    assert everything(ctx, "organisations", Filters(q="quokka"))[0] == 0
    turtle = b"""@prefix dskg: <https://w3id.org/dskg#> .
    @prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix org: <http://www.w3.org/ns/org#> .
    @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
    <https://example.org/org/q> a org:Organization ; skos:prefLabel "Quokka Data Office"@en ;
        foaf:name "Quokka Data Office"@en ; dskg:tier dskg:NationalTier ; dskg:country "AU" ."""
    write_bytes(fresh_store, turtle, "turtle", base_iri=BASE, origin=Origin(agent="test"))
    built_at = index._built_at
    assert everything(ctx, "organisations", Filters(q="QUOKKA")) == (
        1, ["https://example.org/org/q"])
    assert index.ready() and index._built_at == built_at  # re-read one graph, not rebuilt
    delete_graphs(fresh_store, [graph_iri_for(BASE, URIRef("https://example.org/org/q"))],
                  Origin(agent="test"))
    assert everything(ctx, "organisations", Filters(q="quokka"))[0] == 0
    assert index._built_at == built_at


def test_a_sparql_update_makes_the_index_rebuild_and_search_stays_exact(
        fresh_store: Store) -> None:
    index = text_index_for(fresh_store, SETTINGS)
    wait_ready(index)
    ctx = ServiceContext(fresh_store, SETTINGS)
    # The graph is named through a variable: which graphs change is not known in advance.
    QueryService(fresh_store, SETTINGS).update(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "INSERT { GRAPH ?g { ?s skos:altLabel \"Wombat alias\"@en ; "
        "skos:prefLabel \"Agdatahub (wombat)\"@en } } "
        "WHERE { GRAPH ?g { ?s skos:prefLabel \"Agdatahub\" } }")
    # Right away (index stale: the scan answers) and after the rebuild (the index answers).
    for _ in range(2):
        total, iris = everything(ctx, "organisations", Filters(q="wombat"))
        assert total == 1 and iris[0].endswith("agdatahub")
        wait_ready(index)


def test_web_caches_follow_writes_that_do_not_come_over_http(fresh_store: Store) -> None:
    from api.app import create_app

    browser = {"Accept": "text/html"}
    with TestClient(create_app(SETTINGS, fresh_store)) as web:
        before = web.get("/", headers=browser).text
        assert "Platypus Data Cooperative" not in before
        # As a scheduled harvest or `dskg load` in the server's process would: no HTTP.
        turtle = b"""@prefix dskg: <https://w3id.org/dskg#> .
        @prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix org: <http://www.w3.org/ns/org#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <https://example.org/org/p> a org:Organization ;
            skos:prefLabel "Platypus Data Cooperative"@en ;
            foaf:name "Platypus Data Cooperative"@en ; dskg:tier dskg:EUTier ."""
        write_bytes(fresh_store, turtle, "turtle", base_iri=BASE, origin=Origin(agent="cron"))
        search = web.get("/ui/search", params={"q": "platypus"}, headers=browser).text
        assert "Platypus Data Cooperative" in search
        assert web.get("/", headers=browser).text != before  # the picture was recomputed


def test_with_the_index_off_search_reads_the_store(fresh_store: Store) -> None:
    from dataclasses import replace

    from api.app import create_app

    off = replace(SETTINGS, text_index=False)
    assert text_index_for(fresh_store, off) is None
    with TestClient(create_app(off, fresh_store)) as web:
        page = web.get("/ui/search", params={"q": "agdatahub"}, headers={"Accept": "text/html"})
        assert page.status_code == 200 and "Agdatahub" in page.text
        listed = web.get("/organisations", params={"q": "agdatahub"}).json()
        assert listed["total"] >= 1
