"""shapes/odrl.ttl: well-formed ODRL 2.2 policies."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.paths import AlternativePath

from kg.namespaces import ODRL, XSD
from kg.validation import ValidationReport, validate_graph

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
EX = "https://example.org/id/"
RULES = AlternativePath(ODRL.permission, ODRL.prohibition, ODRL.obligation).n3()


def violations(report: ValidationReport, focus: str) -> set:
    return {(r.path.n3() if isinstance(r.path, AlternativePath) else str(r.path), r.severity,
             str(r.component).split("#")[1])
            for r in report.results if str(r.focus) == EX + focus and r.severity == "Violation"}


@pytest.fixture(scope="module")
def report() -> ValidationReport:
    graph = Graph()
    for name in ("good_ecosystem.ttl", "broken_odrl.ttl"):
        graph.parse(FIXTURES / name)
    return validate_graph(graph)


def test_conforming_policies(report: ValidationReport) -> None:
    assert violations(report, "soil-offer") == set()
    assert violations(report, "eu-policy") == set()


@pytest.mark.parametrize(("focus", "expected"), [
    ("empty-policy", {(str(ODRL.uid), "Violation", "MinCountConstraintComponent"),
                      (RULES, "Violation", "MinCountConstraintComponent")}),
    ("greedy-offer", {(str(ODRL.assigner), "Violation", "MinCountConstraintComponent")}),
    ("greedy-rule", {(str(ODRL.action), "Violation", "MaxCountConstraintComponent")}),
    ("actionless-rule", {(str(ODRL.action), "Violation", "MinCountConstraintComponent")}),
    ("c-no-operator", {(str(ODRL.operator), "Violation", "SPARQLConstraintComponent")}),
    ("c-text-lt", {(str(ODRL.rightOperand), "Violation", "SPARQLConstraintComponent")}),
    ("c-bad-date", {(str(ODRL.rightOperand), "Violation", "SPARQLConstraintComponent")}),
    ("orphan", {(str(ODRL.inheritFrom), "Violation", "NodeConstraintComponent")}),
    ("loop-a", {(str(ODRL.inheritFrom), "Violation", "SPARQLConstraintComponent")}),
    ("loop-b", {(str(ODRL.inheritFrom), "Violation", "SPARQLConstraintComponent")}),
])
def test_broken_policies(report: ValidationReport, focus: str, expected: set) -> None:
    assert violations(report, focus) == expected


def test_missing_part_is_named_in_the_message(report: ValidationReport) -> None:
    result = next(r for r in report.results if str(r.focus) == EX + "c-no-operator")
    assert str(ODRL.operator) in result.message


@pytest.mark.parametrize(("operator", "operand", "ok"), [
    (ODRL.lt, Literal("2026-01-01", datatype=XSD.date), True),
    (ODRL.lt, Literal(5), False),  # a number, but odrl:dateTime takes a date
    (ODRL.lt, Literal("soon"), False),
    (ODRL.eq, Literal("soon"), False),  # the left operand is odrl:dateTime
    (ODRL.eq, Literal("2026-01-01T00:00:00Z", datatype=XSD.dateTime), True),
])
def test_operator_fits_operand(operator: URIRef, operand: Literal, ok: bool) -> None:
    graph = Graph().parse(FIXTURES / "good_ecosystem.ttl")
    constraint = next(c for c in graph.subjects(ODRL.leftOperand, ODRL.dateTime))
    graph.set((constraint, ODRL.operator, operator))
    graph.set((constraint, ODRL.rightOperand, operand))
    report = validate_graph(graph)
    assert report.conforms is ok


@pytest.mark.parametrize(("operand", "ok"), [(Literal(10), True), (Literal("ten"), False)])
def test_count_takes_a_number(operand: Literal, ok: bool) -> None:
    graph = Graph().parse(FIXTURES / "good_ecosystem.ttl")
    constraint = next(c for c in graph.subjects(ODRL.leftOperand, ODRL.dateTime))
    graph.set((constraint, ODRL.leftOperand, ODRL["count"]))
    graph.set((constraint, ODRL.rightOperand, operand))
    assert validate_graph(graph).conforms is ok


def test_inheritance_from_a_policy_in_the_store_context() -> None:
    """The parent policy is not in the description but in the graph: fine when the context
    says it is a policy, a violation when it says it is something else."""
    graph = Graph().parse(FIXTURES / "good_ecosystem.ttl")
    parent = URIRef(EX + "eu-policy")
    context = Graph()
    for triple in graph.triples((parent, None, None)):
        context.add(triple)
    for triple in list(graph.triples((parent, None, None))):
        graph.remove(triple)
    assert violations(validate_graph(graph, context=context), "soil-offer") == set()
    wrong = Graph()
    wrong.add((parent, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
               URIRef("http://www.w3.org/ns/dcat#Dataset")))
    assert violations(validate_graph(graph, context=wrong), "soil-offer") == {
        (str(ODRL.inheritFrom), "Violation", "NodeConstraintComponent")}
