"""Committing a big load of new descriptions with the engine's bulk loader, crash-safe.

A transactional load into an on-disk Oxigraph store costs about four times its bulk loader
(3.9M quads: 143 s vs 36 s), but the bulk loader is not a transaction. The write path uses
it only for new graphs, only while it holds the store alone (``dskg load``), and journals
it in the meta graph so that a load cut short, by a rejection, an error or a crash, is
undone:

1. one transaction writes the load activity ``<urn:uuid:…> a dskg:BulkLoad`` (no end);
2. the bulk loader writes ``<graph> prov:wasGeneratedBy <load>`` for every graph to come;
3. the bulk loader writes the graphs, in a thread, while the caller validates its staged
   copy (both take about as long; 2 cores do them side by side);
4. the bulk loader writes the provenance records (they hold the validation outcome);
5. one transaction adds ``prov:endedAtTime``: the commit point.

A load with no end is interrupted: ``recover_interrupted_loads`` (run whenever a process
opens the store) drops every graph tagged with that load, its records and the activity.
Nothing that existed before the load is touched: the journaled path never writes to an
existing graph.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType

from rdflib import Literal, URIRef
from rdflib.term import Node

from kg.namespaces import DSKG, META_GRAPH, PROV, RDF, XSD
from kg.store import Store
from kg.store.chunked import is_abandoned, writer_id
from kg.store.journal import undo_load
from kg.store.parsing import serialize_quads
from kg.store.sparql_text import term_n3

Triple = tuple[Node, Node, Node]
META = URIRef(META_GRAPH)
log = logging.getLogger("dskg.load")


def _now() -> Literal:
    return Literal(datetime.now(UTC).isoformat(), datatype=XSD.dateTime)


def _meta_nquads(triples: Sequence[Triple]) -> bytes:
    return serialize_quads((s, p, o, META) for s, p, o in triples)


class JournaledLoad:
    """One journaled bulk load of the new graphs ``names`` (see the module doc)::

        with JournaledLoad(store, names, agent) as load:
            load.start(data, fmt, base_iri)
            load.then(more)        # optional: more N-Quads, loaded after data
            ... validate ...
            load.commit(records)

    Leaving the block by an exception (a rejection included) undoes the load.
    """

    def __init__(self, store: Store, names: Sequence[URIRef], agent: URIRef) -> None:
        self.store = store
        self.names = list(names)
        self.agent = agent
        self.iri = URIRef(f"urn:uuid:{uuid.uuid4()}")
        self._worker: threading.Thread | None = None
        self._jobs: queue.SimpleQueue[tuple[bytes, str, str | None] | None] = queue.SimpleQueue()
        self._failure: BaseException | None = None

    def __enter__(self) -> JournaledLoad:
        journal = [(self.iri, RDF.type, DSKG.BulkLoad), (self.iri, RDF.type, PROV.Activity),
                   (self.iri, PROV.startedAtTime, _now()),
                   (self.iri, PROV.wasAssociatedWith, self.agent)]
        if self.store.shared_with_other_writers:
            # Other processes open this store meanwhile: they leave a load alone while its
            # writer runs (kg.store.chunked.is_abandoned).
            journal.append((self.iri, DSKG.writer, Literal(writer_id())))
        self.store.replace_graphs({}, add={META: journal})
        try:
            self.store.bulk_import(_meta_nquads(
                [(name, PROV.wasGeneratedBy, self.iri) for name in self.names]))
        except BaseException:
            undo_load(self.store, self.iri)
            raise
        return self

    def start(self, data: bytes, fmt: str, base_iri: str | None) -> None:
        """Bulk-load the graphs in a background thread (the engine releases the GIL)."""
        self._jobs.put((data, fmt, base_iri))

        def run() -> None:
            while (job := self._jobs.get()) is not None:
                if self._failure is None:  # after a failure, only drain the queue
                    try:
                        self.store.bulk_import(job[0], job[1], base_iri=job[2])
                    except BaseException as exc:
                        self._failure = exc

        self._worker = threading.Thread(target=run, name="dskg-bulk-load", daemon=True)
        self._worker.start()

    def then(self, data: bytes) -> None:
        """Queue more N-Quads (records already in the meta graph) after what ``start`` loads:
        the same thread loads them while the caller goes on validating."""
        self._jobs.put((data, "nquads", None))

    def _wait(self) -> None:
        if self._worker is not None:
            self._jobs.put(None)
            self._worker.join()
            self._worker = None

    def commit(self, records: Sequence[Triple] | bytes) -> None:
        """Wait for the graphs, write the records (triples, or N-Quads already in the meta
        graph), then the commit point."""
        self._wait()
        if self._failure is not None:
            raise self._failure
        if records:
            self.store.bulk_import(
                records if isinstance(records, bytes) else _meta_nquads(records))
        self.store.replace_graphs({}, add={META: [(self.iri, PROV.endedAtTime, _now())]})

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None:
        if exc is None:
            return
        self._wait()  # never undo under a loader still writing
        undo_load(self.store, self.iri)


def interrupted_loads(store: Store) -> list[URIRef]:
    """Bulk loads that started and never reached their commit point, and whose writer is
    gone (a load still running in another process on a shared store is not one)."""
    # Constants written out, not bound: Virtuoso answers nothing when OPTIONAL patterns
    # use variables pre-bound by VALUES.
    rows = store.query(
        f"SELECT ?load ?writer ?lease WHERE {{ GRAPH {term_n3(META)} {{ "
        f"?load a {term_n3(DSKG.BulkLoad)} "
        f"FILTER NOT EXISTS {{ ?load {term_n3(PROV.endedAtTime)} ?t }} "
        f"OPTIONAL {{ ?load {term_n3(DSKG.writer)} ?writer }} "
        f"OPTIONAL {{ ?load {term_n3(DSKG.leaseUntil)} ?lease }} }} }}").rows
    return sorted({load for load, writer, lease in rows if isinstance(load, URIRef)
                   and is_abandoned(None if writer is None else str(writer),
                                    lease.toPython() if isinstance(lease, Literal) else None)})


def recover_interrupted_loads(store: Store) -> dict[URIRef, int]:
    """Undo every interrupted bulk load (run when a process opens the store).
    Returns {load: graphs dropped}."""
    undone = {}
    for load in interrupted_loads(store):
        undone[load] = undo_load(store, load)
        log.warning("undid the interrupted bulk load %s: %d new description(s) removed",
                    load, undone[load])
    return undone
