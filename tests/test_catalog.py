"""/catalog: a DCAT-AP 3 catalog of the node, Hydra-paged, that passes our DCAT shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from kg.jsonld import DSKG_CONTEXT_URL, shipped_context
from kg.namespaces import DCAT, HYDRA, RDF
from kg.store import Store
from kg.validation import validate_graph
from tests.rest_support import BASE, app_for, ecosystem_store


@pytest.fixture(scope="module")
def env() -> Iterator[tuple[TestClient, Store]]:
    store = ecosystem_store()
    with TestClient(app_for(store)) as client:
        yield client, store


def _datasets(store: Store) -> int:
    return int(store.query(f"SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ ?d a <{DCAT.Dataset}> "
                           "}").rows[0][0])  # type: ignore[arg-type]


def _view(graph: Graph) -> URIRef:
    views = list(graph.subjects(RDF.type, HYDRA.PartialCollectionView))
    assert len(views) == 1
    return views[0]  # type: ignore[return-value]


def test_catalog_passes_the_dcat_shapes(env: tuple[TestClient, Store]) -> None:
    client, store = env
    response = client.get("/catalog", params={"pageSize": 1000})
    assert response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    catalog = URIRef(f"{BASE}catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    assert len(set(graph.objects(catalog, DCAT.dataset))) == _datasets(store)
    report = validate_graph(graph)
    violations = [r.to_json() for r in report.results if r.severity == "Violation"]
    assert report.conforms, violations[:5]


def test_hydra_paging(env: tuple[TestClient, Store]) -> None:
    client, store = env
    total = _datasets(store)
    size = 10
    last = -(-total // size)
    seen: set[URIRef] = set()
    url: str | None = f"/catalog?page=1&pageSize={size}"
    pages = 0
    while url:
        graph = Graph().parse(data=client.get(url).text, format="turtle")
        view = _view(graph)
        assert int(graph.value(view, HYDRA.totalItems)) == total
        assert str(graph.value(view, HYDRA.last)).endswith(f"page={last}&pageSize={size}")
        seen |= set(graph.objects(URIRef(f"{BASE}catalog"), DCAT.dataset))
        pages += 1
        next_page = graph.value(view, HYDRA.next)
        url = str(next_page).replace("http://testserver", "") if next_page else None
    assert pages == last and len(seen) == total
    assert client.get(f"/catalog?page={last + 1}&pageSize={size}").status_code == 400


def test_catalog_formats_agree(env: tuple[TestClient, Store]) -> None:
    client, _ = env
    turtle = Graph().parse(data=client.get("/catalog?pageSize=5").text, format="turtle")
    xml = client.get("/catalog?pageSize=5", headers={"Accept": "application/rdf+xml"})
    assert isomorphic(turtle, Graph().parse(data=xml.text, format="xml"))
    doc = client.get("/catalog?pageSize=5", headers={"Accept": "application/ld+json"}).json()
    # The context is embedded (no client can resolve our context URL offline).
    assert doc["@context"] == shipped_context(DSKG_CONTEXT_URL)["@context"]
    assert isomorphic(turtle, Graph().parse(data=json.dumps(doc), format="json-ld"))
