"""A dataset's effective offers: its own ODRL offers with the tier policies above folded in.

The evaluator (kg/policy/evaluator.py) grants a request when one offer grants it and no tier
denies it. A Dataspace Protocol consumer sees only the offer, so each offer is shown with
what the tiers add for the actions it permits:

* a tier prohibition that concerns the action, or a narrower action the permission covers
  (``transfer`` under ``use``), is added as a prohibition of the offer; one on the action
  itself that always applies (no constraint, no party, a policy without ``odrl:perm``)
  removes the permission, since the node would deny it whatever the consumer does;
* a tier that has permissions on the action requires one of them: the permission is repeated
  once per choice (at most MAX_VARIANTS), with that tier permission's constraints, duties and
  party added;
* tier obligations on the dataset become obligations of the offer.

An offer left without a permission is not shown. The result is never more generous than the
evaluator; it may be stricter where ODRL cannot say what the tiers mean (two different party
requirements on one rule: the offer's own party is shown, and all of them are checked when a
participant narrows the catalog).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.namespaces import ODRL, compact
from kg.policy.evaluator import Evaluator
from kg.policy.model import Action, Condition, Constraint, LogicalConstraint, Party, Rule
from kg.policy.request import Request
from kg.policy.tiers import OFFER_RANK, EffectivePolicy, Governing

MAX_VARIANTS = 16
ODRL_NS = str(ODRL)
#: Operators the DSP schema names (as terms of its ODRL profile context).
OPERATOR_TERMS = {"eq", "gt", "gteq", "lteq", "hasPart", "isA", "isAllOf", "isAnyOf",
                  "isNoneOf", "isPartOf", "lt", "neq"}
_LOGICAL = {ODRL["and"]: "and", ODRL["or"]: "or", ODRL.xone: "xone",
            ODRL.andSequence: "andSequence"}
_NOBODY = URIRef("urn:dskg:dsp:anyone")


@dataclass
class EffectiveRule:
    action: URIRef
    constraints: list[Condition] = field(default_factory=list)
    duties: list[Rule] = field(default_factory=list)
    #: every party requirement the tiers put on the rule (each: one of these parties)
    parties: list[tuple[Party, ...]] = field(default_factory=list)


@dataclass
class EffectiveOffer:
    source: str  # the offer it comes from
    assigners: tuple[Node, ...]
    permissions: list[EffectiveRule]
    prohibitions: list[EffectiveRule]
    obligations: list[EffectiveRule]

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {}
        if self.assigners:
            body["assigner"] = str(sorted(self.assigners, key=str)[0])
        for key, rules in (("permission", self.permissions),
                           ("prohibition", self.prohibitions),
                           ("obligation", self.obligations)):
            if rules:
                body[key] = [_rule_json(r, with_duties=key == "permission") for r in rules]
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
        sep = "-" if "#" in self.source else "#"
        iri = f"{self.source}{sep}dsp-{digest}"
        # odrl:uid as well: ODRL asks every policy for one (and our shapes check it).
        return {"@id": iri, "@type": "Offer", "odrl:uid": {"@id": iri}, **body}

    def permits(self, evaluator: Evaluator, participant: URIRef, target: URIRef) -> bool:
        """Could any of its permissions ever grant ``participant``? (party checks only)"""
        request = Request(participant, ODRL.use, target, datetime.now(UTC))
        return any(all(evaluator.match_party(parties, request)[0] is not False
                       for parties in rule.parties if parties)
                   for rule in self.permissions)


# -- building ----------------------------------------------------------------------------
def _concerns(evaluator: Evaluator, rule: Rule, action: URIRef, target: URIRef) -> bool:
    """Does a tier rule concern ``action`` on ``target`` (as the evaluator matches it)?"""
    hits = any(evaluator.actions.covers(a.iri, action) for a in rule.actions)
    if not hits and rule.kind == "prohibition":
        implied = evaluator.actions.implied(action)
        hits = any(evaluator.actions.covers(a.iri, other)
                   for a in rule.actions for other in implied)
    if not hits and rule.kind != "obligation":
        return False
    request = Request(_NOBODY, action, target, datetime.now(UTC))
    return evaluator.match_target(rule.targets, request)[0] is not False


def _refinements(rule: Rule, action: URIRef, evaluator: Evaluator) -> list[Condition]:
    """A rule's constraints plus the refinements of its action that covers ``action`` (DSP
    gives actions as strings, so refinements travel as constraints)."""
    out: list[Condition] = list(rule.constraints)
    for a in rule.actions:
        if evaluator.actions.covers(a.iri, action):
            out.extend(a.refinements)
            break
    return out


def _always(governing: Governing, rule: Rule) -> bool:
    """A prohibition that applies to everyone, whatever the request says."""
    return (not rule.constraints and not rule.assignees
            and not any(a.refinements for a in rule.actions)
            and governing.policy.conflict != ODRL.perm)


def effective_offers(effective: EffectivePolicy, evaluator: Evaluator) -> list[EffectiveOffer]:
    """The offers of ``effective.target`` with their tiers folded in, in a stable order."""
    target = effective.target
    tiers = [g for g in effective.by_rank() if g.rank > OFFER_RANK]
    offers: dict[str, list[Governing]] = {}
    for governing in effective.governing:
        if governing.rank == OFFER_RANK:
            for group in governing.groups:
                offers.setdefault(group, []).append(governing)
    out = []
    for group in sorted(offers):
        built = _offer(group, offers[group], tiers, evaluator, target)
        if built is not None:
            out.append(built)
    return out


def _offer(group: str, members: list[Governing], tiers: list[Governing],
           evaluator: Evaluator, target: URIRef) -> EffectiveOffer | None:
    permissions: list[EffectiveRule] = []
    prohibitions: list[EffectiveRule] = []
    obligations: list[EffectiveRule] = []
    seen: set[str] = set()

    def prohibit(rule: Rule, action: URIRef) -> None:
        key = f"{rule.id} {action}"
        if key not in seen:
            seen.add(key)
            prohibitions.append(EffectiveRule(action, _refinements(rule, action, evaluator),
                                              parties=[rule.assignees]))

    for governing in members:
        for rule in governing.policy.of_kind("prohibition"):
            for action in rule.actions:
                prohibit(rule, action.iri)
        for rule in governing.policy.of_kind("obligation"):
            for action in rule.actions:
                obligations.append(EffectiveRule(action.iri, list(rule.constraints),
                                                 parties=[rule.assignees]))
    for tier in tiers:
        for rule in tier.policy.of_kind("obligation"):
            if rule.actions and _concerns(evaluator, rule, rule.actions[0].iri, target):
                obligations.append(EffectiveRule(rule.actions[0].iri, list(rule.constraints),
                                                 parties=[rule.assignees]))
    for governing in members:
        for rule in governing.policy.of_kind("permission"):
            request = Request(_NOBODY, ODRL.use, target, datetime.now(UTC))
            if evaluator.match_target(rule.targets, request)[0] is False:
                continue
            for action in rule.actions:
                permissions.extend(_variants(rule, action, tiers, evaluator, target, prohibit))
    if not permissions:
        return None
    assigners = tuple(a for g in members for a in g.policy.assigners)
    return EffectiveOffer(group, assigners, permissions, prohibitions, obligations)


def _variants(rule: Rule, action: Action, tiers: list[Governing], evaluator: Evaluator,
              target: URIRef, prohibit) -> list[EffectiveRule]:
    choices: list[list[Rule]] = []
    for tier in tiers:
        for banned in tier.policy.of_kind("prohibition"):
            if _concerns(evaluator, banned, action.iri, target):
                if _always(tier, banned):
                    return []  # the node denies this action whatever is done
                for a in banned.actions:
                    prohibit(banned, a.iri)
            else:  # a narrower action the permission would cover: shown as prohibited
                for a in banned.actions:
                    if evaluator.actions.covers(action.iri, a.iri) and \
                            _concerns(evaluator, banned, a.iri, target):
                        prohibit(banned, a.iri)
        allowed = [p for p in tier.policy.of_kind("permission")
                   if _concerns(evaluator, p, action.iri, target)]
        if allowed:
            choices.append(allowed)
    out = []
    for combination in itertools.islice(itertools.product(*choices), MAX_VARIANTS):
        built = EffectiveRule(action.iri, [*rule.constraints, *action.refinements],
                              list(rule.duties), [rule.assignees])
        for chosen in combination:
            built.constraints.extend(_refinements(chosen, action.iri, evaluator))
            built.duties.extend(chosen.duties)
            built.parties.append(chosen.assignees)
        out.append(built)
    return out


# -- JSON --------------------------------------------------------------------------------
def odrl_term(iri: Node | str) -> str:
    """An ODRL IRI as the DSP context writes it (``odrl:use``), other IRIs whole."""
    return compact(iri, {"odrl": ODRL_NS})


def _value(node: Node) -> object:
    if isinstance(node, URIRef):
        return {"@id": str(node)}
    if isinstance(node, Literal):
        if node.language:
            return {"@value": str(node), "@language": node.language}
        if node.datatype is not None:
            return {"@value": str(node), "@type": str(node.datatype)}
        return str(node)
    return str(node)


def condition_json(cond: Condition) -> dict[str, object]:
    if isinstance(cond, LogicalConstraint):
        return {_LOGICAL[cond.operator]: [condition_json(m) for m in cond.members]}
    assert isinstance(cond, Constraint)
    operator = str(cond.operator or "")
    name = operator[len(ODRL_NS):] if operator.startswith(ODRL_NS) else operator
    right = [_value(v) for v in cond.right]
    out: dict[str, object] = {
        "leftOperand": odrl_term(cond.left) if cond.left is not None else "",
        "operator": name if name in OPERATOR_TERMS else odrl_term(cond.operator or ""),
        "rightOperand": right[0] if len(right) == 1 else right,
    }
    if cond.datatype is not None:
        out["odrl:dataType"] = {"@id": str(cond.datatype)}
    if cond.unit is not None and not isinstance(cond.unit, BNode):
        out["odrl:unit"] = {"@id": str(cond.unit)}
    return out


def _party_json(party: Party) -> object:
    if not party.collection and not party.refinements and isinstance(party.node, URIRef):
        return str(party.node)
    body: dict[str, object] = {"@type": "odrl:PartyCollection"}
    if isinstance(party.node, URIRef):
        body["@id"] = str(party.node)
    if party.source is not None:
        body["odrl:source"] = {"@id": str(party.source)}
    if party.refinements:
        body["odrl:refinement"] = [condition_json(c) for c in party.refinements]
    return body


def _rule_json(rule: EffectiveRule, *, with_duties: bool) -> dict[str, object]:
    out: dict[str, object] = {"action": odrl_term(rule.action)}
    shown = next((p for p in rule.parties if p), ())
    if shown:
        parties = [_party_json(p) for p in shown]
        out["assignee"] = parties[0] if len(parties) == 1 else parties
    if rule.constraints:
        out["constraint"] = _unique(condition_json(c) for c in rule.constraints)
    if with_duties and rule.duties:
        out["duty"] = _unique(_duty_json(d) for d in rule.duties)
    return out


def _duty_json(duty: Rule) -> dict[str, object]:
    out: dict[str, object] = {"action": odrl_term(duty.actions[0].iri) if duty.actions
                              else "odrl:use"}
    if duty.constraints:
        out["constraint"] = [condition_json(c) for c in duty.constraints]
    return out


def _unique(items) -> list:
    """JSON objects without repeats, in a stable order."""
    found = {json.dumps(i, sort_keys=True): i for i in items}
    return [found[k] for k in sorted(found)]
