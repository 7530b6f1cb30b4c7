"""The one write path: parse -> normalise -> validate -> commit (or reject, store unchanged).

CLI ``load``, REST writes, harvesting and Gaia-X import all come through here. A description
is one named graph; every commit also writes its provenance record into the meta graph, in
the same transaction. Small inputs are handled as rdflib graphs; big multi-graph inputs take
the bulk path (a staging in-memory store, validation compiled to SPARQL, one bulk commit).
What the stages take and how descriptions are named: ``describe``; the provenance records
they write: ``records``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.term import Node

from kg import lexical, ownership, validation
from kg.errors import BadRequest, Conflict, NotFound, OwnershipRefused, ValidationFailed
from kg.namespaces import DCAT, DEFAULT_ID_BASE, DSKG, META_GRAPH, PROV, RDF, XSD
from kg.ownership import Claim
from kg.rdfio import QUAD_FORMATS, iter_quads, jsonld_to_nquads
from kg.store import Store, memory_store
from kg.store.sparql_text import term_n3, values_list
from kg.validation.links import refuse_unsafe_iris, refuse_unsafe_iris_in_store
from kg.write.bulk import JournaledLoad
from kg.write.describe import (
    Description,
    Mode,
    Origin,
    Triple,
    WriteResult,
    agent_iri,
    graph_iri_for,
    normalise,
    own_graph_name,
    split_dataset,
)
from kg.write.records import description_record, provenance_record, shared_record
from kg.write.transaction import transaction

#: Inputs bigger than this (or with more graphs than BULK_GRAPHS) take the bulk path.
BULK_BYTES = 4 * 1024 * 1024
BULK_GRAPHS = 200


# -- the path ----------------------------------------------------------------------------
def _check_mode(store: Store, names: Sequence[URIRef], mode: Mode) -> tuple[list, list]:
    if len(names) > 50:  # one listing beats one ASK per graph on big loads
        present = set(store.graph_names())
        existing = [n for n in names if n in present]
    else:
        existing = [n for n in names if store.has_graph(n)]
    if mode == "create" and existing:
        raise Conflict(f"{existing[0]} already exists; use replace (PUT) to change it",
                       graph=str(existing[0]))
    if mode == "replace":
        missing = [n for n in names if n not in existing]
        if missing:
            raise NotFound(f"{missing[0]} does not exist", graph=str(missing[0]))
    created = [n for n in names if n not in existing]
    return created, existing


def validate_descriptions(store: Store, descriptions: Sequence[Description]
                          ) -> validation.ValidationReport:
    """Validate the descriptions together, with the store context of what they reference."""
    union = Graph()
    for description in descriptions:
        for triple in description.graph:
            union.add(triple)
    context = validation.context_for(store, union)
    return validation.validate_graph(union, context=context)


def commit(store: Store, descriptions: Sequence[Description], origin: Origin, *,
           mode: Mode = "upsert", validate: bool = True,
           precondition: Callable[[], None] | None = None) -> WriteResult:
    """Validate, check ownership and authority, and commit already-parsed descriptions as
    one transaction."""
    descriptions = [own_graph_name(d, origin.base_iri) for d in descriptions]
    names = [d.name for d in descriptions]
    if len(set(names)) != len(names):
        raise Conflict("two descriptions in one write have the same graph name")
    report = validate_descriptions(store, descriptions) if validate else None
    if not validate:  # unvalidated writes (trusted peers, imports) still refuse unsafe IRIs
        refuse_unsafe_iris(d.graph for d in descriptions)
    if report is not None and not report.conforms:
        raise ValidationFailed(_failure_summary(report), report)
    warnings = 0 if report is None else sum(1 for r in report.results
                                            if r.severity != "Violation")
    when = datetime.now(UTC)
    with transaction(store):
        if precondition is not None:
            precondition()
        created, replaced = _check_mode(store, names, mode)
        owners, trimmed = review_ownership(store, descriptions, origin)
        # A description the review trimmed to nothing (a peer's copy of what others own)
        # is not written: no empty graph, no record without a graph.
        descriptions = [d for d in descriptions if len(d.graph) or d.name not in trimmed]
        names = [d.name for d in descriptions]
        created = [n for n in created if n in names]
        replaced = [n for n in replaced if n in names]
        records: list[Triple] = []
        for description in descriptions:
            records += provenance_record(description, origin, when=when, warnings=warnings,
                                         conforms=None if report is None else report.conforms,
                                         owner=owners.get(description.name))
            records += lexical.notes(description.name, description.graph)
        store.replace_graphs({d.name: list(d.graph) for d in descriptions},
                             add={URIRef(META_GRAPH): records},
                             remove_subjects={URIRef(META_GRAPH): names})
    return WriteResult(graphs=names, roots={d.name: d.root for d in descriptions},
                       created=created, replaced=replaced,
                       triples=sum(len(d.graph) for d in descriptions), warnings=warnings,
                       report=report, trimmed=trimmed)


def review_ownership(store: Store, descriptions: Sequence[Description], origin: Origin
                     ) -> tuple[dict[URIRef, URIRef], dict[URIRef, list[Triple]]]:
    """Check the write against ownership and authority (OwnershipRefused), drop triples
    that only restate another description's facts (or, from a peer, are out of its
    bounds), and return each description's owner (kept when it is replaced, else the
    writer's: DESIGN 4a) and what was dropped from each."""
    claims = [Claim(name=d.name, graph=d.graph, root=d.root) for d in descriptions]
    ownership.Review(store, origin.writer, origin.base_iri).run(claims)
    roots = {c.name: c.root for c in claims if c.root is not None}
    union = memory_store()
    union.replace_graphs({URIRef("urn:dskg:write"): [t for c in claims for t in c.graph]})
    nationals = ownership.national_tiers(store)
    here = ownership.placements(union, roots.values())
    there = ownership.placements(store, [*roots.values(), *_listing_catalogs(claims)])
    owners: dict[URIRef, URIRef] = {}
    for claim in claims:
        if claim.owner is not None:
            owners[claim.name] = claim.owner
            continue
        place = _merged(claim, here, there)
        owners[claim.name] = ownership.owner_for(origin.writer, place, nationals)
    return owners, {c.name: list(c.dropped) for c in claims if c.dropped}


def _listing_catalogs(claims: Sequence[Claim]) -> set[URIRef]:
    return {s for c in claims for s, p, _o in c.graph
            if p in (DCAT.dataset, DCAT.service) and isinstance(s, URIRef)}


def _merged(claim: Claim, here: dict, there: dict) -> dict[str, set[Node]] | None:
    """Where a description's root sits, from the write itself and from the store (a dataset
    listed by a catalog the store holds sits in that catalog's data space)."""
    if claim.root is None:
        return None
    place: dict[str, set[Node]] = {"space": set(), "tier": set(), "country": set()}
    for source in (here.get(claim.root), there.get(claim.root)):
        for key, values in (source or {}).items():
            place[key] |= values
    for catalog in claim.graph.subjects(DCAT.dataset, claim.root):
        place["space"] |= (there.get(catalog) or {}).get("space", set())
    return place


def _failure_summary(report: validation.ValidationReport) -> str:
    violations = [r for r in report.results if r.severity == "Violation"]
    first = violations[0] if violations else None
    if first is None:
        return "the description does not conform to the shapes"
    more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
    return f"{first.focus}: {first.message}{more}"


def delete_graphs(store: Store, names: Sequence[URIRef], origin: Origin,
                  precondition: Callable[[], None] | None = None) -> None:
    """Drop descriptions in one transaction, replacing each provenance record by a
    tombstone that says who deleted it and when (so deletions stay accountable)."""
    when = Literal(datetime.now(UTC).isoformat(), datatype=XSD.dateTime)
    tombstones: list[Triple] = []
    for name in names:
        tombstones += [(name, RDF.type, DSKG.DeletedDescription),
                       (name, PROV.invalidatedAtTime, when),
                       (name, DSKG.invalidatedBy, agent_iri(origin.agent)),
                       (name, DSKG.activity, Literal(origin.activity))]
    with transaction(store):
        if precondition is not None:
            precondition()
        missing = [n for n in names if not store.has_graph(n)]
        if missing:
            raise NotFound(f"{missing[0]} does not exist", graph=str(missing[0]))
        owners = ownership.current_owners(store, names)
        refused = {n: [f"{n} belongs to {owners.get(n) or ownership.NODE_OWNER}; "
                       f"{origin.writer.describe()} may not delete it"]
                   for n in names if not origin.writer.holds(owners.get(n))}
        if refused:
            raise OwnershipRefused(refused, status=403)
        store.replace_graphs({}, drop=names, remove_subjects={URIRef(META_GRAPH): names},
                             add={URIRef(META_GRAPH): tombstones})


def record_activity(store: Store, triples: Sequence[Triple]) -> None:
    """Provenance of a step that changes no description (a submission refused admission):
    added to the meta graph in one transaction, as a writer (``transaction``)."""
    with transaction(store):
        store.replace_graphs({}, add={URIRef(META_GRAPH): list(triples)})


def write_bytes(store: Store, data: bytes, fmt: str, *, base_iri: str, origin: Origin,
                graph: URIRef | None = None, mode: Mode = "upsert", validate: bool = True,
                precondition: Callable[[], None] | None = None,
                exclusive: bool = False) -> WriteResult:
    """Parse ``data`` and commit it: the entry point of CLI load, REST and harvest.
    ``exclusive``: see ``bulk_write``."""
    origin.base_iri = base_iri
    if fmt == "json-ld":  # expanded once, with shipped contexts only, whichever path follows
        data, fmt = jsonld_to_nquads(data, base_iri), "nquads"
    if fmt in QUAD_FORMATS and graph is None and len(data) > BULK_BYTES:
        return bulk_write(store, data, fmt, base_iri=base_iri, origin=origin, mode=mode,
                          validate=validate, exclusive=exclusive)
    dataset = Dataset()
    default = dataset.default_graph
    for s, p, o, g in iter_quads(data, fmt, base_iri=base_iri):
        (default if g is None else dataset.graph(g)).add((s, p, o))
    descriptions = split_dataset(dataset, base_iri=base_iri, name=graph)
    if graph is not None and any(d.name != graph for d in descriptions):
        raise Conflict("a single-description write must not contain named graphs")
    restoring = any(d.name == URIRef(META_GRAPH) for d in descriptions)
    if restoring and graph is not None:
        raise Conflict(f"{META_GRAPH} holds provenance records and cannot be written directly")
    if restoring or len(descriptions) > BULK_GRAPHS:
        # A restore of our own export (it carries provenance records) or a big load.
        return bulk_write(store, data, fmt, base_iri=base_iri, origin=origin, mode=mode,
                          validate=validate, exclusive=exclusive)
    return write_descriptions(store, descriptions, base_iri=base_iri, origin=origin, mode=mode,
                              validate=validate, precondition=precondition)


def write_descriptions(store: Store, descriptions: Iterable[Description], *, base_iri: str,
                       origin: Origin, mode: Mode = "upsert", validate: bool = True,
                       precondition: Callable[[], None] | None = None) -> WriteResult:
    """Normalise parsed descriptions and commit them (Gaia-X import enters here)."""
    origin.base_iri = base_iri
    items = list(descriptions)
    if not items:
        raise BadRequest("the input holds no triples")
    normalised: list[Description] = []
    taken_now: set[URIRef] = set()

    def taken(candidate: URIRef) -> bool:
        return candidate in taken_now or store.has_graph(candidate) or _is_subject(
            store, candidate)

    recorded = _recorded_roots(store, [i.name for i in items if i.root is None and str(i.name)])
    for item in items:
        root = recorded.get(item.name)
        if item.root is None and root is not None and (root, None, None) in item.graph:
            # A graph written again whole (Graph Store PUT) keeps the resource it describes,
            # which its shape alone may not tell (a dataset its own offer targets).
            item = Description(name=item.name, graph=item.graph, root=root)
        done = normalise(item, base_iri=base_iri, taken=taken)
        taken_now.add(done.name)
        normalised.append(done)
    return commit(store, normalised, origin, mode=mode, validate=validate,
                  precondition=precondition)


def _recorded_roots(store: Store, names: list[URIRef]) -> dict[URIRef, URIRef]:
    """The resource each existing graph of ``names`` is recorded as describing."""
    if not names:
        return {}
    rows = store.query(f"SELECT ?g ?r WHERE {{ {values_list('g', names)} GRAPH "
                       f"{term_n3(URIRef(META_GRAPH))} {{ ?g {term_n3(DSKG.describes)} ?r }} }}"
                       ).rows
    return {g: r for g, r in rows if isinstance(g, URIRef) and isinstance(r, URIRef)}


def _is_subject(store: Store, iri: URIRef) -> bool:
    return bool(store.query("ASK { ?s ?p ?o }", {"s": iri}).boolean)


# -- bulk path ---------------------------------------------------------------------------
def bulk_write(store: Store, data: bytes, fmt: str, *, base_iri: str, origin: Origin,
               mode: Mode = "upsert", validate: bool = True,
               exclusive: bool = False,
               known_roots: dict[URIRef, URIRef] | None = None) -> WriteResult:
    """Stage the whole input in memory, validate it there with SPARQL, commit in one go.

    Graph names are taken as given (no IRI minting); a restore of our own export keeps the
    provenance records it carries instead of writing new ones. ``exclusive``: the caller
    holds the store alone (``dskg load`` on an embedded store), so a load of new graphs may
    use the engine's bulk loader, journaled (``kg.write.bulk``), instead of a transaction;
    the loader then runs while the staged copy is validated, and a rejected load is undone.
    ``known_roots``: the main resource of graphs, when the caller knows it (a split dump);
    the others are guessed from the graph's shape.
    """
    origin.base_iri = base_iri
    staging = memory_store()
    noted = lexical.input_notes(data, fmt, base_iri)  # before the engine stores values
    staging.import_quads(data, fmt, base_iri=base_iri)
    meta = URIRef(META_GRAPH)
    renamed = meta not in staging.graph_names() and rename_resource_graphs(staging, base_iri)
    if renamed:  # the bulk loader must read the graphs as renamed, not as given
        buffer = io.BytesIO()
        staging.export(buffer, "nquads")
        data, fmt = buffer.getvalue(), "nquads"
    staged = staging.graph_names()
    names = [n for n in staged if n != meta]
    roots = {**_bulk_roots(staging), **(known_roots or {})}
    notes = lexical.renamed(noted, names, lambda g: graph_iri_for(base_iri, g))
    # The journaled loader reads the input as given: only for an admin, whose bulk writes
    # the review refuses or accepts whole (never trims).
    if exclusive and origin.writer.is_admin and meta not in staged \
            and not store.bulk_import_is_atomic:
        with transaction(store):
            created, replaced = _check_mode(store, names, mode)
            if not replaced:
                owners, trimmed = _review_staged(store, staging, names, roots, origin)
                with JournaledLoad(store, names, agent_iri(origin.agent)) as load:
                    load.start(data, fmt, base_iri)  # the input as given: what staging holds
                    # The context may be read while the new graphs arrive: it only keeps
                    # facts about nodes the input does not describe, which the input
                    # cannot change (none of its triples has such a subject).
                    context = validation.context_for(store, staging) if validate else None
                    staged_write = _validate_staged(staging, names, origin, validate, context,
                                                    roots, owners)
                    load.commit(staged_write.records + notes)
                return staged_write.result(created, [], trimmed)
    context = validation.context_for(store, staging) if validate else None
    with transaction(store):
        created, replaced = _check_mode(store, names, mode)
        owners, trimmed = _review_staged(store, staging, names, roots, origin)
        if trimmed:  # descriptions trimmed to nothing are not written (see ``commit``)
            present = set(staging.graph_names())
            names = [n for n in names if n in present or n not in trimmed]
            created = [n for n in created if n in names]
            replaced = [n for n in replaced if n in names]
        staged_write = _validate_staged(staging, names, origin, validate, context, roots,
                                        owners)
        records = staged_write.records + notes
        carried = list(staging.get_graph(meta)) if meta in staged else []
        if replaced:
            # Rewriting existing graphs: one update drops them and their old records.
            grouped = {name: list(staging.get_graph(name)) for name in names}
            store.replace_graphs(grouped, add={meta: carried + records},
                                 remove_subjects={meta: replaced})
        else:
            if records:
                staging.replace_graphs({}, add={meta: records})
            staging.copy_into(store)
    return staged_write.result(created, replaced, trimmed)


def rename_resource_graphs(store: Store, base_iri: str) -> bool:
    """Give every graph named after a resource it describes an IRI of its own (the names
    ``graph_iri_for`` makes); one update. Returns whether any graph was renamed."""
    meta = term_n3(URIRef(META_GRAPH))
    named = f"FILTER(?g != {meta}) FILTER EXISTS {{ GRAPH ?g {{ ?g a ?t }} }}"
    old = [g for g in store.query(f"SELECT DISTINCT ?g {{ GRAPH ?g {{ ?s ?p ?o }} {named} }}"
                                  ).column("g") if isinstance(g, URIRef)]
    if not old:
        return False
    stems = [f"{base_iri}id/", DEFAULT_ID_BASE]
    new = (f'IF(STRSTARTS(STR(?g), "{stems[0]}"), '
           f'IRI(CONCAT("{base_iri}graph/", STRAFTER(STR(?g), "{stems[0]}"))), '
           f'IF(STRSTARTS(STR(?g), "{stems[1]}"), '
           f'IRI(CONCAT("{base_iri}graph/", STRAFTER(STR(?g), "{stems[1]}"))), '
           f'IRI(CONCAT("{base_iri}graph/r/", SUBSTR(SHA256(STR(?g)), 1, 32)))))')
    store.update(f"DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} INSERT {{ GRAPH ?n {{ ?s ?p ?o }} }} "
                 f"WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {named} BIND({new} AS ?n) }}")
    store.replace_graphs({}, drop=old)
    return True


def _review_staged(store: Store, staging: Store, names: list[URIRef],
                   roots: dict[URIRef, URIRef | None], origin: Origin
                   ) -> tuple[dict[URIRef, URIRef], dict[URIRef, list[Triple]]]:
    """Ownership and authority for a staged write (see ``review_ownership``); the owner of
    each graph. Writers below admin (harvested peers) are reviewed description by
    description, with what they restate dropped from the staging store."""
    trimmed: dict[URIRef, list[Triple]] = {}
    if origin.writer.is_admin:
        ownership.review_staged(store, staging, names)
        kept = ownership.current_owners(store, names)
    else:
        descriptions = [Description(name=n, graph=staging.get_graph(n), root=roots.get(n))
                        for n in names]
        claims = [Claim(name=d.name, graph=d.graph, root=d.root) for d in descriptions]
        ownership.Review(store, origin.writer, origin.base_iri).run(claims)
        trimmed = {c.name: list(c.dropped) for c in claims if c.dropped}
        if trimmed:  # the claims' graphs are the staged ones, trimmed (blank nodes included)
            staging.replace_graphs({c.name: list(c.graph) for c in claims if c.dropped})
        kept = {c.name: c.owner for c in claims if c.owner is not None}
    nationals = ownership.national_tiers(store)
    wanted = [r for r in roots.values() if r is not None]
    here = ownership.placements(staging, wanted)
    there = ownership.placements(store, wanted) if store.graph_names() else {}
    owners: dict[URIRef, URIRef] = {}
    for name in names:
        if kept.get(name) is not None:
            owners[name] = kept[name]  # type: ignore[assignment]
            continue
        root = roots.get(name)
        place: dict[str, set[Node]] = {"space": set(), "tier": set(), "country": set()}
        for source in (here.get(root), there.get(root)) if root is not None else ():
            for key, values in (source or {}).items():
                place[key] |= values
        owners[name] = ownership.owner_for(origin.writer, place, nationals)
    return owners, trimmed


@dataclass
class _StagedWrite:
    """A validated staging store's outcome: report, provenance records, figures."""

    names: list[URIRef]
    report: validation.ValidationReport | None
    warnings: int
    records: list[Triple]
    roots: dict[URIRef, URIRef | None]
    triples: int

    def result(self, created: list[URIRef], replaced: list[URIRef],
               trimmed: dict[URIRef, list[Triple]]) -> WriteResult:
        return WriteResult(graphs=self.names, roots=self.roots, created=created,
                           replaced=replaced, triples=self.triples, warnings=self.warnings,
                           report=self.report, trimmed=trimmed)


def _validate_staged(staging: Store, names: list[URIRef], origin: Origin, validate: bool,
                     context: Graph | None, roots: dict[URIRef, URIRef | None],
                     owners: dict[URIRef, URIRef]) -> _StagedWrite:
    """Validate the staged input (raise ValidationFailed) and make its provenance records
    (none for graphs whose records the input carries: a restore of our own export)."""
    report = None
    if validate:
        # Warnings are counted, not listed: a load reports how many there are.
        report = validation.validate_store(staging, context=context, list_warnings=False)
        if not report.conforms:
            raise ValidationFailed(_failure_summary(report), report)
    else:
        refuse_unsafe_iris_in_store(staging)
    warnings = 0 if report is None else report.count("Warning") + report.count("Info")
    with_records = set(staging.query(
        "SELECT DISTINCT ?g WHERE { GRAPH <" + META_GRAPH + "> { ?g a ?t } }").column("g"))
    counts = {g: n for g, n in staging.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g").rows
        if isinstance(n, Literal)}
    shared = shared_record(origin, when=datetime.now(UTC), warnings=warnings,
                           conforms=None if report is None else report.conforms)
    records: list[Triple] = []
    for name in names:
        if name not in with_records:
            records += description_record(name, counts.get(name, Literal(0)), roots.get(name),
                                          origin, shared, owners.get(name))
    total = sum(int(c) for c in counts.values())
    return _StagedWrite(names, report, warnings, records, roots, total)


def _bulk_roots(staging: Store) -> dict[URIRef, URIRef | None]:
    result = staging.query(
        "SELECT ?g ?s WHERE { GRAPH ?g { ?s a ?t FILTER(isIRI(?s)) "
        "FILTER NOT EXISTS { ?x ?p ?s FILTER(?x != ?s) } } }")
    found: dict[URIRef, set[URIRef]] = {}
    for g, s in result.rows:
        found.setdefault(g, set()).add(s)  # type: ignore[arg-type]
    return {g: next(iter(s)) if len(s) == 1 else None for g, s in found.items()}
