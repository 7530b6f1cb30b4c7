"""The catalog as the node built it before it was streamed (kept as the reference the
streamed export must equal; not used by the node). Its original docstring follows.

The node's datasets as one DCAT-AP 3 catalog, paged with Hydra for harvesters.

Each page holds the catalog node, a ``hydra:PartialCollectionView`` (first, last, next,
previous, total) as CKAN's ckanext-dcat and piveau expect, and for each dataset of the page
its record: the dataset and what its description says about the nodes it leads to
(distributions, offers, contact points), the publishers' names and types, and the policies
its offers inherit from, so the page is self-contained and passes the DCAT-AP shapes.
"""

from __future__ import annotations

from collections.abc import Callable

from rdflib import Graph, Literal, Namespace, URIRef

from kg.errors import BadRequest
from kg.namespaces import DCAT, DCT, FOAF, HYDRA, META_GRAPH, ODRL, RDF, SKOS, XSD
from kg.services.catalog import REFERENCE_RANGES, catalog_iri, dataset_record
from kg.services.context import ServiceContext
from kg.services.documents import bind_prefixes, bounded_description
from kg.store.sparql_text import predicate_filter, term_n3, values_list

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_AGENT_FACTS = (RDF.type, FOAF.name, SKOS.prefLabel)
#: What the catalog says about a referenced controlled-vocabulary term or reference, as
#: portal exporters do, so that DCAT-AP's range.ttl (every value has its class) passes on
#: the catalog alone: its type, label, notation and scheme, and the scheme's type and title.
_TERM_FACTS = (RDF.type, SKOS.prefLabel, SKOS.notation, SKOS.inScheme, DCT.title)
_R5R = Namespace("http://data.europa.eu/r5r/")
#: Classes DCAT-AP requires something of (a concept its label, a scheme its title): the
#: type is only published when the store has the term's facts, never made up.
_NEEDS_FACTS = {SKOS.Concept, SKOS.ConceptScheme}
_RANGE_CLASSES = set(REFERENCE_RANGES.values())


def _graphs_of(ctx: ServiceContext, datasets: list[URIRef]) -> dict[URIRef, Graph]:
    """The description graph holding each dataset (one query for the whole page)."""
    result = ctx.store.query(
        f"SELECT ?d ?g WHERE {{ {values_list('d', sorted(datasets))} "
        f"GRAPH ?g {{ ?d a {term_n3(DCAT.Dataset)} }} FILTER(?g != <{META_GRAPH}>) }}",
        timeout=ctx.settings.query_timeout)
    holder: dict[URIRef, URIRef] = {}
    for d, g in sorted(result.rows, key=lambda r: (r[0] != r[1], str(r[1]))):
        holder.setdefault(d, g)  # type: ignore[arg-type]
    names = set(holder.values())
    contents: dict[URIRef, Graph] = {g: Graph() for g in names}
    if names:
        quads = ctx.store.query(
            f"SELECT ?g ?s ?p ?o WHERE {{ {values_list('g', sorted(names))} "
            "GRAPH ?g { ?s ?p ?o } }", timeout=ctx.settings.query_timeout)
        for g, s, p, o in quads.rows:
            contents[g].add((s, p, o))  # type: ignore[index,arg-type]
    return {d: contents[g] for d, g in holder.items()}


def _add_agents(ctx: ServiceContext, out: Graph) -> None:
    agents = {o for p in (DCT.publisher, ODRL.assigner) for o in out.objects(None, p)
              if isinstance(o, URIRef) and (o, RDF.type, None) not in out}
    if not agents:
        return
    result = ctx.store.query(
        f"SELECT DISTINCT ?s ?p ?o WHERE {{ {values_list('s', sorted(agents))} "
        f"GRAPH ?g {{ ?s ?p ?o }} {predicate_filter(_AGENT_FACTS)} "
        f"FILTER(?g != <{META_GRAPH}>) }}",
        timeout=ctx.settings.query_timeout)
    for s, p, o in result.rows:
        out.add((s, p, o))  # type: ignore[arg-type]


def _facts(ctx: ServiceContext, out: Graph, iris: set[URIRef]) -> None:
    if not iris:
        return
    result = ctx.store.query(
        f"SELECT DISTINCT ?s ?p ?o WHERE {{ {values_list('s', sorted(iris))} "
        f"GRAPH ?g {{ ?s ?p ?o }} {predicate_filter(_TERM_FACTS)} "
        f"FILTER(?g != <{META_GRAPH}>) }}",
        timeout=ctx.settings.query_timeout)
    for s, p, o in result.rows:
        # Only the DCAT-AP range classes: a term that is also one of our resources (a
        # legal framework) is not described here, so our own classes would be half-told.
        if p != RDF.type or o in _RANGE_CLASSES:
            out.add((s, p, o))  # type: ignore[arg-type]


def _add_reference_types(ctx: ServiceContext, out: Graph) -> None:
    """Type every referenced term (theme, access rights, spatial, licence, format, media
    type, availability, applicable legislation, home and landing pages ...)."""
    wanted = {(o, cls) for p, cls in REFERENCE_RANGES.items()
              for o in out.objects(None, p)
              if isinstance(o, URIRef) and (o, RDF.type, cls) not in out}
    _facts(ctx, out, {o for o, _cls in wanted})
    _facts(ctx, out, {s for s in out.objects(None, SKOS.inScheme)
                      if isinstance(s, URIRef) and (s, RDF.type, None) not in out})
    for term, cls in wanted:
        if (term, RDF.type, cls) not in out and cls not in _NEEDS_FACTS:
            out.add((term, RDF.type, cls))


def _add_inherited_policies(ctx: ServiceContext, out: Graph) -> None:
    """The policies the page's policies inherit from, transitively, with their rules."""
    wanted = {o for o in out.objects(None, ODRL.inheritFrom)
              if isinstance(o, URIRef) and (o, None, None) not in out}
    done: set[URIRef] = set()
    while wanted:
        for policy in sorted(wanted):
            done.add(policy)
            location = ctx.store.query(
                f"SELECT ?g WHERE {{ GRAPH ?g {{ ?p a ?t }} FILTER(?g != <{META_GRAPH}>) }} "
                "LIMIT 1", {"p": policy}).column("g")
            if location and isinstance(location[0], URIRef):
                out += bounded_description(ctx.store.get_graph(location[0]), policy)
        wanted = {o for o in out.objects(None, ODRL.inheritFrom)
                  if isinstance(o, URIRef) and o not in done and (o, None, None) not in out}


def build_catalog(ctx: ServiceContext, page: int, page_size: int,
                  page_url: Callable[[int], str]) -> Graph:
    """Page ``page`` (from 1) of the catalog; ``page_url(n)`` is the URL of page n."""
    if page < 1:
        raise BadRequest("page numbers start at 1")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise BadRequest(f"pageSize must be between 1 and {MAX_PAGE_SIZE}")
    timeout = ctx.settings.query_timeout
    count = ctx.store.query(f"SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ ?d a "
                            f"{term_n3(DCAT.Dataset)} FILTER(isIRI(?d)) }}", timeout=timeout)
    total = int(count.rows[0][0] or 0)
    last = max(1, -(-total // page_size))
    if page > last:
        raise BadRequest(f"page {page} is past the last page ({last})")
    datasets = [d for d in ctx.store.query(
        f"SELECT DISTINCT ?d WHERE {{ ?d a {term_n3(DCAT.Dataset)} FILTER(isIRI(?d)) }} "
        f"ORDER BY ?d LIMIT {page_size} OFFSET {(page - 1) * page_size}",
        timeout=timeout).column("d") if isinstance(d, URIRef)]

    out = bind_prefixes(Graph())
    out.bind("hydra", HYDRA)
    catalog = catalog_iri(ctx)
    node = ctx.settings.config.get("node", {})
    publisher = URIRef(node.get("publisher") or f"{catalog}#publisher")
    name = ctx.settings.node_name
    out.add((catalog, RDF.type, DCAT.Catalog))
    out.add((catalog, DCT.title, Literal(f"dataspace-kg node {name}", lang="en")))
    out.add((catalog, DCT.description, Literal(
        node.get("description") or "Datasets described in this dataspace-kg node: the "
        "European data-space ecosystem's organisations, data spaces, datasets and usage "
        "policies.", lang="en")))
    out.add((catalog, DCT.publisher, publisher))
    out.add((catalog, FOAF.homepage, URIRef(ctx.base_iri)))
    out.add((publisher, RDF.type, FOAF.Agent))
    out.add((publisher, FOAF.name, Literal(node.get("publisher_name") or f"dskg node {name}")))

    graphs = _graphs_of(ctx, datasets) if datasets else {}
    for dataset in datasets:
        out.add((catalog, DCAT.dataset, dataset))
        out += dataset_record(graphs.get(dataset, Graph()), dataset)
    _add_agents(ctx, out)
    _add_inherited_policies(ctx, out)
    _add_agents(ctx, out)
    _add_reference_types(ctx, out)

    view = URIRef(page_url(page))
    out.add((catalog, HYDRA.view, view))
    out.add((view, RDF.type, HYDRA.PartialCollectionView))
    out.add((view, HYDRA.totalItems, Literal(total, datatype=XSD.nonNegativeInteger)))
    out.add((view, HYDRA.itemsPerPage, Literal(page_size, datatype=XSD.nonNegativeInteger)))
    out.add((view, HYDRA.first, URIRef(page_url(1))))
    out.add((view, HYDRA.last, URIRef(page_url(last))))
    if page < last:
        out.add((view, HYDRA.next, URIRef(page_url(page + 1))))
    if page > 1:
        out.add((view, HYDRA.previous, URIRef(page_url(page - 1))))
    return out
