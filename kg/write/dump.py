"""The bulk commit of a split catalog dump: what ``bulk_write`` does, minus what the split
already knows.

``bulk_write`` takes any N-Quads file and asks its staging store, query by query, what a
split dump has known since it was cut: which graphs there are and what each describes (the
roots), which IRIs each graph claims (ownership), which IRIs it references without
describing them (validation context), how many triples each holds (the records). Asked of
a 10k-dataset dump, those queries took longer than the engine's bulk load of the file. Here
they are answered from the split, and the order is chosen for two cores:

1. what must be read from the store before it changes (existing graphs, holders of the
   claimed IRIs, placements of the roots, the validation context) is read first; an empty
   store has nothing to give, so a first load skips straight to
2. the journaled bulk load of the graphs, in a thread (``JournaledLoad``); meanwhile this
   thread loads a scratch copy, places the roots in it (their owners), hands the provenance
   records to the loading thread (loaded after the graphs) and validates the scratch copy;
3. the warning count goes in with the commit point.

A rejection (ownership or validation) leaves through ``JournaledLoad``, which undoes the
load: the store is unchanged, as on every other path. Everything else (a store whose bulk
import is atomic, a writer below admin, a reload that replaces graphs) takes ``bulk_write``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rdflib import Literal, URIRef
from rdflib.term import Node

from kg import lexical, ownership, validation
from kg.errors import ValidationFailed
from kg.namespaces import DSKG, META_GRAPH, XSD
from kg.store import Store, memory_store
from kg.store.terms import to_ox
from kg.validation.report import ValidationReport
from kg.write.bulk import JournaledLoad
from kg.write.describe import Mode, Origin, WriteResult, agent_iri
from kg.write.filecheck import FileCheck, Places
from kg.write.path import _check_mode, _failure_summary
from kg.write.records import shared_record
from kg.write.transaction import transaction

if TYPE_CHECKING:  # kg.split imports the write path: only its types are needed here
    from kg.split import Part, SplitDump

_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


def _nt(term: Node) -> str:
    """A term as the engine writes it in N-Triples (literals in their one canonical form)."""
    return str(to_ox(term))


def claims(parts: list[Part]) -> dict[URIRef, set[URIRef]]:
    """The IRIs each description claims (what ``ownership.staged_subjects`` asks a staging
    store), as the split found them."""
    return {part.name: {URIRef(s[1:-1]) for s in part.claims} for part in parts}


def referenced(dump: SplitDump, parts: list[Part]) -> set[URIRef]:
    """IRIs the descriptions point at (types aside) and none of them describes."""
    if len(parts) == len(dump.parts):
        return {URIRef(o[1:-1]) for o in dump.referenced}
    subjects = {s for part in parts for s, _p, _o in part.triples}
    return {URIRef(o[1:-1]) for part in parts for _s, p, o in part.triples
            if o[0] == "<" and p != _TYPE and o not in subjects}


def records_nquads(parts: list[Part], origin: Origin, shared: list[tuple[Node, Node]],
                   owners: dict[URIRef, URIRef]) -> bytes:
    """The provenance records of ``parts`` in the meta graph, as N-Quads text: the triples
    ``description_record`` makes (but the warning count), each distinct term converted
    once."""
    meta = f"<{META_GRAPH}>"
    pairs = [f"{_nt(p)} {_nt(o)}" for p, o in shared]
    count_p, describes, owner_p = _nt(DSKG.tripleCount), _nt(DSKG.describes), _nt(DSKG.owner)
    lines: list[str] = []
    for part in parts:
        g = f"<{part.name}>"
        lines += [f"{g} {pair} {meta} .\n" for pair in pairs]
        lines.append(f'{g} {count_p} "{len(part.triples)}"^^<{XSD.integer}> {meta} .\n')
        lines.append(f"{g} {owner_p} <{owners.get(part.name) or ownership.NODE_OWNER}> "
                     f"{meta} .\n")
        if part.root is not None:
            lines.append(f"{g} {describes} <{part.root}> {meta} .\n")
        lines += [f"{g} {_nt(p)} {_nt(o)} {meta} .\n"
                  for _s, p, o in origin.per_graph.get(part.name, [])]
    return "".join(lines).encode("utf-8")


def _notes_nquads(data: bytes, names: list[URIRef]) -> bytes:
    """The ``dskg:writtenForm`` notes of the parts (``kg.lexical``), as N-Quads text: found
    in the split's own text, before the engine stores its values."""
    notes = lexical.renamed(lexical.input_notes(data, "nquads"), names, lambda name: name)
    meta = f" <{META_GRAPH}> .\n"
    return "".join(f"{_nt(s)} {_nt(p)} {_nt(o)}{meta}" for s, p, o in notes).encode("utf-8")


def _records(parts: list[Part], origin: Origin, shared: list[tuple[Node, Node]],
             here: Places, there: Places, nationals: set[URIRef], data: bytes) -> bytes:
    """The provenance records and written-form notes of ``parts``, N-Quads text; owners from
    the placements of the roots in the load (``here``) and in the store (``there``)."""
    owners = {p.name: _owner(origin, here, there, p.root, nationals) for p in parts}
    return records_nquads(parts, origin, shared, owners) + _notes_nquads(
        data, [p.name for p in parts])


def _warnings(report: ValidationReport) -> int:
    return report.count("Warning") + report.count("Info")


def _warning_counts(names: list[URIRef], report: ValidationReport) -> bytes:
    """Each description's ``dskg:warningCount`` (the load's), N-Quads text."""
    count = f" {_nt(DSKG.warningCount)} {_nt(Literal(_warnings(report)))} <{META_GRAPH}> .\n"
    return "".join(f"<{name}>{count}" for name in names).encode("utf-8")


def _owner(origin: Origin, here: Places, there: Places, root: URIRef | None,
           nationals: set[URIRef]) -> URIRef:
    """The owner party of a description with ``root``: its placement in the load (``here``)
    and in the store (``there``) together."""
    place: dict[str, set[Node]] = {"space": set(), "tier": set(), "country": set()}
    for source in (here.get(root), there.get(root)) if root is not None else ():
        for key, values in (source or {}).items():
            place[key] |= values
    return ownership.owner_for(origin.writer, place, nationals)


def commit_split_applies(store: Store, origin: Origin, exclusive: bool) -> bool:
    """Whether ``commit_split`` takes a dump of new descriptions (see the module doc)."""
    return exclusive and origin.writer.is_admin and not store.bulk_import_is_atomic


def commit_split(store: Store, dump: SplitDump, parts: list[Part], data: bytes, *,
                 base_iri: str, origin: Origin, mode: Mode, exclusive: bool,
                 check: FileCheck | None = None) -> WriteResult | None:
    """Commit the split descriptions ``parts`` (``data``: their N-Quads) through the
    journaled bulk loader; None when this route does not apply (see the module doc).
    ``check``: the file's triples checked in another process (``kg.write.filecheck``), used
    when the store is empty (else stopped)."""
    if not commit_split_applies(store, origin, exclusive):
        return None
    origin.base_iri = base_iri
    names = [p.name for p in parts]
    roots: dict[URIRef, URIRef | None] = {p.name: p.root for p in parts}
    with transaction(store):
        created, replaced = _check_mode(store, names, mode)
        if replaced:
            return None
        # 1. Read what the load will change, before it starts (nothing, in a new store).
        wanted = [r for r in roots.values() if r is not None]
        there: Places = {}
        held = bool(store.graph_names())
        ownership.review_subjects(store if held else None, claims(parts), names)
        if held:
            there = ownership.placements(store, wanted)
        nationals = ownership.national_tiers(store)
        if check is not None and held:
            check.cancel()  # only an empty store can do without the context
            check = None
        staging = memory_store()  # a scratch copy, to validate: atomicity plays no part
        context = None
        if held:  # the validation context is read before the store changes
            staging.bulk_import(data, "nquads")
            context = validation.context_for(store, staging, referenced=referenced(dump, parts))
        shared = [*shared_record(origin, when=datetime.now(UTC), warnings=0, conforms=None),
                  (DSKG.conforms, Literal(True))]
        report: ValidationReport | None = None
        records = b""
        if check is not None:
            # The file was checked while it was split: a rejection comes before any load,
            # and the records go in with the graphs, in one bulk load.
            verdict = check.result()
            report = verdict.report
            if not report.conforms:
                raise ValidationFailed(_failure_summary(report), report)
            records = _records(parts, origin, shared, verdict.places, there, nationals, data) \
                + _warning_counts(names, report)
        with JournaledLoad(store, names, agent_iri(origin.agent)) as load:
            # 2. The graphs go in (a thread); without the file's check, this thread meanwhile
            # places the roots in the scratch copy (owners), hands over the records, and
            # validates.
            load.start(data + records, "nquads", None)
            if report is None:
                if not held:  # an empty store has no context to give
                    staging.bulk_import(data, "nquads")
                here = ownership.placements(staging, wanted, whole=True)
                # The records follow the graphs: a load that fails validation is undone,
                # records and all, so they may say it conforms; the warning count comes last.
                load.then(_records(parts, origin, shared, here, there, nationals, data))
                report = validation.validate_store(staging, context=context,
                                                   list_warnings=False)
                if not report.conforms:
                    raise ValidationFailed(_failure_summary(report), report)
                # 3. The warning count, then the commit point.
                load.commit(_warning_counts(names, report))
            else:
                load.commit(b"")
    return WriteResult(graphs=names, roots=roots, created=created, replaced=[],
                       triples=sum(len(p.triples) for p in parts), warnings=_warnings(report),
                       report=report)

