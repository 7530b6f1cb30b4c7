"""Splitting a single-file catalog dump into descriptions, for ``dskg load``.

A portal exports its catalog as one file: a ``dcat:Catalog`` listing thousands of datasets,
with their distributions, offers and publishers, in the default graph. Stored as one
description, none of its datasets could be fetched, replaced or deleted on its own. This
module cuts it the way the ownership rules see it (DESIGN 4a):

- **roots**: every dataset, dataset series, data service, data space, organisation or other
  agent, legal framework and membership is the root of a description of its own;
- **owned sub-resources** go with the one root that holds them through a composition link
  (``dcat:distribution``, ``odrl:hasPolicy``, ``dskg:rulebook``, ``dskg:catalog``, ODRL
  rules, contact points, ...): a dataset's distributions and offer, a data space's rulebook,
  its policy and its catalog. Blank nodes go with whatever reaches them;
- a catalog, policy, rulebook or distribution that no single root holds (the portal's top
  catalog, an offer two datasets share), and any other IRI that is described but held by
  nobody, is a root of its own: nothing is lost;
- terms of shared vocabularies (EU authority tables, IANA media types, ...) are repeated in
  every description that uses them, as the node's own seeds do: only an admin may describe
  them, and each description then stands alone. A blank node two roots reach is copied into
  both (blank nodes cannot cross descriptions). Nothing else is repeated.

Listing links (``dcat:dataset``, ``dcat:catalog``, ...) stay with the catalog that states
them; references (``dct:publisher``, ``odrl:target``, ``odrl:inheritFrom``, ...) never pull
what they point at into a description.

The work is done on the engine's canonical N-Triples text (one triple per line), so a file
of 300k triples is cut in about a second without building rdflib terms. The result is
N-Quads, one graph per description, named as the write path names graphs
(``graph_iri_for``: the same root always gets the same graph), with a content hash per
description so that loading the same dump again rewrites only what changed.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.term import Node

from kg.namespaces import DCAT, DCT, DSKG, FOAF, META_GRAPH, ODRL, ORG, RDF, VCARD
from kg.ownership import LINKS, RESERVED_NAMESPACES
from kg.rdfio import BOM, parse_dataset
from kg.store import Store
from kg.store.canonical import recase_tags, written_tags
from kg.store.parsing import default_graph_ntriples
from kg.store.sparql_text import term_n3, values_list
from kg.write import (
    BULK_BYTES,
    BULK_GRAPHS,
    KIND_OF_CLASS,
    Description,
    FileCheck,
    Mode,
    Origin,
    WriteResult,
    bulk_write,
    commit_split,
    commit_split_applies,
    delete_graphs,
    graph_iri_for,
    slugify,
    write_descriptions,
)

Triple = tuple[str, str, str]


def _n(iri: str) -> str:
    return f"<{iri}>"


#: Classes whose instances always are roots of a description.
ROOT_CLASSES = frozenset(_n(c) for c in (
    DCAT.Dataset, f"{DCAT}DatasetSeries", DCAT.DataService, DSKG.DataSpace,
    ORG.OrganizationalCollaboration, ORG.Organization, f"{ORG}FormalOrganization",
    FOAF.Organization, FOAF.Agent, FOAF.Person, DSKG.LegalFramework, ORG.Membership))
#: Classes whose instances go with the root that holds them, or stand alone when none does.
OWNED_CLASSES = frozenset(_n(c) for c in (
    DCAT.Catalog, DCAT.Distribution, DSKG.Rulebook, ODRL.Offer, ODRL.Set, ODRL.Agreement,
    ODRL.Policy))
#: Links along which a root holds an IRI node (blank nodes go with whatever reaches them).
COMPOSITION = frozenset(_n(p) for p in (
    DCAT.distribution, ODRL.hasPolicy, DSKG.rulebook, DSKG.catalog, DCAT.contactPoint,
    ODRL.permission, ODRL.prohibition, ODRL.obligation, ODRL.duty, ODRL.constraint,
    ODRL.refinement, ODRL.remedy, ODRL.consequence, DCAT.qualifiedRelation,
    "http://www.w3.org/ns/prov#qualifiedAttribution", "http://www.w3.org/ns/adms#identifier",
    "http://spdx.org/rdf/terms#checksum", VCARD.hasAddress))
#: The classes that make a file a catalog dump (one catalog, or several of these).
_CATALOG, _LISTED = _n(DCAT.Catalog), frozenset(_n(c) for c in (
    DCAT.Dataset, f"{DCAT}DatasetSeries", DCAT.DataService))
_LINKS = frozenset(_n(p) for p in LINKS)
_CATALOG_LINK = _n(DCAT.catalog)
_TYPE = _n(RDF.type)
_RESERVED = tuple(RESERVED_NAMESPACES)
_KINDS = {_n(c): kind for c, kind in KIND_OF_CLASS.items()}
_LABELS = tuple(_n(p) for p in (DCT.title, FOAF.name,
                                "http://www.w3.org/2004/02/skos/core#prefLabel",
                                "http://www.w3.org/2000/01/rdf-schema#label"))
_PLAIN = re.compile(r'^"((?:[^"\\]|\\.)*)"')


@dataclass
class Part:
    """One description of a split dump."""

    name: URIRef
    root: URIRef
    triples: list[Triple]
    content_hash: str = ""
    #: the IRIs it claims, N-Triples form: its IRI subjects, listing links and shared
    #: vocabulary aside (what ownership checks)
    claims: list[str] = field(default_factory=list)
    #: whether it has blank nodes (to be labelled apart from other descriptions' ones)
    blank: bool = True


@dataclass
class SplitDump:
    parts: list[Part] = field(default_factory=list)
    #: triples in the file (each counted once)
    triples: int = 0
    #: the file's one top catalog (listed by no other catalog), if it has exactly one: the
    #: default identity of the dump across reloads
    catalog: URIRef | None = None
    #: IRIs the file points at (types aside) and does not describe, N-Triples form
    referenced: set[str] = field(default_factory=set)
    #: whether blank-node roots were given IRIs (the descriptions then differ from the file)
    renamed: bool = False

    def nquads(self, parts: Iterable[Part] | None = None) -> bytes:
        """The descriptions as N-Quads, blank nodes kept apart per description."""
        lines: list[str] = []
        for index, part in enumerate(self.parts if parts is None else parts):
            graph = f"<{part.name}>"
            if not part.blank:
                lines += [f"{s} {p} {o} {graph} .\n" for s, p, o in part.triples]
                continue
            labels: dict[str, str] = {}
            for s, _p, o in part.triples:
                if s[0] == "_" and s not in labels:
                    labels[s] = f"_:d{index}n{len(labels)}"
                if o[0] == "_" and o not in labels:
                    labels[o] = f"_:d{index}n{len(labels)}"
            get = labels.get
            lines += [f"{get(s, s)} {p} {get(o, o)} {graph} .\n" for s, p, o in part.triples]
        return "".join(lines).encode("utf-8")

    def records(self, parts: Iterable[Part] | None = None, source: URIRef | None = None
                ) -> dict[URIRef, list[tuple[Node, Node, Node]]]:
        """The extra provenance of each description: its root, its content hash and the dump
        it came from (``source``: what a reload of the same dump finds it by)."""
        return {part.name: [(part.name, DSKG.describes, part.root),
                            (part.name, DSKG.contentHash, Literal(part.content_hash)),
                            *([(part.name, DSKG.dumpSource, source)] if source else [])]
                for part in (self.parts if parts is None else parts)}


def _parse(text: str) -> list[Triple]:
    # not splitlines: a literal may hold U+2028; " ." ends every line; the object is what
    # follows the second space
    return [tuple(line[:-2].split(" ", 2)) for line in text.split("\n") if line]  # type: ignore[misc]


def is_catalog_dump(triples: list[Triple]) -> bool:
    """A catalog file: a ``dcat:Catalog``, or two or more datasets, series or services."""
    listed = 0
    for _s, p, o in triples:
        if p == _TYPE:
            if o == _CATALOG:
                return True
            if o in _LISTED:
                listed += 1
                if listed > 1:
                    return True
    return False


@contextlib.contextmanager
def _uncollected() -> Iterator[None]:
    """Pause the cyclic garbage collector: the split makes millions of small tuples and
    frees none of them, so each collection walks them all again and finds nothing (a
    quarter of the split's time)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _prepared(data: bytes, fmt: str, base_iri: str) -> tuple[bytes, str]:
    """``data`` as the engine's parsers take it: no byte-order mark, JSON-LD as N-Quads."""
    if data.startswith(BOM):
        data = data[len(BOM):]
    if fmt == "json-ld":
        from kg.rdfio import jsonld_to_nquads

        data, fmt = jsonld_to_nquads(data, base_iri), "nquads"
    return data, fmt


def split_dump(data: bytes, fmt: str, *, base_iri: str) -> SplitDump | None:
    """The descriptions of a single-file catalog dump, or None when ``data`` is no catalog
    dump (it names graphs already, or holds no catalog and at most one dataset)."""
    with _uncollected():
        return _split_dump(data, fmt, base_iri=base_iri)


def _split_dump(data: bytes, fmt: str, *, base_iri: str) -> SplitDump | None:
    tags = written_tags(data)  # the parser lower-cases language tags: keep the capitals
    data, fmt = _prepared(data, fmt, base_iri)
    if fmt == "trig":
        return None  # TriG exists to name graphs
    text = default_graph_ntriples(data, fmt, base_iri)
    if text is None or text.startswith("<<") or "\n<<" in text:
        return None  # named graphs, or RDF-star statements about statements
    if tags:
        text = recase_tags(text, tags)
    triples = list(dict.fromkeys(_parse(text)))  # a statement the file repeats counts once
    if not is_catalog_dump(triples):
        return None
    dump = split_triples(triples, base_iri=base_iri)
    return dump if len(dump.parts) > 1 else None


def split_triples(triples: list[Triple], *, base_iri: str) -> SplitDump:
    """Cut N-Triples-form triples into descriptions (see the module doc)."""
    # each subject's triples, the parsed tuples themselves (a part is then a concatenation)
    by_subject: dict[str, list[Triple]] = defaultdict(list)
    types: dict[str, set[str]] = defaultdict(set)
    objects: set[str] = set()
    for triple in triples:
        s, p, o = triple
        by_subject[s].append(triple)
        if p == _TYPE:
            types[s].add(o)
        elif o[0] in "<_":
            objects.add(o)
    reserved = {s for s in by_subject if s[0] == "<" and s[1:].startswith(_RESERVED)}
    roots = {s for s, ts in types.items() if ts & ROOT_CLASSES and s not in reserved}
    while True:
        reach = _reach(roots, by_subject, types, reserved)
        # Held by several roots: an IRI stands alone (a blank node is copied into each).
        more = {n for n, held_by in reach.items() if len(held_by) > 1 and n[0] == "<"}
        # Held by none: stands alone, unless it is a vocabulary term something uses, or a
        # blank node something points at.
        more |= {s for s in by_subject if s not in reach and s not in roots
                 and (s not in objects or (s[0] == "<" and s not in reserved))}
        if not more:
            break
        roots |= more
    members: dict[str, list[str]] = defaultdict(list)
    for node, held_by in reach.items():
        for root in held_by:
            members[root].append(node)
    # Blank roots (a dataset without an IRI) get one, from their kind and label.
    renamed = _blank_root_iris(sorted(r for r in roots if r[0] == "_"), by_subject, types,
                               base_iri)
    dump = SplitDump(triples=len(triples),
                     referenced={o for o in objects if o[0] == "<" and o not in by_subject},
                     renamed=bool(renamed))
    listed = {o for s, p, o in triples if p == _CATALOG_LINK}
    tops = [renamed.get(r, r) for r in roots if _CATALOG in types.get(r, ()) and r not in listed]
    if len(tops) == 1:
        dump.catalog = URIRef(tops[0][1:-1])
    for root in roots:
        nodes = [root, *sorted(members.get(root, ()))]
        part_triples = [t for s in nodes for t in by_subject[s]]
        part_triples += _vocabulary(part_triples, by_subject, reserved)
        if renamed:
            part_triples = [(renamed.get(s, s), p, renamed.get(o, o))
                            for s, p, o in part_triples]
        iri = URIRef(renamed.get(root, root)[1:-1])
        claimed = [renamed.get(n, n) for n in nodes
                   if (n[0] == "<" or n in renamed) and n not in reserved
                   and any(p not in _LINKS for _s, p, _o in by_subject[n])]
        dump.parts.append(Part(name=graph_iri_for(base_iri, iri), root=iri,
                               triples=part_triples,
                               content_hash="sha256:" + content_hash(part_triples),
                               claims=claimed,
                               blank=any(s[0] == "_" or o[0] == "_"
                                         for s, _p, o in part_triples)))
    dump.parts.sort(key=lambda part: str(part.name))
    return dump


def _reach(roots: set[str], by_subject: dict[str, list[Triple]],
           types: dict[str, set[str]], reserved: set[str]) -> dict[str, set[str]]:
    """For each node that is no root, the roots that hold it."""
    reach: dict[str, set[str]] = defaultdict(set)
    for root in roots:
        seen = {root}
        queue = [root]
        while queue:
            for _s, p, o in by_subject[queue.pop()]:
                if o in seen or o in roots or o in reserved or o not in by_subject \
                        or p == _TYPE or p in _LINKS:
                    continue
                if o[0] == "<" and (p not in COMPOSITION or types.get(o, set()) & ROOT_CLASSES):
                    continue  # a reference, not a part
                seen.add(o)
                reach[o].add(root)
                queue.append(o)
    return reach


def _vocabulary(part: list[Triple], by_subject: dict[str, list[Triple]],
                reserved: set[str]) -> list[Triple]:
    """What the file says about the shared-vocabulary terms ``part`` uses (with their
    blank nodes, and the terms they use in turn)."""
    extra: list[Triple] = []
    seen: set[str] = set()
    queue = [o for _s, p, o in part if p != _TYPE and o in reserved]
    while queue:
        node = queue.pop()
        if node in seen:
            continue
        seen.add(node)
        for triple in by_subject[node]:
            extra.append(triple)
            _s, p, o = triple
            if p != _TYPE and o in by_subject and (o[0] == "_" or o in reserved):
                queue.append(o)
    return extra


def _blank_root_iris(blank: list[str], by_subject: dict[str, list[Triple]],
                     types: dict[str, set[str]], base_iri: str) -> dict[str, str]:
    """IRIs for blank-node roots: ``{base}id/{kind}/{slug of the label}``, numbered in the
    order of their content when labels repeat (the same dump gives the same IRIs)."""
    ordered = sorted((content_hash(by_subject[s]), s) for s in blank)
    renamed: dict[str, str] = {}
    taken: set[str] = set()
    for digest, node in ordered:
        kind = next((_KINDS[t] for t in sorted(types.get(node, ())) if t in _KINDS),
                    "resource")
        label = next((m.group(1) for _s, p, o in by_subject[node] if p in _LABELS
                      for m in [_PLAIN.match(o)] if m), "")
        stem = slugify(label) or digest[:12]
        candidate, suffix = f"{base_iri}id/{kind}/{stem}", 2
        while candidate in taken:
            candidate, suffix = f"{base_iri}id/{kind}/{stem}-{suffix}", suffix + 1
        taken.add(candidate)
        renamed[node] = f"<{candidate}>"
    return renamed


def content_hash(triples: list[Triple]) -> str:
    """SHA-256 of the triples with blank nodes named by what hangs from them (the parser
    labels blank nodes anew on every load; the hash must not change with the labels)."""
    outgoing: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for s, p, o in triples:
        if s[0] == "_":
            outgoing[s].append((p, o))
    if not outgoing:  # no blank node: the sorted lines as they are
        return hashlib.sha256("\n".join(sorted({" ".join(t) for t in triples})).encode()
                              ).hexdigest()
    names: dict[str, str] = {}

    def name(node: str, path: frozenset[str]) -> str:
        if node in names:
            return names[node]
        if node in path:
            return "_:cycle"
        inner = path | {node}
        parts = sorted(f"{p} {name(o, inner) if o[0] == '_' else o}"
                       for p, o in outgoing.get(node, ()))
        names[node] = "_:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
        return names[node]

    top: frozenset[str] = frozenset()
    for s, _p, o in triples:
        if s[0] == "_" and s not in names:
            name(s, top)
        if o[0] == "_" and o not in names:
            name(o, top)
    get = names.get
    lines = sorted({f"{get(s, s)} {p} {get(o, o)}" for s, p, o in triples})
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


# -- loading -----------------------------------------------------------------------------
#: Graph names per query when reading the content hashes a store holds.
_HASH_BATCH = 2000


def held_hashes(store: Store, names: list[URIRef]) -> dict[URIRef, str]:
    """The content hash recorded for each of ``names`` that the store holds."""
    held: dict[URIRef, str] = {}
    meta, hashed = term_n3(URIRef(META_GRAPH)), term_n3(DSKG.contentHash)
    if len(names) > _HASH_BATCH:
        # Every hash the store records, in one answer: cheaper than VALUES lists of
        # thousands of graphs (Virtuoso takes seconds for each).
        wanted = set(names)
        for g, digest in store.query(f"SELECT ?g ?h WHERE {{ GRAPH {meta} {{ "
                                     f"?g {hashed} ?h }} }}").rows:
            if g in wanted:
                held[g] = str(digest)  # type: ignore[index]
        return held
    for start in range(0, len(names), _HASH_BATCH):
        values = values_list("g", names[start:start + _HASH_BATCH])
        for g, digest in store.query(f"SELECT ?g ?h WHERE {{ {values} "
                                     f"GRAPH {meta} {{ ?g {hashed} ?h }} }}").rows:
            held[g] = str(digest)  # type: ignore[index]
    return held


def held_from(store: Store, source: URIRef) -> list[URIRef]:
    """The descriptions an earlier load of the dump ``source`` wrote and the store holds."""
    meta, by = term_n3(URIRef(META_GRAPH)), term_n3(DSKG.dumpSource)
    rows = store.query(f"SELECT ?g WHERE {{ GRAPH {meta} {{ ?g {by} {term_n3(source)} }} "
                       f"FILTER EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} }} }}").rows
    return sorted({g for (g,) in rows if isinstance(g, URIRef)})


@dataclass
class DumpResult:
    result: WriteResult
    #: descriptions the store already held with the same content (left alone)
    unchanged: int = 0
    #: descriptions an earlier load of the same dump wrote that it no longer holds (deleted)
    removed: list[URIRef] = field(default_factory=list)
    #: the dump's identity across loads (recorded as ``dskg:dumpSource``)
    source: URIRef | None = None

    def summary(self) -> str:
        """``N new, M replaced, K unchanged, D removed``."""
        return (f"{len(self.result.created)} new, {len(self.result.replaced)} replaced, "
                f"{self.unchanged} unchanged, {len(self.removed)} removed")


#: Descriptions deleted per transaction when a reload removes what left the dump.
REMOVE_BATCH = 500


def write_dump(store: Store, dump: SplitDump, *, base_iri: str, origin: Origin,
               mode: Mode = "upsert", exclusive: bool = False,
               source: URIRef | None = None, check: FileCheck | None = None) -> DumpResult:
    """Commit a split dump through the write path: validated, provenance records with the
    root, content hash and source of each description. Descriptions the store holds with the
    same content hash are left alone (a reload rewrites only what changed), and those an
    earlier load of the same ``source`` wrote that the dump no longer has are deleted, as a
    re-harvest does (after the write: a rejected dump deletes nothing). ``source`` defaults
    to the dump's top catalog, else to where the file came from (``origin.source``). Big
    dumps take the bulk path (journaled with the engine's loader when ``exclusive``);
    ``check``: the file's triples checked meanwhile in another process (``load_dump``)."""
    if source is None:
        source = dump.catalog or (URIRef(origin.source) if origin.source else None)
    parts = dump.parts
    unchanged = 0
    if mode != "create":
        held = held_hashes(store, [p.name for p in parts])
        changed = [p for p in parts if held.get(p.name) != p.content_hash]
        unchanged = len(parts) - len(changed)
        parts = changed
    result = _write_parts(store, dump, parts, base_iri=base_iri, origin=origin, mode=mode,
                          exclusive=exclusive, source=source, check=check)
    gone: list[URIRef] = []
    if source is not None and mode != "create":
        kept = {p.name for p in dump.parts}
        gone = [g for g in held_from(store, source) if g not in kept]
        for start in range(0, len(gone), REMOVE_BATCH):
            delete_graphs(store, gone[start:start + REMOVE_BATCH], origin)
    return DumpResult(result, unchanged, gone, source)


def _write_parts(store: Store, dump: SplitDump, parts: list[Part], *, base_iri: str,
                 origin: Origin, mode: Mode, exclusive: bool, source: URIRef | None,
                 check: FileCheck | None = None) -> WriteResult:
    if not parts:
        return WriteResult()
    origin.per_graph = dump.records(parts, source)
    data = dump.nquads(parts)
    roots = {p.name: p.root for p in parts}
    if len(parts) > BULK_GRAPHS or len(data) > BULK_BYTES:
        whole = check if len(parts) == len(dump.parts) else None  # it checked the whole file
        done = commit_split(store, dump, parts, data, base_iri=base_iri, origin=origin, mode=mode,
                            exclusive=exclusive, check=whole)
        if done is not None:
            return done
        return bulk_write(store, data, "nquads", base_iri=base_iri, origin=origin, mode=mode,
                          exclusive=exclusive, known_roots=roots)
    dataset = parse_dataset(data, "nquads", max_triples=None)
    descriptions = [Description(name=URIRef(g.identifier), graph=g,
                                root=roots[URIRef(g.identifier)])
                    for g in dataset.graphs() if g.identifier in roots]
    return write_descriptions(store, descriptions, base_iri=base_iri, origin=origin, mode=mode)


#: Dumps from this size on (the bulk route's) are checked in a second process meanwhile.
CHECK_MIN_BYTES = BULK_BYTES
#: ... in these formats (RDF/XML is screened before parsing: the split does it first).
_CHECKED = ("turtle", "ntriples", "nquads")


def load_dump(store: Store, data: bytes, fmt: str, *, base_iri: str, origin: Origin,
              mode: Mode = "upsert", exclusive: bool = False, source: URIRef | None = None
              ) -> DumpResult | None:
    """Split a catalog dump and write it (``split_dump``, then ``write_dump``), as ``dskg
    load`` does; None when ``data`` is no catalog dump. A big dump going into an empty
    store by the bulk route has its own triples checked in another process while this one
    splits them (``kg.write.FileCheck``)."""
    data, fmt = _prepared(data, fmt, base_iri)
    parallel = (len(data) > CHECK_MIN_BYTES and fmt in _CHECKED and mode != "replace"
                and commit_split_applies(store, origin, exclusive) and not store.graph_names())
    with _uncollected(), \
            FileCheck(data, fmt, base_iri) if parallel else contextlib.nullcontext() as check:
        dump = split_dump(data, fmt, base_iri=base_iri)
        if dump is None:
            return None
        # Blank-node roots given IRIs: the descriptions say more than the file checked.
        done = write_dump(store, dump, base_iri=base_iri, origin=origin, mode=mode,
                          exclusive=exclusive, source=source,
                          check=None if dump.renamed else check)
        del dump  # before the collector resumes: it would walk every triple once more
    return done
