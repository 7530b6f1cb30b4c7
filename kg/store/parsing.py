"""Fast RDF parsing with the engine's Rust parsers (line/column on every error)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO
from xml.parsers import expat

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.term import Identifier, Node

from kg.errors import ParseError, PayloadTooLarge
from kg.store.embedded import RDF_FORMATS
from kg.store.terms import from_ox, ox_quad, to_ox

Quad = tuple[Identifier, Identifier, Identifier, URIRef | None]
#: Most text the internal entities of one RDF/XML document may expand to.
MAX_XML_ENTITY_BYTES = 1 << 20
#: Deepest element nesting accepted in RDF/XML (64 levels of nested nodes: each is a
#: node element inside a property element).
MAX_XML_DEPTH = 130
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY\s+(%\s*)?([^\s\"'>]+)\s*(?:\"([^\"]*)\"|'([^']*)')?")
_ENTITY_REFERENCE = re.compile(rb"&([A-Za-z_:][\w.:-]*);")


def parse_quads(data: bytes | BinaryIO, fmt: str, base_iri: str | None = None
                ) -> Iterator[Quad]:
    """Yield (s, p, o, graph-or-None) in rdflib terms. Raises ParseError with the position.

    JSON-LD never reaches this function with a remote context: kg.jsonld expands it first
    with shipped contexts only and hands us N-Quads.
    """
    if fmt not in RDF_FORMATS or fmt == "json-ld":
        raise ParseError(f"unsupported RDF format {fmt!r}")
    if fmt == "xml" and isinstance(data, bytes):
        _check_xml(data)
    try:
        for quad in ox.parse(data, format=RDF_FORMATS[fmt], base_iri=base_iri):
            graph = quad.graph_name
            name = None if isinstance(graph, ox.DefaultGraph) else from_ox(graph)
            if name is not None and not isinstance(name, URIRef):
                raise ParseError("blank-node graph names are not supported")
            yield from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object), name
    except SyntaxError as exc:
        line, column = exc.lineno, exc.offset
        if line is None and isinstance(data, bytes):  # the RDF/XML reader gives none
            line, column = _locate(data, str(exc.msg))
        raise ParseError(f"{fmt} syntax error: {exc.msg}", line=line, column=column,
                         format=fmt) from None
    except ValueError as exc:
        raise ParseError(f"{fmt} error: {exc}", format=fmt) from None
    except MemoryError:  # the parser's buffer (16 MiB) cannot hold one token
        raise PayloadTooLarge(f"{fmt}: a literal or IRI is longer than the parser accepts "
                              "(16 MiB)") from None


def graph_bodies(data: bytes, fmt: str, base_iri: str | None = None) -> dict[str, bytes]:
    """Each named graph's triples as N-Triples (Graph Store Protocol bodies), straight from
    the engine's parser and serialiser; default-graph triples are left out."""
    grouped: dict[str, list[ox.Triple]] = {}
    try:
        for quad in ox.parse(data, format=RDF_FORMATS[fmt], base_iri=base_iri):
            if isinstance(quad.graph_name, ox.NamedNode):
                grouped.setdefault(quad.graph_name.value, []).append(quad.triple)
    except SyntaxError as exc:
        raise ParseError(f"{fmt} syntax error: {exc.msg}", line=exc.lineno,
                         column=exc.offset, format=fmt) from None
    return {name: ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
            for name, triples in grouped.items()}


def count_quads(data: bytes, fmt: str, base_iri: str | None = None, *,
                stop_after: int | None = None) -> int:
    """How many quads ``data`` holds, counted without converting them (stops counting past
    ``stop_after``). Syntax errors are left to ``parse_quads``, which reports them."""
    if fmt == "xml":
        _check_xml(data)
    count = 0
    try:
        for _quad in ox.parse(data, format=RDF_FORMATS[fmt], base_iri=base_iri, lenient=True):
            count += 1
            if stop_after is not None and count > stop_after:
                break
    except (SyntaxError, ValueError, MemoryError):
        pass
    return count


def syntax_error(data: bytes, fmt: str) -> tuple[int, str] | None:
    """The line and message of the first syntax error in ``data``, or None (nothing is
    converted: a fast check of text another tool wrote)."""
    try:
        for _quad in ox.parse(data, format=RDF_FORMATS[fmt]):
            pass
    except SyntaxError as exc:
        return exc.lineno or 0, str(exc.msg)
    return None


class _TooDeep(Exception):
    pass


def _check_xml(data: bytes) -> None:
    """Refuse RDF/XML the engine's reader would take long over or report without a
    position: entity bombs, elements nested deeper than MAX_XML_DEPTH (its cost grows with
    the square of the depth: 2 MB of nested rdf:Description took 80 s), and XML that is
    not well-formed (told with its line and column). One linear pass of expat."""
    _check_xml_entities(data)
    parser = expat.ParserCreate()
    depth = 0

    def start(_name: str, _attributes: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_XML_DEPTH:
            raise _TooDeep

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except _TooDeep:
        raise ParseError(f"RDF/XML with elements nested deeper than {MAX_XML_DEPTH} levels "
                         "is refused", line=parser.CurrentLineNumber,
                         column=parser.CurrentColumnNumber + 1, format="xml") from None
    except expat.ExpatError as exc:
        raise ParseError(f"xml syntax error: {expat.ErrorString(exc.code)}",
                         line=exc.lineno, column=exc.offset + 1, format="xml") from None


def _locate(data: bytes, message: str) -> tuple[int | None, int | None]:
    """Line and column of the first quoted text of ``message`` in ``data`` (the RDF/XML
    reader names the offending IRI or name but not where it is)."""
    quoted = re.search(r"'([^']+)'", message)
    at = data.find(quoted.group(1).encode("utf-8")) if quoted else -1
    if at < 0:
        return None, None
    line = data.count(b"\n", 0, at) + 1
    return line, at - (data.rfind(b"\n", 0, at) + 1) + 1


def _check_xml_entities(data: bytes) -> None:
    """The RDF/XML reader expands internal entities: refuse external and parameter ones,
    ones that nest, and more than MAX_XML_ENTITY_BYTES of expansion ("billion laughs")."""
    values: dict[bytes, bytes] = {}
    for match in _ENTITY_DECLARATION.finditer(data):
        value = match.group(3) if match.group(3) is not None else match.group(4)
        if match.group(1) or value is None:
            raise ParseError("RDF/XML with external or parameter entities is refused",
                             format="xml")
        values[match.group(2)] = value
    if not values:
        return
    if any(ref in values for value in values.values()
           for ref in _ENTITY_REFERENCE.findall(value)):
        raise ParseError("RDF/XML entities that refer to other entities are refused",
                         format="xml")
    expanded = sum(len(values.get(ref, b"")) for ref in _ENTITY_REFERENCE.findall(data))
    if expanded > MAX_XML_ENTITY_BYTES:
        raise ParseError(f"RDF/XML entities would expand to {expanded:,} bytes; at most "
                         f"{MAX_XML_ENTITY_BYTES:,} are allowed", format="xml")


def serialize_quads(quads: Iterable[tuple[Node, Node, Node, URIRef | None]]) -> bytes:
    """N-Quads of ``quads`` written by the engine's serialiser (fast, exact escaping)."""
    default = ox.DefaultGraph()
    # Provenance records repeat the same predicates and values on every line: convert
    # each distinct term once.
    converted: dict[Node, ox.NamedNode | ox.BlankNode | ox.Literal] = {}

    def term(t: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        found = converted.get(t)
        if found is None:
            found = converted[t] = to_ox(t)
        return found

    return ox.serialize(
        (ox_quad(term(s), term(p), term(o), default if g is None else term(g))
         for s, p, o, g in quads),
        format=ox.RdfFormat.N_QUADS) or b""


def triples_with(data: bytes, fmt: str, predicates: Iterable[URIRef]
                 ) -> Iterator[tuple[Identifier, URIRef, Identifier]]:
    """The triples of ``data`` whose predicate is one of ``predicates``; the others are
    never turned into rdflib terms, which makes this a fast scan of a big file."""
    wanted = {ox.NamedNode(str(p)) for p in predicates}
    try:
        for quad in ox.parse(data, format=RDF_FORMATS[fmt]):
            if quad.predicate in wanted:
                yield (from_ox(quad.subject), URIRef(quad.predicate.value),
                       from_ox(quad.object))
    except SyntaxError as exc:
        raise ParseError(f"{fmt} syntax error: {exc.msg}", line=exc.lineno,
                         column=exc.offset, format=fmt) from None


class NamedGraphsFound(Exception):
    """Raised inside ``default_graph_ntriples`` when the input names graphs."""


def default_graph_ntriples(data: bytes, fmt: str, base_iri: str | None = None) -> str | None:
    """The triples of ``data`` as N-Triples written by the engine: one triple per line, each
    term in one canonical form, so that a caller may split lines as text (a fast way to
    group a big file). None when ``data`` names graphs (it is already grouped)."""
    if fmt == "xml":
        _check_xml(data)

    def checked() -> Iterator[ox.Quad]:
        for quad in ox.parse(data, format=RDF_FORMATS[fmt], base_iri=base_iri):
            if not isinstance(quad.graph_name, ox.DefaultGraph):
                raise NamedGraphsFound
            yield quad

    # Quads of the default graph are written as N-Triples lines; formats that cannot name
    # graphs go from the parser to the serialiser without a Python loop.
    quads = checked() if fmt in ("nquads", "trig") else \
        ox.parse(data, format=RDF_FORMATS[fmt], base_iri=base_iri)
    try:
        return (ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"").decode("utf-8")
    except NamedGraphsFound:
        return None
    except SyntaxError as exc:
        line, column = exc.lineno, exc.offset
        if line is None:  # the RDF/XML reader gives none
            line, column = _locate(data, str(exc.msg))
        raise ParseError(f"{fmt} syntax error: {exc.msg}", line=line, column=column,
                         format=fmt) from None
    except ValueError as exc:
        raise ParseError(f"{fmt} error: {exc}", format=fmt) from None
