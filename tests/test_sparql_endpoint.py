"""The SPARQL 1.1 endpoint, used by real clients against a real server on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, SPARQLWrapper

from api.app import create_app
from harness.servers import serve_app
from kg.settings import Settings
from kg.store import Store
from kg.store.embedded import EmbeddedStore
from tests.conftest import ADMIN_TOKEN

EX = "http://example.org/"
SELECT_ALL = "SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o } ORDER BY ?s"


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Store]]:
    store = EmbeddedStore(query_workers=4)  # as served: queries in killable worker processes
    store.replace_graphs({
        URIRef(EX + "g1"): [(URIRef(EX + "a"), URIRef(EX + "p"), Literal("alpha", lang="en"))],
        URIRef(EX + "g2"): [(URIRef(EX + "b"), URIRef(EX + "p"), Literal(2))],
    })
    settings = Settings(store="memory", admin_token=ADMIN_TOKEN, load_default_graph=False,
                        max_body_bytes=100_000, query_timeout=1.0, result_limit=1000)
    with serve_app(create_app(settings, store)) as base:
        yield base, store


def test_sparqlwrapper_select_json(server: tuple[str, Store]) -> None:
    base, _ = server
    client = SPARQLWrapper(f"{base}/sparql")
    client.setQuery(SELECT_ALL)
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert [r["s"]["value"] for r in rows] == [EX + "a", EX + "b"]
    assert rows[0]["o"] == {"type": "literal", "value": "alpha", "xml:lang": "en"}


def test_rdflib_sparqlstore_reads_the_union_graph(server: tuple[str, Store]) -> None:
    base, _ = server
    graph = Graph(store=SPARQLStore(f"{base}/sparql", returnFormat="xml"))
    values = sorted(str(o) for o in graph.objects(None, URIRef(EX + "p")))
    assert values == ["2", "alpha"]


def test_curl_csv(server: tuple[str, Store]) -> None:
    base, _ = server
    if shutil.which("curl") is None:
        pytest.skip("curl not installed")
    out = subprocess.run(
        ["curl", "-s", "-H", "Accept: text/csv", "--data-urlencode", f"query={SELECT_ALL}",
         f"{base}/sparql"], capture_output=True, text=True, check=True, timeout=20)
    assert out.stdout.splitlines() == ["s,o", f"{EX}a,alpha", f"{EX}b,2"]


@pytest.mark.parametrize(("accept", "media", "marker"), [
    ("application/sparql-results+json", "application/sparql-results+json", '"bindings"'),
    ("application/sparql-results+xml", "application/sparql-results+xml", "<sparql"),
    ("text/tab-separated-values", "text/tab-separated-values", "?s\t?o"),
    ("application/json", "application/sparql-results+json", '"head"'),
])
def test_select_content_negotiation(server: tuple[str, Store], accept: str, media: str,
                                    marker: str) -> None:
    base, _ = server
    response = httpx.get(f"{base}/sparql", params={"query": SELECT_ALL},
                         headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert marker in response.text


@pytest.mark.parametrize("accept", ["text/turtle", "application/n-triples",
                                    "application/ld+json", "application/rdf+xml"])
def test_construct_formats_reparse(server: tuple[str, Store], accept: str) -> None:
    base, _ = server
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    response = httpx.post(f"{base}/sparql", content=query,
                          headers={"Content-Type": "application/sparql-query", "Accept": accept})
    assert response.status_code == 200
    fmt = {"text/turtle": "turtle", "application/n-triples": "nt",
           "application/ld+json": "json-ld", "application/rdf+xml": "xml"}[accept]
    assert len(Graph().parse(data=response.text, format=fmt)) == 2


def test_named_graph_selection(server: tuple[str, Store]) -> None:
    base, _ = server
    response = httpx.get(f"{base}/sparql", params={"query": SELECT_ALL,
                                                   "default-graph-uri": EX + "g2"},
                         headers={"Accept": "application/sparql-results+json"})
    rows = response.json()["results"]["bindings"]
    assert [r["s"]["value"] for r in rows] == [EX + "b"]


def test_ask_and_unknown_accept(server: tuple[str, Store]) -> None:
    base, _ = server
    ok = httpx.get(f"{base}/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert ok.json() == {"head": {}, "boolean": True}
    refused = httpx.get(f"{base}/sparql", params={"query": "ASK { ?s ?p ?o }"},
                        headers={"Accept": "image/png"})
    assert refused.status_code == 406
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_malformed_query_is_400_with_position(server: tuple[str, Store]) -> None:
    base, _ = server
    response = httpx.get(f"{base}/sparql", params={"query": "SELECT ?s WHERE { ?s ?p"})
    assert response.status_code == 400
    problem = response.json()
    assert problem["title"] == "Malformed SPARQL"
    assert problem["line"] == 1


def test_update_needs_the_admin_token(server: tuple[str, Store]) -> None:
    base, store = server
    update = f'INSERT DATA {{ GRAPH <{EX}g3> {{ <{EX}c> <{EX}p> "gamma" }} }}'
    headers = {"Content-Type": "application/sparql-update"}
    assert httpx.post(f"{base}/sparql", content=update, headers=headers).status_code == 401
    wrong = httpx.post(f"{base}/sparql", content=update,
                       headers={**headers, "Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert not store.has_graph(URIRef(EX + "g3"))
    done = httpx.post(f"{base}/sparql", content=update,
                      headers={**headers, "Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert done.status_code == 204
    assert store.has_graph(URIRef(EX + "g3"))
    store.replace_graphs({}, drop=[URIRef(EX + "g3")])


def test_update_through_form_and_sparqlwrapper(server: tuple[str, Store]) -> None:
    base, store = server
    client = SPARQLWrapper(f"{base}/sparql", updateEndpoint=f"{base}/sparql")
    client.addCustomHttpHeader("Authorization", f"Bearer {ADMIN_TOKEN}")
    client.setMethod("POST")
    client.setQuery(f'INSERT DATA {{ GRAPH <{EX}g4> {{ <{EX}d> <{EX}p> "delta" }} }}')
    client.query()
    assert store.has_graph(URIRef(EX + "g4"))
    store.replace_graphs({}, drop=[URIRef(EX + "g4")])


def test_service_refused_without_outbound_request(server: tuple[str, Store]) -> None:
    base, _ = server
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
    response = httpx.get(f"{base}/sparql", params={"query": query})
    assert response.status_code == 403
    assert f"127.0.0.1:{port}" in response.json()["detail"]
    with pytest.raises(TimeoutError):
        listener.accept()
    listener.close()


def test_service_description(server: tuple[str, Store]) -> None:
    base, _ = server
    response = httpx.get(f"{base}/sparql", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=response.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert (None, URIRef(sd + "endpoint"), URIRef(f"{base}/sparql")) in graph


def test_body_over_limit_is_413(server: tuple[str, Store]) -> None:
    base, _ = server
    response = httpx.post(f"{base}/sparql", content=b"#" * 200_000,
                          headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413


def test_runaway_query_is_stopped_and_server_stays_responsive(
        server: tuple[str, Store]) -> None:
    base, store = server
    store.replace_graphs({URIRef(EX + "big"): [
        (URIRef(f"{EX}n{i}"), URIRef(EX + "q"), Literal(i)) for i in range(300)]})
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    import threading
    import time

    outcome: dict[str, httpx.Response] = {}
    worker = threading.Thread(target=lambda: outcome.setdefault(
        "r", httpx.get(f"{base}/sparql", params={"query": runaway}, timeout=30)))
    worker.start()
    time.sleep(0.2)
    with httpx.Client() as client:
        quick = client.get(f"{base}/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert quick.status_code == 200
        # Answered while the runaway is still running (it ends only at the query timeout):
        # the server was not blocked by it. An ordering, not a timing.
        assert "r" not in outcome and worker.is_alive()
    worker.join(30)
    assert outcome["r"].status_code == 503
    assert "timed out" in outcome["r"].json()["title"].lower()
    store.replace_graphs({}, drop=[URIRef(EX + "big")])


def test_result_cap(server: tuple[str, Store]) -> None:
    base, store = server
    store.replace_graphs({URIRef(EX + "many"): [
        (URIRef(f"{EX}m{i}"), URIRef(EX + "q"), Literal(i)) for i in range(1500)]})
    response = httpx.get(f"{base}/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 413
    assert "1000" in json.dumps(response.json())
    store.replace_graphs({}, drop=[URIRef(EX + "many")])
