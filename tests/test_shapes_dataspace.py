"""shapes/dataspace.ttl: authority, rulebook, catalog, members, governance chain to the EU."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.paths import InvPath

from kg.namespaces import DCAT, DSKG, ORG
from kg.validation import ValidationReport, validate_graph

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
EX = "https://example.org/id/"


def results(report: ValidationReport, focus: str, severity: str = "Violation") -> set:
    return {(None if r.path is None else r.path.n3() if isinstance(r.path, InvPath)
             else str(r.path), r.severity, str(r.component).split("#")[1])
            for r in report.results if str(r.focus) == EX + focus and r.severity == severity}


@pytest.fixture(scope="module")
def report() -> ValidationReport:
    graph = Graph()
    for name in ("good_ecosystem.ttl", "broken_dataspace.ttl"):
        graph.parse(FIXTURES / name)
    return validate_graph(graph)


def test_conforming_data_space_has_no_violation(report: ValidationReport) -> None:
    assert results(report, "agridataspace") == set()


def test_empty_data_space(report: ValidationReport) -> None:
    assert results(report, "empty-ds") == {
        (str(DSKG.governedBy), "Violation", "MinCountConstraintComponent"),
        (str(DSKG.rulebook), "Violation", "MinCountConstraintComponent"),
        (str(DSKG.catalog), "Violation", "MinCountConstraintComponent"),
        (str(DSKG.subjectTo), "Violation", "MinCountConstraintComponent"),
        (InvPath(ORG.organization).n3(), "Violation", "MinCountConstraintComponent"),
    }
    assert results(report, "empty-ds", "Warning") >= {
        (str(DCAT.theme), "Warning", "MinCountConstraintComponent")}


def test_dangling_and_mistyped_references(report: ValidationReport) -> None:
    assert results(report, "dangling-ds") == {
        # the authority exists nowhere: not an organisation, and no tier to be found
        (str(DSKG.governedBy), "Violation", "ClassConstraintComponent"),
        (str(DSKG.governedBy), "Violation", "NodeConstraintComponent"),
        (str(DSKG.rulebook), "Violation", "ClassConstraintComponent"),
        (str(DSKG.catalog), "Violation", "ClassConstraintComponent"),
    }


def test_chain_that_never_reaches_the_eu_tier(report: ValidationReport) -> None:
    assert results(report, "island-ds") == {
        (str(DSKG.subjectTo), "Violation", "SPARQLConstraintComponent")}
    message = next(r.message for r in report.results
                   if str(r.focus) == EX + "island-ds" and r.severity == "Violation")
    assert "EU tier" in message


def test_project_tier_subject_only_to_project_tier_frameworks(report: ValidationReport) -> None:
    # its framework is under the GDPR, so the chain reaches the EU: only the tier rule fails
    assert results(report, "club-ds") == {
        (str(DSKG.subjectTo), "Violation", "SPARQLConstraintComponent")}
    message = next(r.message for r in report.results
                   if str(r.focus) == EX + "club-ds" and r.severity == "Violation")
    assert "project-tier" in message


def test_members_may_come_from_other_descriptions() -> None:
    """The inverse path (memberships pointing at the data space) sees the context too."""
    graph = Graph().parse(FIXTURES / "good_ecosystem.ttl")
    memberships = Graph()
    for triple in graph.triples((None, None, None)):
        if str(triple[0]).startswith(EX + "membership"):
            memberships.add(triple)
    for triple in memberships:
        graph.remove(triple)
    alone = validate_graph(graph)
    assert (InvPath(ORG.organization).n3(), "Violation", "MinCountConstraintComponent") in \
        results(alone, "agridataspace")
    assert results(validate_graph(graph, context=memberships), "agridataspace") == set()
