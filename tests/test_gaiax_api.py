"""REST: POST /gaiax/credentials, POST /gaiax/verify, GET /organisations|datasets/{id}/gaiax."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef

from harness import gaiax_factory as f
from kg.gaiax.proof import sign_jwt
from kg.namespaces import DSKG
from kg.store import Store

ORG = "https://w3id.org/dskg/id/organisation/provider-example"
DATASET = "https://w3id.org/dskg/id/dataset/air-quality"
GRAPH = f"""
@prefix dskg: <https://w3id.org/dskg#> . @prefix org: <http://www.w3.org/ns/org#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
<{ORG}> a org:Organization ; skos:prefLabel "Provider Example" ; dskg:vatID "{f.VAT}" ;
    dskg:countrySubdivisionCode "BE-BRU" .
<{DATASET}> a dcat:Dataset ; dct:title "Air quality" ; dct:identifier "air-quality-2024" ;
    dct:publisher <{ORG}> ; odrl:hasPolicy <https://w3id.org/dskg/id/policy/air> .
<https://w3id.org/dskg/id/policy/air> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ] .
"""


@pytest.fixture(scope="module")
def issuer() -> f.Issuer:
    return f.Issuer(f.rsa_key())


@pytest.fixture
def api(client: TestClient, store: Store, tmp_path: Path, issuer: f.Issuer,
        monkeypatch: pytest.MonkeyPatch) -> TestClient:
    store.replace_graphs({URIRef("urn:test:graph"): list(Graph().parse(data=GRAPH,
                                                                       format="turtle"))})
    issuer.write(tmp_path)
    monkeypatch.setenv("DSKG_GAIAX_TRUST_DIR", str(tmp_path))
    monkeypatch.delenv("DSKG_GAIAX_KEY", raising=False)
    monkeypatch.delenv("DSKG_GAIAX_DID", raising=False)
    return client


def test_verify_stores_nothing(api: TestClient, store: Store, issuer: f.Issuer) -> None:
    before = store.triple_count()
    body = json.dumps(issuer.sign(f.terms()))
    answer = api.post("/gaiax/verify", content=body,
                      headers={"Content-Type": "application/ld+json"})
    assert answer.status_code == 200 and answer.json()["valid"] is True
    draft = api.post("/gaiax/verify?proof=false", content=json.dumps(f.terms()))
    assert draft.json()["valid"] is True
    tampered = api.post("/gaiax/verify", content=json.dumps(f.tamper(issuer.sign(f.terms()))))
    assert tampered.status_code == 200 and tampered.json()["valid"] is False
    assert store.triple_count() == before


def test_import_needs_a_token(api: TestClient, issuer: f.Issuer) -> None:
    answer = api.post("/gaiax/credentials", content=json.dumps(issuer.sign(f.terms())))
    assert answer.status_code == 401


def test_import_links_and_refuses(api: TestClient, store: Store, issuer: f.Issuer,
                                  admin: dict[str, str]) -> None:
    vp = f.presentation(issuer.sign(f.participant()), issuer.sign(f.registration()),
                        issuer.sign(f.service_offering()))
    answer = api.post("/gaiax/credentials", content=json.dumps(vp),
                      headers={**admin, "Content-Type": "application/ld+json"})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert {(link["node"], link["via"]) for link in body["linked"]} == {
        (ORG, "dskg:vatID BE0762747721"), (DATASET, "dct:identifier")}
    assert len(body["graphs"]) == 3
    links = store.query("SELECT ?s WHERE { ?s ?p ?o }", {"p": DSKG.selfDescription}).rows
    assert len(links) == 2
    before = store.triple_count()
    refused = api.post("/gaiax/credentials", content=json.dumps(f.tamper(
        issuer.sign(f.terms("https://other.example")))), headers=admin)
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["valid"] is False and "proof step failed" in problem["detail"]
    assert store.triple_count() == before
    unreadable = api.post("/gaiax/credentials", content=b"garbage", headers=admin)
    assert unreadable.status_code == 400


def test_import_vc_jwt_body(api: TestClient, tmp_path: Path, admin: dict[str, str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    signer = f.Issuer(f.ec_key())
    signer.write(tmp_path)
    token = sign_jwt(f.legal_person(), signer.key, signer.method)
    answer = api.post("/gaiax/credentials", content=token,
                      headers={**admin, "Content-Type": "application/vc+jwt"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["linked"][0]["node"] == ORG


def test_export_routes(api: TestClient) -> None:
    organisation = api.get("/organisations/provider-example/gaiax")
    assert organisation.status_code == 200, organisation.text
    assert organisation.headers["content-type"].startswith("application/ld+json")
    types = [c["credentialSubject"]["type"] for c in organisation.json()["verifiableCredential"]]
    assert types == ["gx:LegalParticipant", "gx:legalRegistrationNumber",
                     "gx:GaiaXTermsAndConditions"]
    dataset = api.get("/datasets/air-quality/gaiax")
    assert dataset.status_code == 200, dataset.text
    assert dataset.json()["verifiableCredential"][-1]["credentialSubject"]["type"] == (
        "gx:ServiceOffering")
    assert api.get("/organisations/nobody/gaiax").status_code == 404
