"""Import: one named graph per credential, provenance, links, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from harness import gaiax_factory as f
from kg.errors import ParseError
from kg.gaiax.importer import CredentialRejectedError, import_document, import_inputs
from kg.gaiax.trust import TrustStore
from kg.namespaces import DSKG, META_GRAPH
from kg.store import Store
from kg.write import Origin

BASE = "http://127.0.0.1:8000/"
ORG = URIRef("https://w3id.org/dskg/id/organisation/provider-example")
OTHER = URIRef("https://w3id.org/dskg/id/organisation/someone-else")
DATASET = URIRef("https://w3id.org/dskg/id/dataset/air-quality")
ORGS = f"""
@prefix dskg: <https://w3id.org/dskg#> . @prefix org: <http://www.w3.org/ns/org#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
<{ORG}> a org:Organization ; skos:prefLabel "Provider Example" ; dskg:vatID "BE 0762.747.721" .
<{DATASET}> a dcat:Dataset ; dct:title "Air quality" ; dct:identifier "air-quality-2024" ;
    dct:publisher <{ORG}> .
"""


@pytest.fixture(scope="module")
def issuer() -> f.Issuer:
    return f.Issuer(f.rsa_key())


@pytest.fixture
def trust(tmp_path: Path, issuer: f.Issuer) -> TrustStore:
    issuer.write(tmp_path)
    return TrustStore.from_directory(tmp_path)


@pytest.fixture
def graph_store(store: Store) -> Store:
    data = Graph().parse(data=ORGS, format="turtle")
    store.replace_graphs({URIRef("https://w3id.org/dskg/graph/orgs"): list(data)})
    return store


def _import(store: Store, trust: TrustStore, document: dict | str):
    data = document if isinstance(document, str) else json.dumps(document)
    return import_document(store, data, trust, base_iri=BASE, origin=Origin(agent="test"))


def _links(store: Store) -> set[tuple[str, str]]:
    rows = store.query("SELECT ?s ?o WHERE { ?s ?p ?o }", {"p": DSKG.selfDescription}).rows
    return {(str(s), str(o)) for s, o in rows}


def test_participant_imported_and_linked(graph_store: Store, trust: TrustStore,
                                         issuer: f.Issuer) -> None:
    vp = f.presentation(*(issuer.sign(c) for c in (f.participant(), f.registration(),
                                                   f.terms())))
    result = _import(graph_store, trust, vp)
    assert len(result.graphs) == 3
    assert all(graph_store.has_graph(g) for g in result.graphs)
    assert _links(graph_store) == {(str(ORG), "https://provider.example/gx/participant.json#cs")}
    assert result.links.linked[0].via == "dskg:vatID BE0762747721"
    # the graph holds the credential as received, proof included
    participant = graph_store.get_graph(result.graphs[0])
    jws_values = list(participant.objects(None, URIRef("https://w3id.org/security#jws")))
    assert len(jws_values) == 1
    # provenance: the original JSON and the verification report
    original = graph_store.query(
        "SELECT ?o WHERE { GRAPH ?m { ?g ?p ?o } }",
        {"m": URIRef(META_GRAPH), "g": result.graphs[0], "p": DSKG.originalDocument}).rows
    assert json.loads(str(original[0][0]))["id"] == "https://provider.example/gx/participant.json"
    report = graph_store.query(
        "SELECT ?o WHERE { GRAPH ?m { ?g ?p ?o } }",
        {"m": URIRef(META_GRAPH), "g": result.graphs[0], "p": DSKG.verificationReport}).rows
    assert [c["step"] for c in json.loads(str(report[0][0]))] == ["parse", "envelope", "proof",
                                                                  "shapes", "rules"]


def test_service_offering_links_to_dataset(graph_store: Store, trust: TrustStore,
                                           issuer: f.Issuer) -> None:
    _import(graph_store, trust, f.presentation(issuer.sign(f.participant()),
                                               issuer.sign(f.registration())))
    # the provider is now in the store: the offering alone passes the shapes
    result = _import(graph_store, trust, issuer.sign(f.service_offering()))
    assert (str(DATASET), "https://provider.example/gx/so.json#cs") in _links(graph_store)
    assert result.links.linked[0].via == "dct:identifier"


def test_offering_without_its_provider_is_refused(graph_store: Store, trust: TrustStore,
                                                  issuer: f.Issuer) -> None:
    with pytest.raises(CredentialRejectedError) as caught:
        _import(graph_store, trust, issuer.sign(f.service_offering()))
    assert "gx2210:providedBy" in caught.value.message
    assert caught.value.status == 422


def test_unmatched_and_conflicts(graph_store: Store, trust: TrustStore,
                                 issuer: f.Issuer) -> None:
    unmatched = _import(graph_store, trust, f.presentation(
        issuer.sign(f.participant()), issuer.sign(f.registration(**{"gx:vatID": "FR12345678901"}))))
    assert unmatched.links.linked == []
    assert "no organisation has dskg:vatID FR12345678901" in unmatched.links.unmatched[0]
    graph_store.update(f'INSERT DATA {{ GRAPH <urn:x:g> {{ <{ORG}> <{DSKG.leiCode}> "{f.LEI}" . '
                       f'<{OTHER}> <{DSKG.leiCode}> "{f.LEI}" }} }}')
    base = "https://second.example/gx"
    conflict = _import(graph_store, trust, f.presentation(
        issuer.sign(f.participant(base)),
        issuer.sign(f.registration(base, **{"gx:leiCode": f.LEI}))))
    assert conflict.links.linked == []
    assert "2 organisations" in conflict.links.conflicts[0]
    assert str(OTHER) in conflict.links.conflicts[0]


def test_presentation_is_all_or_nothing(graph_store: Store, trust: TrustStore,
                                        issuer: f.Issuer) -> None:
    credentials = [issuer.sign(c) for c in (f.participant(), f.registration(), f.terms())]
    before = set(graph_store.graph_names()) | {URIRef(META_GRAPH)}
    expired = issuer.sign({**f.terms(), "expirationDate": "2001-01-01T00:00:00Z"})
    broken = f.presentation(credentials[0], credentials[1], expired)
    with pytest.raises(CredentialRejectedError) as caught:
        _import(graph_store, trust, broken)
    assert "envelope step failed" in caught.value.message
    assert set(graph_store.graph_names()) <= before
    assert _links(graph_store) == set()
    result = _import(graph_store, trust, f.presentation(*credentials))
    assert len(set(graph_store.graph_names()) - before) == 4  # 3 credentials, 1 link graph
    assert len(result.graphs) == 3


def test_reimport_replaces(graph_store: Store, trust: TrustStore, issuer: f.Issuer) -> None:
    vp = json.dumps(f.presentation(issuer.sign(f.participant()), issuer.sign(f.registration())))
    first = _import(graph_store, trust, vp)
    count = graph_store.triple_count()
    second = _import(graph_store, trust, vp)
    assert first.graphs == second.graphs
    assert graph_store.triple_count() == count
    # the organisation loses its number: re-importing drops the stale link
    assert _links(graph_store)
    graph_store.update(f"DELETE WHERE {{ GRAPH ?g {{ <{ORG}> <{DSKG.vatID}> ?v }} }}")
    _import(graph_store, trust, vp)
    assert _links(graph_store) == set()


def test_import_inputs_reports_each_file(graph_store: Store, trust: TrustStore,
                                         issuer: f.Issuer) -> None:
    good = json.dumps(issuer.sign(f.terms()))
    results = import_inputs(graph_store, [("good", good), ("bad", "{not json"),
                                          ("expired", json.dumps(issuer.sign(
                                              {**f.terms("https://x.example"),
                                               "expirationDate": "2001-01-01T00:00:00Z"})))],
                            trust, base_iri=BASE)
    assert [r.imported for r in results] == [True, False, False]
    assert results[1].error.startswith("unreadable")
    assert "expired" in results[2].error
    assert results[0].to_json()["valid"] is True


def test_unreadable_document(graph_store: Store, trust: TrustStore) -> None:
    with pytest.raises(ParseError):
        _import(graph_store, trust, "just text")


def test_newer_model_links_by_registration_number(graph_store: Store, tmp_path: Path) -> None:
    from kg.gaiax.proof import sign_jwt

    signer = f.Issuer(f.ed_key())
    signer.write(tmp_path)
    token = sign_jwt(f.legal_person(), signer.key, signer.method)
    result = _import(graph_store, TrustStore.from_directory(tmp_path), token)
    assert _links(graph_store) == {(str(ORG), "https://provider.example/gx2/lp.json#cs")}
    stored = graph_store.query(
        "SELECT ?o WHERE { GRAPH ?m { ?g ?p ?o } }",
        {"m": URIRef(META_GRAPH), "g": result.graphs[0], "p": DSKG.originalDocument}).rows
    assert stored[0][0] == Literal(token)
