"""`dskg evaluate` and `dskg policy conflicts`: outputs and exit codes."""

from __future__ import annotations

import gc
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import Namespace, URIRef
from typer.testing import CliRunner

from kg.cli import app
from kg.store.embedded import EmbeddedStore

FIXTURES = Path(__file__).parent / "fixtures" / "policy"
T = Namespace("https://example.org/t/")
runner = CliRunner()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    path = tmp_path_factory.mktemp("policy-store")
    store = EmbeddedStore(path)
    store.import_quads((FIXTURES / "tiers.ttl").read_bytes(), "turtle",
                       to_graph=URIRef("urn:test:tiers"))
    store.close()
    del store
    gc.collect()  # release the on-disk store's lock for the CLI
    return {"DSKG_STORE": str(path), "DSKG_DEFAULT_GRAPH": "0"}


@dataclass
class Outcome:
    exit_code: int
    output: str


def run(env: dict[str, str], *args: str) -> Outcome:
    result = runner.invoke(app, list(args), env=env)
    outcome = Outcome(result.exit_code, result.output)
    del result
    gc.collect()  # the Result's traceback holds the command's frame, and so the store's lock
    return outcome


def test_permit_exits_0_with_text(env: dict[str, str]) -> None:
    result = run(env, "evaluate", "--assignee", str(T.uniB), "--action", "odrl:transfer",
                 "--target", str(T["d-records"]), "--spatial", "NO")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("PERMIT: permitted: the offer rule")
    assert "records-transfer" in result.output


def test_deny_exits_3_with_json(env: dict[str, str]) -> None:
    result = run(env, "evaluate", "--assignee", str(T.uniB), "--action", "odrl:transfer",
                 "--target", str(T["d-records"]), "--spatial", "US", "--format", "json")
    assert result.exit_code == 3, result.output
    body = json.loads(result.output)
    assert body["decision"] == "deny"
    assert body["deciding"]["rules"] == [str(T["gdpr-no-transfer"])]
    assert "outside EEA" in body["reason"] and body["reason"].endswith("US")
    entry = next(t for t in body["trace"] if t.get("decisive"))
    assert entry["tier"] == "https://w3id.org/dskg#EUTier"
    assert entry["source"] == "https://eur-lex.europa.eu/eli/reg/2016/679/oj"
    spatial = next(c for c in entry["constraints"]
                   if c["leftOperand"] == "http://www.w3.org/ns/odrl/2/spatial")
    assert spatial == {"scope": "rule", "leftOperand": "http://www.w3.org/ns/odrl/2/spatial",
                       "operator": "http://www.w3.org/ns/odrl/2/isNoneOf",
                       "rightOperand": ["EEA"], "value": ["US"], "held": True}


def test_not_applicable_exits_4(env: dict[str, str]) -> None:
    result = run(env, "evaluate", "--assignee", str(T.uniB), "--action", "odrl:transfer",
                 "--target", str(T["d-open"]))
    assert result.exit_code == 4, result.output
    assert result.output.startswith("NOT-APPLICABLE")


def test_context_and_duties(env: dict[str, str]) -> None:
    result = run(env, "evaluate", "--assignee", str(T.uniB), "--action", "odrl:read",
                 "--target", str(T["d-records"]), "--purpose", str(T.CancerResearch),
                 "--duty-done", "odrl:attribute", "--at", "2025-03-01T10:00:00Z",
                 "--context", "count=2", "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["request"]["dutiesDone"] == ["http://www.w3.org/ns/odrl/2/attribute"]
    assert body["request"]["context"]["http://www.w3.org/ns/odrl/2/count"] == ["2"]
    assert body["request"]["at"].startswith("2025-03-01T10:00:00")


@pytest.mark.parametrize("args", [
    ["--assignee", "not an iri", "--action", "odrl:use", "--target", "urn:x:d"],
    ["--assignee", "urn:x:a", "--action", "odrl:use", "--target", "urn:x:d", "--at", "soon"],
    ["--assignee", "urn:x:a", "--action", "odrl:use", "--target", "urn:x:d",
     "--spatial", "Atlantis"],
    ["--assignee", "urn:x:a", "--action", "odrl:use", "--target", "urn:x:d",
     "--context", "novalue"],
    ["--assignee", "urn:x:a", "--action", "nope:use", "--target", "urn:x:d"],
])
def test_bad_input_exits_2(env: dict[str, str], args: list[str]) -> None:
    result = run(env, "evaluate", *args)
    assert result.exit_code == 2, result.output


def test_policies_file_replaces_the_offers(env: dict[str, str]) -> None:
    overlay = str(FIXTURES / "overlay.ttl")
    # The draft offer permits sell, but the rulebook (in the store) prohibits it.
    result = run(env, "evaluate", "--assignee", str(T.uniB), "--action", "odrl:sell",
                 "--target", str(T["d-records"]), "--spatial", "ES", "--policies", overlay,
                 "--format", "json")
    assert result.exit_code == 3
    assert json.loads(result.output)["deciding"]["rules"] == [str(T["rb-no-sell"])]
    # The stored offer's records-research rule no longer applies; the draft's print does.
    result = run(env, "evaluate", "--assignee", str(T.uniB), "--action", "odrl:print",
                 "--target", str(T["d-records"]), "--purpose", str(T.Research),
                 "--policies", overlay, "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["deciding"]["rules"] == [str(T["draft-print"])]
    assert str(T["offer-records"]) not in {p["policy"] for p in body["policies"]}


def test_conflicts_command(env: dict[str, str]) -> None:
    result = run(env, "policy", "conflicts", "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["count"] == len(body["conflicts"]) > 0
    assert {"prohibited", "widens", "assigner-not-member"} <= {
        c["kind"] for c in body["conflicts"]}
    text = run(env, "policy", "conflicts")
    assert text.exit_code == 0
    assert "[prohibited]" in text.output
