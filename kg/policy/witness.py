"""Witness requests for the conflict report: the values worth trying for each left operand
(each bound, its neighbours and the midpoints between bounds for numbers, dates and
durations; the sets named by ``isAnyOf``/``isNoneOf`` plus a value outside them; the concepts
named by ``isA``/``isPartOf`` with their narrower concepts, instances and subclasses), and a
request built from one choice of them."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from rdflib import RDF, RDFS, XSD, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from kg.namespaces import ODRL
from kg.policy import places
from kg.policy.model import Condition, LogicalConstraint, Rule
from kg.policy.operators import coerce, value_kind
from kg.policy.request import Request

EXAMPLE_PARTY = URIRef("urn:dskg:example:party")
OTHER_VALUE = URIRef("urn:dskg:example:other")
EXAMPLE_TIME = datetime(2025, 1, 1, tzinfo=UTC)


# -- witness candidates ---------------------------------------------------------------------
def conditions_of(rule: Rule) -> Iterable[Condition]:
    yield from rule.constraints
    for action in rule.actions:
        yield from action.refinements


def leaves(conditions: Iterable[Condition]) -> Iterable[Any]:
    for cond in conditions:
        if isinstance(cond, LogicalConstraint):
            yield from leaves(cond.members)
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


#: The comparison types whose values are ordered (see ``operators.value_kind``).
ORDERED = ("number", "datetime", "date", "duration")


def _kind(value: Node, datatype: URIRef | None) -> str | None:
    """The ordered comparison type of a literal ``value``, None for any other value."""
    kind = value_kind(value, datatype)
    return kind if kind in ORDERED else None


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


def candidates(graph: Any, conditions: list[Any]) -> dict[URIRef, list[Node]]:
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


def make_request(assignee: URIRef, action: URIRef, target: URIRef,
                 values: dict[URIRef, Node], done: Iterable[URIRef] = ()) -> Request:
    context = {operand: (value,) for operand, value in values.items()}
    moment = EXAMPLE_TIME
    if ODRL.dateTime in values:
        parsed = coerce(values[ODRL.dateTime], "datetime")
        moment = parsed if isinstance(parsed, datetime) else EXAMPLE_TIME
    else:
        context[ODRL.dateTime] = (Literal(moment.isoformat(), datatype=XSD.dateTime),)
    return Request(assignee, action, target, moment, context, frozenset(done))


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
    if request.duties_done:
        out["dutiesDone"] = sorted(str(d) for d in request.duties_done)
    return out


