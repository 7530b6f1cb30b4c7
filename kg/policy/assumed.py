"""The "what if" of the conflict report: facts the graph does not state that would let two
rules apply together (a party that is a member of two collections, a concept under two
classes, a value for a refinement the graph is silent about), and a read-only view of the
graph plus such facts.

The view offers the part of rdflib's Graph API the evaluator reads, so the evaluator itself
answers the hypothetical request; the base graph is never copied or changed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from rdflib import RDF, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from kg.namespaces import ODRL, ORG, compact
from kg.policy.evaluator import ASSET_PROPERTIES, PARTY_PROPERTIES, ROLE_OPERANDS
from kg.policy.model import Party, Rule
from kg.policy.operators import IS_A, IS_ALL_OF, IS_ANY_OF, IS_PART_OF
from kg.policy.tiers import asset_ancestors
from kg.policy.triples import Triple, Triples
from kg.policy.witness import EXAMPLE_PARTY, conditions_of, leaves

EXAMPLE_MEMBERSHIP = URIRef("urn:dskg:example:membership")
EXAMPLE_CONCEPT = "urn:dskg:example:concept:"
HIERARCHICAL = (IS_A, IS_PART_OF, IS_ANY_OF, IS_ALL_OF)
#: Operators a stated fact equal to a right operand satisfies.
STATING = (*HIERARCHICAL, ODRL.eq, ODRL.lteq, ODRL.gteq, ODRL.hasPart)
MAX_FACT_SETS = 16


class Assumed:
    """``base`` (an rdflib Graph or Triples) seen with ``extra`` triples added."""

    def __init__(self, base: Any, extra: Iterable[Triple]) -> None:
        self.base = base
        self.extra = Triples(t for t in extra if t not in base)

    def objects(self, subject: Node | None = None, predicate: Node | None = None
                ) -> Iterator[Node]:
        found = list(self.base.objects(subject, predicate))
        found.extend(o for o in self.extra.objects(subject, predicate) if o not in found)
        return iter(found)

    def subjects(self, predicate: Node | None = None, object: Node | None = None
                 ) -> Iterator[Node]:
        found = list(self.base.subjects(predicate, object))
        found.extend(s for s in self.extra.subjects(predicate, object) if s not in found)
        return iter(found)

    def value(self, subject: Node | None = None, predicate: Node = RDF.value,
              object: Node | None = None, default: Node | None = None, any: bool = True
              ) -> Node | None:
        if subject is not None:
            return next(self.objects(subject, predicate), default)
        return next(self.subjects(predicate, object), default)

    def predicate_objects(self, subject: Node) -> Iterator[tuple[Node, Node]]:
        return iter([*self.base.predicate_objects(subject),
                     *self.extra.predicate_objects(subject)])

    def subject_objects(self, predicate: Node) -> Iterator[tuple[Node, Node]]:
        return iter([*self.base.subject_objects(predicate),
                     *self.extra.subject_objects(predicate)])

    def items(self, start: Node) -> Iterator[Node]:
        return self.base.items(start)  # assumptions never add list cells

    def triples(self, pattern: tuple[Node | None, Node | None, Node | None]
                ) -> Iterator[Triple]:
        return iter([*self.base.triples(pattern), *self.extra.triples(pattern)])

    def __contains__(self, triple: tuple[Node | None, Node | None, Node | None]) -> bool:
        return triple in self.base or triple in self.extra

    def __iter__(self) -> Iterator[Triple]:
        return self.triples((None, None, None))

    def __len__(self) -> int:
        return len(self.base) + len(self.extra)


def assumptions(graph: Any, target: URIRef, rules: list[Rule]) -> list[list[Triple]]:
    """Sets of facts the graph does not state that would let both rules apply, to try in
    turn: a new party's membership in every party collection named, the asset's in the
    asset collections named, a new concept under every class named, and one value for
    each refinement of a party (the new one) or of the asset that the graph says nothing
    about (one value per left operand: two rules asking different ones is no guess)."""
    out: list[Triple] = []
    named = [r.assignees for r in rules if r.assignees]
    if any(not any(p.collection for p in parties) for parties in named):
        named = []  # an individual party is known: no new one can be it
    for index, parties in enumerate(named):
        party = next(p for p in parties if p.collection)
        out.extend(_join(party, index))
    # Asset collections: only where every rule names its own (two collections that may
    # overlap); a rule on the asset itself or on the data space's assets is no guess.
    if all(any(a.collection for a in r.targets) for r in rules):
        containers = set(asset_ancestors(graph, target))
        for rule in rules:
            for asset in rule.targets:
                if asset.node not in containers and asset.source is None \
                        and isinstance(asset.node, URIRef):
                    out.append((target, ODRL.partOf, asset.node))
    for operand, concept in concepts(rules).items():
        for cond in _hierarchical(rules, operand):
            out.extend((concept, SKOS.broader, v) for v in cond.right
                       if isinstance(v, URIRef))
    choices = _refinement_facts(graph, target, rules, party=bool(named))
    alternatives = [list(combo) for combo in
                    itertools.islice(itertools.product(*choices.values()), MAX_FACT_SETS)]
    sets = [list(dict.fromkeys(out + combo)) for combo in alternatives]
    return [facts for facts in sets if facts]


def _refinement_facts(graph: Any, target: URIRef, rules: list[Rule], *, party: bool
                      ) -> dict[tuple[str, URIRef], list[Triple]]:
    """Per (scope, left operand) of a party or asset refinement the graph cannot answer,
    the facts that would satisfy it, one value each."""
    choices: dict[tuple[str, URIRef], list[Triple]] = {}
    for rule in rules:
        scoped = [("asset", target, ASSET_PROPERTIES, a.refinements) for a in rule.targets]
        if party:
            scoped += [("party", EXAMPLE_PARTY, PARTY_PROPERTIES, p.refinements)
                       for p in rule.assignees]
        for scope, node, table, refinements in scoped:
            for cond in leaves(refinements):
                if cond.left is None or cond.operator not in STATING \
                        or cond.left in ROLE_OPERANDS:
                    continue
                prop = (*table.get(cond.left, ()), cond.left)[0]
                if scope == "asset" and any(True for _ in graph.objects(node, prop)):
                    continue  # the graph says what the asset is
                pool = choices.setdefault((scope, cond.left), [])
                pool.extend(t for v in cond.right if (t := (node, prop, v)) not in pool)
    return choices


def _join(party: Party, index: int) -> list[Triple]:
    """The facts that make the example party a member of ``party`` (a collection)."""
    if party.source is not None:  # the members of a data space / organisation
        membership = URIRef(f"{EXAMPLE_MEMBERSHIP}-{index}")
        return [(membership, ORG.member, EXAMPLE_PARTY),
                (membership, ORG.organization, party.source)]
    return [(EXAMPLE_PARTY, ODRL.partOf, party.node)]


def _hierarchical(rules: list[Rule], operand: URIRef) -> list[Any]:
    return [c for rule in rules for c in leaves(conditions_of(rule))
            if c.left == operand and c.operator in HIERARCHICAL
            and any(isinstance(v, URIRef) for v in c.right)]


def concepts(rules: list[Rule]) -> dict[URIRef, URIRef]:
    """A new concept per left operand that two or more hierarchical conditions constrain
    (a purpose that is both research and marketing)."""
    operands: dict[URIRef, int] = {}
    for rule in rules:
        for cond in leaves(conditions_of(rule)):
            if cond.left is not None and cond.operator in HIERARCHICAL \
                    and any(isinstance(v, URIRef) for v in cond.right):
                operands[cond.left] = operands.get(cond.left, 0) + 1
    return {op: URIRef(EXAMPLE_CONCEPT + compact(op).replace(":", "-"))
            for op, count in sorted(operands.items()) if count > 1}


def triple_json(triple: Triple) -> list[Any]:
    """An assumed fact for JSON: IRIs as strings, a literal as {"@value", "@type"}."""
    out: list[Any] = [str(t) for t in triple[:2]]
    value = triple[2]
    if isinstance(value, Literal):
        literal: dict[str, str] = {"@value": str(value)}
        if value.datatype is not None:
            literal["@type"] = str(value.datatype)
        out.append(literal)
    else:
        out.append(str(value))
    return out


def triple_from_json(item: list[Any]) -> Triple:
    """The inverse of the JSON form of an assumed fact."""
    s, p, o = item
    if isinstance(o, dict):
        datatype = o.get("@type")
        return URIRef(s), URIRef(p), Literal(o["@value"], datatype=URIRef(datatype)
                                             if datatype else None)
    return URIRef(s), URIRef(p), URIRef(o)
