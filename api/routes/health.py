"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ContextDep
from api.public import store_label
from kg.defaultgraph import is_loaded

router = APIRouter(tags=["Operations"])


@router.get("/health", summary="Alive and store reachable")
def health(ctx: ContextDep) -> JSONResponse:
    up = ctx.store.ping()
    return JSONResponse({"status": "ok" if up else "unavailable",
                         "store": store_label(ctx.store)},
                        status_code=200 if up else 503)


@router.get("/ready", summary="Store reachable and default graph present")
def ready(ctx: ContextDep) -> JSONResponse:
    up = ctx.store.ping()
    loaded = up and is_loaded(ctx.store)
    return JSONResponse({"ready": loaded, "store": up, "defaultGraph": loaded},
                        status_code=200 if loaded else 503)
