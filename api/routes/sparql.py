"""SPARQL 1.1 Protocol: query (GET/POST), update (POST, admin token), service description."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request, Response
from rdflib import Graph, Literal, URIRef
from starlette.concurrency import run_in_threadpool

from api.body import read_body
from api.deps import get_query_service, get_settings, require_admin
from api.negotiation import choose
from kg.errors import BadRequest, UnsupportedMediaType
from kg.namespaces import SD
from kg.settings import Settings
from kg.sparql import QueryService, query_form
from kg.store.base import GRAPH_FORMATS, RESULT_FORMATS

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
EXAMPLE = "SELECT ?ds ?label WHERE { ?ds a dskg:DataSpace ; skos:prefLabel ?label } LIMIT 10"


def _negotiate(accept: str | None, form: str) -> str:
    offered = RESULT_TYPES if form in ("SELECT", "ASK") else GRAPH_TYPES
    aliased = ",".join(
        ALIASES.get(part.split(";")[0].strip().lower(), part.split(";")[0].strip())
        + (";" + part.split(";", 1)[1] if ";" in part else "")
        for part in (accept or "*/*").split(",")
    )
    return choose(aliased, offered, default=offered[0])


def _answer(service: QueryService, sparql: str, accept: str | None,
            default_graphs: list[str], named_graphs: list[str]) -> Response:
    form = query_form(sparql)
    if form == "UPDATE":
        raise BadRequest("this is an update; POST it as application/sparql-update (or form "
                         "field update=) with an admin token")
    media_type = _negotiate(accept, form)
    assert media_type in RESULT_FORMATS or media_type in GRAPH_FORMATS
    result = service.serialized(sparql, media_type,
                                default_graphs=[URIRef(g) for g in default_graphs] or None,
                                named_graphs=[URIRef(g) for g in named_graphs] or None)
    return Response(result.body, media_type=result.media_type,
                    headers={"Vary": "Accept", "Cache-Control": "no-cache"})


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


@router.get("/sparql", name="sparql_get", summary="SPARQL query (GET) or service description",
            responses={200: {"content": {t: {} for t in RESULT_TYPES + GRAPH_TYPES}}})
def sparql_get(
    request: Request,
    query: Annotated[str | None, Query(description="The SPARQL query.",
                                       examples=[EXAMPLE])] = None,
    default_graph_uri: Annotated[list[str] | None, Query(alias="default-graph-uri")] = None,
    named_graph_uri: Annotated[list[str] | None, Query(alias="named-graph-uri")] = None,
    service: QueryService = Depends(get_query_service),
    settings: Settings = Depends(get_settings),
) -> Response:
    accept = request.headers.get("accept")
    if query is None:
        graph = service_description(request, settings)
        media = choose(accept, [*GRAPH_TYPES, "text/html"], default="text/turtle")
        if media == "text/html":
            media = "text/turtle"
        fmt = GRAPH_FORMATS[media]
        return Response(graph.serialize(format=fmt), media_type=media)
    return _answer(service, query, accept, default_graph_uri or [], named_graph_uri or [])


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
async def sparql_post(request: Request, service: QueryService = Depends(get_query_service)
                      ) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await read_body(request)
    text = body.decode("utf-8", errors="replace")
    default_graphs = request.query_params.getlist("default-graph-uri")
    named_graphs = request.query_params.getlist("named-graph-uri")
    if content_type == "application/sparql-query":
        return await _run_sync(_answer, service, text, request.headers.get("accept"),
                               default_graphs, named_graphs)
    if content_type == "application/sparql-update":
        return await _update(request, service, text)
    if content_type == "application/x-www-form-urlencoded":
        fields = parse_qs(text, keep_blank_values=True)
        if "update" in fields:
            return await _update(request, service, fields["update"][0])
        if "query" in fields:
            return await _run_sync(_answer, service, fields["query"][0],
                                   request.headers.get("accept"),
                                   fields.get("default-graph-uri", default_graphs),
                                   fields.get("named-graph-uri", named_graphs))
        raise BadRequest("the form has neither a query nor an update field")
    raise UnsupportedMediaType(
        f"POST /sparql takes application/sparql-query, application/sparql-update or "
        f"application/x-www-form-urlencoded, not {content_type or 'no Content-Type'}")


async def _update(request: Request, service: QueryService, text: str) -> Response:
    principal = require_admin(request)
    await _run_sync(service.update, text, principal.subject)
    return Response(status_code=204)


async def _run_sync(fn: Callable[..., Any], *args: Any) -> Any:
    # The engine call blocks; run it off the event loop so other requests keep flowing.
    return await run_in_threadpool(fn, *args)
