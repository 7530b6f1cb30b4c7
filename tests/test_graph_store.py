"""SPARQL 1.1 Graph Store Protocol on /graphs, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote, unquote

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from harness.servers import serve_app
from kg.namespaces import DSKG, META_GRAPH, RDF, RDFS
from kg.store import Store
from kg.store.embedded import EmbeddedStore
from kg.write import agent_iri
from tests.rest_support import ADMIN, app_for, attributed_to

G = "https://example.org/graphs/notes"
TTL = {"Content-Type": "text/turtle"}


@pytest.fixture
def live() -> Iterator[tuple[httpx.Client, Store]]:
    store = EmbeddedStore()
    with serve_app(app_for(store)) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client, store


def _note(n: int) -> str:
    return f'<https://example.org/note/{n}> <{RDFS.label}> "note {n}" .'


def test_put_get_post_delete(live: tuple[httpx.Client, Store]) -> None:
    client, store = live
    params = {"graph": G}
    assert client.get("/graphs", params=params).status_code == 404
    assert client.put("/graphs", params=params, content=_note(1), headers=TTL).status_code == 401

    assert client.put("/graphs", params=params, content=_note(1),
                      headers={**TTL, **ADMIN}).status_code == 201
    assert client.put("/graphs", params=params, content=_note(2),
                      headers={**TTL, **ADMIN}).status_code == 204
    replaced = Graph().parse(data=client.get("/graphs", params=params).text, format="turtle")
    assert set(replaced.objects(None, RDFS.label)) == {Literal("note 2")}
    assert agent_iri("admin") in attributed_to(store, URIRef(G))

    assert client.post("/graphs", params=params, content=_note(3),
                       headers={**TTL, **ADMIN}).status_code == 204
    merged = client.get("/graphs", params=params, headers={"Accept": "application/n-triples"})
    assert set(Graph().parse(data=merged.text, format="nt").objects(None, RDFS.label)) == {
        Literal("note 2"), Literal("note 3")}
    head = client.head("/graphs", params=params)
    assert head.status_code == 200 and head.content == b""

    assert client.delete("/graphs", params=params, headers=ADMIN).status_code == 204
    assert client.get("/graphs", params=params).status_code == 404
    assert client.delete("/graphs", params=params, headers=ADMIN).status_code == 404
    # Nothing but the deletion's tombstone in the provenance graph is left.
    assert store.graph_names() == [URIRef(META_GRAPH)]
    assert (URIRef(G), RDF.type, DSKG.DeletedDescription) in store.get_graph(URIRef(META_GRAPH))


def test_post_without_a_graph_creates_one(live: tuple[httpx.Client, Store]) -> None:
    client, store = live
    created = client.post("/graphs", content=_note(4), headers={**TTL, **ADMIN})
    assert created.status_code == 201
    name = created.headers["Location"]  # the new graph's IRI (GSP 5.5)
    assert name.startswith("http://127.0.0.1:8000/graph/")
    fetched = Graph().parse(data=client.get("/graphs", params={"graph": name}).text,
                            format="turtle")
    assert isomorphic(fetched, Graph().parse(data=_note(4), format="nt"))
    assert len(store.graph_names()) == 2  # the new graph and the provenance graph
    see_other = client.get(name.removeprefix("http://127.0.0.1:8000"), follow_redirects=False)
    assert see_other.status_code == 303
    assert unquote(see_other.headers["location"]) == f"/graphs?graph={name}"


def test_default_graph_is_the_union_and_writes_go_to_a_graph_of_its_own(
        live: tuple[httpx.Client, Store]) -> None:
    client, store = live
    for n, name in ((5, G), (6, G + "-2")):
        client.put("/graphs", params={"graph": name}, content=_note(n),
                   headers={**TTL, **ADMIN})
    union = Graph().parse(data=client.get("/graphs?default").text, format="turtle")
    assert {Literal("note 5"), Literal("note 6")} <= set(union.objects(None, RDFS.label))
    assert not set(union.subjects(RDF.type, DSKG.Description))  # provenance is not in it
    assert client.put("/graphs?default", content=_note(7),
                      headers={**TTL, **ADMIN}).status_code in (201, 204)
    own = URIRef("http://127.0.0.1:8000/graph/default")
    assert Literal("note 7") in set(store.get_graph(own).objects(None, RDFS.label))
    union = Graph().parse(data=client.get("/graphs?default").text, format="turtle")
    assert {Literal("note 5"), Literal("note 7")} <= set(union.objects(None, RDFS.label))
    assert client.get("/graphs").status_code == 400
    assert client.get("/graphs", params={"graph": G, "default": ""}).status_code == 400
    meta = quote("https://w3id.org/dskg/graph/meta", safe="")
    assert client.delete(f"/graphs?graph={meta}", headers=ADMIN).status_code == 403


def test_writes_are_validated(live: tuple[httpx.Client, Store]) -> None:
    client, store = live
    invalid = ("<https://example.org/o> a <http://www.w3.org/ns/org#Organization> ; "
               '<http://www.w3.org/2004/02/skos/core#prefLabel> "O" ; '
               '<https://w3id.org/dskg#country> "Spain" .')
    response = client.put("/graphs", params={"graph": G}, content=invalid,
                          headers={**TTL, **ADMIN})
    assert response.status_code == 422
    assert store.triple_count() == 0
    assert client.put("/graphs", params={"graph": G}, content="<a> <b>",
                      headers={**TTL, **ADMIN}).status_code == 400
