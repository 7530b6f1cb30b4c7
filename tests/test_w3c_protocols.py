"""The W3C SPARQL 1.1 Protocol and Graph Store Protocol test manifests, run as published
(tests/w3c/, see the README there) against a node on loopback.

Each manifest test is a list of HTTP requests with the expected status (or status class),
result format, ASK answer, and for the Graph Store Protocol the expected graph. The runner
sends them as written, with two adaptations the manifests themselves call for: the
``/sparql/`` and ``/gsp`` path prefixes become this node's ``/sparql`` and ``/graphs``, and
every request carries the admin token (on this node updates and Graph Store writes need
one; the tests do not test authorisation). Before each test the store is emptied and the
test's ``ut:graphData`` loaded into the named graphs it names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from api.app import create_app
from harness.servers import serve_app
from kg.settings import Settings
from kg.store.embedded import EmbeddedStore
from tests.rest_support import ADMIN

W3C = Path(__file__).parent / "w3c"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
STATUS = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}
RESULT_TYPES = {"application/sparql-results+json", "application/sparql-results+xml",
                "text/csv", "text/tab-separated-values"}
RDF_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt",
             "application/rdf+xml": "xml", "application/ld+json": "json-ld"}


def _manifest(path: Path) -> tuple[Graph, list[URIRef]]:
    graph = Graph().parse(path, format="turtle", publicID=path.as_uri())
    manifest = next(graph.subjects(MF.entries, None))
    return graph, list(Collection(graph, graph.value(manifest, MF.entries)))


PROTOCOL = _manifest(W3C / "sparql11-protocol" / "manifest.ttl")
GRAPH_STORE = _manifest(W3C / "graph-store-protocol" / "manifest-indirect.ttl")


@pytest.fixture(scope="module")
def node() -> Iterator[tuple[httpx.Client, EmbeddedStore]]:
    store = EmbeddedStore(query_workers=2)  # the served kind: queries in worker processes
    settings = Settings(store="memory", admin_token=ADMIN["Authorization"].split()[1],
                        load_default_graph=False)
    try:
        with serve_app(create_app(settings, store)) as base, \
                httpx.Client(base_url=base, timeout=30) as client:
            yield client, store
    finally:
        store.close()


def _status_ok(code: int, expected: list[URIRef]) -> bool:
    for item in expected:
        name = str(item).removeprefix(str(HTS))
        if name.startswith("StatusCode") and str(code)[0] == name[len("StatusCode")]:
            return True
        if STATUS.get(name) == code:
            return True
    return False


def _boolean(response: httpx.Response) -> bool:
    media = response.headers["content-type"].split(";")[0]
    if media == "application/sparql-results+json":
        return bool(json.loads(response.content)["boolean"])
    root = ElementTree.fromstring(response.content)
    found = root.find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert found is not None
    return found.text == "true"


def _run(graph: Graph, test: URIRef, client: httpx.Client, store: EmbeddedStore,
         folder: Path) -> None:
    store.clear()
    for data in graph.objects(test, UT.graphData):
        source = Path(str(graph.value(data, UT.graph)).removeprefix("file://"))
        name = URIRef(str(graph.value(data, RDFS.label)))
        store.import_quads((folder / source.name).read_bytes(), "ntriples", to_graph=name)
    action = graph.value(test, MF.action)
    variables: dict[str, str] = {}
    for step, request in enumerate(Collection(graph, graph.value(action, HT.requests))):
        path = str(graph.value(request, HT.absolutePath))
        path = path.replace("/sparql/", "/sparql", 1) if path.startswith("/sparql/") else \
            "/graphs" + path.removeprefix("/gsp")
        headers = dict(ADMIN)
        for header in Collection(graph, graph.value(request, HT.headers) or URIRef(
                "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil")):
            headers[str(graph.value(header, HT.fieldName))] = str(
                graph.value(header, HT.fieldValue))
        body = graph.value(graph.value(request, HT.body), CNT.chars) if graph.value(
            request, HT.body) is not None else None
        content = None if body is None else str(body)
        for key, value in variables.items():
            path = path.replace(key, value)
            content = content.replace(key, value) if content is not None else None
        method = str(graph.value(request, HT.methodName))
        response = client.request(method, path, headers=headers,
                                  content=None if content is None else content.encode())
        expect = graph.value(request, HT.resp)
        where = f"{test.fragment} request {step + 1}: {method} {path} -> " \
                f"{response.status_code} {response.text[:300]}"
        assert _status_ok(response.status_code, list(graph.objects(expect, MF.expectedStatus))), \
            where
        location = graph.value(expect, MF.expectedLocation)
        if location is not None:
            variables[str(location)] = response.headers["location"]
        media = response.headers.get("content-type", "").split(";")[0]
        form = graph.value(expect, MF.expectedFormat)
        if form is not None:
            allowed = RDF_TYPES if str(form) == "RDF" else RESULT_TYPES if str(
                form) == "tabular" else {"application/sparql-results+json",
                                         "application/sparql-results+xml"}
            assert media in allowed, where
        answer = graph.value(expect, MF.expectedBoolean)
        if answer is not None:
            assert _boolean(response) is answer.toPython(), where
        for header in Collection(graph, graph.value(expect, HT.headers) or URIRef(
                "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil")):
            if str(graph.value(header, HT.fieldName)).lower() == "content-type":
                wanted = str(graph.value(header, HT.fieldValue)).split(";")[0]
                assert media == wanted, where
        expected_body = graph.value(graph.value(expect, HT.body), CNT.chars) if graph.value(
            expect, HT.body) is not None else None
        if expected_body is not None and method != "HEAD":
            got = Graph().parse(data=response.text, format=RDF_TYPES[media])
            want = Graph().parse(data=str(expected_body), format="turtle")
            assert isomorphic(got, want), f"{where}\nexpected:\n{expected_body}"


@pytest.mark.parametrize("test", PROTOCOL[1], ids=lambda t: t.fragment)
def test_sparql11_protocol(test: URIRef, node: tuple[httpx.Client, EmbeddedStore]) -> None:
    _run(PROTOCOL[0], test, *node, W3C / "sparql11-protocol")


@pytest.mark.parametrize("test", GRAPH_STORE[1], ids=lambda t: t.fragment)
def test_graph_store_protocol(test: URIRef, node: tuple[httpx.Client, EmbeddedStore]) -> None:
    _run(GRAPH_STORE[0], test, *node, W3C / "graph-store-protocol")


def test_the_suites_are_complete() -> None:
    """Every test the manifests list runs above (34 protocol, 9 graph store)."""
    assert len(PROTOCOL[1]) == 34
    assert len(GRAPH_STORE[1]) == 9
