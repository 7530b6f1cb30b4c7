"""The one place where errors become HTTP answers: RFC 9457 problem+json."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.public import scrub
from kg.errors import DskgError

PROBLEM_TYPE_BASE = "https://w3id.org/dskg/problems/"
log = logging.getLogger("dskg.api")


#: How a problem answer is described in the OpenAPI document (routes' ``responses=``).
PROBLEM_DOC: dict[str, Any] = {
    "content": {"application/problem+json": {"schema": {"type": "object"}}}}


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"

    def render(self, content: Any) -> bytes:
        # ASCII escapes: a detail echoing an unpaired surrogate of the input stays writable.
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def problem_response(status: int, title: str, detail: str, request: Request,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    slug = title.lower().replace(" ", "-")
    # No filesystem path in a public answer (a store error may quote the store's location).
    detail = scrub(detail, getattr(request.app.state, "settings", None))
    body = {"type": PROBLEM_TYPE_BASE + slug, "title": title, "status": status,
            "detail": detail, "instance": str(request.url.path), **extra}
    return ProblemResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(DskgError)
    async def dskg_error(request: Request, exc: DskgError) -> JSONResponse:
        problem = exc.to_problem()
        headers = {"WWW-Authenticate": 'Bearer realm="dskg"'} if exc.status == 401 else None
        if exc.extra.get("retry_after") is not None:
            headers = {"Retry-After": str(exc.extra["retry_after"])}
        title = problem.pop("title")
        status = problem.pop("status")
        detail = problem.pop("detail")
        return problem_response(status, title, detail, request, headers=headers,
                                **{k: v for k, v in problem.items() if v is not None})

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['location']}: {e['message']}" for e in errors) or "bad request"
        return problem_response(400, "Bad request", detail, request, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {404: "Not found", 405: "Method not allowed", 406: "Not acceptable",
                 413: "Payload too large"}.get(exc.status_code, "HTTP error")
        return problem_response(exc.status_code, title, str(exc.detail), request,
                                headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "Internal error",
                                "the server failed on this request; it has been logged",
                                request)
