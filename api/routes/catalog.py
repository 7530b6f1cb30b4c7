"""/catalog: the node's datasets as a DCAT-AP 3 catalog (Turtle, JSON-LD, RDF/XML,
N-Triples), paged with Hydra so harvesters (CKAN ckanext-dcat, piveau) can walk it, or whole
(``?all=true``); streamed as the engine writes it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from api.deps import ContextDep
from api.negotiation import choose
from kg.jsonld import DSKG_CONTEXT_URL, shipped_context
from kg.services.catalog import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    catalog_stream,
    request_catalog,
)

router = APIRouter(tags=["Catalog"])
#: Turtle first: what harvesters ask for most and the default for */*.
CATALOG_MEDIA = ["text/turtle", "application/ld+json", "application/rdf+xml",
                 "application/n-triples"]


@router.get("/catalog", name="catalog",
            summary="DCAT-AP 3 catalog of the node (Hydra-paged, or whole with all=true)",
            responses={200: {"content": {m: {"schema": {"type": "string"}}
                                         for m in CATALOG_MEDIA}}})
def catalog(
    request: Request,
    ctx: ContextDep,
    page: Annotated[int, Query(ge=1, description="Page number, from 1.")] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE,
                                    description="Datasets per page.")] = DEFAULT_PAGE_SIZE,
    whole: Annotated[bool, Query(alias="all", description=(
        "The whole catalog in one document, without Hydra paging (page and pageSize "
        "are then ignored)."))] = False,
) -> Response:
    media = choose(request.headers.get("accept"), CATALOG_MEDIA, default="text/turtle")
    base = str(request.url_for("catalog"))

    def page_url(number: int) -> str:
        return f"{base}?page={number}&pageSize={page_size}"

    # Checked here, so a bad page is a 400 before anything is sent.
    checked = request_catalog(ctx, None if whole else page, page_size, page_url)
    body = catalog_stream(ctx, checked, media)
    if media == "application/ld+json":
        body = _with_context(body)
    return StreamingResponse(body, media_type=media,
                             headers={"Vary": "Accept", "Cache-Control": "no-cache"})


def _with_context(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The engine writes expanded JSON-LD (an array of node objects); it goes out as the
    ``@graph`` of a document embedding our context (so no client fetches anything, and the
    node's JSON-LD answers all look alike). Full IRIs and value objects mean the same under
    it."""
    context = json.dumps(shipped_context(DSKG_CONTEXT_URL)["@context"], ensure_ascii=False)
    opening = ('{"@context": ' + context + ', "@graph": ').encode("utf-8")
    held = b""
    for chunk in chunks:
        if opening:
            chunk, opening = opening + chunk.lstrip(), b""
        if held:
            yield held
        held = chunk
    body = held.rstrip()
    yield (opening + b"[]" if opening else body) + b"}"


@router.get("/context.jsonld", name="jsonld_context", tags=["Linked Data"],
            summary="The JSON-LD context this node's JSON-LD answers embed",
            responses={200: {"content": {"application/ld+json": {"schema": {"type": "object"}}}}})
def jsonld_context() -> Response:
    return Response(json.dumps(shipped_context(DSKG_CONTEXT_URL), indent=2),
                    media_type="application/ld+json",
                    headers={"Cache-Control": "public, max-age=86400",
                             "Access-Control-Allow-Origin": "*"})
