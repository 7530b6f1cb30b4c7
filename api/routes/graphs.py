"""SPARQL 1.1 Graph Store Protocol (indirect identification): /graphs?graph=IRI | ?default.

GET and HEAD read a named graph, or the default graph (the union of the description graphs);
PUT replaces, POST adds to (or, with neither parameter, creates) and DELETE drops a named
graph. Writes to ``?default`` go to the node's graph ``{base}graph/default`` (the union
itself is never replaced). POST takes multipart/form-data too (each part one RDF document).
Writes need an admin token and go through the write path (validation and provenance).
"""

from __future__ import annotations

import email.parser
import email.policy
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from rdflib import Graph, URIRef
from starlette.concurrency import run_in_threadpool

from api.body import read_body
from api.deps import AdminDep, ContextDep
from api.negotiation import choose
from api.problems import PROBLEM_DOC
from kg.errors import BadRequest
from kg.rdfio import format_for_media_type, parse_graph
from kg.services import ServiceContext
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
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: PROBLEM_DOC for status in (400, 401, 403, 404, 415, 422)}


def default_graph_iri(ctx: ServiceContext) -> URIRef:
    """Where writes to ``?default`` go: a named graph of the node's own."""
    return URIRef(f"{ctx.base_iri}graph/default")


def _target(graph: str | None, default: str | None, *, allow_default: bool,
            ctx: ServiceContext | None = None) -> URIRef | None:
    if graph is not None and default is not None:
        raise BadRequest("give either ?graph= or ?default, not both")
    if graph is not None:
        return parse_iri(graph, "graph")
    if default is not None:
        if not allow_default:
            assert ctx is not None
            return default_graph_iri(ctx)
        return None
    raise BadRequest("say which graph: ?graph=IRI or ?default")


def _multipart(body: bytes, content_type: str, base_iri: str) -> tuple[bytes, str]:
    """The parts of a multipart/form-data POST, each an RDF document, as one N-Triples
    body (the protocol's multipart POST: all parts are added in one write)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body)
    if not message.is_multipart():
        raise BadRequest("multipart/form-data without parts (is the boundary right?)")
    merged = Graph()
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        merged += parse_graph(data, format_for_media_type(part.get_content_type()), base_iri)
    if not len(merged):
        raise BadRequest("the multipart body holds no triples")
    return merged.serialize(format="nt", encoding="utf-8"), "application/n-triples"


@router.head("/graphs", summary="A graph's headers (as GET, without the body)",
             operation_id="head_graph", responses=_ERRORS)
@router.get("/graphs", summary="Read a graph", operation_id="get_graph",
            responses={200: {"content": {m: {"schema": {"type": "string"}}
                                         for m in RDF_MEDIA}}, **_ERRORS})
def get_graph(request: Request, ctx: ContextDep, graph: GraphParam = None,
              default: DefaultParam = None) -> Response:
    name = _target(graph, default, allow_default=True)
    media = choose(request.headers.get("accept"), list(RDF_MEDIA), default="text/turtle")
    content = read_graph(ctx, name)
    return Response(serialize(content, RDF_MEDIA[media]), media_type=media,
                    headers={"Vary": "Accept"})


@router.put("/graphs", summary="Replace (or create) a named graph", status_code=204,
            openapi_extra={"requestBody": _BODY},
            responses={201: {"description": "Created"}, 204: {"description": "Replaced"},
                       **_ERRORS})
async def put(request: Request, ctx: ContextDep, admin: AdminDep, graph: GraphParam = None,
              default: DefaultParam = None) -> Response:
    name = _target(graph, default, allow_default=False, ctx=ctx)
    assert name is not None
    body = await read_body(request)
    result = await run_in_threadpool(put_graph, ctx, admin, name, body,
                                     request.headers.get("content-type"))
    return Response(status_code=201 if result.created else 204)


@router.post("/graphs", summary="Add triples to a named graph, or create a new graph",
             status_code=204, openapi_extra={"requestBody": _BODY},
             responses={201: {"description": "Created; Location names the new graph"},
                        204: {"description": "Merged"}, **_ERRORS})
async def post(request: Request, ctx: ContextDep, admin: AdminDep, graph: GraphParam = None,
               default: DefaultParam = None) -> Response:
    name = None if graph is None and default is None else _target(
        graph, default, allow_default=False, ctx=ctx)
    body = await read_body(request)
    content_type = request.headers.get("content-type")
    if (content_type or "").lower().startswith("multipart/form-data"):
        body, content_type = _multipart(body, content_type or "", ctx.base_iri)
    result = await run_in_threadpool(post_graph, ctx, admin, name, body, content_type)
    if name is None:
        # The new graph's IRI (SPARQL 1.1 Graph Store Protocol 5.5); GET on it redirects
        # to /graphs?graph=IRI.
        return Response(status_code=201, headers={"Location": str(result.graph)})
    return Response(status_code=201 if result.created else 204)


@router.delete("/graphs", summary="Drop a named graph", status_code=204,
               responses={204: {"description": "Dropped"}, **_ERRORS})
def delete(ctx: ContextDep, admin: AdminDep, graph: GraphParam = None,
           default: DefaultParam = None) -> Response:
    name = _target(graph, default, allow_default=False, ctx=ctx)
    assert name is not None
    delete_graph(ctx, admin, name)
    return Response(status_code=204)
