"""The W3C SHACL Core test suite (tests/w3c/shacl-core, shipped as published) on our engine.

Every ``sht:Validate`` entry reached from the suite's manifest runs through the call
``dskg validate DATA --shapes SHAPES`` makes (``validate_with_shapes``: the project's shapes,
then the test's) and the report it writes as Turtle must equal the expected one: sh:conforms,
and the results as a multiset of (focusNode, resultPath, value, sourceShape,
sourceConstraintComponent, resultSeverity). No test of the suite is left out.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from typer.testing import CliRunner

from kg.cli import app
from kg.namespaces import RDF, SH
from kg.validation.suite import PUBLISHED, SuiteTest, load_suite, ours, run_test

SUITE = Path(__file__).parent / "w3c" / "shacl-core"


@cache
def suite() -> dict[str, SuiteTest]:
    return {test.name: test for test in load_suite(SUITE)}


def test_every_entry_of_the_suite_is_run() -> None:
    # Each sht:Validate entry in the suite's files is reached through the manifests.
    declared = sum(path.read_text(encoding="utf-8").count("sht:Validate")
                   for path in SUITE.rglob("*.ttl"))
    assert len(suite()) == declared == 98


@pytest.mark.parametrize("name", sorted(suite()))
def test_core(name: str) -> None:
    outcome = run_test(suite()[name], ours)
    assert outcome.passed, outcome.detail


def test_the_comparison_sees_a_missing_result() -> None:
    """The harness is not vacuous: a report with one result less fails."""
    test = suite()["property/uniqueLang-001"]

    def one_less(data: Graph, shapes: Graph) -> Graph:
        report = ours(data, shapes)
        result = next(report.objects(None, SH.result))
        report.remove((None, SH.result, result))
        return report

    assert run_test(test, ours).passed
    assert not run_test(test, one_less).passed


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DSKG_STORE", "memory")
    return CliRunner()


def _turtle_report(output: str) -> tuple[bool, int]:
    graph = Graph().parse(data=output, format="turtle")
    report = next(graph.subjects(RDF.type, SH.ValidationReport))
    conforms = graph.value(report, SH.conforms)
    assert isinstance(conforms, Literal)
    return bool(conforms.toPython()), len(list(graph.objects(report, SH.result)))


def test_cli_reports_a_target_node_without_triples(runner: CliRunner) -> None:
    # targetNode-001 names ex:InvalidResource1, which has no triple of its own.
    path = str(SUITE / "targets" / "targetNode-001.ttl")
    result = runner.invoke(app, ["validate", path, "--shapes", path, "--format", "turtle",
                                 "--base", f"{PUBLISHED}/targets/targetNode-001.ttl"])
    assert result.exit_code == 1, result.output
    assert _turtle_report(result.stdout) == (False, 1)


def test_cli_warnings_do_not_fail_but_the_report_does_not_conform(runner: CliRunner) -> None:
    # severity-001 has one result, a sh:Warning: SHACL says the data does not conform, and
    # the CLI's exit code follows the project's policy (only violations fail).
    path = str(SUITE / "misc" / "severity-001.ttl")
    base = ["--base", f"{PUBLISHED}/misc/severity-001.ttl"]
    result = runner.invoke(app, ["validate", path, "--shapes", path, "--format", "turtle",
                                 *base])
    assert result.exit_code == 0, result.output
    assert _turtle_report(result.stdout) == (False, 1)
    text = runner.invoke(app, ["validate", path, "--shapes", path, *base])
    assert text.exit_code == 0
    assert text.output.startswith("CONFORMS: 0 violation(s), 1 warning(s)")
