"""Splitting a harvested catalog into descriptions, and hashing them to see what changed.

One description per dataset, dataset series or data service, holding what hangs from it:
its distributions, offers, contact points, publisher details — every node reachable from
it that is not itself another dataset, service or catalog (those are referenced by IRI and
live in their own description). Catalog records describe the peer's catalog, not the
dataset, and are left with it.

Each description is kept as canonical Turtle text (sorted triples, blank nodes named by a
hash of what hangs from them): its SHA-256 is the content hash compared across harvests, and
the text, compressed, is all that is held in memory until the commit.
"""

from __future__ import annotations

import hashlib
import zlib
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.namespaces import DCAT, DCT, HYDRA, RDF
from kg.rdfio import iter_quads

Triple = tuple[Node, Node, Node]

#: Classes whose instances become descriptions, committed in this order (what a dataset
#: references — its series, the services of its distributions — lands first).
ROOT_CLASSES = (URIRef(f"{DCAT}DatasetSeries"), DCAT.DataService, DCAT.Dataset)
#: Nodes a closure never enters: other descriptions, catalogs and paging views.
_BOUNDARY_CLASSES = {*ROOT_CLASSES, DCAT.Catalog, HYDRA.Collection, HYDRA.PartialCollectionView}
_LISTING = (DCAT.dataset, DCAT.service, DCAT.catalog)
# Plain module constants: the split loop runs once per triple.
_TYPE, _MODIFIED, _CATALOG = RDF.type, DCT.modified, DCAT.Catalog
_MAX_BNODE_DEPTH = 200


@dataclass
class Harvested:
    """One description as the peer has it."""

    root: Node
    kind: URIRef
    content_hash: str
    modified: Literal | None
    #: IRIs the description mentions, and the catalogs listing it (for the ``take`` filter)
    mentions: frozenset[str]
    packed: bytes

    def graph(self) -> Graph:
        graph = Graph()
        # iter_quads, not the bare parser: it keeps the capitals of language tags
        for s, p, o, _g in iter_quads(zlib.decompress(self.packed), "turtle"):
            graph.add((s, p, o))
        return graph


def split(triples: Iterable[Triple]) -> list[Harvested]:
    """Descriptions of every dataset, series and service in ``triples``."""
    by_subject: dict[Node, set[tuple[Node, Node]]] = defaultdict(set)
    types: dict[Node, set[Node]] = defaultdict(set)
    referenced: set[Node] = set()
    listed_in: dict[Node, set[str]] = defaultdict(set)
    for s, p, o in triples:
        by_subject[s].add((p, o))  # a set: shared nodes repeat in every description
        if p == _TYPE:
            types[s].add(o)
        elif p in _LISTING:
            listed_in[o].add(str(s))
        elif isinstance(o, BNode):
            referenced.add(o)
    boundary = {n for n, ts in types.items() if isinstance(n, URIRef) and ts & _BOUNDARY_CLASSES}
    out: list[Harvested] = []
    for cls in ROOT_CLASSES:
        for node, node_types in types.items():
            if cls not in node_types or any(c in node_types for c in _before(cls)):
                continue
            if _CATALOG in node_types or (isinstance(node, BNode) and node in referenced):
                continue  # a catalog is not harvested; a nested blank service is its owner's
            closure = _closure(node, by_subject, boundary)
            modified = next((o for p, o in by_subject[node]
                             if p == _MODIFIED and isinstance(o, Literal)), None)
            mentions = frozenset({str(node), *listed_in.get(node, ()),
                                  *(str(o) for _s, _p, o in closure if isinstance(o, URIRef))})
            text = canonical_text(closure)
            out.append(Harvested(
                root=node, kind=cls, modified=modified, mentions=mentions,
                content_hash="sha256:" + hashlib.sha256(text).hexdigest(),
                packed=zlib.compress(text, 1)))
    return out


def _before(cls: URIRef) -> tuple[URIRef, ...]:
    """Root classes earlier in ROOT_CLASSES (a node typed with two is handled once)."""
    return ROOT_CLASSES[:ROOT_CLASSES.index(cls)]


def _closure(root: Node, by_subject: dict[Node, set[tuple[Node, Node]]],
             boundary: AbstractSet[Node]) -> list[Triple]:
    seen = {root}
    queue = [root]
    triples: list[Triple] = []
    while queue:
        node = queue.pop()
        for p, o in by_subject.get(node, ()):
            triples.append((node, p, o))
            if o not in seen and o in by_subject and o not in boundary and p != _TYPE:
                seen.add(o)
                queue.append(o)
    return triples


def canonical_text(triples: Iterable[Triple]) -> bytes:
    """The triples as sorted Turtle statements, blank nodes named by their content.

    Each blank node is named by a hash of what hangs from it (recursively), so two harvests
    of the same description give the same text although the parser labels blank nodes anew.
    """
    triples = list(triples)
    outgoing: dict[BNode, list[tuple[Node, Node]]] = defaultdict(list)
    for s, p, o in triples:
        if isinstance(s, BNode):
            outgoing[s].append((p, o))
    names: dict[BNode, str] = {}

    def name(node: BNode, path: frozenset[BNode]) -> str:
        if node in names:
            return names[node]
        if node in path or len(path) > _MAX_BNODE_DEPTH:
            return "_:cycle"
        inner = path | {node}
        parts = sorted(f"{p.n3()} {name(o, inner) if isinstance(o, BNode) else o.n3()}"
                       for p, o in outgoing.get(node, ()))
        label = "_:h" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
        names[node] = label
        return label

    def text(term: Node) -> str:
        return name(term, frozenset()) if isinstance(term, BNode) else term.n3()

    lines = sorted({f"{text(s)} {text(p)} {text(o)} ." for s, p, o in triples})
    return "\n".join(lines).encode("utf-8")
