"""Explanations: the one-sentence reason, the JSON trace and the text rendering."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rdflib import Literal
from rdflib.term import Node

from kg.namespaces import ODRL, compact
from kg.policy import places
from kg.policy.model import Constraint, LogicalConstraint
from kg.policy.operators import OPERATOR_WORDS
from kg.policy.outcome import ConditionResult, PolicyResult, RuleResult

if TYPE_CHECKING:  # annotations only: the evaluator makes decisions and explains them here
    from kg.policy.evaluator import Decision

_TIME_WORDS = {"lt": "is before", "lteq": "is not after", "gt": "is after",
               "gteq": "is not before"}


def name(node: Node | str | None) -> str:
    """A node for prose: compact IRI in backticks, literals as written."""
    if node is None:
        return "?"
    if isinstance(node, Literal):
        return str(node)
    return f"`{compact(node)}`"


def _values_text(values: tuple[Node, ...] | list[Node]) -> str:
    return ", ".join(name(v) for v in values) if values else "nothing"


def describe(cond: Constraint | LogicalConstraint) -> str:
    """``odrl:spatial`` is outside the EEA, ``odrl:purpose`` is a ``ex:research``, ..."""
    if isinstance(cond, LogicalConstraint):
        joiner = {"or": " or ", "xone": " or (exclusively) ", "andSequence": " and then "}.get(
            str(cond.operator).rsplit("/", 1)[-1], " and ")
        return "(" + joiner.join(describe(m) for m in cond.members) + ")"
    if cond.problem or cond.left is None or cond.operator is None:
        return f"a malformed constraint ({cond.problem})"
    op = str(cond.operator).rsplit("/", 1)[-1]
    right_places = [places.codes(v) for v in cond.right]
    if all(p is not None for p in right_places) and op in ("isNoneOf", "isPartOf", "isAnyOf",
                                                           "isA", "neq"):
        region = places.label(frozenset().union(*right_places))  # type: ignore[arg-type]
        word = "is outside" if op in ("isNoneOf", "neq") else "is within"
        return f"{name(cond.left)} {word} {region}"
    time_word = _TIME_WORDS.get(op) if cond.left in (ODRL.dateTime,) else None
    right = ", ".join(name(v) for v in cond.right)
    if len(cond.right) > 1:
        right = f"({right})"
    word = time_word or OPERATOR_WORDS.get(op, compact(cond.operator))
    return f"{name(cond.left)} {word} {right}"


def _leaves(results: list[ConditionResult]) -> list[ConditionResult]:
    out = []
    for r in results:
        out.extend(_leaves(r.members) if r.members else [r])
    return out


def _missing(results: list[ConditionResult]) -> list[str]:
    """Left operands the request did not give, among the unknown constraints."""
    out = []
    for r in _leaves(results):
        cond = r.condition
        if r.held is None and isinstance(cond, Constraint) and cond.left is not None \
                and not r.values:
            out.append(name(cond.left))
    return list(dict.fromkeys(out))


def _requested(results: list[ConditionResult]) -> str:
    parts = []
    for r in _leaves(results):
        if isinstance(r.condition, Constraint) and r.values:
            parts.append(_values_text(r.values) if len(results) == 1
                         else f"{name(r.condition.left)} = {_values_text(r.values)}")
    return "; requested: " + ", ".join(dict.fromkeys(parts)) if parts else ""


def _action(result: RuleResult) -> str:
    return name(result.matched_action)


def _rule_ref(result: RuleResult) -> str:
    return f"the {result.governing.layer} rule `{compact(result.rule.id)}`"


def _prohibition_reason(result: RuleResult, requested: Node) -> str:
    text = f"denied: {_rule_ref(result)} prohibits {_action(result)}"
    if result.via_implies:
        text += f" (which {name(requested)} implies)"
    held = [r for r in result.conditions if r.held is not False]
    if held:
        text += " when " + " and ".join(describe(r.condition) for r in held)
    missing = _missing(result.conditions)
    if missing:
        return text + "; the request does not give " + ", ".join(missing)
    return text + _requested(held)


def _not_permitted_reason(result: RuleResult, assignee: Node) -> str:
    base = f"denied: {_rule_ref(result)} permits {_action(result)}"
    if result.party is False:
        refinements = [r for r in result.conditions if r.scope == "party" and r.held is not True]
        groups = [f"members of {name(p.source or p.node)}" if p.collection else name(p.node)
                  for p in result.rule.assignees]
        text = f"{base} only to " + " or ".join(groups)
        if refinements:
            text += " where " + " and ".join(describe(r.condition) for r in refinements)
            return text + f"; {name(assignee)} has " + ", ".join(
                _values_text(r.values) for r in refinements)
        return text + f"; {name(assignee)} is not one"
    failed = [r for r in result.conditions if r.held is not True]
    text = f"{base} only when " + " and ".join(describe(r.condition) for r in failed)
    missing = _missing(failed)
    if missing:
        return text + "; the request does not give " + ", ".join(missing)
    return text + _requested(failed)


def _duty_reason(result: RuleResult) -> str:
    duty = result.unmet_duties[0]
    actions = ", ".join(name(a.iri) for a in duty.duty.actions)
    return (f"denied: {_rule_ref(result)} permits {_action(result)} only with the duty "
            f"{actions} (`{compact(duty.duty.id)}`), which the request does not state as done")


def reason(decision: Decision) -> str:
    deciding = decision.deciding
    request = decision.request
    if deciding is None:
        count = len(decision.effective.governing)
        if not count:
            return f"not applicable: no policy governs {name(request.target)}"
        which = "the one policy" if count == 1 else f"none of the {count} policies"
        verb = "has no" if count == 1 else "has a"
        return (f"not applicable: {which} governing {name(request.target)} {verb} rule on "
                f"{name(request.action)} for {name(request.assignee)}")
    first = deciding.deciding[0]
    policy = f"the {deciding.governing.layer} policy `{compact(deciding.governing.policy.id)}`"
    if deciding.status == "prohibits":
        return _prohibition_reason(first, request.action)
    if deciding.status == "void":
        strategy = deciding.governing.policy.conflict
        default = "" if strategy else " (the ODRL default)"
        return (f"denied: {policy} both permits (`{compact(first.rule.id)}`) and prohibits "
                f"(`{compact(deciding.deciding[1].rule.id)}`) {name(request.action)}, and its "
                f"conflict strategy `odrl:invalid`{default} voids it")
    if deciding.status == "obligation-unmet":
        actions = ", ".join(name(a.iri) for a in first.rule.actions)
        return (f"denied: {policy} obliges {name(request.assignee)} to {actions} "
                f"(`{compact(first.rule.id)}`), which the request does not state as done")
    if deciding.status == "duty-unmet":
        return _duty_reason(first)
    if deciding.status == "not-permitted":
        return _not_permitted_reason(first, request.assignee)
    via = ""
    if first.matched_action != request.action:
        via = f" (as part of {_action(first)})"
    duties = [d for d in first.duties if d.owed and d.done]
    done = (" with the duty " + ", ".join(f"`{compact(d.duty.id)}`" for d in duties)
            + " done") if duties else ""
    others = len(decision.effective.governing) - 1
    tail = (f", and none of the {others} other governing policies prohibits or narrows it"
            if others else "")
    return (f"permitted: {_rule_ref(first)} permits {name(request.action)}{via} to "
            f"{name(request.assignee)}{done}{tail}")


# -- JSON ------------------------------------------------------------------------------------
def _term(node: Node | None) -> str | None:
    return None if node is None else str(node)


def condition_json(result: ConditionResult) -> dict[str, Any]:
    cond = result.condition
    if isinstance(cond, LogicalConstraint):
        return {"scope": result.scope, "operator": str(cond.operator), "held": result.held,
                "members": [condition_json(m) for m in result.members]}
    out: dict[str, Any] = {
        "scope": result.scope, "leftOperand": _term(cond.left),
        "operator": _term(cond.operator), "rightOperand": [_term(v) for v in cond.right],
        "value": [_term(v) for v in result.values], "held": result.held,
    }
    if cond.problem:
        out["problem"] = cond.problem
    return out


def rule_json(result: RuleResult, decisive: bool) -> dict[str, Any]:
    governing = result.governing
    entry: dict[str, Any] = {
        "policy": governing.policy.id,
        "tier": _term(governing.tier),
        "layer": governing.layer,
        "route": governing.route,
        "source": _term(governing.source),
        "rule": result.rule.id,
        "kind": result.rule.kind,
        "action": [str(a.iri) for a in result.rule.actions],
        "relevant": result.relevant,
        "outcome": result.outcome,
    }
    if result.relevant:
        entry["matchedAction"] = _term(result.matched_action)
        entry["party"] = {"held": result.party, "detail": result.party_detail}
        entry["constraints"] = [condition_json(c) for c in result.conditions]
        if result.duties:
            entry["duties"] = [{"duty": d.duty.id,
                                "action": [str(a.iri) for a in d.duty.actions],
                                "owed": d.owed, "done": d.done,
                                "constraints": [condition_json(c) for c in d.conditions]}
                               for d in result.duties]
    if decisive:
        entry["decisive"] = True
    return entry


def trace(decision: Decision) -> list[dict[str, Any]]:
    decisive = {id(r) for r in (decision.deciding.deciding if decision.deciding else [])}
    out = []
    for policy in decision.results:
        for rule in policy.rules:
            out.append(rule_json(rule, id(rule) in decisive))
    return out


def deciding_json(result: PolicyResult | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {"policy": result.governing.policy.id, "tier": _term(result.governing.tier),
            "layer": result.governing.layer, "status": result.status,
            "rules": [r.rule.id for r in result.deciding]}


def decision_json(decision: Decision) -> dict[str, Any]:
    return {
        "decision": decision.decision,
        "reason": decision.reason,
        "trace": trace(decision),
        "deciding": deciding_json(decision.deciding),
        "policies": [{"policy": g.policy.id, "tier": _term(g.tier), "layer": g.layer,
                      "route": g.route, "via": _term(g.via), "source": _term(g.source)}
                     for g in decision.effective.by_rank()],
        "problems": [p.to_json() for p in decision.effective.problems],
        "request": decision.request.to_json(),
    }


# -- text ------------------------------------------------------------------------------------
def _condition_lines(result: ConditionResult, indent: str) -> list[str]:
    mark = {True: "held", False: "failed", None: "unknown"}[result.held]
    if isinstance(result.condition, LogicalConstraint):
        lines = [f"{indent}{compact(result.condition.operator)}: {mark}"]
        for member in result.members:
            lines.extend(_condition_lines(member, indent + "  "))
        return lines
    return [f"{indent}[{result.scope}] {describe(result.condition)}: {mark}"
            f" (value: {_values_text(result.values)})"]


def decision_text(decision: Decision) -> str:
    lines = [f"{decision.decision.upper()}: {decision.reason}", ""]
    decisive = {id(r) for r in (decision.deciding.deciding if decision.deciding else [])}
    for policy in decision.results:
        g = policy.governing
        source = f", source {compact(g.source)}" if g.source is not None else ""
        lines.append(f"{g.layer} policy {compact(g.policy.id)} ({g.route}{source}): "
                     f"{policy.status}")
        for rule in policy.rules:
            if not rule.relevant:
                continue
            star = "*" if id(rule) in decisive else " "
            lines.append(f" {star} {rule.rule.kind} {compact(rule.rule.id)} on "
                         f"{_action(rule)}: {rule.outcome}")
            if rule.rule.assignees:
                lines.append(f"      party: {'held' if rule.party else 'failed'}"
                             f" ({rule.party_detail or 'not a listed party'})")
            for cond in rule.conditions:
                lines.extend(_condition_lines(cond, "      "))
            for duty in rule.duties:
                state = "done" if duty.done else ("owed" if duty.owed else "not owed")
                lines.append(f"      duty {compact(duty.duty.id)}: {state}")
    for problem in decision.effective.problems:
        lines.append(f"warning: {problem.detail}")
    return "\n".join(lines).rstrip() + "\n"
