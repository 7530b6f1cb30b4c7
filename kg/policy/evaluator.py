"""Evaluate a request against the effective policy of its target, tier by tier.

Per rule: does it concern the request (action covers the requested action, target matches),
does the party match, do its constraints hold (three-valued: a constraint whose operand the
request does not give is unknown). A permission grants only when everything holds and its
duties are done; a prohibition applies unless something in it is known to be false (a
prohibition that may apply is not waved through).

Per policy: its conflict strategy (``odrl:perm``, ``odrl:prohibit``, ``odrl:invalid``; ODRL's
default is ``invalid``) settles a permission and a prohibition that both apply.

Across tiers: any applicable prohibition, void policy or unmet duty or obligation denies;
so does a tier that has permissions on the action none of which grants (a lower tier may
narrow what a higher one allows, never widen it). The offers of a dataset are alternatives:
one granting is enough. The highest-ranked denial decides; otherwise a grant permits; with
no rule on the action at all the request is not applicable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import DCAT
from rdflib.term import Node

from kg.namespaces import DCT, DSKG, ODRL, ORG
from kg.policy.actions import ActionHierarchy, odrl_actions
from kg.policy.explain import decision_json, decision_text, reason
from kg.policy.knowledge import Knowledge
from kg.policy.model import Asset, Condition, LogicalConstraint, Party, Policy, Rule
from kg.policy.operators import Comparator, kleene_all, kleene_any
from kg.policy.outcome import ConditionResult, DutyResult, PolicyResult, RuleResult
from kg.policy.request import Request
from kg.policy.tiers import (
    OFFER_RANK,
    EffectivePolicy,
    Governing,
    asset_ancestors,
    dataspaces_of,
    effective_policy,
)
from kg.policy.triples import Triples

# Asset refinements read these properties of the dataset for a left operand.
ASSET_PROPERTIES: dict[URIRef, tuple[URIRef, ...]] = {
    ODRL.fileFormat: (DCT.format, DCAT.mediaType),
    ODRL.language: (DCT.language,),
    ODRL.spatial: (DCT.spatial,),
}
# Party refinements: where a party's value for a left operand lives.
PARTY_PROPERTIES: dict[URIRef, tuple[URIRef, ...]] = {
    ODRL.spatial: (DSKG.country,),
}
ROLE_OPERANDS = (DSKG.role, ORG.role)
# Refinements on parties and assets read facts from the graph (closed world), the others the
# request (where a missing value is unknown).
FACT_SCOPES = ("party", "asset")
SEVERITY = {"prohibits": 5, "void": 4, "obligation-unmet": 3, "duty-unmet": 2,
            "not-permitted": 1}


@dataclass
class Decision:
    decision: str  # permit | deny | not-applicable
    reason: str
    request: Request
    effective: EffectivePolicy
    results: list[PolicyResult]
    deciding: PolicyResult | None = None

    def to_json(self) -> dict[str, Any]:
        return decision_json(self)

    def to_text(self) -> str:
        return decision_text(self)


class Evaluator:
    """Evaluates requests over one graph holding the policies and the facts they need."""

    def __init__(self, graph: Graph | Triples, actions: ActionHierarchy | None = None, *,
                 extend: bool = True, parsed: dict[Node, Policy] | None = None) -> None:
        """``actions``: the hierarchy (extended by the graph's own actions unless ``extend``
        is False: the caller did it); ``parsed``: policies already parsed, by IRI."""
        self.graph = graph
        self.knowledge = Knowledge(graph)  # type: ignore[arg-type]
        self.comparator = Comparator(self.knowledge)
        hierarchy = actions or odrl_actions()
        self.actions = hierarchy.extended(graph) if extend else hierarchy  # type: ignore[arg-type]
        self.parsed = parsed

    # -- conditions ----------------------------------------------------------------------
    def condition(self, cond: Condition, scope: str, values: Any) -> ConditionResult:
        if isinstance(cond, LogicalConstraint):
            members = []
            for member in cond.members:
                result = self.condition(member, scope, values)
                members.append(result)
                if cond.operator == ODRL.andSequence and result.held is False:
                    break  # later steps of a sequence are not reached
            held = _logical(cond.operator, [m.held for m in members])
            return ConditionResult(cond, scope, held, members=members)
        if cond.problem or cond.left is None or cond.operator is None:
            return ConditionResult(cond, scope, None)
        found = tuple(values(cond.left))
        held = self.comparator.apply(cond.operator, found, cond.right, datatype=cond.datatype,
                                     operand=cond.left)
        if held is None and scope in FACT_SCOPES:
            held = False  # what the graph does not say about a party or asset is not so
        return ConditionResult(cond, scope, held, found)

    def _request_values(self, request: Request) -> Any:
        return request.values

    def _node_values(self, node: Node, table: dict[URIRef, tuple[URIRef, ...]],
                     ancestors: frozenset[Node] | None = None) -> Any:
        nodes = sorted(ancestors or {node}, key=str)

        def values(operand: URIRef) -> list[Node]:
            props = (*table.get(operand, ()), operand)
            out: list[Node] = []
            for subject in nodes:
                for prop in props:
                    out.extend(self.graph.objects(subject, prop))
            return list(dict.fromkeys(out))

        return values

    # -- matching ------------------------------------------------------------------------
    def match_party(self, parties: tuple[Party, ...], request: Request
                    ) -> tuple[bool | None, str, list[ConditionResult]]:
        """Is the requester one of ``parties``? (True/False/None, how, refinement results)."""
        if not parties:
            return True, "any party", []
        who = self.knowledge.org_ancestors(request.assignee)
        best: tuple[bool | None, str, list[ConditionResult]] = (False, "", [])
        for party in parties:
            group = party.source or party.node
            if party.node in who:
                how = ("is the assignee" if party.node == request.assignee
                       else f"is a sub-organisation of {party.node}")
            elif any(group in self.knowledge.organisations_of(org)
                     or group in self.knowledge.party_collections(org) for org in who):
                how = f"is a member of {group}"
            else:
                continue
            results = [self.condition(c, "party", self._party_values(request, group))
                       for c in party.refinements]
            held = kleene_all(r.held for r in results)
            if held is True:
                return True, how, results
            if held is None or best[0] is False:
                best = (held, how + " (refinement " + ("unknown" if held is None
                                                        else "not met") + ")", results)
        return best

    def _party_values(self, request: Request, group: Node) -> Any:
        ancestors = self.knowledge.org_ancestors(request.assignee)
        base = self._node_values(request.assignee, PARTY_PROPERTIES, ancestors)

        def values(operand: URIRef) -> list[Node]:
            if operand in ROLE_OPERANDS:
                return sorted({role for org in ancestors
                               for role in self.knowledge.roles_in(org, group)}, key=str)
            return base(operand)

        return values

    def match_target(self, assets: tuple[Asset, ...], request: Request
                     ) -> tuple[bool | None, list[ConditionResult]]:
        if not assets:
            return True, []
        containers = asset_ancestors(self.graph, request.target)
        best: tuple[bool | None, list[ConditionResult]] = (False, [])
        for asset in assets:
            inside = asset.node in containers
            if not inside and asset.source is not None:
                inside = (asset.source in dataspaces_of(self.graph, request.target)
                          or (asset.source, DCAT.dataset, request.target) in self.graph)
            if not inside and not (asset.collection and asset.source is None
                                   and asset.refinements):
                continue
            results = [self.condition(c, "asset",
                                      self._node_values(request.target, ASSET_PROPERTIES))
                       for c in asset.refinements]
            held = kleene_all(r.held for r in results)
            if held is True:
                return True, results
            if held is None or best[0] is False:
                best = (held, results)
        return best

    def _action(self, rule: Rule, request: Request) -> tuple[URIRef | None, bool, Any]:
        """The rule action concerning the request, whether only by odrl:implies, refinements."""
        for action in rule.actions:
            if self.actions.covers(action.iri, request.action):
                return action.iri, False, action
        if rule.kind == "prohibition":
            implied = self.actions.implied(request.action)
            for action in rule.actions:
                if any(self.actions.covers(action.iri, other) for other in implied):
                    return action.iri, True, action
        return None, False, None

    # -- rules ---------------------------------------------------------------------------
    def rule(self, governing: Governing, rule: Rule, request: Request) -> RuleResult:
        result = RuleResult(governing, rule, relevant=False)
        if rule.kind == "obligation":
            matched, implied, action = (rule.actions[0].iri if rule.actions else None), False, None
        else:
            matched, implied, action = self._action(rule, request)
            if matched is None:
                return result
        target_held, asset_results = self.match_target(rule.targets, request)
        if target_held is False:
            return result
        result.relevant, result.matched_action, result.via_implies = True, matched, implied
        party_held, how, party_results = self.match_party(rule.assignees, request)
        result.party, result.party_detail = party_held, how
        conditions = [*asset_results, *party_results]
        if action is not None:
            conditions += [self.condition(c, "action", request.values)
                           for c in action.refinements]
        conditions += [self.condition(c, "rule", request.values) for c in rule.constraints]
        result.conditions = conditions
        held = kleene_all([party_held, *(c.held for c in conditions)])
        result.active = held
        if rule.kind == "permission":
            result.duties = [self.duty(d, request) for d in rule.duties]
            result.outcome = ("not-active" if held is not True else
                              "duty-unmet" if result.unmet_duties else "permits")
        elif rule.kind == "prohibition":
            result.outcome = "not-active" if held is False else "prohibits"
        else:  # obligation: owed by the requester unless known not to apply
            done = self._done(rule, request)
            result.duties = [DutyResult(rule, held is not False, done)]
            result.outcome = ("not-active" if held is False else
                              "fulfilled" if done else "obligation-unmet")
        return result

    def _done(self, duty: Rule, request: Request) -> bool:
        done = request.duties_done
        if URIRef(duty.id) in done or duty.node in done:
            return True
        return any(self.actions.covers(a.iri, d) for a in duty.actions for d in done)

    def duty(self, duty: Rule, request: Request) -> DutyResult:
        party_held, _, _ = self.match_party(duty.assignees, request)
        conditions = [self.condition(c, "duty", request.values) for c in duty.constraints]
        owed = party_held is not False and kleene_all(c.held for c in conditions) is not False
        return DutyResult(duty, owed, self._done(duty, request), conditions)

    # -- policies ------------------------------------------------------------------------
    def policy(self, governing: Governing, request: Request) -> PolicyResult:
        rules = [self.rule(governing, r, request) for r in governing.policy.rules]
        result = PolicyResult(governing, rules)
        perms = [r for r in result.of_kind("permission") if r.relevant]
        active_perms = [r for r in perms if r.active is True]
        prohibits = [r for r in result.of_kind("prohibition") if r.outcome == "prohibits"]
        obligations = [r for r in result.of_kind("obligation") if r.outcome == "obligation-unmet"]
        if active_perms and prohibits:
            strategy = governing.policy.conflict or ODRL.invalid
            if strategy == ODRL.perm:
                for r in prohibits:
                    r.outcome = "overridden"
                prohibits = []
            elif strategy == ODRL.prohibit:
                for r in active_perms:
                    r.outcome = "overridden"
                active_perms = []
            else:
                result.status, result.deciding = "void", [active_perms[0], prohibits[0]]
                for r in [*active_perms, *prohibits]:
                    r.outcome = "void"
                return result
        granting = [r for r in active_perms if r.outcome == "permits"]
        if prohibits:
            result.status, result.deciding = "prohibits", prohibits
        elif obligations:
            result.status, result.deciding = "obligation-unmet", obligations
        elif granting:
            result.status, result.deciding = "permits", granting
        elif active_perms:
            result.status, result.deciding = "duty-unmet", active_perms
        elif perms:
            result.status, result.deciding = "not-permitted", _closest(perms)
        return result

    # -- the decision --------------------------------------------------------------------
    def evaluate(self, request: Request) -> Decision:
        effective = effective_policy(self.graph, request.target,  # type: ignore[arg-type]
                                     parsed=self.parsed)
        results = [self.policy(g, request) for g in effective.by_rank()]
        denials: list[PolicyResult] = []
        grants: list[PolicyResult] = []
        offers: dict[str, list[PolicyResult]] = {}
        for result in results:
            if result.governing.rank == OFFER_RANK and result.governing.groups:
                for group in result.governing.groups:
                    offers.setdefault(group, []).append(result)
            elif result.status == "permits":
                grants.append(result)
            elif result.status in SEVERITY:
                denials.append(result)
        offer_grant, offer_denial = _offer_layer(offers)
        if offer_grant is not None:
            grants.append(offer_grant)
        elif offer_denial is not None:
            denials.append(offer_denial)
        if denials:
            deciding = max(denials, key=lambda r: (r.governing.rank, SEVERITY[r.status]))
            verdict = "deny"
        elif grants:
            deciding = min(grants, key=lambda r: r.governing.rank)
            verdict = "permit"
        else:
            deciding, verdict = None, "not-applicable"
        decision = Decision(verdict, "", request, effective, results, deciding)
        decision.reason = reason(decision)
        return decision


def _logical(operator: URIRef, held: list[bool | None]) -> bool | None:
    if operator == ODRL["or"]:
        return kleene_any(held)
    if operator == ODRL.xone:
        trues = sum(1 for h in held if h is True)
        if trues > 1:
            return False
        if any(h is None for h in held):
            return None
        return trues == 1
    return kleene_all(held)  # and, andSequence


def _closest(perms: list[RuleResult]) -> list[RuleResult]:
    """The permission that came nearest to granting (fewest failed checks), to explain."""
    def failures(r: RuleResult) -> tuple[int, int]:
        checks = [r.party, *(c.held for c in r.conditions)]
        return sum(1 for h in checks if h is False), sum(1 for h in checks if h is None)

    return sorted(perms, key=lambda r: (failures(r), r.rule.id))[:1]


def _offer_layer(offers: dict[str, list[PolicyResult]]
                 ) -> tuple[PolicyResult | None, PolicyResult | None]:
    """Offers are alternatives: the first granting offer (with its parents), else the
    strongest reason no offer grants."""
    denial: PolicyResult | None = None
    for group in sorted(offers):
        members = offers[group]
        blocking = [m for m in members if m.status in ("prohibits", "void", "obligation-unmet")]
        granting = [m for m in members if m.status == "permits"]
        if granting and not blocking:
            return granting[0], None
        for m in blocking or [m for m in members if m.status in SEVERITY]:
            if denial is None or SEVERITY[m.status] > SEVERITY[denial.status]:
                denial = m
    return None, denial
