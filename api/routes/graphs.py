"""SPARQL 1.1 Graph Store Protocol (indirect identification): /graphs?graph=IRI | ?default.

GET and HEAD read a named graph, or the default graph (the union of all named graphs); PUT
replaces, POST adds to (or, with neither parameter, creates) and DELETE drops a named graph.
Writes need an admin token and go through the write path (validation and provenance).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from rdflib import URIRef
from starlette.concurrency import run_in_threadpool

from api.body import read_body
from api.deps import get_principal, require_admin
from api.negotiation import choose
from api.routes.rest import service_context
from kg.errors import BadRequest
from kg.services.documents import RDF_MEDIA, serialize
from kg.services.graphstore import delete_graph, post_graph, put_graph, read_graph
from kg.services.ids import parse_iri

router = APIRouter(tags=["Graph Store"])

GraphParam = Annotated[str | None, Query(
    description="The named graph's IRI.",
    examples=["https://w3id.org/dskg/id/dataspace/agdatahub"])]
DefaultParam = Annotated[str | None, Query(
    description="Present (any value) to address the default graph, the union of all graphs.")]
_BODY = {"required": True, "content": {
    "text/turtle": {"schema": {"type": "string"}, "example":
                    "<https://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "
                    '"A" .'},
    "application/n-triples": {"schema": {"type": "string"}},
    "application/rdf+xml": {"schema": {"type": "string"}},
    "application/ld+json": {"schema": {"type": "object"}, "example": {
        "@id": "https://example.org/a", "http://www.w3.org/2000/01/rdf-schema#label": "A"}},
}}
_PROBLEM = {"content": {"application/problem+json": {"schema": {"type": "object"}}}}
_ERRORS = {400: _PROBLEM, 401: _PROBLEM, 403: _PROBLEM, 404: _PROBLEM, 415: _PROBLEM,
           422: _PROBLEM}


def _target(graph: str | None, default: str | None, *, allow_default: bool) -> URIRef | None:
    if graph is not None and default is not None:
        raise BadRequest("give either ?graph= or ?default, not both")
    if graph is not None:
        return parse_iri(graph, "graph")
    if default is not None:
        if not allow_default:
            raise BadRequest("the default graph is the union of all named graphs and cannot "
                             "be written; address a named graph with ?graph=IRI")
        return None
    raise BadRequest("say which graph: ?graph=IRI or ?default")


@router.head("/graphs", summary="A graph's headers (as GET, without the body)",
             operation_id="head_graph", responses=_ERRORS)
@router.get("/graphs", summary="Read a graph", operation_id="get_graph",
            responses={200: {"content": {m: {"schema": {"type": "string"}}
                                         for m in RDF_MEDIA}}, **_ERRORS})
def get_graph(request: Request, graph: GraphParam = None, default: DefaultParam = None
              ) -> Response:
    name = _target(graph, default, allow_default=True)
    media = choose(request.headers.get("accept"), list(RDF_MEDIA), default="text/turtle")
    content = read_graph(service_context(request), name)
    return Response(serialize(content, RDF_MEDIA[media]), media_type=media,
                    headers={"Vary": "Accept"})


@router.put("/graphs", summary="Replace (or create) a named graph", status_code=204,
            openapi_extra={"requestBody": _BODY},
            responses={201: {"description": "Created"}, 204: {"description": "Replaced"},
                       **_ERRORS})
async def put(request: Request, graph: GraphParam = None, default: DefaultParam = None
              ) -> Response:
    require_admin(request)
    name = _target(graph, default, allow_default=False)
    assert name is not None
    body = await read_body(request)
    result = await run_in_threadpool(put_graph, service_context(request), get_principal(request),
                                     name, body, request.headers.get("content-type"))
    return Response(status_code=201 if result.created else 204)


@router.post("/graphs", summary="Add triples to a named graph, or create a new graph",
             status_code=204, openapi_extra={"requestBody": _BODY},
             responses={201: {"description": "Created; Location names the new graph"},
                        204: {"description": "Merged"}, **_ERRORS})
async def post(request: Request, graph: GraphParam = None, default: DefaultParam = None
               ) -> Response:
    require_admin(request)
    name = None if graph is None and default is None else _target(graph, default,
                                                                  allow_default=False)
    body = await read_body(request)
    result = await run_in_threadpool(post_graph, service_context(request),
                                     get_principal(request), name, body,
                                     request.headers.get("content-type"))
    if name is None:
        location = "/graphs?graph=" + quote(str(result.graph), safe="")
        return Response(status_code=201, headers={"Location": location})
    return Response(status_code=201 if result.created else 204)


@router.delete("/graphs", summary="Drop a named graph", status_code=204,
               responses={204: {"description": "Dropped"}, **_ERRORS})
def delete(request: Request, graph: GraphParam = None, default: DefaultParam = None
           ) -> Response:
    require_admin(request)
    name = _target(graph, default, allow_default=False)
    assert name is not None
    delete_graph(service_context(request), get_principal(request), name)
    return Response(status_code=204)
