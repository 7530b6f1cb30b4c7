"""Figures about the store: sizes, counts per class and per governance tier."""

from __future__ import annotations

from typing import Any

from kg.namespaces import compact
from kg.store import Store


def graph_stats(store: Store) -> dict[str, Any]:
    classes = store.query(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n) ?c"
    )
    tiers = store.query(
        "PREFIX dskg: <https://w3id.org/dskg#> "
        "SELECT ?t (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s dskg:tier ?t } GROUP BY ?t ORDER BY ?t"
    )
    return {
        "store": store.kind,
        "triples": store.triple_count(),
        "graphs": len(store.graph_names()),
        "classes": {compact(str(c)): int(n) for c, n in classes.rows},  # type: ignore[arg-type]
        "tiers": {compact(str(t)): int(n) for t, n in tiers.rows},  # type: ignore[arg-type]
    }
