"""Backups: an online, consistent snapshot of the whole store as N-Quads, and its restore.

A backup file is N-Quads (every named graph, the provenance graph included) followed by one
comment line, the manifest::

    # dskg-backup {"version": 1, "quads": 8669, "graphs": 273, "descriptions": 272, ...}

``dataSha256`` hashes the bytes before that line, so a truncated or edited file is refused
before anything is restored. ``contentHash`` does not depend on the order of the quads or on
blank-node labels (a load renames blank nodes): it is the sum, modulo 2**256, of the SHA-256
of every quad written with its blank nodes masked. A restore recomputes it, and the counts,
from the store after loading. Being a comment, the manifest keeps the file loadable by any
N-Quads reader, ``dskg load`` included.

The snapshot is consistent: the embedded engine exports from one read snapshot while writes
go on; for any other store the export holds off the writers of this process
(``kg.write.transaction``).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import IO, BinaryIO

from rdflib import BNode, Literal, URIRef
from rdflib.term import Identifier

from kg.errors import BadRequest, Conflict, DskgError
from kg.namespaces import DSKG, META_GRAPH, RDF
from kg.store import Store
from kg.store.parsing import parse_quads
from kg.write import transaction

MANIFEST_PREFIX = b"# dskg-backup "
FORMAT_VERSION = 1
_MOD = 2**256
_CHUNK = 1 << 20


class BackupInvalid(BadRequest):
    """A backup file that is truncated, edited, or not a dskg backup at all."""

    title = "Backup refused"


class RestoreFailed(DskgError):
    """The store did not hold what the backup says after loading it (it was emptied)."""

    status = 500
    title = "Restore failed"


@dataclass
class Integrity:
    """How the named graphs and their provenance records agree."""

    graphs: int = 0
    records: int = 0
    #: records whose graph is absent
    missing: list[str] = field(default_factory=list)
    #: graphs without a record
    unrecorded: list[str] = field(default_factory=list)
    #: graph -> (dskg:tripleCount recorded, triples found)
    mismatched: dict[str, tuple[int | None, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unrecorded or self.mismatched)

    def summary(self) -> str:
        if self.ok:
            return f"{self.graphs} graphs, each with a matching provenance record"
        parts = []
        if self.missing:
            parts.append(f"{len(self.missing)} record(s) without a graph "
                         f"(e.g. {self.missing[0]})")
        if self.unrecorded:
            parts.append(f"{len(self.unrecorded)} graph(s) without a record "
                         f"(e.g. {self.unrecorded[0]})")
        if self.mismatched:
            name, (recorded, found) = next(iter(self.mismatched.items()))
            parts.append(f"{len(self.mismatched)} graph(s) whose triple count differs from "
                         f"the record (e.g. {name}: recorded {recorded}, found {found})")
        return "; ".join(parts)


@dataclass
class Manifest:
    """What a backup holds; written as the file's last line."""

    quads: int
    graphs: int
    descriptions: int
    blankNodes: int  # noqa: N815 - JSON member name
    contentHash: str  # noqa: N815
    dataSha256: str  # noqa: N815
    takenAt: str  # noqa: N815
    store: str = ""
    version: int = FORMAT_VERSION
    #: graphs and records that disagreed in the snapshot (SPARQL Update writes, ...)
    integrity: str = ""

    def line(self) -> bytes:
        return MANIFEST_PREFIX + json.dumps(asdict(self), sort_keys=True).encode() + b"\n"

    @classmethod
    def parse(cls, line: bytes) -> Manifest:
        try:
            data = json.loads(line[len(MANIFEST_PREFIX):])
            return cls(**data)
        except (ValueError, TypeError) as exc:
            raise BackupInvalid(f"the backup's manifest line is unreadable: {exc}") from None


# -- content figures ---------------------------------------------------------------------
@dataclass
class Figures:
    """Counts, the content hash and the integrity of a stream of quads."""

    quads: int = 0
    graphs: int = 0
    descriptions: int = 0
    blank_nodes: int = 0
    content_hash: str = ""
    integrity: Integrity = field(default_factory=Integrity)


def _masked(term: Identifier) -> str:
    return "_:" if isinstance(term, BNode) else term.n3()


def figures_of(quads: Iterable[tuple[Identifier, Identifier, Identifier, URIRef | None]]
               ) -> Figures:
    """Counts, content hash (order- and blank-label-independent) and integrity of ``quads``."""
    meta = URIRef(META_GRAPH)
    total = 0
    count = 0
    per_graph: dict[URIRef | None, int] = {}
    recorded: dict[Identifier, int | None] = {}
    blanks: set[BNode] = set()
    for s, p, o, g in quads:
        line = f"{_masked(s)} {_masked(p)} {_masked(o)} {'' if g is None else g.n3()}"
        total = (total + int.from_bytes(hashlib.sha256(line.encode()).digest(), "big")) % _MOD
        count += 1
        per_graph[g] = per_graph.get(g, 0) + 1
        blanks.update(t for t in (s, o) if isinstance(t, BNode))
        if g == meta:
            if p == DSKG.tripleCount and isinstance(o, Literal):
                recorded[s] = int(o)
            elif p == RDF.type and o == DSKG.Description:
                recorded.setdefault(s, None)
    counts = {g: n for g, n in per_graph.items() if g is not None and g != meta}
    named = {g for g in per_graph if g is not None}
    return Figures(quads=count, graphs=len(named), descriptions=len(counts),
                   blank_nodes=len(blanks), content_hash=f"{total:064x}",
                   integrity=_integrity(counts, recorded))


def _integrity(counts: dict[URIRef, int], recorded: dict[Identifier, int | None]
               ) -> Integrity:
    report = Integrity(graphs=len(counts), records=len(recorded))
    report.missing = sorted(str(g) for g in recorded if g not in counts)
    report.unrecorded = sorted(str(g) for g in counts if g not in recorded)
    for g, found in sorted(counts.items()):
        if g in recorded and recorded[g] != found:
            report.mismatched[str(g)] = (recorded[g], found)
    return report


def store_figures(store: Store) -> Figures:
    with tempfile.TemporaryFile() as dump:
        store.export(dump, "nquads")
        dump.seek(0)
        return figures_of(parse_quads(dump, "nquads"))


# -- integrity ---------------------------------------------------------------------------
def check_integrity(store: Store) -> Integrity:
    """Compare every named graph of a live store with its provenance record."""
    meta = URIRef(META_GRAPH)
    counts = {g: int(n) for g, n in store.query(  # type: ignore[arg-type]
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g != ?meta) } "
        "GROUP BY ?g", {"meta": meta}).rows}
    recorded: dict[Identifier, int | None] = {}
    for g, n in store.query(
            "SELECT ?g ?n WHERE { GRAPH ?meta { ?g a ?described "
            "OPTIONAL { ?g ?counted ?n } } }",
            {"meta": meta, "described": DSKG.Description, "counted": DSKG.tripleCount}).rows:
        assert g is not None
        recorded[g] = int(n) if isinstance(n, Literal) else recorded.get(g)
    return _integrity(counts, recorded)  # type: ignore[arg-type]


# -- backup ------------------------------------------------------------------------------
def _snapshot_lock(store: Store) -> AbstractContextManager[object]:
    # An engine that exports one read snapshot needs no one held off.
    return nullcontext() if store.export_is_snapshot else transaction(store)


def snapshot(store: Store) -> tuple[IO[bytes], Manifest]:
    """Export the store to a temporary file and describe it; the caller closes the file."""
    dump = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    try:
        with _snapshot_lock(store):
            taken = datetime.now(UTC)
            store.export(dump, "nquads")
        digest = hashlib.sha256()
        dump.seek(0)
        while chunk := dump.read(_CHUNK):
            digest.update(chunk)
        dump.seek(0)
        figures = figures_of(parse_quads(dump, "nquads"))
        dump.seek(0)
    except BaseException:
        dump.close()
        raise
    manifest = Manifest(quads=figures.quads, graphs=figures.graphs,
                        descriptions=figures.descriptions, blankNodes=figures.blank_nodes,
                        contentHash=figures.content_hash, dataSha256=digest.hexdigest(),
                        takenAt=taken.isoformat(), store=store.kind,
                        integrity="" if figures.integrity.ok else figures.integrity.summary())
    return dump, manifest


def backup_chunks(store: Store) -> tuple[Manifest, Iterator[bytes]]:
    """The backup as byte chunks (data, then the manifest line), for streaming over HTTP."""
    dump, manifest = snapshot(store)

    def chunks() -> Iterator[bytes]:
        try:
            while chunk := dump.read(_CHUNK):
                yield chunk
            yield manifest.line()
        finally:
            dump.close()

    return manifest, chunks()


def write_backup(store: Store, out: BinaryIO) -> Manifest:
    """Write a consistent backup of ``store`` to ``out``."""
    manifest, chunks = backup_chunks(store)
    for chunk in chunks:
        out.write(chunk)
    return manifest


# -- restore -----------------------------------------------------------------------------
def split_backup(raw: bytes) -> tuple[bytes, Manifest]:
    """The data part and the manifest of a backup file; BackupInvalid unless they agree."""
    body = raw.rstrip(b"\n")
    start = body.rfind(b"\n") + 1
    last = body[start:]
    if not last.startswith(MANIFEST_PREFIX):
        raise BackupInvalid("this is not a complete dskg backup: its last line is not the "
                            "'# dskg-backup' manifest (a truncated file, or plain N-Quads: "
                            "load those with `dskg load`)")
    manifest = Manifest.parse(last)
    if manifest.version != FORMAT_VERSION:
        raise BackupInvalid(f"backup format version {manifest.version} is not supported "
                            f"(this node reads version {FORMAT_VERSION})")
    data = raw[:start]
    if hashlib.sha256(data).hexdigest() != manifest.dataSha256:
        raise BackupInvalid("the backup's data does not match its manifest's SHA-256: the file "
                            "was truncated or edited; nothing was restored")
    return data, manifest


def verify_backup(raw: bytes) -> Manifest:
    """Check a backup file completely (hash, counts, content hash) without a store."""
    data, manifest = split_backup(raw)
    _compare(figures_of(parse_quads(data, "nquads")), manifest, "the file")
    return manifest


def _compare(found: Figures, manifest: Manifest, where: str) -> None:
    expected = (manifest.quads, manifest.graphs, manifest.blankNodes, manifest.contentHash)
    actual = (found.quads, found.graphs, found.blank_nodes, found.content_hash)
    if expected != actual:
        raise BackupInvalid(
            f"{where} holds {found.quads} quads in {found.graphs} graphs (content hash "
            f"{found.content_hash[:12]}...), the manifest says {manifest.quads} quads in "
            f"{manifest.graphs} graphs ({manifest.contentHash[:12]}...)")


@dataclass
class Restored:
    manifest: Manifest
    integrity: Integrity


def restore_backup(store: Store, raw: bytes) -> Restored:
    """Load a backup into an EMPTY store in one transaction, then verify counts and hash.

    On a mismatch the store is emptied again and RestoreFailed raised.
    """
    data, manifest = split_backup(raw)
    if store.graph_names() or store.triple_count():
        raise Conflict(f"the store ({store.kind}) is not empty; a backup is restored into an "
                       "empty store only (point DSKG_STORE at a new location)")
    store.import_quads(data, "nquads")
    found = store_figures(store)
    try:
        _compare(found, manifest, "after loading, the store")
    except BackupInvalid as exc:
        store.clear()
        raise RestoreFailed(f"{exc.message}; the store was emptied again") from None
    return Restored(manifest, found.integrity)


__all__ = ["BackupInvalid", "Figures", "Integrity", "Manifest", "RestoreFailed", "Restored",
           "backup_chunks", "check_integrity", "figures_of", "restore_backup", "snapshot",
           "split_backup", "store_figures", "verify_backup", "write_backup"]
