"""REST writes and reads per kind, over real HTTP (uvicorn on 127.0.0.1, httpx)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from harness.servers import serve_app
from kg.jsonld import DSKG_CONTEXT_URL, shipped_context
from kg.namespaces import DCT, DSKG, META_GRAPH, RDF, RDFS, SKOS
from kg.services.examples import EXAMPLE_IDS, JSONLD, TURTLE
from kg.store import Store
from kg.write import agent_iri, graph_iri_for
from tests.rest_support import (
    ADMIN,
    BASE,
    app_for,
    attributed_to,
    description_of,
    ecosystem_store,
)

KINDS = list(TURTLE)


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[httpx.Client, Store]]:
    store = ecosystem_store()
    with serve_app(app_for(store)) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client, store


def _parse_jsonld(text: str) -> Graph:
    """Re-parse our JSON-LD with rdflib, our context served locally (inlined)."""
    doc = json.loads(text)
    # The context is embedded (no client can resolve our context URL offline).
    assert doc["@context"] == shipped_context(DSKG_CONTEXT_URL)["@context"]
    return Graph().parse(data=json.dumps(doc), format="json-ld")


def _relabelled(kind: str, label: str) -> dict:
    """The JSON-LD example with the main node's label changed (and its IRI kept)."""
    doc = json.loads(json.dumps(JSONLD[kind]))
    main = doc["@graph"][0] if "@graph" in doc else doc
    if kind in ("datasets", "policies"):
        main["title"] = {"en": label}
    else:
        main["label"] = {"@value": label, "@language": "en"}
    return doc


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip(live: tuple[httpx.Client, Store], kind: str) -> None:
    client, store = live
    before = store.triple_count()
    created = client.post(f"/{kind}", content=TURTLE[kind],
                          headers={**ADMIN, "Content-Type": "text/turtle"})
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    assert location == f"/{kind}/{created.json()['id']}"
    if EXAMPLE_IDS[kind]:
        assert created.json()["id"] == EXAMPLE_IDS[kind]
    iri = URIRef(created.json()["@id"])
    assert str(iri).startswith(f"{BASE}id/")
    assert agent_iri("admin") in attributed_to(store, iri)

    listed = client.get(f"/{kind}", params={"limit": 1000}).json()
    assert created.json()["id"] in {item["id"] for item in listed["items"]}

    got = client.get(location, headers={"Accept": "application/ld+json"})
    assert got.status_code == 200 and got.headers["content-type"] == "application/ld+json"
    assert isomorphic(_parse_jsonld(got.text), description_of(store, iri))
    etag = got.headers["ETag"]
    assert etag == created.headers["ETag"]

    label = f"Renamed {kind}"
    replaced = client.put(location, json=_relabelled(kind, label),
                          headers={**ADMIN, "Content-Type": "application/ld+json",
                                   "If-Match": etag})
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["ETag"] == client.get(location).headers["ETag"] != etag
    turtle = Graph().parse(data=client.get(location, headers={"Accept": "text/turtle"}).text,
                           format="turtle")
    labels = {str(o) for p in (SKOS.prefLabel, DCT.title) for o in turtle.objects(iri, p)}
    assert labels == {label}
    old = client.get(location, headers={"If-None-Match": etag})
    assert old.status_code == 200  # the stale tag no longer matches

    stale = client.delete(location, headers={**ADMIN, "If-Match": etag})
    assert stale.status_code == 412
    fresh = client.get(location).headers["ETag"]
    assert client.delete(location, headers={**ADMIN, "If-Match": fresh}).status_code == 204
    assert client.get(location).status_code == 404
    # Only the deletion's tombstone (who, when, type, activity) stays behind.
    tombstone = store.query("SELECT ?p ?o WHERE { GRAPH ?meta { ?g ?p ?o } }",
                            {"meta": URIRef(META_GRAPH), "g": graph_iri_for(BASE, iri)})
    assert (RDF.type, DSKG.DeletedDescription) in {tuple(r) for r in tombstone.rows}
    assert store.triple_count() == before + len(tombstone.rows)


def test_json_ld_bodies_create_the_same_ids(live: tuple[httpx.Client, Store]) -> None:
    client, _ = live
    for kind in KINDS:
        response = client.post(f"/{kind}", json=JSONLD[kind],
                                headers={**ADMIN, "Content-Type": "application/ld+json"})
        assert response.status_code == 201, (kind, response.text)
        if EXAMPLE_IDS[kind]:
            assert response.json()["id"] == EXAMPLE_IDS[kind]
        assert client.delete(response.headers["Location"], headers=ADMIN).status_code == 204


def test_invalid_create_leaves_no_triple_behind(live: tuple[httpx.Client, Store]) -> None:
    client, store = live
    before = store.triple_count()
    body = TURTLE["datasets"].replace('dct:title "Soil moisture readings"@en ;', "")
    response = client.post("/datasets", content=body,
                           headers={**ADMIN, "Content-Type": "text/turtle"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["report"]["conforms"] is False
    assert any(r["path"] == str(DCT.title) for r in problem["report"]["results"])
    assert store.triple_count() == before


def test_concurrent_puts_with_one_stale_etag(live: tuple[httpx.Client, Store]) -> None:
    client, _ = live
    created = client.post("/organisations", content=TURTLE["organisations"],
                          headers={**ADMIN, "Content-Type": "text/turtle"})
    location = created.headers["Location"]
    etag = client.get(location).headers["ETag"]
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def put(label: str) -> None:
        barrier.wait()
        response = client.put(location, json=_relabelled("organisations", label),
                              headers={**ADMIN, "If-Match": etag})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=put, args=(f"Editor {n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412]
    graph = Graph().parse(data=client.get(location, headers={"Accept": "text/turtle"}).text)
    assert len(set(graph.objects(None, SKOS.prefLabel)) & {
        Literal("Editor 1", lang="en"), Literal("Editor 2", lang="en")}) == 1
    assert client.delete(location, headers=ADMIN).status_code == 204



def test_a_graph_store_put_keeps_the_resource_a_graph_describes(
        live: tuple[httpx.Client, Store]) -> None:
    """A description written again whole through the Graph Store Protocol still describes
    its resource, although its new shape points elsewhere: REST writes to it keep working."""
    client, store = live
    created = client.post("/datasets", content=TURTLE["datasets"],
                          headers={**ADMIN, "Content-Type": "text/turtle"})
    assert created.status_code == 201, created.text
    location, dataset = created.headers["Location"], URIRef(created.json()["@id"])
    graph_name = graph_iri_for(BASE, dataset)
    params = {"graph": str(graph_name)}
    text = client.get("/graphs", params=params, headers={"Accept": "application/n-triples"}).text
    # A node pointing at the dataset: by its shape alone, the graph would now describe it.
    note = (f"<https://example.org/note/gsp> <{RDF.type}> <{RDFS.Resource}> .\n"
            f"<https://example.org/note/gsp> <{RDFS.seeAlso}> <{dataset}> .\n")
    written = client.put("/graphs", params=params, content=text + note,
                         headers={**ADMIN, "Content-Type": "application/n-triples"})
    assert written.status_code == 204, written.text
    assert (graph_name, DSKG.describes, dataset) in store.get_graph(URIRef(META_GRAPH))
    relabelled = client.put(location, json=_relabelled("datasets", "Described after"),
                            headers=ADMIN)
    assert relabelled.status_code == 200, relabelled.text
    assert client.delete(location, headers=ADMIN).status_code == 204
