"""Example request bodies for every kind, in Turtle and in JSON-LD with our context.

They are what ``/docs`` shows, and the tests post them: each is valid against the shapes
given the default graph (it names Agdatahub, its data space, catalog and rulebook policy).
Relative IRIs resolve against ``{base}id/{kind}/``; blank nodes get minted IRIs.
"""

from __future__ import annotations

from typing import Any

from kg.jsonld import DSKG_CONTEXT_URL

ID = "https://w3id.org/dskg/id/"
ORGANISATION = ID + "organisation/agdatahub"
SPACE = ID + "dataspace/agdatahub"
CATALOG = ID + "catalog/agdatahub"
RULEBOOK_POLICY = ID + "policy/agdatahub-rulebook"
DATASET = ID + "dataset/agdatahub-farm-data"
MEMBER = ID + "organisation/the-govlab"
EU_FRAMEWORKS = (ID + "framework/gdpr", ID + "framework/data-governance-act")
RESEARCH = ID + "concept/research"

_PREFIXES = """@prefix dskg: <https://w3id.org/dskg#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
"""

TURTLE: dict[str, str] = {
    "organisations": _PREFIXES + f"""
<cooperativa-agricola-ejemplo> a org:Organization ;
    skos:prefLabel "Cooperativa Agrícola Ejemplo"@es ;
    foaf:name "Cooperativa Agrícola Ejemplo" ;
    dct:description "A farmers' cooperative that shares crop data through Agdatahub."@en ;
    dskg:country "ES" .

[] a org:Membership ;
    org:member <cooperativa-agricola-ejemplo> ;
    org:organization <{SPACE}> ;
    org:role dskg:DataProvider .
""",
    "dataspaces": _PREFIXES + f"""
<olive-oil-data-space> a dskg:DataSpace ;
    skos:prefLabel "Olive oil data space"@en ;
    foaf:name "Olive oil data space" ;
    dct:description "Producers and mills share harvest and quality data."@en ;
    dskg:tier dskg:ProjectTier ;
    dskg:country "ES" ;
    dcat:theme <http://publications.europa.eu/resource/authority/data-theme/AGRI> ;
    dskg:governedBy <{ORGANISATION}> ;
    dskg:subjectTo <{EU_FRAMEWORKS[0]}>, <{EU_FRAMEWORKS[1]}> ;
    dskg:rulebook [ a dskg:Rulebook ; dct:title "Olive oil data space rules"@en ] ;
    dskg:catalog [ a dcat:Catalog ;
        dct:title "Olive oil data space catalog"@en ;
        dct:description "Datasets offered in the olive oil data space."@en ;
        dct:publisher <{ORGANISATION}> ] .

[] a org:Membership ;
    org:member <{ORGANISATION}> ;
    org:organization <olive-oil-data-space> ;
    org:role dskg:GovernanceAuthority .
""",
    "datasets": _PREFIXES + f"""
<soil-moisture-readings> a dcat:Dataset ;
    dct:title "Soil moisture readings"@en ;
    dct:description "Hourly soil moisture from field sensors of member farms."@en ;
    dct:publisher <{ORGANISATION}> ;
    dcat:theme <http://publications.europa.eu/resource/authority/data-theme/AGRI> ;
    dcat:keyword "soil"@en, "sensors"@en ;
    dcat:distribution <../distribution/soil-moisture-readings-csv> ;
    odrl:hasPolicy <../policy/offer-soil-moisture-readings> .

<../distribution/soil-moisture-readings-csv> a dcat:Distribution ;
    dcat:accessURL <https://data.example.org/soil-moisture.csv> ;
    dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> .

<../policy/offer-soil-moisture-readings> a odrl:Offer ;
    odrl:uid <../policy/offer-soil-moisture-readings> ;
    odrl:assigner <{ORGANISATION}> ;
    odrl:target <soil-moisture-readings> ;
    odrl:inheritFrom <{RULEBOOK_POLICY}> ;
    odrl:permission [ odrl:action odrl:use ;
        odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:eq ;
                          odrl:rightOperand <{RESEARCH}> ] ] .

# The data space's catalog lists it: this is what puts the dataset in Agdatahub.
<{CATALOG}> dcat:dataset <soil-moisture-readings> .
""",
    "policies": _PREFIXES + f"""
<research-use-of-farm-data> a odrl:Offer ;
    odrl:uid <research-use-of-farm-data> ;
    dct:title "Research use of farm data"@en ;
    odrl:assigner <{ORGANISATION}> ;
    odrl:target <{DATASET}> ;
    odrl:inheritFrom <{RULEBOOK_POLICY}> ;
    odrl:permission [ odrl:action odrl:use ;
        odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:eq ;
                          odrl:rightOperand <{RESEARCH}> ] ] .
""",
    "memberships": _PREFIXES + f"""
[] a org:Membership ;
    skos:prefLabel "The GovLab as data consumer in Agdatahub"@en ;
    org:member <{MEMBER}> ;
    org:organization <{SPACE}> ;
    org:role dskg:DataConsumer .
""",
}

JSONLD: dict[str, dict[str, Any]] = {
    "organisations": {
        "@context": DSKG_CONTEXT_URL,
        "@graph": [
            {"id": "cooperativa-agricola-ejemplo", "type": "Organization",
             "label": {"@value": "Cooperativa Agrícola Ejemplo", "@language": "es"},
             "name": "Cooperativa Agrícola Ejemplo",
             "description": {"en": "A farmers' cooperative that shares crop data through "
                                   "Agdatahub."},
             "country": "ES"},
            {"type": "Membership", "member": "cooperativa-agricola-ejemplo",
             "organization": SPACE, "role": "dskg:DataProvider"},
        ],
    },
    "dataspaces": {
        "@context": DSKG_CONTEXT_URL,
        "@graph": [
            {"id": "olive-oil-data-space", "type": "DataSpace",
             "label": {"@value": "Olive oil data space", "@language": "en"},
             "name": "Olive oil data space",
             "description": {"en": "Producers and mills share harvest and quality data."},
             "tier": "dskg:ProjectTier", "country": "ES",
             "theme": "http://publications.europa.eu/resource/authority/data-theme/AGRI",
             "governedBy": ORGANISATION, "subjectTo": list(EU_FRAMEWORKS),
             "rulebook": {"type": "Rulebook", "title": {"en": "Olive oil data space rules"}},
             "catalog": {"type": "Catalog", "title": {"en": "Olive oil data space catalog"},
                         "description": {"en": "Datasets offered in the olive oil data space."},
                         "publisher": ORGANISATION}},
            {"type": "Membership", "member": ORGANISATION,
             "organization": "olive-oil-data-space", "role": "dskg:GovernanceAuthority"},
        ],
    },
    "datasets": {
        "@context": DSKG_CONTEXT_URL,
        "@graph": [
            {"id": "soil-moisture-readings", "type": "Dataset",
             "title": {"en": "Soil moisture readings"},
             "description": {"en": "Hourly soil moisture from field sensors of member farms."},
             "publisher": ORGANISATION,
             "theme": "http://publications.europa.eu/resource/authority/data-theme/AGRI",
             "keyword": [{"@value": "soil", "@language": "en"},
                         {"@value": "sensors", "@language": "en"}],
             "distribution": [{
                 "id": "../distribution/soil-moisture-readings-csv", "type": "Distribution",
                 "accessURL": "https://data.example.org/soil-moisture.csv",
                 "mediaType": "http://www.iana.org/assignments/media-types/text/csv",
                 "format": "http://publications.europa.eu/resource/authority/file-type/CSV"}],
             "hasPolicy": {
                 "id": "../policy/offer-soil-moisture-readings", "type": "Offer",
                 "uid": "../policy/offer-soil-moisture-readings", "assigner": ORGANISATION,
                 "target": "soil-moisture-readings", "inheritFrom": RULEBOOK_POLICY,
                 "permission": [{"action": "odrl:use", "constraint": [{
                     "leftOperand": "odrl:purpose", "operator": "odrl:eq",
                     "rightOperand": {"id": RESEARCH}}]}]}},
            {"id": CATALOG, "dataset": ["soil-moisture-readings"]},
        ],
    },
    "policies": {
        "@context": DSKG_CONTEXT_URL,
        "id": "research-use-of-farm-data", "type": "Offer",
        "uid": "research-use-of-farm-data",
        "title": {"en": "Research use of farm data"},
        "assigner": ORGANISATION, "target": DATASET, "inheritFrom": RULEBOOK_POLICY,
        "permission": [{"action": "odrl:use", "constraint": [{
            "leftOperand": "odrl:purpose", "operator": "odrl:eq",
            "rightOperand": {"id": RESEARCH}}]}],
    },
    "memberships": {
        "@context": DSKG_CONTEXT_URL,
        "type": "Membership",
        "label": {"@value": "The GovLab as data consumer in Agdatahub", "@language": "en"},
        "member": MEMBER, "organization": SPACE, "role": "dskg:DataConsumer",
    },
}

#: The id each example's main resource gets (None: a blank node, so a minted slug).
EXAMPLE_IDS = {"organisations": "cooperativa-agricola-ejemplo",
               "dataspaces": "olive-oil-data-space", "datasets": "soil-moisture-readings",
               "policies": "research-use-of-farm-data", "memberships": None}


def body_examples(kind_name: str) -> dict[str, Any]:
    return {"turtle": TURTLE[kind_name], "jsonld": JSONLD[kind_name]}
