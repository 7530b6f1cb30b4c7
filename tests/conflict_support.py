"""Checking a conflict report's findings with the evaluator (over the graph, plus the
assumed facts for an ambiguous finding)."""

from __future__ import annotations

from typing import Any

from kg.policy.assumed import Assumed
from kg.policy.conflicts import triple_from_json
from kg.policy.evaluator import Decision, Evaluator
from kg.policy.request import request_from_json


def decide(graph: Any, finding: dict) -> Decision:
    """The evaluator's decision on the finding's example (in its assumed world)."""
    world = graph
    if finding.get("assuming"):
        world = Assumed(graph, [triple_from_json(t) for t in finding["assuming"]])
    return Evaluator(world).evaluate(request_from_json(finding["example"]))


def shows(graph: Any, finding: dict) -> bool:
    """The decision shows the conflict: denied, by the finding's higher rule (prohibiting,
    or voiding the policy with the lower rule) when the kind says so."""
    decision = decide(graph, finding)
    if decision.decision != "deny" or decision.deciding is None:
        return False
    if finding["kind"] == "widens":
        return True
    deciding = decision.deciding
    rules = {r.rule.id: r for policy in decision.results for r in policy.rules}
    higher = rules.get(finding["higher"]["rule"])
    if higher is None or higher.outcome not in ("prohibits", "void"):
        return False
    if deciding.status not in ("prohibits", "void"):
        return False
    if finding["kind"] in ("prohibited", "conflicting"):
        lower = rules.get(finding["lower"]["rule"])
        return lower is not None and lower.active is True
    return True
