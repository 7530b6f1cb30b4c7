"""Effective offers (kg/dsp/offers.py) on a small graph: what each tier adds or removes, and
that meeting the offer as shown is what the evaluator permits."""

from __future__ import annotations

from datetime import UTC, datetime

from rdflib import Graph, URIRef

from kg.dsp.offers import effective_offers
from kg.namespaces import ODRL
from kg.policy.evaluator import Evaluator
from kg.policy.request import Request
from kg.policy.tiers import effective_policy
from tests.dsp.validate import assert_valid

EX = "https://example.org/"
TURTLE = f"""
@prefix ex: <{EX}> . @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dskg: <https://w3id.org/dskg#> .
@prefix org: <http://www.w3.org/ns/org#> .
ex:space a dskg:DataSpace ; dskg:catalog ex:catalog ; dskg:rulebook ex:rulebook ;
    dskg:subjectTo ex:law .
ex:catalog a dcat:Catalog ; dcat:dataset ex:data .
ex:law dskg:tier dskg:EUTier ; odrl:hasPolicy ex:law-policy .
ex:law-policy a odrl:Set ; odrl:uid ex:law-policy ; dskg:tier dskg:EUTier ;
    odrl:prohibition [ odrl:action odrl:distribute ;
        odrl:constraint [ odrl:leftOperand odrl:spatial ; odrl:operator odrl:eq ;
                          odrl:rightOperand "US" ] ] ;
    odrl:prohibition [ odrl:action odrl:sell ] .
ex:rulebook odrl:hasPolicy ex:rules .
ex:rules a odrl:Set ; odrl:uid ex:rules ; dskg:tier dskg:ProjectTier ;
    odrl:permission [ odrl:action odrl:use ; odrl:assignee ex:space ;
        odrl:duty [ odrl:action odrl:attribute ] ] .
ex:member-ship a org:Membership ; org:member ex:member ; org:organization ex:space .
ex:data a dcat:Dataset ; odrl:hasPolicy ex:offer .
ex:offer a odrl:Offer ; odrl:uid ex:offer ; odrl:assigner ex:publisher ;
    odrl:permission [ odrl:action odrl:use ;
        odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:eq ;
                          odrl:rightOperand ex:research ] ] ;
    odrl:permission [ odrl:action odrl:sell ] .
"""


def offers() -> tuple[list, Evaluator]:
    graph = Graph().parse(data=TURTLE, format="turtle")
    evaluator = Evaluator(graph)
    return effective_offers(effective_policy(graph, URIRef(EX + "data")), evaluator), evaluator


def test_tiers_fold_into_the_offer() -> None:
    [offer], _evaluator = offers()
    body = offer.to_json()
    assert body["@id"].startswith(EX + "offer#dsp-") and body["assigner"] == EX + "publisher"
    # selling is always prohibited by the EU tier: that permission is gone
    assert [p["action"] for p in body["permission"]] == ["odrl:use"]
    [use] = body["permission"]
    assert use["assignee"] == EX + "space"  # the rulebook's party
    assert use["duty"] == [{"action": "odrl:attribute"}]  # the rulebook's duty
    assert use["constraint"] == [{"leftOperand": "odrl:purpose", "operator": "eq",
                                  "rightOperand": {"@id": EX + "research"}}]
    # distributing (included in use) in the US is prohibited: shown as a prohibition
    assert body["prohibition"] == [{"action": "odrl:distribute", "constraint": [{
        "leftOperand": "odrl:spatial", "operator": "eq", "rightOperand": "US"}]}]
    assert offer.to_json() == body  # stable
    assert_valid("dataset", {"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
                             "@id": EX + "data", "@type": "Dataset", "hasPolicy": [body],
                             "distribution": [{"format": "x", "accessService": "y"}]})


def test_meeting_the_offer_is_permitted_and_missing_any_part_is_not() -> None:
    [offer], evaluator = offers()
    member, outsider = URIRef(EX + "member"), URIRef(EX + "outsider")
    context = {ODRL.purpose: (URIRef(EX + "research"),)}

    def decide(who: URIRef, ctx: dict, duties: frozenset) -> str:
        request = Request(who, ODRL.use, URIRef(EX + "data"), datetime.now(UTC), ctx, duties)
        return evaluator.evaluate(request).decision

    done = frozenset({ODRL.attribute})
    assert decide(member, context, done) == "permit"
    assert decide(outsider, context, done) == "deny"  # the party the offer shows
    assert decide(member, {}, done) == "deny"  # the constraint it shows
    assert decide(member, context, frozenset()) == "deny"  # the duty it shows
    assert offer.permits(evaluator, member, URIRef(EX + "data"))
    assert not offer.permits(evaluator, outsider, URIRef(EX + "data"))
