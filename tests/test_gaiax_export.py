"""Export: organisations and datasets as 22.10 credentials that our own verify accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from rdflib import Graph, URIRef

from harness import gaiax_factory as f
from kg.errors import ConfigError, NotFound
from kg.gaiax.export import ExportError, Signer, export_dataset, export_organisation
from kg.gaiax.importer import import_document
from kg.gaiax.trust import TrustStore, did_document
from kg.gaiax.verify import verify_document
from kg.namespaces import DSKG
from kg.store import Store
from kg.write import Origin

BASE = "http://127.0.0.1:8000/"
ORG = URIRef("https://w3id.org/dskg/id/organisation/acme")
BARE = URIRef("https://w3id.org/dskg/id/organisation/bare")
DATASET = URIRef("https://w3id.org/dskg/id/dataset/traffic")
GRAPH = f"""
@prefix dskg: <https://w3id.org/dskg#> . @prefix org: <http://www.w3.org/ns/org#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
<{ORG}> a org:Organization ; skos:prefLabel "ACME Datenraum GmbH"@de, "ACME Data Space"@en ;
    dskg:vatID "DE123456789" ; dskg:leiCode "{f.LEI}" ; dskg:countrySubdivisionCode "DE-BY" .
<{BARE}> a org:Organization ; skos:prefLabel "Bare" .
<{DATASET}> a dcat:Dataset ; dct:title "Traffic counts" ; dct:identifier "traffic-2025" ;
    dct:publisher <{ORG}> ;
    dcat:distribution [ a dcat:Distribution ;
        dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> ] ;
    odrl:hasPolicy <https://w3id.org/dskg/id/policy/traffic> .
<https://w3id.org/dskg/id/policy/traffic> a odrl:Offer ;
    odrl:permission [ odrl:action odrl:use ; odrl:target <{DATASET}> ] .
"""


@pytest.fixture
def graph_store(store: Store) -> Store:
    store.replace_graphs({URIRef("https://w3id.org/dskg/graph/acme"):
                          list(Graph().parse(data=GRAPH, format="turtle"))})
    return store


@pytest.fixture(scope="module")
def signing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Signer, Path]:
    folder = tmp_path_factory.mktemp("gaiax-signing")
    key = f.rsa_key()
    pem = folder / "key.pem"
    pem.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    signer = Signer.from_env({"DSKG_GAIAX_KEY": str(pem), "DSKG_GAIAX_DID": "did:web:node.example"})
    assert signer is not None
    trust = folder / "trust"
    trust.mkdir()
    (trust / "node.json").write_text(json.dumps(did_document(signer.did, key.public_key())))
    return signer, trust


def test_unsigned_participant_export_passes_our_shapes(graph_store: Store) -> None:
    vp = export_organisation(graph_store, ORG, base_iri=BASE)
    participant, registration, terms = vp["verifiableCredential"]
    subject = participant["credentialSubject"]
    assert subject["type"] == "gx:LegalParticipant"
    assert subject["gx:legalName"] == "ACME Data Space"
    assert subject["gx:headquarterAddress"] == {"gx:countrySubdivisionCode": "DE-BY"}
    assert registration["credentialSubject"]["gx:vatID"] == "DE123456789"
    assert registration["credentialSubject"]["gx:leiCode"] == f.LEI
    assert terms["credentialSubject"]["gx:termsAndConditions"] == f.TERMS_2210
    assert all("proof" not in c for c in vp["verifiableCredential"])
    assert verify_document(json.dumps(vp), TrustStore(), check_proof=False).valid


def test_dataset_export_is_a_service_offering(graph_store: Store) -> None:
    vp = export_dataset(graph_store, DATASET, base_iri=BASE)
    offering = vp["verifiableCredential"][-1]["credentialSubject"]
    assert offering["type"] == "gx:ServiceOffering"
    assert offering["gx:providedBy"]["id"] == (
        vp["verifiableCredential"][0]["credentialSubject"]["id"])
    assert offering["gx:policy"] == ["https://w3id.org/dskg/id/policy/traffic"]
    assert len(offering["gx:termsAndConditions"]["gx:hash"]) == 64
    assert offering["gx:dataAccountExport"]["gx:formatType"] == "text/csv"
    assert verify_document(json.dumps(vp), TrustStore(), check_proof=False).valid


def test_missing_facts_are_named(graph_store: Store) -> None:
    with pytest.raises(ExportError) as caught:
        export_organisation(graph_store, BARE, base_iri=BASE)
    assert "registration number" in caught.value.message
    assert "dskg:countrySubdivisionCode" in caught.value.message
    with pytest.raises(NotFound):
        export_organisation(graph_store, URIRef("https://nowhere.example/x"), base_iri=BASE)


def test_invalid_subdivision_in_the_graph_is_refused(graph_store: Store) -> None:
    graph_store.update(f'DELETE WHERE {{ GRAPH ?g {{ <{ORG}> <{DSKG.countrySubdivisionCode}> ?c '
                       f'}} }}; INSERT DATA {{ GRAPH <urn:x:g> {{ <{ORG}> '
                       f'<{DSKG.countrySubdivisionCode}> "DE-XX" }} }}')
    with pytest.raises(ExportError) as caught:
        export_organisation(graph_store, ORG, base_iri=BASE)
    assert "ISO 3166-2" in caught.value.message


def test_signed_export_round_trip(graph_store: Store, signing: tuple[Signer, Path]) -> None:
    signer, trust_dir = signing
    trust = TrustStore.from_directory(trust_dir)
    vp = export_dataset(graph_store, DATASET, base_iri=BASE, signer=signer)
    assert all(c["proof"]["verificationMethod"] == "did:web:node.example#JWK2020"
               for c in vp["verifiableCredential"])
    verification = verify_document(json.dumps(vp), trust)
    assert verification.valid, verification.to_text()
    result = import_document(graph_store, json.dumps(vp), trust, base_iri=BASE,
                             origin=Origin(agent="test"))
    linked = {(str(link.source), link.via) for link in result.links.linked}
    assert (str(ORG), "dskg:leiCode 529900T8BM49AURSDO55, dskg:vatID DE123456789") in linked
    assert (str(DATASET), "IRI, dct:identifier") in linked


def test_signer_configuration() -> None:
    assert Signer.from_env({}) is None
    with pytest.raises(ConfigError):
        Signer.from_env({"DSKG_GAIAX_DID": "did:web:x.example"})
    with pytest.raises(ConfigError):
        Signer.from_env({"DSKG_GAIAX_KEY": "/nonexistent.pem", "DSKG_GAIAX_DID": "did:web:x"})
