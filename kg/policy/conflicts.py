"""The static conflict report: pairs of rules that can govern the same request and disagree.

Two rules are compared when the evaluator would weigh them together on one request: a
permission against a prohibition of the same or a higher tier (kind ``prohibited`` across
tiers, ``conflicting`` within one; a policy whose ``odrl:conflict`` strategy is ``perm`` or
``prohibit`` settles its own rules; two offers of a dataset are alternatives, not rivals);
what is owed (an obligation, a permission's duty) against a prohibition of its action
(``obligation-prohibited``, ``duty-prohibited``); a lower-tier permission against a higher
tier that permits the action only in narrower cases (``widens``).

A pair is a *conflict* when a request exists, given what the graph says, that makes both
rules apply and that the evaluator decides the way the conflict predicts (denied by the
prohibition, or the policy void); that request is the finding's ``example``, found among the
boundary values of the rules' constraints (``kg.policy.witness``) and checked with the
evaluator itself. It is *ambiguous* when such a request exists only under facts the graph
does not state (``kg.policy.assumed``): a party that is a member of both party collections,
an asset part of both asset collections, a concept that falls under the classes both rules
name, a value for a party's or the asset's refinement the graph is silent about; the finding
lists those facts (``assuming``) and its example is decided that way over the graph plus
them. Pairs with neither are not reported (class ``none``).

Assets with the same data spaces, catalogs, facts and offers of the same shape (the same
rules up to the names of the offer, its rules and the asset) are governed alike: one of
them is checked for the group (``kg.policy.governance``) and findings say how many assets
share them. Also reported:
``odrl:inheritFrom`` cycles and missing parents, and offers whose assigner is not a member of
the data space whose catalog lists the dataset.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from rdflib import Graph, URIRef
from rdflib.term import Node

from kg.namespaces import ODRL, ORG, compact
from kg.policy.assumed import Assumed, assumptions, concepts, triple_from_json, triple_json
from kg.policy.evaluator import Evaluator, RuleResult
from kg.policy.explain import name
from kg.policy.governance import assets, candidate_assets, group_key, load_governance
from kg.policy.model import Policy, Rule
from kg.policy.request import Request
from kg.policy.tiers import OFFER_RANK, Governing, dataspaces_of, effective_policy, offers_of
from kg.policy.triples import Triples
from kg.policy.witness import (
    EXAMPLE_PARTY,
    candidates,
    conditions_of,
    example_json,
    leaves,
    make_request,
)

__all__ = ["ConflictFinder", "ConflictReport", "Finding", "assets", "find_conflicts",
           "load_governance", "triple_from_json"]

MAX_COMBINATIONS = 4096
MAX_CONFIRMATIONS = 16  # candidates the rules accept that the full evaluation is asked about
ORDER = {"prohibited": 0, "conflicting": 1, "obligation-prohibited": 2, "duty-prohibited": 3,
         "widens": 4, "cycle": 5, "missing-parent": 6, "assigner-not-member": 7}


@dataclass
class Finding:
    kind: str  # see ORDER
    detail: str
    lower: dict[str, Any] | None = None
    higher: dict[str, Any] | None = None
    example: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    cls: str = "conflict"  # conflict | ambiguous | problem
    # the facts an ambiguous finding assumes, [s, p, o]: o an IRI or {"@value", "@type"?}
    assuming: list[list[Any]] = field(default_factory=list)
    assets: list[str] = field(default_factory=list)
    asset_count: int = 0
    request: Request | None = field(default=None, repr=False, compare=False)  # the example

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "class": self.cls, "detail": self.detail}
        for key in ("lower", "higher", "example"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.assuming:
            out["assuming"] = self.assuming
        if self.asset_count:
            out["assets"] = self.asset_count
            out["assetSample"] = self.assets[:5]
        out.update(self.extra)
        return out


@dataclass
class ConflictReport:
    findings: list[Finding]
    assets_checked: int
    groups_checked: int = 0

    def to_json(self) -> dict[str, Any]:
        classes: dict[str, int] = {}
        for finding in self.findings:
            classes[finding.cls] = classes.get(finding.cls, 0) + 1
        return {"conflicts": [f.to_json() for f in self.findings],
                "count": len(self.findings), "classes": classes,
                "assetsChecked": self.assets_checked, "assetGroups": self.groups_checked}

    def to_text(self) -> str:
        if not self.findings:
            return f"no conflicts ({self.assets_checked} assets checked)\n"
        lines = [f"{len(self.findings)} finding(s) ({self.assets_checked} assets checked)"]
        for finding in self.findings:
            shared = (f" [on {finding.asset_count} assets]" if finding.asset_count > 1 else "")
            label = "" if finding.cls == "problem" else f"{finding.cls}: "
            lines.append(f"- [{finding.kind}] {label}{finding.detail}{shared}")
            if finding.assuming:
                lines.append("    assuming: " + "; ".join(
                    " ".join(compact(URIRef(t)) if isinstance(t, str) else f'"{t["@value"]}"'
                             for t in triple) for triple in finding.assuming))
            if finding.example:
                lines.append("    example: " + " ".join(
                    f"{k}={v}" for k, v in finding.example.items() if v))
        return "\n".join(lines) + "\n"


def _rule_json(governing: Governing, rule: Rule) -> dict[str, Any]:
    return {"policy": governing.policy.id, "rule": rule.id, "kind": rule.kind,
            "tier": str(governing.tier) if governing.tier else None,
            "layer": governing.layer, "action": [str(a.iri) for a in rule.actions],
            "source": str(governing.source) if governing.source is not None else None}


# -- the analysis -----------------------------------------------------------------------------
Holds = Callable[[Evaluator, Request], bool]


class ConflictFinder:
    def __init__(self, graph: Graph | Triples | Any) -> None:
        self.graph: Any = graph  # an rdflib Graph or Triples: the API they share
        self.parsed: dict[Node, Policy] = {}
        self.evaluator = Evaluator(graph, parsed=self.parsed)
        self.findings: list[Finding] = []
        self._by_key: dict[tuple[str, ...], Finding] = {}
        self._members: list[URIRef] = []
        self._offers: dict[Node, list[Node]] = {}

    # -- grouping --------------------------------------------------------------------------
    def group_key(self, target: URIRef) -> tuple[Any, ...] | None:
        """The asset group of ``target``; None when it is no asset (no offer, no catalog)."""
        offers = offers_of(self.graph, target)
        spaces = dataspaces_of(self.graph, target)
        if not offers and not spaces:
            return None
        self._offers[target] = offers
        return group_key(self.graph, target, offers, spaces)

    # -- one asset ---------------------------------------------------------------------------
    def check_asset(self, target: URIRef, members: list[URIRef] | None = None) -> None:
        """Every pair of rules governing ``target`` (and, alike, ``members``)."""
        self._members = members or [target]
        effective = effective_policy(self.graph, target, parsed=self.parsed)
        for problem in effective.problems:
            self._add(("problem", problem.kind, *problem.path),
                      Finding(problem.kind, problem.detail, extra={"path": problem.path},
                              cls="problem"))
        ranked = effective.by_rank()
        prohibitions = [(g, r) for g in ranked for r in g.policy.of_kind("prohibition")]
        for low in ranked:
            for perm in low.policy.of_kind("permission"):
                for high, prohibition in prohibitions:
                    kind = self._relation(low, high)
                    if kind is not None:
                        self._permitted_and_prohibited(kind, target, low, perm, high,
                                                       prohibition)
                for high in ranked:
                    if high.rank > low.rank:
                        self._widens(target, low, perm, high)
            owed: list[tuple[Rule, Rule | None]] = [
                (r, None) for r in low.policy.of_kind("obligation")]
            owed += [(d, p) for p in low.policy.of_kind("permission") for d in p.duties]
            for duty, owner in owed:  # whatever the tiers: doing what is owed is denied
                for other, prohibition in prohibitions:
                    self._owed_but_prohibited(target, low, duty, owner, other, prohibition)

    @staticmethod
    def _relation(low: Governing, high: Governing) -> str | None:
        """How the evaluator weighs a permission of ``low`` against a prohibition of
        ``high``: across tiers, within one, or not against each other."""
        if high.rank < low.rank or _alternatives(low, high):
            return None  # a lower tier may narrow a higher one; offers are alternatives
        if high.rank > low.rank:
            return "prohibited"
        if low.policy.id == high.policy.id and low.policy.conflict in (ODRL.perm,
                                                                       ODRL.prohibit):
            return None  # the policy's own strategy settles it
        return "conflicting"

    # -- the kinds ---------------------------------------------------------------------------
    def _permitted_and_prohibited(self, kind: str, target: URIRef, low: Governing, perm: Rule,
                                  high: Governing, prohibition: Rule) -> None:
        key = (kind, perm.id, prohibition.id)
        action = self._request_action(perm, prohibition)
        if action is None:
            return

        def holds(ev: Evaluator, request: Request) -> bool:
            return (ev.rule(low, perm, request).active is True
                    and ev.rule(high, prohibition, request).active is True)

        def confirm(ev: Evaluator, request: Request) -> bool:
            decision = ev.evaluate(request)
            deciding = decision.deciding
            return (decision.decision == "deny" and deciding is not None
                    and deciding.status in ("prohibits", "void")
                    and deciding.governing.rank == high.rank
                    and _outcome(decision, high, prohibition) in ("prohibits", "void")
                    and _active(decision, low, perm))

        where = "" if kind == "prohibited" else " in the same tier"
        detail = (f"the {low.layer} rule `{compact(perm.id)}` permits {name(action)} where the "
                  f"{high.layer} rule `{compact(prohibition.id)}` prohibits it{where}")
        self._search_and_add(key, kind, detail, target, action, [perm, prohibition],
                             holds, confirm, (low, perm), (high, prohibition))

    def _owed_but_prohibited(self, target: URIRef, owner: Governing, duty: Rule,
                             perm: Rule | None, other: Governing, prohibition: Rule) -> None:
        """An obligation or a permission's duty whose action a prohibition forbids: the
        request to do what is owed is denied."""
        kind = "obligation-prohibited" if perm is None else "duty-prohibited"
        key = (kind, duty.id, prohibition.id)
        action = self._request_action(duty, prohibition)
        if action is None:
            return
        done = tuple(a.iri for a in duty.actions)

        def holds(ev: Evaluator, request: Request) -> bool:
            if ev.rule(other, prohibition, request).active is not True:
                return False
            if perm is None:
                owed = ev.rule(owner, duty, request)  # owed unless known not to apply
                return owed.relevant and owed.active is not False
            exercise = replace(request, action=perm.actions[0].iri, duties_done=frozenset())
            return (ev.rule(owner, perm, exercise).active is True
                    and ev.duty(duty, exercise).owed)

        def confirm(ev: Evaluator, request: Request) -> bool:
            decision = ev.evaluate(request)
            return (decision.decision == "deny" and decision.deciding is not None
                    and decision.deciding.status == "prohibits"
                    and _outcome(decision, other, prohibition) == "prohibits")

        owed = "an obligation" if perm is None else f"a duty of `{compact(perm.id)}`"
        detail = (f"the {owner.layer} rule `{compact(duty.id)}` ({owed}) requires "
                  f"{name(action)}, which the {other.layer} rule `{compact(prohibition.id)}` "
                  "prohibits")
        rules = [r for r in (perm, duty, prohibition) if r is not None]
        self._search_and_add(key, kind, detail, target, action, rules, holds, confirm,
                             (owner, duty), (other, prohibition), done=done)

    def _widens(self, target: URIRef, low: Governing, perm: Rule, high: Governing) -> None:
        key = ("widens", perm.id, high.policy.id)
        speaking = [p for p in high.policy.of_kind("permission")
                    if self._overlap(p, perm) is not None]
        if not speaking:
            return
        action = self._overlap(perm, speaking[0])
        assert action is not None

        def holds(ev: Evaluator, request: Request) -> bool:
            if ev.rule(low, perm, request).active is not True:
                return False
            results = [ev.rule(high, p, request) for p in speaking]
            relevant = [r for r in results if r.relevant]
            return bool(relevant) and all(r.active is False for r in relevant)

        def confirm(ev: Evaluator, request: Request) -> bool:
            return ev.evaluate(request).decision == "deny"

        detail = (f"the {low.layer} rule `{compact(perm.id)}` permits {name(action)} beyond "
                  f"what the {high.layer} policy `{compact(high.policy.id)}` permits "
                  f"(`{compact(speaking[0].id)}`)")
        self._search_and_add(key, "widens", detail, target, action, [perm, *speaking], holds,
                             confirm, (low, perm), (high, speaking[0]), hypothetical=False,
                             parties_of=[perm])

    # -- witnesses ---------------------------------------------------------------------------
    def _search_and_add(self, key: tuple[str, ...], kind: str, detail: str, target: URIRef,
                        action: URIRef, rules: list[Rule], holds: Holds, confirm: Holds,
                        lower: tuple[Governing, Rule], higher: tuple[Governing, Rule], *,
                        done: Iterable[URIRef] = (), hypothetical: bool = True,
                        parties_of: list[Rule] | None = None) -> None:
        """Search this asset group for a witness of the pair; a pair found on an earlier group
        is counted here only if it arises here too (its example, moved to this asset, first)."""
        known = self._by_key.get(key)
        if known is not None and known.cls == "conflict" and known.request is not None:
            replay = replace(known.request, target=target)
            if holds(self.evaluator, replay) and confirm(self.evaluator, replay):
                self._count(known)
                return
        example = self.witness(self.evaluator, target, action, rules, holds, confirm,
                               done=done, parties_of=parties_of)
        assuming: list[tuple[Node, Node, Node]] = []
        if example is None and hypothetical and (known is None or known.cls == "ambiguous"):
            for facts in assumptions(self.graph, target, rules):
                world: Any = Assumed(self.graph, facts)
                evaluator = Evaluator(world, self.evaluator.actions, extend=False,
                                      parsed=self.parsed)
                example = self.witness(evaluator, target, action, rules, holds, confirm,
                                       done=done, hypothetical=True, parties_of=parties_of)
                if example is not None:
                    assuming = facts
                    break
        if example is None:
            return
        if known is not None:
            self._count(known)
            if known.cls == "ambiguous" and not assuming:  # here it is a plain conflict
                known.cls, known.assuming = "conflict", []
                known.example, known.request = example_json(example), example
            return
        self._add(key, Finding(kind, detail, _rule_json(*lower), _rule_json(*higher),
                               example_json(example),
                               cls="ambiguous" if assuming else "conflict",
                               assuming=[triple_json(t) for t in assuming], request=example))

    def witness(self, evaluator: Evaluator, target: URIRef, action: URIRef, rules: list[Rule],
                holds: Holds, confirm: Holds | None = None, *, done: Iterable[URIRef] = (),
                hypothetical: bool = False, parties_of: list[Rule] | None = None
                ) -> Request | None:
        """A request on ``target``/``action`` the rules accept (``holds``) and the full
        evaluation decides as the conflict predicts (``confirm``), if one is found. Only
        parties every rule of ``parties_of`` (default: all) can be assigned are tried, so
        the budget of combinations goes to the constraints."""
        conditions = [c for rule in rules for c in leaves(conditions_of(rule))]
        pools = candidates(evaluator.graph, conditions)
        if hypothetical:
            for operand, concept in concepts(rules).items():
                pools.setdefault(operand, []).insert(0, concept)
        operands = sorted(pools)
        parties = ([EXAMPLE_PARTY] if hypothetical
                   else self._parties(evaluator.graph, target, rules))
        parties = [p for p in parties if all(
            evaluator.match_party(r.assignees, make_request(p, action, target, {}))[0]
            is not False for r in (rules if parties_of is None else parties_of))]
        tried = confirmed = 0
        for assignee in parties:
            for combo in itertools.product(*(pools[o] for o in operands)):
                tried += 1
                if tried > MAX_COMBINATIONS:
                    return None
                request = make_request(assignee, action, target,
                                       dict(zip(operands, combo, strict=True)), done)
                if not holds(evaluator, request):
                    continue
                if confirm is None or confirm(evaluator, request):
                    return request
                confirmed += 1
                if confirmed >= MAX_CONFIRMATIONS:
                    return None
        return None

    def _parties(self, graph: Any, target: URIRef, rules: list[Rule]) -> list[URIRef]:
        """Assignees worth trying: those the rules name, members of the collections and data
        spaces involved, anyone."""
        out: list[URIRef] = []
        for rule in rules:
            for party in rule.assignees:
                if isinstance(party.node, URIRef) and not party.collection:
                    out.append(party.node)
                group = party.source or party.node
                out.extend(m for ms in graph.subjects(ORG.organization, group)
                           for m in graph.objects(ms, ORG.member) if isinstance(m, URIRef))
                out.extend(_part_members(graph, group))
        for space in dataspaces_of(graph, target):
            out.extend(m for ms in sorted(graph.subjects(ORG.organization, space), key=str)
                       for m in graph.objects(ms, ORG.member) if isinstance(m, URIRef))
        out.append(EXAMPLE_PARTY)
        return list(dict.fromkeys(out))[:50]

    # -- helpers -----------------------------------------------------------------------------
    def _request_action(self, first: Rule, prohibition: Rule) -> URIRef | None:
        """An action a request can name that both ``first`` and the prohibition concern
        (a prohibition also reaches the actions that imply its own)."""
        found = self._overlap(first, prohibition)
        if found is not None:
            return found
        for action in first.actions:
            for implied in self.evaluator.actions.implied(action.iri):
                if any(self.evaluator.actions.covers(p.iri, implied)
                       for p in prohibition.actions):
                    return action.iri
        return None

    def _overlap(self, a: Rule, b: Rule) -> URIRef | None:
        for first in a.actions:
            for second in b.actions:
                found = self.evaluator.actions.overlap(first.iri, second.iri)
                if found is not None:
                    return found
        return None

    def _count(self, finding: Finding) -> None:
        finding.asset_count += len(self._members)
        room = 5 - len(finding.assets)
        if room > 0:
            finding.assets.extend(str(m) for m in self._members[:room])

    def _add(self, key: tuple[str, ...], finding: Finding) -> None:
        if key in self._by_key:
            return
        self._by_key[key] = finding
        if finding.lower is not None:
            self._count(finding)
        self.findings.append(finding)

    def assigners(self, target: URIRef) -> None:
        """Offers on ``target`` whose assigner is not a member of its data space(s)."""
        offers = self._offers.get(target)
        if offers is None:
            offers = offers_of(self.graph, target)
        knowledge = self.evaluator.knowledge
        for space in dataspaces_of(self.graph, target):
            for offer in offers:
                assigners = set(self.graph.objects(offer, ODRL.assigner))
                for rule_prop in (ODRL.permission, ODRL.prohibition, ODRL.obligation):
                    for rule in self.graph.objects(offer, rule_prop):
                        assigners.update(self.graph.objects(rule, ODRL.assigner))
                for assigner in sorted(assigners, key=str):
                    key = ("assigner", str(offer), str(assigner), str(space))
                    if key in self._by_key or any(
                            space in knowledge.organisations_of(o)
                            for o in knowledge.org_ancestors(assigner)):
                        continue
                    self._add(key, Finding(
                        "assigner-not-member",
                        f"offer `{compact(offer)}` on {name(target)} is assigned by "
                        f"{name(assigner)}, which is not a member of {name(space)}",
                        extra={"policy": str(offer), "assigner": str(assigner),
                               "dataspace": str(space), "target": str(target)},
                        cls="problem"))


def _alternatives(a: Governing, b: Governing) -> bool:
    """Two offers (with their parents) of one dataset: a requester takes one of them."""
    return (a.rank == OFFER_RANK == b.rank and bool(a.groups) and bool(b.groups)
            and not a.groups & b.groups)


def _result(decision: Any, governing: Governing, rule: Rule) -> RuleResult | None:
    for policy in decision.results:
        if policy.governing.policy.id == governing.policy.id:
            for result in policy.rules:
                if result.rule.id == rule.id:
                    return result
    return None


def _outcome(decision: Any, governing: Governing, rule: Rule) -> str | None:
    result = _result(decision, governing, rule)
    return None if result is None else result.outcome


def _active(decision: Any, governing: Governing, rule: Rule) -> bool:
    result = _result(decision, governing, rule)
    return result is not None and result.active is True


def _part_members(graph: Any, group: Node) -> list[URIRef]:
    """Parties (transitively) ``odrl:partOf`` a party collection."""
    out: list[URIRef] = []
    seen, frontier = {group}, [group]
    while frontier:
        for member in graph.subjects(ODRL.partOf, frontier.pop()):
            if member not in seen:
                seen.add(member)
                frontier.append(member)
                if isinstance(member, URIRef):
                    out.append(member)
    return out


def find_conflicts(graph: Graph | Triples | Any) -> ConflictReport:
    """The conflict report over a governance graph (see the module doc)."""
    finder = ConflictFinder(graph)
    targets = []
    groups: dict[tuple[Any, ...], list[URIRef]] = {}
    for target in candidate_assets(graph):
        key = finder.group_key(target)
        if key is not None:
            targets.append(target)
            groups.setdefault(key, []).append(target)
    for members in groups.values():
        finder.check_asset(members[0], members)
    for target in targets:
        finder.assigners(target)
    finder.findings.sort(key=lambda f: (ORDER.get(f.kind, 9), f.cls, f.detail))
    return ConflictReport(finder.findings, len(targets), len(groups))


