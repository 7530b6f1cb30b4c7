"""Literals come back in the lexical form they were written in.

The engine keeps numbers, booleans, dates and language tags as values: "012"^^xsd:integer is
stored as "12", "1.0"^^xsd:decimal as "1", "12"^^xsd:int as "12"^^xsd:integer, "@en-GB" as
"@en-gb" (``kg.store.canonical`` asks the engine). SPARQL keeps answering with the engine's
values; a description read back as a document (REST, Graph Store, export, catalogs) gets
the forms as written.

How: when a description is committed, each literal the engine would store differently is
noted in the description's provenance record, one ``dskg:writtenForm`` per literal (a JSON
array ``[subject, predicate, lexical form, language, datatype]``; a blank-node subject is
written ``_:`` and stands for every blank node of the description with that predicate and
value, since engines relabel blank nodes). Only descriptions holding such literals get
notes. A note hangs on the graph's own record, so whatever replaces or deletes the record
(a PUT, a DELETE, a SPARQL Update of the graph) removes the notes with it. Reading back, a
note restores its form where the description still holds a value-equal literal for that
subject and predicate, and is ignored otherwise (a stale note, or an engine that kept the
form itself).
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.namespaces import DSKG, META_GRAPH, XSD
from kg.rdfio import iter_quads
from kg.store import Store
from kg.store.canonical import (
    Key,
    as_nquads,
    changed_texts,
    key,
    nquads_lines_with,
    nquads_literals,
    stored_forms,
)
from kg.store.parsing import parse_quads

Triple = tuple[Node, Node, Node]
WRITTEN_FORM = DSKG.writtenForm
_META = URIRef(META_GRAPH)
_FORMS = (f"SELECT ?f WHERE {{ GRAPH <{META_GRAPH}> {{ ?g <{WRITTEN_FORM}> ?f }} }}")
_ANY_FORM = f"ASK {{ GRAPH <{META_GRAPH}> {{ ?g <{WRITTEN_FORM}> ?f }} }}"
_ALL_FORMS = (f"SELECT ?g ?f WHERE {{ GRAPH <{META_GRAPH}> {{ ?g <{WRITTEN_FORM}> ?f }} }}")


def _may_change(literal: Literal) -> bool:
    """Cheap pre-filter: plain strings are kept as written; a typed literal or a language
    tag with capitals goes to the engine to ask."""
    if literal.language:
        return literal.language != literal.language.lower()
    return literal.datatype is not None and literal.datatype != XSD.string


def encode(subject: Node | None, predicate: Node, literal: Literal) -> str:
    name = "_:" if subject is None else str(subject)
    return json.dumps([name, str(predicate), str(literal), literal.language,
                       None if literal.datatype is None else str(literal.datatype)],
                      ensure_ascii=False, separators=(",", ":"))


def decode(text: str) -> tuple[URIRef | None, URIRef, Literal] | None:
    """A note's subject (None: every blank node), predicate and literal as written."""
    try:
        name, predicate, lexical, language, datatype = json.loads(text)
    except (ValueError, TypeError):
        return None  # not ours (hand-written into the meta graph): ignore it
    subject = None if name == "_:" else URIRef(name)
    if language:
        literal = Literal(lexical, lang=language)
    elif datatype:
        literal = Literal(lexical, datatype=URIRef(datatype), normalize=False)
    else:
        literal = Literal(lexical)
    return subject, URIRef(predicate), literal


# -- writing -----------------------------------------------------------------------------
def notes(name: URIRef, triples: Iterable[Triple]) -> list[Triple]:
    """The ``dskg:writtenForm`` notes of description ``name``: one per literal the engine
    would store in another form, plus the literals written next to it that the engine
    would merge with it (same subject, predicate and value), so all come back."""
    candidates = [(s, p, o) for s, p, o in triples
                  if isinstance(o, Literal) and _may_change(o)]
    if not candidates:
        return []
    changed = stored_forms(o for _s, _p, o in candidates)
    if not changed:
        return []
    # Blank nodes are relabelled on storage, so their notes name no node: a note with
    # subject "_:" holds for every blank node with that predicate and value. Blank nodes
    # that wrote the same value in different forms cannot be told apart: not noted.
    groups: dict[tuple[Node | None, Node, Key], dict[Node, list[Literal]]] = defaultdict(
        lambda: defaultdict(list))
    for s, p, o in candidates:
        assert isinstance(o, Literal)
        anchor = None if isinstance(s, BNode) else s
        groups[(anchor, p, key(changed.get(key(o), o)))][s].append(o)
    found: list[Triple] = []
    for (anchor, p, _stored), by_subject in groups.items():
        members = next(iter(by_subject.values()))
        if not any(key(m) in changed for m in members):
            continue
        if len({frozenset(key(m) for m in ms) for ms in by_subject.values()}) > 1:
            continue
        found += [(name, WRITTEN_FORM, Literal(encode(anchor, p, m))) for m in members]
    return found


def input_notes(data: bytes, fmt: str, base_iri: str | None = None
                ) -> dict[URIRef, list[Triple]]:
    """The notes of each named graph of a bulk input (N-Quads or TriG), found in the text
    before the engine stores it. A first look at the distinct literal texts decides whether
    any line needs parsing at all."""
    if fmt != "nquads":  # TriG: the engine's parser writes it as N-Quads (fast, exact)
        data = as_nquads(data, fmt, base_iri)
    if not changed_texts(nquads_literals(data)):
        return {}
    by_graph: dict[URIRef, list[Triple]] = defaultdict(list)
    for s, p, o, g in iter_quads(nquads_lines_with(data), "nquads"):
        if g is not None and isinstance(o, Literal) and g != _META:
            by_graph[g].append((s, p, o))
    found = {g: notes(g, triples) for g, triples in by_graph.items()}
    return {g: n for g, n in found.items() if n}


def renamed(noted: dict[URIRef, list[Triple]], names: Iterable[URIRef],
            new_name: Callable[[URIRef], URIRef]) -> list[Triple]:
    """The notes of ``noted`` for the graphs ``names``, a graph the write renamed (see
    ``kg.write.path.rename_resource_graphs``) found under ``new_name(old)``."""
    present = set(names)
    out: list[Triple] = []
    for graph, triples in noted.items():
        target = graph if graph in present else new_name(graph)
        if target in present:
            out += [(target, p, o) for _g, p, o in triples]
    return out


# -- reading -----------------------------------------------------------------------------
def restore(graph: Graph, forms: Sequence[str]) -> Graph:
    """``graph`` (changed in place) with the literals of ``forms`` back as written."""
    written = [t for t in (decode(f) for f in forms) if t is not None]
    if not written:
        return graph
    held: dict[tuple[Node, URIRef], list[Literal]] = defaultdict(list)
    for anchor, p in {(anchor, p) for anchor, p, _o in written}:
        for s, _p, o in graph.triples((anchor, p, None)):
            if isinstance(o, Literal) and (anchor is not None or isinstance(s, BNode)):
                held[(s, p)].append(o)
    probe = stored_forms([*(o for _s, _p, o in written),
                          *(o for found in held.values() for o in found)])

    def value(literal: Literal) -> Key:
        return key(probe.get(key(literal), literal))

    wanted: dict[tuple[URIRef | None, URIRef, Key], list[Literal]] = defaultdict(list)
    for anchor, p, o in written:
        wanted[(anchor, p, value(o))].append(o)
    for (anchor, p, stored), literals in wanted.items():
        for (s, held_p), found in held.items():
            if held_p != p or (s != anchor if anchor is not None else
                               not isinstance(s, BNode)):
                continue
            present = [o for o in found if value(o) == stored]
            if not present and _number(literals[0]) is not None:
                # Another engine may keep a number under another numeric type (Virtuoso
                # stores "1.0"^^xsd:decimal as "1"^^xsd:integer): compare as numbers.
                present = [o for o in found if _number(o) == _number(literals[0])]
            # Nothing present: the description no longer says it (a stale note).
            for o in present:
                graph.remove((s, p, o))
            for o in literals if present else ():
                graph.add((s, p, o))
    return graph


_NUMERIC = {XSD[name] for name in (
    "integer", "decimal", "float", "double", "int", "long", "short", "byte", "nonNegativeInteger",
    "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt",
    "unsignedShort", "unsignedByte")}


def _number(literal: Literal) -> Decimal | None:
    if literal.datatype not in _NUMERIC:
        return None
    try:
        number = Decimal(str(literal).strip())
    except InvalidOperation:
        return None
    return None if number.is_nan() else number


def forms_of(store: Store, name: URIRef) -> list[str]:
    return [str(f) for f in store.query(_FORMS, {"g": name}).column("f") if f is not None]


def read_description(store: Store, name: URIRef) -> Graph:
    """Named graph ``name`` as written: the store's graph with its noted forms restored."""
    graph = store.get_graph(name)
    forms = forms_of(store, name) if len(graph) else []
    return restore(graph, forms) if forms else graph


def forms_for(store: Store, names: Iterable[URIRef]) -> dict[URIRef, list[str]]:
    """The notes of the graphs ``names`` (one query), by graph."""
    listed = sorted(set(names))
    if not listed:
        return {}
    values = " ".join(f"<{n}>" for n in listed)
    found: dict[URIRef, list[str]] = defaultdict(list)
    for g, f in store.query(f"SELECT ?g ?f WHERE {{ VALUES ?g {{ {values} }} "
                            f"GRAPH <{META_GRAPH}> {{ ?g <{WRITTEN_FORM}> ?f }} }}").rows:
        if isinstance(g, URIRef) and f is not None:
            found[g].append(str(f))
    return dict(found)


def restore_facts(store: Store, facts: dict[Node, dict[URIRef, list[Node]]],
                  roots: Iterable[URIRef], link: URIRef) -> None:
    """Subject -> predicate -> objects tables (what a catalog page copies from each root's
    description and from the nodes the root ``link``s to) with the literals as written,
    each root's notes applied to its own facts only."""
    listed = sorted(set(roots))
    if not listed:
        return
    values = " ".join(f"<{r}>" for r in listed)
    by_root: dict[URIRef, list[str]] = defaultdict(list)
    for r, f in store.query(
            f"SELECT DISTINCT ?r ?f WHERE {{ VALUES ?r {{ {values} }} GRAPH ?g {{ ?r a ?t }} "
            f"GRAPH <{META_GRAPH}> {{ ?g <{WRITTEN_FORM}> ?f }} }}").rows:
        if isinstance(r, URIRef) and f is not None:
            by_root[r].append(str(f))
    for root, forms in by_root.items():
        subjects = [root, *facts.get(root, {}).get(link, [])]
        graph = Graph()
        for s in subjects:
            for p, objects in facts.get(s, {}).items():
                for o in objects:
                    graph.add((s, p, o))
        restore(graph, forms)
        for s in subjects:
            if s in facts:
                facts[s] = {p: list(graph.objects(s, p)) for p in facts[s]}


def all_forms(store: Store) -> dict[URIRef, list[str]]:
    found: dict[URIRef, list[str]] = defaultdict(list)
    for g, f in store.query(_ALL_FORMS).rows:
        if isinstance(g, URIRef) and f is not None:
            found[g].append(str(f))
    return dict(found)


def export(store: Store, fmt: str = "nquads") -> bytes:
    """The store's export (N-Quads or TriG) with noted literals as written."""
    buffer = io.BytesIO()
    if fmt == "trig" and not store.query(_ANY_FORM).boolean:
        store.export(buffer, "trig")  # nothing to restore: the engine's own writer
        return buffer.getvalue()
    store.export(buffer, "nquads")
    data = restore_nquads(store, buffer.getvalue())
    return data if fmt == "nquads" else nquads_to_trig(data)


def nquads_to_trig(data: bytes) -> bytes:
    """N-Quads as TriG, one block per graph, terms written as in N-Triples (the engine's
    TriG writer would lower-case language tags)."""
    graphs: dict[URIRef | None, list[str]] = defaultdict(list)
    for s, p, o, g in iter_quads(data, "nquads"):
        graphs[g].append(f"  {_nt(s)} {_nt(p)} {_nt(o)} .\n")
    out = []
    for g, lines in graphs.items():
        out.append(("{\n" if g is None else f"{_nt(g)} {{\n") + "".join(lines) + "}\n")
    return "".join(out).encode()


def restore_nquads(store: Store, data: bytes) -> bytes:
    """An N-Quads export of ``store`` with the noted literals back as written: the lines of
    noted graphs are read, restored and written again (the rest passes through)."""
    forms = all_forms(store)
    if not forms:
        return data
    wanted = {f"<{g}>".encode(): g for g in forms}
    kept: list[bytes] = []
    noted: dict[URIRef, list[bytes]] = defaultdict(list)
    for line in data.splitlines(keepends=True):
        if line.endswith(b"> .\n"):
            graph = wanted.get(line[line.rfind(b" <", 0, len(line) - 3) + 1:-3])
            if graph is not None:
                noted[graph].append(line)
                continue
        kept.append(line)
    for graph, lines in noted.items():
        described = Graph()
        for s, p, o, _g in parse_quads(b"".join(lines), "nquads"):
            described.add((s, p, o))
        restore(described, forms[graph])
        name = _nt(graph)
        kept += [f"{_nt(s)} {_nt(p)} {_nt(o)} {name} .\n".encode() for s, p, o in described]
    return b"".join(kept)


def _nt(term: Node) -> str:
    """N-Triples text of a term, escaped as the engine writes it (the engine's own writer
    would lower-case a language tag)."""
    if isinstance(term, BNode):
        return f"_:{term}"
    if not isinstance(term, Literal):
        return f"<{term}>"
    text = str(term).replace("\\", "\\\\").replace('"', '\\"').replace(
        "\n", "\\n").replace("\r", "\\r")
    if term.language:
        return f'"{text}"@{term.language}'
    if term.datatype is None or term.datatype == XSD.string:
        return f'"{text}"'
    return f'"{text}"^^<{term.datatype}>'
