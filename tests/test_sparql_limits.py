"""The SPARQL endpoint's edges, over HTTP on loopback: failed SERVICE peers, the meta graph
refused to SPARQL Update, OPTIONS, the web download's formats, the service base IRI, and
answers written by the engine in the query workers."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from rdflib import Graph, Literal, URIRef

from api.app import create_app
from harness.servers import serve_app
from kg.namespaces import META_GRAPH
from kg.settings import Settings
from kg.store.embedded import EmbeddedStore
from tests.rest_support import ADMIN

EX = "http://example.org/"
UPDATE = {**ADMIN, "Content-Type": "application/sparql-update"}


class _Redirects(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", "http://elsewhere.example/sparql")
        self.end_headers()

    do_POST = do_GET  # noqa: N815 - the stdlib's name

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def peers() -> Iterator[tuple[str, str]]:
    """A peer that redirects, and the address of one that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{sock.getsockname()[1]}/sparql"
    server = http.server.HTTPServer(("127.0.0.1", 0), _Redirects)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield down, f"http://127.0.0.1:{server.server_address[1]}/sparql"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def node(peers: tuple[str, str]) -> Iterator[tuple[httpx.Client, EmbeddedStore]]:
    store = EmbeddedStore(query_workers=2)
    store.replace_graphs({URIRef(EX + "g1"): [
        (URIRef(EX + f"s{i}"), URIRef(EX + "p"), Literal(i)) for i in range(50)]})
    settings = Settings(store="memory", admin_token=ADMIN["Authorization"].split()[1],
                        load_default_graph=False, service_allow=list(peers),
                        query_timeout=5.0, result_limit=20)
    try:
        with serve_app(create_app(settings, store)) as base, \
                httpx.Client(base_url=base, timeout=30) as client:
            yield client, store
    finally:
        store.close()


@pytest.mark.parametrize("which,status,words", [(0, 502, "refused"), (1, 502, "redirect")])
def test_a_failing_service_peer_is_a_problem_naming_it(
        node: tuple[httpx.Client, EmbeddedStore], peers: tuple[str, str], which: int,
        status: int, words: str) -> None:
    client, _ = node
    peer = peers[which]
    answer = client.get("/sparql", params={
        "query": f"SELECT * WHERE {{ SERVICE <{peer}> {{ ?s ?p ?o }} }}"})
    assert answer.status_code == status, answer.text
    problem = answer.json()
    assert answer.headers["content-type"] == "application/problem+json"
    assert peer in problem["detail"] and words in problem["detail"].lower()
    assert problem["endpoint"] == peer
    assert "Traceback" not in answer.text
    silent = client.get("/sparql", params={
        "query": f"SELECT * WHERE {{ SERVICE SILENT <{peer}> {{ ?s ?p ?o }} }}"})
    assert silent.status_code == 200
    assert silent.json()["results"]["bindings"] == [{}]  # the empty solution


def test_sparql_update_may_not_touch_the_meta_graph(
        node: tuple[httpx.Client, EmbeddedStore]) -> None:
    client, store = node
    before = len(store.get_graph(URIRef(META_GRAPH)))
    graph_store = client.delete(f"/graphs?graph={quote(META_GRAPH, safe='')}", headers=ADMIN)
    assert graph_store.status_code == 403
    for update in (
            f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{EX}a> <{EX}b> <{EX}c> }} }}",
            "PREFIX m: <https://w3id.org/dskg/graph/> DROP GRAPH m:meta",
            f"WITH <{META_GRAPH}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}"):
        answer = client.post("/sparql", content=update, headers=UPDATE)
        assert answer.status_code == 403, update
        assert graph_store.json()["detail"] in answer.json()["detail"]
    assert len(store.get_graph(URIRef(META_GRAPH))) == before
    # A template writing to GRAPH ?g runs on every graph but the meta graph (which holds
    # a record about <g1>, so an unguarded update would delete it there too).
    for update in (f"DELETE {{ GRAPH ?g {{ <{EX}g1> ?p ?o }} }} WHERE {{ GRAPH ?g {{ <{EX}g1> "
                   "?p ?o } }", f"DELETE WHERE {{ GRAPH ?g {{ <{EX}g1> ?p ?o }} }}"):
        assert client.post("/sparql", content=update, headers=UPDATE).status_code == 204
        assert len(store.get_graph(URIRef(META_GRAPH))) == before


def test_clear_all_leaves_the_meta_graph_with_tombstones(
        node: tuple[httpx.Client, EmbeddedStore]) -> None:
    client, store = node
    assert client.post("/sparql", content=f"INSERT DATA {{ GRAPH <{EX}tmp> {{ <{EX}x> "
                       f"<{EX}p> 1 }} }}", headers=UPDATE).status_code == 204
    assert client.post("/sparql", content="CLEAR ALL", headers=UPDATE).status_code == 204
    assert [str(g) for g in store.graph_names()] in ([META_GRAPH], [EX + "g1", META_GRAPH],
                                                     [EX + "g1", EX + "tmp", META_GRAPH])
    assert store.triple_count(URIRef(EX + "tmp")) == 0
    meta = store.get_graph(URIRef(META_GRAPH))
    assert (URIRef(EX + "tmp"), None, None) in meta
    deleted = URIRef("https://w3id.org/dskg#DeletedDescription")
    assert (URIRef(EX + "tmp"), URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            deleted) in meta
    store.replace_graphs({URIRef(EX + "g1"): [
        (URIRef(EX + f"s{i}"), URIRef(EX + "p"), Literal(i)) for i in range(50)]})


def test_relative_iris_resolve_against_the_node_base(
        node: tuple[httpx.Client, EmbeddedStore]) -> None:
    client, _ = node
    answer = client.get("/sparql", params={"query": "SELECT ?x WHERE { BIND(<thing> AS ?x) }"})
    assert answer.status_code == 200
    assert answer.json()["results"]["bindings"][0]["x"]["value"] == \
        "http://127.0.0.1:8000/thing"


def test_options_lists_the_methods(node: tuple[httpx.Client, EmbeddedStore]) -> None:
    client, _ = node
    answer = client.options("/sparql")
    assert answer.status_code == 204
    assert {m.strip() for m in answer.headers["allow"].split(",")} >= {"GET", "POST", "HEAD",
                                                                       "OPTIONS"}
    assert client.head("/sparql", params={"query": "ASK {}"}).status_code == 200


def test_download_with_an_unknown_format_names_the_formats(
        node: tuple[httpx.Client, EmbeddedStore]) -> None:
    client, _ = node
    answer = client.get("/ui/sparql/download", params={"query": "ASK {}", "format": "html"})
    assert answer.status_code == 400
    assert all(f in answer.text for f in ("csv", "tsv", "json", "ttl"))


@pytest.mark.parametrize("accept,parse", [
    ("application/sparql-results+json", lambda body: len(json.loads(body)["results"]
                                                         ["bindings"])),
    ("application/sparql-results+xml", lambda body: body.count(b"<result>")),
    ("text/csv", lambda body: len(body.splitlines()) - 1),
    ("text/tab-separated-values", lambda body: len(body.splitlines()) - 1),
])
def test_engine_written_answers_and_the_row_cap(
        node: tuple[httpx.Client, EmbeddedStore], accept: str, parse: object) -> None:
    client, _ = node
    query = f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }} LIMIT "
    answer = client.get("/sparql", params={"query": query + "20"}, headers={"Accept": accept})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(accept)
    assert parse(answer.content) == 20  # type: ignore[operator]
    over = client.get("/sparql", params={"query": query + "21"}, headers={"Accept": accept})
    assert over.status_code == 413 and "more than 20" in over.json()["detail"]


def test_construct_as_turtle_and_rdf_xml(node: tuple[httpx.Client, EmbeddedStore]) -> None:
    client, _ = node
    query = f"CONSTRUCT {{ ?s <{EX}q> ?o }} WHERE {{ ?s <{EX}p> ?o }} LIMIT 5"
    for accept, fmt in (("text/turtle", "turtle"), ("application/rdf+xml", "xml"),
                        ("application/n-triples", "nt"), ("application/ld+json", "json-ld")):
        answer = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
        assert answer.status_code == 200, answer.text
        assert len(Graph().parse(data=answer.content, format=fmt)) == 5


def test_a_remote_engine_s_bytes_pass_through(tmp_path: Path) -> None:
    from harness.servers import oxigraph_server
    from kg.errors import ResultTooLarge
    from kg.store.remote import RemoteStore

    with oxigraph_server(tmp_path / "engine") as url:
        store = RemoteStore(f"{url}/query", f"{url}/update", f"{url}/store")
        store.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}p> 1, 2, 3 }} }}")
        query = f"SELECT ?o WHERE {{ <{EX}a> <{EX}p> ?o }} ORDER BY ?o"
        for media in ("application/sparql-results+json", "text/tab-separated-values"):
            direct = httpx.post(f"{url}/query", data={"query": query},
                                headers={"Accept": media}).content
            assert store.query_serialized(query, media, limit=3).body == direct
            with pytest.raises(ResultTooLarge):
                store.query_serialized(query, media, limit=2)
        store.close()


@pytest.mark.parametrize(("query", "point"), [
    ("PREFIX dct: <http://purl.org/dc/terms/>\nSELECT ?t WHERE { <urn:x> dct:title ?t }", True),
    ("SELECT DISTINCT ?o WHERE { <urn:x> a ?o . } LIMIT 5 OFFSET 1", True),
    ('SELECT ?s WHERE { <urn:x> <urn:p> "v"@en }', True),
    ("SELECT ?s WHERE { ?s <urn:p> ?o }", False),  # a variable subject scans
    ("SELECT ?o WHERE { <urn:x> ?p ?o }", False),
    ("SELECT ?o WHERE { <urn:x> <urn:p>+ ?o }", False),  # a path
    ("SELECT ?o WHERE { <urn:x> <urn:p> ?o . ?o <urn:p> ?z }", False),
    ("SELECT ?o WHERE { <urn:x> <urn:p> ?o FILTER(?o) }", False),
    ("SELECT ?o WHERE { <urn:x> <urn:p> ?o } ORDER BY ?o", False),
    ("SELECT ?o FROM <urn:g> WHERE { <urn:x> <urn:p> ?o }", False),
    ("SELECT (COUNT(*) AS ?n) WHERE { <urn:x> <urn:p> ?o }", False),
    ("SELECT ?o WHERE { <urn:x> <urn:p> ?o } # } UNION { ?a ?b ?c }", False),
])
def test_point_lookups_are_told_apart(query: str, point: bool) -> None:
    """Only one pattern on a given subject and predicate skips the query workers."""
    from kg.store.lookups import point_lookup

    assert point_lookup(query) is point


def test_point_lookups_keep_the_row_cap_and_long_answers_go_to_a_worker(
        node: tuple[httpx.Client, EmbeddedStore], monkeypatch: pytest.MonkeyPatch) -> None:
    client, store = node
    monkeypatch.setattr("kg.store.embedded.INLINE_ROWS", 5)
    store.replace_graphs({URIRef(EX + "g-point"): [
        *((URIRef(EX + "ten"), URIRef(EX + "v"), Literal(i)) for i in range(10)),
        *((URIRef(EX + "thirty"), URIRef(EX + "v"), Literal(i)) for i in range(30))]})
    json_accept = {"Accept": "application/sparql-results+json"}
    ten = client.get("/sparql", params={"query": f"SELECT ?v WHERE {{ <{EX}ten> <{EX}v> ?v }}"},
                     headers=json_accept)
    assert ten.status_code == 200  # past 5 rows: written by a worker, whole
    assert len(ten.json()["results"]["bindings"]) == 10
    thirty = client.get("/sparql", params={
        "query": f"SELECT ?v WHERE {{ <{EX}thirty> <{EX}v> ?v }}"}, headers=json_accept)
    assert thirty.status_code == 413 and "more than 20" in thirty.json()["detail"]
