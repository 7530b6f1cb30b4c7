"""Import of Gaia-X Loire credentials: stored as received, mapped into the graph (organisation,
dcat:DataService, dcat:Dataset, odrl:Offer) and linked by registration number."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef

from harness import gaiax_factory as f
from kg.gaiax.importer import CredentialRejectedError, import_document
from kg.gaiax.trust import TrustStore
from kg.namespaces import DCAT, DCT, DSKG, ODRL, ORG, RDF, SKOS
from kg.store import Store
from kg.write import Origin

BASE = "http://127.0.0.1:8000/"
B = f.LOIRE_BASE
UNIVERSITY = "did:web:university.example"
NOTARY = "did:web:notary.example"
LP = URIRef(f"{B}/legal-person.json#cs")
SO = URIRef(f"{B}/service-offering.json#cs")
DR = URIRef(f"{B}/data-resource.json#cs")
OFFER = URIRef(f"{B}/policy/offer-1")
EXISTING = URIRef("https://w3id.org/dskg/id/organisation/example-university")
ORIGIN = Origin(agent="test", source="test")


@pytest.fixture(scope="module")
def university() -> f.Issuer:
    return f.Issuer(f.ec_key(), did=UNIVERSITY, fragment="key-1")


@pytest.fixture(scope="module")
def notary() -> f.Issuer:
    return f.Issuer(f.ed_key(), did=NOTARY)


@pytest.fixture
def trust(tmp_path: Path, university: f.Issuer, notary: f.Issuer) -> TrustStore:
    university.write(tmp_path)
    notary.write(tmp_path)
    return TrustStore.from_directory(tmp_path)


def presentation(university: f.Issuer, notary: f.Issuer, kind: str = "vat") -> str:
    tokens = [f.loire_jwt(f.loire_legal_person(issuer=UNIVERSITY), university),
              f.loire_jwt(f.loire_registration(kind=kind, issuer=NOTARY), notary),
              f.loire_jwt(f.loire_terms(issuer=UNIVERSITY), university),
              f.loire_jwt(f.loire_service_offering(issuer=UNIVERSITY), university),
              f.loire_jwt(f.loire_data_resource(issuer=UNIVERSITY), university)]
    return f.loire_presentation(tokens, university)


def ask(store: Store, query: str) -> bool:
    return bool(store.query(f"ASK {{ GRAPH ?g {{ {query} }} }}").boolean)


def test_new_organisation_service_dataset_and_offer(store: Store, university: f.Issuer,
                                                    notary: f.Issuer, trust: TrustStore) -> None:
    result = import_document(store, presentation(university, notary), trust, base_iri=BASE,
                             origin=ORIGIN)
    assert result.imported and len(result.graphs) == 5
    assert ask(store, f"<{LP}> a <{ORG.Organization}> ; <{SKOS.prefLabel}> "
                      f'"Example University" ; <{DSKG.vatID}> "{f.VAT}"')
    assert ask(store, f'<{LP}> <{DSKG.gaiaxTermsAndConditions}> "{f.GAIAX_TC_HASH}"')
    assert ask(store, f'<{SO}> a <{DCAT.DataService}> ; <{DCT.title}> "Air quality API" ; '
                      f"<{DCT.publisher}> <{LP}> ; <{DCAT.servesDataset}> <{DR}> ; "
                      f"<{ODRL.hasPolicy}> <{OFFER}>")
    assert ask(store, f'<{DR}> a <{DCAT.Dataset}> ; <{DCT.title}> "Air quality 2024" ; '
                      f"<{DCT.publisher}> <{LP}>")
    assert ask(store, f"<{DR}> <{ODRL.hasPolicy}> <{OFFER}>")
    assert ask(store, f"<{OFFER}> a <{ODRL.Offer}> ; <{ODRL.permission}> ?rule . "
                      f"?rule <{ODRL.target}> <{DR}> ; <{ODRL.action}> <{ODRL.use}>")
    # the credentials stay as received, in their own graphs
    assert ask(store, f"?vc <https://www.w3.org/2018/credentials#credentialSubject> <{SO}>")


@pytest.mark.parametrize(("kind", "prop", "value"), [
    ("vat", DSKG.vatID, "BE 0762.747.721"), ("lei", DSKG.leiCode, f.LEI),
    ("eori", DSKG.eori, "BE0762747721"), ("euid", DSKG.euid, "BEKBOBCE.0762747721"),
    ("local", DSKG.localRegistrationNumber, "0762747721"),
])
def test_linked_to_the_organisation_with_the_same_number(
        store: Store, university: f.Issuer, notary: f.Issuer, trust: TrustStore, kind: str,
        prop: URIRef, value: str) -> None:
    store.replace_graphs({URIRef("https://w3id.org/dskg/graph/orgs"): [
        (EXISTING, RDF.type, ORG.Organization), (EXISTING, SKOS.prefLabel, Literal("EU")),
        (EXISTING, prop, Literal(value))]})
    result = import_document(store, presentation(university, notary, kind), trust,
                             base_iri=BASE, origin=ORIGIN)
    assert [(str(link.source), str(link.target)) for link in result.links.linked] == [
        (str(EXISTING), str(LP))]
    assert ask(store, f"<{EXISTING}> <{DSKG.selfDescription}> <{LP}>")
    assert not ask(store, f"<{LP}> a <{ORG.Organization}>")  # no duplicate organisation
    assert ask(store, f"<{SO}> <{DCT.publisher}> <{EXISTING}>")
    assert ask(store, f"<{LP}> <{DSKG.gaiaxTermsAndConditions}> ?hash")


def test_resource_matching_a_dataset_is_linked_not_duplicated(
        store: Store, university: f.Issuer, notary: f.Issuer, trust: TrustStore) -> None:
    dataset = URIRef("https://w3id.org/dskg/id/dataset/air-quality")
    data = Graph()
    data.add((dataset, RDF.type, DCAT.Dataset))
    data.add((dataset, DCT.identifier, Literal("air-quality-2024")))
    data.add((dataset, DCT.title, Literal("Air quality")))
    store.replace_graphs({URIRef("https://w3id.org/dskg/graph/ds"): list(data)})
    import_document(store, presentation(university, notary), trust, base_iri=BASE,
                    origin=ORIGIN)
    assert ask(store, f"<{dataset}> <{DSKG.selfDescription}> <{DR}>")
    assert not ask(store, f"<{DR}> a <{DCAT.Dataset}>")
    assert ask(store, f"<{SO}> <{DCAT.servesDataset}> <{dataset}>")
    assert ask(store, f"<{DR}> <{ODRL.hasPolicy}> <{OFFER}>")


def test_tampered_presentation_stores_nothing(store: Store, university: f.Issuer,
                                              notary: f.Issuer, trust: TrustStore) -> None:
    before = store.triple_count()
    stranger = f.Issuer(f.ec_key(), did=UNIVERSITY, fragment="key-1")
    tokens = [f.loire_jwt(f.loire_legal_person(issuer=UNIVERSITY), university),
              f.loire_jwt(f.loire_service_offering(issuer=UNIVERSITY), stranger)]
    with pytest.raises(CredentialRejectedError) as caught:
        import_document(store, f.loire_presentation(tokens, university), trust,
                        base_iri=BASE, origin=ORIGIN)
    assert "proof step failed" in caught.value.message
    assert store.triple_count() == before


def test_rest_and_cli_accept_loire(client: TestClient, store: Store, tmp_path: Path,
                                   university: f.Issuer, notary: f.Issuer,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    trust_dir = tmp_path / "trust"
    trust_dir.mkdir()
    university.write(trust_dir)
    notary.write(trust_dir)
    monkeypatch.setenv("DSKG_GAIAX_TRUST_DIR", str(trust_dir))
    body = presentation(university, notary)
    answer = client.post("/gaiax/verify", content=body,
                         headers={"Content-Type": "application/vp+jwt"})
    assert answer.status_code == 200 and answer.json()["valid"] is True
    steps = [c["step"] for c in answer.json()["checks"]
             if c["credential"] == f"{B}/legal-person.json"]
    assert steps == ["envelope", "proof", "parse", "shapes", "rules"]
    page = client.post("/ui/gaiax", data={"data": body}).text
    assert "Envelope and dates" in page and "This node&#39;s extra rules" in page

    from typer.testing import CliRunner

    from kg.cli import app
    file = tmp_path / "vp.jwt"
    file.write_text(body)
    outcome = CliRunner().invoke(app, ["gaiax", "verify", str(file), "--trust", str(trust_dir),
                                       "--format", "json"])
    assert outcome.exit_code == 0, outcome.output
    assert '"valid": true' in outcome.output
