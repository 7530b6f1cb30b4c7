"""ODRL as the information model writes it: actions as nodes (``rdf:value`` with
refinements), ``odrl:partOf`` asset and party collections; the same over a whole graph and
over a store's slices."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, URIRef

from kg.policy.request import build_request
from kg.policy.source import GraphSource, PolicyEngine, StoreSource
from kg.store.embedded import EmbeddedStore

A = "https://example.org/a/"
TTL = f"""@prefix ex: <{A}> . @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
ex:d a dcat:Dataset ; odrl:partOf ex:images .
ex:images a odrl:AssetCollection ; odrl:partOf ex:archive .
ex:archive a odrl:AssetCollection .
ex:lab odrl:partOf ex:faculty . ex:faculty odrl:partOf ex:university .
ex:university a odrl:PartyCollection .
ex:p a odrl:Set ; odrl:permission [
  odrl:target ex:archive ; odrl:assignee ex:university ;
  odrl:action [ rdf:value odrl:print ;
                odrl:refinement [ odrl:leftOperand odrl:resolution ; odrl:operator odrl:lteq ;
                                  odrl:rightOperand 1200 ] ] ;
  odrl:duty [ odrl:action [ rdf:value odrl:attribute ;
                            odrl:refinement [ odrl:leftOperand odrl:media ;
                                              odrl:operator odrl:eq ;
                                              odrl:rightOperand "online" ] ] ] ] .
"""
# The same permission as JSON-LD, the action an object with rdf:value (inline context).
JSONLD = {
    "@context": {"odrl": "http://www.w3.org/ns/odrl/2/", "ex": A,
                 "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
                 "action": {"@id": "odrl:action", "@type": "@vocab"},
                 "value": {"@id": "rdf:value", "@type": "@id"},
                 "target": {"@id": "odrl:target", "@type": "@id"},
                 "assignee": {"@id": "odrl:assignee", "@type": "@id"},
                 "leftOperand": {"@id": "odrl:leftOperand", "@type": "@vocab"},
                 "operator": {"@id": "odrl:operator", "@type": "@vocab"},
                 "refinement": "odrl:refinement", "rightOperand": "odrl:rightOperand",
                 "permission": "odrl:permission", "duty": "odrl:duty"},
    "@id": "ex:p", "@type": "odrl:Set",
    "permission": [{"target": "ex:archive", "assignee": "ex:university",
                    "action": [{"value": "odrl:print", "refinement": [{
                        "leftOperand": "odrl:resolution", "operator": "odrl:lteq",
                        "rightOperand": 1200}]}],
                    "duty": [{"action": [{"value": "odrl:attribute"}]}]}],
}
FACTS = TTL.split("ex:p a odrl:Set")[0]


def _engines(text: str, fmt: str) -> list[PolicyEngine]:
    graph = Graph().parse(data=text, format=fmt)
    store = EmbeddedStore()
    store.import_quads(graph.serialize(format="nt").encode(), "ntriples",
                       to_graph=URIRef("urn:test:forms"))
    return [PolicyEngine(GraphSource(graph)), PolicyEngine(StoreSource(store))]


def _text(form: str) -> str:
    if form == "turtle":
        return TTL
    graph = Graph().parse(data=FACTS, format="turtle")  # the policy in JSON-LD
    graph.parse(data=json.dumps(JSONLD), format="json-ld")
    return graph.serialize(format="turtle")


def _ask(engine: PolicyEngine, resolution: int | None, done: list[str],
         who: str = "lab") -> str:
    context = {} if resolution is None else {"resolution": resolution}
    return engine.evaluate(build_request(
        assignee=A + who, action="odrl:print", target=A + "d", context=context,
        duties_done=done)).decision


@pytest.mark.parametrize("form", ["turtle", "jsonld"])
def test_action_node_refinement_and_duty(form: str) -> None:
    for engine in _engines(_text(form), "turtle"):
        # the rule applies with its action's refinement ...
        assert _ask(engine, 600, ["odrl:attribute"]) == "permit"
        assert _ask(engine, 2400, ["odrl:attribute"]) == "deny"
        assert _ask(engine, None, ["odrl:attribute"]) == "deny"  # refinement unknown
        # ... naming the duty's action as done clears it, and nothing else does
        assert _ask(engine, 600, []) == "deny"
        assert _ask(engine, 600, ["odrl:print"]) == "deny"
        # the lab is part of the faculty, part of the university (the party collection)
        assert _ask(engine, 600, ["odrl:attribute"], who="stranger") == "deny"


def test_asset_collections_through_part_of() -> None:
    for engine in _engines(TTL, "turtle"):
        decision = engine.evaluate(build_request(
            assignee=A + "faculty", action="odrl:print", target=A + "d",
            context={"resolution": 300}, duties_done=["odrl:attribute"]))
        assert decision.decision == "permit"
        # a dataset outside the archive is not governed by the rule
        other = engine.evaluate(build_request(
            assignee=A + "faculty", action="odrl:print", target=A + "elsewhere",
            context={"resolution": 300}, duties_done=["odrl:attribute"]))
        assert other.decision == "not-applicable"
