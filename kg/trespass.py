"""Ownership violations already in a store (DESIGN 4a): finding them and repairing them.

The write path refuses a description that states facts about a subject another description
owns, or points (``odrl:target``, a membership's data space, a catalog listing) at what its
owner does not hold. A store written by an earlier version, or by raw SPARQL Update, may
already hold such triples. ``dskg integrity`` lists them; ``dskg integrity --repair`` removes
them (with the blank nodes only they used), after saving them to an N-Quads file, so that
nothing is lost that an admin may want to put back through the write path.

Who owns a subject stated in several descriptions: the description whose record says it
``dskg:describes`` it, else the one that states its type and most about it, else the one
written first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.namespaces import DSKG, META_GRAPH, PROV, RDF
from kg.ownership import HELD_POINTERS, LINKS, NODE_OWNER, orphans_of
from kg.store.base import Store
from kg.store.sparql_text import term_n3, values_list

Triple = tuple[Node, Node, Node]
_META = term_n3(URIRef(META_GRAPH))


@dataclass(frozen=True)
class Trespass:
    """One triple a description states without owning what it is about."""

    graph: URIRef
    triple: Triple
    #: the description that owns the subject (or the pointer's object)
    owner_graph: URIRef
    reason: str

    def line(self) -> str:
        s, p, o = self.triple
        return (f"{self.graph}: {s.n3()} {p.n3()} {o.n3()} — {self.reason} "
                f"(owned by the description {self.owner_graph})")


def _shared_subjects(store: Store) -> list[URIRef]:
    links = ", ".join(term_n3(p) for p in sorted(LINKS))
    rows = store.query(
        f"SELECT ?s WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(isIRI(?s) && ?g != {_META} "
        f"&& ?p NOT IN ({links})) }} GROUP BY ?s HAVING (COUNT(DISTINCT ?g) > 1)").column("s")
    return sorted(s for s in rows if isinstance(s, URIRef))


def _subject_trespasses(store: Store, subject: URIRef) -> list[Trespass]:
    s = term_n3(subject)
    rows = store.query(
        f"SELECT ?g ?p ?o ?describes ?when WHERE {{ GRAPH ?g {{ {s} ?p ?o }} "
        f"FILTER(?g != {_META}) "
        f"OPTIONAL {{ GRAPH {_META} {{ ?g {term_n3(DSKG.describes)} ?describes "
        f"FILTER(?describes = {s}) }} }} "
        f"OPTIONAL {{ GRAPH {_META} {{ ?g {term_n3(PROV.generatedAtTime)} ?when }} }} }}").rows
    stated: dict[URIRef, list[Triple]] = defaultdict(list)
    describes: dict[URIRef, bool] = {}
    when: dict[URIRef, str] = {}
    for g, p, o, said, time in rows:
        if not isinstance(g, URIRef) or p is None or o is None or p in LINKS:
            continue
        if (subject, p, o) not in stated[g]:
            stated[g].append((subject, p, o))
        describes[g] = describes.get(g, False) or said is not None
        when[g] = min(when.get(g, "9999"), str(time or "9999"))
    if len(stated) < 2:
        return []

    def rank(g: URIRef) -> tuple[bool, bool, int, str, str]:
        # Its own description first, then the one that types it and says most about it.
        typed = any(p == RDF.type for _s, p, _o in stated[g])
        return (not describes[g], not typed, -len(stated[g]), when[g], str(g))

    owner = min(stated, key=rank)
    return [Trespass(g, triple, owner, f"{subject} belongs to another description")
            for g, triples in sorted(stated.items()) if g != owner for triple in triples]


def _pointer_trespasses(store: Store) -> list[Trespass]:
    rows = store.query(
        f"SELECT ?g ?s ?p ?o ?held WHERE {{ {values_list('p', sorted(HELD_POINTERS))} "
        f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != {_META} && ?g != ?held) "
        f"GRAPH {_META} {{ ?g {term_n3(DSKG.owner)} ?owner . "
        f"?held {term_n3(DSKG.describes)} ?o ; {term_n3(DSKG.owner)} ?holder }} "
        f"FILTER(?owner != ?holder && ?owner != {term_n3(NODE_OWNER)} && ?o != ?owner) "
        # An admin may link anything (and the default graph is the node's own writing).
        f"FILTER NOT EXISTS {{ GRAPH {_META} {{ {{ ?g {term_n3(DSKG.writerRole)} \"admin\" }} "
        f"UNION {{ ?g {term_n3(DSKG.activity)} \"default-graph\" }} }} }} }}"
    ).rows
    found = []
    for g, s, p, o, held in rows:
        if isinstance(g, URIRef) and isinstance(held, URIRef) and None not in (s, p, o):
            found.append(Trespass(g, (s, p, o), held,  # type: ignore[arg-type]
                                  f"points at {o}, which its owner does not hold"))
    return found


def find_trespasses(store: Store) -> list[Trespass]:
    """Every triple stated by a description that does not own what it is about."""
    found: list[Trespass] = []
    for subject in _shared_subjects(store):
        found += _subject_trespasses(store, subject)
    seen = {(t.graph, t.triple) for t in found}
    found += [t for t in _pointer_trespasses(store) if (t.graph, t.triple) not in seen]
    return found


def repair(store: Store, trespasses: list[Trespass], keep: Path) -> int:
    """Remove the trespassing triples (and blank nodes only they used) in one transaction,
    after writing them to ``keep`` as N-Quads; the records' triple counts follow. Returns
    the number of triples removed."""
    by_graph: dict[URIRef, list[Triple]] = defaultdict(list)
    for trespass in trespasses:
        by_graph[trespass.graph].append(trespass.triple)
    kept_aside: list[str] = []
    replaced: dict[URIRef, list[Triple]] = {}
    records: list[Triple] = []
    removed = 0
    meta = URIRef(META_GRAPH)
    for name, triples in by_graph.items():
        graph: Graph = store.get_graph(name)
        gone = [t for t in triples if t in graph]
        for triple in gone:
            graph.remove(triple)
        gone += orphans_of(graph, gone)
        removed += len(gone)
        kept_aside += [f"{s.n3()} {p.n3()} {o.n3()} {name.n3()} .\n" for s, p, o in gone]
        replaced[name] = list(graph)
        # The record is kept as it is but for its triple count.
        records += [(name, p, o) for p, o in store.query(
            f"SELECT ?p ?o WHERE {{ GRAPH {_META} {{ ?g ?p ?o }} }}", {"g": name}).rows
            if p is not None and o is not None and p != DSKG.tripleCount]
        records.append((name, DSKG.tripleCount, Literal(len(graph))))
    if not removed:
        return 0
    keep.write_text("".join(kept_aside), encoding="utf-8")
    store.replace_graphs(replaced, add={meta: records}, remove_subjects={meta: list(replaced)})
    return removed


__all__ = ["Trespass", "find_trespasses", "repair"]
