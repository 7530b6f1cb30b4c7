"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.deps import get_store
from api.public import store_label
from kg.defaultgraph import is_loaded
from kg.store import Store

router = APIRouter(tags=["Operations"])


@router.get("/health", summary="Alive and store reachable")
def health(store: Store = Depends(get_store)) -> JSONResponse:
    up = store.ping()
    return JSONResponse({"status": "ok" if up else "unavailable",
                         "store": store_label(store)},
                        status_code=200 if up else 503)


@router.get("/ready", summary="Store reachable and default graph present")
def ready(store: Store = Depends(get_store)) -> JSONResponse:
    up = store.ping()
    loaded = up and is_loaded(store)
    return JSONResponse({"ready": loaded, "store": up, "defaultGraph": loaded},
                        status_code=200 if loaded else 503)
