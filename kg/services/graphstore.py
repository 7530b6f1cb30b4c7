"""SPARQL 1.1 Graph Store Protocol operations on named graphs, through the write path.

The default graph is the union of all named graphs (read-only here: write to a named graph).
Writes are an admin's; each is validated and recorded in the provenance graph like any
other, and the provenance graph itself is written by the node only.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, URIRef

from kg.auth import Principal, require
from kg.errors import BadRequest, Forbidden, NotFound
from kg.namespaces import META_GRAPH
from kg.rdfio import format_for_media_type, parse_dataset
from kg.services.context import ServiceContext
from kg.sparql import META_REFUSAL
from kg.write import Description, Origin, delete_graphs, split_dataset, write_descriptions


@dataclass
class GraphWrite:
    graph: URIRef
    created: bool


def read_graph(ctx: ServiceContext, name: URIRef | None) -> Graph:
    """A named graph, or (``None``) the default graph: the union, up to the result cap."""
    if name is None:
        # The union of the description graphs: the node's provenance is at ?graph=<meta>.
        result = ctx.store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } "
                                 f"FILTER(?g != <{META_GRAPH}>) }}",
                                 timeout=ctx.settings.query_timeout,
                                 limit=ctx.settings.result_limit)
        return result.graph if result.graph is not None else Graph()
    if not ctx.store.has_graph(name):
        raise NotFound(f"there is no graph {name}")
    return ctx.store.get_graph(name)


def _writable(name: URIRef) -> None:
    if str(name) == META_GRAPH:
        raise Forbidden(META_REFUSAL)


def _parse_one(ctx: ServiceContext, data: bytes, content_type: str | None) -> Graph:
    fmt = format_for_media_type(content_type)
    parsed = split_dataset(parse_dataset(data, fmt, ctx.base_iri), base_iri=ctx.base_iri)
    if len(parsed) > 1 or any(str(d.name) != "" for d in parsed):
        raise BadRequest("a graph store write carries the triples of one graph (Turtle, "
                         "N-Triples, JSON-LD or RDF/XML), not named graphs")
    if not parsed:
        raise BadRequest("the body holds no triples")
    return parsed[0].graph


def _origin(principal: Principal, method: str, name: URIRef | None) -> Origin:
    return Origin(agent=principal.agent, source=f"Graph Store Protocol {method} "
                  f"{name or '(new graph)'}", activity=f"gsp-{method.lower()}")


def put_graph(ctx: ServiceContext, principal: Principal | None, name: URIRef, data: bytes,
              content_type: str | None) -> GraphWrite:
    """PUT: the graph's content becomes the body (created when missing)."""
    principal = require(principal, "admin")
    _writable(name)
    graph = _parse_one(ctx, data, content_type)
    result = write_descriptions(ctx.store, [Description(name=name, graph=graph)],
                                base_iri=ctx.base_iri, origin=_origin(principal, "PUT", name))
    return GraphWrite(name, name in result.created)


def post_graph(ctx: ServiceContext, principal: Principal | None, name: URIRef | None,
               data: bytes, content_type: str | None) -> GraphWrite:
    """POST: add the body's triples to the graph; without a name, create a new graph."""
    principal = require(principal, "admin")
    graph = _parse_one(ctx, data, content_type)
    if name is None:
        result = write_descriptions(ctx.store, [Description(name=URIRef(""), graph=graph)],
                                    base_iri=ctx.base_iri, mode="create",
                                    origin=_origin(principal, "POST", None))
        return GraphWrite(result.graphs[0], True)
    _writable(name)
    merged = ctx.store.get_graph(name)
    for triple in graph:
        merged.add(triple)
    result = write_descriptions(ctx.store, [Description(name=name, graph=merged)],
                                base_iri=ctx.base_iri, origin=_origin(principal, "POST", name))
    return GraphWrite(name, name in result.created)


def delete_graph(ctx: ServiceContext, principal: Principal | None, name: URIRef) -> None:
    principal = require(principal, "admin")
    _writable(name)
    if not ctx.store.has_graph(name):
        raise NotFound(f"there is no graph {name}")
    delete_graphs(ctx.store, [name], _origin(principal, "DELETE", name))
