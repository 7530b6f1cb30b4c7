"""Validation with store context: references to nodes already in the graph."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from kg.namespaces import DSKG, ORG, RDF
from kg.store.embedded import EmbeddedStore
from kg.validation import context_for, validate_graph, validate_store
from kg.validation.context import references

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
EX = "https://example.org/id/"
NEWCOMER = """
@prefix dskg: <https://w3id.org/dskg#> .
@prefix ex:   <https://example.org/id/> .
@prefix org:  <http://www.w3.org/ns/org#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
ex:newco a org:Organization, foaf:Agent ; skos:prefLabel "NewCo" ; foaf:name "NewCo" .
ex:m-newco a org:Membership ; org:member ex:newco ; org:organization ex:agridataspace ;
    org:role dskg:DataConsumer .
"""


@pytest.fixture
def store() -> EmbeddedStore:
    """The good ecosystem, one named graph per top-level node, as the write path stores it."""
    data = Graph().parse(FIXTURES / "good_ecosystem.ttl")
    store = EmbeddedStore()
    store.replace_graphs({URIRef("urn:test:ecosystem"): list(data)})
    return store


def newcomer() -> Graph:
    return Graph().parse(data=NEWCOMER, format="turtle")


def test_reference_to_an_existing_data_space_conforms(store: EmbeddedStore) -> None:
    data = newcomer()
    context = context_for(store, data)
    assert (URIRef(EX + "agridataspace"), RDF.type, DSKG.DataSpace) in context
    report = validate_graph(data, context=context)
    assert report.conforms, report.to_text()
    # no result about nodes of the context: the data space is not this description's
    assert {r.focus for r in report.results} <= {URIRef(EX + "newco"), URIRef(EX + "m-newco")}


def test_dangling_reference_is_a_violation(store: EmbeddedStore) -> None:
    data = newcomer()
    data.set((URIRef(EX + "m-newco"), ORG.organization, URIRef(EX + "no-such-space")))
    report = validate_graph(data, context=context_for(store, data))
    assert {(str(r.focus), str(r.path), r.severity) for r in report.results
            if r.severity == "Violation"} == {
        (EX + "m-newco", str(ORG.organization), "Violation")}


def test_reference_of_the_wrong_type_is_a_violation(store: EmbeddedStore) -> None:
    data = newcomer()
    data.set((URIRef(EX + "m-newco"), ORG.organization, URIRef(EX + "farmco")))
    report = validate_graph(data, context=context_for(store, data))
    assert not report.conforms
    assert [str(r.component).split("#")[1] for r in report.results
            if r.severity == "Violation"] == ["ClassConstraintComponent"]


def test_governance_chain_is_followed_through_the_store(store: EmbeddedStore) -> None:
    """A new national-tier data space under the national law: the law's own link up to the
    GDPR is in the store, two hops away."""
    data = Graph().parse(data=NEWCOMER + """
        ex:newspace a dskg:DataSpace ; skos:prefLabel "New space" ; foaf:name "New space" ;
            dskg:tier dskg:NationalTier ; dskg:country "ES" ; dskg:governedBy ex:agrihub ;
            dskg:rulebook ex:rulebook ; dskg:catalog ex:catalog ; dskg:subjectTo ex:lopd .
        ex:m-new a org:Membership ; org:member ex:newco ; org:organization ex:newspace ;
            org:role dskg:DataProvider .
    """, format="turtle")
    context = context_for(store, data)
    assert (URIRef(EX + "gdpr"), DSKG.tier, DSKG.EUTier) in context
    assert validate_graph(data, context=context).conforms


def test_context_is_one_query_about_references_only(store: EmbeddedStore) -> None:
    data = newcomer()
    referenced, _described, inverse = references(data)
    assert URIRef(EX + "agridataspace") in referenced
    assert URIRef(EX + "newco") not in referenced
    context = context_for(store, data)
    # only the few properties the shapes read, never whole descriptions
    assert {p for _, p, _ in context} <= {RDF.type, DSKG.tier, DSKG.subjectTo,
                                          URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
                                          URIRef("http://xmlns.com/foaf/0.1/name"),
                                          URIRef("http://purl.org/dc/terms/title"),
                                          ORG.organization}
    assert inverse >= {ORG.organization}


def test_replaced_description_is_not_mixed_with_its_old_version(store: EmbeddedStore) -> None:
    """Facts the store holds about nodes the description itself describes are left out."""
    data = Graph()
    for triple in Graph().parse(FIXTURES / "good_ecosystem.ttl").triples(
            (URIRef(EX + "lopd"), None, None)):
        data.add(triple)
    data.remove((URIRef(EX + "lopd"), DSKG.tier, None))
    context = context_for(store, data)
    assert (URIRef(EX + "lopd"), DSKG.tier, None) not in context
    assert not validate_graph(data, context=context).conforms


def test_context_for_a_staging_store(store: EmbeddedStore) -> None:
    """The bulk path: the references of everything staged, fetched from the target store."""
    staging = EmbeddedStore()
    staging.replace_graphs({URIRef("urn:test:newcomer"): list(newcomer())})
    context = context_for(store, staging)
    assert (URIRef(EX + "agridataspace"), RDF.type, DSKG.DataSpace) in context
    assert (URIRef(EX + "newco"), None, None) not in context
    assert validate_store(staging, context=context).conforms
    assert not validate_store(staging).conforms  # the data space is not staged
