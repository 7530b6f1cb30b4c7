"""Evaluator scenarios: each asserts the decision and the rule that decided it, over the
whole fixture graph and over the store (bounded slices) alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, Namespace, URIRef

from kg.policy.request import build_request
from kg.policy.source import GraphSource, PolicyEngine, StoreSource
from kg.store.embedded import EmbeddedStore

FIXTURES = Path(__file__).parent / "fixtures" / "policy"
T = Namespace("https://example.org/t/")
F = Namespace("https://example.org/f/")

# (name, fixture, request, decision, deciding rule (or None), deciding status (or None))
SCENARIOS: list[tuple[str, str, dict[str, Any], str, str | None, str | None]] = [
    # --- tiers -----------------------------------------------------------------------------
    ("tier: offer grants read as part of use, duty done", "tiers",
     dict(assignee=T.uniB, action="odrl:read", target=T["d-records"],
          purpose=T.CancerResearch, duties_done=["odrl:attribute"]),
     "permit", T["records-research"], "permits"),
    ("tier: offer duty not done", "tiers",
     dict(assignee=T.uniB, action="odrl:read", target=T["d-records"],
          purpose=T.CancerResearch), "deny", T["records-research"], "duty-unmet"),
    ("tier: national prohibition beats offer and rulebook", "tiers",
     dict(assignee=T.uniB, action="odrl:read", target=T["d-records"], purpose=T.Marketing,
          duties_done=["odrl:attribute"]), "deny", T["es-no-commercial-health"], "prohibits"),
    ("tier: prohibition that may apply (no purpose given) denies", "tiers",
     dict(assignee=T.uniB, action="odrl:read", target=T["d-records"]),
     "deny", T["es-no-commercial-health"], "prohibits"),
    ("tier: sub-organisation of a member", "tiers",
     dict(assignee=T["uniB-lab"], action="odrl:read", target=T["d-records"],
          purpose=T.CancerResearch, duties_done=["odrl:attribute"]),
     "permit", T["records-research"], "permits"),
    ("tier: non-member stopped by the rulebook's party collection", "tiers",
     dict(assignee=T.outsider, action="odrl:read", target=T["d-records"],
          purpose=T.CancerResearch, duties_done=["odrl:attribute"]),
     "deny", T["rb-members-use"], "not-permitted"),
    ("tier: EU prohibition on transfer outside the EEA", "tiers",
     dict(assignee=T.uniB, action="odrl:transfer", target=T["d-records"], spatial="US"),
     "deny", T["gdpr-no-transfer"], "prohibits"),
    ("tier: transfer inside the EEA (Norway)", "tiers",
     dict(assignee=T.uniB, action="odrl:transfer", target=T["d-records"], spatial="NO"),
     "permit", T["records-transfer"], "permits"),
    ("tier: transfer with no place given", "tiers",
     dict(assignee=T.uniB, action="odrl:transfer", target=T["d-records"]),
     "deny", T["gdpr-no-transfer"], "prohibits"),
    ("tier: rulebook prohibits sell (under transfer)", "tiers",
     dict(assignee=T.uniB, action="odrl:sell", target=T["d-records"], spatial="ES"),
     "deny", T["rb-no-sell"], "prohibits"),
    ("tier: EU permission narrows the offer (no secure environment)", "tiers",
     dict(assignee=T.uniB, action="odrl:use", target=T["d-registry"]),
     "deny", T["dga-reuse"], "not-permitted"),
    ("tier: EU permission met", "tiers",
     dict(assignee=T.uniB, action="odrl:use", target=T["d-registry"],
          context={str(T.environment): str(T.SecureProcessingEnvironment)}),
     "permit", T["registry-use"], "permits"),
    ("tier: rulebook grants when the dataset has no offer", "tiers",
     dict(assignee=T.acme, action="odrl:use", target=T["d-open"]),
     "permit", T["rb-members-use"], "permits"),
    ("tier: no rule on the action", "tiers",
     dict(assignee=T.uniB, action="odrl:transfer", target=T["d-open"]),
     "not-applicable", None, None),
    ("tier: no policy at all", "tiers",
     dict(assignee=T.uniB, action="odrl:use", target=T["unknown"]),
     "not-applicable", None, None),
    ("tier: offer date window closed, unconstrained read still open", "tiers",
     dict(assignee=T.uniB, action="odrl:distribute", target=T["d-stats"], at="2031-01-01",
          purpose=T.MedicalResearch), "deny", T["offer-stats#permission-1"], "not-permitted"),
    # --- operators -------------------------------------------------------------------------
    ("lteq integer held", "features",
     dict(action="odrl:print", target=F["d-count"], context={"count": "5"}),
     "permit", F["p-count"], "permits"),
    ("lteq integer failed", "features",
     dict(action="odrl:print", target=F["d-count"], context={"count": 11}),
     "deny", F["p-count"], "not-permitted"),
    ("neq place", "features", dict(target=F["d-neq"], spatial="US"),
     "deny", F["p-neq"], "not-permitted"),
    ("date and dateTime window inside", "features",
     dict(target=F["d-window"], at="2025-06-01"), "permit", F["p-window"], "permits"),
    ("date window upper bound is exclusive", "features",
     dict(target=F["d-window"], at="2026-01-01T00:00:00Z"), "deny", F["p-window"],
     "not-permitted"),
    ("date window before start", "features",
     dict(target=F["d-window"], at="2024-12-31T23:59:59Z"), "deny", F["p-window"],
     "not-permitted"),
    ("elapsedTime duration held", "features",
     dict(target=F["d-elapsed"], context={"elapsedTime": "P10D"}), "permit", F["p-elapsed"],
     "permits"),
    ("elapsedTime duration failed (two months)", "features",
     dict(target=F["d-elapsed"], context={"elapsedTime": "P2M"}), "deny", F["p-elapsed"],
     "not-permitted"),
    ("payAmount decimal failed", "features",
     dict(target=F["d-pay"], context={"payAmount": "99.5"}), "deny", F["p-pay"],
     "not-permitted"),
    ("version compared numerically", "features",
     dict(target=F["d-version"], context={"version": "2.10.1"}), "permit", F["p-version"],
     "permits"),
    ("version 2.9 below 2.10", "features",
     dict(target=F["d-version"], context={"version": "2.9"}), "deny", F["p-version"],
     "not-permitted"),
    ("isPartOf EU with an EU authority country IRI", "features",
     dict(target=F["d-eu"],
          spatial="http://publications.europa.eu/resource/authority/country/DEU"),
     "permit", F["p-eu"], "permits"),
    ("isPartOf EU: Norway is EEA, not EU", "features",
     dict(target=F["d-eu"], spatial="NO"), "deny", F["p-eu"], "not-permitted"),
    ("hasPart: EU includes Spain", "features",
     dict(target=F["d-haspart"], context={str(F.coverage): "EU"}), "permit", F["p-haspart"],
     "permits"),
    ("isAllOf missing one", "features",
     dict(target=F["d-allof"], context={str(F.certification): [str(F.ISO27001)]}),
     "deny", F["p-allof"], "not-permitted"),
    ("isAllOf both", "features",
     dict(target=F["d-allof"], context={str(F.certification): [str(F.ISO27001),
                                                               str(F.SOC2)]}),
     "permit", F["p-allof"], "permits"),
    ("isAnyOf through the concept hierarchy", "features",
     dict(target=F["d-anyof"], context={"industry": str(F.Hospitals)}), "permit",
     F["p-anyof"], "permits"),
    ("isNoneOf hit", "features", dict(target=F["d-noneof"], spatial="CN"),
     "deny", F["p-noneof"], "not-permitted"),
    ("event not given is unknown", "features", dict(target=F["d-event"]),
     "deny", F["p-event"], "not-permitted"),
    ("recipient isPartOf an organisation (sub-organisation)", "features",
     dict(action="odrl:distribute", target=F["d-recipient"],
          context={"odrl:recipient": str(F["bob-lab"])}), "permit", F["p-recipient"],
     "permits"),
    # --- logical constraints -------------------------------------------------------------
    ("or: second branch", "features",
     dict(target=F["d-or"], purpose=F.ClimateResearch), "permit", F["p-or"], "permits"),
    ("or: neither", "features",
     dict(target=F["d-or"], purpose=F.Retail, context={"industry": str(F.Retail)}),
     "deny", F["p-or"], "not-permitted"),
    ("xone: exactly one", "features",
     dict(target=F["d-xone"], purpose=F.Research, context={"industry": str(F.Retail)}),
     "permit", F["p-xone"], "permits"),
    ("xone: both is too many", "features",
     dict(target=F["d-xone"], purpose=F.Research, context={"industry": str(F.Health)}),
     "deny", F["p-xone"], "not-permitted"),
    ("andSequence stops at the first failure", "features",
     dict(target=F["d-seq"], context={"count": 9, "elapsedTime": "PT5H"}),
     "deny", F["p-seq"], "not-permitted"),
    # --- refinements ---------------------------------------------------------------------
    ("action refinement met", "features",
     dict(action="odrl:print", target=F["d-print"], context={"resolution": 600}),
     "permit", F["p-print"], "permits"),
    ("action refinement failed", "features",
     dict(action="odrl:print", target=F["d-print"], context={"resolution": 2400}),
     "deny", F["p-print"], "not-permitted"),
    ("party refinement on role: consumer", "features", dict(target=F["d-consumers"]),
     "permit", F["p-consumers"], "permits"),
    ("party refinement on role: provider refused", "features",
     dict(assignee=F.carol, target=F["d-consumers"]), "deny", F["p-consumers"],
     "not-permitted"),
    ("party refinement on country: US member refused", "features",
     dict(assignee=F.bob, target=F["d-eea-parties"]), "deny", F["p-eea-parties"],
     "not-permitted"),
    ("party refinement on country: Norwegian member", "features",
     dict(assignee=F.carol, target=F["d-eea-parties"]), "permit", F["p-eea-parties"],
     "permits"),
    ("named assignee reached through the org hierarchy", "features",
     dict(assignee=F["bob-lab"], target=F["d-bob"]), "permit", F["p-bob"], "permits"),
    # --- duties and obligations ----------------------------------------------------------
    ("duty done named by its IRI", "features",
     dict(target=F["d-duty"], duties_done=[str(F["duty-attribute"])]), "permit",
     F["p-duty"], "permits"),
    ("conditional duty not owed", "features",
     dict(target=F["d-conditional-duty"], context={"count": 5}), "permit",
     F["p-cond-duty"], "permits"),
    ("conditional duty owed", "features",
     dict(target=F["d-conditional-duty"], context={"count": 500}), "deny",
     F["p-cond-duty"], "duty-unmet"),
    ("policy obligation owed", "features", dict(target=F["d-obligation"]),
     "deny", F["o-inform"], "obligation-unmet"),
    ("policy obligation fulfilled", "features",
     dict(target=F["d-obligation"], duties_done=["odrl:inform"]), "permit",
     F["p-obligation"], "permits"),
    # --- conflict strategies -------------------------------------------------------------
    ("default strategy invalid voids the policy", "features",
     dict(action="odrl:distribute", target=F["d-invalid"]), "deny", F["invalid-use"],
     "void"),
    ("invalid strategy does not matter without a conflict", "features",
     dict(action="odrl:read", target=F["d-invalid"]), "permit", F["invalid-use"], "permits"),
    ("perm strategy: permission wins", "features",
     dict(action="odrl:distribute", target=F["d-perm"]), "permit", F["perm-use"], "permits"),
    ("prohibit strategy: prohibition wins", "features",
     dict(action="odrl:distribute", target=F["d-prohibit"]), "deny",
     F["prohibit-no-distribute"], "prohibits"),
    ("prohibition for one party only", "features",
     dict(assignee=F.bob, target=F["d-ban"]), "deny", F["ban-bob"], "prohibits"),
    ("prohibition for another party", "features", dict(target=F["d-ban"]),
     "permit", F["ban-use"], "permits"),
    # --- actions -------------------------------------------------------------------------
    ("deprecated copy is reproduce", "features",
     dict(action="odrl:copy", target=F["d-reproduce"]), "permit", F["p-reproduce"],
     "permits"),
    ("transfer is not under use", "features",
     dict(action="odrl:transfer", target=F["d-inherit"]), "not-applicable", None, None),
    ("custom action included in use", "features",
     dict(action=str(F.analyse), target=F["d-inherit"]), "permit", F["inherit-use"],
     "permits"),
    ("implied action prohibited", "features",
     dict(action=str(F.publish), target=F["d-implies"]), "deny", F["no-distribute"],
     "prohibits"),
    # --- inheritance and alternatives ------------------------------------------------------
    ("prohibition inherited from a template", "features",
     dict(action="odrl:sell", target=F["d-inherit"]), "deny", F["template-no-sell"],
     "prohibits"),
    ("inheritance cycle still evaluates", "features",
     dict(action="odrl:print", target=F["d-cycle"]), "deny", F["cycle-no-print"],
     "prohibits"),
    ("missing parent still evaluates", "features",
     dict(action="odrl:read", target=F["d-orphan"]), "permit", F["orphan-use"], "permits"),
    ("two offers: the members' one", "features", dict(target=F["d-two"]),
     "permit", F["members-free"], "permits"),
    ("two offers: the paid one without paying", "features",
     dict(assignee=F.bob, target=F["d-two"]), "deny", F["paid-use"], "duty-unmet"),
    ("two offers: the paid one after paying", "features",
     dict(assignee=F.bob, target=F["d-two"], duties_done=["odrl:compensate"]), "permit",
     F["paid-use"], "permits"),
]


def _load(name: str) -> Graph:
    return Graph().parse(FIXTURES / f"{name}.ttl")


@pytest.fixture(scope="module", params=["graph", "store"])
def engines(request: pytest.FixtureRequest) -> Iterator[dict[str, PolicyEngine]]:
    if request.param == "graph":
        yield {name: PolicyEngine(GraphSource(_load(name))) for name in ("tiers", "features")}
        return
    stores = {}
    for name in ("tiers", "features"):
        store = EmbeddedStore()
        store.import_quads((FIXTURES / f"{name}.ttl").read_bytes(), "turtle",
                           to_graph=URIRef(f"urn:test:{name}"))
        stores[name] = store
    yield {name: PolicyEngine(StoreSource(store)) for name, store in stores.items()}
    for store in stores.values():
        store.close()


def _request(fields: dict[str, Any]):
    data = {k: (str(v) if isinstance(v, URIRef) else v) for k, v in fields.items()}
    data.setdefault("assignee", str(F.alice))
    data.setdefault("action", "odrl:use")
    return build_request(**data)


def test_at_least_forty_scenarios() -> None:
    assert len(SCENARIOS) >= 40


@pytest.mark.parametrize(("name", "fixture", "fields", "decision", "rule", "status"),
                         SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_scenario(engines: dict[str, PolicyEngine], name: str, fixture: str,
                  fields: dict[str, Any], decision: str, rule: str | None,
                  status: str | None) -> None:
    result = engines[fixture].evaluate(_request(fields))
    assert result.decision == decision, result.reason
    if rule is None:
        assert result.deciding is None
        assert result.reason.startswith("not applicable")
        return
    assert result.deciding is not None
    assert result.deciding.status == status
    assert result.deciding.deciding[0].rule.id == str(rule), result.reason
    assert result.reason.startswith("permitted:" if decision == "permit" else "denied:")
    payload = result.to_json()
    decisive = [t for t in payload["trace"] if t.get("decisive")]
    assert decisive and decisive[0]["rule"] == str(rule)
