"""SPARQL 1.1 Protocol: query (GET/POST), update (POST, admin token), service description."""

from __future__ import annotations

import functools
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from rdflib import Graph, Literal, URIRef
from starlette.concurrency import run_in_threadpool

from api.body import read_body
from api.deps import ContextDep, require_admin
from api.negotiation import choose
from kg.errors import BadRequest, UnsupportedMediaType
from kg.namespaces import SD
from kg.services import ServiceContext
from kg.services.ids import parse_iri
from kg.settings import Settings
from kg.sparql import QueryService, query_form
from kg.store.answers import GRAPH_FORMATS

router = APIRouter(tags=["SPARQL"])

RESULT_TYPES = ["application/sparql-results+json", "application/sparql-results+xml",
                "text/csv", "text/tab-separated-values"]
GRAPH_TYPES = ["text/turtle", "application/n-triples", "application/ld+json",
               "application/rdf+xml"]
# Aliases clients send for the same formats.
ALIASES = {"application/json": "application/sparql-results+json",
           "application/xml": "application/sparql-results+xml",
           "text/xml": "application/sparql-results+xml",
           "text/plain": "application/n-triples",
           "application/x-turtle": "text/turtle"}
ALLOW = "GET, HEAD, POST, OPTIONS"
_HEADERS = {"Vary": "Accept", "Cache-Control": "no-cache"}
EXAMPLE = "SELECT ?ds ?label WHERE { ?ds a dskg:DataSpace ; skos:prefLabel ?label } LIMIT 10"


@functools.lru_cache(maxsize=512)
def _negotiate(accept: str | None, form: str) -> str:
    offered = RESULT_TYPES if form in ("SELECT", "ASK") else GRAPH_TYPES
    aliased = ",".join(
        ALIASES.get(part.split(";")[0].strip().lower(), part.split(";")[0].strip())
        + (";" + part.split(";", 1)[1] if ";" in part else "")
        for part in (accept or "*/*").split(",")
    )
    return choose(aliased, offered, default=offered[0])


async def _answer(request: Request, ctx: ServiceContext, sparql: str,
                  default_graphs: list[str], named_graphs: list[str]) -> Response:
    """Run a query and answer with the engine's own serialisation (little per-request work
    that does not depend on the query: the context is an async look-up, and there is no
    thread hand-over when the store's query workers answer)."""
    service = QueryService(ctx.store, ctx.settings)
    form = query_form(sparql)
    if form == "UPDATE":
        raise BadRequest("this is an update; POST it as application/sparql-update (or form "
                         "field update=) with an admin token")
    media_type = _negotiate(request.headers.get("accept"), form)
    result = await service.serialized_async(
        sparql, media_type, form=form,
        default_graphs=[parse_iri(g, "default-graph-uri") for g in default_graphs] or None,
        named_graphs=[parse_iri(g, "named-graph-uri") for g in named_graphs] or None)
    return Response(result.body, media_type=result.media_type, headers=_HEADERS)


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise BadRequest(f"the request has {len(values)} '{name}' parameters; the SPARQL "
                         f"protocol allows one")
    return values[0] if values else None


def _utf8(request: Request) -> None:
    """The protocol's bodies are UTF-8; another declared charset is refused, not guessed."""
    for param in request.headers.get("content-type", "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
                "utf-8", "utf8"):
            raise UnsupportedMediaType(f"SPARQL requests are UTF-8, not {value.strip()}")


def service_description(request: Request, settings: Settings) -> Graph:
    endpoint = URIRef(str(request.url_for("sparql_get")))
    graph = Graph()
    graph.bind("sd", SD)
    node = URIRef(f"{endpoint}#service")
    graph.add((node, SD.endpoint, endpoint))
    graph.add((node, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), SD.Service))
    for feature in ("UnionDefaultGraph", "BasicFederatedQuery"):
        graph.add((node, SD.feature, SD[feature]))
    for lang in ("SPARQL11Query", "SPARQL11Update"):
        graph.add((node, SD.supportedLanguage, SD[lang]))
    for media in RESULT_TYPES + GRAPH_TYPES:
        graph.add((node, SD.resultFormat, URIRef(f"http://www.w3.org/ns/formats/{_w3(media)}")))
    graph.add((node, URIRef("http://purl.org/dc/terms/title"),
               Literal(f"SPARQL endpoint of the {settings.node_name} node of dataspace-kg")))
    return graph


def _w3(media: str) -> str:
    return {"application/sparql-results+json": "SPARQL_Results_JSON",
            "application/sparql-results+xml": "SPARQL_Results_XML",
            "text/csv": "SPARQL_Results_CSV", "text/tab-separated-values": "SPARQL_Results_TSV",
            "text/turtle": "Turtle", "application/n-triples": "N-Triples",
            "application/ld+json": "JSON-LD", "application/rdf+xml": "RDF_XML"}[media]


#: The GET parameters, for the OpenAPI description only: the route reads them from the query
#: string itself (FastAPI's validation of declared parameters was a good part of a point
#: look-up's time).
GET_PARAMETERS = [
    {"name": "query", "in": "query", "required": False, "description": "The SPARQL query.",
     "schema": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Query",
                "description": "The SPARQL query.", "examples": [EXAMPLE]}},
    *({"name": name, "in": "query", "required": False, "schema": {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
        "title": title}}
      for name, title in (("default-graph-uri", "Default-Graph-Uri"),
                          ("named-graph-uri", "Named-Graph-Uri"))),
]


@router.get("/sparql", name="sparql_get",
            summary="SPARQL query (GET) or service description",
            responses={200: {"content": {t: {} for t in RESULT_TYPES + GRAPH_TYPES}}},
            openapi_extra={"parameters": GET_PARAMETERS})
async def sparql_get(request: Request, ctx: ContextDep) -> Response:
    params = request.query_params
    if "update" in params:
        raise BadRequest("SPARQL Update is POST only (application/sparql-update or the form "
                         "field update=), never GET; nothing was changed")
    sparql = _one(params.getlist("query"), "query")
    if sparql is None:
        graph = service_description(request, ctx.settings)
        media = choose(request.headers.get("accept"), [*GRAPH_TYPES, "text/html"],
                       default="text/turtle")
        if media == "text/html":
            media = "text/turtle"
        fmt = GRAPH_FORMATS[media]
        return Response(graph.serialize(format=fmt), media_type=media)
    return await _answer(request, ctx, sparql, params.getlist("default-graph-uri"),
                         params.getlist("named-graph-uri"))


# HEAD answers as GET does (headers only); one operation in the OpenAPI description is enough.
router.add_api_route("/sparql", sparql_get, methods=["HEAD"], name="sparql_head",
                     include_in_schema=False)


@router.options("/sparql", summary="The methods /sparql answers", status_code=204)
async def sparql_options() -> Response:
    return Response(status_code=204, headers={"Allow": ALLOW})


@router.post("/sparql", summary="SPARQL query or update (POST)",
             openapi_extra={"requestBody": {"content": {
                 "application/sparql-query": {"schema": {"type": "string"},
                                              "example": EXAMPLE},
                 "application/sparql-update": {"schema": {"type": "string"},
                                               "example": "INSERT DATA { GRAPH <urn:g> "
                                               "{ <urn:a> <urn:b> <urn:c> } }"},
                 "application/x-www-form-urlencoded": {"schema": {
                     "type": "object", "properties": {"query": {"type": "string"},
                                                      "update": {"type": "string"}}}}}}})
async def sparql_post(request: Request, ctx: ContextDep) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    _utf8(request)
    body = await read_body(request)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not UTF-8 (byte {exc.start})") from None
    params = request.query_params
    default_graphs = params.getlist("default-graph-uri")
    named_graphs = params.getlist("named-graph-uri")
    using = (params.getlist("using-graph-uri"), params.getlist("using-named-graph-uri"))
    if content_type == "application/sparql-query":
        return await _answer(request, ctx, text, default_graphs, named_graphs)
    if content_type == "application/sparql-update":
        return await _update(request, ctx, text, using)
    if content_type == "application/x-www-form-urlencoded":
        fields = parse_qs(text, keep_blank_values=True)
        update, query = _one(fields.get("update", []), "update"), _one(
            fields.get("query", []), "query")
        if update is not None and query is not None:
            raise BadRequest("the form has both a query and an update; send one")
        if update is not None:
            return await _update(request, ctx, update, (
                fields.get("using-graph-uri", using[0]),
                fields.get("using-named-graph-uri", using[1])))
        if query is not None:
            return await _answer(request, ctx, query,
                                 fields.get("default-graph-uri", default_graphs),
                                 fields.get("named-graph-uri", named_graphs))
        raise BadRequest("the form has neither a query nor an update field")
    raise UnsupportedMediaType(
        f"POST /sparql takes application/sparql-query, application/sparql-update or "
        f"application/x-www-form-urlencoded, not {content_type or 'no Content-Type'}")


async def _update(request: Request, ctx: ServiceContext, text: str,
                  using: tuple[list[str], list[str]]) -> Response:
    principal = require_admin(request)  # here, not as a dependency: queries need no token
    service = QueryService(ctx.store, ctx.settings)
    graphs = [parse_iri(g, "using-graph-uri") for g in using[0]]
    named = [parse_iri(g, "using-named-graph-uri") for g in using[1]]
    await run_in_threadpool(service.update, text, principal.agent, graphs, named)
    return Response(status_code=204)
