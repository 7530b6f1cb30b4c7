"""What evaluating a policy found, rule by rule and policy by policy: the evaluator fills
these in, the explanations (``explain``) and the "May I?" page read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import URIRef
from rdflib.term import Node

from kg.policy.model import Condition, Rule
from kg.policy.tiers import Governing


@dataclass
class ConditionResult:
    condition: Condition
    scope: str  # rule | action | party | asset | duty
    held: bool | None
    values: tuple[Node, ...] = ()
    members: list[ConditionResult] = field(default_factory=list)


@dataclass
class DutyResult:
    duty: Rule
    owed: bool
    done: bool
    conditions: list[ConditionResult] = field(default_factory=list)


@dataclass
class RuleResult:
    governing: Governing
    rule: Rule
    relevant: bool
    matched_action: URIRef | None = None
    via_implies: bool = False
    party: bool | None = True
    party_detail: str = ""
    conditions: list[ConditionResult] = field(default_factory=list)
    duties: list[DutyResult] = field(default_factory=list)
    active: bool | None = None
    outcome: str = "not-relevant"

    @property
    def unmet_duties(self) -> list[DutyResult]:
        return [d for d in self.duties if d.owed and not d.done]


@dataclass
class PolicyResult:
    governing: Governing
    rules: list[RuleResult]
    status: str = "silent"  # permits | prohibits | void | obligation-unmet | duty-unmet
    #                         | not-permitted | silent
    deciding: list[RuleResult] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[RuleResult]:
        return [r for r in self.rules if r.rule.kind == kind]
