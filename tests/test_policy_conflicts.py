"""The static cross-tier conflict report."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef

from kg.policy.conflicts import find_conflicts
from kg.policy.service import conflicts
from kg.store.embedded import EmbeddedStore
from tests.conflict_support import decide, shows

FIXTURES = Path(__file__).parent / "fixtures" / "policy"
K = Namespace("https://example.org/k/")
T = Namespace("https://example.org/t/")


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph().parse(FIXTURES / "conflicts.ttl")


@pytest.fixture(scope="module")
def report(graph: Graph) -> dict:
    return find_conflicts(graph).to_json()


def _pairs(report: dict, kind: str, cls: str = "conflict") -> set[tuple[str, str]]:
    return {(c["lower"]["rule"], c["higher"]["rule"]) for c in report["conflicts"]
            if c["kind"] == kind and c["class"] == cls}


def test_overlapping_ranges_sets_and_concepts_are_reported(report: dict) -> None:
    assert _pairs(report, "prohibited") == {
        (str(K["o2-use"]), str(K["eu-max-count"])),        # count <= 200 vs > 100
        (str(K["o4-distribute"]), str(K["eu-old-data"])),  # before 2025 vs before 2020
        (str(K["o6-transfer"]), str(K["eu-no-transfer"])),  # {RU, ES} vs {CN, RU}
        (str(K["o7-use"]), str(K["nat-no-marketing"])),    # isA Commercial vs isA Marketing
    }


def test_disjoint_rules_are_not_reported(report: dict) -> None:
    lowers = {c["lower"]["rule"] for c in report["conflicts"] if "lower" in c}
    for quiet in ("o1-use", "o3-distribute", "o5-transfer", "o11-read"):
        assert str(K[quiet]) not in lowers


def test_a_purpose_under_two_unrelated_classes_is_ambiguous(report: dict) -> None:
    # isA Research vs isA Marketing: no purpose in the graph is both, but one could be.
    assert _pairs(report, "prohibited", "ambiguous") == {
        (str(K["o8-use"]), str(K["nat-no-marketing"]))}
    finding = next(c for c in report["conflicts"] if c["class"] == "ambiguous")
    concept = finding["example"]["purpose"]
    assert sorted(o for s, p, o in finding["assuming"] if s == concept) == [
        str(K.Marketing), str(K.Research)]


def test_each_example_triggers_the_conflict(graph: Graph, report: dict) -> None:
    for finding in report["conflicts"]:
        if finding["kind"] != "prohibited":
            continue
        assert shows(graph, finding)
        decision = decide(graph, finding)
        assert decision.decision == "deny"
        assert decision.deciding is not None
        assert decision.deciding.deciding[0].rule.id == finding["higher"]["rule"]


def test_example_values_sit_inside_both_ranges(report: dict) -> None:
    by_rule = {c["lower"]["rule"]: c for c in report["conflicts"] if "lower" in c}
    count = int(by_rule[str(K["o2-use"])]["example"]["context"][
        "http://www.w3.org/ns/odrl/2/count"])
    assert 100 < count <= 200
    assert by_rule[str(K["o4-distribute"])]["example"]["at"] < "2020-01-01"
    assert by_rule[str(K["o6-transfer"])]["example"]["spatial"] == "RU"
    assert by_rule[str(K["o7-use"])]["example"]["purpose"] == str(K.Marketing)
    finding = by_rule[str(K["o2-use"])]
    assert finding["higher"]["tier"] == "https://w3id.org/dskg#EUTier"
    assert finding["lower"]["layer"] == "offer"


def test_inheritance_problems_and_non_member_assigners(report: dict) -> None:
    kinds = [c["kind"] for c in report["conflicts"]]
    assert kinds.count("cycle") == 1
    assert kinds.count("missing-parent") == 1
    strangers = [c for c in report["conflicts"] if c["kind"] == "assigner-not-member"]
    assert [(c["policy"], c["assigner"]) for c in strangers] == [
        (str(K.o2), str(K.stranger))]
    missing = next(c for c in report["conflicts"] if c["kind"] == "missing-parent")
    assert missing["path"] == [str(K.o10), str(K.missing)]


def test_widening_a_higher_permission_is_reported() -> None:
    report = find_conflicts(Graph().parse(FIXTURES / "tiers.ttl")).to_json()
    assert (str(T["registry-use"]), str(T["dga-reuse"])) in _pairs(report, "widens")
    assert (str(T["records-transfer"]), str(T["gdpr-no-transfer"])) in _pairs(
        report, "prohibited")


def test_store_report_matches_the_graph_report(report: dict) -> None:
    store = EmbeddedStore()
    store.import_quads((FIXTURES / "conflicts.ttl").read_bytes(), "turtle",
                       to_graph=URIRef("urn:test:conflicts"))
    from_store = conflicts(store).to_json()
    assert from_store == report
    assert from_store["count"] == 8  # 4 conflicts, 1 ambiguous, 3 problems
