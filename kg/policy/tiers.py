"""The effective policy of an asset: its offers plus every tier policy above them.

Routes from a dataset to the policies that govern it:

* offers: ``<dataset> odrl:hasPolicy ?p``, policies or rules whose ``odrl:target`` is the
  dataset, or either of those on an asset collection it is ``odrl:partOf``/``dct:isPartOf``;
* the rulebook of each data space whose catalog lists it
  (``?ds dskg:catalog/dcat:catalog*/dcat:dataset <dataset>``, ``?ds dskg:rulebook ?rb``,
  ``?rb odrl:hasPolicy ?p``);
* the frameworks the data space (or its rulebook) is ``dskg:subjectTo``, transitively
  (national frameworks are subject to EU ones), each ``odrl:hasPolicy ?p``;
* ``odrl:inheritFrom`` from any of those, transitively.

Each policy gets a rank: 3 EU tier, 2 national, 1 project (rulebook), 0 the offer layer.
A policy's own ``dskg:tier`` wins; else the framework's tier or the route decides; a parent
reached only by inheritance, with no tier of its own, sits at its child's rank.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, SKOS
from rdflib.term import Node

from kg.namespaces import DCT, DSKG, ODRL
from kg.policy.model import RULE_KINDS, Policy, is_policy, parse_policy
from kg.policy.triples import Triples
from kg.vocabulary import TIER_RANKS as RANKS

OFFER_RANK = 0.0


def layer_name(rank: float) -> str:
    if rank >= 3:
        return "EU-tier"
    if rank >= 2:
        return "national-tier"
    if rank > 1:
        return "regional-tier"
    if rank >= 1:
        return "project-tier"
    return "offer"


def tier_rank(graph: Graph, tier: Node | None) -> float | None:
    """Known tiers by name; a narrower concept (e.g. a regional tier) half a rank below."""
    if tier is None:
        return None
    if tier in RANKS:
        return RANKS[tier]
    seen = {tier}
    frontier = [tier]
    while frontier:
        node = frontier.pop()
        for broader in graph.objects(node, SKOS.broader):
            if broader in RANKS:
                return RANKS[broader] - 0.5
            if broader not in seen:
                seen.add(broader)
                frontier.append(broader)
    return None


@dataclass
class Governing:
    """One policy in an asset's effective policy."""

    policy: Policy
    rank: float
    tier: URIRef | None
    route: str  # offer | rulebook | framework | inherited
    via: Node | None  # data space, framework or child policy it was reached through
    groups: set[str] = field(default_factory=set)  # the offer(s) it belongs to (rank 0)
    source: Node | None = None

    @property
    def layer(self) -> str:
        return layer_name(self.rank)


@dataclass
class Problem:
    kind: str  # cycle | missing-parent
    policy: str
    detail: str
    path: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "policy": self.policy, "detail": self.detail,
                "path": self.path}


@dataclass
class EffectivePolicy:
    target: URIRef
    dataspaces: list[Node]
    governing: list[Governing]
    problems: list[Problem]

    def by_rank(self) -> list[Governing]:
        return sorted(self.governing, key=lambda g: (-g.rank, g.policy.id))


def asset_ancestors(graph: Graph | Triples, target: Node) -> list[Node]:
    """The asset and the asset collections it is part of."""
    order, frontier = [target], [target]
    while frontier:
        node = frontier.pop()
        for prop in (ODRL.partOf, DCT.isPartOf):
            for parent in graph.objects(node, prop):
                if parent not in order:
                    order.append(parent)
                    frontier.append(parent)
    return order


def offers_of(graph: Graph, target: Node) -> list[Node]:
    found: list[Node] = []
    for asset in asset_ancestors(graph, target):
        found.extend(graph.objects(asset, ODRL.hasPolicy))
        for subject in graph.subjects(ODRL.target, asset):
            if is_policy(graph, subject):
                found.append(subject)
            for prop in RULE_KINDS:
                found.extend(graph.subjects(prop, subject))
    return list(dict.fromkeys(found))


def dataspaces_of(graph: Graph | Triples, target: Node) -> list[Node]:
    out: list[Node] = []
    for catalog in graph.subjects(DCAT.dataset, target):
        catalogs, frontier = {catalog}, [catalog]
        while frontier:
            for parent in graph.subjects(DCAT.catalog, frontier.pop()):
                if parent not in catalogs:
                    catalogs.add(parent)
                    frontier.append(parent)
        for cat in sorted(catalogs, key=str):
            out.extend(graph.subjects(DSKG.catalog, cat))
    return list(dict.fromkeys(out))


def _attached(graph: Graph, holder: Node) -> list[Node]:
    """Policies attached to a rulebook/framework (or the node itself when it is one)."""
    found = list(graph.objects(holder, ODRL.hasPolicy))
    if not found and is_policy(graph, holder):
        found.append(holder)
    return found


def frameworks_of(graph: Graph, starts: list[Node]) -> list[Node]:
    out: list[Node] = []
    frontier = list(starts)
    seen = set(starts)
    while frontier:
        for framework in sorted(graph.objects(frontier.pop(0), DSKG.subjectTo), key=str):
            if framework not in seen:
                seen.add(framework)
                out.append(framework)
                frontier.append(framework)
    return out


class _Collector:
    def __init__(self, graph: Graph, parsed: dict[Node, Policy] | None = None) -> None:
        self.graph = graph
        self.parsed = parsed
        self.found: dict[Node, Governing] = {}
        self.problems: list[Problem] = []
        self._reported: set[tuple[str, ...]] = set()

    def add(self, node: Node, route: str, rank: float | None, tier: URIRef | None,
            via: Node | None, source: Node | None = None) -> None:
        if not is_policy(self.graph, node):
            return
        current = self.found.get(node)
        if current is None:
            policy = self._parse(node)
            own = tier_rank(self.graph, policy.tier)
            current = Governing(policy, own if own is not None else (rank or 0.0),
                                policy.tier or tier, route, via,
                                source=policy.source if policy.source is not None else source)
            self.found[node] = current
        elif policy_rank_open(current) and rank is not None and rank > current.rank:
            current.rank, current.route, current.via = rank, route, via
            current.tier = current.tier or tier

    def _parse(self, node: Node) -> Policy:
        """A policy named by an IRI reads the same in every slice of the store (its body
        comes whole): parsed once while the store does not change."""
        if self.parsed is None or not isinstance(node, URIRef):
            return parse_policy(self.graph, node)
        policy = self.parsed.get(node)
        if policy is None:
            policy = self.parsed[node] = parse_policy(self.graph, node)
        return policy

    def inherit(self) -> None:
        """Follow odrl:inheritFrom from every policy found, reporting cycles and gaps."""
        for start in list(self.found):
            self._walk(start, [start])

    def _walk(self, node: Node, path: list[Node]) -> None:
        child = self.found[node]
        for parent in child.policy.inherit_from:
            if parent in path:
                cycle = [str(p) for p in path[path.index(parent):]] + [str(parent)]
                self._problem(Problem("cycle", str(parent),
                                      "odrl:inheritFrom cycle: " + " -> ".join(cycle), cycle))
                continue
            if not is_policy(self.graph, parent):
                self._problem(Problem(
                    "missing-parent", child.policy.id,
                    f"{child.policy.id} inherits from {parent}, which is not a policy in "
                    "the graph", [child.policy.id, str(parent)]))
                continue
            self.add(parent, "inherited", child.rank, child.tier, node, child.source)
            if child.rank == OFFER_RANK:
                self.found[parent].groups |= child.groups
            self._walk(parent, [*path, parent])

    def _problem(self, problem: Problem) -> None:
        key = (problem.kind, *sorted(problem.path))
        if key not in self._reported:
            self._reported.add(key)
            self.problems.append(problem)


def policy_rank_open(governing: Governing) -> bool:
    """A rank is fixed by the policy's own tier; otherwise the highest route decides."""
    return governing.policy.tier is None


def effective_policy(graph: Graph, target: URIRef,
                     parsed: dict[Node, Policy] | None = None) -> EffectivePolicy:
    """Every policy governing ``target``, ranked by tier, with inheritance problems;
    ``parsed``: policies already parsed (by IRI), and where to keep those parsed now."""
    collector = _Collector(graph, parsed)
    for offer in offers_of(graph, target):
        collector.add(offer, "offer", OFFER_RANK, DSKG.ProjectTier, target, None)
        governing = collector.found.get(offer)
        if governing is not None and governing.rank == OFFER_RANK:
            governing.groups.add(governing.policy.id)
    spaces = dataspaces_of(graph, target)
    rulebooks: list[Node] = []
    for space in spaces:
        for rulebook in graph.objects(space, DSKG.rulebook):
            rulebooks.append(rulebook)
            for policy in _attached(graph, rulebook):
                collector.add(policy, "rulebook", RANKS[DSKG.ProjectTier], DSKG.ProjectTier,
                              space, graph.value(rulebook, DCT.source))
    for framework in frameworks_of(graph, [*spaces, *rulebooks]):
        tier = graph.value(framework, DSKG.tier)
        rank = tier_rank(graph, tier)
        for policy in _attached(graph, framework):
            collector.add(policy, "framework", rank if rank is not None else 1.0,
                          tier if isinstance(tier, URIRef) else None, framework,
                          graph.value(framework, DCT.source))
    collector.inherit()
    return EffectivePolicy(target, spaces, list(collector.found.values()), collector.problems)
