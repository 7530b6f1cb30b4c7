"""Harvesting a peer: fetch its whole catalog, then change only what changed.

1. Read what we hold from this peer: the provenance records of the graphs under
   ``<base>graph/harvest/<peer>/`` (root IRI and content hash of each).
2. Fetch every page of the peer's catalog (DCAT in any RDF format, Hydra or Link paging; a
   Dataspace Protocol catalog request; or a SPARQL CONSTRUCT). Any failure here ends the
   harvest with an ``error`` and nothing stored is touched.
3. Split into descriptions, hash each, and compare: new ones are added, those whose hash
   changed are replaced, the rest are left alone; ours that the peer no longer lists go.
4. Commit through the write path in batches (validated unless the peer is trusted). A batch
   that fails the shapes is retried without the descriptions the report names, which are
   reported as rejected with the reasons; the rest land.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.errors import DskgError, OwnershipRefused, ValidationFailed
from kg.federation import dsp
from kg.federation.documents import ACCEPT_RDF, next_page, parse_page
from kg.federation.fetch import PeerClient, PeerUnavailable
from kg.federation.peers import Peer, find_peer, load_peers
from kg.federation.report import HarvestReport, PeerReport, Rejected, Trimmed
from kg.federation.split import Harvested, split
from kg.namespaces import DCT, DSKG, META_GRAPH, PROV, RDF, XSD
from kg.settings import Settings
from kg.store import Store
from kg.store.sparql_text import term_n3, triples_block
from kg.validation.report import ValidationReport, short
from kg.write import Description, Origin, bulk_write, commit, delete_graphs

#: Descriptions per transaction on the small path (rdflib graphs, per-description reasons).
BATCH = 250
#: From this many changes on, commit through the bulk route, BULK_CHUNK per transaction.
BULK_MIN = 1000
BULK_CHUNK = 5000
#: Pages followed at most (a loop guard beyond the visited-URL check).
MAX_PAGES = 100_000
#: Roots per SPARQL CONSTRUCT page.
SPARQL_PAGE = 500

#: Called as progress(stage, done, total); total None while unknown.
Progress = Callable[[str, int, int | None], None]

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _peer_lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def graph_prefix(settings: Settings, peer: Peer) -> str:
    """Every graph harvested from ``peer`` is named under this prefix."""
    return f"{settings.base_iri}graph/harvest/{peer.name}/"


def graph_name(prefix: str, root: Node) -> URIRef:
    return URIRef(prefix + hashlib.sha256(str(root).encode()).hexdigest()[:32])


def peer_record_iri(settings: Settings, peer: Peer) -> URIRef:
    return URIRef(f"{settings.base_iri}harvest/{peer.name}")


# -- what we hold ------------------------------------------------------------------------
@dataclass
class _Held:
    graphs: dict[str, tuple[URIRef, str]] = field(default_factory=dict)  # root -> (graph, hash)
    etag: str | None = None


def _held(store: Store, settings: Settings, peer: Peer) -> _Held:
    prefix = graph_prefix(settings, peer)
    result = store.query(
        "SELECT ?g ?root ?hash WHERE { GRAPH ?meta { ?g ?hashed ?hash ; ?describes ?root } "
        "FILTER(STRSTARTS(STR(?g), ?prefix)) }",
        {"meta": URIRef(META_GRAPH), "hashed": DSKG.contentHash, "describes": DSKG.describes,
         "prefix": Literal(prefix)})
    held = _Held()
    for g, root, digest in result.rows:
        held.graphs[str(root)] = (g, str(digest))  # type: ignore[assignment]
    etag = store.query("SELECT ?v WHERE { GRAPH ?meta { ?peer ?hashed ?v } }",
                       {"meta": URIRef(META_GRAPH), "peer": peer_record_iri(settings, peer),
                        "hashed": DSKG.contentHash}).rows
    for (value,) in etag:
        if str(value).startswith("etag:"):
            held.etag = str(value)[len("etag:"):]
    return held


# -- fetching ----------------------------------------------------------------------------
@dataclass
class _Fetched:
    descriptions: dict[str, Harvested] = field(default_factory=dict)
    pages: int = 0
    etag: str | None = None
    not_modified: bool = False


def _catalog_pages(client: PeerClient, peer: Peer, etag: str | None
                   ) -> Iterator[tuple[list, str | None, bool]]:
    """(triples, etag, not_modified) for each page of a DCAT or DSP catalog."""
    assert peer.catalog is not None
    url: str | None = peer.catalog
    seen: set[str] = set()
    while url is not None:
        if url in seen or len(seen) >= MAX_PAGES:
            raise PeerUnavailable(f"the catalog's pages loop back to {url}", url=url)
        seen.add(url)
        first = len(seen) == 1
        if peer.harvest == "dsp":
            page = dsp.request_page(client, dsp.catalog_endpoint(client, url) if first else url)
        else:
            headers = {"Accept": ACCEPT_RDF}
            if first and etag:
                headers["If-None-Match"] = etag
            page = client.request("GET", url, headers=headers)
        if page.status == 304:
            yield [], page.etag, True
            return
        triples = parse_page(page)
        if peer.harvest == "dsp":
            triples = dsp.as_dcat(triples)
        url = next_page(triples, page)
        if url is not None:
            client.check(url)
        yield triples, page.etag if first and url is None else None, False


def _sparql_pages(client: PeerClient, peer: Peer) -> Iterator[tuple[list, str | None, bool]]:
    """Datasets, series and services of a SPARQL endpoint, with what hangs from them
    (four links deep), SPARQL_PAGE roots per CONSTRUCT."""
    assert peer.sparql is not None
    offset = 0
    while True:
        query = _construct_page(offset)
        page = client.request("POST", peer.sparql, data={"query": query},
                              headers={"Accept": "application/n-triples, text/turtle;q=0.9"})
        triples = parse_page(page)
        yield triples, None, False
        roots = {s for s, p, o in triples if p == RDF.type and str(o) in _ROOT_IRIS
                 and not isinstance(s, BNode)}
        if len(roots) < SPARQL_PAGE:
            return
        offset += SPARQL_PAGE


_ROOT_IRIS = {"http://www.w3.org/ns/dcat#Dataset", "http://www.w3.org/ns/dcat#DataService",
              "http://www.w3.org/ns/dcat#DatasetSeries"}


def _construct_page(offset: int) -> str:
    def hop(a: str, b: str, n: int) -> str:
        return f"?{a} ?p{n} ?{b} . FILTER(?p{n} != rdf:type && !isLiteral(?{b}))"

    branches = ["BIND(?root AS ?s)"]
    for depth in range(1, 5):
        nodes = ["root", *(f"x{i}" for i in range(1, depth)), "s"]
        branches.append(" ".join(hop(nodes[i], nodes[i + 1], i + 1) for i in range(depth)))
    union = " UNION ".join(f"{{ {b} }}" for b in branches)
    return (
        "PREFIX dcat: <http://www.w3.org/ns/dcat#>\n"
        "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
        "CONSTRUCT { ?s ?p ?o } WHERE {\n"
        "  { SELECT DISTINCT ?root WHERE {\n"
        "      VALUES ?type { dcat:Dataset dcat:DataService dcat:DatasetSeries }\n"
        "      ?root a ?type FILTER(isIRI(?root)) } "
        f"ORDER BY ?root LIMIT {SPARQL_PAGE} OFFSET {offset} }}\n"
        f"  {union}\n"
        "  ?s ?p ?o\n}"
    )


def _fetch(peer: Peer, held: _Held, progress: Progress | None,
           transport: httpx.BaseTransport | None) -> _Fetched:
    out = _Fetched()
    with PeerClient(peer, transport) as client:
        pages = _sparql_pages(client, peer) if peer.harvest == "sparql" else \
            _catalog_pages(client, peer, held.etag)
        for triples, etag, not_modified in pages:
            if not_modified:
                out.not_modified, out.etag = True, etag or held.etag
                return out
            out.pages += 1
            out.etag = etag
            for item in split(triples):
                out.descriptions[str(item.root)] = item
            if progress:
                progress(f"fetching {peer.name}", out.pages, None)
    return out


# -- committing --------------------------------------------------------------------------
@dataclass
class _Change:
    item: Harvested
    name: URIRef
    existed: bool


def _provenance(peer: Peer, changes: list[_Change]) -> dict[URIRef, list]:
    """The extra provenance of each description: the peer, the content hash, dct:modified."""
    records: dict[URIRef, list] = {}
    for change in changes:
        record = [(change.name, DSKG.harvestedFrom, URIRef(peer.source or "")),
                  (change.name, DSKG.contentHash, Literal(change.item.content_hash)),
                  (change.name, DSKG.describes, change.item.root)]
        if change.item.modified is not None:
            record.append((change.name, DCT.modified, change.item.modified))
        records[change.name] = record
    return records


def _count(changes: list[_Change], report: PeerReport, written: list[URIRef]) -> None:
    kept = set(written)
    for change in changes:
        if change.name not in kept:
            # Trimmed to nothing (the peer's copy of what others own): nothing was written.
            report.unchanged += 1
        elif change.existed:
            report.updated += 1
        else:
            report.added += 1


def _reasons(report: ValidationReport, subjects: dict[URIRef, set[Node]]
             ) -> dict[URIRef, list[str]]:
    """The descriptions a failed validation names, with its messages for each."""
    owner: dict[Node, URIRef] = {}
    for name, nodes in subjects.items():
        for subject in nodes:
            owner.setdefault(subject, name)
    reasons: dict[URIRef, list[str]] = {}
    for result in report.results:
        named = owner.get(result.focus)
        if result.severity == "Violation" and named is not None:
            where = f"{short(result.focus)} {short(result.path) if result.path else ''}".strip()
            reasons.setdefault(named, []).append(f"{where}: {result.message}")
    return reasons


def _reject(change: _Change, reasons: list[str], report: PeerReport) -> None:
    more = len(reasons) - 3
    text = "; ".join(reasons[:3]) + (f" (and {more} more)" if more > 0 else "")
    report.rejected.append(Rejected(iri=str(change.item.root), reason=text))


def _commit_batch(store: Store, peer: Peer, origin: Origin, batch: list[_Change],
                  report: PeerReport) -> None:
    """Commit a small batch as rdflib graphs; on a validation failure, drop the descriptions
    the report names (rejected, with its messages) and commit the rest."""
    pending = list(batch)
    while pending:
        descriptions = [Description(name=c.name, graph=c.item.graph(),
                                    root=c.item.root if isinstance(c.item.root, URIRef) else None)
                        for c in pending]
        origin.per_graph = _provenance(peer, pending)
        try:
            result = commit(store, descriptions, origin, mode="upsert", validate=not peer.trust)
        except OwnershipRefused as exc:
            # Out of the peer's bounds (DESIGN 4a): those descriptions are rejected with the
            # reason; the rest are committed.
            refused = {URIRef(str(name)): reasons for name, reasons in exc.refusals.items()}
            for change in pending:
                if change.name in refused:
                    _reject(change, refused[change.name], report)
            pending = [c for c in pending if c.name not in refused]
            continue
        except ValidationFailed as exc:
            reasons = _reasons(exc.report, {d.name: set(d.graph.subjects())
                                            for d in descriptions})
            if not reasons and len(pending) > 1:
                # Not attributable to one description: find the culprits one at a time.
                for one in pending:
                    _commit_batch(store, peer, origin, [one], report)
                return
            for change in pending:
                if change.name in reasons or len(pending) == 1:
                    _reject(change, reasons.get(change.name, [exc.message]), report)
            pending = [c for c in pending if c.name not in reasons and len(pending) > 1]
            continue
        _count(pending, report, result.graphs)
        _note_trimmed(result.trimmed, pending, report)
        return


def _note_trimmed(trimmed: dict[URIRef, list[tuple[Node, Node, Node]]], changes: list[_Change],
                  report: PeerReport) -> None:
    roots = {c.name: c.item.root for c in changes}
    for name, triples in trimmed.items():
        report.trimmed.append(Trimmed(iri=str(roots.get(name) or name), triples=[
            f"{s.n3()} {p.n3()} {o.n3()}" if not isinstance(o, BNode) else
            f"{s.n3()} {p.n3()} [ ... ]" for s, p, o in triples if not isinstance(s, BNode)]))


def _apart(term: Node, i: int) -> Node:
    """Blank node labels of description ``i``, kept apart from the other descriptions'."""
    return BNode(f"d{i}x{term}") if isinstance(term, BNode) else term


def _as_trig(changes: list[_Change]) -> bytes:
    """The descriptions as one TriG document, blank nodes kept apart per description."""
    parts = []
    for i, change in enumerate(changes):
        triples = [(_apart(s, i), _apart(p, i), _apart(o, i))
                   for s, p, o in change.item.graph()]
        parts.append(f"{term_n3(change.name)} {{\n{triples_block(triples)}\n}}\n")
    return "".join(parts).encode("utf-8")


def _commit_bulk(store: Store, settings: Settings, peer: Peer, origin: Origin,
                 chunk: list[_Change], report: PeerReport) -> None:
    """Commit a large chunk through the write path's bulk route (staged and validated as a
    whole). A chunk that fails is halved until the small batches can name the culprits."""
    if len(chunk) <= BATCH:
        _commit_batch(store, peer, origin, chunk, report)
        return
    origin.per_graph = _provenance(peer, chunk)
    try:
        result = bulk_write(store, _as_trig(chunk), "trig", base_iri=settings.base_iri,
                            origin=origin, mode="upsert", validate=not peer.trust)
    except (ValidationFailed, OwnershipRefused):
        half = len(chunk) // 2
        _commit_bulk(store, settings, peer, origin, chunk[:half], report)
        _commit_bulk(store, settings, peer, origin, chunk[half:], report)
        return
    _count(chunk, report, result.graphs)
    _note_trimmed(result.trimmed, chunk, report)


def _record_peer(store: Store, settings: Settings, peer: Peer, etag: str | None) -> None:
    """The peer's own record in the meta graph: when it was last harvested, its ETag."""
    subject = peer_record_iri(settings, peer)
    record = [(subject, RDF.type, PROV.Activity),
              (subject, PROV.endedAtTime, Literal(datetime.now(UTC).isoformat(),
                                                  datatype=XSD.dateTime))]
    if peer.source:
        record.append((subject, PROV.used, URIRef(peer.source)))
    if etag:
        record.append((subject, DSKG.contentHash, Literal(f"etag:{etag}")))
    meta = URIRef(META_GRAPH)
    store.replace_graphs({}, add={meta: record}, remove_subjects={meta: [subject]})


# -- the harvest -------------------------------------------------------------------------
def harvest_peer(store: Store, settings: Settings, peer: Peer, *,
                 progress: Progress | None = None,
                 transport: httpx.BaseTransport | None = None) -> PeerReport:
    """Harvest one peer into ``store``; never raises for a peer problem (see ``error``)."""
    report = PeerReport(name=peer.name, source=peer.source)
    started = time.monotonic()
    if peer.harvest == "none":
        report.error = "this peer is configured for queries only (harvest = \"none\")"
        return report
    with _peer_lock(f"{settings.base_iri} {peer.name}"):
        try:
            held = _held(store, settings, peer)
            fetched = _fetch(peer, held, progress, transport)
        except DskgError as exc:
            report.error = exc.message
            report.seconds = time.monotonic() - started
            return report
        report.pages, report.not_modified = fetched.pages, fetched.not_modified
        if fetched.not_modified:
            report.unchanged = len(held.graphs)
            report.seconds = time.monotonic() - started
            return report
        try:
            _apply(store, settings, peer, held, fetched, report, progress)
            _record_peer(store, settings, peer, fetched.etag)
        except DskgError as exc:
            report.error = f"the store failed during the harvest: {exc.message}"
    report.seconds = time.monotonic() - started
    return report


def _taken(descriptions: dict[str, Harvested], wanted: set[str]) -> set[str]:
    """Roots to take: all, or (with ``take``) those mentioning a wanted IRI plus the services
    and series they reference, without which they would not validate."""
    if not wanted:
        return set(descriptions)
    taken = {root for root, item in descriptions.items() if wanted & item.mentions}
    needed = {iri for root in taken for iri in descriptions[root].mentions}
    return taken | (needed & set(descriptions))


def _apply(store: Store, settings: Settings, peer: Peer, held: _Held, fetched: _Fetched,
           report: PeerReport, progress: Progress | None) -> None:
    prefix = graph_prefix(settings, peer)
    taken = _taken(fetched.descriptions, set(peer.take))
    changes: list[_Change] = []
    kept: set[str] = set()
    for root, item in fetched.descriptions.items():
        if root not in taken:
            continue
        if not isinstance(item.root, URIRef):
            report.rejected.append(Rejected(
                iri=str(item.root), reason=f"a {short(item.kind)} without an IRI cannot be "
                "tracked across harvests; the peer should give it one"))
            continue
        kept.add(root)
        previous = held.graphs.get(root)
        if previous is not None and previous[1] == item.content_hash:
            report.unchanged += 1
            continue
        changes.append(_Change(item, graph_name(prefix, item.root), previous is not None))
    origin = Origin(agent=f"harvester-{peer.name}", source=peer.source, activity="harvest",
                    writer=peer.writer(), base_iri=settings.base_iri)
    step = BULK_CHUNK if len(changes) >= BULK_MIN else BATCH
    for start in range(0, len(changes), step):
        chunk = changes[start:start + step]
        if step == BATCH:
            _commit_batch(store, peer, origin, chunk, report)
        else:
            _commit_bulk(store, settings, peer, origin, chunk, report)
        if progress:
            progress(f"committing {peer.name}", min(start + step, len(changes)), len(changes))
    gone = [graph for root, (graph, _h) in held.graphs.items() if root not in kept]
    for start in range(0, len(gone), BATCH):
        delete_graphs(store, gone[start:start + BATCH], origin)
    report.removed = len(gone)


def harvest(store: Store, settings: Settings, peer_name: str | None = None, *,
            progress: Progress | None = None) -> HarvestReport:
    """Harvest one named peer, or every peer that is not query-only."""
    if peer_name is not None:
        peers = [find_peer(settings, peer_name)]
    else:
        peers = [p for p in load_peers(settings) if p.harvest != "none"]
    return HarvestReport([harvest_peer(store, settings, p, progress=progress) for p in peers])
