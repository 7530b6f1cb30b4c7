"""The store interface: the only way anything in the project reads or writes RDF.

Everything speaks in named graphs: one description is one named graph, and the union of all
named graphs is the default graph for queries. Terms crossing this interface are rdflib terms;
only the implementations (``embedded``, ``remote``) know their engine.
"""

from __future__ import annotations

import asyncio
import functools
import io
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

from rdflib import Graph, URIRef
from rdflib.term import Identifier, Node

from kg.store.answers import GRAPH_FORMATS, QueryResult, SerializedResult
from kg.store.results import serialize_result
from kg.store.sparql_text import replace_graphs_update

Triple = tuple[Node, Node, Node]
#: Called after a write with the graphs it changed, or None when they are not known.
ChangeListener = Callable[[frozenset[URIRef] | None], None]


def touched_by(graphs: Mapping[URIRef, object], drop: Iterable[URIRef],
               add: Mapping[URIRef, object] | None,
               remove_subjects: Mapping[URIRef, object] | None) -> set[URIRef]:
    """The graphs a ``replace_graphs`` call changes (what its change event names)."""
    return {*graphs, *drop, *(add or {}), *(remove_subjects or {})}


@dataclass
class Watch:
    """What a streamed CONSTRUCT wrote, as far as the parts after it ask: its IRI
    subjects, their (IRI) types, and the IRI values of the watched ``predicates``."""

    predicates: frozenset[URIRef]
    subjects: set[URIRef] = field(default_factory=set)
    types: set[tuple[URIRef, URIRef]] = field(default_factory=set)
    objects: dict[URIRef, set[URIRef]] = field(default_factory=dict)

    def note(self, graph: Iterable[Triple]) -> None:
        """Note triples (the stores that cannot watch the engine's own stream)."""
        rdf_type = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
        for s, p, o in graph:
            if isinstance(s, URIRef):
                self.subjects.add(s)
                if p == rdf_type and isinstance(o, URIRef):
                    self.types.add((s, o))
            if p in self.predicates and isinstance(o, URIRef):
                self.objects.setdefault(p, set()).add(o)  # type: ignore[arg-type]


@dataclass
class ConstructPart:
    """A CONSTRUCT query in ``Store.construct_stream``; ``watch`` is filled as it is
    written (complete once the parts after it are asked for)."""

    sparql: str
    watch: Watch | None = None


StreamPart = str | ConstructPart | Iterable[Triple]


class Store(ABC):
    """Named-graph store. Implementations must make every write method atomic."""

    #: Human-readable kind, shown in /health and `dskg stats`.
    kind: str = "abstract"
    #: Whether ``bulk_import`` is one transaction (else the write path journals it).
    bulk_import_is_atomic: bool = True
    #: Whether other processes may write to it too (then change events are not the whole
    #: story: caches above the store also expire).
    shared_with_other_writers: bool = False
    #: Graph operations (DROP ...) the store takes in one update request.
    max_update_operations: int = 2000
    #: Whether ``export`` reads one snapshot while writes go on (else a consistent backup
    #: holds the writers off: ``kg.write.transaction``).
    export_is_snapshot: bool = False

    def __init__(self) -> None:
        self._listeners: list[ChangeListener] = []
        self._listeners_guard = threading.Lock()

    # -- change listeners ----------------------------------------------------------------
    # Caches and indexes above the store (the web pages' picture, the text index) learn of
    # every write here, whichever path made it: REST, CLI in the same process, a scheduled
    # harvest, SPARQL Update.
    def subscribe(self, listener: ChangeListener) -> None:
        """Call ``listener`` after every write through this store object."""
        with self._listeners_guard:
            self._listeners.append(listener)

    def changed(self, graphs: Iterable[URIRef] | None) -> None:
        """Tell the listeners which graphs a write changed (None: unknown, maybe all)."""
        which = None if graphs is None else frozenset(graphs)
        with self._listeners_guard:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(which)

    # -- reads ---------------------------------------------------------------------------
    @abstractmethod
    def query(
        self,
        sparql: str,
        bindings: Mapping[str, Identifier] | None = None,
        *,
        timeout: float | None = None,
        limit: int | None = None,
        default_graphs: Sequence[URIRef] | None = None,
        named_graphs: Sequence[URIRef] | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query. ``bindings`` pre-bind variables (no string pasting).

        Without ``default_graphs`` the default graph is the union of all named graphs.
        Raises QuerySyntaxError, QueryTimeout, ResultTooLarge (over ``limit`` rows/triples).
        """

    def query_serialized(
        self,
        sparql: str,
        media_type: str,
        *,
        timeout: float | None = None,
        limit: int | None = None,
        default_graphs: Sequence[URIRef] | None = None,
        named_graphs: Sequence[URIRef] | None = None,
        base_iri: str | None = None,
    ) -> SerializedResult:
        """Run a query and serialise the answer as ``media_type`` (one of RESULT_FORMATS for
        SELECT/ASK, GRAPH_FORMATS for CONSTRUCT/DESCRIBE). Raises NotAcceptable otherwise.
        ``base_iri`` resolves relative IRIs in the query (the service's base)."""
        if base_iri:
            sparql = f"BASE <{base_iri}>\n{sparql}"
        result = self.query(sparql, timeout=timeout, limit=limit,
                            default_graphs=default_graphs, named_graphs=named_graphs)
        return serialize_result(result, media_type)

    async def query_serialized_async(self, sparql: str, media_type: str,
                                     **options: Any) -> SerializedResult:
        """``query_serialized`` for the event loop (the SPARQL endpoint). By default it
        runs in a thread; stores that can wait without one override it."""
        return await asyncio.to_thread(
            functools.partial(self.query_serialized, sparql, media_type, **options))

    def construct_stream(self, parts: Iterable[StreamPart], media_type: str,
                         prefixes: Mapping[str, str] | None = None) -> Iterator[bytes]:
        """One RDF document (``media_type`` of GRAPH_FORMATS) holding the triples of each
        part, in order: a CONSTRUCT query (a string, or a ``ConstructPart`` that also notes
        what it wrote), or triples at hand. ``parts`` and its parts are read lazily, so a
        later part may be worked out from what earlier ones wrote, while those are on
        their way. Bytes come as they are written where the engine can stream (embedded);
        here, all at once, written by rdflib. A stream has no deadline: bound the parts'
        queries yourself. An error after the first bytes ends the body early."""
        if media_type not in GRAPH_FORMATS:
            from kg.errors import NotAcceptable

            raise NotAcceptable(f"{media_type} is not an RDF graph format")
        graph = Graph()
        for prefix, namespace in (prefixes or {}).items():
            graph.bind(prefix, namespace, override=True, replace=True)
        for part in parts:
            if isinstance(part, str | ConstructPart):
                sparql = part if isinstance(part, str) else part.sparql
                answer = self.query(sparql).graph or Graph()
                if isinstance(part, ConstructPart) and part.watch is not None:
                    part.watch.note(answer)
                graph += answer
            else:
                for triple in part:
                    graph.add(triple)
        fmt = {"ntriples": "nt"}.get(GRAPH_FORMATS[media_type], GRAPH_FORMATS[media_type])
        yield graph.serialize(format=fmt, encoding="utf-8")

    @property
    def query_concurrency(self) -> int | None:
        """How many engine queries may run at once (None: not bounded here)."""
        return None

    @abstractmethod
    def get_graph(self, name: URIRef) -> Graph:
        """The triples of one named graph (empty Graph if it does not exist)."""

    @abstractmethod
    def has_graph(self, name: URIRef) -> bool: ...

    @abstractmethod
    def graph_names(self) -> list[URIRef]: ...

    @abstractmethod
    def triple_count(self, graph: URIRef | None = None) -> int:
        """Triples in one named graph, or in all named graphs (quads) when ``graph`` is None."""

    # -- writes --------------------------------------------------------------------------
    def replace_graphs(
        self,
        graphs: Mapping[URIRef, Iterable[Triple]],
        *,
        drop: Iterable[URIRef] = (),
        add: Mapping[URIRef, Iterable[Triple]] | None = None,
        remove_subjects: Mapping[URIRef, Iterable[URIRef]] | None = None,
    ) -> None:
        """In ONE transaction: drop every graph in ``drop``, replace the content of every
        graph in ``graphs`` with the given triples, delete from graph G every triple whose
        subject is listed in ``remove_subjects[G]``, then add ``add``'s triples to those
        graphs (kept content; used for the provenance records). All or nothing: it is one
        SPARQL Update request, which engines apply as one transaction."""
        graphs, drop = dict(graphs), list(drop)
        request = replace_graphs_update(graphs, drop, add, remove_subjects)
        if request:
            self.update(request, touched=touched_by(graphs, drop, add, remove_subjects))

    def add_triples(self, graph: URIRef, triples: Iterable[Triple]) -> None:
        """Add triples to ``graph`` as they are, in one transaction. Not a write path:
        nothing is validated or recorded (scratch stores: the validation workspace, the
        write path's staging). The embedded store keeps blank-node labels, so results on
        blank nodes map back to the input."""
        self.replace_graphs({}, add={graph: list(triples)})

    def copy_into(self, other: Store) -> None:
        """Copy every quad of this store into ``other`` in one transaction (the bulk
        path's staging store into the store)."""
        buffer = io.BytesIO()
        self.export(buffer, "nquads")
        other.import_quads(buffer.getvalue(), "nquads")

    @abstractmethod
    def update(self, sparql_update: str, *, timeout: float | None = None,
               touched: Iterable[URIRef] | None = None) -> None:
        """Run a SPARQL 1.1 Update request atomically, then call ``changed(touched)``
        (``touched``: the graphs the request changes, when the caller knows them)."""

    @abstractmethod
    def clear(self) -> None:
        """Remove everything (used by restore into an empty store and by tests)."""

    # -- bulk ----------------------------------------------------------------------------
    @abstractmethod
    def export(self, out: BinaryIO, format: Literal["nquads", "trig"] = "nquads") -> None:
        """Write every named graph (the whole dataset) to ``out``."""

    @abstractmethod
    def import_quads(self, data: BinaryIO | bytes, format: str = "nquads", *,
                     base_iri: str | None = None, to_graph: URIRef | None = None) -> None:
        """Add RDF (N-Quads, TriG, or a triples format into ``to_graph``) in one
        transaction (the staging of the write path's bulk path, restores)."""

    def bulk_import(self, data: bytes, format: str = "nquads", *,
                    base_iri: str | None = None) -> None:
        """Add quads with the engine's fastest loader. Unless ``bulk_import_is_atomic``, a
        failure or a crash can leave part of them: the write path journals such loads
        (``kg.write.bulk``) and only uses them while it holds the store alone."""
        self.import_quads(data, format, base_iri=base_iri)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (flush on-disk stores)."""

    def ping(self) -> bool:
        """True when the store answers a trivial query."""
        try:
            self.query("ASK { }")
        except Exception:
            return False
        return True
