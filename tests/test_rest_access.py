"""Who may write what: tokens, stewards' data spaces, references and cascades, provenance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import URIRef

from kg.services.examples import TURTLE
from kg.store import Store
from kg.write import graph_iri_for
from tests.rest_support import (
    ADMIN,
    BASE,
    agent_of,
    app_for,
    attributed_to,
    ecosystem_store,
    steward_token,
)

TTL = {"Content-Type": "text/turtle"}


@pytest.fixture
def env() -> Iterator[tuple[TestClient, Store]]:
    store = ecosystem_store()
    with TestClient(app_for(store)) as client:
        yield client, store


def test_writes_need_a_token(env: tuple[TestClient, Store]) -> None:
    client, store = env
    before = store.triple_count()
    response = client.post("/datasets", content=TURTLE["datasets"], headers=TTL)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.delete("/datasets/agdatahub-farm-data").status_code == 401
    assert client.put("/organisations/agdatahub", content=TURTLE["organisations"],
                      headers={**TTL, "Authorization": "Bearer wrong"}).status_code == 401
    assert store.triple_count() == before


def test_a_write_without_a_token_is_refused_before_its_body_is_read() -> None:
    from dataclasses import replace

    from api.app import create_app
    from tests.rest_support import settings

    app = create_app(replace(settings(), max_body_bytes=1000), ecosystem_store())
    with TestClient(app) as client:
        big = TURTLE["datasets"] + "\n#" + "x" * 5000
        # Without a token: 401, not 413 (the size is the business of authorised writers).
        assert client.post("/datasets", content=big, headers=TTL).status_code == 401
        assert client.put("/datasets/agdatahub-farm-data", content=big,
                          headers=TTL).status_code == 401
        assert client.post("/datasets", content=big,
                           headers={**TTL, **ADMIN}).status_code == 413


def test_a_reader_cannot_write(env: tuple[TestClient, Store], tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = env
    reader = steward_token(tmp_path / "tokens.json", monkeypatch, role="reader",
                           subject="reader")
    response = client.post("/memberships", content=TURTLE["memberships"],
                           headers={**TTL, **reader})
    assert response.status_code == 403


def test_steward_writes_in_their_data_space_only(env: tuple[TestClient, Store], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    client, store = env
    tokens = tmp_path / "tokens.json"
    agdatahub = steward_token(tokens, monkeypatch, "agdatahub", subject="alice")
    skills = steward_token(tokens, monkeypatch, "ds4skills", subject="bob")

    refused = client.post("/datasets", content=TURTLE["datasets"], headers={**TTL, **skills})
    assert refused.status_code == 403
    assert "agdatahub" in refused.json()["detail"]

    created = client.post("/datasets", content=TURTLE["datasets"], headers={**TTL, **agdatahub})
    assert created.status_code == 201, created.text
    iri = URIRef(created.json()["@id"])
    assert attributed_to(store, iri) == {agent_of(agdatahub)}
    assert "alice" not in str(attributed_to(store, iri))  # readers see no token subject

    # A dataset of another data space (the skills data space lists it in its catalog).
    other = client.get("/datasets/eurostat-digital-skills", headers={"Accept": "text/turtle"})
    assert other.status_code == 200
    assert client.delete("/datasets/eurostat-digital-skills",
                         headers=agdatahub).status_code == 403
    # Moving one's own dataset into another data space is refused too.
    moved = TURTLE["datasets"].replace("catalog/agdatahub", "catalog/ds4skills")
    assert client.put(created.headers["Location"], content=moved,
                      headers={**TTL, **agdatahub}).status_code == 403
    assert client.delete(created.headers["Location"], headers=agdatahub).status_code == 204


def test_steward_adds_an_organisation_by_its_membership(
        env: tuple[TestClient, Store], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = env
    steward = steward_token(tmp_path / "tokens.json", monkeypatch,
                            "https://w3id.org/dskg/id/dataspace/agdatahub", subject="carol")
    response = client.post("/organisations", content=TURTLE["organisations"],
                           headers={**TTL, **steward})
    assert response.status_code == 201, response.text
    alone = TURTLE["organisations"].split("[] a org:Membership")[0].replace(
        "cooperativa-agricola-ejemplo", "another-cooperative")
    assert client.post("/organisations", content=alone,
                       headers={**TTL, **steward}).status_code == 403
    assert client.post("/organisations", content=alone,
                       headers={**TTL, **ADMIN}).status_code == 201


def test_delete_refuses_while_referenced_and_cascades(env: tuple[TestClient, Store]) -> None:
    client, store = env
    org = """@prefix org: <http://www.w3.org/ns/org#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix dskg: <https://w3id.org/dskg#> .
<lonely-lab> a org:Organization ; skos:prefLabel "Lonely Lab" ; foaf:name "Lonely Lab" ;
    dskg:country "FR" ."""
    assert client.post("/organisations", content=org, headers={**TTL, **ADMIN}).status_code == 201
    lab = f"{BASE}id/organisation/lonely-lab"
    membership = TURTLE["memberships"].replace(
        "https://w3id.org/dskg/id/organisation/the-govlab", lab)
    joined = client.post("/memberships", content=membership, headers={**TTL, **ADMIN})
    assert joined.status_code == 201
    before = store.triple_count()

    blocked = client.delete("/organisations/lonely-lab", headers=ADMIN)
    assert blocked.status_code == 409
    assert blocked.json()["referencedBy"] == [str(graph_iri_for(BASE, URIRef(
        joined.json()["@id"])))]
    assert store.triple_count() == before

    assert client.delete("/organisations/lonely-lab?cascade=true",
                         headers=ADMIN).status_code == 204
    assert client.get(joined.headers["Location"]).status_code == 404
    assert client.get("/organisations/lonely-lab").status_code == 404


def test_cascade_stops_at_descriptions_that_do_not_depend(env: tuple[TestClient, Store]) -> None:
    client, store = env
    before = store.triple_count()
    response = client.delete("/organisations/agdatahub?cascade=true", headers=ADMIN)
    assert response.status_code == 409
    assert f"{BASE}graph/dataspace/agdatahub" in response.json()["referencedBy"]
    assert store.triple_count() == before


def test_embedded_resources_are_changed_through_their_description(
        env: tuple[TestClient, Store]) -> None:
    client, _ = env
    offer = client.get("/policies/offer-eurostat-digital-skills",
                       headers={"Accept": "text/turtle"})
    assert offer.status_code == 200
    assert "offer-eurostat-digital-skills" in offer.text
    assert "dcat:distribution" not in offer.text  # the dataset itself is not part of it
    response = client.put("/policies/offer-eurostat-digital-skills", content=TURTLE["policies"],
                          headers={**TTL, **ADMIN})
    assert response.status_code == 409
    assert response.json()["graph"] == f"{BASE}graph/dataset/eurostat-digital-skills"


def test_put_cannot_rename(env: tuple[TestClient, Store]) -> None:
    client, _ = env
    first = client.get("/memberships", params={"dataspace": "agdatahub"}).json()["items"][0]
    response = client.put(first["href"],
                          content=TURTLE["memberships"].replace("[]", "<elsewhere>"),
                          headers={**TTL, **ADMIN})
    assert response.status_code == 400
    assert "cannot change" in response.json()["detail"]


def test_bad_bodies(env: tuple[TestClient, Store]) -> None:
    client, store = env
    before = store.triple_count()
    broken = client.post("/organisations", content="<a> <b> .",
                         headers={**TTL, **ADMIN})
    assert broken.status_code == 400 and broken.json()["line"] == 1
    assert client.post("/organisations", content="x", headers={
        "Content-Type": "image/png", **ADMIN}).status_code == 415
    assert client.post("/organisations", content=TURTLE["memberships"],
                       headers={**TTL, **ADMIN}).status_code == 400
    duplicate = client.post("/dataspaces", content=TURTLE["dataspaces"].replace(
        "<olive-oil-data-space>", "<https://w3id.org/dskg/id/dataspace/agdatahub>"),
        headers={**TTL, **ADMIN})
    assert duplicate.status_code == 409
    assert store.triple_count() == before
