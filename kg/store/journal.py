"""Undoing a journaled write: the graphs a load tagged, their records, then the activity.

A journaled write (the write path's bulk load of ``dskg load``, a remote store's chunked
write) names an activity in the meta graph and tags every graph it writes with
``<graph> prov:wasGeneratedBy <activity>``; until the activity has an end it can be undone.
Here, at the store level, because both kinds of journaled write undo the same way.
"""

from __future__ import annotations

from rdflib import URIRef

from kg.namespaces import META_GRAPH, PROV
from kg.store.base import Store
from kg.store.sparql_text import term_n3, values_list

META = URIRef(META_GRAPH)
#: Graphs removed per transaction when a load is undone (a crash part-way through an undo
#: leaves the activity open, so the next open finishes it).
UNDO_BATCH = 2000


def undo_load(store: Store, load: URIRef) -> int:
    """Remove what ``load`` wrote: its graphs and their records, in transactions of
    UNDO_BATCH graphs, then the activity. Returns how many graphs were dropped."""
    meta, by, tag = term_n3(META), term_n3(PROV.wasGeneratedBy), term_n3(load)
    dropped = 0
    size = min(UNDO_BATCH, store.max_update_operations)  # DROPs one request may hold
    while True:
        batch = [row[0] for row in store.query(
            f"SELECT ?g WHERE {{ GRAPH {meta} {{ ?g {by} {tag} }} }} LIMIT {size}"
        ).rows if isinstance(row[0], URIRef)]
        if not batch:
            break
        # DROP, not DELETE: the graphs themselves go too (an emptied graph would still be
        # listed, and the next write to it would count as a replacement).
        drops = " ;\n".join(f"DROP SILENT GRAPH {term_n3(g)}" for g in batch)
        store.update(
            f"{drops} ;\n"
            f"DELETE {{ GRAPH {meta} {{ ?g ?p ?o }} }} WHERE {{ {values_list('g', batch)} "
            f"GRAPH {meta} {{ ?g ?p ?o }} }}",
            touched=[*batch, META])
        dropped += len(batch)
    store.update(f"DELETE WHERE {{ GRAPH {meta} {{ {tag} ?p ?o }} }}", touched=[META])
    if not store.query(f"ASK {{ GRAPH {meta} {{ ?s ?p ?o }} }}").boolean:
        store.update(f"DROP SILENT GRAPH {meta}", touched=[META])  # the load made it
    return dropped
