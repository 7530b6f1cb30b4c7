"""Harvest on demand (admin). The background schedule is started with the app
(``api.app``'s lifespan)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import AdminDep, ContextDep
from kg.federation import harvest

router = APIRouter(tags=["federation"])


@router.post("/harvest", summary="Harvest every peer now")
async def harvest_all(ctx: ContextDep, _admin: AdminDep) -> dict[str, Any]:
    report = await run_in_threadpool(harvest, ctx.store, ctx.settings)
    return report.to_json()


@router.post("/harvest/{peer}", summary="Harvest one peer now")
async def harvest_one(peer: str, ctx: ContextDep, _admin: AdminDep) -> dict[str, Any]:
    report = await run_in_threadpool(harvest, ctx.store, ctx.settings, peer)
    return report.to_json()
