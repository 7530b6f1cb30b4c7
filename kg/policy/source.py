"""Where the evaluator's graph comes from: a whole rdflib Graph, or slices of a store.

The store source never scans all policies: for one request it asks three bounded queries,
each anchored on a term of the request (``bindings``), and evaluates over their union:

1. governance, anchored on the target: the target and the collections it is part of, the
   policies attached to or targeting them, the catalogs and data spaces listing it, their
   rulebooks and (transitively) the frameworks they are subject to, and the body of every
   policy found, following ``odrl:inheritFrom``;
2. the party, anchored on the assignee: its organisation hierarchy and memberships;
3. the concepts the request and the policies' right operands name, with their
   ``skos:broader``/part-of/type hierarchies and the actions' ``odrl:includedIn``.

A batch shares the first two per target and per assignee.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from rdflib import OWL, RDF, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCAT, SKOS
from rdflib.term import Node

from kg.namespaces import DCT, DSKG, ODRL
from kg.policy.actions import odrl_actions
from kg.policy.cache import PolicyCache, policy_cache_for
from kg.policy.conflicts import load_governance
from kg.policy.evaluator import Decision, Evaluator
from kg.policy.model import Policy
from kg.policy.queries import (
    BODY_LINKS,
    BODY_QUERY,
    CATALOG_QUERY,
    CONCEPTS_QUERIES,
    LINKS_TEMPLATE,
    MANY_BODIES_QUERY,
    MANY_LINKS_QUERIES,
    MANY_ROOTS_QUERIES,
    OFFERS_TEMPLATE,
    PARTY_TEMPLATE,
    PRESENT_LINKS_QUERY,
    SPACE_QUERIES,
    TARGET_PARTY_TEMPLATE,
    TARGET_TEMPLATE,
    narrowed,
)
from kg.policy.request import Request
from kg.policy.tiers import asset_ancestors
from kg.policy.triples import Triples
from kg.store.base import Store
from kg.store.sparql_text import term_n3, terms_n3


class PolicySource(ABC):
    """Gives the evaluator for a request (and for a batch of requests)."""

    @abstractmethod
    def evaluator_for(self, request: Request) -> Evaluator: ...

    def evaluators_for(self, requests: Sequence[Request]) -> list[Evaluator]:
        return [self.evaluator_for(r) for r in requests]

    @abstractmethod
    def governance_graph(self) -> Graph:
        """Everything the static conflict report reads."""


class GraphSource(PolicySource):
    """Policies and facts already in one rdflib Graph (a file, a test fixture)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._evaluator = Evaluator(graph)

    def evaluator_for(self, request: Request) -> Evaluator:
        return self._evaluator

    def governance_graph(self) -> Graph:
        return self.graph


def _uris(nodes: Iterable[Node]) -> set[URIRef]:
    return {n for n in nodes if isinstance(n, URIRef)}


def _right_operands(graph: Graph | Triples) -> set[URIRef]:
    """IRIs the policies in ``graph`` compare with, and the actions they name."""
    found: set[URIRef] = set()
    for prop in (ODRL.rightOperand, ODRL.action):
        for value in graph.objects(None, prop):
            if isinstance(value, URIRef):
                found.add(value)
            elif (value, RDF.first, None) in graph:
                # a Triples slice reads like a Graph (objects, value, __contains__)
                found.update(_uris(Collection(cast(Graph, graph), value)))
            else:  # an action with refinements: [ rdf:value odrl:use ; odrl:refinement ... ]
                found.update(_uris(graph.objects(value, RDF.value)))
    return found


Rows = list[tuple[Node, Node, Node]]
_CATALOG, _HAS_POLICY, _INHERIT_FROM = DSKG.catalog, ODRL.hasPolicy, ODRL.inheritFrom
_LEFT_OPERAND, _DATASET = ODRL.leftOperand, DCAT.dataset
# One-member sets: `p in {X}` hashes in C and rarely calls rdflib's Python `==`, which
# `p == X` calls on every row.
_CATALOGS, _DATASETS, _INHERITS = (frozenset((_CATALOG,)), frozenset((_DATASET,)),
                                   frozenset((_INHERIT_FROM,)))
_ASSET_UP = frozenset((ODRL.partOf, DCT.isPartOf))


def _given(rows: Rows) -> Rows:
    return rows


@dataclass
class _Cache:
    governance: dict[URIRef, Rows]
    party: dict[URIRef, Rows]


class StoreSource(PolicySource):
    """Slices of a store, fetched per request with bounded queries (see the module doc).

    ``overlay``: policies from a file evaluated instead of the store's offers for the target
    (the tier policies above still come from the store), without storing anything.
    ``cache``: what requests share (tier policies per data space, parties, concepts, parsed
    policies, the action hierarchy), kept until the store changes; default: the store's own.
    """

    def __init__(self, store: Store, *, overlay: Graph | None = None,
                 timeout: float | None = 10.0, limit: int | None = 100_000,
                 cache: PolicyCache | None = None) -> None:
        self.store = store
        self.overlay = overlay
        self.timeout = timeout
        self.limit = limit
        self.cache = cache or policy_cache_for(store)
        self._prefetched: dict[URIRef, Rows] = {}

    def _query(self, sparql: str, bindings: dict[str, URIRef] | None = None, *,
               limit: int | None = None) -> Any:
        """``sparql`` with its body paths narrowed to the links the store holds."""
        present = self.cache.get("body-links", None, self._present_links)
        return self.store.query(narrowed(sparql, present), bindings, timeout=self.timeout,
                                limit=limit)

    def _present_links(self) -> frozenset[str]:
        curie = {str(ODRL) + link[5:] if link.startswith("odrl:") else str(RDF) + link[4:]:
                 link for link in BODY_LINKS}
        rows = self.store.query(PRESENT_LINKS_QUERY, timeout=self.timeout).rows
        return frozenset(curie[str(row[0])] for row in rows if str(row[0]) in curie)

    def _rows(self, sparql: str, bindings: dict[str, URIRef] | None = None) -> Rows:
        result = self._query(sparql, bindings, limit=self.limit)
        return [row for row in result.rows
                if row[0] is not None and row[1] is not None and row[2] is not None]

    def _space(self, space: URIRef) -> Rows:
        """Everything above one data space: rulebooks, frameworks, their policies."""
        return self.cache.get("space", space, lambda: [
            row for query in SPACE_QUERIES for row in self._rows(query, {"space": space})])

    def prefetch(self, targets: Sequence[URIRef]) -> dict[URIRef, Rows]:
        """Read the links and offers of many targets in a few queries (for the permitted
        list): the rows ``_target`` would read for each (its own bodies, not its parents');
        ``_governance`` then uses them instead of a query per target. A target with a
        blank-node offer is left out (asked alone: labels differ between queries)."""
        if self.overlay is not None or not targets:
            return {}
        values = terms_n3(targets)
        links: dict[Node, Rows] = {t: [] for t in targets}

        def read_links(queries: Sequence[str]) -> None:
            for query in queries:
                for t, s, p, o in self._query(query % values).rows:
                    if s is not None and p is not None and o is not None and t in links:
                        links[t].append((s, p, o))

        # the catalogs above the ones listing a target come from the cache (as in _own)
        read_links(MANY_LINKS_QUERIES[:3])
        listing = {t: [s for s, p, o in rows if p in _DATASETS and o == t]
                   for t, rows in links.items()}
        if any(not isinstance(c, URIRef) for cats in listing.values() for c in cats):
            read_links(MANY_LINKS_QUERIES[3:])  # a blank-node catalog: asked with the rest
        else:
            for t, cats in listing.items():
                for catalog in sorted(c for c in cats if isinstance(c, URIRef)):
                    links[t] += self.cache.get("catalog", catalog, partial(
                        self._rows, CATALOG_QUERY, {"cat": catalog}))
        roots: dict[Node, set[Node]] = {t: set() for t in targets}
        for query in MANY_ROOTS_QUERIES:
            for t, root in self._query(query % values).rows:
                if t in roots and root is not None:
                    roots[t].add(root)
        every = sorted({r for rs in roots.values() for r in rs if isinstance(r, URIRef)})
        bodies: dict[Node, Rows] = {r: [] for r in every}
        for start in range(0, len(every), 500):
            chunk = terms_n3(every[start:start + 500])
            for r, s, p, o in self._query(MANY_BODIES_QUERY % chunk).rows:
                if s is not None and p is not None and o is not None and r in bodies:
                    bodies[r].append((s, p, o))
        own: dict[URIRef, Rows] = {}
        for target in targets:
            if any(not isinstance(r, URIRef) for r in roots[target]):
                continue
            own[target] = self._prefetched[target] = links[target] + [
                row for r in sorted(roots[target]) for row in bodies[r]]  # type: ignore[type-var]
        return own

    def preload(self, own: Iterable[Rows]) -> set[Node]:
        """Read (into the cache) what the targets' slices share: the data spaces' tier
        policies and the parents' bodies; the left operands found in those."""
        spaces: set[Node] = set()
        parents: set[Node] = set()
        for rows in own:
            for s, p, o in rows:
                if p == _CATALOG:
                    spaces.add(s)
                elif p == _INHERIT_FROM:
                    parents.add(o)
        found: set[Node] = set()
        for rows in [*(self._space(s) for s in sorted(_uris(spaces))),
                     *(self._body(p) for p in sorted(_uris(parents)))]:
            found.update(o for _, p, o in rows if p == _LEFT_OPERAND)
        return found

    def forget(self) -> None:
        """Drop prefetched rows not used."""
        self._prefetched.clear()

    def _governance(self, target: URIRef, assignee: URIRef | None = None) -> Rows:
        """The target's slice; with ``assignee`` (not in the cache yet) the assignee's party
        rows are read in the same query and kept in the cache."""
        if self.overlay is not None:
            rows = self._rows(LINKS_TEMPLATE.format(t=term_n3(target)))
        else:
            known = self._prefetched.pop(target, None)
            rows = self._with_parents(target, list(known) if known is not None
                                      else self._own(target, assignee))
        spaces = {s for s, p, _ in rows if p in _CATALOGS}
        for space in sorted(_uris(spaces)):
            rows += self._space(space)
        if self.overlay is None:  # offers on the collections the asset is (transitively) in
            if any(p in _ASSET_UP for _, p, _ in rows):
                links = Triples(r for r in rows if r[1] in _ASSET_UP)
                for collection in asset_ancestors(links, target)[1:]:
                    if isinstance(collection, URIRef):  # the same for all its members
                        rows += self.cache.get("collection", collection, partial(
                            self._rows, OFFERS_TEMPLATE.format(t=term_n3(collection))))
        else:
            rows = [t for t in rows if not (t[0] == target and t[1] == _HAS_POLICY)]
            for parent in sorted(_uris(self.overlay.objects(None, ODRL.inheritFrom))):
                rows += self._rows(BODY_QUERY, {"root": parent})
            rows += list(self.overlay)
        return rows

    def _own(self, target: URIRef, assignee: URIRef | None) -> Rows:
        """The target's links and offers with their own bodies in one query (with the
        assignee's party rows, kept in the cache, when asked)."""
        rows: Rows
        if assignee is None:
            rows = self._rows(TARGET_TEMPLATE.format(t=term_n3(target)))
        else:
            result = self._query(
                TARGET_PARTY_TEMPLATE.format(t=term_n3(target), a=term_n3(assignee)),
                limit=self.limit)
            rows = []
            party: Rows = []
            for s, p, o, k in result.rows:
                if s is not None and p is not None and o is not None:
                    (rows if k is None else party).append((s, p, o))
            self.cache.get("party", assignee, lambda: party)
        catalogs = [s for s, p, o in rows if p in _DATASETS and o == target]
        if any(not isinstance(c, URIRef) for c in catalogs):  # a blank-node catalog
            return rows + self._rows(LINKS_TEMPLATE.format(t=term_n3(target)))
        for catalog in sorted(c for c in catalogs if isinstance(c, URIRef)):
            rows += self.cache.get("catalog", catalog, partial(
                self._rows, CATALOG_QUERY, {"cat": catalog}))
        return rows

    def _with_parents(self, target: URIRef, rows: Rows) -> Rows:
        """``rows`` and the bodies of the policies they inherit from, from the cache (one
        query per parent while the store is unchanged)."""
        parents = {o for _, p, o in rows if p in _INHERITS}
        if any(not isinstance(parent, URIRef) for parent in parents):
            # a blank-node parent cannot be asked for alone: its body comes with the offers
            return rows + self._rows(OFFERS_TEMPLATE.format(t=term_n3(target)))
        for parent in sorted(parents):  # type: ignore[type-var]
            rows += self._body(parent)  # type: ignore[arg-type]
        return rows

    def _body(self, root: URIRef) -> Rows:
        """A policy named by an IRI with its rules and (transitively) its parents."""
        return self.cache.get("body", root, lambda: self._rows(BODY_QUERY, {"root": root}))

    def _party(self, party: URIRef) -> Rows:
        return self.cache.get("party", party, lambda: self._rows(
            PARTY_TEMPLATE.format(t=term_n3(party))))

    def _concepts(self, graph: Triples, requests: Iterable[Request]) -> Rows:
        anchors = _right_operands(graph) | _uris(graph.objects(None, DSKG.tier))
        for request in requests:
            anchors.add(request.action)
            for values in request.context.values():
                anchors.update(_uris(values))
        table = self.cache.table("concept")
        missing = sorted(a for a in anchors if a not in table)
        if missing:
            found: dict[Node, Rows] = {a: [] for a in missing}
            block = terms_n3(missing)
            for query in CONCEPTS_QUERIES:
                result = self.store.query(query % block, timeout=self.timeout,
                                          limit=self.limit)
                for c, s, p, o in result.rows:
                    if s is not None and p is not None and o is not None and c in found:
                        found[c].append((s, p, o))
            for anchor, anchor_rows in found.items():
                self.cache.get("concept", anchor, partial(_given, anchor_rows))
        rows: Rows = []
        for anchor in sorted(anchors):
            rows += self.cache.get("concept", anchor, lambda: [])
        return rows

    def _slice(self, requests: Sequence[Request], cache: _Cache) -> Triples:
        first = requests[0]
        if first.target not in cache.governance:
            ask_party = (self.overlay is None and first.assignee not in cache.party
                         and first.assignee not in self.cache.table("party"))
            cache.governance[first.target] = self._governance(
                first.target, first.assignee if ask_party else None)
        if first.assignee not in cache.party:
            cache.party[first.assignee] = self._party(first.assignee)
        graph = Triples(cache.governance[first.target])
        graph.add_all(cache.party[first.assignee])
        graph.add_all(self._concepts(graph, requests))
        return graph

    def _evaluator(self, graph: Triples) -> Evaluator:
        declared = frozenset(t for prop in (ODRL.includedIn, ODRL.implies, OWL.sameAs,
                                            SKOS.exactMatch)
                             for t in graph.triples((None, prop, None))
                             if prop in (ODRL.includedIn, ODRL.implies)
                             or str(t[0]).startswith(str(ODRL)))
        actions = self.cache.get("actions", declared,
                                 lambda: odrl_actions().extended(graph))  # type: ignore[arg-type]
        parsed = None if self.overlay is not None else cast(
            dict[Node, Policy], self.cache.table("policy"))
        return Evaluator(graph, actions, extend=False, parsed=parsed)

    def evaluator_for(self, request: Request) -> Evaluator:
        return self._evaluator(self._slice([request], _Cache({}, {})))

    def evaluators_for(self, requests: Sequence[Request]) -> list[Evaluator]:
        """One slice (and evaluator) per distinct (target, assignee) in the batch."""
        cache = _Cache({}, {})
        groups: dict[tuple[URIRef, URIRef], list[Request]] = {}
        for request in requests:
            groups.setdefault((request.target, request.assignee), []).append(request)
        evaluators = {key: self._evaluator(self._slice(members, cache))
                      for key, members in groups.items()}
        return [evaluators[(r.target, r.assignee)] for r in requests]

    def governance_graph(self) -> Graph:
        graph = load_governance(self.store, timeout=self.timeout)
        if self.overlay is not None:
            graph += self.overlay
        return graph



class PolicyEngine:
    """Evaluate requests against a source."""

    def __init__(self, source: PolicySource) -> None:
        self.source = source

    def evaluate(self, request: Request) -> Decision:
        return self.source.evaluator_for(request).evaluate(request)

    def evaluate_many(self, requests: Sequence[Request]) -> list[Decision]:
        if not requests:
            return []
        evaluators = self.source.evaluators_for(requests)
        return [ev.evaluate(r) for ev, r in zip(evaluators, requests, strict=True)]
