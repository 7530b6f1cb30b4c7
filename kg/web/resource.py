"""The page of one resource: its properties grouped and labelled, everything related, its
governance picture and its policies in words.

Input is the REST layer's ``ResourceView`` (the same description the RDF representations
serialise); the extra facts (labels, what points here, members, the governance chain) come
from bounded queries, and every list is capped with a link to the filtered list of the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg import vocabulary
from kg.namespaces import DCAT, DCT, DSKG, META_GRAPH, ODRL, ORG, RDF, SKOS, XSD
from kg.ownership import owner_words
from kg.policy.model import is_policy
from kg.services.context import ServiceContext
from kg.services.governance import governance_chain
from kg.services.resources import ResourceView
from kg.store.sparql_text import term_n3
from kg.vocabulary import TIER_BY_IRI
from kg.web import diagram
from kg.web.labels import (
    GROUPS,
    LABEL_PROPERTIES,
    Names,
    class_label,
    humanise,
    inverse_label,
    local_name,
    lookup,
    property_group,
    property_label,
    property_names,
    shown_classes,
)
from kg.web.policywords import PolicyWords, format_date, policy_with_ancestors

MAX_VALUES = 12
MAX_RELATED = 12
MAX_MEMBERS = 60
MAX_DEPTH = 3
MAX_DIAGRAM_SPACES = 4
#: Shown in the page header, not in the property table.
HEADER_PROPERTIES = {*vocabulary.LABEL_PROPERTIES, DCT.description, SKOS.definition, RDF.type,
                     DSKG.tier}
#: Incoming references shown as members instead of a generic list.
MEMBERSHIP_PROPERTIES = {ORG.member, ORG.organization}
DOWNLOADS = (("Turtle", "ttl"), ("JSON-LD", "jsonld"), ("N-Triples", "nt"),
             ("RDF/XML", "rdf"))


@dataclass
class Value:
    text: str
    href: str | None = None
    external: bool = False
    iri: str | None = None
    note: str | None = None
    rows: list[Row] | None = None  # a blank node's own statements


@dataclass
class Row:
    label: str
    prop: str
    values: list[Value]
    more: int = 0
    more_href: str | None = None


@dataclass
class Section:
    title: str
    rows: list[Row]


@dataclass
class Part:
    """Another resource described in the same document (a dataset's distribution)."""

    label: str
    iri: str
    href: str | None
    kind: str
    rows: list[Row]


@dataclass
class Related:
    label: str
    items: list[Value]
    total: int
    more_href: str | None = None


@dataclass
class Member:
    who: Value
    roles: list[Value]


def owner_value(ctx: ServiceContext, owner: URIRef) -> Value:
    """An owner IRI in words (with a link to the data space whose stewards own it)."""
    kind, qualifier = owner_words(owner)
    if kind == "node":
        return Value("this node's administrators")
    if kind == "authority":
        return Value("the EU-tier authority" if qualifier == "EU"
                     else f"the national authority of {qualifier}")
    if kind == "peer":
        return Value(f"the peer node {qualifier!s} (harvested)")
    names = lookup(ctx, [owner])
    return Value(f"the stewards of {names.label(owner)}", href=names.href(ctx, owner),
                 iri=str(owner))


#: "by an admin", "by a steward"
_ARTICLE = {"admin": "an", "authority": "an", "applicant": "an"}


@dataclass
class Page:
    title: str
    iri: str
    kind_name: str | None
    kind_title: str
    description: str | None
    types: list[Value]
    tier: Value | None
    tier_key: str
    sections: list[Section]
    parts: list[Part]
    mentions: list[Row]
    related: list[Related]
    members: list[Member] = field(default_factory=list)
    members_total: int = 0
    members_title: str = ""
    members_more: str | None = None
    diagram: str | None = None
    diagram_caption: str | None = None
    diagram_keys: list[str] = field(default_factory=list)
    reaches_eu: bool | None = None
    policies: list[PolicyWords] = field(default_factory=list)
    inherited: list[PolicyWords] = field(default_factory=list)
    downloads: list[tuple[str, str]] = field(default_factory=list)
    href: str | None = None
    edit_href: str | None = None
    graph: str = ""
    #: who owns the description, in words, with a link when the owner has a page here
    owner: Value | None = None
    #: how it was last written ("2026-12-03 by a steward")
    written: str | None = None


class _Builder:
    def __init__(self, ctx: ServiceContext, view: ResourceView) -> None:
        self.ctx = ctx
        self.view = view
        self.graph: Graph = view.graph
        self.names = Names({}, {})
        self.prop_names: dict[URIRef, str] = {}

    # -- values ----------------------------------------------------------------------------
    def value(self, node: Node, depth: int = 0) -> Value:
        if isinstance(node, Literal):
            note = node.language if node.language and node.language != "en" else None
            text = str(node)
            if node.datatype in (XSD.date, XSD.dateTime):
                text = format_date(node)
            return Value(text, note=note)
        if isinstance(node, BNode):
            rows = self.rows(node, depth + 1, skip={RDF.type}) if depth < MAX_DEPTH else []
            return Value(self._blank_summary(node), rows=rows)
        href = (self.view.links.get(node) if isinstance(node, URIRef) else None) \
            or self.names.href(self.ctx, node)
        text = self.names.label(node)
        if href is None and str(node).startswith(("http://", "https://", "mailto:")):
            plain = str(node)
            shown = text if node in self.names.labels else plain.removeprefix("mailto:")
            return Value(shown, href=plain, external=True, iri=plain)
        return Value(text, href=href, iri=str(node))

    def _blank_summary(self, node: BNode) -> str:
        """"Agdatahub (contact)": a blank node's name and type, for its collapsed details."""
        name = next((str(v) for p in LABEL_PROPERTIES for v in self.graph.objects(node, p)
                     if isinstance(v, Literal)), "")
        types = shown_classes(sorted(t for t in self.graph.objects(node, RDF.type)
                                     if isinstance(t, URIRef)))
        kind = class_label(types[0], self.names.labels) if types else ""
        if name and kind:
            return f"{name} ({kind.lower()})"
        actions = [humanise(local_name(str(a))).lower()
                   for a in self.graph.objects(node, ODRL.action)]
        return name or kind or (", ".join(sorted(actions)) if actions else "details")

    def rows(self, subject: Node, depth: int = 0, skip: set[URIRef] | None = None
             ) -> list[Row]:
        return [row for _prop, row in self._prop_rows(subject, depth, skip)]

    def _prop_rows(self, subject: Node, depth: int = 0, skip: set[URIRef] | None = None
                   ) -> list[tuple[URIRef, Row]]:
        by_prop: dict[URIRef, list[Node]] = {}
        for p, o in self.graph.predicate_objects(subject):
            if (skip and p in skip) or (p == ODRL.uid and o == subject):
                continue  # a policy's uid repeating its own IRI says nothing new
            by_prop.setdefault(p, []).append(o)  # type: ignore[arg-type]
        order = {g: i for i, g in enumerate(GROUPS)}
        out = []
        for prop in sorted(by_prop, key=lambda p: (order[property_group(p)],
                                                  property_label(p, self.prop_names))):
            values = by_prop[prop]
            if len(values) > MAX_VALUES:  # labels were looked up for the first few only
                values = sorted(values, key=str)[:MAX_VALUES * 3]
            values.sort(key=lambda v: (isinstance(v, BNode), str(v).lower() if isinstance(
                v, Literal) else self.names.label(v).lower()))
            total = len(by_prop[prop])
            shown = values[:MAX_VALUES]
            row = Row(property_label(prop, self.prop_names),
                      prop.n3(self.graph.namespace_manager),
                      [self.value(v, depth) for v in shown], total - len(shown),
                      self.more_href(prop) if total > len(shown) else None)
            out.append((prop, row))
        return out

    def more_href(self, prop: URIRef) -> str | None:
        kind, rid = self.view.kind, self.view.id
        if prop == DCAT.dataset and kind is not None and kind.name == "dataspaces":
            return f"/datasets?dataspace={rid}"
        return None

    # -- sections ----------------------------------------------------------------------------
    def sections(self) -> list[Section]:
        grouped: dict[str, list[Row]] = {}
        for prop, row in self._prop_rows(self.view.iri, skip=HEADER_PROPERTIES):
            grouped.setdefault(property_group(prop), []).append(row)
        return [Section(name, grouped[name]) for name in GROUPS if name in grouped]

    def parts(self) -> tuple[list[Part], list[Row]]:
        """Other typed resources in the description, and statements about untyped ones."""
        parts, mentions = [], []
        subjects = sorted({s for s in self.graph.subjects() if isinstance(s, URIRef)
                           and s != self.view.iri}, key=str)
        for subject in subjects:
            types = [t for t in self.graph.objects(subject, RDF.type) if isinstance(t, URIRef)]
            if not types:
                for row in self.rows(subject):
                    row.label = f"{self.names.label(subject)} — {row.label.lower()}"
                    mentions.append(row)
                continue
            type_label = class_label(shown_classes(sorted(types))[0], self.names.labels)
            parts.append(Part(self.names.label(subject), str(subject),
                              self.view.links.get(subject) or self.names.href(self.ctx, subject),
                              type_label, self.rows(subject, skip={RDF.type})))
        return parts, mentions

    # -- what points here ------------------------------------------------------------------
    def related(self) -> list[Related]:
        iri = self.view.iri
        x = term_n3(iri)
        own = self.view.document.location
        graphs = f"FILTER(?g != <{META_GRAPH}>)" + (
            f" FILTER(?g != {term_n3(own.graph)})" if own.own else "")
        skip = ", ".join(term_n3(p) for p in (RDF.type, *MEMBERSHIP_PROPERTIES))
        timeout = self.ctx.settings.query_timeout
        counts = self.ctx.store.query(
            f"SELECT ?p (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p {x} }} {graphs} "
            f"FILTER(?p NOT IN ({skip})) }} GROUP BY ?p ORDER BY DESC(?n)",
            timeout=timeout).rows
        counted = [(p, int(n)) for p, n in counts if isinstance(p, URIRef)][:8]  # type: ignore[arg-type]
        if not counted:
            return []
        branches = " UNION ".join(
            f"{{ SELECT ?s ?g ({term_n3(p)} AS ?p) WHERE {{ GRAPH ?g {{ ?s {term_n3(p)} {x} }} "
            f"{graphs} }} LIMIT {MAX_RELATED * 2} }}" for p, _n in counted)
        rows = self.ctx.store.query(f"SELECT ?p ?s ?g WHERE {{ {branches} }}",
                                    timeout=timeout).rows
        found: dict[URIRef, list[URIRef]] = {}
        for p, s, g in rows:
            # A blank node (a rule inside an offer) stands for the description holding it.
            holder = s if isinstance(s, URIRef) else g
            items = found.setdefault(p, [])  # type: ignore[arg-type]
            if isinstance(holder, URIRef) and holder not in items and holder != iri:
                items.append(holder)
        names = lookup(self.ctx, {n for items in found.values() for n in items})
        self.names = self.names.merge(names)
        out = []
        for p, total in counted:
            items = sorted(found.get(p, []), key=lambda n: names.label(n).lower())[:MAX_RELATED]
            if not items:
                continue
            values = [Value(names.label(n), names.href(self.ctx, n) or
                            self.ctx.ids.href(n, None), iri=str(n)) for n in items]
            out.append(Related(inverse_label(p, self.prop_names), values, total,
                               self._related_more(p)))
        return out

    def _related_more(self, prop: URIRef) -> str | None:
        kind, rid = self.view.kind, self.view.id
        if kind is None:
            return None
        table: dict[tuple[str, URIRef], str] = {
            ("organisations", DCT.publisher): f"/datasets?publisher={rid}",
            ("organisations", ODRL.assigner): f"/policies?publisher={rid}",
        }
        return table.get((kind.name, prop))

    def members(self, page: Page) -> None:
        kind = self.view.kind
        if kind is None or kind.name not in ("dataspaces", "organisations"):
            return
        x, timeout = term_n3(self.view.iri), self.ctx.settings.query_timeout
        if kind.name == "dataspaces":
            where = f"?m {term_n3(ORG.organization)} {x} ; {term_n3(ORG.member)} ?who ."
            page.members_title = "Members"
            page.members_more = f"/organisations?dataspace={self.view.id}"
        else:
            where = f"?m {term_n3(ORG.member)} {x} ; {term_n3(ORG.organization)} ?who ."
            page.members_title = "Member of"
        total = self.ctx.store.query(f"SELECT (COUNT(DISTINCT ?who) AS ?n) WHERE {{ {where} }}",
                                     timeout=timeout).rows
        page.members_total = int(total[0][0]) if total and total[0][0] is not None else 0
        if not page.members_total:
            return
        rows = self.ctx.store.query(
            f"SELECT ?who ?role WHERE {{ {{ SELECT DISTINCT ?who WHERE {{ {where} }} "
            f"ORDER BY ?who LIMIT {MAX_MEMBERS} }} {where} "
            f"OPTIONAL {{ ?m {term_n3(ORG.role)} ?role }} }}", timeout=timeout).rows
        roles: dict[URIRef, list[URIRef]] = {}
        for who, role in rows:
            found = roles.setdefault(who, [])  # type: ignore[arg-type]
            if isinstance(role, URIRef) and role not in found:
                found.append(role)
        names = lookup(self.ctx, {*roles, *(r for rs in roles.values() for r in rs)})
        self.names = self.names.merge(names)
        page.members = sorted(
            (Member(Value(names.label(w), names.href(self.ctx, w), iri=str(w)),
                    [Value(names.label(r)) for r in sorted(rs, key=str)])
             for w, rs in roles.items()), key=lambda m: m.who.text.lower())

    # -- governance and policies ------------------------------------------------------------
    def governance(self, page: Page) -> None:
        kind = self.view.kind
        if kind is None or kind.name not in ("dataspaces", "organisations"):
            return
        iri = self.view.iri
        if kind.name == "dataspaces":
            chain = governance_chain(self.ctx, iri)
            nodes, edges = diagram.from_chain(chain)
            page.reaches_eu = bool(chain.get("reachesEU"))
            page.diagram_caption = ("From this data space through its rulebook, its governing "
                                    "authority and the frameworks it is subject to, up to "
                                    "the EU tier." if page.reaches_eu else
                                    "This data space's governance chain does not reach the "
                                    "EU tier.")
        else:
            spaces = self._spaces_of_organisation(iri)
            if not spaces:
                return
            tier = next((t for t in self.graph.objects(iri, DSKG.tier)), None)
            nodes = [diagram.Node(str(iri), page.title, "organisation",
                                  str(tier) if tier is not None else None, page.href)]
            edges = []
            for space, role_kind in spaces:
                chain = governance_chain(self.ctx, space)
                more_nodes, more_edges = diagram.from_chain(chain)
                # Rulebooks are each data space's detail; their own pages show them.
                rulebooks = {n.id for n in more_nodes if n.role == "rulebook"}
                nodes += [n for n in more_nodes if n.id not in rulebooks]
                edges += [e for e in more_edges if e.target not in rulebooks]
                if not any(e.source == str(space) and e.target == str(iri) for e in more_edges):
                    edges.append(diagram.Edge(str(iri), str(space), role_kind, role_kind))
            page.reaches_eu = any(n.tier == str(DSKG.EUTier) for n in nodes)
            page.diagram_caption = ("The data spaces this organisation takes part in, and "
                                    "their governance chains up the tiers.")
        page.diagram_keys = sorted({e.kind for e in edges})
        page.diagram = diagram.render_svg(nodes, edges, current=str(iri),
                                          title=f"Governance of {page.title}")

    def _spaces_of_organisation(self, iri: URIRef) -> list[tuple[URIRef, str]]:
        rows = self.ctx.store.query(
            f"SELECT DISTINCT ?space ?how WHERE {{ "
            f"{{ ?space {term_n3(DSKG.governedBy)} ?x BIND('governs' AS ?how) }} UNION "
            f"{{ ?m {term_n3(ORG.member)} ?x ; {term_n3(ORG.organization)} ?space "
            f"BIND('member' AS ?how) }} ?space a {term_n3(DSKG.DataSpace)} }} "
            f"ORDER BY ?how ?space LIMIT {MAX_DIAGRAM_SPACES * 4}",
            {"x": iri}, timeout=self.ctx.settings.query_timeout).rows
        spaces: dict[URIRef, str] = {}
        for space, how in rows:
            if isinstance(space, URIRef) and space not in spaces:
                spaces[space] = "member" if str(how) == "member" else "governs"
        return list(spaces.items())[:MAX_DIAGRAM_SPACES]

    def policies(self, page: Page) -> None:
        """The policies in this description (a policy itself, a dataset's offer, a data
        space's rulebook policy) in words, and the tier policies they inherit from."""
        holders = sorted({n for n in self.graph.subjects(RDF.type, None)
                          if isinstance(n, URIRef) and is_policy(self.graph, n)}, key=str)
        if self.view.iri in holders:
            holders = [self.view.iri]
        seen: set[str] = set(map(str, holders))
        for holder in holders:
            main, ancestors = policy_with_ancestors(self.ctx, holder, self.graph)
            page.policies.append(main)
            for words in ancestors:
                if words.iri not in seen:
                    seen.add(words.iri)
                    page.inherited.append(words)

    def stewardship(self) -> tuple[Value | None, str | None]:
        """Who owns the description and how it was last written (never the token subject:
        the page is public, DESIGN 4a)."""
        record = self.view.document.stewardship
        if record is None:
            return None, None
        owner = owner_value(self.ctx, record.owner)
        when = format_date(Literal(record.written_at, datatype=XSD.dateTime)) \
            if record.written_at else None
        role = f"by {_ARTICLE.get(record.writer_role or '', 'a')} {record.writer_role}" \
            if record.writer_role else None
        written = " ".join(part for part in ("last written", when, role) if part) \
            if when or role else None
        return owner, written

    # -- the page ----------------------------------------------------------------------------
    def build(self) -> Page:
        view, ctx = self.view, self.ctx
        shown = self._displayed_iris()
        self.names = lookup(ctx, shown)
        self.prop_names = property_names(
            ctx, {p for p in self.graph.predicates() if isinstance(p, URIRef)})
        types = sorted(t for t in self.graph.objects(view.iri, RDF.type) if isinstance(t, URIRef))
        tier_node = next((t for t in self.graph.objects(view.iri, DSKG.tier)), None)
        tier, tier_key = None, ""
        if isinstance(tier_node, URIRef):
            known = TIER_BY_IRI.get(tier_node)
            tier_key = known.notation if known else ""
            tier = Value(known.label if known else self.names.label(tier_node),
                         f"/{view.kind.name}?tier={known.notation}" if known and view.kind
                         else None)
        href = view.links.get(view.iri) or (ctx.ids.href(view.iri, view.kind))
        parts, mentions = self.parts()
        page = Page(
            title=view.label, iri=str(view.iri), kind_name=view.kind.name if view.kind else None,
            kind_title=view.kind.title if view.kind else "Resources",
            description=view.description,
            types=[Value(class_label(t, self.names.labels), iri=str(t))
                   for t in shown_classes(types)], tier=tier, tier_key=tier_key,
            sections=self.sections(), parts=parts, mentions=mentions, related=[],
            downloads=[(name, f"{href.split('?')[0]}?format={fmt}" if "?" not in href
                        else f"{href}&format={fmt}") for name, fmt in DOWNLOADS],
            href=href, graph=str(view.document.location.graph))
        page.owner, page.written = self.stewardship()
        page.related = self.related()
        self.members(page)
        self.governance(page)
        self.policies(page)
        if view.kind is not None and view.kind.name == "datasets" and view.id:
            page.edit_href = f"/ui/edit/datasets/{view.id}"
        return page

    def _displayed_iris(self) -> set[Node]:
        """The IRIs the page will show (each property capped), so labels stay one query."""
        out: set[Node] = set()
        for s in set(self.graph.subjects()):
            out.add(s)
            for p in set(self.graph.predicates(s)):
                out.add(p)
                values = sorted(self.graph.objects(s, p), key=str)
                out.update(values[:MAX_VALUES * 3])
        return {n for n in out if isinstance(n, URIRef)}


def resource_page(ctx: ServiceContext, view: ResourceView) -> Page:
    return _Builder(ctx, view).build()

