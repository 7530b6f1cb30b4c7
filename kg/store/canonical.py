"""What the embedded engine makes of a literal when it stores it.

Oxigraph keeps numbers, booleans, dates and durations as values: a well-typed literal in a
non-canonical form comes back as its value's canonical form ("012"^^xsd:integer as "12",
"1E3"^^xsd:double as "1000"), the derived integer types come back as xsd:integer, and
language tags come back in lower case. Rather than copy those rules (and drift from them
on the next engine release), we ask the engine: the literals go into a throwaway
in-memory store and are read back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import Literal

from kg.store.terms import from_ox, to_ox

_P = ox.NamedNode("urn:dskg:probe")

#: A literal's exact parts: rdflib's ``==`` compares some values and language tags
#: case-insensitively, so lexical comparisons use these.
Key = tuple[str, str | None, str | None]


def key(literal: Literal) -> Key:
    return (str(literal), literal.language,
            None if literal.datatype is None else str(literal.datatype))


def stored_forms(literals: Iterable[Literal]) -> dict[Key, Literal]:
    """For each literal the engine would store differently, the form it would store
    (keyed by the written literal's ``key``); literals it keeps as written are absent."""
    probe = ox.Store()
    written: list[Literal] = []
    quads = []
    for literal in literals:
        quads.append(ox.Quad(ox.NamedNode(f"urn:dskg:probe:{len(written)}"), _P,
                             to_ox(literal), ox.DefaultGraph()))
        written.append(literal)
    if not quads:
        return {}
    probe.extend(quads)
    changed: dict[Key, Literal] = {}
    for quad in probe:
        before = written[int(quad.subject.value.rsplit(":", 1)[1])]
        after = from_ox(quad.object)
        assert isinstance(after, Literal)
        if key(after) != key(before):
            changed[key(before)] = after
    return changed


#: A language tag as written after a literal (Turtle, N-Triples, N-Quads, TriG), in an
#: ``xml:lang`` attribute (RDF/XML) or as a JSON-LD ``@language``.
_TAG = re.compile(rb"(?:\"@language\"\s*:\s*\"|[\"']@|xml:lang\s*=\s*[\"'])"
                  rb"([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)")


def written_tags(data: bytes) -> dict[str, str]:
    """The language tags ``data`` writes with capitals, by their lower-case form (the
    engine's parser lower-cases every tag, so we find the written case in the text)."""
    found: dict[str, str] = {}
    if b"@" not in data and b"xml:lang" not in data:
        return found
    for match in _TAG.finditer(data):
        tag = match.group(1).decode("ascii")
        if tag != tag.lower():
            found.setdefault(tag.lower(), tag)
    return found

