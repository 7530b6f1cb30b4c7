"""POST /policies/evaluate, /policies/evaluate/batch and GET /policies/conflicts."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Namespace, URIRef

from kg.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "policy"
T = Namespace("https://example.org/t/")


@pytest.fixture
def api(client: TestClient, store: Store) -> TestClient:
    store.import_quads((FIXTURES / "tiers.ttl").read_bytes(), "turtle",
                       to_graph=URIRef("urn:test:tiers"))
    return client


def test_evaluate(api: TestClient) -> None:
    response = api.post("/policies/evaluate", json={
        "assignee": str(T.uniB), "action": "odrl:read", "target": str(T["d-records"]),
        "purpose": str(T.CancerResearch), "dutiesDone": ["odrl:attribute"],
        "at": "2025-05-01T00:00:00Z", "context": {"odrl:count": 1}})
    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == "permit"
    assert body["deciding"]["rules"] == [str(T["records-research"])]
    assert body["reason"].startswith("permitted: the offer rule")
    layers = [p["layer"] for p in body["policies"]]
    assert layers == sorted(layers, key=["EU-tier", "national-tier", "project-tier",
                                         "offer"].index)


def test_evaluate_deny_explains(api: TestClient) -> None:
    body = api.post("/policies/evaluate", json={
        "assignee": str(T.uniB), "action": "odrl:transfer", "target": str(T["d-records"]),
        "spatial": "US"}).json()
    assert body["decision"] == "deny"
    assert "`odrl:transfer`" in body["reason"] and "outside EEA" in body["reason"]


@pytest.mark.parametrize("payload", [
    {"action": "odrl:use", "target": "urn:x:d"},
    {"assignee": "urn:x:a", "action": "odrl:use", "target": "urn:x:d", "colour": "red"},
    {"assignee": "urn:x:a", "action": "odrl:use", "target": "urn:x:d", "dutiesDone": "x"},
    {"assignee": "urn:x:a", "action": "odrl:use", "target": "urn:x:d", "at": "later"},
    ["not", "an", "object"],
])
def test_evaluate_bad_request(api: TestClient, payload: object) -> None:
    response = api.post("/policies/evaluate", json=payload)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_evaluate_rejects_non_json(api: TestClient) -> None:
    response = api.post("/policies/evaluate", content=b"{nope",
                        headers={"content-type": "application/json"})
    assert response.status_code == 400


def test_batch_keeps_order(api: TestClient) -> None:
    requests = [
        {"assignee": str(T.uniB), "action": "odrl:transfer", "target": str(T["d-records"]),
         "spatial": spatial} for spatial in ("US", "NO", "CN")
    ] + [{"assignee": str(T.uniB), "action": "odrl:transfer", "target": str(T["d-open"])}]
    body = api.post("/policies/evaluate/batch", json={"requests": requests}).json()
    assert [r["decision"] for r in body["results"]] == ["deny", "permit", "deny",
                                                        "not-applicable"]
    single = api.post("/policies/evaluate", json=requests[1]).json()
    assert body["results"][1]["reason"] == single["reason"]


def test_batch_errors_name_the_request(api: TestClient) -> None:
    response = api.post("/policies/evaluate/batch", json={"requests": [
        {"assignee": str(T.uniB), "action": "odrl:use", "target": str(T["d-open"])},
        {"assignee": "bad", "action": "odrl:use", "target": str(T["d-open"])}]})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("requests[1]:")
    assert api.post("/policies/evaluate/batch", json={"nope": []}).status_code == 400


def test_conflicts(api: TestClient) -> None:
    body = api.get("/policies/conflicts").json()
    assert body["count"] == len(body["conflicts"])
    pairs = {(c["lower"]["rule"], c["higher"]["rule"]) for c in body["conflicts"]
             if c["kind"] == "prohibited"}
    assert (str(T["records-transfer"]), str(T["gdpr-no-transfer"])) in pairs
    assert body["classes"] == {c: sum(f["class"] == c for f in body["conflicts"])
                               for c in body["classes"]}
    assert {f["class"] for f in body["conflicts"]} <= {"conflict", "ambiguous", "problem"}
    for finding in body["conflicts"]:
        assert ("assuming" in finding) == (finding["class"] == "ambiguous")
