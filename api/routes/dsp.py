"""The Dataspace Protocol 2025-1 catalog protocol, HTTPS binding, under ``/dsp``.

Errors here are DSP ``CatalogError`` bodies (not RFC 9457 problems): that is what connectors
read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from rdflib import URIRef

from api.deps import ContextDep
from kg.auth import principal_for
from kg.dsp.catalog import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, DspCatalog, DspConfig
from kg.dsp.filters import read_filters
from kg.dsp.messages import (
    DSP_PATH,
    MEDIA_TYPE,
    CatalogErrorResponse,
    read_catalog_request,
    version_response,
)
from kg.errors import DskgError
from kg.services import ServiceContext

router = APIRouter(tags=["Dataspace Protocol"])
_IRI_SCHEMES = ("http://", "https://", "urn:", "did:")


def _error(exc: CatalogErrorResponse) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="dsp"'} if exc.status == 401 else None
    return JSONResponse(exc.to_json(), status_code=exc.status, media_type=MEDIA_TYPE,
                        headers=headers)


def _catalog(request: Request, ctx: ServiceContext) -> DspCatalog:
    """The requester's view; 401 when a token is required or given and not valid."""
    settings = ctx.settings
    header = request.headers.get("authorization", "").strip()
    scheme, _, rest = header.partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else header  # DSP sends it bare too
    principal = principal_for(token, settings) if token else None
    if token and principal is None:
        raise CatalogErrorResponse(401, "unauthorized", "the Authorization token is not valid")
    if principal is None and DspConfig.of(settings).require_auth:
        raise CatalogErrorResponse(401, "unauthorized",
                                   "this catalog needs an Authorization token")
    participant = None
    if principal is not None and not principal.is_admin and \
            principal.subject.startswith(_IRI_SCHEMES):
        participant = URIRef(principal.subject)
    base = str(request.base_url).rstrip("/")
    return DspCatalog(ctx.store, settings, base + DSP_PATH, participant)


def _number(text: str, low: int, high: int | None) -> int | None:
    """A paging parameter, or None when it is not a whole number in range (-> CatalogError)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 9:  # "¹".isdigit() too
        return None
    value = int(text)
    return value if value >= low and (high is None or value <= high) else None


async def _guarded(work: Callable[[], Any]) -> Any:
    try:
        return await asyncio.to_thread(work)
    except CatalogErrorResponse as exc:
        return _error(exc)
    except DskgError as exc:
        return _error(CatalogErrorResponse(exc.status, exc.title.lower().replace(" ", "-"),
                                           exc.message))


@router.get("/.well-known/dspace-version", summary="Dataspace Protocol versions (DSP 2025-1)")
def dspace_version(ctx: ContextDep) -> JSONResponse:
    settings = ctx.settings
    body = version_response(f"{settings.base_iri}dsp/service",
                            auth=DspConfig.of(settings).require_auth)
    return JSONResponse(body, media_type=MEDIA_TYPE)


@router.post(DSP_PATH + "/catalog/request", name="dsp_catalog",
             summary="DSP CatalogRequestMessage: the catalog with its offers, paged by Link")
async def catalog_request(
    request: Request,
    ctx: ContextDep,
    page_text: Annotated[str, Query(alias="page", description="Page, from 1 (follow the "
                                    "Link header).")] = "1",
    size_text: Annotated[str, Query(alias="pageSize", description="Datasets per page, "
                                    f"at most {MAX_PAGE_SIZE}.")] = str(DEFAULT_PAGE_SIZE),
) -> Response:
    body = await request.body()
    page = _number(page_text, 1, None)
    page_size = _number(size_text, 1, MAX_PAGE_SIZE)

    def prepare() -> tuple[DspCatalog, Any, int]:
        if page is None or page_size is None:
            raise CatalogErrorResponse(400, "bad-page", "page must be a whole number from 1, "
                                       f"pageSize from 1 to {MAX_PAGE_SIZE}")
        filters = read_filters(read_catalog_request(body))
        catalog = _catalog(request, ctx)
        catalog.filters = filters
        last = catalog.last_page(page_size)
        if page > last:
            raise CatalogErrorResponse(400, "no-such-page",
                                       f"page {page} is past the last page ({last})")
        return catalog, filters, last

    prepared = await _guarded(prepare)
    if isinstance(prepared, Response):
        return prepared
    catalog, _filters, last = prepared
    assert page is not None and page_size is not None
    url = str(request.url_for("dsp_catalog"))
    links = []
    if page > 1:
        links.append(f'<{url}?page={page - 1}&pageSize={page_size}>; rel="previous"')
    if page < last:
        links.append(f'<{url}?page={page + 1}&pageSize={page_size}>; rel="next"')
    headers = {"Link": ", ".join(links)} if links else {}
    return StreamingResponse(catalog.page(page, page_size), media_type=MEDIA_TYPE,
                             headers=headers)


@router.get(DSP_PATH + "/catalog/datasets/{dataset_id:path}", summary="DSP: one dataset")
async def dataset(request: Request, ctx: ContextDep, dataset_id: str) -> Response:
    def work() -> JSONResponse:
        catalog = _catalog(request, ctx)
        return JSONResponse(catalog.dataset(URIRef(dataset_id)), media_type=MEDIA_TYPE)

    return await _guarded(work)

