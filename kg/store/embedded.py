"""The embedded store: pyoxigraph, on disk or in memory."""

from __future__ import annotations

import contextlib
import io
import os
import queue
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, cast

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Identifier

from kg.errors import (
    BadRequest,
    NotAcceptable,
    ParseError,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    ServiceFailed,
    ServiceTimeout,
    StoreUnavailable,
)
from kg.store.answers import GRAPH_FORMATS, RESULT_FORMATS, QueryResult, SerializedResult
from kg.store.base import Store, StreamPart, Triple
from kg.store.lookups import INLINE_ROWS, point_lookup
from kg.store.results import rows_at_most, rows_exactly
from kg.store.sparql_text import bind_variables, term_n3
from kg.store.terms import from_ox, ox_quad, to_ox

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

    Only for stores without query workers (scratch stores of the write path and of
    validation, whose queries are the project's own): pyoxigraph cannot cancel a query, so a
    call past its deadline is abandoned and the caller gets QueryTimeout. Served stores run
    queries in killable worker processes (``kg.store.workers``). The threads are kept and
    reused (starting one per query cost more than most policy queries): an abandoned call
    keeps its thread until it ends, then that thread serves again.
    """

    _idle: ClassVar[list[_Runner]] = []
    _lock = threading.Lock()

    @classmethod
    def run(cls, fn: Any, timeout: float | None) -> Any:
        if timeout is None:
            return fn()
        with cls._lock:
            runner = cls._idle.pop() if cls._idle else None
        if runner is None:
            runner = _Runner(cls._idle, cls._lock)
        call = _Call(fn)
        runner.calls.put(call)
        if not call.done.wait(timeout):
            raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped")
        if call.error is not None:
            raise call.error
        return call.value


class _Call:
    __slots__ = ("done", "error", "fn", "value")

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class _Runner:
    """One kept query thread: runs calls one at a time, then puts itself back as idle."""

    def __init__(self, idle: list[_Runner], lock: threading.Lock) -> None:
        self.calls: queue.SimpleQueue[_Call] = queue.SimpleQueue()
        self._idle, self._lock = idle, lock
        threading.Thread(target=self._loop, daemon=True, name="dskg-query").start()

    def _loop(self) -> None:
        while True:
            call = self.calls.get()
            try:
                call.value = call.fn()
            except BaseException as exc:
                # The traceback's frames hold engine objects that must be freed on this
                # thread (pyoxigraph results are not sendable), so drop them here.
                exc.__traceback__ = None
                call.error = exc
            call.fn = None
            # Drop this thread's hold on the call (its result may hold engine objects)
            # before the caller wakes: a caller that closes the store and opens it again
            # must find the engine released, not held by a thread yet to loop.
            done = call.done
            del call
            done.set()
            del done
            with self._lock:
                self._idle.append(self)


def _forget_threads() -> None:
    """A forked child has none of its parent's threads."""
    _Deadline._idle = []
    _Deadline._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_threads)


RESULT_WRITERS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                  "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
GRAPH_WRITERS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                 "xml": ox.RdfFormat.RDF_XML, "json-ld": ox.RdfFormat.JSON_LD}
#: Bytes a serialised answer may take per allowed row before the worker stops writing.
BYTES_PER_ROW = 2048


class _CappedSink:
    """Where the engine writes a SELECT answer; counts rows as they come (an upper bound
    from the format's row marker, made exact only when it passes ``limit``) and stops the
    engine as soon as the answer has more than ``limit`` rows or ``cap`` bytes."""

    def __init__(self, fmt: str, limit: int | None) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.fmt = fmt
        self.limit = limit
        self.cap = None if limit is None else (limit + 1) * BYTES_PER_ROW
        self.bound = 0  # rows started so far, at most (over-counted by markers in values)
        self.check_at = limit
        self.tail = b""
        self.over = False

    def _count(self, data: bytes) -> int:
        if self.fmt == "json":
            return data.count(b"{") - data.count(b":{")
        if self.fmt == "xml":  # a marker may straddle two writes
            joined = self.tail + data
            self.tail = joined[-7:]
            return joined.count(b"<result>")  # the old tail is too short to hold one
        return data.count(b"\n")

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        self.size += len(chunk)
        self.parts.append(chunk)
        if self.limit is None:
            return len(chunk)
        if self.cap is not None and self.size > self.cap:
            self.over = True
            raise OSError("answer over the size cap")
        self.bound += self._count(chunk)
        assert self.check_at is not None
        if self.bound - 1 > self.check_at:  # minus the outer object / header line
            if rows_exactly(b"".join(self.parts), self.fmt) > self.limit:
                self.over = True
                raise OSError("answer over the row cap")
            # Values held markers: look again when the bound has doubled (linear in all).
            self.check_at = 2 * self.bound
        return len(chunk)

    def flush(self) -> None:
        pass


def run_request(engine: ox.Store, request: dict[str, Any]) -> tuple[str, bytes]:
    """Run one query request and serialise its answer with the engine's own writers.

    ``request``: sparql, results (RESULT_WRITERS key), graph (GRAPH_WRITERS key), limit,
    default_graphs / named_graphs (IRIs or None), base_iri. Returns (form, bytes). Runs in a
    query worker process (or a thread for scratch stores).
    """
    if request.get("probe"):
        engine.contains_named_graph(ox.NamedNode("urn:dskg:probe"))
        return "ASK", b""
    kwargs: dict[str, Any] = {}
    if request.get("default_graphs"):
        kwargs["default_graph"] = [_graph_name(URIRef(g)) for g in request["default_graphs"]]
    else:
        kwargs["use_default_graph_as_union"] = True
    if request.get("named_graphs"):
        kwargs["named_graphs"] = [_graph_name(URIRef(g)) for g in request["named_graphs"]]
    if request.get("base_iri"):
        kwargs["base_iri"] = request["base_iri"]
    limit: int | None = request.get("limit")
    try:
        answer = engine.query(request["sparql"], **kwargs)
        if isinstance(answer, ox.QueryBoolean):
            return "ASK", answer.serialize(format=RESULT_WRITERS[request["results"]]) or b""
        if isinstance(answer, ox.QuerySolutions):
            fmt = request["results"]
            sink = _CappedSink(fmt, limit)
            try:
                # The sink is a writable binary file as far as the engine is concerned.
                answer.serialize(cast(BinaryIO, sink), format=RESULT_WRITERS[fmt])
            except OSError:
                if not sink.over:
                    raise
                raise ResultTooLarge(f"the query returns more than {limit} rows") from None
            body = b"".join(sink.parts)
            if limit is not None and rows_at_most(body, fmt) > limit \
                    and rows_exactly(body, fmt) > limit:
                raise ResultTooLarge(f"the query returns more than {limit} rows")
            return "SELECT", body
        triples: list[ox.Triple] = []
        for triple in answer:
            if limit is not None and len(triples) >= limit:
                raise ResultTooLarge(f"the query returns more than {limit} triples")
            triples.append(triple)
        return "CONSTRUCT", ox.serialize(triples, format=GRAPH_WRITERS[request["graph"]]) or b""
    except SyntaxError as exc:
        raise query_syntax_error(exc) from None
    except OSError as exc:
        raise engine_error(exc, request["sparql"]) from None


_SERVICE_IRI = re.compile(r"\bSERVICE\s+(?:SILENT\s+)?<([^<>\s]*)>", re.IGNORECASE)


def engine_error(exc: OSError, sparql: str) -> Exception:
    """An engine I/O error: a failed SERVICE call (502, 504 when it timed out) naming the
    endpoint, else the store's own failure (503). No traceback reaches the client."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    endpoints = _SERVICE_IRI.findall(sparql)
    if not endpoints and "SERVICE" not in sparql.upper():
        return StoreUnavailable(f"store error: {text}")
    named = ", ".join(f"<{e}>" for e in dict.fromkeys(endpoints)) or "a SERVICE endpoint"
    timed_out = isinstance(exc, TimeoutError) or "timed out" in text.lower()
    cls = ServiceTimeout if timed_out else ServiceFailed
    return cls(f"the SERVICE call to {named} failed: {text} (SERVICE SILENT gives the empty "
               "solution instead)", endpoint=endpoints[0] if len(endpoints) == 1 else None)


def _checked(form: str, body: bytes, media_type: str) -> SerializedResult:
    graph_form = form in ("CONSTRUCT", "DESCRIBE")
    if graph_form != (media_type in GRAPH_FORMATS):
        kind = "an RDF graph" if graph_form else "SPARQL results"
        raise NotAcceptable(f"the query answers with {kind}, not {media_type}")
    return SerializedResult(media_type, body)


def _graph_from_ntriples(body: bytes) -> Graph:
    graph = Graph()
    for triple in ox.parse(body, format=ox.RdfFormat.N_TRIPLES):
        graph.add((from_ox(triple.subject), from_ox(triple.predicate), from_ox(triple.object)))
    return graph


def _result_from_json(form: str, body: bytes) -> QueryResult:
    answer = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult(kind="ASK", boolean=bool(answer))
    variables = [v.value for v in answer.variables]
    rows = [tuple(None if value is None else from_ox(value) for value in solution)
            for solution in answer]
    return QueryResult(kind="SELECT", variables=variables, rows=rows)


class EmbeddedStore(Store):
    """pyoxigraph ``Store``; ``path=None`` keeps everything in memory.

    With ``query_workers`` (the served store), queries that carry a timeout run in that
    many forked worker processes at most (``kg.store.workers``): killed at their deadline.
    """

    #: Oxigraph's bulk loader writes index files directly, outside any transaction.
    bulk_import_is_atomic = False
    #: Oxigraph's ``dump`` reads one snapshot of the store.
    export_is_snapshot = True

    def __init__(self, path: str | Path | None = None, *, query_workers: int = 0) -> None:
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
        # Every write holds it, so a worker is never forked in the middle of one.
        self._write_lock = threading.RLock()
        self._pool = None
        if query_workers and hasattr(os, "fork"):
            from kg.store.workers import QueryPool

            engine = self._ox
            self._pool = QueryPool(lambda request: run_request(engine, request),
                                   query_workers, self._write_lock, probe={"probe": True})

    @property
    def query_concurrency(self) -> int | None:
        return self._pool.concurrency if self._pool is not None else None

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the write lock for one engine write; afterwards, query workers forked
        before it are stale (invalidated under the lock, so none is forked in between)."""
        with self._write_lock:
            try:
                yield
            finally:
                if self._pool is not None:
                    self._pool.invalidate()

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
            raise engine_error(exc, sparql) from None

    def _request(self, sparql: str, *, results: str, graph: str, limit: int | None,
                 default_graphs: Sequence[URIRef] | None,
                 named_graphs: Sequence[URIRef] | None,
                 base_iri: str | None = None) -> dict[str, Any]:
        for name in [*(default_graphs or ()), *(named_graphs or ())]:
            _graph_name(name)  # a bad IRI is the caller's error, found here
        return {"sparql": sparql, "results": results, "graph": graph, "limit": limit,
                "default_graphs": [str(g) for g in default_graphs or ()] or None,
                "named_graphs": [str(g) for g in named_graphs or ()] or None,
                "base_iri": base_iri}

    def query(self, sparql: str, bindings: Mapping[str, Identifier] | None = None, *,
              timeout: float | None = None, limit: int | None = None,
              default_graphs: Sequence[URIRef] | None = None,
              named_graphs: Sequence[URIRef] | None = None) -> QueryResult:
        if self._pool is not None and timeout is not None:
            request = self._request(bind_variables(sparql, bindings), results="json",
                                    graph="ntriples", limit=limit,
                                    default_graphs=default_graphs, named_graphs=named_graphs)
            form, body = self._pool.run(request, timeout)
            if form == "CONSTRUCT":
                return QueryResult(kind="CONSTRUCT", graph=_graph_from_ntriples(body))
            return _result_from_json(form, body)

        def run() -> QueryResult:
            try:
                return evaluate()
            except OSError as exc:  # raised while iterating (evaluation is lazy)
                raise engine_error(exc, sparql) from None

        def evaluate() -> QueryResult:
            answer = self._execute(sparql, bindings, default_graphs, named_graphs)
            if isinstance(answer, ox.QueryBoolean):
                return QueryResult(kind="ASK", boolean=bool(answer))
            if isinstance(answer, ox.QuerySolutions):
                variables = [v.value for v in answer.variables]
                rows: list[tuple[Identifier | None, ...]] = []
                for solution in answer:
                    if limit is not None and len(rows) >= limit:
                        raise ResultTooLarge(f"the query returns more than {limit} rows")
                    # a solution iterates its values in the order of ``variables``
                    rows.append(tuple(None if value is None else from_ox(value)
                                      for value in solution))
                return QueryResult(kind="SELECT", variables=variables, rows=rows)
            graph = Graph()
            for count, triple in enumerate(answer):
                if limit is not None and count >= limit:
                    raise ResultTooLarge(f"the query returns more than {limit} triples")
                graph.add((from_ox(triple.subject), from_ox(triple.predicate),
                           from_ox(triple.object)))
            return QueryResult(kind="CONSTRUCT", graph=graph)

        return _Deadline.run(run, timeout)

    def query_serialized(self, sparql: str, media_type: str, *,
                         timeout: float | None = None, limit: int | None = None,
                         default_graphs: Sequence[URIRef] | None = None,
                         named_graphs: Sequence[URIRef] | None = None,
                         base_iri: str | None = None) -> SerializedResult:
        """The engine's own writers, in a worker process when the store has them."""
        fmt = RESULT_FORMATS.get(media_type) or GRAPH_FORMATS.get(media_type)
        if fmt is None:
            raise NotAcceptable(f"{media_type} is not a format this endpoint writes")
        results = RESULT_FORMATS.get(media_type, "json")
        graph = GRAPH_FORMATS.get(media_type, "turtle")
        request = self._request(sparql, results=results, graph=graph, limit=limit,
                                default_graphs=default_graphs, named_graphs=named_graphs,
                                base_iri=base_iri)
        if self._pool is not None and timeout is not None:
            form, body = self._pool.run(request, timeout)
        else:
            form, body = _Deadline.run(lambda: run_request(self._ox, request), timeout)
        return _checked(form, body, media_type)

    async def query_serialized_async(self, sparql: str, media_type: str,
                                     **options: Any) -> SerializedResult:
        timeout = options.get("timeout")
        if self._pool is None or timeout is None:
            return await super().query_serialized_async(sparql, media_type, **options)
        if point_lookup(sparql) and not options.get("default_graphs") \
                and not options.get("named_graphs"):
            # bounded by one subject's triples: answered here, no worker round trip, while
            # small (a long answer is written by a worker, off the event loop)
            limit = options.get("limit")
            try:
                return self.query_serialized(sparql, media_type, **{
                    **options, "timeout": None,
                    "limit": INLINE_ROWS if limit is None else min(limit, INLINE_ROWS)})
            except ResultTooLarge:
                if limit is not None and limit <= INLINE_ROWS:
                    raise
        fmt = RESULT_FORMATS.get(media_type) or GRAPH_FORMATS.get(media_type)
        if fmt is None:
            raise NotAcceptable(f"{media_type} is not a format this endpoint writes")
        request = self._request(sparql, results=RESULT_FORMATS.get(media_type, "json"),
                                graph=GRAPH_FORMATS.get(media_type, "turtle"),
                                limit=options.get("limit"),
                                default_graphs=options.get("default_graphs"),
                                named_graphs=options.get("named_graphs"),
                                base_iri=options.get("base_iri"))
        form, body = await self._pool.run_async(request, timeout)
        return _checked(form, body, media_type)

    def construct_stream(self, parts: Iterable[StreamPart], media_type: str,
                         prefixes: Mapping[str, str] | None = None) -> Iterator[bytes]:
        """The engine runs the queries and writes the document itself, streamed."""
        from kg.store.streaming import stream_document

        fmt = GRAPH_FORMATS.get(media_type)
        if fmt is None:
            raise NotAcceptable(f"{media_type} is not an RDF graph format")
        return stream_document(self._ox, parts, GRAPH_WRITERS[fmt], dict(prefixes or {}),
                               on_error=engine_error)

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
        assert isinstance(answer, ox.QuerySolutions)
        return int(next(iter(answer))["n"].value)

    # -- writes --------------------------------------------------------------------------
    def update(self, sparql_update: str, *, timeout: float | None = None,
               touched: Iterable[URIRef] | None = None) -> None:
        try:
            with self._writing():
                self._ox.update(sparql_update)
        except SyntaxError as exc:
            raise query_syntax_error(exc, "SPARQL Update") from None
        except OSError as exc:
            raise StoreUnavailable(f"store error: {exc}") from exc
        self.changed(touched)

    def clear(self) -> None:
        with self._writing():
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
            with self._writing():
                self._ox.load(source, **kwargs)
        except SyntaxError as exc:
            raise parse_error(exc, format) from None
        self.changed(None if to_graph is None else [to_graph])

    def bulk_import(self, data: bytes, format: str = "nquads", *,
                    base_iri: str | None = None) -> None:
        kwargs: dict[str, Any] = {"base_iri": base_iri} if base_iri else {}
        try:
            with self._writing():
                if self.path is None:  # in memory, a plain load is atomic and twice as fast
                    self._ox.load(data, format=RDF_FORMATS[format], **kwargs)
                else:
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
        with self._writing():
            self._ox.extend(ox_quad(to_ox(s), to_ox(p), to_ox(o), name) for s, p, o in triples)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self.path is not None and self._ox is not None:
            self._ox.flush()
            # Dropping the engine releases the on-disk lock even while a traceback still
            # references this object (the next open in the same process must succeed).
            self._ox = None  # type: ignore[assignment]
