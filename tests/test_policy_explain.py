"""Explanations, request parsing, tiers and the store slices."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef

from kg.errors import BadRequest
from kg.namespaces import DSKG, ODRL, compact
from kg.policy.actions import odrl_actions
from kg.policy.iris import expand
from kg.policy.model import parse_policy
from kg.policy.request import build_request, request_from_json
from kg.policy.source import GraphSource, PolicyEngine, StoreSource
from kg.policy.tiers import effective_policy
from kg.store.embedded import EmbeddedStore

FIXTURES = Path(__file__).parent / "fixtures" / "policy"
T = Namespace("https://example.org/t/")
F = Namespace("https://example.org/f/")


@pytest.fixture(scope="module")
def tiers() -> Graph:
    return Graph().parse(FIXTURES / "tiers.ttl")


def test_prefixed_names_and_compaction() -> None:
    assert expand("odrl:use") == ODRL.use
    assert expand("dskg:EUTier") == DSKG.EUTier
    assert expand("urn:example:x") == URIRef("urn:example:x")
    assert compact(ODRL.use) == "odrl:use"
    for bad in ("", "use", "odr:use", "http://x/a b", "<odrl:use>"):
        with pytest.raises(BadRequest):
            expand(bad)


def test_action_hierarchy_from_the_shipped_vocabulary() -> None:
    actions = odrl_actions()
    assert actions.covers(ODRL.use, ODRL.read)
    assert actions.covers(ODRL.transfer, ODRL.sell)
    assert actions.covers(ODRL.play, ODRL.display)
    assert not actions.covers(ODRL.use, ODRL.transfer)
    assert not actions.covers(ODRL.read, ODRL.use)
    assert actions.canonical(ODRL.copy) == ODRL.reproduce
    assert actions.overlap(ODRL.use, ODRL.print) == ODRL.print


def test_effective_policy_ranks(tiers: Graph) -> None:
    effective = effective_policy(tiers, T["d-records"])
    ranks = {str(g.policy.id): (g.layer, g.route) for g in effective.governing}
    assert ranks[str(T["gdpr-set"])] == ("EU-tier", "framework")
    assert ranks[str(T["dga-set"])] == ("EU-tier", "framework")
    assert ranks[str(T["es-set"])] == ("national-tier", "framework")
    assert ranks[str(T["rb-policy"])] == ("project-tier", "rulebook")
    assert ranks[str(T["offer-records"])] == ("offer", "offer")
    assert effective.dataspaces == [T["ds-health"]]
    assert effective.problems == []


def test_reason_names_rule_tier_operand_and_value(tiers: Graph) -> None:
    engine = PolicyEngine(GraphSource(tiers))
    decision = engine.evaluate(build_request(assignee=str(T.uniB), action="odrl:transfer",
                                             target=str(T["d-records"]), spatial="US"))
    assert decision.reason == (
        "denied: the EU-tier rule `https://example.org/t/gdpr-no-transfer` prohibits "
        "`odrl:transfer` when `https://example.org/t/personalData` is true and "
        "`odrl:spatial` is outside EEA; requested: `https://example.org/t/personalData` = "
        "true, `odrl:spatial` = US")
    text = decision.to_text()
    assert text.startswith("DENY: denied:")
    assert "* prohibition https://example.org/t/gdpr-no-transfer" in text


def test_missing_operand_is_named(tiers: Graph) -> None:
    decision = PolicyEngine(GraphSource(tiers)).evaluate(build_request(
        assignee=str(T.uniB), action="odrl:transfer", target=str(T["d-records"])))
    assert decision.reason.endswith("the request does not give `odrl:spatial`")
    entry = next(t for t in decision.to_json()["trace"] if t.get("decisive"))
    spatial = [c for c in entry["constraints"] if c.get("leftOperand") == str(ODRL.spatial)]
    assert spatial[0]["held"] is None and spatial[0]["value"] == []


def test_trace_covers_every_rule_of_every_policy(tiers: Graph) -> None:
    decision = PolicyEngine(GraphSource(tiers)).evaluate(build_request(
        assignee=str(T.uniB), action="odrl:read", target=str(T["d-records"]),
        purpose=str(T.Research), duties_done=["odrl:attribute"]))
    trace = decision.to_json()["trace"]
    rules = {t["rule"] for t in trace}
    assert {str(T["gdpr-no-transfer"]), str(T["rb-no-sell"]),
            str(T["records-transfer"])} <= rules
    irrelevant = next(t for t in trace if t["rule"] == str(T["rb-no-sell"]))
    assert irrelevant["relevant"] is False and irrelevant["outcome"] == "not-relevant"
    research = next(t for t in trace if t["rule"] == str(T["records-research"]))
    assert research["duties"][0]["done"] is True
    assert research["party"]["held"] is True
    assert "member" in research["party"]["detail"]


def test_blank_node_rules_have_stable_names() -> None:
    graph = Graph().parse(FIXTURES / "tiers.ttl")
    first = [r.id for r in parse_policy(graph, T["offer-stats"]).rules]
    again = [r.id for r in parse_policy(Graph().parse(FIXTURES / "tiers.ttl"),
                                        T["offer-stats"]).rules]
    assert first == again == [str(T["offer-stats"]) + "#permission-1",
                              str(T["offer-stats"]) + "#permission-2"]


def test_request_json_round_trip() -> None:
    request = request_from_json({"assignee": "urn:x:a", "action": "odrl:use",
                                 "target": "urn:x:d", "spatial": "es",
                                 "context": {"count": 3, "odrl:recipient": "urn:x:r",
                                             "payAmount": 9.5},
                                 "dutiesDone": ["odrl:attribute"]})
    assert request.values(ODRL.spatial) == (Literal("ES"),)
    assert request.values(ODRL["count"]) == (Literal(3),)
    assert request.values(ODRL.recipient) == (URIRef("urn:x:r"),)
    assert str(request.values(ODRL.payAmount)[0]) == "9.5"
    assert request.to_json()["dutiesDone"] == [str(ODRL.attribute)]


def test_store_slices_are_bounded() -> None:
    """Many unrelated offers in the store do not enter one request's slice."""
    store = EmbeddedStore()
    store.import_quads((FIXTURES / "tiers.ttl").read_bytes(), "turtle",
                       to_graph=URIRef("urn:test:tiers"))
    noise = "\n".join(
        f"<urn:x:d{i}> <{ODRL.hasPolicy}> <urn:x:o{i}> . <urn:x:o{i}> a <{ODRL.Offer}> ; "
        f"<{ODRL.permission}> [ <{ODRL.action}> <{ODRL.use}> ] . "
        f"<{T['cat-health']}> <http://www.w3.org/ns/dcat#dataset> <urn:x:d{i}> ."
        for i in range(300))
    store.import_quads(noise.encode(), "turtle", to_graph=URIRef("urn:test:noise"))
    source = StoreSource(store)
    request = build_request(assignee=str(T.uniB), action="odrl:read",
                            target=str(T["d-records"]), purpose=str(T.Research),
                            duties_done=["odrl:attribute"])
    graph = source.evaluator_for(request).graph
    assert not any(str(s).startswith("urn:x:") for s in graph.subjects())
    assert len(graph) < 200
    assert PolicyEngine(source).evaluate(request).decision == "permit"


def test_batch_shares_slices_and_matches_single() -> None:
    store = EmbeddedStore()
    store.import_quads((FIXTURES / "features.ttl").read_bytes(), "turtle",
                       to_graph=URIRef("urn:test:features"))
    engine = PolicyEngine(StoreSource(store))
    requests = [build_request(assignee=str(F.alice), action="odrl:print",
                              target=str(F["d-count"]), context={"count": n})
                for n in (1, 10, 11)]
    batch = engine.evaluate_many(requests)
    assert [d.decision for d in batch] == ["permit", "permit", "deny"]
    assert [d.reason for d in batch] == [engine.evaluate(r).reason for r in requests]
    evaluators = engine.source.evaluators_for(requests)
    assert evaluators[0] is evaluators[1] is evaluators[2]
