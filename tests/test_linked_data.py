"""Linked Data: content negotiation, JSON-LD that re-parses to the same graph, dereferencing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from api.web.templates import resource_html
from kg.jsonld import DSKG_CONTEXT_URL, shipped_context
from kg.namespaces import DCAT, RDF
from kg.services.context import ServiceContext
from kg.services.documents import compact_jsonld, graph_etag
from kg.services.examples import TURTLE
from kg.services.ids import IdMapper
from kg.services.kinds import KINDS
from kg.services.resources import get_resource, resource_view
from kg.store import Store
from tests.rest_support import ADMIN, BASE, app_for, description_of, ecosystem_store, settings

FORMATS = {"text/turtle": "turtle", "application/n-triples": "nt",
           "application/rdf+xml": "xml"}


@pytest.fixture(scope="module")
def env() -> Iterator[tuple[TestClient, Store]]:
    store = ecosystem_store()
    with TestClient(app_for(store)) as client:
        yield client, store


def parse_jsonld(text: str) -> Graph:
    doc = json.loads(text)
    # The context is embedded (no client can resolve our context URL offline).
    assert doc["@context"] == shipped_context(DSKG_CONTEXT_URL)["@context"]
    return Graph().parse(data=json.dumps(doc), format="json-ld")


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_format_says_the_same(env: tuple[TestClient, Store], kind: str) -> None:
    client, _ = env
    for item in client.get(f"/{kind}", params={"limit": 3}).json()["items"]:
        response = client.get(item["href"], headers={"Accept": "application/ld+json"})
        assert response.status_code == 200
        graph = parse_jsonld(response.text)
        assert (URIRef(item["@id"]), None, None) in graph
        for media, fmt in FORMATS.items():
            other = client.get(item["href"], headers={"Accept": media})
            assert other.headers["content-type"].startswith(media)
            assert isomorphic(graph, Graph().parse(data=other.text, format=fmt)), (kind, media)
        tags = {client.get(item["href"], headers={"Accept": m}).headers["ETag"]
                for m in FORMATS}
        assert len(tags) == len(FORMATS)  # one strong tag per representation


def test_json_ld_is_compact_and_nests_blank_nodes(env: tuple[TestClient, Store]) -> None:
    client, store = env
    text = client.get("/datasets/eurostat-digital-skills").text
    doc = json.loads(text)
    nodes = doc["@graph"]
    assert nodes[0]["id"] == "https://w3id.org/dskg/id/dataset/eurostat-digital-skills"
    assert nodes[0]["type"] == "Dataset"
    assert not any(n["id"].startswith("_:") for n in nodes)  # each nested where it is used
    graph = description_of(store, URIRef(nodes[0]["id"]))
    assert isomorphic(parse_jsonld(text), graph)


def test_nested_blank_node_cycles_survive() -> None:
    data = """@prefix ex: <https://example.org/> .
    ex:a ex:p _:x . _:x ex:q _:y . _:y ex:q _:x . _:z ex:r _:z . ex:a ex:s [ ex:t [ ex:u 1 ] ] ."""
    graph = Graph().parse(data=data, format="turtle")
    assert isomorphic(parse_jsonld(json.dumps(compact_jsonld(graph))), graph)
    assert graph_etag(graph) == graph_etag(Graph().parse(data=data, format="turtle"))


def test_html_page_names_and_links(env: tuple[TestClient, Store]) -> None:
    client, store = env
    page = client.get("/dataspaces/agdatahub", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Agdatahub data ecosystem" in page.text
    # the HTML representation the resource routes call
    ctx = ServiceContext(store, settings())
    document = get_resource(ctx, KINDS["dataspaces"], "agdatahub")
    plain = resource_html(ctx, resource_view(ctx, document))
    assert "<h1>Agdatahub data ecosystem</h1>" in plain
    assert 'href="/organisations/agdatahub"' in plain
    turtle = client.get("/dataspaces/agdatahub?format=ttl")
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert client.get("/dataspaces/agdatahub", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/dataspaces/agdatahub?format=pdf").status_code == 400


def test_plain_page_escapes_what_it_shows(env: tuple[TestClient, Store]) -> None:
    client, store = env
    body = TURTLE["memberships"].replace("The GovLab as data consumer in Agdatahub",
                                         "<script>alert(1)</script>")
    created = client.post("/memberships", content=body,
                          headers={"Content-Type": "text/turtle", **ADMIN})
    assert created.status_code == 201
    ctx = ServiceContext(store, settings())
    document = get_resource(ctx, KINDS["memberships"], created.json()["id"])
    plain = resource_html(ctx, resource_view(ctx, document))
    assert "<script>alert" not in plain and "&lt;script&gt;alert(1)" in plain


def test_conditional_get(env: tuple[TestClient, Store]) -> None:
    client, _ = env
    first = client.get("/organisations/agdatahub")
    again = client.get("/organisations/agdatahub", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
    head = client.head("/organisations/agdatahub")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["ETag"] == first.headers["ETag"]


def test_etags_ignore_blank_node_labels() -> None:
    text = """@prefix ex: <https://example.org/> .
    ex:p ex:permission [ ex:action ex:use ; ex:constraint [ ex:left ex:purpose ] ] ,
                       [ ex:action ex:read ] ."""
    one, two = (Graph().parse(data=text, format="turtle") for _ in range(2))
    assert set(one.all_nodes()) != set(two.all_nodes())  # different blank-node labels
    assert graph_etag(one) == graph_etag(two)
    changed = Graph().parse(data=text.replace("ex:read", "ex:write"), format="turtle")
    assert graph_etag(changed) != graph_etag(one)


def test_minted_iris_dereference(env: tuple[TestClient, Store]) -> None:
    client, _ = env
    created = client.post("/datasets", content=TURTLE["datasets"],
                          headers={"Content-Type": "text/turtle", **ADMIN})
    iri = created.json()["@id"]
    assert iri == f"{BASE}id/dataset/soil-moisture-readings"
    path = iri.removeprefix(BASE.rstrip("/"))
    see_other = client.get(path, follow_redirects=False)
    assert see_other.status_code == 303
    assert see_other.headers["location"] == "/datasets/soil-moisture-readings"
    followed = client.get(path, headers={"Accept": "text/turtle"})
    assert (URIRef(iri), RDF.type, DCAT.Dataset) in Graph().parse(data=followed.text)
    # a node without a REST collection (the distribution) is served by /resource
    dist = client.get("/id/distribution/soil-moisture-readings-csv", follow_redirects=False)
    assert dist.status_code == 303 and dist.headers["location"].startswith("/resource?iri=")
    assert client.get(dist.headers["location"],
                      headers={"Accept": "text/turtle"}).status_code == 200
    assert client.get("/id/dataset/nothing-here").status_code == 404


def test_default_graph_iris_map_to_rest_ids(env: tuple[TestClient, Store]) -> None:
    client, _ = env
    iri = "https://w3id.org/dskg/id/dataspace/agdatahub"
    response = client.get(f"/resource?iri={quote(iri, safe='')}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/dataspaces/agdatahub"
    law = client.get("/resource", params={"iri": "https://w3id.org/dskg/id/framework/gdpr"},
                     headers={"Accept": "text/turtle"})
    assert law.status_code == 200 and "General Data Protection Regulation" in law.text
    assert client.get("/resource", params={"iri": "not an iri"}).status_code == 400


def test_foreign_iris_get_encoded_ids(env: tuple[TestClient, Store]) -> None:
    client, _ = env
    body = TURTLE["memberships"].replace("[]", "<https://partner.example/memberships/42>")
    created = client.post("/memberships", content=body,
                          headers={"Content-Type": "text/turtle", **ADMIN})
    assert created.status_code == 201
    resource_id = created.json()["id"]
    assert resource_id.startswith("~")
    mapper = IdMapper(BASE)
    assert mapper.candidates(resource_id, KINDS["memberships"]) == [
        URIRef("https://partner.example/memberships/42")]
    assert client.get(f"/memberships/{resource_id}").status_code == 200
    for bogus in ("~!!", "~" + "A" * 7, "a/b", "-x"):
        assert client.get(f"/memberships/{quote(bogus, safe='')}").status_code == 404
