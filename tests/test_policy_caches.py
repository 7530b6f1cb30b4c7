"""What single decisions keep between requests (links the store holds, parents' bodies,
catalog chains, parties) follows writes: a decision after a write sees the write."""

from __future__ import annotations

from rdflib import URIRef

from kg.policy.request import build_request
from kg.policy.source import PolicyEngine, StoreSource
from kg.store.embedded import EmbeddedStore

T = "https://example.org/c/"
WORLD = f"""@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dskg: <https://w3id.org/dskg#> .
<{T}space> dskg:catalog <{T}cat> .
<{T}cat> dcat:dataset <{T}d1>, <{T}d2> .
<{T}d1> odrl:hasPolicy <{T}o1> .
<{T}d2> odrl:hasPolicy <{T}o2> .
<{T}o1> a odrl:Offer ; odrl:inheritFrom <{T}base> ; odrl:permission [ odrl:action odrl:use ] .
<{T}o2> a odrl:Offer ; odrl:inheritFrom <{T}base> ; odrl:permission [ odrl:action odrl:use ] .
<{T}base> a odrl:Set ; odrl:permission [ odrl:action odrl:read ] .
"""
ODRL = "PREFIX odrl: <http://www.w3.org/ns/odrl/2/> PREFIX dskg: <https://w3id.org/dskg#> "


def _decide(engine: PolicyEngine, target: str) -> str:
    request = build_request(assignee=f"{T}org", action="odrl:read", target=f"{T}{target}")
    return engine.evaluate(request).decision


def test_decisions_follow_writes_to_what_is_kept() -> None:
    store = EmbeddedStore()
    store.import_quads(WORLD.encode(), "turtle", to_graph=URIRef("urn:test:c"))
    engine = PolicyEngine(StoreSource(store))
    assert _decide(engine, "d1") == "permit"
    assert _decide(engine, "d2") == "permit"
    # a kind of link no policy used before (odrl:prohibition), in a parent's body (kept)
    store.update(ODRL + "INSERT DATA { GRAPH <urn:test:c> { "
                 f"<{T}base> odrl:prohibition [ odrl:action odrl:read ] }} }}")
    assert _decide(engine, "d1") == "deny"
    store.update(ODRL + "DELETE WHERE { GRAPH <urn:test:c> { "
                 f"<{T}base> odrl:prohibition ?r . ?r ?p ?o }} }}")
    assert _decide(engine, "d2") == "permit"
    # a second data space listing the catalog (kept per catalog), its rulebook prohibiting
    store.update(ODRL + "INSERT DATA { GRAPH <urn:test:c> { "
                 f"<{T}space2> dskg:catalog <{T}cat> ; dskg:rulebook <{T}rb> . "
                 f"<{T}rb> odrl:hasPolicy <{T}rbp> . <{T}rbp> a odrl:Set ; odrl:prohibition "
                 f"<{T}no-read> . <{T}no-read> odrl:action odrl:read }} }}")
    assert _decide(engine, "d2") == "deny"
