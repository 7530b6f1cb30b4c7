"""Listing a kind: filters, a total count, a page in a stable order, a summary per item.

Three queries: the total, the page of IRIs, and the summary facts of just that page. Pages
never overlap or skip while the data stays the same: items are sorted by IRI, or, past
SORT_LIMIT matches, come in the store's index order (deterministic, and free to page).
Filter values are pre-bound variables (``Store.query`` bindings), never pasted into the
query text.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Identifier

from kg.errors import BadRequest
from kg.namespaces import (
    DCAT,
    DCT,
    DSKG,
    EU_THEME,
    META_GRAPH,
    ODRL,
    ORG,
    RDF,
    SKOS,
)
from kg.services.context import ServiceContext
from kg.services.documents import best_literal
from kg.services.ids import SLUG, meant_as_iri, parse_iri
from kg.services.kinds import KINDS, Kind
from kg.services.textindex import TEXT_PROPERTIES, kind_members, text_index_for
from kg.services.tiers import resolve_tier
from kg.store.sparql_text import values_list
from kg.vocabulary import LABEL_PROPERTIES

MAX_LIMIT = 1000
DEFAULT_LIMIT = 50
#: Up to this many matches, items are sorted by IRI. Beyond, sorting would cost seconds
#: (the engine decodes every IRI to compare them), so items come in the store's index
#: order: as stable (the same data gives the same pages), but not alphabetical.
SORT_LIMIT = 500

#: kind -> filter -> the group pattern (``?s`` is the item, ``?f`` the bound filter value).
FILTER_PATTERNS: dict[str, dict[str, str]] = {
    "organisations": {
        "tier": "?s dskg:tier ?f_tier .",
        "country": "?s dskg:country ?f_country .",
        "dataspace": "?m org:member ?s ; org:organization ?f_dataspace .",
        "role": "?m org:member ?s ; org:role ?f_role .",
    },
    "dataspaces": {
        "tier": "?s dskg:tier ?f_tier .",
        "country": "?s dskg:country ?f_country .",
        "theme": "?s dcat:theme ?f_theme .",
        "role": "?m org:organization ?s ; org:role ?f_role .",
    },
    "datasets": {
        "tier": "{ ?s dskg:tier ?f_tier } UNION { ?sp dskg:catalog/dcat:dataset ?s . "
                "?sp dskg:tier ?f_tier }",
        "country": "?s dct:publisher/dskg:country ?f_country .",
        "dataspace": "?f_dataspace dskg:catalog/dcat:dataset ?s .",
        "publisher": "?s dct:publisher ?f_publisher .",
        "theme": "?s dcat:theme ?f_theme .",
    },
    "policies": {
        "tier": "?s dskg:tier ?f_tier .",
        "country": "?s odrl:assigner/dskg:country ?f_country .",
        "dataspace": "{ ?f_dataspace dskg:rulebook/odrl:hasPolicy ?s } UNION "
                     "{ ?f_dataspace dskg:catalog/dcat:dataset/odrl:hasPolicy ?s }",
        "publisher": "?s odrl:assigner ?f_publisher .",
    },
    "memberships": {
        "tier": "?s org:organization/dskg:tier ?f_tier .",
        "country": "?s org:member/dskg:country ?f_country .",
        "dataspace": "?s org:organization ?f_dataspace .",
        "role": "?s org:role ?f_role .",
    },
}
#: The ``q`` filter as a scan, for when the text index is not ready (kg.services.textindex).
TEXT_PATTERN = ("?s ?q_p ?q_text . " + values_list("q_p", TEXT_PROPERTIES)
                + " FILTER(CONTAINS(LCASE(STR(?q_text)), ?f_q))")
#: Up to this many text matches are handed to the listing query as VALUES; beyond, the
#: query filters by text itself (a huge VALUES block costs more than the scan).
TEXT_VALUES_LIMIT = 5000
PREFIXES = ("PREFIX dskg: <https://w3id.org/dskg#> PREFIX org: <http://www.w3.org/ns/org#> "
            "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/> "
            "PREFIX odrl: <http://www.w3.org/ns/odrl/2/> ")
ROLES = {"provider": DSKG.DataProvider, "consumer": DSKG.DataConsumer,
         "intermediary": DSKG.DataIntermediary, "operator": DSKG.Operator,
         "governance": DSKG.GovernanceAuthority}
#: Facts shown for each item of a page.
SUMMARY = {
    "label": LABEL_PROPERTIES,
    "description": (DCT.description, SKOS.definition),
    "tier": (DSKG.tier,), "country": (DSKG.country,), "publisher": (DCT.publisher,),
    "theme": (DCAT.theme,), "member": (ORG.member,), "organization": (ORG.organization,),
    "role": (ORG.role,), "assigner": (ODRL.assigner,), "target": (ODRL.target,),
    "governedBy": (DSKG.governedBy,), "type": (RDF.type,),
}
_MULTI = {"theme", "role", "type"}


@dataclass
class Filters:
    tier: str | None = None
    country: str | None = None
    dataspace: str | None = None
    publisher: str | None = None
    theme: str | None = None
    role: str | None = None
    q: str | None = None

    def given(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v not in (None, "")}


@dataclass
class Page:
    kind: Kind
    total: int
    limit: int
    offset: int
    items: list[dict[str, Any]] = field(default_factory=list)
    #: "iri" (sorted by IRI) or "store" (the store's index order, for large results)
    order: str = "iri"

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total

    @property
    def has_prev(self) -> bool:
        return self.offset > 0

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "limit": self.limit, "offset": self.offset,
                "order": self.order, "items": self.items}


class _NoMatchError(Exception):
    """A filter names something that does not exist: the answer is the empty page."""


def _reference(ctx: ServiceContext, value: str, kind_name: str, what: str) -> URIRef:
    """A filter value naming a resource: an IRI, or the REST id of one."""
    if meant_as_iri(value):
        return parse_iri(value, what)
    kind = KINDS[kind_name]
    if not (SLUG.fullmatch(value) or value.startswith("~")):
        raise BadRequest(f"{what} must be an IRI or an id from GET /{kind.name}")
    found = ctx.ids.find(ctx.store, kind, value)
    if found is None:
        raise _NoMatchError(value)
    return found


def _concept(value: str, table: dict[str, URIRef], what: str) -> URIRef:
    if meant_as_iri(value):
        return parse_iri(value, what)
    key = value.strip()
    for name, iri in table.items():
        if key.lower() in (name, iri.split("#")[-1].lower()):
            return iri
    raise BadRequest(f"unknown {what} {value!r}: use an IRI or one of {', '.join(table)}")


def bindings_for(ctx: ServiceContext, filters: Filters) -> dict[str, Identifier]:
    bound: dict[str, Identifier] = {}
    for name, value in filters.given().items():
        if name == "tier":
            bound["f_tier"] = resolve_tier(value)
        elif name == "country":
            code = value.strip().upper()
            if len(code) != 2 or not code.isalpha():
                raise BadRequest(f"country is an ISO 3166-1 alpha-2 code such as ES, "
                                 f"got {value!r}")
            bound["f_country"] = Literal(code)
        elif name == "dataspace":
            bound["f_dataspace"] = _reference(ctx, value, "dataspaces", "dataspace")
        elif name == "publisher":
            bound["f_publisher"] = _reference(ctx, value, "organisations", "publisher")
        elif name == "theme":
            theme = value.strip()
            bound["f_theme"] = (EU_THEME[theme.upper()] if theme.isalpha() and len(theme) == 4
                                else parse_iri(theme, "theme"))
        elif name == "role":
            bound["f_role"] = _concept(value, ROLES, "role")
        elif name == "q":
            if len(value) > 200:
                raise BadRequest("q is limited to 200 characters")
            bound["f_q"] = Literal(value.lower())
    return bound


def where_clause(kind: Kind, filters: Filters, text_matches: list[URIRef] | None = None) -> str:
    """The listing's group pattern; with ``text_matches`` (from the text index) the ``q``
    filter is those subjects instead of a text scan."""
    patterns = [kind.type_pattern("s")]
    allowed = FILTER_PATTERNS[kind.name]
    for name in filters.given():
        if name == "q" and text_matches is not None:
            patterns.insert(0, values_list("s", text_matches))
        elif name == "q":
            patterns.append(TEXT_PATTERN)
        elif name in allowed:
            patterns.append(allowed[name])
        else:
            usable = ", ".join([*allowed, "q"])
            raise BadRequest(f"/{kind.name} cannot be filtered by {name}; use {usable}")
    return " ".join(patterns)


def list_resources(ctx: ServiceContext, kind: Kind, filters: Filters, *,
                   limit: int = DEFAULT_LIMIT, offset: int = 0) -> Page:
    """One page of ``kind`` matching ``filters``, with the total count."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise BadRequest("offset must not be negative")
    where = where_clause(kind, filters)  # checks the filter names first
    try:
        bound = bindings_for(ctx, filters)
    except _NoMatchError:
        return Page(kind, 0, limit, offset)
    if filters.q:
        index = text_index_for(ctx.store, ctx.settings)
        found = index.matches(filters.q) if index is not None else None
        if found is not None:
            members = kind_members(found, kind)
            if set(filters.given()) == {"q"}:
                # The index answers alone: total, and a page in IRI order.
                page = heapq.nsmallest(offset + limit, members)[offset:]
                return Page(kind, len(members), limit, offset, summaries(ctx, kind, page),
                            "iri")
            if len(members) <= TEXT_VALUES_LIMIT:
                if not members:
                    return Page(kind, 0, limit, offset)
                where = where_clause(kind, filters, members)
                bound.pop("f_q")
    timeout = ctx.settings.query_timeout
    count = ctx.store.query(f"{PREFIXES}SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {where} }}",
                            bound, timeout=timeout)
    total = int(count.rows[0][0]) if count.rows and count.rows[0][0] is not None else 0
    if offset >= total:
        return Page(kind, total, limit, offset, order="iri" if total <= SORT_LIMIT else "store")
    order = "iri" if total <= SORT_LIMIT else "store"
    rows = ctx.store.query(
        f"{PREFIXES}SELECT DISTINCT ?s WHERE {{ {where} }} "
        f"{'ORDER BY ?s ' if order == 'iri' else ''}LIMIT {int(limit)} OFFSET {int(offset)}",
        bound, timeout=timeout)
    iris = [row[0] for row in rows.rows if isinstance(row[0], URIRef)]
    return Page(kind, total, limit, offset, summaries(ctx, kind, iris), order)


def summaries(ctx: ServiceContext, kind: Kind | None, iris: list[URIRef]) -> list[dict[str, Any]]:
    """The list items for ``iris`` (in that order): id, label and the main facts."""
    if not iris:
        return []
    props = {p for group in SUMMARY.values() for p in group}
    # Only the subjects are bound: a second VALUES (on ?p) makes the engine scan.
    result = ctx.store.query(
        "SELECT ?s ?p ?o WHERE { " + values_list("s", iris)
        + f" GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{META_GRAPH}>) }}",
        timeout=ctx.settings.query_timeout)
    facts: dict[URIRef, dict[URIRef, list[Identifier]]] = {}
    for s, p, o in result.rows:
        if p not in props:
            continue
        values = facts.setdefault(s, {}).setdefault(p, [])  # type: ignore[arg-type]
        if o not in values:
            values.append(o)  # type: ignore[arg-type]
    return [_summary(ctx, kind, iri, facts.get(iri, {})) for iri in iris]


def _summary(ctx: ServiceContext, kind: Kind | None, iri: URIRef,
             facts: dict[URIRef, list[Identifier]]) -> dict[str, Any]:
    item: dict[str, Any] = {"@id": str(iri)}
    if kind is not None:
        item["id"] = ctx.ids.to_id(iri, kind)
        item["href"] = ctx.ids.href(iri, kind)
    for name, props in SUMMARY.items():
        values = [v for p in props for v in facts.get(p, [])]
        if not values:
            continue
        if name in ("label", "description"):
            text = best_literal(values)  # type: ignore[arg-type]
            if text:
                item[name] = text
        elif name in _MULTI:
            item[name] = sorted(str(v) for v in values)
        else:
            item[name] = str(sorted(values)[0])
    item.setdefault("label", item.get("id") or str(iri))
    return item
