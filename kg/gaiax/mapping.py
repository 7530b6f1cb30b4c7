"""Mapping Gaia-X (Loire and newer ``gx:``) credentials into the graph's own vocabulary.

What a credential states stays in its own graph, as received. What it means for the graph is
derived here, one companion graph per credential (``<graph>/mapped``), written with it:

- ``gx:LegalPerson`` -> ``org:Organization`` (name, the numbers of its registration-number
  credentials as ``dskg:vatID``/``dskg:leiCode``/``dskg:eori``/``dskg:euid``/
  ``dskg:localRegistrationNumber``), unless an organisation with one of those numbers is
  already in the graph: then only the link (``dskg:selfDescription``) is made, no duplicate;
- ``gx:Issuer`` (the Gaia-X terms and conditions) -> ``dskg:gaiaxTermsAndConditions`` on the
  organisation of the same issuer's legal person;
- ``gx:ServiceOffering`` -> ``dcat:DataService`` (title, publisher = its provider's
  organisation, ``dcat:servesDataset`` its resources) and its embedded ODRL policy ->
  ``odrl:Offer`` (``odrl:hasPolicy``, assigner = the provider) on the service and the
  datasets the policy targets;
- ``gx:DataResource`` -> ``dcat:Dataset`` (title, description, identifier, publisher =
  its producer's organisation).

A service offering or data resource already matched to a dataset or data service of the graph
(link.py) is not mapped again. Statements are only ever about the credential subjects (a
resource already in the graph belongs to its own description; it reaches them through its
``dskg:selfDescription`` link).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.gaiax.link import NUMBER_PROPERTIES, REGISTRATION_LINKS, LinkReport
from kg.namespaces import DCAT, DCT, DSKG, GX, ODRL, ORG, PROV, RDF, SKOS

SCHEMA = "https://schema.org/"
NAME = (URIRef(SCHEMA + "name"), GX.name, GX.legalName)
DESCRIPTION = (URIRef(SCHEMA + "description"), GX.description)
POLICY_CLASSES = (ODRL.Offer, ODRL.Policy, ODRL.Set, ODRL.Agreement)
RULES = (ODRL.permission, ODRL.prohibition, ODRL.obligation)


@dataclass
class Mapped:
    """The triples derived from one credential subject, and its main resource."""

    root: URIRef
    graph: Graph = field(default_factory=Graph)


def _first(data: Graph, node: Node, props: Iterable[URIRef]) -> Literal | None:
    for prop in props:
        value = data.value(node, prop)
        if isinstance(value, Literal):
            return value
    return None


def _iris(data: Graph, node: Node, prop: URIRef) -> list[URIRef]:
    return [o for o in data.objects(node, prop) if isinstance(o, URIRef)]


def _linked(links: LinkReport) -> dict[URIRef, URIRef]:
    """Credential subject -> the resource of the graph it was linked to."""
    return {link.target: link.source for link in links.linked}


def _organisation(data: Graph, subject: URIRef, linked: dict[URIRef, URIRef]) -> Mapped | None:
    if subject in linked:
        return None
    mapped = Mapped(subject)
    g = mapped.graph
    g.add((subject, RDF.type, ORG.Organization))
    g.add((subject, DSKG.selfDescription, subject))
    name = _first(data, subject, NAME)
    if name is not None:
        g.add((subject, SKOS.prefLabel, Literal(str(name))))
    holders = [subject] + [n for link in REGISTRATION_LINKS for n in data.objects(subject, link)]
    for holder in holders:
        for theirs, ours in NUMBER_PROPERTIES.items():
            for value in data.objects(holder, theirs):
                if isinstance(value, Literal) and str(value).strip():
                    g.add((subject, ours, Literal(str(value).strip())))
    return mapped


def _policies(data: Graph, node: Node, depth: int = 0) -> list[URIRef]:
    """ODRL policies embedded under ``node`` (e.g. gx:servicePolicy / gx:policyDocument)."""
    found: list[URIRef] = []
    for _p, value in data.predicate_objects(node):
        if any((value, RDF.type, cls) in data for cls in POLICY_CLASSES):
            if isinstance(value, URIRef):
                found.append(value)
        elif depth < 3 and (value, None, None) in data:
            found += _policies(data, value, depth + 1)
    return found


def _targets(data: Graph, policy: URIRef) -> set[URIRef]:
    out = set(_iris(data, policy, ODRL.target))
    for rule_prop in RULES:
        for rule in data.objects(policy, rule_prop):
            out |= set(_iris(data, rule, ODRL.target))
    return out


def _publisher(data: Graph, node: URIRef, props: Iterable[URIRef],
               linked: dict[URIRef, URIRef]) -> URIRef | None:
    for prop in props:
        for party in _iris(data, node, prop):
            return linked.get(party, party)
    return None


def _service(data: Graph, subject: URIRef, linked: dict[URIRef, URIRef]) -> Mapped:
    mapped = Mapped(subject)
    g = mapped.graph
    provider = _publisher(data, subject, (GX.providedBy,), linked)
    if subject not in linked:
        g.add((subject, RDF.type, DCAT.DataService))
        name = _first(data, subject, NAME)
        if name is not None:
            g.add((subject, DCT.title, Literal(str(name))))
        description = _first(data, subject, DESCRIPTION)
        if description is not None:
            g.add((subject, DCT.description, Literal(str(description))))
        if provider is not None:
            g.add((subject, DCT.publisher, provider))
        for resource in _iris(data, subject, GX.aggregationOfResources):
            g.add((subject, DCAT.servesDataset, linked.get(resource, resource)))
    service = subject
    for policy in _policies(data, subject):
        g.add((policy, RDF.type, ODRL.Offer))
        g.add((service, ODRL.hasPolicy, policy))
        if provider is not None and data.value(policy, ODRL.assigner) is None:
            g.add((policy, ODRL.assigner, provider))
        for target in _targets(data, policy):
            g.add((target, ODRL.hasPolicy, policy))
    return mapped


def _dataset(data: Graph, subject: URIRef, linked: dict[URIRef, URIRef]) -> Mapped | None:
    if subject in linked:
        return None
    mapped = Mapped(subject)
    g = mapped.graph
    g.add((subject, RDF.type, DCAT.Dataset))
    name = _first(data, subject, NAME)
    g.add((subject, DCT.title, Literal(str(name) if name is not None else str(subject))))
    description = _first(data, subject, DESCRIPTION)
    if description is not None:
        g.add((subject, DCT.description, Literal(str(description))))
    identifier = data.value(subject, DCT.identifier)
    if isinstance(identifier, Literal):
        g.add((subject, DCT.identifier, identifier))
    publisher = _publisher(data, subject, (GX.producedBy, GX.copyrightOwnedBy), linked)
    if publisher is not None:
        g.add((subject, DCT.publisher, publisher))
    for service in _iris(data, subject, GX.exposedThrough):
        g.add((service, DCAT.servesDataset, subject))
    return mapped


def map_subjects(data: Graph, subjects: Iterable[tuple[URIRef, frozenset[Node], str | None]],
                 links: LinkReport) -> dict[URIRef, Mapped]:
    """The mapped triples of each credential subject.

    ``subjects``: (subject, its closed classes, its credential's issuer); ``data``: every
    subject of the batch with what it references; ``links``: what link.py matched.
    """
    linked = _linked(links)
    listed = list(subjects)
    out: dict[URIRef, Mapped] = {}
    organisations: dict[str, URIRef] = {}
    for subject, types, issuer in listed:
        if GX.LegalPerson in types:
            mapped = _organisation(data, subject, linked)
            if mapped is not None:
                out[subject] = mapped
            if issuer is not None:
                organisations[issuer] = subject
    for subject, types, issuer in listed:
        mapped = None
        if GX.ServiceOffering in types:
            mapped = _service(data, subject, linked)
        elif GX.DataResource in types:
            mapped = _dataset(data, subject, linked)
        elif GX.Issuer in types and issuer in organisations:
            terms = data.value(subject, GX.gaiaxTermsAndConditions)
            if terms is not None:
                mapped = Mapped(organisations[issuer])
                mapped.graph.add((organisations[issuer], DSKG.gaiaxTermsAndConditions,
                                  Literal(str(terms))))
                mapped.graph.add((organisations[issuer], PROV.wasDerivedFrom, subject))
        if mapped is not None and len(mapped.graph):
            out[subject] = mapped
    return out
