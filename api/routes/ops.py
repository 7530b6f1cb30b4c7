"""/metrics in the Prometheus text format: requests, latencies, the store's size.

A small ASGI middleware counts every request by method, route template (never the raw
path, so ids do not explode the label set) and status, and records its latency in a
histogram (``api.middleware`` adds it, outermost).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ContextDep
from api.public import store_label
from kg import __version__
from kg.store import Store

router = APIRouter(tags=["Operations"])

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: The store's size is counted at most this often (a count walks the whole store).
STORE_SIZE_TTL = 30.0
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]],
                    Callable[[Message], Awaitable[None]]], Awaitable[None]]


class Metrics:
    """Counters and histograms of one app (kept in ``app.state.metrics``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = {}
        self.latency: dict[tuple[str, str], list[float]] = {}
        self.latency_sum: dict[tuple[str, str], float] = {}
        self.in_flight = 0
        self.store_size: tuple[float, int, int] | None = None

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self.lock:
            key = (method, route, str(status))
            self.requests[key] = self.requests.get(key, 0) + 1
            buckets = self.latency.setdefault((method, route), [0.0] * (len(BUCKETS) + 1))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    buckets[i] += 1
            buckets[-1] += 1
            self.latency_sum[(method, route)] = self.latency_sum.get((method, route), 0.0) \
                + seconds

    def sizes(self, store: Store) -> tuple[int, int]:
        """(triples, graphs), counted again when older than STORE_SIZE_TTL."""
        now = time.monotonic()
        cached = self.store_size
        if cached is None or now - cached[0] > STORE_SIZE_TTL:
            cached = (now, store.triple_count(), len(store.graph_names()))
            self.store_size = cached
        return cached[1], cached[2]

    def render(self, store: Store) -> str:
        up = store.ping()
        triples, graphs = self.sizes(store) if up else (0, 0)
        kind = _escape(store_label(store))
        lines = [
            "# HELP dskg_info The node's version and store kind.",
            "# TYPE dskg_info gauge",
            f'dskg_info{{version="{_escape(__version__)}",store="{kind}"}} 1',
            "# HELP dskg_store_up Whether the store answers a trivial query.",
            "# TYPE dskg_store_up gauge",
            f"dskg_store_up {int(up)}",
            "# HELP dskg_store_triples Triples (quads) in all named graphs.",
            "# TYPE dskg_store_triples gauge",
            f"dskg_store_triples {triples}",
            "# HELP dskg_store_graphs Named graphs in the store.",
            "# TYPE dskg_store_graphs gauge",
            f"dskg_store_graphs {graphs}",
            "# HELP dskg_http_requests_in_flight Requests being served.",
            "# TYPE dskg_http_requests_in_flight gauge",
            f"dskg_http_requests_in_flight {self.in_flight}",
            "# HELP dskg_http_requests_total HTTP requests by method, route and status.",
            "# TYPE dskg_http_requests_total counter",
        ]
        with self.lock:
            for (method, route, status), count in sorted(self.requests.items()):
                lines.append(f'dskg_http_requests_total{{method="{method}",'
                             f'route="{_escape(route)}",status="{status}"}} {count}')
            lines += ["# HELP dskg_http_request_duration_seconds Request latency.",
                      "# TYPE dskg_http_request_duration_seconds histogram"]
            for (method, route), buckets in sorted(self.latency.items()):
                labels = f'method="{method}",route="{_escape(route)}"'
                for bound, seen in zip((*BUCKETS, "+Inf"), buckets, strict=True):
                    lines.append(f'dskg_http_request_duration_seconds_bucket{{{labels},'
                                 f'le="{bound}"}} {seen:g}')
                lines.append(f"dskg_http_request_duration_seconds_sum{{{labels}}} "
                             f"{self.latency_sum[(method, route)]:.6f}")
                lines.append(f"dskg_http_request_duration_seconds_count{{{labels}}} "
                             f"{buckets[-1]:g}")
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class MetricsMiddleware:
    """Pure ASGI (no body buffering): times each HTTP request and counts its status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        self.metrics.in_flight += 1
        try:
            await self.app(scope, receive, record_status)
        finally:
            self.metrics.in_flight -= 1
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(scope["method"], template, status,
                                 time.perf_counter() - start)



@router.get("/metrics", summary="Prometheus metrics: requests, latencies, store size",
            response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
async def metrics(request: Request, ctx: ContextDep) -> PlainTextResponse:
    registry: Metrics = getattr(request.app.state, "metrics", None) or Metrics()
    text = await run_in_threadpool(registry.render, ctx.store)
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4; charset=utf-8")
