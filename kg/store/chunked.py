"""Writes too big for one request to a remote engine: split, journaled, undone when cut short.

Engines cap what one SPARQL Update request may hold. Virtuoso 7.2 (measured on Debian's
``virtuoso-opensource``): ``INSERT DATA`` fails past about 4,990 triples in one ``GRAPH``
block ("SP030 ... memory exhausted"), ``INSERT { } WHERE { }`` (the form blank nodes need)
past about 1,200 triples ("SP031: The length of generated SQL text has exceeded 10000
lines"), and one request past about 300-1,000 graph operations (``MOVE``, ``DROP``: "SQ156
Query too large"). ``oxigraph serve`` took 500k triples in one request. So the remote store
sends at most ``chunk`` triples (``DSKG_STORE_CHUNK``, 1000 by default) and at most
``MAX_OPERATIONS`` graph operations per request, and journals a write that needs several
requests the way ``kg.write.bulk`` journals a bulk load, in the meta graph:

1. ``<urn:uuid:…> a dskg:BulkLoad, dskg:ChunkedWrite``, its start, a lease and its writer
   (``host pid``): a write still running in another process is never undone;
2. ``<g> prov:wasGeneratedBy <write>`` for every graph it creates and every staging graph;
3. the triples, ``chunk`` at a time: a new graph is written in place; new content for an
   existing graph (and additions to one, e.g. provenance records into the meta graph) goes
   to a staging graph ``<urn:dskg:staging:…>`` (``dskg:stagedFor`` its target);
4. the commit: the deletions, then ``MOVE``/``ADD`` of every staging graph onto its target,
   and the removal of the journal, in one request (the commit point).

A write that fails before its commit point is undone at once; one cut short by a crash is
undone when a process next opens the store (``kg.write.recover_interrupted_loads``):
its new graphs and staging graphs are dropped, the graphs it would have replaced are as
they were. Only a commit with more than ``MAX_OPERATIONS`` graph operations spans several
requests (more than 200 existing graphs replaced in one write).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.namespaces import DSKG, META_GRAPH, PROV, RDF, XSD
from kg.store.journal import undo_load
from kg.store.sparql_text import term_n3, triples_block, values_list

Triple = tuple[Node, Node, Node]
META = URIRef(META_GRAPH)
#: Triples per request unless configured (Virtuoso's blank-node insert limit, with room).
DEFAULT_CHUNK = 1000
#: Graph operations (DROP, MOVE, ADD, DELETE ... VALUES) per request.
MAX_OPERATIONS = 200
#: Triples per GRAPH block of INSERT DATA (Virtuoso's parser gives up past ~4,990).
BLOCK_TRIPLES = 2000
#: How long a running write's journal is protected from other processes' recovery; renewed
#: while it writes (seconds).
LEASE = 600.0
#: IRIs per VALUES list in the commit's deletions.
VALUES_BATCH = 500
log = logging.getLogger("dskg.store")


def writer_id() -> str:
    """This process, as written in a journal (``host pid``)."""
    return f"{socket.gethostname()} {os.getpid()}"


def _now(offset: float = 0.0) -> Literal:
    when = datetime.now(UTC) + timedelta(seconds=offset)
    return Literal(when.isoformat(), datatype=XSD.dateTime)


def is_abandoned(writer: str | None, lease_until: datetime | None) -> bool:
    """Whether a journaled write with these marks can be undone: no writer recorded (a
    ``dskg load`` of an embedded store, which the store's lock keeps to one process), its
    writer process is gone from this host, or its lease ran out."""
    if writer is None:
        return True
    host, _, pid = writer.rpartition(" ")
    if host == socket.gethostname() and pid.isascii() and pid.isdigit():
        if int(pid) == os.getpid():
            return False  # our own write, still running in another thread
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass
    return lease_until is not None and lease_until < datetime.now(UTC)


# -- request text ---------------------------------------------------------------------------
def _components(triples: Sequence[Triple]) -> list[list[Triple]]:
    """Triples grouped so that the ones sharing a blank node stay together (a blank node
    split over two requests would become two nodes); triples without one stand alone."""
    parent: dict[BNode, BNode] = {}

    def find(node: BNode) -> BNode:
        root = node
        while parent.get(root, root) != root:
            root = parent[root]
        while node != root:  # path compression
            parent[node], node = root, parent.get(node, root)
        parent.setdefault(root, root)
        return root

    for s, _p, o in triples:
        nodes = [n for n in (s, o) if isinstance(n, BNode)]
        if len(nodes) == 2:
            a, b = find(nodes[0]), find(nodes[1])
            if a != b:
                parent[a] = b
        elif nodes:
            find(nodes[0])
    grouped: dict[BNode, list[Triple]] = {}
    plain: list[list[Triple]] = []
    for triple in triples:
        node = next((n for n in (triple[0], triple[2]) if isinstance(n, BNode)), None)
        if node is None:
            plain.append([triple])
        else:
            grouped.setdefault(find(node), []).append(triple)
    return plain + list(grouped.values())


def insert_requests(graphs: Mapping[URIRef, Sequence[Triple]], chunk: int) -> list[str]:
    """SPARQL Update requests adding ``graphs``' triples, about ``chunk`` triples each:
    ``INSERT DATA`` for ground triples, ``INSERT { } WHERE { }`` for those with blank nodes
    (Virtuoso refuses blank nodes in INSERT DATA; both are standard)."""
    requests: list[str] = []
    ground: dict[URIRef, list[Triple]] = {}
    blank: dict[URIRef, list[Triple]] = {}
    size = 0

    def flush() -> None:
        nonlocal ground, blank, size
        operations = insert_operations(ground, blank)
        if operations:
            requests.append(" ;\n".join(operations))
        ground, blank, size = {}, {}, 0

    for name, triples in graphs.items():
        for component in _components(list(triples)):
            if size and size + len(component) > chunk:
                flush()
            has_blank = any(isinstance(t, BNode) for triple in component for t in triple)
            (blank if has_blank else ground).setdefault(name, []).extend(component)
            size += len(component)
    flush()
    return requests


def insert_operations(ground: Mapping[URIRef, Sequence[Triple]],
                      blank: Mapping[URIRef, Sequence[Triple]]) -> list[str]:
    """One ``INSERT DATA`` for the ground triples, and one ``INSERT { } WHERE { }`` per
    graph for those with blank nodes (Virtuoso 7.2 fails on a template spanning several
    graphs with "SR002: Function string_output_string needs a string output")."""
    operations = []
    data = [_blocks(g, t) for g, t in ground.items() if t]
    if data:
        operations.append("INSERT DATA {\n" + "\n".join(data) + "\n}")
    operations += ["INSERT {\n" + _blocks(g, t) + "\n} WHERE {}" for g, t in blank.items() if t]
    return operations


def split_blank(graphs: Mapping[URIRef, Iterable[Triple]]
                ) -> tuple[dict[URIRef, list[Triple]], dict[URIRef, list[Triple]]]:
    """Each graph's triples without and with blank nodes."""
    ground: dict[URIRef, list[Triple]] = {}
    blank: dict[URIRef, list[Triple]] = {}
    for name, triples in graphs.items():
        for triple in triples:
            has_blank = isinstance(triple[0], BNode) or isinstance(triple[2], BNode)
            (blank if has_blank else ground).setdefault(name, []).append(triple)
    return ground, blank


def _blocks(graph: URIRef, triples: Sequence[Triple]) -> str:
    return "\n".join(f"GRAPH {term_n3(graph)} {{\n{triples_block(triples[i:i + BLOCK_TRIPLES])}"
                     "\n}" for i in range(0, len(triples), BLOCK_TRIPLES))


def operation_requests(operations: Sequence[str]) -> list[str]:
    """Graph operations packed ``MAX_OPERATIONS`` to a request."""
    return [" ;\n".join(operations[i:i + MAX_OPERATIONS])
            for i in range(0, len(operations), MAX_OPERATIONS)]


def deletions(drop: Iterable[URIRef],
              remove_subjects: Mapping[URIRef, Iterable[URIRef]] | None) -> list[str]:
    """The DROP and DELETE operations of a replace (graphs in ``drop``, subjects' triples)."""
    operations = [f"DROP SILENT GRAPH {term_n3(g)}" for g in drop]
    for graph, subjects in (remove_subjects or {}).items():
        listed = list(subjects)
        for start in range(0, len(listed), VALUES_BATCH):
            values = values_list("s", listed[start:start + VALUES_BATCH])
            operations.append(
                f"DELETE {{ GRAPH {term_n3(graph)} {{ ?s ?p ?o }} }} WHERE {{ "
                f"{values} GRAPH {term_n3(graph)} {{ ?s ?p ?o }} }}")
    return operations


def size_of(graphs: Mapping[URIRef, Sequence[Triple]]) -> int:
    return sum(len(t) for t in graphs.values())


# -- the journaled write ----------------------------------------------------------------------
class ChunkedWrite:
    """One replace too big for one request (see the module doc), on ``store`` (a
    RemoteStore: ``send`` runs one update request without change events)."""

    def __init__(self, store: ChunkTarget, chunk: int) -> None:
        self.store = store
        self.chunk = chunk
        self.iri = URIRef(f"urn:uuid:{uuid.uuid4()}")
        self._renewed = time.monotonic()

    def run(self, graphs: Mapping[URIRef, Sequence[Triple]], drop: Sequence[URIRef],
            add: Mapping[URIRef, Sequence[Triple]],
            remove_subjects: Mapping[URIRef, Iterable[URIRef]] | None) -> None:
        present = self.store.existing([*graphs, *add])
        direct: dict[URIRef, list[Triple]] = {}  # new graphs, written in place
        staged: dict[URIRef, list[Triple]] = {}  # staging graph -> content
        swaps: list[str] = []
        tags: list[Triple] = []
        for name, triples in graphs.items():
            content = [*triples, *add.get(name, ())]
            if name in present:
                stage = self._stage(name, tags)
                staged[stage] = content
                swaps.append(f"MOVE SILENT GRAPH {term_n3(stage)} TO GRAPH {term_n3(name)}")
            else:
                direct[name] = content
                tags.append((name, PROV.wasGeneratedBy, self.iri))
        for name, triples in add.items():
            if name in graphs or not triples:
                continue
            if name in present or name == META:  # additions to a graph that stays
                stage = self._stage(name, tags)
                staged[stage] = list(triples)
                swaps += [f"ADD SILENT GRAPH {term_n3(stage)} TO GRAPH {term_n3(name)}",
                          f"DROP SILENT GRAPH {term_n3(stage)}"]
            else:
                direct[name] = list(triples)
                tags.append((name, PROV.wasGeneratedBy, self.iri))
        self.store.send("INSERT DATA { GRAPH " + term_n3(META) + " {\n" + triples_block([
            (self.iri, RDF.type, DSKG.BulkLoad), (self.iri, RDF.type, DSKG.ChunkedWrite),
            (self.iri, RDF.type, PROV.Activity), (self.iri, PROV.startedAtTime, _now()),
            (self.iri, DSKG.writer, Literal(writer_id())),
            (self.iri, DSKG.leaseUntil, _now(LEASE))]) + "\n} }")
        try:
            for request in insert_requests({META: tags}, self.chunk):
                self.store.send(request)
            for request in insert_requests({**direct, **staged}, self.chunk):
                self._renew()
                self.store.send(request)
        except BaseException:
            self.undo()
            raise
        meta, journal = term_n3(META), term_n3(self.iri)
        generated = term_n3(PROV.wasGeneratedBy)
        commit = [*deletions(drop, remove_subjects), *swaps,
                  f"DELETE WHERE {{ GRAPH {meta} {{ ?g {term_n3(DSKG.stagedFor)} ?t . "
                  f"?g {generated} {journal} }} }}",
                  f"DELETE WHERE {{ GRAPH {meta} {{ ?g {generated} {journal} }} }}",
                  f"DELETE WHERE {{ GRAPH {meta} {{ {journal} ?p ?o }} }}"]
        requests = operation_requests(commit)
        try:
            for request in requests:
                self.store.send(request)
        except BaseException:
            if len(requests) == 1:  # nothing of it applied: undo the staged part
                self.undo()
            raise

    def _stage(self, target: URIRef, tags: list[Triple]) -> URIRef:
        stage = URIRef(f"urn:dskg:staging:{str(self.iri)[9:]}:{uuid.uuid4().hex[:12]}")
        tags += [(stage, PROV.wasGeneratedBy, self.iri), (stage, DSKG.stagedFor, target)]
        return stage

    def _renew(self) -> None:
        if time.monotonic() - self._renewed < LEASE / 4:
            return
        meta, journal = term_n3(META), term_n3(self.iri)
        lease = term_n3(DSKG.leaseUntil)
        self.store.send(
            f"DELETE WHERE {{ GRAPH {meta} {{ {journal} {lease} ?t }} }} ;\n"
            f"INSERT DATA {{ GRAPH {meta} {{ {journal} {lease} {term_n3(_now(LEASE))} }} }}")
        self._renewed = time.monotonic()

    def undo(self) -> None:
        try:
            undo_load(self.store, self.iri)  # type: ignore[arg-type]
        except Exception as exc:  # the next open finishes it
            log.warning("could not undo the write %s now: %s", self.iri, exc)


class ChunkTarget(Protocol):
    """What a chunked write needs of the remote store."""

    def send(self, request: str) -> None: ...

    def existing(self, names: Sequence[URIRef]) -> set[URIRef]: ...
