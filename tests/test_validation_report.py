"""Reports: JSON (the documented shape), text for people, and SHACL RDF."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, Literal

from kg.namespaces import RDF, SH
from kg.validation import ValidationReport, validate_graph

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"


@pytest.fixture(scope="module")
def report() -> ValidationReport:
    graph = Graph()
    for name in ("good_ecosystem.ttl", "broken_core.ttl"):
        graph.parse(FIXTURES / name)
    return validate_graph(graph)


def test_json_has_the_documented_members(report: ValidationReport) -> None:
    document = json.loads(json.dumps(report.to_json()))
    assert document["conforms"] is False
    assert document["results"]
    for result in document["results"]:
        assert set(result) == {"focus", "path", "severity", "message", "value", "shape"}
        assert result["severity"] in ("Violation", "Warning", "Info")
        assert result["message"]
    lei = next(r for r in document["results"] if r["focus"].endswith("/badlei")
               and r["severity"] == "Violation")
    assert lei == {"focus": "https://example.org/id/badlei",
                   "path": "https://w3id.org/dskg#leiCode", "severity": "Violation",
                   "message": lei["message"], "value": "5493001KJTIIGC8Y1R13",
                   "shape": "https://w3id.org/dskg/shapes#Organization-leiCheckDigits"}


def test_text_groups_by_node_with_label_property_expected_found(
        report: ValidationReport) -> None:
    text = report.to_text()
    assert text.startswith("DOES NOT CONFORM: ")
    block = text.split("\n\n")
    bad = next(b for b in block if b.startswith("Bad Codes Ltd (<https://example.org/id/"
                                                "badcodes>)"))
    assert '[Violation] dskg:country: expected text matching /^[A-Z]{2}$/; found "Spain"' in bad
    assert "shape dskgsh:Organization-country" in bad
    # warnings are shown, and do not make the verdict
    assert "[Warning]" in text


def test_rdf_is_a_shacl_validation_report(report: ValidationReport) -> None:
    graph = Graph().parse(data=report.to_rdf().serialize(format="turtle"), format="turtle")
    node = graph.value(predicate=RDF.type, object=SH.ValidationReport)
    assert graph.value(node, SH.conforms) == Literal(False)
    assert len(list(graph.objects(node, SH.result))) == len(report.results)
    assert (None, SH.resultSeverity, SH.Violation) in graph


def test_a_conforming_report() -> None:
    report = validate_graph(Graph().parse(FIXTURES / "good_ecosystem.ttl"))
    assert report.conforms
    assert report.to_json()["conforms"] is True
    assert report.to_text().startswith("CONFORMS: 0 violation(s)")
