"""Harvest on demand (admin) and the background harvest schedule of a running node."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from starlette.concurrency import run_in_threadpool

from api.deps import get_settings, get_store, require_admin
from kg.auth import Principal
from kg.federation import HarvestScheduler, harvest
from kg.settings import Settings
from kg.store import Store


@asynccontextmanager
async def _schedule(app: FastAPI) -> AsyncIterator[None]:
    """Start the peers' harvest schedule (``every``) with the app; stop it with the app."""
    scheduler = HarvestScheduler.for_settings(app.state.store, app.state.settings)
    app.state.harvest_scheduler = scheduler
    scheduler.start()
    try:
        yield
    finally:
        await run_in_threadpool(scheduler.stop)


router = APIRouter(tags=["federation"], lifespan=_schedule)


@router.post("/harvest", summary="Harvest every peer now")
async def harvest_all(store: Store = Depends(get_store),
                      settings: Settings = Depends(get_settings),
                      _admin: Principal = Depends(require_admin)) -> dict[str, Any]:
    report = await run_in_threadpool(harvest, store, settings)
    return report.to_json()


@router.post("/harvest/{peer}", summary="Harvest one peer now")
async def harvest_one(peer: str, store: Store = Depends(get_store),
                      settings: Settings = Depends(get_settings),
                      _admin: Principal = Depends(require_admin)) -> dict[str, Any]:
    report = await run_in_threadpool(harvest, store, settings, peer)
    return report.to_json()
