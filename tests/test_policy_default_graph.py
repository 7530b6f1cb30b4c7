"""The evaluator over the shipped default graph (structural facts only)."""

from __future__ import annotations

import io

import pytest
from rdflib import Dataset, Graph, URIRef

from kg.namespaces import ODRL
from kg.policy.conflicts import find_conflicts
from kg.policy.request import build_request
from kg.policy.source import GraphSource, PolicyEngine, StoreSource
from kg.store import Store

NOBODY = "https://w3id.org/dskg/id/organisation/nobody-in-particular"


@pytest.fixture(scope="module")
def offered(default_store: Store) -> list[URIRef]:
    rows = default_store.query(
        "PREFIX odrl: <http://www.w3.org/ns/odrl/2/> SELECT DISTINCT ?d WHERE { "
        "?d odrl:hasPolicy ?o . ?o a odrl:Offer }").rows
    if not rows:
        pytest.skip("the default graph has no offers yet")
    return sorted(row[0] for row in rows if isinstance(row[0], URIRef))


@pytest.fixture(scope="module")
def whole(default_store: Store) -> Graph:
    buffer = io.BytesIO()
    default_store.export(buffer, "nquads")
    dataset = Dataset()
    dataset.parse(data=buffer.getvalue(), format="nquads")
    graph = Graph()
    for s, p, o, _g in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def test_every_offer_sits_under_a_tier_policy(default_store: Store,
                                              offered: list[URIRef]) -> None:
    engine = PolicyEngine(StoreSource(default_store))
    for dataset in offered:
        decision = engine.evaluate(build_request(assignee=NOBODY, action="odrl:use",
                                                 target=str(dataset)))
        layers = {g.layer for g in decision.effective.governing}
        assert "offer" in layers, dataset
        assert layers - {"offer"}, f"{dataset} has no tier policy above its offer"
        assert decision.decision in ("permit", "deny", "not-applicable")
        assert decision.reason


def test_store_slices_agree_with_the_whole_graph(default_store: Store, whole: Graph,
                                                 offered: list[URIRef]) -> None:
    from_store = PolicyEngine(StoreSource(default_store))
    from_graph = PolicyEngine(GraphSource(whole))
    for index, dataset in enumerate(offered[::3]):
        action = ("odrl:use", "odrl:distribute")[index % 2]
        request = build_request(assignee=NOBODY, action=action, target=str(dataset),
                                spatial="US")
        a, b = from_store.evaluate(request), from_graph.evaluate(request)
        assert (a.decision, a.reason) == (b.decision, b.reason)


def test_conflict_report_shape(whole: Graph) -> None:
    report = find_conflicts(whole).to_json()
    assert report["count"] == len(report["conflicts"])
    assert report["assetsChecked"] >= 10
    for finding in report["conflicts"]:
        if finding["kind"] in ("prohibited", "widens"):
            assert finding["lower"]["rule"] and finding["higher"]["rule"]
            assert finding["example"]["target"]
    assert any(True for _ in whole.subjects(ODRL.inheritFrom, None))
