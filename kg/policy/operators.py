"""The twelve ODRL operators with typed comparison, in three-valued logic.

A result is True, False or None (cannot tell: no value given, or values that do not compare,
such as ``"abc" lt 5``). The request's value is read as the type of the policy's right
operand (``"2025-03-01"`` as an ``xsd:date`` when the rule compares with a date).

Set semantics: ``isAnyOf`` holds when some left value equals or falls under (``isA`` or
``isPartOf``) some right value, ``isNoneOf`` is its negation, ``isAllOf`` needs every right
value covered by some left value. Scalar operators must hold for every pair of values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from rdflib import XSD, Literal, URIRef
from rdflib.term import Node

from kg.namespaces import ODRL
from kg.policy import places
from kg.policy.iris import expand, looks_like_iri
from kg.policy.knowledge import Knowledge

EQ, NEQ, LT, LTEQ, GT, GTEQ = (ODRL.eq, ODRL.neq, ODRL.lt, ODRL.lteq, ODRL.gt, ODRL.gteq)
IS_A, HAS_PART, IS_PART_OF = ODRL.isA, ODRL.hasPart, ODRL.isPartOf
IS_ALL_OF, IS_ANY_OF, IS_NONE_OF = ODRL.isAllOf, ODRL.isAnyOf, ODRL.isNoneOf
ORDER_OPERATORS = (LT, LTEQ, GT, GTEQ)
OPERATORS = (EQ, NEQ, LT, LTEQ, GT, GTEQ, IS_A, HAS_PART, IS_PART_OF, IS_ALL_OF, IS_ANY_OF,
             IS_NONE_OF)
#: Each operator (by local name) in words, for explanations and the "May I?" page:
#: "``odrl:count`` is at most 10".
OPERATOR_WORDS = {
    "eq": "is", "neq": "is not", "lt": "is less than", "lteq": "is at most",
    "gt": "is greater than", "gteq": "is at least", "isA": "is a", "hasPart": "includes",
    "isPartOf": "is part of", "isAllOf": "is all of", "isAnyOf": "is one of",
    "isNoneOf": "is none of",
}

NUMERIC = {XSD[t] for t in ("integer", "decimal", "double", "float", "int", "long", "short",
                            "byte", "nonNegativeInteger", "positiveInteger",
                            "nonPositiveInteger", "negativeInteger", "unsignedInt",
                            "unsignedLong", "unsignedShort", "unsignedByte")}
DATETIME = {XSD.dateTime, XSD.dateTimeStamp}
DURATION = {XSD.duration, XSD.dayTimeDuration, XSD.yearMonthDuration}
_VERSION = re.compile(r"^v?\d+(\.\d+)*$")
_DURATION = re.compile(
    r"^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_DURATION_SECONDS = (365.2425 * 86400, 30.436875 * 86400, 7 * 86400, 86400, 3600, 60, 1)

Comparable = Decimal | datetime | date | float | bool | tuple[int, ...] | str


def parse_duration(text: str) -> float | None:
    """ISO 8601 duration in seconds (years and months at their mean length)."""
    match = _DURATION.match(text.strip())
    if not match or text.strip() in ("P", "-P") or text.strip().endswith("T"):
        return None
    total = sum(float(part) * unit for part, unit in zip(match.groups()[1:], _DURATION_SECONDS,
                                                          strict=True) if part)
    return -total if match.group(1) else total


def parse_datetime(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def value_kind(value: Node, datatype: URIRef | None) -> str:
    """The comparison type a right operand asks for."""
    if isinstance(value, URIRef):
        return "iri"
    if not isinstance(value, Literal):
        return "other"
    dt = datatype or value.datatype
    if dt in NUMERIC:
        return "number"
    if dt in DATETIME:
        return "datetime"
    if dt == XSD.date:
        return "date"
    if dt in DURATION:
        return "duration"
    if dt == XSD.boolean:
        return "boolean"
    return "string"


def coerce(value: Node, kind: str) -> Comparable | None:
    """``value`` as a Python value of ``kind``, or None when it is not one."""
    if not isinstance(value, Literal):
        return None
    text = str(value).strip()
    if kind == "number":
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    if kind in ("datetime", "date"):
        if value.datatype == XSD.date or re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                day = date.fromisoformat(text[:10])
            except ValueError:
                return None
            return day if kind == "date" else datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = parse_datetime(text)
        if moment is None:
            return None
        return moment.date() if kind == "date" else moment
    if kind == "duration":
        return parse_duration(text)
    if kind == "boolean":
        return {"true": True, "1": True, "false": False, "0": False}.get(text.lower())
    if kind == "version":
        return tuple(int(p) for p in text.lstrip("v").split(".")) if _VERSION.match(text) else None
    return text


def _as_iri(value: Node) -> URIRef | None:
    if isinstance(value, URIRef):
        return value
    if isinstance(value, Literal) and looks_like_iri(str(value)):
        return expand(str(value))
    return None


def _order(op: URIRef, left: Comparable, right: Comparable) -> bool | None:
    try:
        if op == LT:
            return left < right  # type: ignore[operator]
        if op == LTEQ:
            return left <= right  # type: ignore[operator]
        if op == GT:
            return left > right  # type: ignore[operator]
        return left >= right  # type: ignore[operator]
    except TypeError:
        return None


class Comparator:
    """Applies operators to request values and right operands, with the graph's knowledge."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge

    # -- pairs ---------------------------------------------------------------------------
    def _typed(self, left: Node, right: Node, datatype: URIRef | None,
               operand: URIRef | None) -> tuple[Comparable, Comparable] | None:
        kind, other = value_kind(right, datatype), value_kind(left, None)
        if kind == "string" and other != "string":
            kind = other  # a plain string on the right reads as the left's type
        elif other not in ("string", kind) and {kind, other} != {"date", "datetime"}:
            return None  # two typed values of different kinds do not compare
        if kind == "string" and (operand == ODRL.version or (
                _VERSION.match(str(right)) and _VERSION.match(str(left)))):
            kind = "version"
        if kind in ("iri", "other"):
            return None
        lval, rval = coerce(left, kind), coerce(right, kind)
        if lval is None or rval is None:
            return None
        return lval, rval

    def equal(self, left: Node, right: Node, datatype: URIRef | None = None,
              operand: URIRef | None = None) -> bool | None:
        lplace, rplace = places.codes(left), places.codes(right)
        if lplace is not None and rplace is not None:
            return lplace == rplace
        if isinstance(right, URIRef) or isinstance(left, URIRef):
            liri, riri = _as_iri(left), _as_iri(right)
            if liri is None or riri is None:
                return False
            return liri == riri or riri in self.knowledge.same_as(liri)
        typed = self._typed(left, right, datatype, operand)
        if typed is None:
            return None
        return typed[0] == typed[1]

    def falls_under(self, left: Node, right: Node, datatype: URIRef | None = None,
                    operand: URIRef | None = None) -> bool | None:
        """``left`` equals ``right`` or is a kind or a part of it."""
        equal = self.equal(left, right, datatype, operand)
        if equal:
            return True
        liri = _as_iri(left) or left
        riri = _as_iri(right) or right
        if self.knowledge.is_a(liri, riri) or self.knowledge.within(liri, riri):
            return True
        return equal

    def _pair(self, op: URIRef, left: Node, right: Node, datatype: URIRef | None,
              operand: URIRef | None) -> bool | None:
        if op == EQ:
            return self.equal(left, right, datatype, operand)
        if op == NEQ:
            equal = self.equal(left, right, datatype, operand)
            return None if equal is None else not equal
        if op in ORDER_OPERATORS:
            typed = self._typed(left, right, datatype, operand)
            return None if typed is None else _order(op, *typed)
        liri, riri = _as_iri(left) or left, _as_iri(right) or right
        if op == IS_A:
            return bool(self.equal(left, right, datatype, operand)) or self.knowledge.is_a(
                liri, riri)
        if op == IS_PART_OF:
            return bool(self.equal(left, right, datatype, operand)) or self.knowledge.within(
                liri, riri)
        if op == HAS_PART:
            return bool(self.equal(left, right, datatype, operand)) or self.knowledge.within(
                riri, liri)
        return None

    # -- whole constraints ---------------------------------------------------------------
    def apply(self, op: URIRef, left: Sequence[Node], right: Sequence[Node], *,
              datatype: URIRef | None = None, operand: URIRef | None = None) -> bool | None:
        """Does ``left op right`` hold? None when it cannot be told."""
        if not left or not right or op not in OPERATORS:
            return None
        if op in (IS_ANY_OF, IS_NONE_OF):
            anyof = kleene_any(self.falls_under(lv, rv, datatype, operand)
                                for lv in left for rv in right)
            if op == IS_ANY_OF or anyof is None:
                return anyof
            return not anyof
        if op == IS_ALL_OF:
            return kleene_all(kleene_any(self.falls_under(lv, rv, datatype, operand)
                                           for lv in left) for rv in right)
        if op == HAS_PART:  # the left value(s) contain every right value
            return kleene_all(kleene_any(self._pair(op, lv, rv, datatype, operand)
                                           for lv in left) for rv in right)
        if op in (IS_A, IS_PART_OF):  # every left value is under some right value
            return kleene_all(kleene_any(self._pair(op, lv, rv, datatype, operand)
                                           for rv in right) for lv in left)
        if op == NEQ:
            equal = self.apply(EQ, left, right, datatype=datatype, operand=operand)
            return None if equal is None else not equal
        return kleene_all(self._pair(op, lv, rv, datatype, operand)
                           for lv in left for rv in right)


def kleene_all(values: Iterable[bool | None]) -> bool | None:
    """Kleene conjunction: False wins, then unknown."""
    unknown = False
    for value in values:
        if value is False:
            return False
        if value is None:
            unknown = True
    return None if unknown else True


def kleene_any(values: Iterable[bool | None]) -> bool | None:
    """Kleene disjunction: True wins, then unknown."""
    unknown = False
    for value in values:
        if value is True:
            return True
        if value is None:
            unknown = True
    return None if unknown else False
