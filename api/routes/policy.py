"""Policy evaluation and the cross-tier conflict report."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.body import read_body
from api.deps import ContextDep
from kg.errors import BadRequest
from kg.policy import service

router = APIRouter(tags=["Policies"])

REQUEST_EXAMPLE = {
    "assignee": "https://example.org/org/acme", "action": "odrl:read",
    "target": "https://example.org/dataset/1", "purpose": "https://example.org/ResearchPurpose",
    "at": "2025-06-01T12:00:00Z", "spatial": "ES", "context": {"odrl:count": 3},
    "dutiesDone": ["odrl:attribute"],
}


async def _json_body(request: Request) -> Any:
    raw = await read_body(request)
    try:
        return json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from None


def _body_doc(example: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"type": "object"}, "example": example}}}}


@router.post("/policies/evaluate", summary="May this party do this with that asset?",
             openapi_extra=_body_doc(REQUEST_EXAMPLE),
             description="Evaluates one request against the target's offer and every tier "
             "policy above it. Fields: assignee, action, target (IRIs or prefixed names), "
             "purpose, at, spatial, context {leftOperand: value}, dutiesDone [IRI]. Answers "
             "{decision: permit|deny|not-applicable, reason, trace}.")
async def evaluate(request: Request, ctx: ContextDep) -> JSONResponse:
    body = await _json_body(request)
    result = await run_in_threadpool(service.evaluate_json, ctx.store, body,
                                     timeout=ctx.settings.query_timeout)
    return JSONResponse(result)


@router.post("/policies/evaluate/batch", summary="Evaluate many requests",
             openapi_extra=_body_doc({"requests": [REQUEST_EXAMPLE]}),
             description=f'{{"requests": [...]}} (at most {service.MAX_BATCH}) -> '
             '{"results": [...]}, in order; requests on the same target and assignee share '
             "their store look-ups.")
async def evaluate_batch(request: Request, ctx: ContextDep) -> JSONResponse:
    body = await _json_body(request)
    result = await run_in_threadpool(service.evaluate_batch_json, ctx.store, body,
                                     timeout=ctx.settings.query_timeout)
    return JSONResponse(result)


@router.get("/policies/conflicts", summary="Policy conflicts",
            description="Pairs of rules (same tier or across tiers) that can govern one "
            "request and disagree: permission vs prohibition, obligation or duty vs "
            "prohibition, a lower tier widening a higher one; each classified `conflict` "
            "(an example request the evaluator decides so) or `ambiguous` (so only under the "
            "facts listed in `assuming`), with the two rules and the example. Also "
            "inheritFrom cycles and missing parents, and offers whose assigner is not a "
            "member of the data space.")
def conflicts(ctx: ContextDep) -> JSONResponse:
    report = service.conflicts(ctx.store, timeout=ctx.settings.query_timeout * 6)
    return JSONResponse(report.to_json())
