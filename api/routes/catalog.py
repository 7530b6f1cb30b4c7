"""/catalog: the node's datasets as a DCAT-AP 3 catalog (Turtle, JSON-LD, RDF/XML), paged
with Hydra so harvesters (CKAN ckanext-dcat, piveau) can walk it."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import ContextDep
from api.negotiation import choose
from kg.jsonld import DSKG_CONTEXT_URL, shipped_context
from kg.services.catalog import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, build_catalog
from kg.services.documents import RDF_MEDIA, serialize

router = APIRouter(tags=["Catalog"])
#: Turtle first: what harvesters ask for most and the default for */*.
CATALOG_MEDIA = ["text/turtle", "application/ld+json", "application/rdf+xml",
                 "application/n-triples"]


@router.get("/catalog", name="catalog", summary="DCAT-AP 3 catalog of the node (Hydra-paged)",
            responses={200: {"content": {m: {"schema": {"type": "string"}}
                                         for m in CATALOG_MEDIA}}})
def catalog(
    request: Request,
    ctx: ContextDep,
    page: Annotated[int, Query(ge=1, description="Page number, from 1.")] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE,
                                    description="Datasets per page.")] = DEFAULT_PAGE_SIZE,
) -> Response:
    media = choose(request.headers.get("accept"), CATALOG_MEDIA, default="text/turtle")
    base = str(request.url_for("catalog"))

    def page_url(number: int) -> str:
        return f"{base}?page={number}&pageSize={page_size}"

    graph = build_catalog(ctx, page, page_size, page_url)
    return Response(serialize(graph, RDF_MEDIA[media]), media_type=media,
                    headers={"Vary": "Accept", "Cache-Control": "no-cache"})


@router.get("/context.jsonld", name="jsonld_context", tags=["Linked Data"],
            summary="The JSON-LD context this node's JSON-LD answers embed",
            responses={200: {"content": {"application/ld+json": {"schema": {"type": "object"}}}}})
def jsonld_context() -> Response:
    return Response(json.dumps(shipped_context(DSKG_CONTEXT_URL), indent=2),
                    media_type="application/ld+json",
                    headers={"Cache-Control": "public, max-age=86400",
                             "Access-Control-Allow-Origin": "*"})
