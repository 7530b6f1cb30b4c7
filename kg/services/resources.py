"""Reading one resource: by REST id, by IRI (Linked Data), and the links of its page."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, URIRef

from kg.errors import NotFound
from kg.namespaces import DSKG, RDF
from kg.services.context import ServiceContext
from kg.services.documents import Document, description_of, label_of, load_document
from kg.services.kinds import KINDS, Kind, kind_for_types
from kg.services.textindex import first_kind, text_index_for
from kg.settings import Settings
from kg.store.sparql_text import term_n3, values_list
from kg.tokens import subject_of


@dataclass
class ResourceView:
    """Everything a page about one resource shows (the HTML renderers' input)."""

    iri: URIRef
    kind: Kind | None
    id: str | None
    label: str
    description: str | None
    document: Document
    #: IRI -> URL path on this node, for every IRI in the description described here
    links: dict[URIRef, str] = field(default_factory=dict)

    @property
    def graph(self) -> Graph:
        return self.document.graph


def get_resource(ctx: ServiceContext, kind: Kind, resource_id: str) -> Document:
    """The description of ``/{kind}/{id}`` (NotFound when there is none)."""
    iri = ctx.ids.resolve(ctx.store, kind, resource_id)
    document = load_document(ctx.store, iri)
    if document is None:
        raise NotFound(f"{iri} is not described here")
    return document


def stewardship_headers(document: Document, *, admin: bool, settings: Settings
                        ) -> dict[str, str]:
    """HTTP headers saying who owns a description (RFC 8288 Link, relation ``dskg:owner``)
    and the role of its last writer; the writer's token subject for admins only."""
    record = document.stewardship
    if record is None:
        return {}
    headers = {"Link": f'<{record.owner}>; rel="{DSKG.owner}"'}
    if record.writer_role:
        headers["DSKG-Writer-Role"] = record.writer_role
    if admin and record.agent is not None:
        agent = str(record.agent).rsplit("/", 1)[-1]
        headers["DSKG-Written-By"] = subject_of(settings, agent) or agent
    return headers


def get_by_iri(ctx: ServiceContext, iri: URIRef) -> Document:
    document = load_document(ctx.store, iri)
    if document is None:
        raise NotFound(f"nothing is known about {iri} here")
    return document


def kind_of(ctx: ServiceContext, iri: URIRef) -> Kind | None:
    """The REST kind of a resource in the store (None when it is of no kind, or absent)."""
    types = ctx.store.query("SELECT DISTINCT ?t WHERE { ?s a ?t }", {"s": iri}).column("t")
    return kind_for_types(t for t in types if isinstance(t, URIRef))


def dereference(ctx: ServiceContext, iri: URIRef) -> str:
    """The document URL (path) an IRI of this node redirects to (303 See Other)."""
    kind = kind_of(ctx, iri)
    if kind is None:
        exists = ctx.store.query("ASK { ?s ?p ?o }", {"s": iri}).boolean
        if not exists:
            raise NotFound(f"nothing is known about {iri} here")
    return ctx.ids.href(iri, kind)


#: IRIs asked about per query by links_for.
LINK_BATCH = 2000


def links_for(ctx: ServiceContext, graph: Graph) -> dict[URIRef, str]:
    """URL paths on this node for the IRIs of ``graph`` that the store describes."""
    iris = sorted({t for triple in graph for t in triple
                   if isinstance(t, URIRef) and not (triple[1] == RDF.type and t == triple[2])})
    if not iris:
        return {}
    timeout = ctx.settings.query_timeout
    described: list[URIRef] = []
    # EXISTS probes, never row enumeration: a term repeated in every description (a licence
    # typed in each dataset's graph) costs one look-up, not one row per description.
    for start in range(0, len(iris), LINK_BATCH):
        values = values_list("s", iris[start:start + LINK_BATCH])
        described += [s for (s,) in ctx.store.query(
            f"SELECT ?s WHERE {{ {values} FILTER EXISTS {{ ?s ?p ?o }} }}",
            timeout=timeout).rows if isinstance(s, URIRef)]
    index = text_index_for(ctx.store, ctx.settings)
    kinds = index.kinds_of(described) if index is not None else None
    if kinds is None:  # the index is off or being built: ask the store
        return {iri: ctx.ids.href(iri, kind) for iri, kind in _kinds_from_store(
            ctx, described).items()}
    return {iri: ctx.ids.href(iri, KINDS[name] if (name := first_kind(kinds[iri])) else None)
            for iri in described}


def _kinds_from_store(ctx: ServiceContext, iris: list[URIRef]) -> dict[URIRef, Kind | None]:
    """The kind of each IRI from its classes, one bounded branch per IRI (a node typed in
    every description must cost a few rows, not one per description)."""
    found: dict[URIRef, set[URIRef]] = {iri: set() for iri in iris}
    for start in range(0, len(iris), 40):
        branches = [f"{{ SELECT ?s ?t WHERE {{ BIND({term_n3(iri)} AS ?s) {term_n3(iri)} a ?t }}"
                    " LIMIT 16 }" for iri in iris[start:start + 40]]
        for s, t in ctx.store.query("SELECT ?s ?t WHERE { " + " UNION ".join(branches) + " }",
                                    timeout=ctx.settings.query_timeout).rows:
            if isinstance(t, URIRef):
                found[s].add(t)  # type: ignore[index]
    return {iri: kind_for_types(types) for iri, types in found.items()}


def resource_view(ctx: ServiceContext, document: Document, kind: Kind | None = None
                  ) -> ResourceView:
    kind = kind or kind_for_types(document.types)
    iri = document.iri
    return ResourceView(
        iri=iri, kind=kind, id=ctx.ids.to_id(iri, kind) if kind else None,
        label=label_of(document.graph, iri) or str(iri),
        description=description_of(document.graph, iri), document=document,
        links=links_for(ctx, document.graph))


__all__ = ["ResourceView", "dereference", "get_by_iri", "get_resource", "kind_of",
           "links_for", "resource_view", "stewardship_headers"]
