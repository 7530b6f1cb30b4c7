"""shapes/core.ttl: organisations, registration numbers, tiers, frameworks, memberships."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from kg.namespaces import DCT, DSKG, ORG, SH, SKOS
from kg.validation import ValidationReport, validate_graph

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
EX = "https://example.org/id/"


def load(*names: str) -> Graph:
    graph = Graph()
    for name in names:
        graph.parse(FIXTURES / name)
    return graph


def violations(report: ValidationReport, focus: str) -> set[tuple[str | None, str, str]]:
    """(path, severity, component) of the Violations about one node."""
    return {(None if r.path is None else str(r.path), r.severity, str(r.component).split("#")[1])
            for r in report.results if str(r.focus) == EX + focus and r.severity == "Violation"}


@pytest.fixture(scope="module")
def good() -> ValidationReport:
    return validate_graph(load("good_ecosystem.ttl"))


@pytest.fixture(scope="module")
def broken() -> ValidationReport:
    return validate_graph(load("good_ecosystem.ttl", "broken_core.ttl"))


def test_good_ecosystem_conforms(good: ValidationReport) -> None:
    assert good.conforms, good.to_text()
    # recommended DCAT-AP properties are reported, as warnings
    assert good.count("Warning") > 0
    assert not violations(good, "agrihub")


@pytest.mark.parametrize(("focus", "expected"), [
    ("nameless", {(str(SKOS.prefLabel), "Violation", "MinCountConstraintComponent")}),
    ("badcodes", {(str(DSKG.country), "Violation", "PatternConstraintComponent"),
                  (str(DSKG.vatID), "Violation", "PatternConstraintComponent"),
                  (str(DSKG.eori), "Violation", "PatternConstraintComponent")}),
    ("badlei", {(str(DSKG.leiCode), "Violation", "SPARQLConstraintComponent")}),
    ("shortlei", {(str(DSKG.leiCode), "Violation", "PatternConstraintComponent")}),
    ("badtier", {(str(DSKG.tier), "Violation", "InConstraintComponent")}),
    ("twotiers", {(str(DSKG.tier), "Violation", "MaxCountConstraintComponent")}),
    ("untiered", {(str(DSKG.tier), "Violation", "MinCountConstraintComponent"),
                  (str(DSKG.subjectTo), "Violation", "ClassConstraintComponent")}),
    ("m-nomember", {(str(ORG.member), "Violation", "MinCountConstraintComponent")}),
    ("m-notads", {(str(ORG.organization), "Violation", "ClassConstraintComponent")}),
    ("m-badrole", {(str(ORG.role), "Violation", "InConstraintComponent")}),
    ("m-backwards", {(str(ORG.memberDuring), "Violation", "NodeConstraintComponent")}),
    ("m-dangling", {(str(ORG.member), "Violation", "ClassConstraintComponent")}),
])
def test_broken_core(broken: ValidationReport, focus: str, expected: set) -> None:
    assert violations(broken, focus) == expected


def test_project_tier_without_country_is_a_warning(broken: ValidationReport) -> None:
    found = {(str(r.path), r.severity) for r in broken.results
             if r.focus == URIRef(EX + "countryless")}
    assert (str(DSKG.country), "Warning") in found
    assert not violations(broken, "countryless")


def test_national_body_without_country_is_a_violation() -> None:
    data = load("good_ecosystem.ttl")
    data.remove((URIRef(EX + "farmco"), DSKG.country, None))
    data.add((URIRef(EX + "farmco"), DSKG.tier, DSKG.RegionalTier))
    report = validate_graph(data)
    assert violations(report, "farmco") == {
        (str(DSKG.country), "Violation", "SPARQLConstraintComponent")}


@pytest.mark.parametrize(("lei", "ok"), [
    ("5493001KJTIIGC8Y1R12", True),   # ISO 17442 example (Bloomberg)
    ("529900T8BM49AURSDO55", True),
    ("7LTWFZYICNSX8D621K86", True),
    ("5493001KJTIIGC8Y1R13", False),  # last digit changed
    ("529900T8BM49AURSDO56", False),
    ("7LTWFZYICNSX8D621K68", False),  # check digits swapped
])
def test_lei_check_digits_are_exact(lei: str, ok: bool) -> None:
    data = load("good_ecosystem.ttl")
    node = URIRef(EX + "agrihub")
    data.remove((node, DSKG.leiCode, None))
    data.add((node, DSKG.leiCode, Literal(lei)))
    report = validate_graph(data)
    assert (not violations(report, "agrihub")) is ok


def test_rulebook_needs_a_title() -> None:
    data = load("good_ecosystem.ttl")
    data.remove((URIRef(EX + "rulebook"), DCT.title, None))
    assert violations(validate_graph(data), "rulebook") == {
        (str(DCT.title), "Violation", "MinCountConstraintComponent")}


def test_results_name_their_shape(broken: ValidationReport) -> None:
    lei = next(r for r in broken.results
               if r.focus == URIRef(EX + "badlei") and r.severity == "Violation")
    assert lei.shape == URIRef("https://w3id.org/dskg/shapes#Organization-leiCheckDigits")
    assert lei.component == SH.SPARQLConstraintComponent
    assert "check digits" in lei.message
