"""ODRL policies in plain words, with the tier policies above them.

Each rule becomes one sentence ("Members of Agdatahub may use this dataset for sustainable
agriculture, within the EEA, until 31 Dec 2030, provided they obtain consent."), and each
policy a one-line summary ("may use ...; must attribute; may not sell"). The policies a policy
inherits from (``odrl:inheritFrom``, transitively: a dataset's offer inherits its data space's
rulebook, which inherits the national and EU tier policies) are read from their descriptions
and shown beside it, broadest tier first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.namespaces import DCT, ODRL, SKOS
from kg.policy import places
from kg.policy.model import Condition, Constraint, Policy, Rule, parse_policy
from kg.policy.operators import OPERATOR_WORDS, parse_datetime
from kg.policy.tiers import layer_name, tier_rank
from kg.services.context import ServiceContext
from kg.services.documents import best_literal, bounded_description, locate
from kg.store.sparql_text import term_n3
from kg.vocabulary import TIER_BY_IRI
from kg.web.labels import Names, humanise, local_name, lookup

_ACTION_WORDS = {
    "use": "use", "commercialize": "use commercially", "anonymize": "anonymise",
    "secondaryUse": "use for secondary purposes", "compensate": "pay compensation",
    "nextPolicy": "pass the policy on with the data", "obtainConsent": "obtain consent",
    "inform": "inform the assigner", "attribute": "attribute the source",
}
_NEGATIVE = {"neq", "isNoneOf"}
_LOGICAL = {"and": " and ", "or": " or ", "xone": " or (only one of) ", "andSequence": ", then "}
_TIME = {"lt": "before", "lteq": "until", "gt": "after", "gteq": "from", "eq": "on"}
_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                       r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_DURATION_UNITS = ("year", "month", "week", "day", "hour", "minute", "second")


@dataclass
class RuleWords:
    kind: str  # permission | prohibition | obligation
    text: str
    summary: str
    duties: list[str] = field(default_factory=list)
    note: str | None = None
    rule_id: str = ""


@dataclass
class PolicyWords:
    iri: str
    label: str
    href: str | None
    tier: str | None  # tier label ("EU and international", ...)
    layer: str  # EU-tier | national-tier | project-tier | offer
    rules: list[RuleWords]
    summary: str
    conflict: str | None = None
    route: str | None = None  # how it governs the target: offer, rulebook, framework, inherited
    via: str | None = None  # the data space / framework it was reached through


def _op(iri: URIRef | None) -> str:
    return local_name(str(iri)) if iri is not None else "?"


def action_words(action: Node, names: Names) -> str:
    name = local_name(str(action))
    if str(action).startswith(str(ODRL)):
        return _ACTION_WORDS.get(name, humanise(name).lower())
    if isinstance(action, URIRef) and action in names.labels:
        return names.labels[action][:1].lower() + names.labels[action][1:]
    return humanise(name).lower()


def format_date(value: Node) -> str:
    moment = parse_datetime(str(value))
    if moment is None:
        return str(value)
    text = f"{moment.day} {moment.strftime('%b %Y')}"
    if (moment.hour, moment.minute) != (0, 0):
        text += f" {moment.strftime('%H:%M')}"
    return text


def format_duration(value: Node) -> str:
    match = _DURATION.match(str(value).strip())
    if not match or not any(match.groups()):
        return str(value)
    parts = [f"{int(n)} {unit}{'s' if int(n) != 1 else ''}"
             for n, unit in zip(match.groups(), _DURATION_UNITS, strict=True) if n]
    return ", ".join(parts)


def _join(items: list[str], word: str = "or") -> str:
    if len(items) <= 1:
        return items[0] if items else ""
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def noun(node: Node, names: Names) -> str:
    """A concept's label as used inside a sentence ("commercial use"); names of
    organisations, data spaces and datasets, and acronyms, keep their capitals."""
    if isinstance(node, Literal):
        return str(node)
    text = names.label(node)
    if names.kinds.get(node) is None and len(text) > 1 and text[1].islower():  # type: ignore[call-overload]
        return text[:1].lower() + text[1:]
    return text


def _values(values: Iterable[Node], names: Names) -> list[str]:
    return [noun(v, names) for v in values]


def _place(values: tuple[Node, ...]) -> str | None:
    found = [places.codes(v) for v in values]
    if not values or any(f is None for f in found):
        return None
    region = places.label(frozenset().union(*found))  # type: ignore[arg-type]
    return f"the {region}" if region in places.REGIONS else region


def constraint_words(cond: Condition, names: Names) -> str:
    """One constraint as a phrase: "for research", "outside the EEA", "until 31 Dec 2030"."""
    if not isinstance(cond, Constraint):
        joiner = _LOGICAL.get(local_name(str(cond.operator)), " and ")
        inner = joiner.join(constraint_words(m, names) for m in cond.members)
        return f"({inner})" if len(cond.members) > 1 else inner
    if cond.problem or cond.left is None:
        return f"under a constraint that cannot be read ({cond.problem})"
    left, op = local_name(str(cond.left)), _op(cond.operator)
    negative = op in _NEGATIVE
    values = _values(cond.right, names)
    if left == "purpose":
        return ("not " if negative else "") + "for " + _join(values)
    if left in ("spatial", "spatialCoordinates", "absoluteSpatialPosition"):
        region = _place(cond.right) or _join(values)
        return ("outside " if negative else "within ") + region
    if left == "dateTime":
        return f"{_TIME.get(op, OPERATOR_WORDS.get(op, op))} " + _join(
            [format_date(v) for v in cond.right])
    if left == "count":
        return {"lt": "fewer than", "lteq": "at most", "eq": "exactly", "gt": "more than",
                "gteq": "at least"}.get(op, OPERATOR_WORDS.get(op, op)) + f" {_join(values)} times"
    if left in ("elapsedTime", "meteredTime", "delayPeriod"):
        span = _join([format_duration(v) for v in cond.right])
        return {"lt": "for less than", "lteq": "for at most", "gt": "after more than",
                "gteq": "after at least"}.get(op, f"when the {humanise(left).lower()} "
                                                  f"{OPERATOR_WORDS.get(op, op)}") + f" {span}"
    if left == "recipient":
        return ("not " if negative else "") + "to " + _join(values)
    if left == "industry":
        return ("outside" if negative else "in") + f" the {_join(values)} sector"
    if left == "deliveryChannel":
        return ("not " if negative else "") + "through " + _join(values)
    if left == "payAmount":
        unit = f" {names.label(cond.unit)}" if cond.unit is not None else ""
        return f"for a payment that {OPERATOR_WORDS.get(op, op)} {_join(values)}{unit}"
    subject = names.label(cond.left) if cond.left in names.labels else humanise(left).lower()
    many = len(values) > 1 and op in ("eq", "neq")
    verb = "is one of" if many and op == "eq" else OPERATOR_WORDS.get(op, op)
    return f"when the {subject} {verb} {_join(values)}"


def _parties(rule: Rule, names: Names) -> str:
    if not rule.assignees:
        return "No one" if rule.kind == "prohibition" else "Anyone"
    out = []
    for party in rule.assignees:
        group = party.source or party.node
        kind = names.kinds.get(group) if isinstance(group, URIRef) else None
        if party.collection or (kind is not None and kind.name == "dataspaces"):
            text = f"members of {names.label(group)}"
        else:
            text = names.label(party.node)
        if party.refinements:
            text += " " + " and ".join(constraint_words(c, names) for c in party.refinements)
        out.append(text)
    joined = _join(out)
    return joined[:1].upper() + joined[1:]


def _targets(rule: Rule, names: Names, own_target: Node | None) -> str:
    texts = []
    for asset in rule.targets:
        if own_target is not None and asset.node == own_target:
            texts.append("the data")
        else:
            texts.append(noun(asset.source or asset.node, names))
    return _join(texts, "and") or "the data"


_PHRASE_ORDER = ("purpose", "recipient", "industry", "spatial", "deliveryChannel", "dateTime",
                 "elapsedTime", "count", "payAmount")


def _phrase_rank(cond: Condition) -> int:
    """Sentences read "for what, to whom, where, until when"."""
    left = local_name(str(cond.left)) if isinstance(cond, Constraint) and cond.left else ""
    return _PHRASE_ORDER.index(left) if left in _PHRASE_ORDER else len(_PHRASE_ORDER)


def rule_words(rule: Rule, graph: Graph, names: Names, own_target: Node | None = None
               ) -> RuleWords:
    verbs = {"permission": "may", "prohibition": "may not", "obligation": "must"}
    actions = _join([action_words(a.iri, names) for a in rule.actions]) or "act"
    refinements = [constraint_words(c, names) for a in rule.actions for c in a.refinements]
    target = _targets(rule, names, own_target)
    ordered = sorted(rule.constraints, key=_phrase_rank)
    phrases = [constraint_words(c, names) for c in ordered] + refinements
    duties = [_join([action_words(a.iri, names) for a in d.actions], "and")
              + "".join(f" {constraint_words(c, names)}" for c in d.constraints)
              for d in rule.duties]
    # "No one may distribute", but "Members of X may not distribute".
    verb = "may" if rule.kind == "prohibition" and not rule.assignees else verbs.get(
        rule.kind, "may")
    core = f"{verbs.get(rule.kind, 'may')} {actions}"
    condition = (" " + ", ".join(phrases)) if phrases else ""
    text = f"{_parties(rule, names)} {verb} {actions} {target}{condition}"
    if duties:
        text += ", provided they " + _join(duties, "and")
    note = None
    if rule.node is not None:
        note = best_literal(list(graph.objects(rule.node, DCT.description)))
    return RuleWords(rule.kind, text + ".", f"{core}{condition}", duties, note, rule.id)


def summarise(rules: list[RuleWords]) -> str:
    """"may use for research; must attribute the source; may not sell"."""
    parts = [r.summary for r in rules if r.kind == "permission"]
    parts += [f"must {d}" for r in rules if r.kind == "permission" for d in r.duties]
    parts += [r.summary for r in rules if r.kind == "obligation"]
    parts += [r.summary for r in rules if r.kind == "prohibition"]
    text = "; ".join(dict.fromkeys(parts))
    return text[:1].upper() + text[1:] if text else "States no rules."


def policy_words(ctx: ServiceContext, graph: Graph, policy: Policy, names: Names, *,
                 rank: float | None = None, route: str | None = None,
                 via: Node | None = None) -> PolicyWords:
    iri = policy.iri
    own_target = next(iter(graph.objects(iri, ODRL.target)), None)
    rules = [rule_words(r, graph, names, own_target) for r in policy.rules]
    order = {"permission": 0, "obligation": 1, "prohibition": 2}
    rules.sort(key=lambda r: order.get(r.kind, 3))
    label = (best_literal(list(graph.objects(iri, DCT.title)))
             or best_literal(list(graph.objects(iri, SKOS.prefLabel))) or names.label(iri))
    tier = TIER_BY_IRI.get(policy.tier) if policy.tier is not None else None
    if rank is None:
        rank = tier_rank(graph, policy.tier) or 0.0
    conflict = {"perm": "permissions win over prohibitions",
                "prohibit": "prohibitions win over permissions",
                "invalid": "a conflict voids the policy"}.get(
        local_name(str(policy.conflict))) if policy.conflict is not None else None
    return PolicyWords(
        iri=str(iri), label=label, href=names.href(ctx, iri), tier=tier.label if tier else None,
        layer=layer_name(rank), rules=rules, summary=summarise(rules), conflict=conflict,
        route=route, via=names.label(via) if via is not None else None)


def _graph_names(ctx: ServiceContext, graph: Graph) -> Names:
    return lookup(ctx, {t for triple in graph for t in triple})


def _description(ctx: ServiceContext, iri: URIRef) -> Graph:
    """The statements about ``iri`` and its blank nodes (its rules), from its description
    (read without the rest of that graph: a data space's holds its whole catalogue)."""
    location = locate(ctx.store, iri)
    if location is None:
        return Graph()
    x = term_n3(iri)
    rows = ctx.store.query(
        f"SELECT ?s ?p ?o WHERE {{ GRAPH {term_n3(location.graph)} {{ {{ {x} ?p ?o "
        f"BIND({x} AS ?s) }} UNION {{ ?s ?p ?o FILTER(isBlank(?s)) }} }} }}",
        timeout=ctx.settings.query_timeout).rows
    graph = Graph()
    for triple in rows:
        graph.add(triple)  # type: ignore[arg-type]
    return bounded_description(graph, iri)


def policy_with_ancestors(ctx: ServiceContext, policy: URIRef, graph: Graph | None = None
                          ) -> tuple[PolicyWords, list[PolicyWords]]:
    """A policy in words and the policies it inherits from (``odrl:inheritFrom``,
    transitively), broadest tier first. ``graph``: the policy's description when the caller
    has it already."""
    parents = ctx.store.query(
        f"SELECT DISTINCT ?parent WHERE {{ ?root <{ODRL.inheritFrom}>+ ?parent "
        "FILTER(isIRI(?parent)) }", {"root": policy},
        timeout=ctx.settings.query_timeout).column("parent")
    combined = bounded_description(graph, policy) if graph is not None else \
        _description(ctx, policy)
    found: list[URIRef] = []
    for parent in sorted(p for p in parents if isinstance(p, URIRef) and p != policy):
        described = _description(ctx, parent)
        if len(described):
            combined += described
            found.append(parent)
    names = _graph_names(ctx, combined)
    main = policy_words(ctx, combined, parse_policy(combined, policy), names)
    ancestors = [policy_words(ctx, combined, parse_policy(combined, p), names,
                              route="inherited") for p in found]
    ancestors.sort(key=lambda w: (-_rank_of(w.layer), w.label))
    return main, ancestors


def _rank_of(layer: str) -> float:
    return {"EU-tier": 3, "national-tier": 2, "regional-tier": 1.5, "project-tier": 1}.get(
        layer, 0)
