"""Linking credentials to the graph: participants to organisations, offerings to datasets.

A participant (22.10 ``gx:LegalParticipant``, newer ``gx:LegalPerson``/``gx:Participant``)
links to the organisation that carries one of its registration numbers (``dskg:vatID``,
``dskg:leiCode``, ``dskg:eori``, ``dskg:euid``, ``dskg:taxID``,
``dskg:localRegistrationNumber``; compared without spaces, dots or dashes, case-blind). When
its numbers lead to two organisations, that is a conflict and nothing is linked. A service
offering links to the ``dcat:Dataset``/``dcat:DataService`` it names: by IRI (its own, or in
``gx:aggregationOf``/``gx:aggregationOfResources``/``owl:sameAs``), by ``dct:identifier`` or by
landing page (``dcat:landingPage``, ``schema:url``, ``gx:endpoint``/``gx:endpointURL``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.namespaces import DCAT, DCT, DSKG, GX, GX2210, OWL, compact
from kg.store.base import Store
from kg.store.sparql_text import term_n3, values_list

SCHEMA = "https://schema.org/"
#: Registration-number properties of both generations -> our organisation property.
NUMBER_PROPERTIES: dict[URIRef, URIRef] = {
    GX2210.vatID: DSKG.vatID, GX2210.leiCode: DSKG.leiCode, GX2210.EORI: DSKG.eori,
    GX2210.EUID: DSKG.euid, GX2210.taxID: DSKG.taxID,
    GX2210.local: DSKG.localRegistrationNumber,
    GX.vatID: DSKG.vatID, URIRef(SCHEMA + "leiCode"): DSKG.leiCode, GX.eori: DSKG.eori,
    GX.euid: DSKG.euid, URIRef(SCHEMA + "taxID"): DSKG.taxID,
    GX.local: DSKG.localRegistrationNumber,
}
REGISTRATION_LINKS = (GX2210.legalRegistrationNumber, GX.registrationNumber)
PARTICIPANT_TYPES = {GX2210.LegalParticipant, GX2210.Participant, GX.LegalPerson,
                     GX.Participant}
OFFERING_TYPES = {GX2210.ServiceOffering, GX.ServiceOffering, GX.DataResource}
IRI_PROPERTIES = (GX2210.aggregationOf, GX.aggregationOfResources, OWL.sameAs)
PAGE_PROPERTIES = (DCAT.landingPage, URIRef(SCHEMA + "url"))


def normalise_number(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value).upper()


@dataclass(frozen=True)
class Link:
    """``source dskg:selfDescription target``, and why."""

    source: URIRef
    target: URIRef
    via: str

    def triple(self) -> tuple[URIRef, URIRef, URIRef]:
        return (self.source, DSKG.selfDescription, self.target)

    def to_json(self) -> dict[str, str]:
        return {"node": str(self.source), "selfDescription": str(self.target), "via": self.via}


@dataclass
class LinkReport:
    linked: list[Link] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"linked": [link.to_json() for link in self.linked], "unmatched": self.unmatched,
                "conflicts": self.conflicts}


def registration_numbers(data: Graph, subject: Node) -> dict[URIRef, set[str]]:
    """Our property -> normalised numbers the participant states (directly or via its
    registration-number nodes)."""
    holders = [subject] + [n for link in REGISTRATION_LINKS for n in data.objects(subject, link)]
    numbers: dict[URIRef, set[str]] = {}
    for holder in holders:
        for theirs, ours in NUMBER_PROPERTIES.items():
            for value in data.objects(holder, theirs):
                if isinstance(value, Literal) and str(value).strip():
                    numbers.setdefault(ours, set()).add(normalise_number(str(value)))
    return numbers


def _link_participant(store: Store, data: Graph, subject: URIRef, report: LinkReport) -> None:
    numbers = registration_numbers(data, subject)
    if not numbers:
        report.unmatched.append(f"{subject}: states no registration number")
        return
    pairs = " ".join(f"({term_n3(p)} {term_n3(Literal(v))})"
                     for p, values in sorted(numbers.items()) for v in sorted(values))
    result = store.query(
        "SELECT DISTINCT ?org ?p ?n WHERE { VALUES (?p ?n) { " + pairs + " } ?org ?p ?v . "
        'FILTER(UCASE(REPLACE(STR(?v), "[\\\\s.\\\\-]", "")) = ?n) }')
    found: dict[URIRef, list[str]] = {}
    for org, prop, number in result.rows:
        if isinstance(org, URIRef) and isinstance(prop, URIRef):
            found.setdefault(org, []).append(f"{compact(prop)} {number}")
    if not found:
        shown = ", ".join(f"{compact(p)} {v}" for p, vs in sorted(numbers.items())
                          for v in sorted(vs))
        report.unmatched.append(f"{subject}: no organisation has {shown}")
    elif len(found) > 1:
        shown = "; ".join(f"{org} ({', '.join(sorted(via))})" for org, via in sorted(found.items()))
        report.conflicts.append(f"{subject}: its registration numbers belong to "
                                f"{len(found)} organisations: {shown}; not linked")
    else:
        ((org, via),) = found.items()
        report.linked.append(Link(org, subject, ", ".join(sorted(via))))


def _strings(data: Graph, subject: Node, props: Iterable[URIRef]) -> set[str]:
    return {str(v) for p in props for v in data.objects(subject, p)}


def _link_offering(store: Store, data: Graph, subject: URIRef, report: LinkReport) -> None:
    iris = {subject} | {URIRef(v) for v in _strings(data, subject, IRI_PROPERTIES)
                        if re.match(r"^[a-z][a-z0-9+.-]*:\S+$", v)}
    identifiers = _strings(data, subject, [DCT.identifier])
    pages = _strings(data, subject, PAGE_PROPERTIES)
    for endpoint in data.objects(subject, GX.endpoint):
        pages |= _strings(data, endpoint, [GX.endpointURL])
    branches = ["{ " + values_list("ds", sorted(iris)) + ' BIND("IRI" AS ?via) }']
    if identifiers:
        branches.append("{ ?ds <" + str(DCT.identifier) + "> ?id FILTER(STR(?id) IN ("
                        + ", ".join(term_n3(Literal(i)) for i in sorted(identifiers))
                        + ')) BIND("dct:identifier" AS ?via) }')
    if pages:
        branches.append("{ ?ds <" + str(DCAT.landingPage) + "> ?page FILTER(STR(?page) IN ("
                        + ", ".join(term_n3(Literal(p)) for p in sorted(pages))
                        + ')) BIND("dcat:landingPage" AS ?via) }')
    result = store.query(
        "SELECT DISTINCT ?ds ?via WHERE { " + " UNION ".join(branches) + " ?ds a ?type "
        + values_list("type", (DCAT.Dataset, DCAT.DataService)) + " }")
    targets: dict[URIRef, set[str]] = {}
    for target, via in result.rows:
        if isinstance(target, URIRef) and target != subject:
            targets.setdefault(target, set()).add(str(via))
    if not targets:
        report.unmatched.append(f"{subject}: no dataset or data service with its IRI, "
                                "identifier or landing page")
    for found, vias in sorted(targets.items()):
        report.linked.append(Link(found, subject, ", ".join(sorted(vias))))


def link_subjects(store: Store, data: Graph, subjects: Iterable[Node],
                  types_of: Mapping[Node, AbstractSet[Node]]) -> LinkReport:
    """Find what each participant / service-offering subject describes in the graph.

    ``data``: the subjects with everything they reference (registration-number nodes);
    ``types_of``: each subject's classes with their superclasses.
    """
    report = LinkReport()
    for subject in subjects:
        types = types_of.get(subject, set())
        if not isinstance(subject, URIRef):
            if types & (PARTICIPANT_TYPES | OFFERING_TYPES):
                report.unmatched.append("a credential subject without an IRI cannot be linked")
            continue
        if types & PARTICIPANT_TYPES:
            _link_participant(store, data, subject, report)
        elif types & OFFERING_TYPES:
            _link_offering(store, data, subject, report)
    return report

