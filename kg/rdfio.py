"""Reading RDF input in any supported format, with positions on every syntax error.

Formats have short names used everywhere: turtle, ntriples, nquads, trig, xml (RDF/XML),
json-ld. JSON-LD is expanded with shipped contexts only (kg.jsonld).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.term import Identifier

from kg.errors import ParseError, PayloadTooLarge, UnsupportedMediaType
from kg.jsonld import load_json, to_nquads
from kg.store.canonical import written_tags
from kg.store.parsing import count_quads, parse_quads, syntax_error

MEDIA_TYPES: dict[str, str] = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
}
EXTENSIONS: dict[str, str] = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "ntriples",
    ".nq": "nquads",
    ".nquads": "nquads",
    ".trig": "trig",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
    ".jsonld": "json-ld",
    ".json": "json-ld",
}
FORMAT_MEDIA: dict[str, str] = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "nquads": "application/n-quads",
    "trig": "application/trig",
    "xml": "application/rdf+xml",
    "json-ld": "application/ld+json",
}
QUAD_FORMATS = {"nquads", "trig"}
#: Charsets a body may declare (US-ASCII is a subset of UTF-8).
UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
BOM = b"\xef\xbb\xbf"
#: A request body is one description of at most this many triples (parse_dataset and
#: parse_graph; files named on the command line are not bounded).
MAX_BODY_TRIPLES = 100_000

Quad = tuple[Identifier, Identifier, Identifier, URIRef | None]


def format_for_media_type(media_type: str | None) -> str:
    """Our format name for a Content-Type header value (parameters ignored)."""
    if not media_type:
        raise UnsupportedMediaType("a Content-Type is required (e.g. text/turtle)")
    bare, *params = (part.strip() for part in media_type.split(";"))
    bare = bare.lower()
    fmt = MEDIA_TYPES.get(bare)
    if fmt is None:
        supported = ", ".join(sorted(set(MEDIA_TYPES) - {"text/plain", "application/xml"}))
        raise UnsupportedMediaType(f"unsupported media type {bare!r}; use one of {supported}")
    for param in params:
        name, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in UTF8_CHARSETS and fmt != "xml":
            # Turtle, N-Triples, N-Quads, TriG and JSON-LD are UTF-8 by definition; reading
            # the bytes as UTF-8 anyway would silently disagree with what the client said.
            raise UnsupportedMediaType(
                f"{bare} is always UTF-8; charset={charset} is not supported: send UTF-8 "
                "(and say charset=utf-8, or no charset)")
    return fmt


def format_for_path(path: str | Path) -> str:
    name = str(path).lower()
    for ext in sorted(EXTENSIONS, key=len, reverse=True):
        if name.endswith(ext) or name.endswith(ext + ".gz"):
            return EXTENSIONS[ext]
    raise UnsupportedMediaType(
        f"cannot tell the RDF format of {path}: use one of {', '.join(sorted(EXTENSIONS))}"
    )


def iter_quads(data: bytes, fmt: str, base_iri: str | None = None, *,
               max_triples: int | None = None) -> Iterator[Quad]:
    """Parse ``data`` (bytes) in format ``fmt`` into quads (graph None = default graph).

    With ``max_triples``, input holding more is refused (PayloadTooLarge) after a cheap
    count, before any quad is converted.
    """
    if data.startswith(BOM):  # Windows editors write one; Turtle and JSON parsers refuse it
        data = data[len(BOM):]
    tags = written_tags(data)  # the parsers lower-case language tags: put back the capitals
    if fmt == "json-ld":
        data, fmt, base_iri = jsonld_to_nquads(data, base_iri), "nquads", None
    if max_triples is not None and count_quads(data, fmt, base_iri,
                                               stop_after=max_triples) > max_triples:
        raise PayloadTooLarge(
            f"the body holds more than {max_triples:,} triples; one description is at most "
            "that (load bigger data with `dskg load`, as N-Quads or TriG)")
    if not tags:
        yield from parse_quads(data, fmt, base_iri)
        return
    for s, p, o, g in parse_quads(data, fmt, base_iri):
        if isinstance(o, Literal) and o.language in tags:
            o = Literal(str(o), lang=tags[o.language])
        yield s, p, o, g


def jsonld_to_nquads(data: bytes, base_iri: str | None) -> bytes:
    """JSON-LD expanded to N-Quads with shipped contexts only. Errors are told in JSON-LD
    terms: a statement the expansion made that is not valid RDF is quoted, never given as
    a position in the internal N-Quads text."""
    source = data.decode("utf-8", errors="replace")
    nquads = to_nquads(load_json(data), base_iri, source=source)
    try:
        encoded = nquads.encode("utf-8")
    except UnicodeEncodeError:  # a \ud800-style escape JSON allows but Unicode does not
        raise ParseError("JSON-LD holds an unpaired surrogate (a \\ud800-\\udfff escape "
                         "alone); send valid Unicode", format="json-ld") from None
    error = syntax_error(encoded, "nquads")
    if error is not None:
        line, message = error
        message = re.sub(r"^Parser error at line \d+ column \d+: ", "", message)
        lines = nquads.splitlines()
        statement = lines[line - 1] if 0 < line <= len(lines) else ""
        raise ParseError(f"the JSON-LD expands to a statement that is not valid RDF "
                         f"({message}): {statement[:300]}", format="json-ld")
    return encoded


def parse_dataset(data: bytes, fmt: str, base_iri: str | None = None, *,
                  max_triples: int | None = MAX_BODY_TRIPLES) -> Dataset:
    """Parse into an rdflib Dataset (default-graph triples land in its default graph)."""
    dataset = Dataset()
    default = dataset.default_graph
    for s, p, o, g in iter_quads(data, fmt, base_iri, max_triples=max_triples):
        target = default if g is None else dataset.graph(g)
        target.add((s, p, o))
    return dataset


def parse_graph(data: bytes, fmt: str, base_iri: str | None = None, *,
                max_triples: int | None = MAX_BODY_TRIPLES) -> Graph:
    """Parse and merge every graph into one rdflib Graph (for validation-only uses)."""
    graph = Graph()
    for s, p, o, _g in iter_quads(data, fmt, base_iri, max_triples=max_triples):
        graph.add((s, p, o))
    return graph


class NothingToValidate(ParseError):
    """A description with no statement: validating it would answer "conforms" about
    nothing, which a user reads as "my data is fine"."""

    title = "Nothing to validate"


def require_statements(graph: Graph | Dataset, what: str = "the body") -> None:
    """Refuse an empty description (empty input, only comments or prefixes, ``{}``)."""
    if len(graph) == 0 and not any(len(g) for g in getattr(graph, "graphs", lambda: [])()):
        raise NothingToValidate(
            f"{what} holds no RDF statement (it is empty, or only comments, prefixes or a "
            "JSON-LD context): there is nothing to validate")


def parse_file(path: str | Path, fmt: str | None = None, base_iri: str | None = None
               ) -> Dataset:
    """Parse a file (format from its extension unless given; relative IRIs resolved against
    ``base_iri``, by default the file's own URI)."""
    path = Path(path)
    fmt = fmt or format_for_path(path)
    return parse_dataset(path.read_bytes(), fmt, base_iri=base_iri or path.resolve().as_uri(),
                         max_triples=None)
