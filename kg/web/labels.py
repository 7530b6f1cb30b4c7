"""Names for people: labels of IRIs (from the store, in one query) and of properties.

A property gets a label and a group (the section of a resource page it is shown in) from the
table below; an unknown property falls back to its ``rdfs:label`` in the store (our ontology
is loaded there) and then to its local name split into words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg import vocabulary
from kg.namespaces import (
    ADMS,
    DCAT,
    DCT,
    DSKG,
    FOAF,
    ODRL,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SKOS,
    VCARD,
    compact,
)
from kg.services.context import ServiceContext
from kg.services.documents import best_literal
from kg.services.kinds import Kind, kind_for_types
from kg.store.sparql_text import term_n3, values_list

DCATAP = "http://data.europa.eu/r5r/"
#: What names a thing on a page: the vocabulary's label properties, then a vCard name.
LABEL_PROPERTIES = (*vocabulary.LABEL_PROPERTIES, VCARD.fn)
#: Naming IRIs: rows per IRI before it counts as crowded, then rows per property for those.
BRANCH_LIMIT = 8
BRANCH_CHUNK = 20
ROWS_PER_IRI = 12
#: Resource-page sections, in page order.
GROUPS = ("About", "Governance", "Participation", "Catalogue", "Distribution", "Usage policy",
          "Identifiers", "Provenance", "Other")

_P: dict[URIRef, tuple[str, str]] = {
    RDF.type: ("Type", "About"),
    SKOS.prefLabel: ("Name", "About"),
    SKOS.altLabel: ("Also known as", "About"),
    FOAF.name: ("Name", "About"),
    DCT.title: ("Title", "About"),
    RDFS.label: ("Label", "About"),
    DCT.description: ("Description", "About"),
    SKOS.definition: ("Definition", "About"),
    SKOS.scopeNote: ("Note", "About"),
    DCT.type: ("Category", "About"),
    DCAT.theme: ("Theme", "About"),
    DCAT.keyword: ("Keywords", "About"),
    FOAF.homepage: ("Home page", "About"),
    DCAT.landingPage: ("Landing page", "About"),
    DCT.spatial: ("Area covered", "About"),
    DCT.language: ("Language", "About"),
    DSKG.country: ("Country", "About"),
    DCT.issued: ("Issued", "About"),
    DCT.temporal: ("Time covered", "About"),
    DCT.accrualPeriodicity: ("Update frequency", "About"),
    DCT.conformsTo: ("Conforms to", "About"),
    URIRef(f"{DCAT}version"): ("Version", "About"),
    DCT.creator: ("Creator", "About"),
    DCT.modified: ("Modified", "About"),
    DCAT.contactPoint: ("Contact", "About"),
    DSKG.tier: ("Governance tier", "Governance"),
    DSKG.governedBy: ("Governed by", "Governance"),
    DSKG.rulebook: ("Rulebook", "Governance"),
    DSKG.subjectTo: ("Subject to", "Governance"),
    ORG.subOrganizationOf: ("Part of", "Governance"),
    ORG.linkedTo: ("Linked to", "Governance"),
    URIRef(DCATAP + "applicableLegislation"): ("Applicable legislation", "Governance"),
    ORG.member: ("Member", "Participation"),
    ORG.organization: ("Data space", "Participation"),
    ORG.role: ("Role", "Participation"),
    ORG.memberDuring: ("Member during", "Participation"),
    DSKG.catalog: ("Catalogue", "Catalogue"),
    DCAT.dataset: ("Datasets", "Catalogue"),
    DCAT.catalog: ("Sub-catalogues", "Catalogue"),
    DCAT.service: ("Services", "Catalogue"),
    DCT.publisher: ("Publisher", "Catalogue"),
    DCAT.themeTaxonomy: ("Theme taxonomy", "Catalogue"),
    DCT.accessRights: ("Access rights", "Catalogue"),
    DCAT.distribution: ("Distributions", "Distribution"),
    DCAT.accessURL: ("Access URL", "Distribution"),
    DCAT.downloadURL: ("Download URL", "Distribution"),
    DCAT.mediaType: ("Media type", "Distribution"),
    DCT.format: ("Format", "Distribution"),
    DCT.license: ("Licence", "Distribution"),
    URIRef(DCATAP + "availability"): ("Availability", "Distribution"),
    ODRL.hasPolicy: ("Usage policy", "Usage policy"),
    ODRL.uid: ("Policy id", "Usage policy"),
    ODRL.assigner: ("Assigner", "Usage policy"),
    ODRL.assignee: ("Assignee", "Usage policy"),
    ODRL.target: ("Target", "Usage policy"),
    ODRL.inheritFrom: ("Inherits from", "Usage policy"),
    ODRL.conflict: ("Conflict strategy", "Usage policy"),
    ODRL.permission: ("Permission", "Usage policy"),
    ODRL.prohibition: ("Prohibition", "Usage policy"),
    ODRL.obligation: ("Obligation", "Usage policy"),
    ODRL.duty: ("Duty", "Usage policy"),
    ODRL.action: ("Action", "Usage policy"),
    ODRL.constraint: ("Constraint", "Usage policy"),
    ODRL.leftOperand: ("Left operand", "Usage policy"),
    ODRL.operator: ("Operator", "Usage policy"),
    ODRL.rightOperand: ("Right operand", "Usage policy"),
    ODRL.partOf: ("Part of asset collection", "Usage policy"),
    DSKG.selfDescription: ("Self-description", "Identifiers"),
    DCT.identifier: ("Identifier", "Identifiers"),
    ADMS.identifier: ("Other identifier", "Identifiers"),
    DSKG.vatID: ("VAT number", "Identifiers"),
    DSKG.leiCode: ("LEI code", "Identifiers"),
    DSKG.eori: ("EORI number", "Identifiers"),
    DSKG.euid: ("EUID", "Identifiers"),
    DSKG.taxID: ("Tax id", "Identifiers"),
    DSKG.localRegistrationNumber: ("Registration number", "Identifiers"),
    OWL.sameAs: ("Same as", "Identifiers"),
    DCT.source: ("Source", "Provenance"),
    PROV.hadPrimarySource: ("Primary source", "Provenance"),
    PROV.wasAttributedTo: ("Attributed to", "Provenance"),
    PROV.generatedAtTime: ("Recorded at", "Provenance"),
    VCARD.fn: ("Name", "About"),
    VCARD.hasEmail: ("E-mail", "About"),
    VCARD.hasURL: ("Web site", "About"),
}

#: Names of the classes a page shows as badges.
CLASS_LABELS: dict[URIRef, str] = {
    ORG.Organization: "Organisation", FOAF.Organization: "Organisation",
    ORG.FormalOrganization: "Formal organisation", ORG.OrganizationalUnit: "Unit",
    ORG.OrganizationalCollaboration: "Collaboration", ORG.Membership: "Membership",
    FOAF.Agent: "Agent", FOAF.Document: "Document", DSKG.DataSpace: "Data space",
    DSKG.LegalFramework: "Legal framework", DSKG.Rulebook: "Rulebook",
    DCAT.Dataset: "Dataset", DCAT.Catalog: "Catalogue", DCAT.Distribution: "Distribution",
    DCAT.DataService: "Data service", ODRL.Offer: "Offer", ODRL.Set: "Policy set",
    ODRL.Agreement: "Agreement", ODRL.Policy: "Policy", SKOS.Concept: "Concept",
    SKOS.ConceptScheme: "Concept scheme", VCARD.Kind: "Contact", VCARD.Organization: "Contact",
    ODRL.AssetCollection: "Asset collection", ODRL.PartyCollection: "Party collection",
}
#: Classes implied by a more specific one shown beside them (left out of the badges).
GENERIC_CLASSES = {FOAF.Agent, ORG.Organization, ODRL.Policy, FOAF.Document, VCARD.Kind,
                   ORG.OrganizationalCollaboration}

#: How a reference *to* a resource reads on that resource's page.
INVERSE: dict[URIRef, str] = {
    DCT.publisher: "Publishes",
    DSKG.governedBy: "Governs",
    DSKG.subjectTo: "Subject to it",
    DSKG.rulebook: "Rulebook of",
    DSKG.catalog: "Catalogue of",
    DCAT.dataset: "Listed in catalogue",
    DCAT.distribution: "Distribution of",
    ODRL.hasPolicy: "Policy of",
    ODRL.target: "Targeted by",
    ODRL.assigner: "Assigns",
    ODRL.assignee: "Assignee in",
    ODRL.inheritFrom: "Inherited by",
    ORG.subOrganizationOf: "Has part",
    ORG.linkedTo: "Linked from",
    DSKG.selfDescription: "Self-description of",
    DCAT.theme: "Theme of",
    DCT.spatial: "Area of",
    DCT.license: "Licence of",
    URIRef(DCATAP + "applicableLegislation"): "Legislation applicable to",
    ODRL.partOf: "Has member asset",
}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def local_name(iri: str) -> str:
    text = iri.rstrip("/#")
    for sep in ("#", "/", ":"):
        if sep in text:
            text = text.rsplit(sep, 1)[-1]
    return text


def humanise(name: str) -> str:
    """``hadPrimarySource`` -> ``Had primary source``; ``data-act`` -> ``Data act``."""
    words = _CAMEL.sub(" ", name).replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:].lower() if words else name


def property_label(prop: URIRef, known: dict[URIRef, str] | None = None) -> str:
    if prop in _P:
        return _P[prop][0]
    if known and prop in known:
        found = known[prop]
        return found[:1].upper() + found[1:]
    return humanise(local_name(str(prop)))


def property_group(prop: URIRef) -> str:
    return _P[prop][1] if prop in _P else "Other"


def inverse_label(prop: URIRef, known: dict[URIRef, str] | None = None) -> str:
    return INVERSE.get(prop) or f"{property_label(prop, known)} of"


def class_label(cls: URIRef, known: dict[URIRef, str] | None = None) -> str:
    if cls in CLASS_LABELS:
        return CLASS_LABELS[cls]
    if known and cls in known:
        return known[cls][:1].upper() + known[cls][1:]
    return humanise(local_name(str(cls)))


def shown_classes(types: list[URIRef]) -> list[URIRef]:
    """The types worth a badge: generic ones only when nothing more specific is there."""
    specific = [t for t in types if t not in GENERIC_CLASSES]
    return specific or types[:1]


def fallback_label(node: Node) -> str:
    """A readable name for an IRI nobody labelled: a CURIE, else its last segment."""
    if isinstance(node, Literal):
        return str(node)
    if isinstance(node, BNode):
        return "(unnamed)"
    text = str(node)
    if text.startswith("mailto:"):
        return text[len("mailto:"):]
    short = compact(text)
    if short != text:
        return short
    name = local_name(text)
    return name or text


@dataclass
class Names:
    """Labels and REST kinds of a set of IRIs (what a page needs to show and link them)."""

    labels: dict[URIRef, str]
    kinds: dict[URIRef, Kind | None]

    def label(self, node: Node) -> str:
        if isinstance(node, URIRef) and node in self.labels:
            return self.labels[node]
        return fallback_label(node)

    def href(self, ctx: ServiceContext, node: Node) -> str | None:
        """The page of ``node`` on this node, when the store describes it."""
        if not isinstance(node, URIRef) or node not in self.kinds:
            return None
        return ctx.ids.href(node, self.kinds[node])

    def merge(self, other: Names) -> Names:
        return Names({**self.labels, **other.labels}, {**self.kinds, **other.kinds})


def lookup(ctx: ServiceContext, nodes: Iterable[Node], chunk: int = 24) -> Names:
    """Labels (English first) and kinds of the IRIs in ``nodes`` that the store labels or
    types (those have a page here).

    Queries read each subject's label and type triples, capped at ``ROWS_PER_IRI`` rows per
    IRI. A term repeated in many descriptions (a licence typed in every dataset's graph) would
    cost one row per description, so a subject that fills the cap is named on its own with
    one bounded read per property instead.
    """
    wanted = {n for n in nodes if isinstance(n, URIRef)}
    cache = NAME_CACHE.get()
    known = cache.get(wanted) if cache is not None else Names({}, {})
    pending = sorted(wanted - set(known.kinds) - (cache.absent if cache is not None else set()))
    facts: dict[URIRef, dict[URIRef, list[Node]]] = {}
    crowded: list[URIRef] = []
    while pending:
        part, pending = pending[:chunk], pending[chunk:]
        complete, rest, heavy = _read_capped(ctx, part, facts)
        if not complete:
            _collect(facts, _query(ctx, _select(part, distinct=True)))
            continue
        crowded += heavy
        pending = rest + pending
    for start in range(0, len(crowded), BRANCH_CHUNK):
        branches = [f"{{ SELECT ?s ?p ?o WHERE {{ BIND({term_n3(iri)} AS ?s) "
                    f"BIND({term_n3(prop)} AS ?p) {term_n3(iri)} {term_n3(prop)} ?o }} "
                    f"LIMIT {BRANCH_LIMIT} }}"
                    for iri in crowded[start:start + BRANCH_CHUNK]
                    for prop in (*LABEL_PROPERTIES, RDF.type)]
        _collect(facts, _query(ctx, "SELECT ?s ?p ?o WHERE { " + " UNION ".join(branches)
                                    + " }"))
    labels: dict[URIRef, str] = {}
    kinds: dict[URIRef, Kind | None] = {}
    for iri, found in facts.items():
        for prop in LABEL_PROPERTIES:
            text = best_literal(found.get(prop, []))
            if text:
                labels[iri] = text
                break
        kinds[iri] = kind_for_types(t for t in found.get(RDF.type, []) if isinstance(t, URIRef))
    found_names = Names(labels, kinds)
    if cache is not None:
        cache.put(found_names, set(pending) - set(kinds))
    return known.merge(found_names)


class NameCache:
    """Names looked up since the last write (the web layer keeps one per app and starts a
    new one after every write): vocabulary terms shown on many pages are read once."""

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self.labels: dict[URIRef, str] = {}
        self.kinds: dict[URIRef, Kind | None] = {}
        #: IRIs the store neither labels nor types
        self.absent: set[URIRef] = set()

    def get(self, iris: set[URIRef]) -> Names:
        return Names({i: self.labels[i] for i in iris if i in self.labels},
                     {i: self.kinds[i] for i in iris if i in self.kinds})

    def put(self, names: Names, absent: set[URIRef]) -> None:
        if len(self.kinds) + len(self.absent) > self.limit:
            self.labels, self.kinds, self.absent = {}, {}, set()
        self.labels.update(names.labels)
        self.kinds.update(names.kinds)
        self.absent |= absent


#: The name cache of the app serving the current request (set by the web layer).
NAME_CACHE: ContextVar[NameCache | None] = ContextVar("dskg_name_cache", default=None)


def _select(iris: list[URIRef], *, distinct: bool = False, limit: int | None = None) -> str:
    # FILTER(?p IN ...), not VALUES ?p: the engine then reads each subject's triples (SPO)
    # instead of every subject having one of the properties.
    props = ", ".join(term_n3(p) for p in (*LABEL_PROPERTIES, RDF.type))
    return (f"SELECT {'DISTINCT ' if distinct else ''}?s ?p ?o WHERE {{ {values_list('s', iris)} "
            f"?s ?p ?o FILTER(?p IN ({props})) }}" + (f" LIMIT {limit}" if limit else ""))


def _read_capped(ctx: ServiceContext, part: list[URIRef],
                 facts: dict[URIRef, dict[URIRef, list[Node]]]
                 ) -> tuple[bool, list[URIRef], list[URIRef]]:
    """Read ``part`` under the cap. Returns (usable, IRIs still to read, IRIs that filled
    the cap). A capped answer is usable when its rows come subject by subject in the order
    asked (how the engine joins a VALUES block): every subject before the last is complete."""
    cap = len(part) * ROWS_PER_IRI
    rows = _query(ctx, _select(part, limit=cap))
    if len(rows) < cap:
        _collect(facts, rows)
        return True, [], []
    runs: list[URIRef] = []
    for s, _p, _o in rows:
        if not runs or runs[-1] != s:
            if s in runs:
                return False, [], []
            runs.append(s)
    positions = [part.index(s) for s in runs]
    if positions != sorted(positions):
        return False, [], []
    last = runs[-1]
    _collect(facts, [row for row in rows if row[0] != last])
    return True, part[part.index(last) + 1:], [last]


def _query(ctx: ServiceContext, sparql: str) -> list:
    return ctx.store.query(sparql, timeout=ctx.settings.query_timeout).rows


def _collect(facts: dict[URIRef, dict[URIRef, list[Node]]], rows: list) -> None:
    for s, p, o in rows:
        facts.setdefault(s, {}).setdefault(p, []).append(o)


def property_names(ctx: ServiceContext, props: Iterable[URIRef]) -> dict[URIRef, str]:
    """``rdfs:label`` of the properties the table does not know (our ontology's terms)."""
    unknown = sorted({p for p in props if p not in _P})
    if not unknown:
        return {}
    result = ctx.store.query(
        f"SELECT ?p ?l WHERE {{ {values_list('p', unknown)} ?p {term_n3(RDFS.label)} ?l }}",
        timeout=ctx.settings.query_timeout)
    grouped: dict[URIRef, list[Node]] = {}
    for p, label in result.rows:
        grouped.setdefault(p, []).append(label)  # type: ignore[arg-type]
    return {p: text for p, values in grouped.items() if (text := best_literal(values))}
