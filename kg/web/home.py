"""The home page's picture of the ecosystem: three tiers, their main bodies and frameworks.

EU and international on top, national (with regional and municipal) in the middle, data
spaces and projects below. "Main" means most referenced: frameworks by how many things are
subject to them, bodies and data spaces by their memberships and what they govern. The whole
picture is a few aggregate queries; the web layer caches it until the next write.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Literal, URIRef

from kg.namespaces import DSKG
from kg.services.context import ServiceContext
from kg.services.kinds import KINDS
from kg.services.listing import Filters, list_resources
from kg.services.tiers import tiers_with_counts
from kg.vocabulary import TIERS
from kg.web.labels import lookup

TOP = 6
PREFIXES = ("PREFIX dskg: <https://w3id.org/dskg#> PREFIX org: <http://www.w3.org/ns/org#> "
            "PREFIX foaf: <http://xmlns.com/foaf/0.1/> ")
FRAMEWORKS = PREFIXES + """SELECT ?f ?tier (COUNT(DISTINCT ?x) AS ?n) WHERE {
  ?f a dskg:LegalFramework ; dskg:tier ?tier . OPTIONAL { ?x dskg:subjectTo ?f }
} GROUP BY ?f ?tier"""
BODIES = PREFIXES + """SELECT ?o ?tier ?space (COUNT(DISTINCT ?x) AS ?n) WHERE {
  ?o dskg:tier ?tier .
  { ?o a org:Organization } UNION { ?o a dskg:DataSpace } UNION { ?o a foaf:Organization }
  BIND(EXISTS { ?o a dskg:DataSpace } AS ?space)
  OPTIONAL { { ?x org:member ?o } UNION { ?x org:organization ?o }
             UNION { ?x dskg:governedBy ?o } }
} GROUP BY ?o ?tier ?space"""
#: The three bands and the tiers each gathers.
BANDS = (
    ("eu", "EU and international", "European Union law, European and international bodies",
     (DSKG.EUTier,)),
    ("national", "National", "Member states' laws, data offices and agencies, with regional "
     "and municipal bodies", (DSKG.NationalTier, DSKG.RegionalTier, DSKG.MunicipalTier)),
    ("project", "Data spaces and projects", "Data spaces, collaboratives and the bodies that "
     "run them", (DSKG.ProjectTier,)),
)


@dataclass
class Item:
    label: str
    href: str
    count: int
    tier: str


@dataclass
class Count:
    label: str
    value: int
    href: str | None = None


@dataclass
class Band:
    key: str
    title: str
    subtitle: str
    counts: list[Count] = field(default_factory=list)
    frameworks: list[Item] = field(default_factory=list)
    bodies: list[Item] = field(default_factory=list)
    spaces: list[Item] = field(default_factory=list)


@dataclass
class Home:
    bands: list[Band]
    totals: list[Count]


def _ranked(rows: list[tuple[URIRef, URIRef, int]]) -> dict[URIRef, list[tuple[URIRef, int]]]:
    by_tier: dict[URIRef, list[tuple[URIRef, int]]] = {}
    for node, tier, n in rows:
        by_tier.setdefault(tier, []).append((node, n))
    for items in by_tier.values():
        items.sort(key=lambda item: (-item[1], str(item[0])))
    return by_tier


def home_picture(ctx: ServiceContext) -> Home:
    timeout = ctx.settings.query_timeout
    frameworks = _ranked([(f, t, int(n)) for f, t, n in ctx.store.query(
        FRAMEWORKS, timeout=timeout).rows
        if isinstance(f, URIRef) and isinstance(t, URIRef) and n is not None])
    bodies_rows = [(o, t, isinstance(s, Literal) and bool(s.toPython()), int(n))
                   for o, t, s, n in ctx.store.query(BODIES, timeout=timeout).rows
                   if isinstance(o, URIRef) and isinstance(t, URIRef) and n is not None]
    bodies = _ranked([(o, t, n) for o, t, is_space, n in bodies_rows if not is_space])
    spaces = _ranked([(o, t, n) for o, t, is_space, n in bodies_rows if is_space])
    shown: list[tuple[str, list[tuple[URIRef, int]], URIRef]] = []
    for key, _title, _sub, tiers in BANDS:
        for tier in tiers:
            shown += [("frameworks", frameworks.get(tier, [])[:TOP], tier),
                      ("bodies", bodies.get(tier, [])[:TOP], tier),
                      ("spaces", spaces.get(tier, [])[:TOP + 2 if key == "project" else TOP],
                       tier)]
    names = lookup(ctx, [node for _what, items, _t in shown for node, _n in items])
    counts = {entry["@id"]: entry for entry in tiers_with_counts(ctx)}
    notation = {str(t.iri): t.notation for t in TIERS}
    bands = []
    for key, title, subtitle, tiers in BANDS:
        band = Band(key, title, subtitle)
        for what, items, tier in shown:
            if tier not in tiers:
                continue
            target = getattr(band, what)
            target += [Item(names.label(node), names.href(ctx, node) or
                            ctx.ids.href(node, None), n, notation[str(tier)])
                       for node, n in items]
        for attr in ("frameworks", "bodies", "spaces"):
            ranked = sorted(getattr(band, attr), key=lambda i: -i.count)
            setattr(band, attr, ranked[:TOP + 2 if attr == "spaces" else TOP])
        band.counts = _band_counts(key, [counts.get(str(t), {}) for t in tiers])
        bands.append(band)
    totals = [Count(kind.title, list_resources(ctx, kind, Filters(), limit=1).total,
                    f"/{kind.name}") for kind in (KINDS["organisations"], KINDS["dataspaces"],
                                                  KINDS["datasets"], KINDS["policies"])]
    return Home(bands, totals)


def _band_counts(key: str, entries: list[dict]) -> list[Count]:
    def total(name: str) -> int:
        return sum(int(e.get("counts", {}).get(name, 0)) for e in entries)

    tier = "" if key == "national" else f"?tier={key}"
    wanted = [("frameworks", "legal frameworks", None),
              ("organisations", "bodies", f"/organisations{tier}"),
              ("dataspaces", "data spaces", f"/dataspaces{tier}"),
              ("policies", "tier policies", f"/policies{tier}")]
    if key == "project":
        wanted = [("dataspaces", "data spaces", "/dataspaces?tier=project"),
                  ("memberships", "memberships", "/memberships?tier=project"),
                  ("datasets", "datasets", "/datasets?tier=project"),
                  ("rulebooks", "rulebooks", None),
                  ("policies", "policies", "/policies?tier=project")]
    if key == "national":
        return [Count(label, total(name), href and f"{href}?tier=national")
                for name, label, href in wanted if total(name)]
    return [Count(label, total(name), href) for name, label, href in wanted if total(name)]
