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


DCAT, DCT = "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/"
DATASET = """@prefix dct: <http://purl.org/dc/terms/> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
<https://example.org/d/soil> a dcat:Dataset ;
    dct:title "Soil moisture"@en ; dct:description "Hourly soil moisture."@en ;
    dct:publisher <https://w3id.org/dskg/id/organisation/agdatahub> ;
    dcat:theme <http://publications.europa.eu/resource/authority/data-theme/AGRI> ;
    dcat:distribution <https://example.org/d/soil-csv> .
<https://example.org/d/soil-csv> a dcat:Distribution ;
    dcat:accessURL <https://data.example.org/soil.csv> ;
    dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> .
"""
VOCABULARY = """@prefix dct: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://publications.europa.eu/resource/authority/data-theme/AGRI> a skos:Concept .
<http://www.iana.org/assignments/media-types/text/csv> a dct:MediaType .
"""


def test_more_shapes_run_as_published_with_the_store_or_a_vocabulary_as_background(
        runner: CliRunner, tmp_path: Path, shared_vocab: Path) -> None:
    """SEMIC's range.ttl, as published, on top of our shapes: it wants the theme, media type
    and publisher typed, which the store (the default graph's vocabularies) or a vocabulary
    file given as background provides; the background itself is not validated."""
    data, vocabulary = tmp_path / "soil.ttl", tmp_path / "vocabulary.ttl"
    data.write_text(DATASET, encoding="utf-8")
    vocabulary.write_text(VOCABULARY, encoding="utf-8")
    ranges = str(shared_vocab / "dcat-ap" / "range.ttl")

    assert runner.invoke(app, ["validate", str(data), "--against-store"]).exit_code == 0
    alone = runner.invoke(app, ["validate", str(data), "--shapes", ranges, "--format", "json"])
    assert alone.exit_code == 1
    missing = {r["path"] for r in json.loads(alone.stdout)["results"]
               if r["severity"] == "Violation"}
    assert missing == {DCAT + "theme", DCAT + "mediaType", DCT + "publisher"}

    with_vocabulary = runner.invoke(app, ["validate", str(data), "--shapes", ranges,
                                          "--background", str(vocabulary), "--format", "json"])
    still = {r["path"] for r in json.loads(with_vocabulary.stdout)["results"]
             if r["severity"] == "Violation"}
    assert still == {DCT + "publisher"}  # the publisher is only known to the store
    with_store = runner.invoke(app, ["validate", str(data), "--shapes", ranges,
                                     "--against-store"])
    assert with_store.exit_code == 0, with_store.output


def test_the_optional_semic_files_are_shipped_and_read_the_stores_vocabularies(
        runner: CliRunner, tmp_path: Path) -> None:
    """mdr-vocabularies.shape.ttl wants each theme in the EU data-theme scheme: the default
    graph's vocabularies say so (skos:inScheme), and --against-store hands it every fact of
    the referenced nodes, not only those our own shapes read."""
    data = tmp_path / "soil.ttl"
    data.write_text(DATASET, encoding="utf-8")
    optional = Path(__file__).parents[1] / "shapes" / "optional" / "dcat-ap"
    vocabularies = str(optional / "mdr-vocabularies.shape.ttl")
    alone = runner.invoke(app, ["validate", str(data), "--shapes", vocabularies,
                                "--format", "json"])
    themes = [r for r in json.loads(alone.stdout)["results"] if r["path"] == DCAT + "theme"]
    assert themes and all(r["severity"] == "Warning" for r in themes)
    checked = runner.invoke(app, ["validate", str(data), "--shapes", vocabularies,
                                  "--shapes", str(optional / "range.ttl"), "--against-store",
                                  "--format", "json"])
    assert checked.exit_code == 0, checked.output
    assert not [r for r in json.loads(checked.stdout)["results"]
                if r["path"] == DCAT + "theme"]


def test_shapes_the_engine_cannot_run_are_refused_as_bad_input(runner: CliRunner,
                                                               tmp_path: Path) -> None:
    rules = tmp_path / "rules.ttl"
    rules.write_text("""@prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix dcat: <http://www.w3.org/ns/dcat#> .
        <https://example.org/rules/R> a sh:NodeShape ; sh:targetClass dcat:Dataset ;
            sh:rule [ a sh:TripleRule ] .""", encoding="utf-8")
    result = runner.invoke(app, ["validate", GOOD, "--shapes", str(rules)])
    assert result.exit_code == 2
    assert "sh:rule" in result.output or "rule" in result.output
