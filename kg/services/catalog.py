"""The node's datasets as one DCAT-AP 3 catalog: whole, or paged with Hydra for harvesters.

A page holds the catalog node, a ``hydra:PartialCollectionView`` (first, last, next,
previous, total) as CKAN's ckanext-dcat and piveau expect, and for each dataset of the page
its record: the dataset and what its description says about the nodes it leads to
(distributions, offers, contact points), the publishers' names and types, the policies its
offers inherit from and the referenced controlled-vocabulary terms with their types, so the
page is self-contained and passes the DCAT-AP shapes. The whole catalog is the same without
the view.

Speed: the records, nearly all of the document, are one CONSTRUCT the engine runs and
writes itself (``Store.construct_stream``), streamed while the rest is worked out; only what
depends on the records (agents, inherited policies, terms: a few hundred triples) is made in
Python, from short summaries the engine computes, and the terms' facts are cached until the
store changes. A description graph holding a dataset that is not walked from (another
page's, or one described elsewhere) is walked in Python, as before: that walk stops at
other datasets, which a property path cannot.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from kg.errors import BadRequest, QueryBusy
from kg.namespaces import (
    ADMS,
    DCAT,
    DCT,
    ELI,
    FOAF,
    HYDRA,
    META_GRAPH,
    ODRL,
    PREFIXES,
    RDF,
    SKOS,
    XSD,
)
from kg.services.context import ServiceContext
from kg.services.documents import bind_prefixes, bounded_description
from kg.store import Store
from kg.store.base import ConstructPart, StreamPart, Triple, Watch
from kg.store.sparql_text import predicate_filter, term_n3, values_list

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_AGENT_FACTS = (RDF.type, FOAF.name, SKOS.prefLabel)
#: What the catalog says about a referenced controlled-vocabulary term or reference, as
#: portal exporters do, so that DCAT-AP's range.ttl (every value has its class) passes on
#: the catalog alone: its type, label, notation and scheme, and the scheme's type and title.
_TERM_FACTS = (RDF.type, SKOS.prefLabel, SKOS.notation, SKOS.inScheme, DCT.title)
_R5R = Namespace("http://data.europa.eu/r5r/")
#: DCAT-AP 3 ranges (range.ttl) of the properties whose values are references, not
#: resources described in the catalog.
REFERENCE_RANGES: dict[URIRef, URIRef] = {
    DCAT.theme: SKOS.Concept,
    DCT.type: SKOS.Concept,
    _R5R.availability: SKOS.Concept,
    ADMS.status: SKOS.Concept,
    DCAT.themeTaxonomy: SKOS.ConceptScheme,
    DCT.accessRights: DCT.RightsStatement,
    DCT.rights: DCT.RightsStatement,
    DCT.spatial: DCT.Location,
    DCT.license: DCT.LicenseDocument,
    DCT.format: DCT.MediaTypeOrExtent,
    DCAT.mediaType: DCT.MediaType,
    DCAT.compressFormat: DCT.MediaType,
    DCAT.packageFormat: DCT.MediaType,
    DCT.language: DCT.LinguisticSystem,
    DCT.accrualPeriodicity: DCT.Frequency,
    DCT.conformsTo: DCT.Standard,
    DCT.provenance: DCT.ProvenanceStatement,
    _R5R.applicableLegislation: ELI.LegalResource,
    FOAF.homepage: FOAF.Document,
    FOAF.page: FOAF.Document,
    DCAT.landingPage: FOAF.Document,
}
#: Classes DCAT-AP requires something of (a concept its label, a scheme its title): the
#: type is only published when the store has the term's facts, never made up.
_NEEDS_FACTS = {SKOS.Concept, SKOS.ConceptScheme}
_RANGE_CLASSES = set(REFERENCE_RANGES.values())


def catalog_iri(ctx: ServiceContext) -> URIRef:
    return URIRef(f"{ctx.base_iri}catalog")


def dataset_record(graph: Graph, dataset: URIRef) -> Graph:
    """What ``graph`` says about ``dataset`` and the nodes it leads to (not other datasets)."""
    out = Graph()
    frontier: list[Node] = [dataset]
    seen: set[Node] = {dataset}
    while frontier:
        node = frontier.pop()
        for s, p, o in graph.triples((node, None, None)):
            out.add((s, p, o))
            if o in seen or (o, RDF.type, DCAT.Dataset) in graph:
                continue
            if isinstance(o, BNode | URIRef) and (o, None, None) in graph:
                seen.add(o)
                frontier.append(o)
    return out


#: Any path inside one graph, of any length (no triple has this predicate).
_ANY_PATH = "(!<urn:dskg:catalog:none>)*"
#: Predicates whose values the steps after the records look at.
WATCHED = frozenset({DCT.publisher, ODRL.assigner, ODRL.inheritFrom, SKOS.inScheme,
                     *REFERENCE_RANGES})


@dataclass
class Contents:
    """What the document holds so far, as far as the later steps ask: the engine's
    records (what the stream noted of them) and the triples made here (``extra``)."""

    records: Watch = field(default_factory=lambda: Watch(WATCHED))
    typed: set[Node] = field(default_factory=set)
    extra: Graph = field(default_factory=Graph)

    def records_done(self) -> None:
        self.typed = {s for s, _t in self.records.types}

    def has_subject(self, node: Node) -> bool:
        return node in self.records.subjects or (node, None, None) in self.extra

    def has_type(self, node: Node, cls: Node | None = None) -> bool:
        if cls is None:
            return node in self.typed or (node, RDF.type, None) in self.extra
        return (node, cls) in self.records.types or (node, RDF.type, cls) in self.extra

    def objects_of(self, predicate: Node) -> set[Node]:
        return self.records.objects.get(predicate, set()) | set(  # type: ignore[call-overload]
            self.extra.objects(None, predicate))

    def add(self, triples: Iterable[Triple]) -> None:
        for triple in triples:
            self.extra.add(triple)


@dataclass
class CatalogRequest:
    """One export, checked before the first byte: the page's datasets (None: every
    dataset, listed once the stream has begun) and its Hydra view."""

    page: int | None
    datasets: list[URIRef] | None
    view: list[Triple]


def _holders(ctx: ServiceContext, datasets: list[URIRef] | None
             ) -> tuple[dict[URIRef, URIRef], set[tuple[Node, Node]]]:
    """The description graph holding each dataset (``None``: every dataset): the graph
    named like it, else the first graph by name, as everywhere in the node; and every
    (graph, dataset node) typing in those graphs (to find the datasets a walk stops at)."""
    timeout = ctx.settings.query_timeout
    listed = values_list("d", sorted(datasets)) if datasets is not None else ""
    rows = ctx.store.query(
        f"SELECT ?d ?g WHERE {{ {listed} GRAPH ?g {{ ?d a {term_n3(DCAT.Dataset)} }} "
        f"FILTER(?g != <{META_GRAPH}>) }}", timeout=timeout).rows
    holder: dict[URIRef, URIRef] = {}
    for d, g in sorted(rows, key=lambda r: (r[0] != r[1], str(r[1]))):
        if isinstance(d, URIRef):
            holder.setdefault(d, g)  # type: ignore[arg-type]
    if datasets is None:  # every typing is at hand
        return holder, {(g, d) for d, g in rows}  # type: ignore[misc]
    graphs = sorted(set(holder.values()))
    typings = ctx.store.query(
        f"SELECT ?g ?x WHERE {{ {values_list('g', graphs)} "
        f"GRAPH ?g {{ ?x a {term_n3(DCAT.Dataset)} }} }}", timeout=timeout).rows \
        if graphs else []
    return holder, set(typings)  # type: ignore[arg-type]


def split_records(holder: dict[URIRef, URIRef], typings: set[tuple[Node, Node]]
                  ) -> tuple[list[tuple[URIRef, URIRef]], dict[URIRef, list[URIRef]]]:
    """(graph, dataset) starts the engine walks, and graph -> datasets walked here. A
    graph whose every dataset is a start is walked by the engine: a path from each start
    reaches what the walk reaches. One with another dataset (of another page, or described
    elsewhere), where the walk stops, is walked here."""
    starts = {(g, d) for d, g in holder.items()}
    mixed = {g for g, x in typings if (g, x) not in starts}
    walked = sorted((g, d) for g, d in starts if g not in mixed)
    by_hand: dict[URIRef, list[URIRef]] = {}
    for g, d in sorted(starts):
        if g in mixed:
            by_hand.setdefault(g, []).append(d)
    return walked, by_hand


def _pairs(walked: list[tuple[URIRef, URIRef]]) -> str:
    return "VALUES (?g ?d) { " + " ".join(
        f"({term_n3(g)} {term_n3(d)})" for g, d in walked) + " }"


def records_query(walked: list[tuple[URIRef, URIRef]]) -> str:
    """The CONSTRUCT of every walked record (the bulk of the catalog): what each start's
    description graph says about the nodes a path from it reaches, each node once. The
    path starts from the start's non-literal values (a step per literal saved: 20% less)."""
    pairs = _pairs(walked)
    return (f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {{ SELECT DISTINCT ?g ?s WHERE {{ "
            f"{{ {pairs} BIND(?d AS ?s) }} UNION {{ {pairs} GRAPH ?g {{ ?d ?first ?n "
            f"FILTER(!isLiteral(?n)) ?n {_ANY_PATH} ?s }} }} }} }} GRAPH ?g {{ ?s ?p ?o }} }}")


def _add_agents(ctx: ServiceContext, out: Contents) -> None:
    agents = {o for p in (DCT.publisher, ODRL.assigner) for o in out.objects_of(p)
              if isinstance(o, URIRef) and not out.has_type(o)}
    out.add(_facts(ctx.store, "agents").of(ctx, agents))


class _Facts:
    """Some facts of some IRIs in any description (the agents' names and types, the
    terms' types, labels and schemes), kept until the store changes: every page and
    every export asks about the same few thousand."""

    def __init__(self, store: Store, predicates: tuple[URIRef, ...],
                 keep: Callable[[Node, Node], bool]) -> None:
        self.predicates, self.keep = predicates, keep
        self.facts: dict[URIRef, list[Triple]] = {}
        self.lock = threading.Lock()
        self.generation = 0
        store.subscribe(self._forget)

    def _forget(self, _graphs: object) -> None:
        with self.lock:
            self.facts.clear()
            self.generation += 1

    def of(self, ctx: ServiceContext, iris: set[URIRef]) -> list[Triple]:
        with self.lock:
            missing = sorted(i for i in iris if i not in self.facts)
            generation = self.generation
        found: dict[URIRef, list[Triple]] = {i: [] for i in missing}
        if missing:
            result = ctx.store.query(
                f"SELECT DISTINCT ?s ?p ?o WHERE {{ {values_list('s', missing)} "
                f"GRAPH ?g {{ ?s ?p ?o }} {predicate_filter(self.predicates)} "
                f"FILTER(?g != <{META_GRAPH}>) }}",
                timeout=ctx.settings.query_timeout)
            for s, p, o in result.rows:
                if self.keep(p, o):  # type: ignore[arg-type]
                    found[s].append((s, p, o))  # type: ignore[index,arg-type]
        with self.lock:
            known = {i: self.facts.get(i) for i in iris}
            # Not kept when the store changed meanwhile or others write to it too.
            if self.generation == generation and not ctx.store.shared_with_other_writers:
                self.facts.update(found)
        out: list[Triple] = []
        for iri in sorted(iris):
            cached = known[iri]
            out.extend(cached if cached is not None else found.get(iri, []))
        return out


def _term_fact(p: Node, o: Node) -> bool:
    # Only the DCAT-AP range classes: a term that is also one of our resources (a legal
    # framework) is not described here, so our own classes would be half-told.
    return p != RDF.type or o in _RANGE_CLASSES


_CACHES: weakref.WeakKeyDictionary[Store, dict[str, _Facts]] = weakref.WeakKeyDictionary()
_CACHES_GUARD = threading.Lock()


def _facts(store: Store, kind: str) -> _Facts:
    with _CACHES_GUARD:
        caches = _CACHES.get(store)
        if caches is None:
            caches = _CACHES[store] = {
                "agents": _Facts(store, _AGENT_FACTS, lambda _p, _o: True),
                "terms": _Facts(store, _TERM_FACTS, _term_fact)}
        return caches[kind]


def _add_reference_types(ctx: ServiceContext, out: Contents) -> None:
    """Type every referenced term (theme, access rights, spatial, licence, format, media
    type, availability, applicable legislation, home and landing pages ...)."""
    facts = _facts(ctx.store, "terms")
    wanted = {(o, cls) for p, cls in REFERENCE_RANGES.items()
              for o in out.objects_of(p)
              if isinstance(o, URIRef) and not out.has_type(o, cls)}
    out.add(facts.of(ctx, {o for o, _cls in wanted}))
    out.add(facts.of(ctx, {s for s in out.objects_of(SKOS.inScheme)
                           if isinstance(s, URIRef) and not out.has_type(s)}))
    for term, cls in wanted:
        if not out.has_type(term, cls) and cls not in _NEEDS_FACTS:
            out.add([(term, RDF.type, cls)])


def _add_inherited_policies(ctx: ServiceContext, out: Contents) -> None:
    """The policies the page's policies inherit from, transitively, with their rules."""
    wanted = {o for o in out.objects_of(ODRL.inheritFrom)
              if isinstance(o, URIRef) and not out.has_subject(o)}
    done: set[URIRef] = set()
    while wanted:
        for policy in sorted(wanted):
            done.add(policy)
            location = ctx.store.query(
                f"SELECT ?g WHERE {{ GRAPH ?g {{ ?p a ?t }} FILTER(?g != <{META_GRAPH}>) }} "
                "LIMIT 1", {"p": policy}).column("g")
            if location and isinstance(location[0], URIRef):
                out.add(bounded_description(ctx.store.get_graph(location[0]), policy))
        wanted = {o for o in out.objects_of(ODRL.inheritFrom)
                  if isinstance(o, URIRef) and o not in done and not out.has_subject(o)}


def request_catalog(ctx: ServiceContext, page: int | None, page_size: int,
                    page_url: Callable[[int], str]) -> CatalogRequest:
    """Check a request (``page=None``: the whole catalog, without paging): BadRequest
    before anything is written. A page's datasets are listed here; the whole catalog's
    once its stream has begun."""
    if page is None:
        return CatalogRequest(None, None, [])
    if page < 1:
        raise BadRequest("page numbers start at 1")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise BadRequest(f"pageSize must be between 1 and {MAX_PAGE_SIZE}")
    # Every dataset IRI, sorted here: the engine's ORDER BY took 1 s at 10k datasets (to
    # the first byte of every page), the list 0.07 s. Code-point order either way.
    every = sorted({d for d in ctx.store.query(
        f"SELECT DISTINCT ?d WHERE {{ ?d a {term_n3(DCAT.Dataset)} FILTER(isIRI(?d)) }}",
        timeout=ctx.settings.query_timeout).column("d") if isinstance(d, URIRef)}, key=str)
    total = len(every)
    last = max(1, -(-total // page_size))
    if page > last:
        raise BadRequest(f"page {page} is past the last page ({last})")
    datasets = every[(page - 1) * page_size:page * page_size]
    catalog, view = catalog_iri(ctx), URIRef(page_url(page))
    triples: list[Triple] = [
        (catalog, HYDRA.view, view), (view, RDF.type, HYDRA.PartialCollectionView),
        (view, HYDRA.totalItems, Literal(total, datatype=XSD.nonNegativeInteger)),
        (view, HYDRA.itemsPerPage, Literal(page_size, datatype=XSD.nonNegativeInteger)),
        (view, HYDRA.first, URIRef(page_url(1))), (view, HYDRA.last, URIRef(page_url(last)))]
    if page < last:
        triples.append((view, HYDRA.next, URIRef(page_url(page + 1))))
    if page > 1:
        triples.append((view, HYDRA.previous, URIRef(page_url(page - 1))))
    return CatalogRequest(page, datasets, triples)


def _catalog_node(ctx: ServiceContext) -> list[Triple]:
    catalog = catalog_iri(ctx)
    node = ctx.settings.config.get("node", {})
    publisher = URIRef(node.get("publisher") or f"{catalog}#publisher")
    name = ctx.settings.node_name
    return [
        (catalog, RDF.type, DCAT.Catalog),
        (catalog, DCT.title, Literal(f"dataspace-kg node {name}", lang="en")),
        (catalog, DCT.description, Literal(
            node.get("description") or "Datasets described in this dataspace-kg node: the "
            "European data-space ecosystem's organisations, data spaces, datasets and usage "
            "policies.", lang="en")),
        (catalog, DCT.publisher, publisher),
        (catalog, FOAF.homepage, URIRef(ctx.base_iri)),
        (publisher, RDF.type, FOAF.Agent),
        (publisher, FOAF.name, Literal(node.get("publisher_name") or f"dskg node {name}")),
    ]


def _listing_query(ctx: ServiceContext) -> str:
    """The whole catalog's ``dcat:dataset`` links, written by the engine as it finds them:
    the first bytes leave before anything else is known. The same datasets as
    ``_holders(ctx, None)``: IRIs typed dcat:Dataset in a description."""
    return (f"CONSTRUCT {{ {term_n3(catalog_iri(ctx))} {term_n3(DCAT.dataset)} ?d }} WHERE {{ "
            f"{{ SELECT DISTINCT ?d WHERE {{ GRAPH ?g {{ ?d a {term_n3(DCAT.Dataset)} }} "
            f"FILTER(isIRI(?d) && ?g != <{META_GRAPH}>) }} }} }}")


def _parts(ctx: ServiceContext, request: CatalogRequest) -> Iterator[StreamPart]:
    """The document's parts, worked out as the stream asks for them: the catalog node
    and its datasets first (no Python work: the first bytes), then the engine's records,
    and what depends on them (the records walked here, agents, inherited policies,
    terms)."""
    out = Contents()
    head = _catalog_node(ctx) + request.view
    out.add(head)
    yield head
    if request.datasets is None:
        yield _listing_query(ctx)
    else:
        catalog = catalog_iri(ctx)
        yield [(catalog, DCAT.dataset, d) for d in request.datasets]
    walked, by_hand = split_records(*_holders(ctx, request.datasets))
    if walked:
        yield ConstructPart(records_query(walked), out.records)
    yield _completion(ctx, out, by_hand)


def _completion(ctx: ServiceContext, out: Contents,
                by_hand: dict[URIRef, list[URIRef]]) -> Iterator[Triple]:
    """Run once the engine's records were written (``out.records`` is complete)."""
    out.records_done()
    written = set(out.extra)
    for graph_name, datasets in by_hand.items():
        graph = ctx.store.get_graph(graph_name)
        for dataset in datasets:
            out.add(dataset_record(graph, dataset))
    _add_agents(ctx, out)
    _add_inherited_policies(ctx, out)
    _add_agents(ctx, out)
    _add_reference_types(ctx, out)
    yield from (t for t in out.extra if t not in written)


#: Catalog documents written at once. A stream's engine work runs in the node's process,
#: outside the query workers and their deadline: it is bounded here instead.
MAX_EXPORTS = 2
_EXPORTS = threading.BoundedSemaphore(MAX_EXPORTS)


def catalog_stream(ctx: ServiceContext, request: CatalogRequest,
                   media_type: str) -> Iterator[bytes]:
    """The catalog as ``media_type`` (a GRAPH_FORMATS type), bytes as they are written.
    QueryBusy (503, Retry-After) when MAX_EXPORTS are being written already."""
    if not _EXPORTS.acquire(blocking=False):
        raise QueryBusy(f"{MAX_EXPORTS} catalog documents are being written already; try "
                        "again shortly", retry_after=2)
    slot = _Slot()
    try:
        prefixes = {**PREFIXES, "hydra": str(HYDRA)}
        stream = _holding(ctx.store.construct_stream(_parts(ctx, request), media_type,
                                                     prefixes=prefixes), slot)
    except BaseException:
        slot.release()
        raise
    # A stream dropped before it was read never runs its ``finally``: freed when collected.
    weakref.finalize(stream, slot.release)
    return stream


class _Slot:
    """One of the MAX_EXPORTS, given back once (end, error, client gone or collected)."""

    def __init__(self) -> None:
        self.held = True
        self.lock = threading.Lock()

    def release(self) -> None:
        with self.lock:
            held, self.held = self.held, False
        if held:
            _EXPORTS.release()


def _holding(stream: Iterator[bytes], slot: _Slot) -> Iterator[bytes]:
    try:
        yield from stream
    finally:
        slot.release()


def build_catalog(ctx: ServiceContext, page: int | None, page_size: int,
                  page_url: Callable[[int], str]) -> Graph:
    """Page ``page`` (from 1; None: the whole catalog) as an rdflib graph."""
    request = request_catalog(ctx, page, page_size, page_url)
    body = b"".join(catalog_stream(ctx, request, "application/n-triples"))
    graph = bind_prefixes(Graph()).parse(data=body, format="nt")
    graph.bind("hydra", HYDRA)
    return graph
