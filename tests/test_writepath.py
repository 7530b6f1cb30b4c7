"""The one write path: parse, normalise, validate, commit with provenance — or reject."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rdflib import Dataset, Literal, URIRef
from rdflib.compare import isomorphic

from kg.errors import Conflict, NotFound, ParseError, RemoteContextRefused, ValidationFailed
from kg.namespaces import DSKG, META_GRAPH, PROV, RDF, SKOS
from kg.store import Store
from kg.write import Origin, delete_graphs, graph_iri_for, write_bytes

FIXTURES = Path(__file__).parent / "fixtures" / "core"
BASE = "http://127.0.0.1:8000/"
ACME = URIRef("https://example.org/org/acme")
#: A description's graph has an IRI of its own, never the resource's (DESIGN 1, provenance).
ACME_GRAPH = graph_iri_for(BASE, ACME)


def _write(store: Store, name: str, fmt: str, **kwargs: object):
    data = (FIXTURES / name).read_bytes()
    return write_bytes(store, data, fmt, base_iri=BASE, origin=Origin(agent="tester"),
                       **kwargs)  # type: ignore[arg-type]


def test_turtle_description_becomes_one_graph_of_its_own(store: Store) -> None:
    result = _write(store, "organisation.ttl", "turtle")
    assert result.graphs == [ACME_GRAPH] and str(ACME_GRAPH).startswith(f"{BASE}graph/")
    assert result.created == [ACME_GRAPH]
    assert result.roots[ACME_GRAPH] == ACME
    assert store.get_graph(ACME_GRAPH).value(ACME, SKOS.prefLabel) == Literal(
        "ACME Data Cooperative", lang="en")
    assert not store.has_graph(ACME)


def test_provenance_record_is_written_with_the_graph(store: Store) -> None:
    _write(store, "organisation.ttl", "turtle")
    meta = store.get_graph(URIRef(META_GRAPH))
    assert meta.value(ACME_GRAPH, PROV.wasAttributedTo) == URIRef(
        "https://w3id.org/dskg/agent/tester")
    assert meta.value(ACME_GRAPH, DSKG.describes) == ACME
    assert int(meta.value(ACME_GRAPH, DSKG.tripleCount)) == len(store.get_graph(ACME_GRAPH))
    assert meta.value(ACME_GRAPH, DSKG.conforms) == Literal(True)
    assert meta.value(ACME_GRAPH, DSKG.owner) is not None
    # the record is about the graph: asking the union about the resource gets its facts only
    facts = store.query("SELECT ?p WHERE { ?s ?p ?o }", {"s": ACME}).column("p")
    assert PROV.wasAttributedTo not in facts and DSKG.tripleCount not in facts


def test_blank_node_root_gets_a_minted_iri(store: Store) -> None:
    result = _write(store, "organisation-blank.jsonld", "json-ld")
    (name,) = result.graphs
    assert str(result.roots[name]) == f"{BASE}id/organisation/cooperativa-agraria-de-prueba"
    assert str(name) == f"{BASE}graph/organisation/cooperativa-agraria-de-prueba"
    second = _write(store, "organisation-blank.jsonld", "json-ld")
    assert str(second.roots[second.graphs[0]]).endswith("cooperativa-agraria-de-prueba-2")


def test_invalid_description_is_rejected_and_nothing_is_stored(store: Store) -> None:
    _write(store, "organisation.ttl", "turtle")
    before = store.triple_count()
    with pytest.raises(ValidationFailed) as failure:
        _write(store, "organisation-invalid.ttl", "turtle")
    assert not failure.value.report.conforms
    focus = {str(r.focus) for r in failure.value.report.results if r.severity == "Violation"}
    assert "https://example.org/org/nameless" in focus
    assert store.triple_count() == before


def test_malformed_turtle_reports_line_and_column(store: Store) -> None:
    with pytest.raises(ParseError) as failure:
        _write(store, "broken.ttl", "turtle")
    assert failure.value.line == 4
    assert failure.value.column is not None
    assert store.triple_count() == 0


def test_remote_context_is_refused_without_fetching(store: Store) -> None:
    doc = b'{"@context": "https://example.org/context.jsonld", "@id": "https://e/x"}'
    with pytest.raises(RemoteContextRefused, match=r"https://example\.org/context\.jsonld"):
        write_bytes(store, doc, "json-ld", base_iri=BASE, origin=Origin())


def test_modes_create_and_replace(store: Store) -> None:
    _write(store, "organisation.ttl", "turtle", mode="create")
    with pytest.raises(Conflict):
        _write(store, "organisation.ttl", "turtle", mode="create")
    result = _write(store, "organisation.ttl", "turtle", mode="replace")
    assert result.replaced == [ACME_GRAPH]
    with pytest.raises(NotFound):
        _write(store, "organisation-blank.jsonld", "json-ld", mode="replace",
               graph=URIRef("https://example.org/none"))


def test_replace_rewrites_the_provenance_record(store: Store) -> None:
    _write(store, "organisation.ttl", "turtle")
    _write(store, "organisation.ttl", "turtle")
    meta = store.get_graph(URIRef(META_GRAPH))
    assert len(list(meta.objects(ACME_GRAPH, PROV.generatedAtTime))) == 1


def test_delete_drops_graph_and_leaves_a_tombstone(store: Store) -> None:
    _write(store, "organisation.ttl", "turtle")
    delete_graphs(store, [ACME_GRAPH], Origin(agent="remover"))
    assert not store.has_graph(ACME_GRAPH)
    meta = store.get_graph(URIRef(META_GRAPH))
    assert (ACME_GRAPH, PROV.wasAttributedTo, None) not in meta
    assert (ACME_GRAPH, RDF.type, DSKG.DeletedDescription) in meta
    assert meta.value(ACME_GRAPH, DSKG.invalidatedBy) == URIRef(
        "https://w3id.org/dskg/agent/remover")
    # a deleted resource answers nothing in the union default graph
    assert not store.query("ASK { ?s ?p ?o }", {"s": ACME}).boolean
    _write(store, "organisation.ttl", "turtle")
    meta = store.get_graph(URIRef(META_GRAPH))
    assert (ACME_GRAPH, RDF.type, DSKG.DeletedDescription) not in meta


def test_export_then_load_restores_exactly(store: Store, tmp_path: Path) -> None:
    _write(store, "organisation.ttl", "turtle")
    _write(store, "organisation-blank.jsonld", "json-ld")
    dump = io.BytesIO()
    store.export(dump, "nquads")
    from kg.store.embedded import EmbeddedStore

    restored = EmbeddedStore()
    write_bytes(restored, dump.getvalue(), "nquads", base_iri=BASE, origin=Origin())
    again = io.BytesIO()
    restored.export(again, "nquads")
    first, second = Dataset(), Dataset()
    first.parse(data=dump.getvalue(), format="nquads")
    second.parse(data=again.getvalue(), format="nquads")
    assert sorted(str(g.identifier) for g in first.graphs()) == sorted(
        str(g.identifier) for g in second.graphs())
    for graph in first.graphs():
        assert isomorphic(graph, second.graph(graph.identifier)), graph.identifier
