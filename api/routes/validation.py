"""Validation without storing (`POST /validate`) and metadata quality scores."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from rdflib import URIRef
from starlette.concurrency import run_in_threadpool

from api.body import read_body
from api.deps import ContextDep
from api.negotiation import choose
from api.problems import PROBLEM_DOC
from kg.rdfio import format_for_media_type, parse_graph, require_statements
from kg.services import KINDS, ServiceContext
from kg.store import Store
from kg.validation import ValidationReport, context_for, validate_graph
from kg.validation.quality import dataset_quality, dataspace_quality

router = APIRouter(tags=["Validation"])

REPORT_TYPES = ["application/json", "text/turtle", "application/ld+json", "text/plain"]
EXAMPLE = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://example.org/id/dataset/soil> a dcat:Dataset ;
    dct:title "Soil moisture"@en ;
    dct:publisher <https://w3id.org/dskg/id/organisation/european-commission> ."""


def _validate(store: Store, data: bytes, media_type: str | None, base_iri: str,
              with_store: bool) -> ValidationReport:
    graph = parse_graph(data, format_for_media_type(media_type), base_iri=base_iri)
    require_statements(graph)
    context = context_for(store, graph) if with_store else None
    return validate_graph(graph, context=context)


def _render(report: ValidationReport, media_type: str) -> Response:
    if media_type == "application/json":
        return JSONResponse(report.to_json())
    if media_type == "text/plain":
        return Response(report.to_text(), media_type="text/plain; charset=utf-8")
    fmt = "turtle" if media_type == "text/turtle" else "json-ld"
    return Response(report.to_rdf().serialize(format=fmt), media_type=media_type)


@router.post(
    "/validate", summary="Validate a description against the shapes; nothing is stored",
    description="The body is Turtle or JSON-LD (by Content-Type). The answer is 200 with the "
    "report whether or not it conforms: JSON (default), a SHACL `sh:ValidationReport` in "
    "Turtle or JSON-LD, or text for people, by `Accept`. References to nodes already in the "
    "graph are checked against the store unless `context=none`.",
    responses={200: {"content": {t: {} for t in REPORT_TYPES}},
               400: PROBLEM_DOC, 406: PROBLEM_DOC, 413: PROBLEM_DOC, 415: PROBLEM_DOC},
    openapi_extra={"requestBody": {"required": True, "content": {
        "text/turtle": {"schema": {"type": "string"}, "example": EXAMPLE},
        "application/ld+json": {"schema": {"type": "object"}, "example": {
            "@context": {"dcat": "http://www.w3.org/ns/dcat#",
                         "dct": "http://purl.org/dc/terms/"},
            "@id": "https://example.org/id/dataset/soil", "@type": "dcat:Dataset",
            "dct:title": "Soil moisture"}}}}})
async def validate(
    request: Request,
    ctx: ContextDep,
    context: Annotated[str, Query(pattern="^(store|none)$",
                                  description="`store`: check references against the "
                                  "graph; `none`: the body alone.")] = "store",
) -> Response:
    media = choose(request.headers.get("accept"), REPORT_TYPES, default="application/json")
    body = await read_body(request)
    report = await run_in_threadpool(
        _validate, ctx.store, body, request.headers.get("content-type"), ctx.base_iri,
        context == "store")
    return _render(report, media)


def _resolve(ctx: ServiceContext, kind: str, resource_id: str) -> tuple[Store, URIRef]:
    return ctx.store, ctx.ids.resolve(ctx.store, KINDS[kind], resource_id)


@router.get("/datasets/{resource_id}/quality", tags=["Datasets"],
            summary="Metadata quality score (data.europa.eu MQA dimensions)",
            responses={404: PROBLEM_DOC})
async def dataset_score(ctx: ContextDep, resource_id: str) -> JSONResponse:
    store, iri = _resolve(ctx, "datasets", resource_id)
    score = await run_in_threadpool(dataset_quality, store, iri)
    return JSONResponse(score)


@router.get("/dataspaces/{resource_id}/quality", tags=["Data spaces"],
            summary="Average metadata quality of the datasets in the data space's catalog",
            responses={404: PROBLEM_DOC})
async def dataspace_score(ctx: ContextDep, resource_id: str) -> JSONResponse:
    store, iri = _resolve(ctx, "dataspaces", resource_id)
    score = await run_in_threadpool(dataspace_quality, store, iri)
    return JSONResponse(score)
