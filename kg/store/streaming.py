"""One RDF document written by the engine's own serializer while it is being computed.

The parts are CONSTRUCT queries (run lazily, in order, their triples never becoming rdflib
terms) and triples already at hand (rdflib terms, converted on the way); a part may be a
generator that computes its triples only once the parts before it were written, so the first
bytes leave before the whole document is known. pyoxigraph's ``serialize`` pushes bytes
into a file-like sink: it runs in a thread and hands them over through a bounded queue.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, cast

import pyoxigraph as ox
from rdflib import URIRef

from kg.store.base import ConstructPart, StreamPart, Watch
from kg.store.terms import to_ox

#: Bytes handed to the reader at once (after the first write, which goes at once for the
#: first byte): the writer's 8 KB writes are gathered, since each hand-over between the
#: two threads costs a GIL switch (up to 5 ms): with 8 KB chunks that doubled the time.
_CHUNK = 256 * 1024
#: Chunks the writer may be ahead of the reader.
_AHEAD = 8
_END = object()


class _Gone(OSError):
    """The reader stopped reading (the client went away): the writer stops too."""


def stream_document(engine: ox.Store, parts: Iterable[StreamPart],
                    fmt: ox.RdfFormat, prefixes: dict[str, str] | None = None,
                    on_error: Any = None) -> Iterator[bytes]:
    """Bytes of one document in ``fmt`` holding every part's triples, as they are written.
    ``on_error(exc, sparql)`` turns an engine error into the project's exception."""
    chunks: queue.Queue[object] = queue.Queue(maxsize=_AHEAD)
    gone = threading.Event()

    def put(item: object) -> None:
        while not gone.is_set():
            try:
                chunks.put(item, timeout=0.2)
                return
            except queue.Full:
                continue
        raise _Gone("the reader went away")

    class Sink:
        def __init__(self) -> None:
            self.parts: list[bytes] = []
            self.size = 0
            self.first = True

        def write(self, data: bytes) -> int:
            self.parts.append(bytes(data))
            self.size += len(data)
            if self.first or self.size >= _CHUNK:
                self.flush()
            return len(data)

        def flush(self) -> None:
            if self.parts:
                put(b"".join(self.parts))
                self.parts, self.size, self.first = [], 0, False

    def triples() -> Iterator[ox.Triple]:
        for part in parts:
            if isinstance(part, str | ConstructPart):
                sparql = part if isinstance(part, str) else part.sparql
                watch = part.watch if isinstance(part, ConstructPart) else None
                try:
                    answer = cast(Iterable[ox.Triple], engine.query(
                        sparql, use_default_graph_as_union=True))  # a CONSTRUCT's triples
                    yield from answer if watch is None else _watching(answer, watch)
                except (SyntaxError, OSError) as exc:
                    if on_error is None or isinstance(exc, _Gone):
                        raise
                    raise on_error(exc, sparql) from None
            else:
                for s, p, o in part:
                    yield ox.Triple(to_ox(s), to_ox(p), to_ox(o))  # type: ignore[arg-type]

    def produce() -> None:
        try:
            sink = Sink()
            ox.serialize(triples(), cast(BinaryIO, sink), fmt, prefixes=prefixes)
            sink.flush()
            put(_END)
        except _Gone:
            pass
        except BaseException as exc:  # handed to the reader, raised there
            with contextlib.suppress(_Gone):
                put(exc)

    writer = threading.Thread(target=produce, name="rdf-stream", daemon=True)
    writer.start()
    try:
        while True:
            item = chunks.get()
            batch = [item]
            while item is not _END and not isinstance(item, BaseException):
                try:  # what is already there goes out in one piece
                    item = chunks.get_nowait()
                except queue.Empty:
                    break
                batch.append(item)
            data = b"".join(b for b in batch if isinstance(b, bytes))
            if data:
                yield data
            if batch[-1] is _END:
                return
            if isinstance(batch[-1], BaseException):
                raise batch[-1]
    finally:
        gone.set()
        # A dropped stream may be collected by any thread, the writer's own included.
        if threading.current_thread() is not writer:
            writer.join(5)


_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _watching(answer: Iterable[ox.Triple], watch: Watch) -> Iterator[ox.Triple]:
    """The triples, noting in ``watch`` what it asks for. The loop is what every triple
    pays (about 1 µs): engine terms are kept, the few distinct ones converted at the end."""
    watched: dict[str, set[Any]] = {str(p): set() for p in watch.predicates}
    subjects: set[Any] = set()
    types: set[tuple[Any, Any]] = set()
    last = None
    for triple in answer:
        predicate = triple.predicate.value
        if predicate in watched:
            watched[predicate].add(triple.object)
        elif predicate == _RDF_TYPE:
            types.add((triple.subject, triple.object))
        subject = triple.subject
        if subject != last:  # the engine writes a subject's triples together
            subjects.add(subject)
            last = subject
        yield triple
    named = ox.NamedNode
    watch.subjects.update(URIRef(s.value) for s in subjects if type(s) is named)
    watch.types.update((URIRef(s.value), URIRef(o.value)) for s, o in types
                       if type(s) is named and type(o) is named)
    for predicate, values in watched.items():
        iris = {URIRef(v.value) for v in values if type(v) is named}
        if iris:
            watch.objects.setdefault(URIRef(predicate), set()).update(iris)
