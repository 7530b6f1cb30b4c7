"""Conflicts within a tier and between what is owed and what is prohibited, each with an
example request the evaluator denies (own cases, from the ODRL semantics)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph

from kg.policy.conflicts import find_conflicts
from kg.policy.request import request_from_json
from kg.policy.source import GraphSource, PolicyEngine
from tests.conflict_support import shows

HEAD = """@prefix ex: <https://example.org/c/> . @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dskg: <https://w3id.org/dskg#> .
ex:space a dskg:DataSpace ; dskg:catalog ex:cat ; dskg:rulebook ex:rb .
ex:cat dcat:dataset ex:d . ex:d a dcat:Dataset ; odrl:hasPolicy ex:offer .
ex:rb odrl:hasPolicy ex:rules . ex:rules a odrl:Set ; dskg:tier dskg:ProjectTier .
"""


def _report(body: str) -> tuple[Graph, dict]:
    graph = Graph().parse(data=HEAD + body, format="turtle")
    return graph, find_conflicts(graph).to_json()


def _kinds(report: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for finding in report["conflicts"]:
        out.setdefault(finding["kind"], []).append(finding)
    return out


def _denied(graph: Graph, finding: dict) -> bool:
    decision = PolicyEngine(GraphSource(graph)).evaluate(request_from_json(finding["example"]))
    return decision.decision == "deny"


def test_two_offers_rules_in_one_policy_conflict_within_the_tier() -> None:
    graph, report = _report("""
ex:offer a odrl:Offer ; odrl:target ex:d ;
  odrl:permission ex:use-research ; odrl:prohibition ex:no-use-health .
ex:use-research odrl:action odrl:use ; odrl:constraint [ odrl:leftOperand odrl:purpose ;
  odrl:operator odrl:isA ; odrl:rightOperand ex:Research ] .
ex:no-use-health odrl:action odrl:read ; odrl:constraint [ odrl:leftOperand odrl:purpose ;
  odrl:operator odrl:isA ; odrl:rightOperand ex:Health ] .
ex:MedicalResearch <http://www.w3.org/2004/02/skos/core#broader> ex:Research, ex:Health .
""")
    found = _kinds(report).get("conflicting", [])
    assert [(f["lower"]["rule"], f["higher"]["rule"]) for f in found] == [
        ("https://example.org/c/use-research", "https://example.org/c/no-use-health")]
    assert found[0]["example"]["purpose"] == "https://example.org/c/MedicalResearch"
    assert _denied(graph, found[0])


def test_a_conflict_strategy_settles_rules_of_one_policy() -> None:
    _, report = _report("""
ex:offer a odrl:Offer ; odrl:target ex:d ; odrl:conflict odrl:perm ;
  odrl:permission [ odrl:action odrl:use ] ; odrl:prohibition [ odrl:action odrl:read ] .
""")
    assert "conflicting" not in _kinds(report)


def test_obligation_and_duty_of_a_prohibited_action() -> None:
    graph, report = _report("""
ex:offer a odrl:Offer ; odrl:target ex:d ;
  odrl:permission [ odrl:action odrl:use ; odrl:duty ex:must-archive ] ;
  odrl:obligation ex:must-delete .
ex:must-archive odrl:action odrl:archive .
ex:must-delete odrl:action odrl:delete .
ex:rules odrl:prohibition ex:no-archive, ex:no-delete .
ex:no-archive odrl:action odrl:archive .
ex:no-delete odrl:action odrl:delete ; odrl:constraint [ odrl:leftOperand odrl:spatial ;
  odrl:operator odrl:isNoneOf ; odrl:rightOperand "EEA" ] .
""")
    kinds = _kinds(report)
    assert [f["lower"]["rule"] for f in kinds["duty-prohibited"]] == [
        "https://example.org/c/must-archive"]
    assert [f["lower"]["rule"] for f in kinds["obligation-prohibited"]] == [
        "https://example.org/c/must-delete"]
    delete = kinds["obligation-prohibited"][0]
    assert delete["example"]["spatial"] not in ("ES", "DE", "FR")  # outside the EEA
    for finding in (*kinds["duty-prohibited"], delete):
        assert _denied(graph, finding)


def test_disjoint_rules_in_one_tier_are_not_reported() -> None:
    _, report = _report("""
ex:offer a odrl:Offer ; odrl:target ex:d ;
  odrl:permission [ odrl:action odrl:use ; odrl:constraint [ odrl:leftOperand odrl:count ;
    odrl:operator odrl:lteq ; odrl:rightOperand 10 ] ] ;
  odrl:prohibition [ odrl:action odrl:use ; odrl:constraint [ odrl:leftOperand odrl:count ;
    odrl:operator odrl:gt ; odrl:rightOperand 10 ] ] .
""")
    assert "conflicting" not in _kinds(report)


# -- property: every reported conflict's example is one the evaluator denies ------------------
_ACTIONS = ["odrl:use", "odrl:read", "odrl:distribute", "odrl:delete"]
_CONSTRAINTS = [
    "",
    " ; odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ; "
    "odrl:rightOperand ex:Research ]",
    " ; odrl:constraint [ odrl:leftOperand odrl:spatial ; odrl:operator odrl:isNoneOf ; "
    'odrl:rightOperand "EEA" ]',
    " ; odrl:constraint [ odrl:leftOperand odrl:count ; odrl:operator odrl:lteq ; "
    "odrl:rightOperand 5 ]",
    " ; odrl:constraint [ odrl:leftOperand odrl:count ; odrl:operator odrl:gt ; "
    "odrl:rightOperand 3 ]",
]


@st.composite
def _pair(draw: st.DrawFn) -> str:
    lines = []
    for name in ("one", "two"):
        kind = draw(st.sampled_from(["permission", "prohibition", "obligation"]))
        action = draw(st.sampled_from(_ACTIONS))
        extra = draw(st.sampled_from(_CONSTRAINTS))
        if kind == "permission" and draw(st.booleans()):
            extra += f" ; odrl:duty [ odrl:action {draw(st.sampled_from(_ACTIONS))} ]"
        holder = draw(st.sampled_from(["ex:offer", "ex:rules"]))
        lines.append(f"{holder} odrl:{kind} ex:{name} . ex:{name} odrl:action {action}{extra} .")
    lines.append("ex:offer a odrl:Offer ; odrl:target ex:d .")
    lines.append("ex:MedicalResearch <http://www.w3.org/2004/02/skos/core#broader> "
                 "ex:Research .")
    return "\n".join(lines)


@settings(max_examples=40, deadline=None)
@given(_pair())
def test_reported_conflicts_agree_with_the_evaluator(body: str) -> None:
    graph, report = _report(body)
    for finding in report["conflicts"]:
        if "example" in finding:  # (an ambiguous one over the graph plus what it assumes)
            assert shows(graph, finding), (finding, body)


def test_is_a_instances_and_party_collections_through_part_of() -> None:
    # Only an instance of both classes (trial42) satisfies both rules, and only a member
    # of the party collection through odrl:partOf (the lab) is an assignee of both.
    graph, report = _report("""
ex:offer a odrl:Offer ; odrl:target ex:d ; odrl:permission [ odrl:action odrl:use ;
  odrl:assignee ex:consortium ; odrl:constraint [ odrl:leftOperand odrl:purpose ;
    odrl:operator odrl:isA ; odrl:rightOperand ex:FundedStudy ] ] .
ex:consortium a odrl:PartyCollection . ex:lab odrl:partOf ex:consortium .
ex:trial42 a ex:ClinicalTrial, ex:FundedStudy .
ex:rules odrl:prohibition [ odrl:action odrl:read ; odrl:assignee ex:consortium ;
  odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ;
    odrl:rightOperand ex:ClinicalTrial ] ] .
""")
    found = _kinds(report)["prohibited"]
    assert len(found) == 1
    example = found[0]["example"]
    assert example["assignee"] == "https://example.org/c/lab"
    assert example["purpose"] == "https://example.org/c/trial42"
    assert _denied(graph, found[0])
