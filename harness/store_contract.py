"""The store contract: every Store implementation must pass these tests.

Subclass ``StoreContract`` and provide an ``empty_store`` fixture (see test_store_*.py).
"""

from __future__ import annotations

import io

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from kg.errors import QuerySyntaxError, ResultTooLarge
from kg.store import Store, memory_store

EX = "http://example.org/"
G1, G2, META = URIRef(EX + "g1"), URIRef(EX + "g2"), URIRef(EX + "meta")
A, B, P, Q = (URIRef(EX + n) for n in ("a", "b", "p", "q"))


class StoreContract:
    def test_replace_and_get_graph(self, empty_store: Store) -> None:
        empty_store.replace_graphs({G1: [(A, P, Literal("one")), (A, Q, B)]})
        assert empty_store.has_graph(G1)
        assert set(empty_store.get_graph(G1)) == {(A, P, Literal("one")), (A, Q, B)}
        empty_store.replace_graphs({G1: [(A, P, Literal("two"))]})
        assert set(empty_store.get_graph(G1)) == {(A, P, Literal("two"))}
        assert empty_store.triple_count(G1) == 1

    def test_terms_round_trip(self, empty_store: Store) -> None:
        values = [Literal("é \"quoted\"\nline", lang="fr"), Literal(3, datatype=XSD.integer),
                  Literal("2024-01-31", datatype=XSD.date), Literal("plain"), B]
        empty_store.replace_graphs({G1: [(A, P, v) for v in values]})
        got = set(empty_store.get_graph(G1).objects(A, P))
        assert got == set(values)

    def test_blank_nodes_stay_connected(self, empty_store: Store) -> None:
        node = BNode()
        empty_store.replace_graphs({G1: [(A, P, node), (node, Q, Literal("x"))]})
        result = empty_store.query(
            "SELECT ?v WHERE { ?a ?p ?n . ?n ?q ?v }", {"a": A, "p": P, "q": Q})
        assert result.column("v") == [Literal("x")]

    def test_union_default_graph(self, empty_store: Store) -> None:
        empty_store.replace_graphs({G1: [(A, P, B)], G2: [(B, P, A)]})
        result = empty_store.query("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s")
        assert result.column("s") == [A, B]
        assert sorted(empty_store.graph_names()) == [G1, G2]
        assert empty_store.triple_count() == 2

    def test_bindings_are_terms_not_text(self, empty_store: Store) -> None:
        empty_store.replace_graphs({G1: [(A, P, Literal("x")), (B, P, Literal("y"))]})
        hostile = Literal('x" } UNION { ?s ?p ?o } #')
        result = empty_store.query("SELECT ?s WHERE { ?s ?p ?v }", {"v": hostile})
        assert result.rows == []
        result = empty_store.query("SELECT ?s WHERE { ?s ?p ?v }", {"v": Literal("y")})
        assert result.column("s") == [B]

    def test_replace_is_atomic(self, empty_store: Store) -> None:
        empty_store.replace_graphs({G1: [(A, P, Literal("keep"))]})
        with pytest.raises(ValueError):
            empty_store.replace_graphs({G1: [(A, P, Literal("new"))],
                                        G2: [(URIRef("http://bad iri/"), P, A)]})
        assert set(empty_store.get_graph(G1)) == {(A, P, Literal("keep"))}
        assert not empty_store.has_graph(G2)

    def test_drop_add_and_remove_subjects_in_one_call(self, empty_store: Store) -> None:
        empty_store.replace_graphs({G1: [(A, P, B)], G2: [(B, P, A)]},
                                   add={META: [(G1, P, Literal(1)), (G2, P, Literal(2))]})
        empty_store.replace_graphs({}, drop=[G1], remove_subjects={META: [G1]})
        assert not empty_store.has_graph(G1)
        assert set(empty_store.get_graph(META)) == {(G2, P, Literal(2))}

    def test_ask_construct(self, empty_store: Store) -> None:
        empty_store.replace_graphs({G1: [(A, P, B)]})
        assert empty_store.query("ASK { ?s ?p ?o }").boolean is True
        result = empty_store.query("CONSTRUCT { ?o ?p ?s } WHERE { ?s ?p ?o }")
        assert result.graph is not None and set(result.graph) == {(B, P, A)}

    def test_result_limit(self, empty_store: Store) -> None:
        empty_store.replace_graphs({G1: [(URIRef(f"{EX}s{i}"), P, A) for i in range(20)]})
        with pytest.raises(ResultTooLarge):
            empty_store.query("SELECT ?s WHERE { ?s ?p ?o }", limit=10)
        assert len(empty_store.query("SELECT ?s WHERE { ?s ?p ?o }", limit=20).rows) == 20

    def test_syntax_error(self, empty_store: Store) -> None:
        with pytest.raises(QuerySyntaxError):
            empty_store.query("SELECT ?s WHERE { ?s ?p ")

    def test_update(self, empty_store: Store) -> None:
        empty_store.update(f"INSERT DATA {{ GRAPH <{G1}> {{ <{A}> <{P}> \"u\" }} }}")
        assert set(empty_store.get_graph(G1)) == {(A, P, Literal("u"))}

    def test_export_import_round_trip(self, empty_store: Store) -> None:
        node = BNode()
        empty_store.replace_graphs({G1: [(A, P, node), (node, Q, Literal("é", lang="fr"))],
                                    G2: [(B, P, Literal(5))]})
        buffer = io.BytesIO()
        empty_store.export(buffer, "nquads")
        dump = buffer.getvalue()
        empty_store.clear()
        assert empty_store.graph_names() == []
        empty_store.import_quads(dump, "nquads")
        assert sorted(empty_store.graph_names()) == [G1, G2]
        assert empty_store.triple_count() == 3
        result = empty_store.query("SELECT ?v WHERE { ?a ?p ?n . ?n ?q ?v }",
                                   {"a": A, "p": P, "q": Q})
        assert result.column("v") == [Literal("é", lang="fr")]

    def test_serialized_results(self, empty_store: Store) -> None:
        empty_store.replace_graphs({G1: [(A, P, Literal("x"))]})
        out = empty_store.query_serialized("SELECT ?o WHERE { ?s ?p ?o }", "text/csv")
        assert out.body.decode().splitlines() == ["o", "x"]

    def test_ping(self, empty_store: Store) -> None:
        assert empty_store.ping()

    def test_add_triples_keeps_what_is_there(self, empty_store: Store) -> None:
        empty_store.replace_graphs({G1: [(A, P, Literal("kept"))]})
        node = BNode()
        empty_store.add_triples(G1, [(A, Q, node), (node, P, Literal("new"))])
        assert empty_store.triple_count(G1) == 3
        result = empty_store.query("SELECT ?v WHERE { GRAPH ?g { ?a ?q ?n . ?n ?p ?v } }",
                                   {"g": G1, "a": A, "q": Q, "p": P})
        assert result.column("v") == [Literal("new")]

    def test_copy_into_another_store(self, empty_store: Store) -> None:
        empty_store.replace_graphs({G1: [(A, P, Literal("x"))], G2: [(B, P, Literal(5))]})
        target = memory_store()
        target.replace_graphs({META: [(A, Q, B)]})
        empty_store.copy_into(target)
        assert sorted(target.graph_names()) == [G1, G2, META]
        assert set(target.get_graph(G2)) == {(B, P, Literal(5))}
