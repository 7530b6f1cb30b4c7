"""The embedded store: pyoxigraph, on disk or in memory."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Identifier

from kg.errors import (
    BadRequest,
    ParseError,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    StoreUnavailable,
)
from kg.store.base import (
    QueryResult,
    Store,
    Triple,
)
from kg.store.sparql_text import bind_variables, term_n3
from kg.store.terms import from_ox, to_ox

RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "xml": ox.RdfFormat.RDF_XML,
    "json-ld": ox.RdfFormat.JSON_LD,
}


def parse_error(exc: SyntaxError, fmt: str) -> ParseError:
    """Turn a pyoxigraph SyntaxError into our ParseError with its position."""
    return ParseError(f"{fmt} syntax error: {exc.msg}", line=exc.lineno, column=exc.offset,
                      format=fmt)


def query_syntax_error(exc: SyntaxError, what: str = "SPARQL") -> QuerySyntaxError:
    """Our error for an engine parse failure: first line of the message, and the position."""
    text = str(exc).splitlines()[0] if str(exc) else "syntax error"
    if len(text) > 240:
        text = text[:240] + "..."
    where = re.search(r"at (\d+):(\d+)", text)
    extra = {"line": int(where.group(1)), "column": int(where.group(2))} if where else {}
    return QuerySyntaxError(f"{what} syntax error: {text}", **extra)


def _graph_name(iri: URIRef) -> ox.NamedNode:
    try:
        return ox.NamedNode(str(iri))
    except ValueError as exc:
        raise BadRequest(f"graph name {str(iri)!r} is not an absolute IRI: {exc}") from None


class _Deadline:
    """Runs a blocking engine call in a daemon thread so the caller can stop waiting.

    pyoxigraph releases the GIL while evaluating, so other requests keep being served; it
    cannot cancel a query, so a call past its deadline is abandoned (its thread ends when
    the engine does) and the caller gets QueryTimeout.
    """

    @staticmethod
    def run(fn: Any, timeout: float | None) -> Any:
        if timeout is None:
            return fn()
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:
                # The traceback's frames hold engine objects that must be freed on this
                # thread (pyoxigraph results are not sendable), so drop them here.
                exc.__traceback__ = None
                box["error"] = exc

        worker = threading.Thread(target=target, daemon=True, name="dskg-query")
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped")
        if "error" in box:
            raise box["error"]
        return box["value"]


class EmbeddedStore(Store):
    """pyoxigraph ``Store``; ``path=None`` keeps everything in memory."""

    #: Oxigraph's bulk loader writes index files directly, outside any transaction.
    bulk_import_is_atomic = False

    def __init__(self, path: str | Path | None = None) -> None:
        super().__init__()
        self.path = str(path) if path is not None else None
        self.kind = "embedded (in memory)" if path is None else f"embedded ({path})"
        try:
            if path is None:
                self._ox = ox.Store()
            else:
                Path(path).mkdir(parents=True, exist_ok=True)
                self._ox = ox.Store(str(path))
        except OSError as exc:
            raise StoreUnavailable(f"cannot open the store at {path}: {exc}") from exc

    # -- reads ---------------------------------------------------------------------------
    def _execute(self, sparql: str, bindings: Mapping[str, Identifier] | None,
                 default_graphs: Sequence[URIRef] | None,
                 named_graphs: Sequence[URIRef] | None) -> Any:
        kwargs: dict[str, Any] = {}
        if default_graphs:
            kwargs["default_graph"] = [_graph_name(g) for g in default_graphs]
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs:
            kwargs["named_graphs"] = [_graph_name(g) for g in named_graphs]
        try:
            return self._ox.query(bind_variables(sparql, bindings), **kwargs)
        except SyntaxError as exc:
            raise query_syntax_error(exc) from None
        except OSError as exc:
            raise StoreUnavailable(f"store error: {exc}") from exc

    def query(self, sparql: str, bindings: Mapping[str, Identifier] | None = None, *,
              timeout: float | None = None, limit: int | None = None,
              default_graphs: Sequence[URIRef] | None = None,
              named_graphs: Sequence[URIRef] | None = None) -> QueryResult:
        def run() -> QueryResult:
            answer = self._execute(sparql, bindings, default_graphs, named_graphs)
            if isinstance(answer, ox.QueryBoolean):
                return QueryResult(kind="ASK", boolean=bool(answer))
            if isinstance(answer, ox.QuerySolutions):
                variables = [v.value for v in answer.variables]
                rows = []
                for solution in answer:
                    if limit is not None and len(rows) >= limit:
                        raise ResultTooLarge(f"the query returns more than {limit} rows")
                    rows.append(tuple(
                        None if solution[v] is None else from_ox(solution[v]) for v in variables
                    ))
                return QueryResult(kind="SELECT", variables=variables, rows=rows)
            graph = Graph()
            for count, triple in enumerate(answer):
                if limit is not None and count >= limit:
                    raise ResultTooLarge(f"the query returns more than {limit} triples")
                graph.add((from_ox(triple.subject), from_ox(triple.predicate),
                           from_ox(triple.object)))
            return QueryResult(kind="CONSTRUCT", graph=graph)

        return _Deadline.run(run, timeout)

    def get_graph(self, name: URIRef) -> Graph:
        graph = Graph(identifier=name)
        for quad in self._ox.quads_for_pattern(None, None, None, ox.NamedNode(str(name))):
            graph.add((from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))
        return graph

    def has_graph(self, name: URIRef) -> bool:
        return self._ox.contains_named_graph(ox.NamedNode(str(name)))

    def graph_names(self) -> list[URIRef]:
        return sorted(URIRef(g.value) for g in self._ox.named_graphs()
                      if isinstance(g, ox.NamedNode))

    def triple_count(self, graph: URIRef | None = None) -> int:
        if graph is None:
            query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        else:
            query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {term_n3(graph)} {{ ?s ?p ?o }} }}"
        answer = self._ox.query(query)
        return int(next(iter(answer))["n"].value)

    # -- writes --------------------------------------------------------------------------
    def update(self, sparql_update: str, *, timeout: float | None = None,
               touched: Iterable[URIRef] | None = None) -> None:
        try:
            self._ox.update(sparql_update)
        except SyntaxError as exc:
            raise query_syntax_error(exc, "SPARQL Update") from None
        except OSError as exc:
            raise StoreUnavailable(f"store error: {exc}") from exc
        self.changed(touched)

    def clear(self) -> None:
        self._ox.clear()
        self.changed(None)

    # -- bulk ----------------------------------------------------------------------------
    def export(self, out: BinaryIO, format: str = "nquads") -> None:
        fmt = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}[format]
        self._ox.dump(out, format=fmt)

    def import_quads(self, data: BinaryIO | bytes, format: str = "nquads", *,
                     base_iri: str | None = None, to_graph: URIRef | None = None) -> None:
        """Load RDF in any supported format in one transaction (all or nothing)."""
        fmt = RDF_FORMATS[format]
        kwargs: dict[str, Any] = {"format": fmt}
        if base_iri:
            kwargs["base_iri"] = base_iri
        if to_graph is not None:
            kwargs["to_graph"] = ox.NamedNode(str(to_graph))
        source = io.BytesIO(data) if isinstance(data, bytes) else data
        try:
            self._ox.load(source, **kwargs)
        except SyntaxError as exc:
            raise parse_error(exc, format) from None
        self.changed(None if to_graph is None else [to_graph])

    def bulk_import(self, data: bytes, format: str = "nquads", *,
                    base_iri: str | None = None) -> None:
        kwargs: dict[str, Any] = {"base_iri": base_iri} if base_iri else {}
        try:
            self._ox.bulk_load(data, format=RDF_FORMATS[format], **kwargs)
        except SyntaxError as exc:
            raise parse_error(exc, format) from None
        finally:
            self.changed(None)

    def add_triples(self, graph: URIRef, triples: Iterable[Triple]) -> None:
        """Add rdflib triples to ``graph`` as they are, blank-node labels kept (a scratch
        store for validation: results on blank nodes must map back to the input). Not a
        write path: nothing is validated or recorded, and no listener is told."""
        name = ox.NamedNode(str(graph))
        self._ox.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), name) for s, p, o in triples)

    def copy_into(self, other: Store) -> None:
        """Copy every quad of this store into ``other`` in one transaction."""
        buffer = io.BytesIO()
        self.export(buffer, "nquads")
        other.import_quads(buffer.getvalue(), "nquads")

    def close(self) -> None:
        if self.path is not None and self._ox is not None:
            self._ox.flush()
            # Dropping the engine releases the on-disk lock even while a traceback still
            # references this object (the next open in the same process must succeed).
            self._ox = None  # type: ignore[assignment]
