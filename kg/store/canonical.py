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
import threading
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import Literal

from kg.store.terms import from_ox, to_ox

_FORMATS = {"trig": ox.RdfFormat.TRIG, "turtle": ox.RdfFormat.TURTLE,
            "ntriples": ox.RdfFormat.N_TRIPLES}
_S = ox.NamedNode("urn:dskg:probe:s")
_P = ox.NamedNode("urn:dskg:probe")
_PROBE = ox.Store()
_PROBE_LOCK = threading.Lock()

#: A literal's exact parts: rdflib's ``==`` compares some values and language tags
#: case-insensitively, so lexical comparisons use these.
Key = tuple[str, str | None, str | None]


def key(literal: Literal) -> Key:
    return (str(literal), literal.language,
            None if literal.datatype is None else str(literal.datatype))


def stored_forms(literals: Iterable[Literal]) -> dict[Key, Literal]:
    """For each literal the engine would store differently, the form it would store
    (keyed by the written literal's ``key``); literals it keeps as written are absent."""
    changed: dict[Key, Literal] = {}
    with _PROBE_LOCK:  # one probe store, emptied after each literal (cheaper than a new one)
        for literal in literals:
            written = to_ox(literal)  # lower-cases a language tag already
            _PROBE.add(ox.Quad(_S, _P, written, ox.DefaultGraph()))
            try:
                [stored] = _PROBE.quads_for_pattern(_S, _P, None)
                _PROBE.remove(stored)
            except BaseException:
                _PROBE.clear()
                raise
            if stored.object != written or (
                    literal.language and literal.language != literal.language.lower()):
                after = from_ox(stored.object)
                assert isinstance(after, Literal)
                changed[key(literal)] = after
    return changed


#: A language tag as written after a literal (Turtle, N-Triples, N-Quads, TriG), in an
#: ``xml:lang`` attribute (RDF/XML) or as a JSON-LD ``@language``.
_TAG = re.compile(rb"(?:\"@language\"\s*:\s*\"|[\"']@|xml:lang\s*=\s*[\"'])"
                  rb"([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)")

#: Something that may be a language tag with a capital (a quick first look).
_CAPITAL_TAG = re.compile(rb"(?:@|xml:lang\s*=\s*[\"']|\"@language\"\s*:\s*\")"
                          rb"[A-Za-z0-9-]*[A-Z]")


def written_tags(data: bytes) -> dict[str, str]:
    """The language tags ``data`` writes with capitals, by their lower-case form (the
    engine's parser lower-cases every tag, so we find the written case in the text)."""
    if not _CAPITAL_TAG.search(data):  # the usual case: one quick look, nothing to do
        return {}
    variants: dict[str, set[str]] = {}
    for match in _TAG.finditer(data):
        tag = match.group(1).decode("ascii")
        variants.setdefault(tag.lower(), set()).add(tag)
    # A tag written in two cases ("en-GB" and "en-gb") cannot be told apart after parsing:
    # it stays as the engine has it (lower case).
    return {lower: next(iter(tags)) for lower, tags in variants.items()
            if len(tags) == 1 and lower not in tags}



_NT_TAG = re.compile(r'"@([a-z][a-z0-9-]*) ')


def recase_tags(ntriples: str, tags: dict[str, str]) -> str:
    """N-Triples text with the language tags of ``tags`` (lower case -> as written) put back
    as written."""
    return _NT_TAG.sub(lambda m: f'"@{tags.get(m.group(1), m.group(1))} ', ntriples)


#: A typed or language-tagged literal in N-Triples / N-Quads text.
_NT_LITERAL = re.compile(rb'"(?:[^"\\\r\n]|\\.)*"(?:\^\^<[^>\s]*>|@[A-Za-z][A-Za-z0-9-]*)')


def nquads_literals(data: bytes) -> list[bytes]:
    """Every typed or language-tagged literal of N-Quads ``data``, as its text."""
    return _NT_LITERAL.findall(data)


def nquads_lines_with(data: bytes) -> bytes:
    """The lines of N-Quads ``data`` that hold a typed or language-tagged literal."""
    starts = sorted({data.rfind(b"\n", 0, m.start()) + 1 for m in _NT_LITERAL.finditer(data)})
    lines = []
    for start in starts:
        end = data.find(b"\n", start)
        lines.append(data[start:] + b"\n" if end < 0 else data[start:end + 1])
    return b"".join(lines)


def changed_texts(texts: Iterable[bytes]) -> set[bytes]:
    """The N-Triples literal texts the engine would store in another form (one probe: the
    texts are parsed, stored and read back). A language tag with capitals counts."""
    distinct = sorted(set(texts))
    changed = {t for t in distinct if b'"@' in t and t != t[:t.rindex(b'"@')] + t[
        t.rindex(b'"@'):].lower()}
    typed = [t for t in distinct if t.endswith(b">") and not t.endswith(b"#string>")]
    if not typed:
        return changed
    document = b"".join(b"<urn:dskg:probe:%d> <urn:dskg:probe> %s .\n" % (i, t)
                        for i, t in enumerate(typed))
    written = {q.subject.value: q.object for q in ox.parse(document,
                                                          format=ox.RdfFormat.N_TRIPLES)}
    probe = ox.Store()
    probe.load(document, format=ox.RdfFormat.N_TRIPLES)
    for quad in probe:
        before = written[quad.subject.value]
        after = quad.object
        if after.value != before.value or after.datatype != before.datatype:
            changed.add(typed[int(quad.subject.value.rsplit(":", 1)[1])])
    return changed


def as_nquads(data: bytes, fmt: str, base_iri: str | None = None) -> bytes:
    """``data`` rewritten as N-Quads by the engine's parser and writer (no store: lexical
    forms kept), language tags with capitals as written."""
    text = ox.serialize(ox.parse(data, format=_FORMATS[fmt], base_iri=base_iri),
                        format=ox.RdfFormat.N_QUADS) or b""
    tags = written_tags(data)
    return recase_tags(text.decode("utf-8"), tags).encode("utf-8") if tags else text
