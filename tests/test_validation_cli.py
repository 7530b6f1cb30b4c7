"""`dskg validate` and `dskg quality`: output formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
GOOD = str(FIXTURES / "good_ecosystem.ttl")


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DSKG_STORE", "memory")
    return CliRunner()


def test_conforming_file_exits_0(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", GOOD])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("CONFORMS")


def test_violations_exit_1_with_one_json_document(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", GOOD, str(FIXTURES / "broken_odrl.ttl"),
                                 "--format", "json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["conforms"] is False
    assert any(r["focus"] == "https://example.org/id/greedy-rule" for r in document["results"])


def test_turtle_report(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", GOOD, "--format", "turtle"])
    assert result.exit_code == 0
    assert "sh:ValidationReport" in result.stdout


def test_unreadable_file_exits_2_with_position(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix x: <http://x/> .\nx:a x:b .\n")
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "line 2" in result.output


def test_rdf_xml_from_a_portal(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", str(FIXTURES / "portal_export.rdf")])
    assert result.exit_code == 1
    assert "Air quality measurements (<https://portal.example.eu/dataset/air-quality>)" in \
        result.output


def test_against_store_resolves_references(runner: CliRunner, tmp_path: Path) -> None:
    """A membership of a default-graph data space conforms only with the store context."""
    description = tmp_path / "member.ttl"
    description.write_text("""
        @prefix dskg: <https://w3id.org/dskg#> . @prefix org: <http://www.w3.org/ns/org#> .
        @prefix foaf: <http://xmlns.com/foaf/0.1/> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <https://example.org/id/newco> a org:Organization, foaf:Agent ;
            skos:prefLabel "NewCo" ; foaf:name "NewCo" .
        <https://example.org/id/m> a org:Membership ; org:member <https://example.org/id/newco> ;
            org:organization <https://w3id.org/dskg/id/dataspace/agdatahub> ;
            org:role dskg:DataConsumer .
    """)
    assert runner.invoke(app, ["validate", str(description)]).exit_code == 1
    result = runner.invoke(app, ["validate", str(description), "--against-store"])
    assert result.exit_code == 0, result.output


def test_audit_of_the_whole_store(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", "--all", "--format", "json"])
    document = json.loads(result.stdout)
    assert result.exit_code == (0 if document["conforms"] else 1)
    assert document["results"]  # at least the DCAT-AP recommendations


def test_files_and_all_are_exclusive(runner: CliRunner) -> None:
    assert runner.invoke(app, ["validate", GOOD, "--all"]).exit_code == 2
    assert runner.invoke(app, ["validate"]).exit_code == 2


def test_quality_of_a_dataset(runner: CliRunner) -> None:
    iri = "https://w3id.org/dskg/id/dataset/eurostat-greenhouse-gas-emissions"
    result = runner.invoke(app, ["quality", iri, "--format", "json"])
    assert result.exit_code == 0, result.output
    score = json.loads(result.stdout)
    assert score["dataset"] == iri
    assert 0 < score["points"] <= score["maximum"] == 405
    assert set(score["dimensions"]) == {"findability", "accessibility", "interoperability",
                                        "reusability", "contextuality"}


def test_quality_table_of_data_spaces(runner: CliRunner) -> None:
    result = runner.invoke(app, ["quality"])
    assert result.exit_code == 0, result.output
    assert "rating" in result.output
