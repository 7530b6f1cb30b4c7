"""Operator semantics: properties (hypothesis) and typed comparisons."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rdflib import XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SKOS

from kg.namespaces import EU_COUNTRY, ODRL
from kg.policy import places
from kg.policy.knowledge import Knowledge
from kg.policy.operators import (
    EQ,
    GT,
    GTEQ,
    HAS_PART,
    IS_A,
    IS_ALL_OF,
    IS_ANY_OF,
    IS_NONE_OF,
    IS_PART_OF,
    LT,
    LTEQ,
    NEQ,
    Comparator,
    parse_duration,
)

EX = Namespace("https://example.org/c/")
CONCEPTS = Graph()
for child, parent in [("b", "a"), ("c", "b"), ("d", "a"), ("e", "root"), ("a", "root")]:
    CONCEPTS.add((EX[child], SKOS.broader, EX[parent]))
COMPARE = Comparator(Knowledge(CONCEPTS))

numbers = st.one_of(st.integers(-10**6, 10**6).map(lambda n: Literal(n, datatype=XSD.integer)),
                    st.decimals(-1000, 1000, places=3, allow_nan=False).map(
                        lambda d: Literal(d, datatype=XSD.decimal)))
dates = st.dates(date(1990, 1, 1), date(2100, 1, 1)).map(
    lambda d: Literal(d.isoformat(), datatype=XSD.date))
moments = st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1)).map(
    lambda d: Literal(d.replace(tzinfo=UTC).isoformat(), datatype=XSD.dateTime))
durations = st.integers(0, 10**7).map(lambda s: Literal(f"PT{s}S", datatype=XSD.duration))
ordered = st.one_of(numbers, dates, moments, durations)
concepts = st.sampled_from([EX[n] for n in ("root", "a", "b", "c", "d", "e", "x")])
codes = st.sampled_from(["ES", "DE", "FR", "NO", "US", "CN", "EU", "EEA"]).map(Literal)
values = st.one_of(concepts, codes)


def holds(op: URIRef, left: object, right: object) -> bool | None:
    return COMPARE.apply(op, [left], [right])  # type: ignore[list-item]


@given(numbers, numbers)
def test_lt_and_gteq_never_both_hold(a: Literal, b: Literal) -> None:
    assert not (holds(LT, a, b) and holds(GTEQ, a, b))
    assert holds(LT, a, b) is not None
    assert holds(LT, a, b) != holds(GTEQ, a, b)


@given(ordered, ordered)
def test_order_operators_are_consistent(a: Literal, b: Literal) -> None:
    if a.datatype != b.datatype:
        return
    assert holds(GT, a, b) == holds(LT, b, a)
    assert holds(LTEQ, a, b) == (holds(LT, a, b) or holds(EQ, a, b))
    assert holds(GTEQ, a, b) == (not holds(LT, a, b))


@given(st.one_of(numbers, dates, values), st.one_of(numbers, dates, values))
def test_eq_is_symmetric_and_neq_its_negation(a: object, b: object) -> None:
    forward, backward = holds(EQ, a, b), holds(EQ, b, a)
    assert forward == backward
    if forward is not None:
        assert holds(NEQ, a, b) is (not forward)


@given(st.lists(values, min_size=1, max_size=3), st.lists(values, min_size=1, max_size=3))
def test_isnoneof_is_the_negation_of_isanyof(left: list, right: list) -> None:
    anyof = COMPARE.apply(IS_ANY_OF, left, right)
    noneof = COMPARE.apply(IS_NONE_OF, left, right)
    assert anyof is not None
    assert noneof is (not anyof)


@given(values, st.lists(values, min_size=1, max_size=3))
def test_isallof_implies_isanyof(left: object, right: list) -> None:
    if COMPARE.apply(IS_ALL_OF, [left], right):
        assert COMPARE.apply(IS_ANY_OF, [left], right)


@given(concepts, concepts)
def test_isa_is_reflexive_and_haspart_mirrors_ispartof(a: URIRef, b: URIRef) -> None:
    assert holds(IS_A, a, a)
    assert holds(HAS_PART, b, a) == holds(IS_PART_OF, a, b)


@given(concepts, concepts, concepts)
def test_isa_is_transitive(a: URIRef, b: URIRef, c: URIRef) -> None:
    if holds(IS_A, a, b) and holds(IS_A, b, c):
        assert holds(IS_A, a, c)


def test_isa_follows_skos_broader() -> None:
    assert holds(IS_A, EX.c, EX.a) is True
    assert holds(IS_A, EX.a, EX.c) is False
    assert holds(IS_A, EX.e, EX.a) is False


def test_missing_value_is_unknown() -> None:
    assert COMPARE.apply(EQ, [], [Literal(3)]) is None
    assert COMPARE.apply(IS_ANY_OF, [], [Literal("ES")]) is None


def test_incomparable_values_are_unknown() -> None:
    assert holds(LT, Literal("abc"), Literal(5, datatype=XSD.integer)) is None
    assert holds(LT, EX.a, EX.b) is None


def test_request_strings_take_the_type_of_the_right_operand() -> None:
    assert holds(LTEQ, Literal("5"), Literal(10, datatype=XSD.integer)) is True
    assert holds(EQ, Literal("5.0"), Literal(5, datatype=XSD.integer)) is True
    assert holds(LT, Literal("2025-12-31T23:00:00Z"),
                 Literal("2026-01-01", datatype=XSD.date)) is True
    # A date-time on the bound day equals the xsd:date bound (compared as a day).
    assert holds(LTEQ, Literal("2026-01-01T15:00:00Z"),
                 Literal("2026-01-01", datatype=XSD.date)) is True
    assert holds(GT, Literal("P2M"), Literal("P30D", datatype=XSD.duration)) is True
    assert holds(EQ, Literal("true"), Literal(True)) is True


def test_version_strings_compare_numerically() -> None:
    assert holds(GTEQ, Literal("2.10"), Literal("2.9")) is True
    assert COMPARE.apply(LT, [Literal("1.2.3")], [Literal("1.10")], operand=ODRL.version)


@pytest.mark.parametrize(("value", "expected"), [
    (Literal("es"), {"ES"}), (Literal("UK"), {"GB"}), (Literal("ESP"), {"ES"}),
    (EU_COUNTRY.DEU, {"DE"}), (Literal("EEA"), places.REGIONS["EEA"]),
    (URIRef("https://w3id.org/dskg#EEA"), places.REGIONS["EEA"]), (Literal("Narnia"), None),
])
def test_places(value: object, expected: set[str] | None) -> None:
    assert places.codes(value) == (frozenset(expected) if expected is not None else None)


def test_regions_are_subsets() -> None:
    assert places.REGIONS["EU"] < places.REGIONS["EEA"]
    assert holds(IS_PART_OF, Literal("NO"), Literal("EEA")) is True
    assert holds(IS_PART_OF, Literal("NO"), Literal("EU")) is False
    assert holds(HAS_PART, Literal("EEA"), EU_COUNTRY.ESP) is True
    assert holds(EQ, Literal("DE"), EU_COUNTRY.DEU) is True


@given(st.integers(0, 400), st.integers(0, 23), st.integers(0, 59))
def test_durations_in_seconds(days: int, hours: int, minutes: int) -> None:
    seconds = parse_duration(f"P{days}DT{hours}H{minutes}M")
    assert seconds == timedelta(days=days, hours=hours, minutes=minutes).total_seconds()


def test_bad_durations() -> None:
    assert parse_duration("P") is None
    assert parse_duration("PT") is None
    assert parse_duration("3 days") is None
    assert parse_duration("-P1D") == -86400


def test_decimal_literals_from_json_floats() -> None:
    assert holds(EQ, Literal(Decimal("0.1"), datatype=XSD.decimal),
                 Literal("0.10", datatype=XSD.decimal)) is True
