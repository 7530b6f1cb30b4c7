"""The store contract on the embedded pyoxigraph store (in memory and on disk)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from harness.store_contract import G1, A, P, StoreContract
from kg.errors import QueryTimeout
from kg.store import Store
from kg.store.embedded import EmbeddedStore


class TestEmbeddedInMemory(StoreContract):
    @pytest.fixture
    def empty_store(self) -> Iterator[Store]:
        store = EmbeddedStore()
        yield store
        store.close()


class TestEmbeddedOnDisk(StoreContract):
    @pytest.fixture
    def empty_store(self, tmp_path: Path) -> Iterator[Store]:
        store = EmbeddedStore(tmp_path / "store")
        yield store
        store.close()


def test_on_disk_store_persists(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "db")
    store.replace_graphs({G1: [(A, P, Literal("kept"))]})
    store.close()
    del store
    reopened = EmbeddedStore(tmp_path / "db")
    assert set(reopened.get_graph(G1)) == {(A, P, Literal("kept"))}


def test_runaway_query_times_out_and_store_stays_responsive() -> None:
    store = EmbeddedStore()
    store.replace_graphs({G1: [(URIRef(f"http://example.org/s{i}"), P, Literal(i))
                               for i in range(400)]})
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        store.query(runaway, timeout=0.5)
    assert time.monotonic() - started < 2.0
    quick = time.monotonic()
    assert store.query("ASK { ?s ?p ?o }", timeout=5).boolean
    assert time.monotonic() - quick < 0.5
