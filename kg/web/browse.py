"""Browse lists and search: the REST listing (same filters, same paging) with labels.

A list page is ``GET /{kind}?...`` asked for HTML: the same ``Filters`` and paging as the JSON
answer, its items' references (publisher, themes, tier, ...) shown by label and linked.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from rdflib import URIRef

from kg.errors import BadRequest
from kg.namespaces import DCAT, DCT, DEFAULT_ID_BASE, DSKG, ODRL, SKOS
from kg.services.context import ServiceContext
from kg.services.kinds import KINDS, Kind, kind_for_types
from kg.services.listing import (
    DEFAULT_LIMIT,
    FILTER_PATTERNS,
    ROLES,
    Filters,
    Page,
    bindings_for,
    list_resources,
    summaries,
)
from kg.services.textindex import TEXT_PROPERTIES, first_kind, text_index_for
from kg.store.sparql_text import term_n3, values_list
from kg.vocabulary import TIERS
from kg.web.labels import Names, lookup
from kg.web.policywords import action_words

PAGE_SIZES = (20, 50, 100)
SEARCH_KINDS = ("dataspaces", "organisations", "datasets", "policies")
SEARCH_LIMIT = 6
SEARCH_SCAN = 120
#: Organisations and datasets offered in form menus (more can be typed by id or IRI).
CHOICES_LIMIT = 300
THEME_SCHEME = URIRef("http://publications.europa.eu/resource/authority/data-theme")
PURPOSE_SCHEME = URIRef(DEFAULT_ID_BASE + "concept/purposes")
#: Summary fields shown as chips, per kind, in order.
CHIPS = {
    "organisations": ("tier", "country"),
    "dataspaces": ("tier", "country", "theme", "governedBy"),
    "datasets": ("publisher", "theme", "tier"),
    "policies": ("tier", "assigner", "target"),
    "memberships": ("member", "organization", "role"),
}
FILTER_LABELS = {"q": "Text", "tier": "Tier", "country": "Country", "dataspace": "Data space",
                 "publisher": "Publisher", "theme": "Theme", "role": "Role"}


@dataclass
class Option:
    value: str
    label: str


@dataclass
class Choices:
    """Values offered in forms (computed from the whole graph; cached until a write)."""

    themes: list[Option] = field(default_factory=list)
    dataspaces: list[Option] = field(default_factory=list)
    purposes: list[Option] = field(default_factory=list)
    organisations: list[Option] = field(default_factory=list)
    datasets: list[Option] = field(default_factory=list)
    duties: list[Option] = field(default_factory=list)
    licences: list[Option] = field(default_factory=list)
    media_types: list[Option] = field(default_factory=list)


@dataclass
class Field:
    name: str
    label: str
    value: str
    options: list[Option] | None = None  # None: a text input
    placeholder: str = ""


@dataclass
class Chip:
    label: str
    href: str | None = None
    kind: str = ""


@dataclass
class Item:
    label: str
    href: str | None
    description: str | None
    chips: list[Chip]


@dataclass
class Listing:
    kind: Kind
    total: int
    offset: int
    limit: int
    items: list[Item]
    fields: list[Field]
    prev_href: str | None = None
    next_href: str | None = None
    json_href: str = ""
    all_href: str = ""
    active: list[Chip] = field(default_factory=list)

    @property
    def first(self) -> int:
        return self.offset + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.offset + len(self.items)


def choices(ctx: ServiceContext) -> Choices:
    timeout = ctx.settings.query_timeout

    def column(sparql: str) -> list:
        return [n for n in ctx.store.query(sparql, timeout=timeout).column("x")
                if isinstance(n, URIRef)]

    themes = column(f"SELECT DISTINCT ?x WHERE {{ {{ ?x {term_n3(SKOS.inScheme)} "
                    f"{term_n3(THEME_SCHEME)} }} UNION {{ ?s a {term_n3(DSKG.DataSpace)} ; "
                    f"{term_n3(DCAT.theme)} ?x }} }}")
    purposes = column(f"SELECT DISTINCT ?x WHERE {{ ?x {term_n3(SKOS.inScheme)} "
                      f"{term_n3(PURPOSE_SCHEME)} }}")
    duties = column(f"SELECT DISTINCT ?x WHERE {{ ?r {term_n3(ODRL.duty)}/{term_n3(ODRL.action)}"
                    " ?x } LIMIT 50")
    licences = column(f"SELECT DISTINCT ?x WHERE {{ ?x a {term_n3(DCT.LicenseDocument)} }} "
                      "LIMIT 100")
    media = column(f"SELECT DISTINCT ?x WHERE {{ ?x a {term_n3(DCT.MediaType)} }} LIMIT 100")
    names = lookup(ctx, [*themes, *purposes, *duties, *licences, *media])

    def options(nodes: list, value: Callable[[URIRef], str] = str) -> list[Option]:
        found = [Option(value(n), names.label(n)) for n in nodes]
        return sorted(found, key=lambda o: o.label.lower())

    def listed(kind: str) -> list[Option]:
        items = list_resources(ctx, KINDS[kind], Filters(), limit=CHOICES_LIMIT).items
        return sorted((Option(i["id"], i["label"]) for i in items),
                      key=lambda o: o.label.lower())

    def theme_code(node: URIRef) -> str:
        return str(node).rsplit("/", 1)[-1] if str(node).startswith(str(THEME_SCHEME)) \
            else str(node)

    def action_name(node: URIRef) -> str:
        return str(node)[len(str(ODRL)):] if str(node).startswith(str(ODRL)) else str(node)

    return Choices(themes=options(themes, theme_code), dataspaces=listed("dataspaces"),
                   purposes=options(purposes), organisations=listed("organisations"),
                   datasets=listed("datasets"), duties=[
                       Option(action_name(n), action_words(n, names))
                       for n in sorted(duties, key=str)],
                   licences=options(licences), media_types=options(media))


def _fields(kind: Kind, params: Mapping[str, str], found: Choices) -> list[Field]:
    fields = [Field("q", FILTER_LABELS["q"], params.get("q", ""), None,
                    "words in names and descriptions")]
    for name in FILTER_PATTERNS[kind.name]:
        value = params.get(name, "")
        if name == "tier":
            options = [Option(t.notation, t.label) for t in TIERS]
        elif name == "theme":
            options = found.themes
        elif name == "dataspace":
            options = found.dataspaces
        elif name == "role":
            options = [Option(key, key.capitalize()) for key in ROLES]
        else:
            options = None
        if options is not None and value and value not in {o.value for o in options}:
            options = [*options, Option(value, value)]
        hint = {"country": "e.g. ES", "publisher": "id or IRI"}.get(name, "")
        fields.append(Field(name, FILTER_LABELS[name], value, options, hint))
    return fields


def _href(kind: Kind, params: Mapping[str, str], **changes: object) -> str:
    merged = {k: v for k, v in params.items() if v not in ("", None)}
    merged.update({k: str(v) for k, v in changes.items() if v is not None})
    merged = {k: v for k, v in merged.items() if not (k == "offset" and v == "0")}
    query = urlencode(merged)
    return f"/{kind.name}" + (f"?{query}" if query else "")


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def items_of(ctx: ServiceContext, kind: Kind, page: Page) -> list[Item]:
    wanted = CHIPS[kind.name]
    refs = {URIRef(v) for item in page.items for name in wanted if name != "country"
            for v in _listed(item.get(name))
            if isinstance(v, str) and "://" in v}
    names = lookup(ctx, refs)
    return [_item(ctx, kind, item, wanted, names) for item in page.items]


def _item(ctx: ServiceContext, kind: Kind, item: dict, wanted: tuple[str, ...], names: Names
          ) -> Item:
    chips: list[Chip] = []
    for name in wanted:
        raw = item.get(name)
        for value in raw if isinstance(raw, list) else [raw]:
            if not isinstance(value, str):
                continue
            if name == "country":
                chips.append(Chip(value, f"/{kind.name}?country={value}", name))
            elif name == "tier":
                tier = next((t for t in TIERS if str(t.iri) == value), None)
                chips.append(Chip(tier.label if tier else value,
                                  f"/{kind.name}?tier={tier.notation}" if tier else None, name))
            else:
                node = URIRef(value)
                chips.append(Chip(names.label(node), names.href(ctx, node), name))
    description = item.get("description")
    if description and len(description) > 240:
        description = description[:237].rsplit(" ", 1)[0] + "…"
    return Item(item["label"], item.get("href"), description, chips)


def _int(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name) or ""
    try:
        return int(raw) if raw else default
    except ValueError:
        raise BadRequest(f"{name} must be an integer, got {raw[:40]!r}") from None


def browse(ctx: ServiceContext, kind: Kind, params: Mapping[str, str], found: Choices
           ) -> Listing:
    """One page of ``kind`` with the REST filters in ``params`` (unknown ones refused)."""
    given = {name: params.get(name) for name in ("tier", "country", "dataspace", "publisher",
                                                  "theme", "role", "q") if params.get(name)}
    limit = _int(params, "limit", DEFAULT_LIMIT)
    offset = _int(params, "offset", 0)
    page = list_resources(ctx, kind, Filters(**given), limit=limit, offset=offset)
    listing = Listing(kind, page.total, page.offset, page.limit, items_of(ctx, kind, page),
                      _fields(kind, params, found))
    kept = {k: v for k, v in params.items() if k in (*given, "limit") and v}
    if page.has_prev:
        listing.prev_href = _href(kind, kept, offset=max(0, offset - limit))
    if page.has_next:
        listing.next_href = _href(kind, kept, offset=offset + limit)
    listing.json_href = _href(kind, {**kept, "offset": str(offset)}, format="json")
    listing.all_href = f"/{kind.name}"
    labels = {o.value: o.label for f in listing.fields if f.options for o in f.options}
    listing.active = [Chip(f"{FILTER_LABELS[k]}: {labels.get(v, v)}",
                           _href(kind, {x: y for x, y in kept.items() if x != k}), k)
                      for k, v in given.items() if v]
    return listing


def _scan(ctx: ServiceContext, q: str) -> dict[object, set[URIRef]]:
    """Matches by reading the text values (while the text index is not ready), with their
    classes; at most SEARCH_SCAN of them."""
    word = term_n3(bindings_for(ctx, Filters(q=q))["f_q"])
    classes = [c for name in SEARCH_KINDS for c in KINDS[name].classes]
    rows = ctx.store.query(
        f"SELECT DISTINCT ?s ?c WHERE {{ {{ SELECT DISTINCT ?s WHERE {{ "
        f"{values_list('q_p', TEXT_PROPERTIES)} ?s ?q_p ?q_text "
        f"FILTER(CONTAINS(LCASE(STR(?q_text)), {word})) }} LIMIT {SEARCH_SCAN} }} "
        f"OPTIONAL {{ ?s a ?c . {values_list('c', classes)} }} }}",
        timeout=ctx.settings.query_timeout).rows
    types: dict[object, set[URIRef]] = {}
    for s, c in rows:
        found = types.setdefault(s, set())
        if isinstance(c, URIRef):
            found.add(c)
    return types


@dataclass
class SearchGroup:
    kind: Kind
    items: list[Item]
    more: bool  # there are more matches than shown
    more_href: str
    #: how many match (None when the scan stopped early and does not know)
    total: int | None = None

    @property
    def shown(self) -> int:
        return len(self.items)


def search(ctx: ServiceContext, q: str) -> list[SearchGroup]:
    """The first matches of each kind for free text, with the REST ``q`` filter's meaning
    (labels and descriptions, case-insensitive).

    The text index (kg.services.textindex) finds every match of every kind at once. While
    it is being built, one scan of the text does, stopping after ``SEARCH_SCAN`` matches
    (then a kind missing from them may still match: its group links to its REST list)."""
    by_kind: dict[str, list[URIRef]] = {name: [] for name in SEARCH_KINDS}
    index = text_index_for(ctx.store, ctx.settings)
    indexed = index.matches(q) if index is not None else None
    if indexed is not None:
        cut = False
        for s, kinds in indexed.items():
            shown_as = first_kind(kinds)
            if shown_as in by_kind and isinstance(s, URIRef):
                by_kind[shown_as].append(s)
    else:
        types = _scan(ctx, q)
        cut = len(types) >= SEARCH_SCAN
        for node, found in types.items():
            kind_of = kind_for_types(found)
            if kind_of is not None and kind_of.name in by_kind and isinstance(node, URIRef):
                by_kind[kind_of.name].append(node)
    groups = []
    for name in SEARCH_KINDS:
        kind, iris = KINDS[name], by_kind[name]
        first = heapq.nsmallest(SEARCH_LIMIT, iris)
        page = Page(kind, len(iris), SEARCH_LIMIT, 0, summaries(ctx, kind, first))
        groups.append(SearchGroup(kind, items_of(ctx, kind, page),
                                  len(iris) > SEARCH_LIMIT or cut, _href(kind, {"q": q}),
                                  None if cut else len(iris)))
    return groups
