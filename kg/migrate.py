"""Bring a store written by an earlier version up to date, once, when it is opened.

Earlier versions named a description's graph after its main resource, so the provenance
record (about the graph) read as facts about the resource, and recorded no owner. Opening
such a store renames those graphs (``graph_iri_for``), re-keys their records and tombstones,
and gives every record an owner (the one the node would give it: ``natural_owner``) in ONE
transaction; a store that needs nothing is left alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from rdflib import URIRef
from rdflib.term import Node

from kg import ownership
from kg.namespaces import DSKG, META_GRAPH
from kg.store.base import Store
from kg.store.sparql_text import term_n3
from kg.write import graph_iri_for, transaction

Triple = tuple[Node, Node, Node]
log = logging.getLogger("dskg")


@dataclass
class Migration:
    renamed: int = 0
    owners: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.renamed or self.owners)

    def summary(self) -> str:
        return (f"migrated the store: {self.renamed} description graph(s) given IRIs of their "
                f"own, {self.owners} record(s) given an owner")


def _resource_named_graphs(store: Store) -> list[URIRef]:
    meta = term_n3(URIRef(META_GRAPH))
    rows = store.query(
        f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g a ?t }} FILTER(?g != {meta}) }}")
    return sorted(g for g in rows.column("g") if isinstance(g, URIRef))


def _records_without_owner(store: Store) -> dict[URIRef, URIRef | None]:
    """Described graphs whose record names no owner, with the resource each describes."""
    rows = store.query(
        f"SELECT ?g ?root WHERE {{ GRAPH {term_n3(URIRef(META_GRAPH))} {{ "
        f"?g a {term_n3(DSKG.Description)} "
        f"FILTER NOT EXISTS {{ ?g {term_n3(DSKG.owner)} ?o }} "
        f"OPTIONAL {{ ?g {term_n3(DSKG.describes)} ?root }} }} }}").rows
    return {g: root if isinstance(root, URIRef) else None
            for g, root in rows if isinstance(g, URIRef)}


def _old_tombstones(store: Store, base_iri: str) -> list[URIRef]:
    """Tombstones keyed by a resource's IRI (left by deletions in earlier versions)."""
    rows = store.query(f"SELECT DISTINCT ?s WHERE {{ GRAPH {term_n3(URIRef(META_GRAPH))} {{ "
                       f"?s a {term_n3(DSKG.DeletedDescription)} }} }}").column("s")
    return sorted(s for s in rows if isinstance(s, URIRef) and "/graph/" not in str(s)
                  and not str(s).startswith(f"{base_iri}harvest/"))


def migrate(store: Store, base_iri: str) -> Migration:
    """Rename resource-named graphs and give records owners, atomically (see module doc)."""
    with transaction(store):
        old_names = _resource_named_graphs(store)
        unowned = _records_without_owner(store)
        tombstones = _old_tombstones(store, base_iri)
        if not old_names and not unowned and not tombstones:
            return Migration()
        meta = URIRef(META_GRAPH)
        renames = {old: graph_iri_for(base_iri, old) for old in [*old_names, *tombstones]}
        graphs = {new: list(store.get_graph(old)) for old, new in renames.items()}
        records = [t for t in store.get_graph(meta) if t[0] in renames]
        rekeyed = [(renames[s], p, o) for s, p, o in records]  # type: ignore[index]
        for old in old_names:
            new = renames[old]
            if (new, DSKG.describes, None) not in {(s, p, None) for s, p, _o in rekeyed}:
                rekeyed.append((new, DSKG.describes, old))
            if old in unowned or (old, DSKG.owner, None) not in {(s, p, None)
                                                                 for s, p, _ in records}:
                unowned.pop(old, None)
                unowned[new] = old
        nationals = ownership.national_tiers(store)
        roots = [r for r in unowned.values() if r is not None]
        places = ownership.placements(store, roots)
        owners = [(g, DSKG.owner, ownership.natural_owner(places.get(root), nationals)
                   if root is not None else ownership.NODE_OWNER)
                  for g, root in unowned.items()]
        store.replace_graphs(graphs, drop=old_names, add={meta: [*rekeyed, *owners]},
                             remove_subjects={meta: [*old_names, *tombstones]})
        done = Migration(renamed=len(old_names), owners=len(owners))
    log.warning("%s", done.summary())
    return done
