"""The node's life: graceful shutdown, structured logs, and the online backup.

Graceful shutdown: on SIGTERM the node first drains. Writes already running finish and are
acknowledged; new writes get 503 (``Retry-After``) while reads are still served; once no
write is in flight (or after DRAIN_SECONDS) the server's own shutdown runs. A second
SIGTERM stops at once. Writes are the unsafe methods, except the POSTs that only read
(a SPARQL query, policy evaluation, credential verification, validation).

Logs: with ``DSKG_LOG_FORMAT=json`` every line is one JSON object, and each request is
logged as ``dskg.access`` (method, path without the query string, status, duration).

``GET /admin/backup`` (admin only) streams a consistent backup (``kg.backup``); this is what
``dskg backup --server URL`` calls while the node runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import AdminDep, ContextDep
from kg import logging as dskg_logging
from kg.backup import backup_chunks

#: Longest wait for in-flight writes after SIGTERM before shutting down anyway.
DRAIN_SECONDS = 30.0
RETRY_AFTER = "5"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: POST routes that only read.
READ_POSTS = frozenset({"/policies/evaluate", "/policies/evaluate/batch", "/gaiax/verify",
                        "/validate"})
access_log = logging.getLogger("dskg.access")
log = logging.getLogger("dskg.lifecycle")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class Lifecycle:
    """Drain state of one app (``app.state.lifecycle``)."""

    draining: bool = False
    writes_in_flight: int = 0
    refused: int = 0
    #: the drain task (kept referenced until the process ends)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self) -> bool:
        """Count a new write in; False when draining (the write must be refused)."""
        with self._lock:
            if self.draining:
                self.refused += 1
                return False
            self.writes_in_flight += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.writes_in_flight -= 1

    def begin_drain(self) -> None:
        with self._lock:
            self.draining = True

    async def drained(self, timeout: float = DRAIN_SECONDS) -> bool:
        """Wait until no write is in flight; False if ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        while self.writes_in_flight > 0:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True


def is_write(scope: Scope) -> bool:
    method = scope.get("method", "GET")
    if method in SAFE_METHODS:
        return False
    path = scope.get("path", "")
    if method == "POST" and path in READ_POSTS:
        return False
    if method == "POST" and path == "/sparql":
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        return content_type != b"application/sparql-query"
    return True


async def _refuse(send: Send, path: str) -> None:
    body = json.dumps({
        "type": "https://w3id.org/dskg/problems/shutting-down", "title": "Shutting down",
        "status": 503, "instance": path,
        "detail": "the node is shutting down and takes no new writes; retry on the next one",
    }).encode()
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"application/problem+json"), (b"retry-after", RETRY_AFTER.encode()),
        (b"connection", b"close"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class DrainMiddleware:
    """Counts writes in flight and refuses new ones with 503 while draining."""

    def __init__(self, app: ASGIApp, lifecycle: Lifecycle) -> None:
        self.app = app
        self.lifecycle = lifecycle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_write(scope):
            await self.app(scope, receive, send)
            return
        if not self.lifecycle.enter():
            await _refuse(send, scope.get("path", ""))
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.lifecycle.leave()


class AccessLogMiddleware:
    """One ``dskg.access`` record per request (never headers, never the query string)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            client = scope.get("client") or ("", 0)
            access_log.info("%s %s %d", scope.get("method"), scope.get("path"), status,
                            extra={"method": scope.get("method"), "path": scope.get("path"),
                                   "status": status, "client": client[0],
                                   "duration_ms": round((time.perf_counter() - start) * 1000,
                                                        2)})


def _hook_sigterm(app: FastAPI, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """Put a draining SIGTERM handler in front of the server's; returns the undo."""
    handler = signal.getsignal(signal.SIGTERM)
    if not callable(handler):
        return lambda: None
    previous: Callable[[int, Any], Any] = handler
    lifecycle: Lifecycle = app.state.lifecycle

    async def drain_then_stop(sig: int) -> None:
        in_flight = lifecycle.writes_in_flight
        log.info("SIGTERM: draining, %d write(s) in flight; new writes get 503", in_flight,
                 extra={"event": "drain", "writes_in_flight": in_flight})
        finished = await lifecycle.drained()
        log.info("drained (%s); shutting down", "all writes done" if finished else "timed out",
                 extra={"event": "drained", "complete": finished})
        previous(sig, None)

    def on_sigterm(sig: int, frame: Any) -> None:
        if lifecycle.draining:  # a second SIGTERM: stop now
            previous(sig, frame)
            return
        lifecycle.begin_drain()
        loop.call_soon_threadsafe(lambda: lifecycle.tasks.add(loop.create_task(
            drain_then_stop(sig))))

    signal.signal(signal.SIGTERM, on_sigterm)
    def undo() -> None:
        signal.signal(signal.SIGTERM, previous)

    return undo


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[None]:
    """While the app serves: its log format, and the draining SIGTERM handler (main thread
    only: a test's server in a thread keeps the process's handler)."""
    in_main = threading.current_thread() is threading.main_thread()
    settings = app.state.settings
    if in_main or os.environ.get("DSKG_LOG_FORMAT"):
        # After the server configured its own loggers, so JSON mode covers its lines too.
        dskg_logging.configure(app.state.log_format,
                               secrets=[settings.admin_token or ""])
    undo = _hook_sigterm(app, asyncio.get_running_loop()) if in_main else (lambda: None)
    try:
        yield
    finally:
        undo()


router = APIRouter(tags=["Operations"])


@router.get("/admin/backup", summary="A consistent backup of the whole store (admin)",
            response_class=StreamingResponse,
            responses={200: {"content": {"application/n-quads": {"schema": {"type": "string"}}},
                             "description": "N-Quads, the manifest as the last (comment) line"},
                       401: {"description": "No token"}, 403: {"description": "Not admin"}})
async def backup(ctx: ContextDep, _admin: AdminDep) -> StreamingResponse:
    manifest, chunks = await run_in_threadpool(backup_chunks, ctx.store)
    return StreamingResponse(chunks, media_type="application/n-quads", headers={
        "Content-Disposition": 'attachment; filename="dskg-backup.nq"',
        "X-Dskg-Quads": str(manifest.quads), "X-Dskg-Content-Hash": manifest.contentHash})

