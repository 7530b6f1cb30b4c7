"""A data space's governance chain: its authority, rulebook and frameworks up to the EU tier.

The chain follows ``dskg:governedBy``, ``dskg:rulebook`` and ``dskg:subjectTo`` from the data
space, transitively (a national law is subject to the EU regulation it implements). The answer
is a graph ready to draw: nodes carrying their tier IRI, and edges.
"""

from __future__ import annotations

from typing import Any

from rdflib import URIRef
from rdflib.term import Identifier

from kg.namespaces import DSKG, RDF
from kg.services.context import ServiceContext
from kg.services.documents import best_literal
from kg.services.kinds import kind_for_types
from kg.store.sparql_text import predicate_filter, term_n3, values_list
from kg.vocabulary import LABEL_PROPERTIES, TIER_BY_IRI, TIERS

CHAIN = {DSKG.governedBy: "governedBy", DSKG.rulebook: "rulebook", DSKG.subjectTo: "subjectTo"}
_ORDER = {t.iri: i for i, t in enumerate(TIERS)}


def governance_chain(ctx: ServiceContext, space: URIRef) -> dict[str, Any]:
    """Nodes and edges of the governance chain of ``space`` (an existing data space)."""
    path = "|".join(term_n3(p) for p in CHAIN)
    timeout = ctx.settings.query_timeout
    edges_result = ctx.store.query(
        f"SELECT DISTINCT ?s ?p ?o WHERE {{ ?space ({path})* ?s . "
        f"?s ?p ?o {predicate_filter(CHAIN)} FILTER(isIRI(?o)) }}",
        {"space": space}, timeout=timeout)
    edges = sorted({(s, p, o) for s, p, o in edges_result.rows
                    if isinstance(s, URIRef) and isinstance(p, URIRef) and isinstance(o, URIRef)})
    node_iris = sorted({space} | {s for s, _, _ in edges} | {o for _, _, o in edges})
    facts = _facts(ctx, node_iris)
    authorities = {o for _, p, o in edges if p == DSKG.governedBy}
    nodes = [_node(ctx, iri, facts.get(iri, {}), iri in authorities) for iri in node_iris]
    nodes.sort(key=lambda n: (_ORDER.get(URIRef(n["tier"] or ""), len(_ORDER)), n["@id"]))
    by_tier = {n["@id"]: n["tier"] for n in nodes}
    subject_to: dict[URIRef, set[URIRef]] = {}
    for s, p, o in edges:
        if p == DSKG.subjectTo:
            subject_to.setdefault(s, set()).add(o)
    reaches = _reaches_eu(space, subject_to, by_tier)
    levels = [{"tier": str(t.iri), "label": t.label,
               "nodes": [n["@id"] for n in nodes if n["tier"] == str(t.iri)]} for t in TIERS]
    return {
        "@id": str(space),
        "nodes": nodes,
        "edges": [{"source": str(s), "target": str(o), "property": str(p),
                   "label": CHAIN[p]} for s, p, o in edges],
        "levels": [level for level in levels if level["nodes"]],
        "reachesEU": reaches,
    }


def _facts(ctx: ServiceContext, iris: list[URIRef]) -> dict[URIRef, dict[URIRef, list]]:
    props = (RDF.type, DSKG.tier, *LABEL_PROPERTIES)
    result = ctx.store.query(
        "SELECT ?s ?p ?o WHERE { " + values_list("s", iris) + " ?s ?p ?o "
        + predicate_filter(props) + " }",
        timeout=ctx.settings.query_timeout)
    facts: dict[URIRef, dict[URIRef, list[Identifier]]] = {}
    for s, p, o in result.rows:
        facts.setdefault(s, {}).setdefault(p, []).append(o)  # type: ignore[arg-type]
    return facts


def _node(ctx: ServiceContext, iri: URIRef, facts: dict[URIRef, list], authority: bool
          ) -> dict[str, Any]:
    types = set(facts.get(RDF.type, []))
    kind = kind_for_types(types)
    tiers = sorted(str(t) for t in facts.get(DSKG.tier, []) if t in TIER_BY_IRI)
    if DSKG.DataSpace in types:
        role = "dataspace"
    elif DSKG.LegalFramework in types:
        role = "framework"
    elif DSKG.Rulebook in types:
        role = "rulebook"
    elif authority:
        role = "authority"
    else:
        role = kind.singular if kind else "resource"
    label = best_literal([v for p in LABEL_PROPERTIES for v in facts.get(p, [])])
    node: dict[str, Any] = {
        "@id": str(iri), "label": label or str(iri), "role": role,
        "tier": tiers[0] if tiers else None,
        "tierLabel": TIER_BY_IRI[URIRef(tiers[0])].label if tiers else None,
        "href": ctx.ids.href(iri, kind),
    }
    if kind is not None:
        node["id"] = ctx.ids.to_id(iri, kind)
        node["kind"] = kind.name
    return node


def _reaches_eu(space: URIRef, subject_to: dict[URIRef, set[URIRef]],
                tiers: dict[str, str | None]) -> bool:
    if tiers.get(str(space)) == str(DSKG.EUTier):
        return True
    seen = {space}
    frontier = [space]
    while frontier:
        node = frontier.pop()
        for target in subject_to.get(node, ()):
            if tiers.get(str(target)) == str(DSKG.EUTier):
                return True
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    return False
