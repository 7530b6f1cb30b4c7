"""The `dskg` command: load, query, export, stats, with the exit codes scripts rely on."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "core"
runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"DSKG_STORE": str(tmp_path / "store"), "DSKG_DEFAULT_GRAPH": "0",
            "DSKG_BASE_IRI": "http://127.0.0.1:8000/"}


def run(env: dict[str, str], *args: str):
    return runner.invoke(app, list(args), env=env)


def test_load_query_table_csv_json(env: dict[str, str]) -> None:
    loaded = run(env, "load", str(FIXTURES / "organisation.ttl"))
    assert loaded.exit_code == 0, loaded.output
    assert "1 description(s)" in loaded.output
    query = ("SELECT ?name WHERE { ?o <http://xmlns.com/foaf/0.1/name> ?name } ORDER BY ?name")
    table = run(env, "query", query)
    assert table.exit_code == 0
    assert "ACME Data Cooperative" in table.output
    as_csv = run(env, "query", query, "--format", "csv")
    assert list(csv.reader(io.StringIO(as_csv.stdout))) == [["name"],
                                                            ["ACME Data Cooperative"]]
    as_json = json.loads(run(env, "query", query, "--format", "json").stdout)
    assert as_json["results"]["bindings"][0]["name"]["value"] == "ACME Data Cooperative"


def test_malformed_file_exits_2_with_position(env: dict[str, str]) -> None:
    result = run(env, "load", str(FIXTURES / "broken.ttl"))
    assert result.exit_code == 2
    assert "line 4" in result.output


def test_invalid_description_exits_1_and_stores_nothing(env: dict[str, str]) -> None:
    result = run(env, "load", str(FIXTURES / "organisation-invalid.ttl"))
    assert result.exit_code == 1
    assert "nameless" in result.output
    count = run(env, "query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "csv")
    assert count.stdout.splitlines()[1] == "0"


def test_bad_query_exits_2(env: dict[str, str]) -> None:
    result = run(env, "query", "SELECT WHERE {")
    assert result.exit_code == 2
    assert "syntax error" in result.output.lower()


def test_export_and_load_restore(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "load", str(FIXTURES / "organisation.ttl"),
               str(FIXTURES / "organisation-blank.jsonld")).exit_code == 0
    dump = tmp_path / "dump.nq"
    assert run(env, "export", "--output", str(dump)).exit_code == 0
    trig = tmp_path / "dump.trig"
    assert run(env, "export", "--output", str(trig), "--format", "trig").exit_code == 0
    other = {**env, "DSKG_STORE": str(tmp_path / "other")}
    restored = run(other, "load", str(trig))
    assert restored.exit_code == 0, restored.output
    dump2 = tmp_path / "dump2.nq"
    assert run(other, "export", "--output", str(dump2)).exit_code == 0
    from rdflib import Dataset
    from rdflib.compare import isomorphic

    a, b = Dataset(), Dataset()
    a.parse(dump, format="nquads")
    b.parse(dump2, format="nquads")
    assert {g.identifier for g in a.graphs()} == {g.identifier for g in b.graphs()}
    for graph in a.graphs():
        assert isomorphic(graph, b.graph(graph.identifier))


def test_stats(env: dict[str, str]) -> None:
    run(env, "load", str(FIXTURES / "organisation.ttl"))
    result = run(env, "stats", "--format", "json")
    figures = json.loads(result.stdout)
    assert figures["graphs"] == 2  # the description and the provenance graph
    assert figures["classes"]["org:Organization"] == 1
