"""/catalog streamed from the engine: the same content as the catalog the node built before
(tests/catalog_reference.py, the previous code), whole or paged, on the default graph and on
synthetic data; streamed through a real client in every format; the term caches follow
writes; a client that leaves stops the writer."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef

from harness.generate import generate
from harness.servers import serve_app
from kg.errors import QueryBusy
from kg.namespaces import DCAT, HYDRA, SKOS
from kg.services.catalog import (
    MAX_EXPORTS,
    _holders,
    _parts,
    build_catalog,
    catalog_stream,
    request_catalog,
    split_records,
)
from kg.services.context import ServiceContext
from kg.store import Store
from kg.store.embedded import EmbeddedStore
from kg.store.terms import to_ox
from tests.catalog_reference import build_catalog as reference_catalog
from tests.rest_support import app_for, ecosystem_store, settings

FORMATS = {"text/turtle": "turtle", "application/n-triples": "nt",
           "application/rdf+xml": "xml", "application/ld+json": "json-ld"}
THEME = URIRef("http://publications.europa.eu/resource/authority/data-theme/AGRI")


def _url(size: int):  # the pages' URLs, as the route makes them
    return lambda n: f"http://127.0.0.1:8000/catalog?page={n}&pageSize={size}"


def _synthetic(datasets: int) -> Store:
    store = EmbeddedStore()
    store.import_quads(generate(datasets, seed=7, path=f"/tmp/dskg-test-catalog-{datasets}.nq")
                       .read_bytes(), "nquads")
    return store


@pytest.fixture(scope="module")
def ecosystem() -> ServiceContext:
    return ServiceContext(ecosystem_store(), settings())


@pytest.fixture(scope="module")
def synthetic() -> ServiceContext:
    return ServiceContext(_synthetic(120), settings())


def _triples(graph: Graph) -> set[str]:
    """The triples as N-Triples lines. Blank nodes keep the store's labels on both sides
    (the engine writes them, the previous code read them), so the sets compare exactly,
    without an isomorphism search that takes minutes on a few thousand triples."""
    return {str(ox.Triple(to_ox(s), to_ox(p), to_ox(o))) for s, p, o in graph}


def _streamed(ctx: ServiceContext, page: int | None, size: int) -> set[str]:
    request = request_catalog(ctx, page, size, _url(size))
    body = b"".join(catalog_stream(ctx, request, "application/n-triples"))
    return {str(ox.Triple(q.subject, q.predicate, q.object))
            for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)}


def _same(new: set[str], old: set[str]) -> None:
    assert new == old, f"only new: {sorted(new - old)[:5]}\nonly before: {sorted(old - new)[:5]}"


def _ground(graph: Graph) -> tuple[int, set[tuple[object, object, object]]]:
    """Size and triples without blank nodes: what two parses of one document share."""
    return len(graph), {t for t in graph if not any(isinstance(x, BNode) for x in t)}


@pytest.mark.parametrize(("page", "size"), [(1, 1000), (1, 10), (2, 10), (3, 7)])
def test_pages_hold_what_the_previous_code_wrote_on_the_default_graph(
        ecosystem: ServiceContext, page: int, size: int) -> None:
    _same(_streamed(ecosystem, page, size),
          _triples(reference_catalog(ecosystem, page, size, _url(size))))


SHARED = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<urn:g:portal> {
  <https://ex.org/ds/a> a dcat:Dataset ; dct:title "A"@en ; dct:relation <https://ex.org/ds/b> ;
      dct:publisher <https://ex.org/org/p> ; dcat:distribution [ a dcat:Distribution ;
      dcat:accessURL <https://ex.org/a.csv> ; dct:format <https://ex.org/format/CSV> ] .
  <https://ex.org/ds/b> a dcat:Dataset ; dct:title "B"@en ;
      dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://ex.org/b.csv> ] .
  [] a dcat:Dataset ; dct:title "blank"@en ; dct:isPartOf <https://ex.org/ds/a> .
  <https://ex.org/org/p> a foaf:Agent ; foaf:name "P" .
}
<https://ex.org/ds/c> { <https://ex.org/ds/c> a dcat:Dataset ; dct:title "C"@en ;
    dct:relation <https://ex.org/ds/d> . }
<urn:g:other> { <https://ex.org/ds/c> a dcat:Dataset ; dct:description "C again"@en .
  <https://ex.org/ds/d> a dcat:Dataset ; dct:title "D"@en ; dct:relation <https://ex.org/ds/c> . }
"""


@pytest.mark.parametrize(("page", "size"), [(1, 1), (2, 1), (3, 1), (4, 1), (1, 2), (2, 2),
                                            (1, 10)])
def test_shared_descriptions_are_walked_as_before(page: int, size: int) -> None:
    """Graphs holding several datasets (one of another page, a blank one) and a dataset
    described twice: walked in Python where the walk stops at other datasets."""
    store = EmbeddedStore()
    store.import_quads(SHARED.encode(), "trig")
    ctx = ServiceContext(store, settings())
    _same(_streamed(ctx, page, size), _triples(reference_catalog(ctx, page, size, _url(size))))
    datasets = [URIRef(f"https://ex.org/ds/{x}") for x in "abcd"]
    walked, by_hand = split_records(*_holders(ctx, datasets))
    assert walked and by_hand


def test_whole_catalog_is_every_page_without_the_view(ecosystem: ServiceContext) -> None:
    whole = build_catalog(ecosystem, None, 1, _url(1))
    assert not list(whole.objects(None, HYDRA.view))
    before = reference_catalog(ecosystem, 1, 1000, _url(1000))
    for view in list(before.objects(None, HYDRA.view)):
        before.remove((None, HYDRA.view, view))
        before.remove((view, None, None))
    _same(_streamed(ecosystem, None, 1), _triples(before))


@pytest.mark.parametrize(("page", "size"), [(1, 1000), (2, 25)])
def test_pages_hold_what_the_previous_code_wrote_on_synthetic_data(
        synthetic: ServiceContext, page: int, size: int) -> None:
    _same(_streamed(synthetic, page, size),
          _triples(reference_catalog(synthetic, page, size, _url(size))))


def test_rdflib_writer_for_other_stores_gives_the_same_document(
        synthetic: ServiceContext) -> None:
    """Stores that cannot stream (the remote store) write with rdflib, the same triples."""
    request = request_catalog(synthetic, 2, 25, _url(25))
    engine = b"".join(catalog_stream(synthetic, request, "text/turtle"))
    parts = _parts(synthetic, request)
    fallback = b"".join(Store.construct_stream(synthetic.store, parts, "text/turtle"))
    assert _ground(Graph().parse(data=fallback, format="turtle")) == \
        _ground(Graph().parse(data=engine, format="turtle"))


def test_cached_term_facts_follow_writes() -> None:
    """A theme described only in a vocabulary graph: its label comes from the facts
    cache, which a write empties."""
    ctx = ServiceContext(_synthetic(20), settings())
    skos = f"<{SKOS.prefLabel}>"
    ctx.store.update(f"DELETE WHERE {{ GRAPH ?g {{ <{THEME}> ?p ?o }} }}; "
                     f"INSERT DATA {{ GRAPH <urn:test:terms> {{ <{THEME}> {skos} "
                     f'"Agriculture"@en ; a <{SKOS.Concept}> }} }}')
    first = build_catalog(ctx, None, 1, _url(1))
    assert (THEME, SKOS.prefLabel, Literal("Agriculture", lang="en")) in first
    ctx.store.update(f"DELETE DATA {{ GRAPH <urn:test:terms> {{ <{THEME}> {skos} "
                     f'"Agriculture"@en }} }}; INSERT DATA {{ GRAPH <urn:test:terms> {{ '
                     f'<{THEME}> {skos} "Farming"@en }} }}')
    second = build_catalog(ctx, None, 1, _url(1))
    assert (THEME, SKOS.prefLabel, Literal("Farming", lang="en")) in second
    assert (THEME, SKOS.prefLabel, Literal("Agriculture", lang="en")) not in second


@pytest.fixture(scope="module")
def node() -> Iterator[tuple[str, Graph]]:
    store = _synthetic(200)
    expected = build_catalog(ServiceContext(store, settings()), None, 1, _url(1))
    with serve_app(app_for(store)) as url:
        yield url, expected


@pytest.mark.parametrize("media", list(FORMATS))
def test_whole_catalog_streams_through_httpx_in_every_format(node: tuple[str, Graph],
                                                             media: str) -> None:
    url, expected = node
    chunks: list[bytes] = []
    with httpx.stream("GET", f"{url}/catalog", params={"all": "true"},
                      headers={"Accept": media}, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media)
        # Streamed: no length known up front, the body comes in chunks.
        assert "content-length" not in response.headers
        assert response.headers.get("transfer-encoding") == "chunked"
        chunks.extend(response.iter_raw())
    assert len(chunks) > 1
    graph = Graph().parse(data=b"".join(chunks), format=FORMATS[media])
    assert _ground(graph) == _ground(expected)
    assert len(set(graph.objects(None, DCAT.dataset))) == 200


def _writers() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "rdf-stream")


def test_a_client_that_leaves_stops_the_writer(node: tuple[str, Graph]) -> None:
    url, _expected = node
    with httpx.stream("GET", f"{url}/catalog?all=true", headers={"Accept": "text/turtle"},
                      timeout=60) as response:
        first = next(response.iter_raw(1024))
        assert first.startswith(b"@prefix")
    deadline = time.monotonic() + 20
    while _writers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _writers() == 0
    # and the node still answers
    assert httpx.get(f"{url}/catalog?pageSize=5", timeout=30).status_code == 200


def test_a_bad_page_is_refused_before_anything_is_written(node: tuple[str, Graph]) -> None:
    url, _expected = node
    answer = httpx.get(f"{url}/catalog", params={"page": 999, "pageSize": 10}, timeout=30)
    assert answer.status_code == 400
    assert "past the last page" in answer.text


def test_catalog_documents_written_at_once_are_bounded(node: tuple[str, Graph]) -> None:
    """Streams run outside the query workers: MAX_EXPORTS at once, then 503 with
    Retry-After; a slot comes back when its stream ends, fails or is dropped unread."""
    url, _expected = node
    ctx = ServiceContext(_synthetic(20), settings())
    request = request_catalog(ctx, None, 1, _url(1))
    held = [catalog_stream(ctx, request, "text/turtle") for _ in range(MAX_EXPORTS)]
    busy = httpx.get(f"{url}/catalog?all=true", timeout=30)
    assert busy.status_code == 503 and busy.headers["retry-after"] == "2"
    with pytest.raises(QueryBusy):
        catalog_stream(ctx, request, "text/turtle")
    assert b"".join(held.pop()).startswith(b"@prefix")  # read to the end: its slot is back
    assert httpx.get(f"{url}/catalog?pageSize=5", timeout=30).status_code == 200
    held.clear()  # dropped unread: collected, their slots come back
    gc.collect()
    assert httpx.get(f"{url}/catalog?all=true", timeout=30).status_code == 200
