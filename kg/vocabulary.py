"""Vocabulary tables several packages read: what names a thing, and the governance tiers.

One source each, so a label or a tier never reads differently on two pages. Prefixes and
their compaction live with the namespaces (``kg.namespaces``); ODRL operator words with
the operators (``kg.policy.operators``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef
from rdflib.term import Node

from kg.namespaces import DCT, DSKG, FOAF, RDFS, SKOS

#: The properties that name a thing, most preferred first.
LABEL_PROPERTIES = (SKOS.prefLabel, DCT.title, FOAF.name, RDFS.label)


@dataclass(frozen=True)
class Tier:
    iri: URIRef
    notation: str
    label: str
    broader: URIRef | None = None
    #: Rank of the tier's policies in an effective policy (3 EU .. 1 project); a narrower
    #: tier has none of its own: it ranks half below its broader one.
    rank: float | None = None


#: The ``dskg:GovernanceTiers`` scheme as defined in the ontology (ontology/dskg.ttl),
#: broadest first.
TIERS = (
    Tier(DSKG.EUTier, "eu", "EU and international", rank=3),
    Tier(DSKG.NationalTier, "national", "National", rank=2),
    Tier(DSKG.RegionalTier, "regional", "Regional", DSKG.NationalTier),
    Tier(DSKG.MunicipalTier, "municipal", "Municipal", DSKG.NationalTier),
    Tier(DSKG.ProjectTier, "project", "Data space or project", rank=1),
)
TIER_BY_IRI = {t.iri: t for t in TIERS}
#: Tier IRI -> rank, for the tiers that have one.
TIER_RANKS: dict[Node, float] = {t.iri: t.rank for t in TIERS if t.rank is not None}
