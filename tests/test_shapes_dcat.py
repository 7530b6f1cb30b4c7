"""shapes/dcat.ttl and SEMIC's DCAT-AP 3.0.1 shapes (mandatory = Violation, recommended =
Warning), and real-world DCAT: RDF/XML, blank-node publishers, multilingual labels."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from kg.namespaces import DCAT, DCT, FOAF
from kg.validation import ValidationReport, validate_graph

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
EX = "https://example.org/id/"
DCATAP = "http://data.europa.eu/r5r/"


def results(report: ValidationReport, focus: str, severity: str = "Violation") -> set:
    return {(str(r.path), r.severity, str(r.component).split("#")[1])
            for r in report.results if str(r.focus) == focus and r.severity == severity}


@pytest.fixture(scope="module")
def report() -> ValidationReport:
    graph = Graph()
    for name in ("good_ecosystem.ttl", "broken_dcat.ttl"):
        graph.parse(FIXTURES / name)
    return validate_graph(graph)


def test_conforming_dataset_and_distribution(report: ValidationReport) -> None:
    assert results(report, EX + "soil") == set()
    assert results(report, EX + "soil-csv") == set()
    # recommended properties missing: warnings only
    assert results(report, EX + "soil-csv", "Warning") == {
        (DCATAP + "availability", "Warning", "MinCountConstraintComponent"),
        (str(DCT.description), "Warning", "MinCountConstraintComponent")}


def test_sloppy_dataset(report: ValidationReport) -> None:
    assert results(report, EX + "sloppy") == {
        (str(DCT.title), "Violation", "MinCountConstraintComponent"),          # DCAT-AP
        (str(DCT.issued), "Violation", "NodeConstraintComponent"),             # not a date
        (str(DCT.language), "Violation", "NodeKindConstraintComponent"),       # text, no IRI
        (str(DCT.language), "Violation", "PatternConstraintComponent"),        # not EU table
        (str(DCT.publisher), "Violation", "ClassConstraintComponent"),         # dangling
        (str(DCAT.distribution), "Violation", "ClassConstraintComponent"),     # wrong type
    }
    assert (str(DCAT.theme), "Warning", "PatternConstraintComponent") in results(
        report, EX + "sloppy", "Warning")


def test_sloppy_distribution(report: ValidationReport) -> None:
    assert results(report, EX + "sloppy-dist") == {
        (str(DCAT.accessURL), "Violation", "NodeKindConstraintComponent"),
        (str(DCAT.mediaType), "Violation", "NodeKindConstraintComponent"),
        (str(DCAT.mediaType), "Violation", "PatternConstraintComponent"),
        (str(DCT.license), "Violation", "NodeKindConstraintComponent"),
    }
    assert results(report, EX + "no-access") == {
        (str(DCAT.accessURL), "Violation", "MinCountConstraintComponent")}


def test_bare_catalog(report: ValidationReport) -> None:
    assert results(report, EX + "bare-catalog") == {
        (str(DCT.description), "Violation", "MinCountConstraintComponent"),
        (str(DCT.publisher), "Violation", "MinCountConstraintComponent"),
        (str(DCAT.dataset), "Violation", "ClassConstraintComponent"),
    }


def test_real_world_rdf_xml_is_reported_not_crashed() -> None:
    """A portal's RDF/XML: blank-node publisher and contact, labels in three languages."""
    graph = Graph().parse(FIXTURES / "portal_export.rdf", format="xml")
    report = validate_graph(graph)
    dataset = "https://portal.example.eu/dataset/air-quality"
    assert results(report, dataset) == {
        (str(DCT.issued), "Violation", "NodeConstraintComponent")}  # a gYear
    blank_publishers = [r for r in report.results if str(r.path) == str(FOAF.name)]
    assert blank_publishers and all(r.severity == "Violation" for r in blank_publishers)
    # every result is printable for people and as JSON
    assert "air-quality" in report.to_text()
    assert report.to_json()["conforms"] is False
