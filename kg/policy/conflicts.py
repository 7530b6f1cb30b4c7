"""The static cross-tier conflict report.

For every asset with an effective policy, each lower-tier permission is checked against
each higher-tier prohibition (kind ``prohibited``) and against each higher-tier policy that
has permissions on the same action (kind ``widens``: the lower tier allows what the higher
one does not). Two rules conflict when some request makes both apply: the actions overlap
(one covers the other), the asset and some party match both, and a witness assignment of
the constraints' left operands satisfies both. Witnesses are searched among boundary
values (each bound, its neighbours and the midpoints between bounds, for numbers, dates and
durations), the sets named by ``isAnyOf``/``isNoneOf`` plus a value outside them, and the
concepts named by ``isA``/``isPartOf`` with their narrower concepts; each candidate is
checked with the evaluator itself, so a reported example really triggers the conflict.

Also reported: ``odrl:inheritFrom`` cycles, ``inheritFrom`` to a missing policy, and offers
whose assigner is not a member of the data space whose catalog lists the dataset.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCAT, SKOS
from rdflib.term import Node

from kg.namespaces import ODRL, ORG, compact
from kg.policy import places
from kg.policy.evaluator import ASSET_PROPERTIES, PARTY_PROPERTIES, Evaluator, RuleResult
from kg.policy.explain import name
from kg.policy.model import Condition, LogicalConstraint, Rule, parse_condition
from kg.policy.operators import DATETIME, DURATION, NUMERIC, coerce
from kg.policy.queries import ALL_BODIES_QUERIES, ALL_LINKS_QUERY, FACTS_QUERY
from kg.policy.request import Request
from kg.policy.tiers import Governing, dataspaces_of, effective_policy, offers_of
from kg.store.base import Store
from kg.store.sparql_text import term_n3

EXAMPLE_PARTY = URIRef("urn:dskg:example:party")
OTHER_VALUE = URIRef("urn:dskg:example:other")
MAX_COMBINATIONS = 4096
EXAMPLE_TIME = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class Finding:
    kind: str  # prohibited | conflicting | obligation-prohibited | duty-prohibited | widens
    #            | cycle | missing-parent | assigner-not-member
    detail: str
    lower: dict[str, Any] | None = None
    higher: dict[str, Any] | None = None
    example: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "detail": self.detail}
        for key in ("lower", "higher", "example"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out.update(self.extra)
        return out


@dataclass
class ConflictReport:
    findings: list[Finding]
    assets_checked: int

    def to_json(self) -> dict[str, Any]:
        return {"conflicts": [f.to_json() for f in self.findings],
                "count": len(self.findings), "assetsChecked": self.assets_checked}

    def to_text(self) -> str:
        if not self.findings:
            return f"no conflicts ({self.assets_checked} assets checked)\n"
        lines = [f"{len(self.findings)} finding(s) ({self.assets_checked} assets checked)"]
        for finding in self.findings:
            lines.append(f"- [{finding.kind}] {finding.detail}")
            if finding.example:
                lines.append("    example: " + " ".join(
                    f"{k}={v}" for k, v in finding.example.items() if v))
        return "\n".join(lines) + "\n"


def _rule_json(governing: Governing, rule: Rule) -> dict[str, Any]:
    return {"policy": governing.policy.id, "rule": rule.id, "kind": rule.kind,
            "tier": str(governing.tier) if governing.tier else None,
            "layer": governing.layer, "action": [str(a.iri) for a in rule.actions],
            "source": str(governing.source) if governing.source is not None else None}


# -- witness candidates ---------------------------------------------------------------------
def _conditions(rule: Rule) -> Iterable[Condition]:
    yield from rule.constraints
    for action in rule.actions:
        yield from action.refinements


def _leaves(conditions: Iterable[Condition]) -> Iterable[Any]:
    for cond in conditions:
        if isinstance(cond, LogicalConstraint):
            yield from _leaves(cond.members)
        else:
            yield cond


def _shifted(value: Literal, kind: str, steps: Iterable[int]) -> list[Literal]:
    out: list[Literal] = []
    parsed = coerce(value, kind)
    if parsed is None:
        return out
    for step in steps:
        if kind == "number" and isinstance(parsed, Decimal):
            out.append(Literal(parsed + step, datatype=XSD.decimal))
        elif kind == "date" and isinstance(parsed, date):
            out.append(Literal((parsed + timedelta(days=step)).isoformat(), datatype=XSD.date))
        elif kind == "datetime" and isinstance(parsed, datetime):
            out.append(Literal((parsed + timedelta(seconds=step)).isoformat(),
                               datatype=XSD.dateTime))
        elif kind == "duration" and isinstance(parsed, float):
            out.append(Literal(f"PT{max(parsed + step * 60, 0):g}S", datatype=XSD.duration))
    return out


def _kind(value: Node, datatype: URIRef | None) -> str | None:
    if not isinstance(value, Literal):
        return None
    dt = datatype or value.datatype
    if dt in NUMERIC:
        return "number"
    if dt in DATETIME:
        return "datetime"
    if dt == XSD.date:
        return "date"
    if dt in DURATION:
        return "duration"
    return None


def _midpoints(values: list[Literal], kind: str) -> list[Literal]:
    """Points strictly between consecutive bounds (where open intervals meet)."""
    parsed: list[Any] = sorted({p for v in values if (p := coerce(v, kind)) is not None})
    out = []
    for low, high in itertools.pairwise(parsed):
        middle = low + (high - low) / 2
        if kind == "number":
            out.append(Literal(middle, datatype=XSD.decimal))
        elif kind == "date":
            out.append(Literal(middle.isoformat(), datatype=XSD.date))
        elif kind == "datetime":
            out.append(Literal(middle.isoformat(), datatype=XSD.dateTime))
        else:
            out.append(Literal(f"PT{middle:g}S", datatype=XSD.duration))
    return out


def candidates(graph: Graph, conditions: list[Any]) -> dict[URIRef, list[Node]]:
    """Per left operand, the values worth trying to satisfy (or break) the conditions."""
    by_operand: dict[URIRef, list[Node]] = {}
    for cond in conditions:
        if cond.left is None:
            continue
        pool = by_operand.setdefault(cond.left, [])
        for value in cond.right:
            pool.append(value)
            kind = _kind(value, cond.datatype)
            if kind is not None:
                pool.extend(_shifted(value, kind, (-1, 1)))
            elif isinstance(value, URIRef):  # narrower concepts, instances, subclasses
                for link in (SKOS.broader, RDF.type, RDFS.subClassOf):
                    pool.extend(graph.subjects(link, value))
            region = places.codes(value)
            if region is not None and len(region) > 1:
                pool.append(Literal(sorted(region)[0]))
        region_union: set[str] = set()
        for value in pool:
            region_union |= places.codes(value) or set()
        if region_union:
            outside = next(c for c in places.all_codes() if c not in region_union)
            pool.append(Literal(outside))
        elif not any(_kind(v, cond.datatype) for v in cond.right):
            pool.append(OTHER_VALUE)
    for operand, pool in by_operand.items():
        kinds = {k for v in pool if (k := _kind(v, None)) is not None}
        for kind in kinds:
            pool.extend(_midpoints([v for v in pool
                                    if isinstance(v, Literal) and _kind(v, None) == kind], kind))
        by_operand[operand] = list(dict.fromkeys(pool))
    return by_operand


def _request(assignee: URIRef, action: URIRef, target: URIRef,
             values: dict[URIRef, Node]) -> Request:
    context = {operand: (value,) for operand, value in values.items()}
    moment = EXAMPLE_TIME
    if ODRL.dateTime in values:
        parsed = coerce(values[ODRL.dateTime], "datetime")
        moment = parsed if isinstance(parsed, datetime) else EXAMPLE_TIME
    else:
        context[ODRL.dateTime] = (Literal(moment.isoformat(), datatype=XSD.dateTime),)
    return Request(assignee, action, target, moment, context, frozenset())


def example_json(request: Request) -> dict[str, Any]:
    out: dict[str, Any] = {"assignee": str(request.assignee), "action": str(request.action),
                           "target": str(request.target), "at": request.at.isoformat()}
    context = {}
    for operand, values in request.context.items():
        if operand == ODRL.dateTime:
            continue
        value = str(values[0])
        if operand == ODRL.purpose:
            out["purpose"] = value
        elif operand == ODRL.spatial:
            out["spatial"] = value
        else:
            context[str(operand)] = value
    if context:
        out["context"] = context
    return out


# -- the analysis -----------------------------------------------------------------------------
class ConflictFinder:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.evaluator = Evaluator(graph)
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, ...]] = set()

    def _parties(self, target: URIRef, rules: list[Rule]) -> list[URIRef]:
        """Assignees worth trying: those the rules name, members of the data spaces, anyone."""
        out: list[URIRef] = []
        for rule in rules:
            for party in rule.assignees:
                if isinstance(party.node, URIRef) and not party.collection:
                    out.append(party.node)
                group = party.source or party.node
                out.extend(m for ms in self.graph.subjects(ORG.organization, group)
                           for m in self.graph.objects(ms, ORG.member) if isinstance(m, URIRef))
                out.extend(m for m in self.graph.transitive_subjects(ODRL.partOf, group)
                           if isinstance(m, URIRef) and m != group)
        for space in dataspaces_of(self.graph, target):
            out.extend(m for ms in sorted(self.graph.subjects(ORG.organization, space), key=str)
                       for m in self.graph.objects(ms, ORG.member) if isinstance(m, URIRef))
        out.append(EXAMPLE_PARTY)
        return list(dict.fromkeys(out))[:50]

    def witness(self, target: URIRef, action: URIRef, rules: list[Rule],
                holds: Callable[[Request], bool]) -> Request | None:
        """A request on ``target``/``action`` for which ``holds`` is true, if one is found."""
        conditions = [c for rule in rules for c in _leaves(_conditions(rule))]
        pools = candidates(self.graph, conditions)
        operands = sorted(pools)
        tried = 0
        for assignee in self._parties(target, rules):
            for combo in itertools.product(*(pools[o] for o in operands)):
                tried += 1
                if tried > MAX_COMBINATIONS:
                    return None
                request = _request(assignee, action, target, dict(zip(operands, combo,
                                                                      strict=True)))
                if holds(request):
                    return request
        return None

    def _active(self, governing: Governing, rule: Rule, request: Request) -> RuleResult:
        return self.evaluator.rule(governing, rule, request)

    def check_asset(self, target: URIRef) -> None:
        effective = effective_policy(self.graph, target)
        for problem in effective.problems:
            self._add(("problem", problem.kind, *problem.path),
                      Finding(problem.kind, problem.detail, extra={"path": problem.path}))
        ranked = effective.by_rank()
        for low in ranked:
            for perm in low.policy.of_kind("permission"):
                for high in ranked:
                    if high.rank < low.rank:
                        continue
                    for prohibition in high.policy.of_kind("prohibition"):
                        if high.rank > low.rank:
                            self._prohibited(target, low, perm, high, prohibition)
                        else:
                            self._same_tier(target, low, perm, high, prohibition)
                    if high.rank > low.rank:
                        self._widens(target, low, perm, high)
        for one in ranked:
            for prohibition in one.policy.of_kind("prohibition"):
                for other in ranked:
                    for rule in other.policy.of_kind("obligation"):
                        self._owed_but_prohibited(target, other, rule, None, one, prohibition)
                    for perm in other.policy.of_kind("permission"):
                        for duty in perm.duties:
                            self._owed_but_prohibited(target, other, duty, perm, one,
                                                      prohibition)

    def _prohibited(self, target: URIRef, low: Governing, perm: Rule, high: Governing,
                    prohibition: Rule) -> None:
        key = ("prohibited", perm.id, prohibition.id)
        if key in self._seen:
            return
        action = self._overlap(perm, prohibition)
        if action is None:
            return

        def holds(request: Request) -> bool:
            return (self._active(low, perm, request).active is True
                    and self._active(high, prohibition, request).active is True)

        example = self.witness(target, action, [perm, prohibition], holds)
        if example is None:
            return
        self._add(key, Finding(
            "prohibited",
            f"the {low.layer} rule `{compact(perm.id)}` permits {name(action)} where the "
            f"{high.layer} rule `{compact(prohibition.id)}` prohibits it",
            _rule_json(low, perm), _rule_json(high, prohibition), example_json(example)))

    def _same_tier(self, target: URIRef, low: Governing, perm: Rule, high: Governing,
                   prohibition: Rule) -> None:
        """A permission and a prohibition of one tier that can both apply: the conflict
        strategy of their policy settles it when they share one (``perm``/``prohibit``: no
        conflict), otherwise the evaluator voids or denies."""
        if low.policy.id == high.policy.id and low.policy.conflict in (ODRL.perm,
                                                                       ODRL.prohibit):
            return
        key = ("conflicting", *sorted((perm.id, prohibition.id)))
        action = self._overlap(perm, prohibition)
        if key in self._seen or action is None:
            return

        def holds(request: Request) -> bool:
            return (self._active(low, perm, request).active is True
                    and self._active(high, prohibition, request).active is True
                    and self.evaluator.evaluate(request).decision == "deny")

        example = self.witness(target, action, [perm, prohibition], holds)
        if example is None:
            return
        self._add(key, Finding(
            "conflicting",
            f"the {low.layer} rule `{compact(perm.id)}` permits {name(action)} where the "
            f"{high.layer} rule `{compact(prohibition.id)}` prohibits it",
            _rule_json(low, perm), _rule_json(high, prohibition), example_json(example)))

    def _owed_but_prohibited(self, target: URIRef, owner: Governing, duty: Rule,
                             perm: Rule | None, other: Governing, prohibition: Rule) -> None:
        """An obligation or a permission's duty whose action a prohibition forbids: the
        request to do what is owed is denied."""
        kind = "obligation-prohibited" if perm is None else "duty-prohibited"
        key = (kind, duty.id, prohibition.id)
        action = self._overlap(duty, prohibition)
        if key in self._seen or action is None:
            return

        def holds(request: Request) -> bool:
            return (self._active(other, prohibition, request).active is True
                    and self.evaluator.evaluate(request).decision == "deny")

        example = self.witness(target, action, [r for r in (perm, duty, prohibition) if r],
                               holds)
        if example is None:
            return
        owed = "an obligation" if perm is None else f"a duty of `{compact(perm.id)}`"
        self._add(key, Finding(
            kind,
            f"the {owner.layer} rule `{compact(duty.id)}` ({owed}) requires "
            f"{name(action)}, which the {other.layer} rule `{compact(prohibition.id)}` "
            "prohibits",
            _rule_json(owner, duty), _rule_json(other, prohibition), example_json(example)))

    def _widens(self, target: URIRef, low: Governing, perm: Rule, high: Governing) -> None:
        key = ("widens", perm.id, high.policy.id)
        speaking = [p for p in high.policy.of_kind("permission")
                    if self._overlap(p, perm) is not None]
        if key in self._seen or not speaking:
            return
        action = self._overlap(perm, speaking[0])
        assert action is not None

        def holds(request: Request) -> bool:
            if self._active(low, perm, request).active is not True:
                return False
            results = [self._active(high, p, request) for p in speaking]
            relevant = [r for r in results if r.relevant]
            return bool(relevant) and all(r.active is False for r in relevant)

        example = self.witness(target, action, [perm, *speaking], holds)
        if example is None:
            return
        self._add(key, Finding(
            "widens",
            f"the {low.layer} rule `{compact(perm.id)}` permits {name(action)} beyond what "
            f"the {high.layer} policy `{compact(high.policy.id)}` permits "
            f"(`{compact(speaking[0].id)}`)",
            _rule_json(low, perm), _rule_json(high, speaking[0]), example_json(example)))

    def _overlap(self, a: Rule, b: Rule) -> URIRef | None:
        for first in a.actions:
            for second in b.actions:
                found = self.evaluator.actions.overlap(first.iri, second.iri)
                if found is not None:
                    return found
        return None

    def _add(self, key: tuple[str, ...], finding: Finding) -> None:
        if key not in self._seen:
            self._seen.add(key)
            self.findings.append(finding)

    def assigners(self, target: URIRef) -> None:
        """Offers on ``target`` whose assigner is not a member of its data space(s)."""
        for space in dataspaces_of(self.graph, target):
            for offer in offers_of(self.graph, target):
                assigners = set(self.graph.objects(offer, ODRL.assigner))
                for rule_prop in (ODRL.permission, ODRL.prohibition, ODRL.obligation):
                    for rule in self.graph.objects(offer, rule_prop):
                        assigners.update(self.graph.objects(rule, ODRL.assigner))
                for assigner in sorted(assigners, key=str):
                    orgs = self.evaluator.knowledge.org_ancestors(assigner)
                    if any(space in self.evaluator.knowledge.organisations_of(o) for o in orgs):
                        continue
                    self._add(("assigner", str(offer), str(assigner), str(space)), Finding(
                        "assigner-not-member",
                        f"offer `{compact(offer)}` on {name(target)} is assigned by "
                        f"{name(assigner)}, which is not a member of {name(space)}",
                        extra={"policy": str(offer), "assigner": str(assigner),
                               "dataspace": str(space), "target": str(target)}))


def assets(graph: Graph) -> list[URIRef]:
    """Every asset with an offer or listed in a catalog."""
    found = {*graph.subjects(ODRL.hasPolicy, None), *graph.objects(None, DCAT.dataset),
             *graph.objects(None, ODRL.target)}
    return sorted(t for t in found if isinstance(t, URIRef)
                  and (offers_of(graph, t) or dataspaces_of(graph, t)))


def find_conflicts(graph: Graph) -> ConflictReport:
    """The conflict report over a governance graph (see the module doc)."""
    finder = ConflictFinder(graph)
    targets = assets(graph)
    for target in targets:
        finder.check_asset(target)
        finder.assigners(target)
    order = {"prohibited": 0, "conflicting": 1, "obligation-prohibited": 2,
             "duty-prohibited": 3, "widens": 4, "cycle": 5, "missing-parent": 6,
             "assigner-not-member": 7}
    finder.findings.sort(key=lambda f: (order.get(f.kind, 9), f.detail))
    return ConflictReport(finder.findings, len(targets))


# -- loading from a store ---------------------------------------------------------------------
def load_governance(store: Store, *, timeout: float | None = None) -> Graph:
    """Every policy with its body, and the links and facts the conflict report reads."""
    graph = Graph()

    def add(query: str) -> None:
        rows = store.query(query, timeout=timeout).rows
        graph.addN((s, p, o, graph) for s, p, o in rows)  # type: ignore[misc]

    for query in (*ALL_BODIES_QUERIES, ALL_LINKS_QUERY):
        add(query)
    operands = {c.left for c in _leaves(parse_condition(graph, node)
                                        for node in graph.objects(None, ODRL.refinement))
                if c.left is not None}
    props = set(operands)
    for operand in operands:
        props.update(ASSET_PROPERTIES.get(operand, ()) + PARTY_PROPERTIES.get(operand, ()))
    if props:
        add(FACTS_QUERY % " ".join(term_n3(p) for p in sorted(props)))
    return graph
