"""The shape of every dataset's own policy rows, kept current by the store's change events.

The permitted list (``GET /datasets?may=...``) gives one decision to all datasets whose own
rows (links, catalogs above them, offers with their bodies) have the same key up to a
renaming of their own nodes (``kg.policy.shapes.signature``). Reading those rows for every
dataset is most of the list's cost, and they change only when someone writes: this index
reads them once per store (``build``), then, on each change event, re-reads only the
datasets whose rows came from a changed graph or name a node the changed graphs now
describe. The list then decides one dataset per group and pages over the groups' members.

What is kept per dataset: its group (None: decided alone, e.g. an offer on a blank node or
a dataset in an asset collection), the hashes of its renamed nodes (a question naming one
of them, or a tier policy holding one, makes it decided alone), the graphs its rows came
from and the nodes whose description its rows read (to find what a write touches).

Hashes stand for node names (``hash(term_key(node))``): a collision only makes a dataset
decided alone or read again, never given another's verdict.

Writes the store object reports (``Store.subscribe``) are applied before the next use. A
write of unknown graphs (a bulk load, a raw SPARQL Update) makes the whole index stale (it
is built again on next use). On a store other processes write to, their writes arrive as
change events from the change feed (``DSKG_SHARED_REFRESH``); the index is also built
again ``refresh_after`` seconds after its last build, for writes the feed cannot see.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rdflib import URIRef
from rdflib.namespace import DCAT
from rdflib.term import Node

from kg.namespaces import DCT, DSKG, META_GRAPH, ODRL
from kg.policy import shapes
from kg.policy.queries import (
    BODY_LINKS,
    MANY_ROOTS_QUERIES,
    OWN_BODY,
    PREFIXES,
    PRESENT_LINKS_QUERY,
    STRUCTURAL,
    narrowed,
)
from kg.services.kinds import KINDS
from kg.store.base import Store
from kg.store.sparql_text import terms_n3, values_list

log = logging.getLogger("dskg.policy")

#: Datasets read per round of queries.
CHUNK = 500
#: Seconds after which an index over a store other processes write to is built again.
SHARED_REFRESH = 300.0

_G = "GRAPH ?g { ?s ?p ?o }"


def _many(where: str, key: str = "t") -> str:
    return PREFIXES + f"SELECT ?{key} ?s ?p ?o ?g WHERE {{ VALUES ?{key} {{ %s }} {where} }}"


# The rows ``StoreSource.prefetch`` reads, each with the graph it is in.
OWN_QUERIES = (
    _many("GRAPH ?g { ?t ?p ?o } BIND(?t AS ?s) FILTER(?p NOT IN (dcat:dataset, dcat:record))"),
    _many(f"?t (odrl:partOf|dct:isPartOf)+ ?s . {_G} FILTER(?p IN ({STRUCTURAL}))"),
    _many("GRAPH ?g { ?s dcat:dataset ?t } BIND(dcat:dataset AS ?p) BIND(?t AS ?o)"),
)
CATALOGS_QUERY = _many(
    "{ ?t (^dcat:catalog)* ?o . GRAPH ?g { ?s dcat:catalog ?o } BIND(dcat:catalog AS ?p) } "
    "UNION { ?top dcat:catalog* ?t . GRAPH ?g { ?s dskg:catalog ?top } "
    "BIND(dskg:catalog AS ?p) BIND(?top AS ?o) }")
#: The bodies of blank-node roots, anchored on their targets (a blank node cannot be named
#: in VALUES); ?t's root is returned as ?r so that its label can be checked against the one
#: the roots query gave (an engine that relabels blank nodes per answer fails the check).
BLANK_BODIES_QUERY = (
    PREFIXES + "SELECT ?t ?r ?s ?p ?o ?g WHERE { VALUES ?t { %s } "
    "{ ?t odrl:hasPolicy ?r } UNION "
    "{ ?r (odrl:permission|odrl:prohibition|odrl:obligation)?/odrl:target ?t } "
    f"FILTER(isBLANK(?r)) ?r {OWN_BODY}* ?s . {_G} "
    "FILTER(?p NOT IN (dcat:dataset, dcat:record, dcat:service, dcat:catalog)) }")
BODIES_QUERY = _many(f"?t {OWN_BODY}* ?s . {_G} "
                     "FILTER(?p NOT IN (dcat:dataset, dcat:record, dcat:service, dcat:catalog))")
OPERANDS_QUERY = PREFIXES + "SELECT DISTINCT ?o WHERE { ?s odrl:leftOperand ?o }"
#: What changed graphs hold now: their subjects, the nodes their links lead to, their
#: left operands (``%s``: the graphs).
FOLLOWED_LINKS = (*BODY_LINKS, "odrl:hasPolicy", "odrl:partOf", "dct:isPartOf", "dcat:dataset",
                  "dcat:catalog", "dskg:catalog")
FOLLOWED = shapes.key_set(
    (ODRL[c[5:]] if c.startswith("odrl:") else
     DCT[c[4:]] if c.startswith("dct:") else DCAT[c[5:]] if c.startswith("dcat:") else  # type: ignore[misc]
     DSKG[c[5:]] if c.startswith("dskg:") else
     URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#" + c[4:]))
    for c in FOLLOWED_LINKS)
CHANGED_SUBJECTS = PREFIXES + "SELECT DISTINCT ?s WHERE { VALUES ?g { %s } GRAPH ?g { ?s ?p ?o } }"
CHANGED_OBJECTS = (PREFIXES + "SELECT DISTINCT ?o WHERE { VALUES ?g { %s } GRAPH ?g { ?s ?p ?o } "
                   f"FILTER(?p IN ({', '.join(FOLLOWED_LINKS)}) && !isLITERAL(?o)) }}")
CHANGED_OPERANDS = (PREFIXES + "SELECT DISTINCT ?o WHERE { VALUES ?g { %s } "
                    "GRAPH ?g { ?s odrl:leftOperand ?o } }")


@dataclass(slots=True)
class Entry:
    group: int | None  # None: decided alone
    renamed: tuple[int, ...]
    graphs: tuple[int, ...]  # hashes of their term keys
    nodes: tuple[int, ...]
    into: tuple[int, ...]
    cats: tuple[str, ...]  # the catalogs listing it


#: Datasets past which a node stops listing its dependents (``HUB``: a write describing it
#: builds the index again): an action, a purpose, a party collection named by most offers.
HUB_SIZE = 1000
HUB = "hub"


def _add(index: dict, key: object, target: URIRef, hub: int | None = None) -> None:
    """``index[key]``: one target, or a set of several (most keys have one: a set each
    would be most of the index's memory), or ``HUB`` past ``hub`` of them."""
    found = index.get(key)
    if found is None:
        index[key] = target
    elif type(found) is set:
        found.add(target)
        if hub is not None and len(found) > hub:
            index[key] = HUB
    elif found != target and found is not HUB:
        index[key] = {found, target}


def _drop(index: dict, key: object, target: URIRef) -> None:
    found = index.get(key)
    if type(found) is set:
        found.discard(target)
        if len(found) == 1:
            index[key] = next(iter(found))
    elif found == target:
        del index[key]


def _targets(index: dict, key: object) -> set[URIRef] | None:
    """The targets under ``key``; None for a hub."""
    found = index.get(key)
    if found is HUB:
        return None
    return set() if found is None else set(found) if type(found) is set else {found}


class ShapeIndex:
    """Every dataset's group of equal shapes (see the module doc)."""

    def __init__(self, store: Store, refresh_after: float | None = None) -> None:
        self._store = weakref.ref(store)
        self.refresh_after = refresh_after
        self.lock = threading.RLock()  # held while the index is read or changed
        self._events = threading.Lock()  # only for _pending/_stale: a write never waits
        self._pending: set[URIRef] = set()
        self._stale = True
        self.built_at = 0.0
        self.build_seconds = 0.0
        self.builds = 0
        #: bumped whenever the groups change (verdicts kept per group name it)
        self.generation = 0
        self._reset()
        store.subscribe(self._on_change)

    def _reset(self) -> None:
        self.entries: dict[URIRef, Entry] = {}
        self.keys: dict[shapes.Key, int] = {}
        self.members: dict[int, set[URIRef]] = {}
        self.alone: set[URIRef] = set()
        #: nodes whose own triples a dataset's rows hold (hubs past ``HUB_SIZE``)
        self._by_node: dict[int, URIRef | set[URIRef] | str] = {}
        #: renamed nodes (``renamed_as``), also nodes whose own triples the rows hold
        self._renamed: dict[int, URIRef | set[URIRef]] = {}
        #: nodes whose incoming links a dataset's rows hold (itself, the roots targeting it)
        self._by_object: dict[int, URIRef | set[URIRef]] = {}
        self._by_graph: dict[int, URIRef | set[URIRef]] = {}
        #: the rows above each catalog and the graphs they came from, and those graphs
        self._catalogs: dict[str, tuple[frozenset[TRow], tuple[int, ...]]] = {}
        self._catalog_graphs: dict[int, str | set[str]] = {}
        #: every node of the rows above each catalog (its parents, the data spaces) -> it
        self._catalog_nodes: dict[int, str | set[str]] = {}
        #: catalog -> the datasets it lists
        self._under: dict[str, URIRef | set[URIRef]] = {}
        self.operands: frozenset[Node] = frozenset()
        self.reads: frozenset[str] = frozenset()
        self._next_group = 0

    @property
    def store(self) -> Store:
        store = self._store()
        if store is None:
            raise RuntimeError("the store of this shape index is gone")
        return store

    def _on_change(self, graphs: frozenset[URIRef] | None) -> None:
        with self._events:
            if graphs is None:
                self._stale = True
            else:
                self._pending |= graphs

    # -- use -------------------------------------------------------------------------------
    @contextmanager
    def current(self, timeout: float | None = None) -> Iterator[ShapeIndex]:
        """The index with every reported write applied, held (locked) while in use."""
        with self.lock:
            with self._events:
                stale = self._stale or (self.refresh_after is not None and
                                        time.monotonic() - self.built_at > self.refresh_after)
                pending, self._pending = self._pending, set()
            try:
                if stale:
                    self.build(timeout)
                elif pending:
                    self._apply(pending, timeout)
            except BaseException:  # half applied (a timeout, the engine away): start over
                with self._events:
                    self._stale = True
                raise
            yield self

    def start(self) -> None:
        """Build in the background (a serving node's start): the first list then waits
        only for what is left of the build."""
        def build() -> None:
            try:
                with self.current():
                    pass
            except Exception as exc:  # the first list builds it again and reports
                log.warning("the shape index could not be built: %s", exc)

        threading.Thread(target=build, daemon=True, name="dskg-shapes").start()

    def renamed_as(self, key: str) -> set[URIRef]:
        """The datasets one of whose renamed nodes is ``key`` (a ``term_key``)."""
        code = hash(key)
        return _targets(self._renamed, code) or set()

    # -- building --------------------------------------------------------------------------
    def build(self, timeout: float | None = None) -> None:
        started = time.perf_counter()
        with self.lock:
            with self._events:  # what is written from now on is applied after the build
                self._stale = False
                self._pending.clear()
            self.builds += 1
            try:
                self._reset()
                self.generation += 1
                store = self.store
                self.operands = frozenset(r[0] for r in store.query(
                    OPERANDS_QUERY, timeout=timeout).rows if r[0] is not None)
                self.reads = _reads(self.operands)
                kind = KINDS["datasets"]
                rows = store.query(f"{PREFIXES}SELECT DISTINCT ?s WHERE {{ "
                                   f"{kind.type_pattern('s')} }}", timeout=timeout).rows
                targets = sorted(r[0] for r in rows if isinstance(r[0], URIRef))
                self._read_all(targets, timeout)
            except BaseException:  # half built: built again on next use
                with self._events:
                    self._stale = True
                raise
            self.built_at = time.monotonic()
        self.build_seconds = time.perf_counter() - started
        log.info("shape index: %d datasets in %d groups (%d alone), built in %.1f s",
                 len(self.entries), len(self.members), len(self.alone), self.build_seconds)

    def _read_all(self, targets: list[URIRef], timeout: float | None) -> None:
        store = self.store
        present = _present(store, timeout)
        catalogs: dict[str, tuple[list[TRow], set[str]]] = {}
        for start in range(0, len(targets), CHUNK):
            chunk = targets[start:start + CHUNK]
            for target, (rows, graphs, whole) in _read(store, chunk, present, catalogs,
                                                       timeout).items():
                self._enter(target, rows, graphs, whole)
        for cat, (rows, graphs) in catalogs.items():
            self._keep_catalog(cat, rows, graphs)

    def _catalogs_changed(self, cats: set[str], timeout: float | None) -> set[URIRef]:
        """The datasets under those of ``cats`` whose rows above changed (read again)."""
        affected: set[URIRef] = set()
        for cat, (rows, found) in _collect(self.store, CATALOGS_QUERY, sorted(cats),
                                           timeout).items():
            if frozenset(rows) != self._catalogs[cat][0]:  # its datasets' keys change
                affected |= _targets(self._under, cat) or set()
            self._keep_catalog(cat, list(rows), found)
        return affected

    def _keep_catalog(self, cat: str, rows: list[TRow], graphs: set[str]) -> None:
        """The rows above catalog ``cat`` (in its datasets' keys), kept with their graphs:
        a write to one of those re-reads the datasets only when the rows changed (a data
        space's document edited for its rulebook leaves its catalog link as it was)."""
        old = self._catalogs.get(cat)
        if old is not None:
            for code in old[1]:
                _drop(self._catalog_graphs, code, cat)  # type: ignore[arg-type]
        codes = tuple({hash(g) for g in graphs})
        self._catalogs[cat] = (frozenset(rows), codes)
        for code in codes:
            _add(self._catalog_graphs, code, cat)  # type: ignore[arg-type]
        for code in {hash(cat), *(hash(n) for s, _, o in rows for n in (s, o))}:
            _add(self._catalog_nodes, code, cat)  # type: ignore[arg-type]

    def _enter(self, target: URIRef, rows: list[tuple[str, str, str]], graphs: set[str],
               whole: bool) -> None:
        tkey = shapes.term_key(target)
        found = shapes.signature(tkey, rows, self.reads) if whole and rows else None
        renamed: tuple[int, ...]
        if found is None:
            group, renamed = None, (hash(tkey),)
            self.alone.add(target)
        else:
            key, names = found
            group = self.keys.get(key)
            if group is None:
                group = self.keys[key] = self._next_group
                self._next_group += 1
                self.members[group] = set()
            self.members[group].add(target)
            renamed = tuple(hash(n) for n in names)
        nodes = set(renamed)
        tcode = hash(tkey)
        nodes.add(tcode)
        into = {tcode}
        cats: set[str] = set()
        for s, p, o in rows:
            if p in _CATALOG_LINKS:  # the catalogs above: ``_catalogs`` follows them
                if p == _DATASET_KEY and o == tkey:
                    cats.add(s)
                continue
            if p == _TARGET_KEY and o == tkey:  # a root targeting it
                into.add(hash(s))
            nodes.add(hash(s))
            if p in _READ_ON and o[:1] == "<":  # read if it gets a description
                nodes.add(hash(o))
        nodes.difference_update(renamed)  # those are in ``_renamed``
        entry = Entry(group, renamed, tuple({hash(g) for g in graphs}), tuple(nodes),
                      tuple(into), tuple(cats))
        self.entries[target] = entry
        for code in entry.nodes:
            _add(self._by_node, code, target, HUB_SIZE)
        for code in entry.renamed:
            _add(self._renamed, code, target)
        for code in entry.into:
            _add(self._by_object, code, target)
        for graph in entry.graphs:
            _add(self._by_graph, graph, target)
        for cat in entry.cats:
            _add(self._under, cat, target)

    def _remove(self, target: URIRef) -> None:
        entry = self.entries.pop(target, None)
        if entry is None:
            return
        for code in entry.nodes:
            _drop(self._by_node, code, target)
        for code in entry.renamed:
            _drop(self._renamed, code, target)
        for code in entry.into:
            _drop(self._by_object, code, target)
        for cat in entry.cats:
            _drop(self._under, cat, target)
        for graph in entry.graphs:
            _drop(self._by_graph, graph, target)
        if entry.group is None:
            self.alone.discard(target)
        else:
            members = self.members[entry.group]
            members.discard(target)
            if not members:
                del self.members[entry.group]
                self.keys = {k: g for k, g in self.keys.items() if g != entry.group}

    # -- writes ----------------------------------------------------------------------------
    def _apply(self, graphs: set[URIRef], timeout: float | None) -> None:
        """Read again the datasets the writes to ``graphs`` may have changed."""
        store = self.store
        affected: set[URIRef] = set()
        cats: set[str] = set()
        for graph in graphs:
            code = hash(shapes.term_key(graph))
            affected |= _targets(self._by_graph, code) or set()
            cats |= _targets(self._catalog_graphs, code) or set()
        affected |= self._catalogs_changed(cats, timeout)
        # the meta graph (touched by every write) holds records about graphs, never a
        # dataset's rows: what it held before counts (above), its whole content does not
        names = sorted(g for g in graphs if str(g) != META_GRAPH)
        subjects: set[Node] = set()
        objects: set[Node] = set()
        operands: set[Node] = set()
        for start in range(0, len(names), CHUNK):
            values = terms_n3(names[start:start + CHUNK])
            for query, into in ((CHANGED_SUBJECTS, subjects), (CHANGED_OBJECTS, objects),
                                (CHANGED_OPERANDS, operands)):
                into.update(r[0] for r in store.query(query % values, timeout=timeout).rows
                            if r[0] is not None)
        if not _reads(operands) <= self.reads:  # a new operand reads other properties
            self.build(timeout)
            return
        for node in subjects:
            code = hash(shapes.term_key(node))
            found = _targets(self._by_node, code)
            if found is None:  # a node most offers name is described anew
                self.build(timeout)
                return
            affected |= found | (_targets(self._renamed, code) or set())
        for node in objects:
            code = hash(shapes.term_key(node))
            affected |= _targets(self._by_object, code) or set()
            # a new link into a catalog's chain (a parent catalog, a data space)
            more = (_targets(self._catalog_nodes, code) or set()) - cats
            cats |= more
            affected |= self._catalogs_changed(more, timeout)  # type: ignore[arg-type]
        candidates = sorted({n for n in subjects if isinstance(n, URIRef)} | affected)
        datasets = _datasets(store, candidates, timeout)
        read = (affected | (datasets - self.entries.keys())) & datasets
        self.generation += 1
        for target in affected:
            self._remove(target)
        self._read_all(sorted(read), timeout)

def _reads(operands: Iterable[Node]) -> frozenset[str]:
    """The target's properties a key keeps: every asset property besides what ``operands``
    read (so that only an operand outside ODRL changes it)."""
    every = [o for props in shapes.ASSET_PROPERTIES.values() for o in props]
    return shapes.key_set([*shapes.readable([*operands, *shapes.ASSET_PROPERTIES]), *every])


def _present(store: Store, timeout: float | None) -> frozenset[str]:
    curie = {str(ODRL) + link[5:] if link.startswith("odrl:")
             else "http://www.w3.org/1999/02/22-rdf-syntax-ns#" + link[4:]: link
             for link in BODY_LINKS}
    rows = store.query(PRESENT_LINKS_QUERY, timeout=timeout).rows
    return frozenset(curie[str(r[0])] for r in rows if str(r[0]) in curie)


def _datasets(store: Store, nodes: list[URIRef], timeout: float | None) -> set[URIRef]:
    """Which of ``nodes`` are datasets now."""
    kind = KINDS["datasets"]
    out: set[URIRef] = set()
    for start in range(0, len(nodes), CHUNK):
        values = values_list("s", nodes[start:start + CHUNK])
        rows = store.query(f"{PREFIXES}SELECT DISTINCT ?s WHERE {{ {values} "
                           f"{kind.type_pattern('s')} }}", timeout=timeout).rows
        out.update(r[0] for r in rows if isinstance(r[0], URIRef))
    return out


TSV = "text/tab-separated-values"
TRow = tuple[str, str, str]


def _tsv(store: Store, query: str, timeout: float | None) -> list[list[str]]:
    """``query``'s rows as the engine writes them in TSV (terms as ``term_key`` strings,
    "" unbound): no term objects made for rows that are only compared and hashed."""
    body = store.query_serialized(query, TSV, timeout=timeout).body.decode()
    return [line.rstrip("\r").split("\t") for line in body.split("\n")[1:] if line]


def _collect(store: Store, query: str, keys: list[str], timeout: float | None
             ) -> dict[str, tuple[dict[TRow, None], set[str]]]:
    """Rows (in order, without repeats) and their graphs, per key of ``query``'s VALUES."""
    out: dict[str, tuple[dict[TRow, None], set[str]]] = {k: ({}, set()) for k in keys}
    for start in range(0, len(keys), CHUNK):
        values = " ".join(keys[start:start + CHUNK])
        for k, s, p, o, g in _tsv(store, query % values, timeout):
            found = out.get(k)
            if found is None or not (s and p and o):
                continue
            found[0][(s, p, o)] = None
            if g:
                found[1].add(g)
    return out


_DATASET_KEY = shapes.term_key(DCAT.dataset)
_TARGET_KEY = shapes.term_key(ODRL.target)
_CATALOG_LINKS = shapes.key_set((DCAT.dataset, DCAT.catalog, DSKG.catalog))
#: Links whose objects' own triples a dataset's rows hold (a parent's body is not its own).
_READ_ON = FOLLOWED - _CATALOG_LINKS - {shapes.term_key(ODRL.inheritFrom)}


def _read(store: Store, targets: list[URIRef], present: frozenset[str],
          catalogs: dict[str, tuple[list[TRow], set[str]]], timeout: float | None
          ) -> dict[URIRef, tuple[list[TRow], set[str], bool]]:
    """Per target: the rows ``StoreSource.prefetch`` gives it, their graphs, and whether
    they are whole (False: a blank-node offer or catalog, read only in part)."""
    keys = [shapes.term_key(t) for t in targets]
    links: dict[str, tuple[dict[TRow, None], set[str]]] = {k: ({}, set()) for k in keys}
    for query in OWN_QUERIES:
        for k, (own_rows, own_graphs) in _collect(store, query, keys, timeout).items():
            links[k][0].update(own_rows)
            links[k][1].update(own_graphs)
    listing = {k: [s for s, p, o in rows if p == _DATASET_KEY and o == k]
               for k, (rows, _) in links.items()}
    missing = sorted({c for cats in listing.values() for c in cats
                      if c.startswith("<") and c not in catalogs})
    for cat, (cat_rows, cat_graphs) in _collect(store, CATALOGS_QUERY, missing, timeout).items():
        catalogs[cat] = (list(cat_rows), cat_graphs)
    roots: dict[str, set[str]] = {k: set() for k in keys}
    values = " ".join(keys)
    for query in MANY_ROOTS_QUERIES:
        for k, root in _tsv(store, query.replace("?target", "?t") % values, timeout):
            if k in roots and root:
                roots[k].add(root)
    named = sorted({r for rs in roots.values() for r in rs if r.startswith("<")})
    bodies = _collect(store, narrowed(BODIES_QUERY, present), named, timeout)
    blank = [k for k in keys if any(not r.startswith("<") for r in roots[k])]
    if blank:  # (target, root) -> rows, graphs
        query = narrowed(BLANK_BODIES_QUERY, present) % " ".join(blank)
        for k, r, s, p, o, g in _tsv(store, query, timeout):
            if r in roots.get(k, ()) and s and p and o:
                kept, in_graphs = bodies.setdefault(f"{k} {r}", ({}, set()))
                kept[(s, p, o)] = None
                if g:
                    in_graphs.add(g)
    out: dict[URIRef, tuple[list[TRow], set[str], bool]] = {}
    for target, k in zip(targets, keys, strict=True):
        rows_seen, graphs = links[k]
        rows = list(rows_seen)
        whole = True
        for cat in sorted(listing[k]):
            if cat in catalogs:  # its graphs are the catalog's (``ShapeIndex._catalogs``)
                rows += catalogs[cat][0]
            else:
                whole = False  # a blank-node catalog
        for root in sorted(roots[k]):
            body = bodies.get(root if root.startswith("<") else f"{k} {root}")
            if body is not None:
                rows += list(body[0])
                graphs = graphs | body[1]
            else:
                whole = False  # a blank-node root whose label the engine did not keep
        out[target] = (rows, set(graphs), whole)
    return out


_INDEXES: weakref.WeakKeyDictionary[Store, ShapeIndex] = weakref.WeakKeyDictionary()
_INDEXES_LOCK = threading.Lock()


def shape_index_for(store: Store) -> ShapeIndex:
    """The one shape index of ``store`` (built on first use, then kept current)."""
    with _INDEXES_LOCK:
        index = _INDEXES.get(store)
        if index is None:
            refresh = SHARED_REFRESH if store.shared_with_other_writers else None
            index = _INDEXES[store] = ShapeIndex(store, refresh)
        return index
