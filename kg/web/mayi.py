""""May I?": one policy decision, explained tier by tier.

The form's answers become a request for the policy service (the evaluator ``POST
/policies/evaluate`` runs); the decision is shown with its reason in words and, for each tier
from the EU down to the dataset's offer, what each governing policy says and the rule that
decided it, with every constraint checked against the request's values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from rdflib import Graph, URIRef
from rdflib.term import Node

from kg.errors import BadRequest
from kg.namespaces import ODRL, PREFIXES
from kg.policy import service
from kg.policy.evaluator import Decision
from kg.policy.iris import looks_like_iri
from kg.policy.model import Constraint
from kg.policy.outcome import ConditionResult, PolicyResult, RuleResult
from kg.policy.request import build_request
from kg.services.context import ServiceContext
from kg.services.ids import SLUG
from kg.services.kinds import KINDS
from kg.services.listing import Filters
from kg.services.permitted import permitted, question_from_params
from kg.web.labels import Names, humanise, lookup
from kg.web.policywords import action_words, constraint_words, noun, rule_words

ACTIONS = ("use", "read", "display", "reproduce", "distribute", "transfer", "share", "sell",
           "commercialize", "modify", "derive", "aggregate", "anonymize", "annotate",
           "archive", "index", "print", "secondaryUse")
LAYERS = (("EU-tier", "EU and international"), ("national-tier", "National"),
          ("regional-tier", "Regional"), ("project-tier", "Data space or project"),
          ("offer", "The dataset's offer"))
STATUS_WORDS = {
    "permits": "permits it", "prohibits": "prohibits it",
    "void": "is void: its rules conflict and its strategy voids it",
    "obligation-unmet": "requires an obligation the request does not fulfil",
    "duty-unmet": "permits it only with a duty the request does not fulfil",
    "not-permitted": "has permissions, but none covers this request",
    "silent": "says nothing about this request",
}
FIELDS = ("assignee", "action", "target", "purpose", "spatial", "at")
_TICKED = re.compile(r"`([^`]+)`")


@dataclass
class Check:
    text: str
    held: bool | None
    value: str


@dataclass
class RuleView:
    text: str
    kind: str
    outcome: str
    decisive: bool
    checks: list[Check] = field(default_factory=list)
    party: str = ""


@dataclass
class PolicyView:
    label: str
    href: str | None
    status: str
    status_words: str
    route: str
    deciding: bool
    rules: list[RuleView] = field(default_factory=list)


@dataclass
class Layer:
    key: str
    title: str
    policies: list[PolicyView]


@dataclass
class Answer:
    decision: str
    reason: str
    layers: list[Layer]
    problems: list[str]
    request: dict[str, str]


def _resolve(ctx: ServiceContext, text: str, kinds: tuple[str, ...], what: str) -> str:
    """An IRI, a prefixed name, or the REST id of one of ``kinds``."""
    value = text.strip()
    if not value:
        raise BadRequest(f"{what}: choose one")
    if looks_like_iri(value):
        return value
    if SLUG.fullmatch(value) or value.startswith("~"):
        for name in kinds:
            found = ctx.ids.find(ctx.store, KINDS[name], value)
            if found is not None:
                return str(found)
    words = {"dataspaces": "data space"}
    raise BadRequest(f"{what}: no {' or '.join(words.get(k, KINDS[k].singular) for k in kinds)}"
                     f" with id {value!r}; give its id or IRI")


_DUTY_ID = re.compile(r"\s*\(`[^`]*#[^`]*/[^`]*`\)")


def _expand_ticked(reason: str, names: Names, duties: dict[str, str]) -> str:
    """The evaluator writes terms as `prefix:name` or `<IRI>`: show their labels; a duty's
    id reads as its action ("obtain consent"), and is left out where its action is named."""
    def label(match: re.Match[str]) -> str:
        term = match.group(1)
        prefix, _, local = term.partition(":")
        iri = PREFIXES[prefix] + local if prefix in PREFIXES and not local.startswith(
            "//") else term
        base, hash_, fragment = iri.partition("#")
        if hash_ and "/" in fragment:  # a duty's id, <policy>#permission-1/duty-1
            return f"“{duties.get(term) or duties.get(iri) or humanise(fragment).lower()}”"
        if hash_ and fragment.startswith(("permission", "prohibition", "obligation")):
            return f"“{names.label(URIRef(base))}” ({humanise(fragment).lower()})"
        node = URIRef(iri)
        if iri.startswith(str(ODRL)) and node not in names.labels:
            return f"“{action_words(node, names)}”"
        return f"“{names.label(node)}”"

    return _TICKED.sub(label, _DUTY_ID.sub("", reason))


def _checks(results: list[ConditionResult], names: Names) -> list[Check]:
    out = []
    for result in results:
        if result.members:
            out.extend(_checks(result.members, names))
            continue
        cond = result.condition
        value = ", ".join(noun(v, names) for v in result.values) if result.values else \
            "not given"
        where = {"party": "the organisation ", "asset": "the dataset "}.get(result.scope, "")
        text = where + constraint_words(cond, names) if isinstance(cond, Constraint) else \
            constraint_words(cond, names)
        out.append(Check(text, result.held, value))
    return out


def _rule_view(result: RuleResult, decisive: bool, names: Names, target: Node) -> RuleView:
    words = rule_words(result.rule, Graph(), names, target)
    view = RuleView(words.text, result.rule.kind, result.outcome, decisive,
                    _checks(result.conditions, names))
    if result.party is False:
        view.party = "the requesting organisation is not an assignee of this rule"
    for duty in result.duties:
        if duty.owed and not duty.done:
            actions = ", ".join(action_words(a.iri, names) for a in duty.duty.actions)
            view.checks.append(Check(f"duty: {actions}", False, "not stated as done"))
        elif duty.owed:
            actions = ", ".join(action_words(a.iri, names) for a in duty.duty.actions)
            view.checks.append(Check(f"duty: {actions}", True, "done"))
    return view


def _iris(decision: Decision) -> set[Node]:
    found: set[Node] = {decision.request.assignee, decision.request.target,
                        decision.request.action}
    for values in decision.request.context.values():
        found.update(values)
    for policy in decision.results:
        found.add(policy.governing.policy.iri)
        if policy.governing.via is not None:
            found.add(policy.governing.via)
        for rule in policy.rules:
            found.update(a.iri for a in rule.rule.actions)
            found.update(p.source or p.node for p in rule.rule.assignees)
            found.update(t.source or t.node for t in rule.rule.targets)
            for cond in rule.conditions:
                found.update(cond.values)
                if isinstance(cond.condition, Constraint):
                    found.update(cond.condition.right)
    return found


def _policy_view(ctx: ServiceContext, result: PolicyResult, deciding: PolicyResult | None,
                 names: Names, target: Node) -> PolicyView:
    policy = result.governing.policy
    decisive_rules = {id(r) for r in result.deciding}
    relevant = [r for r in result.rules if r.relevant]
    shown = [r for r in relevant if id(r) in decisive_rules] or relevant[:3]
    return PolicyView(
        label=names.label(policy.iri), href=names.href(ctx, policy.iri), status=result.status,
        status_words=STATUS_WORDS.get(result.status, result.status),
        route=result.governing.route, deciding=result is deciding,
        rules=[_rule_view(r, id(r) in decisive_rules, names, target) for r in shown])


def answer(ctx: ServiceContext, decision: Decision) -> Answer:
    names = lookup(ctx, _iris(decision))
    layers = []
    for key, title in LAYERS:
        results = [r for r in decision.results if r.governing.layer == key]
        if results:
            layers.append(Layer(key, title, [
                _policy_view(ctx, r, decision.deciding, names, decision.request.target)
                for r in results]))
    request = decision.request
    shown = {"Organisation": names.label(request.assignee),
             "Action": action_words(request.action, names),
             "Dataset": names.label(request.target),
             "Date": request.at.date().isoformat()}
    purpose = request.context.get(ODRL.purpose)
    if purpose:
        shown["Purpose"] = ", ".join(noun(p, names) for p in purpose)
    place = request.context.get(ODRL.spatial)
    if place:
        shown["Place"] = ", ".join(str(p) for p in place)
    duties = {d.duty.id: ", ".join(action_words(a.iri, names) for a in d.duty.actions)
              for result in decision.results for rule in result.rules for d in rule.duties}
    reason = _expand_ticked(decision.reason, names, duties)
    # The verdict is shown on its own; the reason starts after "denied: ".
    reason = re.sub(r"^(denied|permitted|not applicable):\s*", "", reason)
    reason = reason[:1].upper() + reason[1:]
    return Answer(decision.decision, reason, layers,
                  [p.detail for p in decision.effective.problems], shown)


def decide(ctx: ServiceContext, form: Mapping[str, str], duties: list[str]) -> Answer:
    """Evaluate the form's request (ids or IRIs) against the store's policies."""
    action = form.get("action", "").strip() or "use"
    request = build_request(
        assignee=_resolve(ctx, form.get("assignee", ""), ("organisations", "dataspaces"),
                          "organisation"),
        action=action if ":" in action else f"odrl:{action}",
        target=_resolve(ctx, form.get("target", ""), ("datasets",), "dataset"),
        purpose=form.get("purpose") or None,
        spatial=form.get("spatial", "").strip() or None,
        at=form.get("at") or date.today().isoformat(),
        duties_done=[d if ":" in d else f"odrl:{d}" for d in duties])
    decision = service.evaluate(ctx.store, request, timeout=ctx.settings.query_timeout)
    return answer(ctx, decision)


# -- "which datasets may ... ?" ----------------------------------------------------------------
WHICH_LIMIT = 50


@dataclass
class Permitted:
    label: str
    href: str | None
    rule: str


@dataclass
class WhichAnswer:
    total: int
    offset: int
    limit: int
    items: list[Permitted]
    request: dict[str, str]


def which(ctx: ServiceContext, form: Mapping[str, str], duties: list[str],
          offset: int = 0) -> WhichAnswer:
    """The datasets the form's organisation may act on (``GET /datasets?may=...``)."""
    action = form.get("action", "").strip() or "use"
    assignee = _resolve(ctx, form.get("assignee", ""), ("organisations", "dataspaces"),
                        "organisation")
    question = question_from_params({
        "may": action if ":" in action else f"odrl:{action}", "assignee": assignee,
        "purpose": form.get("purpose") or None, "spatial": form.get("spatial") or None,
        "at": form.get("at") or date.today().isoformat(),
        "dutiesDone": ",".join(d if ":" in d else f"odrl:{d}" for d in duties)})
    page = permitted(ctx, Filters(), question, limit=WHICH_LIMIT, offset=max(offset, 0))
    iris = {URIRef(i["@id"]) for i in page.items}
    rules = {URIRef(r) for i in page.items for r in (i.get("deciding") or {}).get("rules", [])}
    names = lookup(ctx, iris | rules | {URIRef(assignee)})
    items = [Permitted(names.label(URIRef(i["@id"])), i.get("href"),
                       ", ".join(names.label(URIRef(r)) for r in
                                 (i.get("deciding") or {}).get("rules", [])))
             for i in page.items]
    shown = {"Organisation": names.label(URIRef(assignee)), "Action": action,
             "Date": str(question.at)[:10]}
    if form.get("purpose"):
        shown["Purpose"] = form["purpose"]
    if form.get("spatial"):
        shown["Place"] = form["spatial"]
    return WhichAnswer(page.total, page.offset, page.limit, items, shown)
