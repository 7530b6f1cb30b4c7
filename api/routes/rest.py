"""REST over the graph: /organisations, /dataspaces, /datasets, /policies, /memberships,
the governance chain, the tiers, and Linked Data dereferencing of the node's IRIs.

Thin: negotiate, read the body, call ``kg.services``, turn the answer into HTTP.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from api.body import read_body
from api.deps import ContextDep, PrincipalDep, StewardDep
from api.negotiation import choose
from api.problems import PROBLEM_DOC
from api.web.templates import resource_html
from kg import services
from kg.auth import Principal
from kg.errors import BadRequest, NotFound
from kg.services import Document, Kind, ServiceContext
from kg.services.documents import RDF_MEDIA, tag_hashes
from kg.services.examples import body_examples
from kg.services.ids import parse_iri
from kg.services.listing import DEFAULT_LIMIT, FILTER_PATTERNS, MAX_LIMIT, Filters
from kg.services.permitted import permitted, question_from_params
from kg.services.resources import get_by_iri

router = APIRouter()

HTML = "text/html"
OFFERED = [*RDF_MEDIA, HTML]
#: Accept values clients send for the same formats.
ALIASES = {"application/json": "application/ld+json", "text/plain": "application/n-triples",
           "application/x-turtle": "text/turtle", "application/xml": "application/rdf+xml",
           "application/xhtml+xml": HTML}
#: ``?format=`` short names (for links a browser can follow).
FORMAT_NAMES = {"jsonld": "application/ld+json", "json-ld": "application/ld+json",
                "ttl": "text/turtle", "turtle": "text/turtle", "nt": "application/n-triples",
                "ntriples": "application/n-triples", "rdf": "application/rdf+xml",
                "xml": "application/rdf+xml", "html": HTML}


# -- negotiation -------------------------------------------------------------------------
def negotiate(request: Request) -> str:
    """The media type to answer with: ``?format=`` first, then Accept (JSON-LD for */*)."""
    wanted = request.query_params.get("format")
    if wanted:
        media = FORMAT_NAMES.get(wanted.lower(), wanted.lower())
        if media not in OFFERED:
            raise BadRequest(f"unknown format {wanted!r}; use one of "
                             f"{', '.join(sorted(FORMAT_NAMES))} or a media type")
        return media
    header = request.headers.get("accept") or "*/*"
    aliased = ",".join(ALIASES.get(p.split(";")[0].strip().lower(), p.split(";")[0].strip())
                       + (";" + p.split(";", 1)[1] if ";" in p else "")
                       for p in header.split(","))
    return choose(aliased, OFFERED, default="application/ld+json")


def document_response(request: Request, ctx: ServiceContext, principal: Principal | None,
                      document: Document, kind: Kind | None) -> Response:
    media = negotiate(request)
    fmt = "html" if media == HTML else RDF_MEDIA[media]
    etag = services.entity_tag(document.etag, fmt)
    headers = {"ETag": etag, "Vary": "Accept", "Cache-Control": "no-cache"}
    headers.update(services.stewardship_headers(
        document, admin=principal is not None and principal.role == "admin",
        settings=ctx.settings))
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and (document.etag in tag_hashes(if_none_match) or "*" in if_none_match):
        return Response(status_code=304, headers=headers)
    if media == HTML:
        body = resource_html(ctx, services.resource_view(ctx, document, kind)).encode("utf-8")
        return Response(body, media_type="text/html; charset=utf-8", headers=headers)
    body = services.serialize(document.graph, fmt, document.iri)
    return Response(body, media_type=media, headers=headers)


# -- the collections -------------------------------------------------------------------
def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer, got {raw[:40]!r}") from None


def _link_header(request: Request, page: services.Page) -> str | None:
    links = []
    if page.has_next:
        url = request.url.include_query_params(offset=page.offset + page.limit, limit=page.limit)
        links.append(f'<{url}>; rel="next"')
    if page.has_prev:
        url = request.url.include_query_params(offset=max(0, page.offset - page.limit),
                                               limit=page.limit)
        links.append(f'<{url}>; rel="prev"')
    if page.total:
        links.append(f'<{request.url.include_query_params(offset=0, limit=page.limit)}>; '
                     'rel="first"')
    return ", ".join(links) or None


_FILTER_DOCS = {
    "tier": "Governance tier: eu, national, regional, municipal, project, or the tier IRI.",
    "country": "ISO 3166-1 alpha-2 country code, e.g. ES.",
    "dataspace": "A data space: its id from GET /dataspaces, or its IRI.",
    "publisher": "The publishing organisation (assigner for policies): id or IRI.",
    "theme": "A theme: EU data-theme code such as AGRI, or an IRI.",
    "role": "A data-space role: provider, consumer, intermediary, operator, governance, or IRI.",
}
_FILTER_EXAMPLES = {"tier": "project", "country": "ES", "theme": "AGRI", "role": "provider"}


def _list_parameters(kind: Kind) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": "limit", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT}, "description": "Page size."},
        {"name": "offset", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 0, "default": 0},
         "description": "Items to skip (order: by IRI, stable)."},
        {"name": "q", "in": "query", "required": False,
         "schema": {"type": "string", "maxLength": 200},
         "description": "Free text, case-insensitive, over labels and descriptions."},
    ]
    if kind.name == "datasets":
        params += _MAY_PARAMETERS
    for name in FILTER_PATTERNS[kind.name]:
        param: dict[str, Any] = {"name": name, "in": "query", "required": False,
                                 "schema": {"type": "string"},
                                 "description": _FILTER_DOCS[name]}
        if name in _FILTER_EXAMPLES:
            param["example"] = _FILTER_EXAMPLES[name]
        params.append(param)
    return params


_MAY_PARAMETERS: list[dict[str, Any]] = [
    {"name": name, "in": "query", "required": False, "schema": {"type": "string"},
     "description": text, **({"example": example} if example else {})}
    for name, text, example in (
        ("may", "Only the datasets the policy evaluator permits this ODRL action on (with "
         "assignee); each item then carries the deciding rule.", "odrl:use"),
        ("assignee", "The organisation asking (IRI or prefixed name), with may.", None),
        ("purpose", "odrl:purpose of the request (a concept IRI), with may.", None),
        ("at", "odrl:dateTime of the request (ISO 8601; default: the current minute).", None),
        ("spatial", "odrl:spatial of the request: country code, region or IRI.", "ES"),
        ("dutiesDone", "Duties already fulfilled (IRIs or actions such as odrl:attribute); "
         "repeatable or comma-separated.", None))]
_LIST_SCHEMA = {"type": "object", "required": ["total", "limit", "offset", "items"],
                "properties": {"total": {"type": "integer"}, "limit": {"type": "integer"},
                               "offset": {"type": "integer"},
                               "items": {"type": "array", "items": {
                                   "type": "object", "required": ["@id", "id", "label"]}}}}
_WRITE_SCHEMA = {"type": "object", "properties": {
    "@id": {"type": "string"}, "id": {"type": "string"}, "href": {"type": "string"},
    "created": {"type": "boolean"}, "warnings": {"type": "array"}}}
_RDF_CONTENT = {media: {"schema": {"type": "string"}} for media in OFFERED
                if media != "application/ld+json"} | {
    "application/ld+json": {"schema": {"type": "object"}}}


def _add_kind_routes(kind: Kind) -> None:
    tag = kind.title
    item_path = f"/{kind.name}/{{resource_id}}"

    def list_kind(request: Request, ctx: ContextDep) -> Response:
        params = request.query_params
        filters = Filters(**{name: params.get(name) for name in
                             ("tier", "country", "dataspace", "publisher", "theme", "role", "q")})
        limit, offset = _int_param(request, "limit", DEFAULT_LIMIT), _int_param(
            request, "offset", 0)
        if kind.name == "datasets" and (params.get("may") or params.get("assignee")):
            page = permitted(ctx, filters, question_from_params(params), limit=limit,
                             offset=offset)
        else:
            page = services.list_resources(ctx, kind, filters, limit=limit, offset=offset)
        link = _link_header(request, page)
        return JSONResponse(page.to_json(), headers={"Link": link} if link else None)

    def get_one(request: Request, ctx: ContextDep, principal: PrincipalDep,
                resource_id: str) -> Response:
        return document_response(request, ctx, principal,
                                 services.get_resource(ctx, kind, resource_id), kind)

    async def create_one(request: Request, ctx: ContextDep, steward: StewardDep) -> Response:
        # StewardDep: 401/403 before the body is read (the scope is checked later)
        body = await read_body(request)
        outcome = await run_in_threadpool(
            services.create, ctx, steward, kind, body,
            request.headers.get("content-type"))
        href = ctx.ids.href(outcome.iri, kind)
        return JSONResponse(outcome.to_json(ctx), status_code=201, headers={
            "Location": href, "ETag": services.entity_tag(outcome.etag, "json-ld")})

    async def replace_one(request: Request, ctx: ContextDep, steward: StewardDep,
                          resource_id: str) -> Response:
        body = await read_body(request)
        outcome = await run_in_threadpool(
            services.replace, ctx, steward, kind, resource_id, body,
            request.headers.get("content-type"), request.headers.get("if-match"))
        return JSONResponse(outcome.to_json(ctx),
                            headers={"ETag": services.entity_tag(outcome.etag, "json-ld")})

    def delete_one(request: Request, ctx: ContextDep, principal: PrincipalDep, resource_id: str,
                   cascade: Annotated[bool, Query(
                       description="Also delete the memberships, datasets and policies that "
                                   "depend on it.")] = False) -> Response:
        services.delete(ctx, principal, kind, resource_id, cascade=cascade,
                        if_match=request.headers.get("if-match"))
        return Response(status_code=204)

    examples = body_examples(kind.name)
    request_body = {"required": True, "content": {
        "text/turtle": {"schema": {"type": "string"},
                        "examples": {"turtle": {"summary": f"A {kind.singular} in Turtle",
                                                "value": examples["turtle"]}}},
        "application/ld+json": {"schema": {"type": "object"},
                                "examples": {"jsonld": {"summary": f"A {kind.singular} in "
                                                        "JSON-LD", "value": examples["jsonld"]}}},
    }}
    errors: dict[int | str, dict[str, Any]] = {
        status: PROBLEM_DOC for status in (400, 401, 403, 415, 422)}
    router.add_api_route(
        f"/{kind.name}", list_kind, methods=["GET"], tags=[tag], name=f"list_{kind.name}",
        summary=f"List {kind.title.lower()} (filters, paging, total)",
        openapi_extra={"parameters": _list_parameters(kind)},
        responses={200: {"content": {"application/json": {"schema": _LIST_SCHEMA}},
                         "description": "A page, with RFC 8288 Link next/prev"},
                   400: PROBLEM_DOC})
    router.add_api_route(item_path, get_one, methods=["HEAD"], name=f"head_{kind.name}",
                         include_in_schema=False)
    router.add_api_route(
        item_path, get_one, methods=["GET"], tags=[tag], name=f"get_{kind.name}",
        summary=f"One {kind.singular}'s description (JSON-LD, Turtle, N-Triples, RDF/XML, HTML)",
        responses={200: {"content": _RDF_CONTENT}, 304: {"description": "Not modified"},
                   404: PROBLEM_DOC, 406: PROBLEM_DOC})
    router.add_api_route(
        f"/{kind.name}", create_one, methods=["POST"], tags=[tag], status_code=201,
        name=f"create_{kind.name}", summary=f"Create a {kind.singular}",
        openapi_extra={"requestBody": request_body},
        responses={201: {"content": {"application/json": {"schema": _WRITE_SCHEMA}},
                         "description": "Created; Location names it"},
                   409: PROBLEM_DOC, **errors})
    router.add_api_route(
        item_path, replace_one, methods=["PUT"], tags=[tag], name=f"replace_{kind.name}",
        summary=f"Replace a {kind.singular}'s whole description (If-Match honoured)",
        openapi_extra={"requestBody": request_body,
                       "parameters": [{"name": "If-Match", "in": "header", "required": False,
                                       "schema": {"type": "string"}}]},
        responses={200: {"content": {"application/json": {"schema": _WRITE_SCHEMA}}},
                   404: PROBLEM_DOC, 409: PROBLEM_DOC, 412: PROBLEM_DOC, **errors})
    router.add_api_route(
        item_path, delete_one, methods=["DELETE"], tags=[tag], status_code=204,
        name=f"delete_{kind.name}", summary=f"Delete a {kind.singular} (409 while referenced)",
        openapi_extra={"parameters": [{"name": "If-Match", "in": "header", "required": False,
                                       "schema": {"type": "string"}}]},
        responses={204: {"description": "Deleted"}, 401: PROBLEM_DOC, 403: PROBLEM_DOC,
                   404: PROBLEM_DOC, 409: PROBLEM_DOC, 412: PROBLEM_DOC})


for _kind in services.KINDS.values():
    _add_kind_routes(_kind)


# -- governance, tiers -----------------------------------------------------------------
@router.get("/dataspaces/{resource_id}/governance", tags=["Data spaces"],
            summary="The governance chain from the data space up to the EU tier",
            responses={404: PROBLEM_DOC})
def governance(ctx: ContextDep, resource_id: str) -> JSONResponse:
    kind = services.KINDS["dataspaces"]
    space = ctx.ids.resolve(ctx.store, kind, resource_id)
    chain = services.governance_chain(ctx, space)
    chain["id"] = resource_id
    return JSONResponse(chain)


@router.get("/tiers", tags=["Governance"],
            summary="The governance tiers with counts of what each governs")
def tiers(ctx: ContextDep) -> JSONResponse:
    return JSONResponse({"items": services.tiers_with_counts(ctx)})


# -- Linked Data ---------------------------------------------------------------------------
@router.get("/id/{segment}/{slug}", tags=["Linked Data"], status_code=303,
            summary="Dereference an IRI this node minted (303 See Other to its document)",
            responses={303: {"description": "See Other: the document URL"}, 404: PROBLEM_DOC})
def dereference_minted(ctx: ContextDep, segment: str, slug: str) -> Response:
    iri = parse_iri(f"{ctx.base_iri}id/{quote(segment, safe='')}/{quote(slug, safe='')}")
    return RedirectResponse(services.dereference(ctx, iri), status_code=303,
                            headers={"Vary": "Accept"})


@router.get("/graph/{name}", tags=["Linked Data"], status_code=303,
            summary="Dereference a graph name this node minted (303 to the Graph Store)",
            responses={303: {"description": "See Other: /graphs?graph=..."}, 404: PROBLEM_DOC})
def dereference_graph(ctx: ContextDep, name: str) -> Response:
    iri = parse_iri(f"{ctx.base_iri}graph/{quote(name, safe='')}")
    if not ctx.store.has_graph(iri):
        raise NotFound(f"there is no graph {iri}")
    return RedirectResponse("/graphs?graph=" + quote(str(iri), safe=""), status_code=303,
                            headers={"Vary": "Accept"})


@router.get("/resource", tags=["Linked Data"],
            summary="Any IRI's description: 303 to its REST URL, or served here",
            responses={200: {"content": _RDF_CONTENT}, 303: {"description": "See Other"},
                       404: PROBLEM_DOC})
def resource(request: Request, ctx: ContextDep, principal: PrincipalDep, iri: Annotated[str, Query(
        description="The IRI, e.g. https://w3id.org/dskg/id/dataspace/agdatahub")]) -> Response:
    target = parse_iri(iri)
    href = services.dereference(ctx, target)
    if not href.startswith("/resource?"):
        return RedirectResponse(href, status_code=303, headers={"Vary": "Accept"})
    return document_response(request, ctx, principal, get_by_iri(ctx, target), None)
