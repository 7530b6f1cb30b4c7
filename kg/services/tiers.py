"""What each governance tier governs (the tiers themselves: ``kg.vocabulary.TIERS``)."""

from __future__ import annotations

from typing import Any

from rdflib import URIRef
from rdflib.term import Node

from kg.errors import BadRequest
from kg.namespaces import DCAT, DSKG
from kg.services.context import ServiceContext
from kg.services.ids import meant_as_iri
from kg.services.kinds import kind_for_types
from kg.vocabulary import TIERS, Tier


def resolve_tier(value: str) -> URIRef:
    """A tier from its IRI, its local name (``EUTier``) or its notation (``eu``)."""
    text = value.strip()
    for tier in TIERS:
        if text in (str(tier.iri), tier.notation) or text.lower() in (
                tier.notation, tier.iri.split("#")[-1].lower()):
            return tier.iri
    hint = ", ".join(t.notation for t in TIERS)
    if meant_as_iri(text):
        raise BadRequest(f"{text} is not a governance tier; use one of {hint}")
    raise BadRequest(f"unknown tier {value!r}: use one of {hint} (or the tier's IRI)")


def tier_json(tier: Tier) -> dict[str, Any]:
    return {"@id": str(tier.iri), "id": tier.notation, "label": tier.label,
            "broader": str(tier.broader) if tier.broader else None}


_CATEGORY = {"dataspaces": "dataspaces", "organisations": "organisations",
             "policies": "policies"}


def tiers_with_counts(ctx: ServiceContext) -> list[dict[str, Any]]:
    """Each tier with counts of the frameworks, data spaces, authorities, rulebooks and
    policies at it, and of the memberships and datasets of its data spaces."""
    counts: dict[Node, dict[str, int]] = {
        t.iri: {"frameworks": 0, "dataspaces": 0, "organisations": 0, "rulebooks": 0,
                "policies": 0, "memberships": 0, "datasets": 0} for t in TIERS}
    timeout = ctx.settings.query_timeout
    rows = ctx.store.query(
        f"SELECT ?s ?tier ?type WHERE {{ ?s <{DSKG.tier}> ?tier . ?s a ?type }}",
        timeout=timeout).rows
    types: dict[tuple[Node | None, Node | None], set[Node]] = {}
    for s, tier_iri, cls in rows:
        if cls is not None:
            types.setdefault((s, tier_iri), set()).add(cls)
    for (_s, at), classes in types.items():
        if at not in counts:
            continue
        if DSKG.LegalFramework in classes:
            counts[at]["frameworks"] += 1
        elif DSKG.Rulebook in classes:
            counts[at]["rulebooks"] += 1
        else:
            kind = kind_for_types(classes)
            if kind is not None and kind.name in _CATEGORY:
                counts[at][_CATEGORY[kind.name]] += 1
    for name, pattern in (
            ("memberships", "?x <http://www.w3.org/ns/org#organization> ?space ."),
            ("datasets", f"?space <{DSKG.catalog}>/<{DCAT.dataset}> ?x .")):
        result = ctx.store.query(
            f"SELECT ?tier (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?space <{DSKG.tier}> ?tier . "
            f"{pattern} }} GROUP BY ?tier", timeout=timeout)
        for tier_iri, n in result.rows:
            if tier_iri in counts and n is not None:
                counts[tier_iri][name] = int(n)
    out = []
    for tier in TIERS:
        entry = tier_json(tier)
        entry["counts"] = counts[tier.iri]
        entry["total"] = sum(counts[tier.iri].values())
        out.append(entry)
    return out

