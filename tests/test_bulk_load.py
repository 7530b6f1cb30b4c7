"""The journaled bulk commit of `dskg load`: fast, and undone when it is cut short.

A load of new graphs into an embedded store that the process holds alone goes through the
engine's bulk loader (not a transaction). These tests check that it stores exactly what a
transactional load stores, that an error part-way leaves the store as it was, and that a
process killed part-way leaves a journal that the next open uses to undo the load.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.compare import isomorphic

from harness.generate import generate_lines
from kg.backup import check_integrity
from kg.errors import ValidationFailed
from kg.namespaces import DSKG, META_GRAPH, PROV
from kg.store.embedded import EmbeddedStore
from kg.write import Origin, bulk_write, interrupted_loads, write_bytes

BASE = "http://127.0.0.1:8000/"
META = URIRef(META_GRAPH)
EXISTING = b"""@prefix dskg: <https://w3id.org/dskg#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix org: <http://www.w3.org/ns/org#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://example.org/org/before> a org:Organization ; skos:prefLabel "Here before the load"@en ;
    foaf:name "Here before the load"@en ; dskg:tier dskg:EUTier ."""


def synthetic(datasets: int = 40, seed: int = 5) -> bytes:
    return "".join(generate_lines(datasets, seed=seed)).encode()


def quads(store: EmbeddedStore) -> set[str]:
    """Every quad of the store as N-Quads lines (for stores without blank nodes), and every
    graph name (an emptied graph still counts as a graph)."""
    rows = store.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows
    return {" ".join(t.n3() for t in row) for row in rows} | {  # type: ignore[union-attr]
        f"graph {g}" for g in store.graph_names()}


def store_with_one_description(path: Path) -> tuple[EmbeddedStore, set[str]]:
    store = EmbeddedStore(path)
    write_bytes(store, EXISTING, "turtle", base_iri=BASE, origin=Origin(agent="test"))
    return store, quads(store)


def test_a_journaled_load_stores_what_a_transactional_load_stores(tmp_path: Path) -> None:
    data = synthetic()
    journaled, plain = EmbeddedStore(tmp_path / "a"), EmbeddedStore(tmp_path / "b")
    result = bulk_write(journaled, data, "nquads", base_iri=BASE, origin=Origin(agent="cli"),
                        exclusive=True)
    bulk_write(plain, data, "nquads", base_iri=BASE, origin=Origin(agent="cli"))
    assert result.created == result.graphs and len(result.graphs) > 40
    # The same descriptions, graph for graph (blank nodes compared by isomorphism).
    names = [n for n in plain.graph_names() if n != META]
    assert [n for n in journaled.graph_names() if n != META] == names
    assert all(isomorphic(journaled.get_graph(n), plain.get_graph(n)) for n in names)
    assert check_integrity(journaled).ok
    # Every record names the load that generated it, and the load reached its commit point.
    loads = {o for o in journaled.get_graph(META).objects(None, PROV.wasGeneratedBy)}
    assert len(loads) == 1
    load = next(iter(loads))
    meta = journaled.get_graph(META)
    assert (load, PROV.endedAtTime, None) in meta and (load, None, DSKG.BulkLoad) in meta
    assert {s for s in meta.subjects(PROV.wasGeneratedBy, load)} == set(result.graphs)
    assert interrupted_loads(journaled) == []


def test_only_new_graphs_take_the_bulk_loader(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s")
    data = synthetic()
    bulk_write(store, data, "nquads", base_iri=BASE, origin=Origin(agent="cli"), exclusive=True)
    before = len(store.graph_names())
    # Loading the same file again replaces every graph: one transaction, no new load journal.
    again = bulk_write(store, data, "nquads", base_iri=BASE, origin=Origin(agent="cli"),
                       exclusive=True)
    assert again.replaced == again.graphs and again.created == []
    assert len(store.graph_names()) == before and check_integrity(store).ok
    assert len(set(store.get_graph(META).subjects(None, DSKG.BulkLoad))) == 1
    assert not set(store.get_graph(META).objects(None, PROV.wasGeneratedBy))


def test_an_error_during_the_bulk_load_leaves_the_store_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, before = store_with_one_description(tmp_path / "s")
    real = EmbeddedStore.bulk_import
    calls = []

    def failing(self: EmbeddedStore, data: bytes, format: str = "nquads", **kw: object) -> None:
        real(self, data, format, **kw)  # the quads land, then the disk "fills up"
        calls.append(len(data))
        if len(calls) == 3:
            raise OSError("No space left on device")

    monkeypatch.setattr(EmbeddedStore, "bulk_import", failing)
    with pytest.raises(OSError):
        bulk_write(store, synthetic(), "nquads", base_iri=BASE, origin=Origin(agent="cli"),
                   exclusive=True)
    assert len(calls) == 3  # the journal, the graphs and the records had all been written
    assert quads(store) == before
    assert interrupted_loads(store) == []


@pytest.mark.parametrize("start", ["empty", "with one description"])
def test_a_rejected_load_is_undone_after_the_loader_ran_beside_validation(
        tmp_path: Path, start: str) -> None:
    if start == "empty":
        store, before = EmbeddedStore(tmp_path / "s"), set()
    else:
        store, before = store_with_one_description(tmp_path / "s")
    # One dataset of the file loses its title: a Violation, found while the graphs load.
    lines = synthetic().decode().splitlines(keepends=True)
    title = next(i for i, line in enumerate(lines)
                 if "/dataset/3> <http://purl.org/dc/terms/title>" in line)
    data = "".join(lines[:title] + lines[title + 1:]).encode()
    with pytest.raises(ValidationFailed) as failed:
        bulk_write(store, data, "nquads", base_iri=BASE, origin=Origin(agent="cli"),
                   exclusive=True)
    assert any(r.focus == URIRef("https://w3id.org/dskg/synthetic/id/dataset/3")
               and r.severity == "Violation" for r in failed.value.report.results)
    assert quads(store) == before
    assert interrupted_loads(store) == []


KILLED_LOAD = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from kg.store.embedded import EmbeddedStore
    from kg.write import Origin, write_bytes

    real = EmbeddedStore.bulk_import
    calls = []

    def then_die(self, data, format="nquads", **kw):
        real(self, data, format, **kw)
        calls.append(1)
        if len(calls) == 2:  # the graphs are in, their records are not: a SIGKILL-like exit
            self._ox.flush()
            os._exit(9)

    EmbeddedStore.bulk_import = then_die
    store = EmbeddedStore(sys.argv[1])
    write_bytes(store, Path(sys.argv[2]).read_bytes(), "nquads", base_iri=sys.argv[3],
                origin=Origin(agent="cli"), exclusive=True)
    print("the load finished: the test's kill point was never reached")
""")


def test_a_load_killed_half_way_is_undone_when_the_store_is_next_opened(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store, before = store_with_one_description(path)
    store.close()
    source = tmp_path / "load.nq"
    # Over the bulk threshold of write_bytes (graph count), as `dskg load` would see it.
    source.write_bytes(synthetic(datasets=250))
    killed = subprocess.run([sys.executable, "-c", KILLED_LOAD, str(path), str(source), BASE],
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == 9, killed.stdout + killed.stderr

    raw = EmbeddedStore(path)  # opened without recovery: the crash left half a load
    assert len(interrupted_loads(raw)) == 1
    assert len(raw.graph_names()) > 200
    raw.close()

    # Any dskg process that opens the store undoes it first (here `dskg stats`).
    env = {"DSKG_STORE": str(path), "DSKG_DEFAULT_GRAPH": "false", "DSKG_BASE_IRI": BASE,
           "PATH": "/usr/bin:/bin"}
    stats = subprocess.run([sys.executable, "-c", "from kg.cli import main; main()", "stats"],
                           capture_output=True, text=True, timeout=120, env=env)
    assert stats.returncode == 0, stats.stdout + stats.stderr
    assert "undid the interrupted bulk load" in stats.stderr

    after = EmbeddedStore(path)
    assert quads(after) == before
    assert interrupted_loads(after) == [] and check_integrity(after).ok
    after.close()


def test_counted_warnings_equal_listed_warnings_with_a_store_context() -> None:
    """A load counts its warnings in the engine instead of listing them: the same number,
    and results about nodes only the store context describes are left out of both."""
    from kg import validation
    from kg.store import memory_store

    lines = synthetic().decode().splitlines(keepends=True)
    organisations = "".join(x for x in lines if "/organisation/" in x.rsplit(" ", 2)[-2])
    rest = "".join(x for x in lines if "/organisation/" not in x.rsplit(" ", 2)[-2])
    store, staging = memory_store(), memory_store()
    store.import_quads(organisations.encode(), "nquads")
    staging.import_quads(rest.encode(), "nquads")
    context = validation.context_for(store, staging)
    assert len(context) > 0  # the publishers come from the store
    listed = validation.validate_store(staging, context=context)
    counted = validation.validate_store(staging, context=context, list_warnings=False)
    assert listed.count("Warning") > 0
    assert counted.count("Warning") == listed.count("Warning")
    assert counted.count("Violation") == listed.count("Violation")
    assert not [r for r in counted.results if r.severity == "Warning"]
