"""Every middleware of the app, in one list and one order.

``LAYERS`` order: the first sees a request first and its answer last. Each is pure ASGI
(no ``BaseHTTPMiddleware``: streamed answers stay streamed). The state they share with
routes is kept in ``app.state`` (``metrics``, ``lifecycle``, ``auth_failures``).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware import Middleware

from api.ratelimit import AuthFailureLimit, FailureLog
from api.routes.lifecycle import AccessLogMiddleware, DrainMiddleware, Lifecycle
from api.routes.ops import Metrics, MetricsMiddleware
from api.web.middleware import WebMiddleware
from kg.settings import Settings


def install(app: FastAPI, settings: Settings, *, json_logs: bool) -> None:
    """Add the layers below to ``app`` (``api.app.create_app`` calls it once)."""
    app.state.metrics = Metrics()
    app.state.lifecycle = Lifecycle()
    app.state.auth_failures = FailureLog(settings.auth_failures, settings.auth_window)
    layers = [
        # 1. Count and time every request, whatever answers it (a 429, an HTML error page).
        Middleware(MetricsMiddleware, metrics=app.state.metrics),
        # 2. Browsers: list URLs to the browse page, problem+json to an HTML error page,
        #    security headers on HTML, the per-write name cache.
        Middleware(WebMiddleware),
        # 3. One access-log line per request (JSON logs only).
        *([Middleware(AccessLogMiddleware)] if json_logs else []),
        # 4. After SIGTERM: 503 to new writes while the running ones finish.
        Middleware(DrainMiddleware, lifecycle=app.state.lifecycle),
        # 5. Cross-origin reads, when origins are configured.
        *([Middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                      allow_methods=["*"], allow_headers=["*"],
                      expose_headers=["Link", "ETag", "Location"])]
          if settings.cors_origins else []),
        # 6. Innermost: counts the 401s the routes answer, 429 past the limit.
        Middleware(AuthFailureLimit, log=app.state.auth_failures),
    ]
    for layer in reversed(layers):  # add_middleware puts each outside the ones before it
        app.add_middleware(layer.cls, *layer.args, **layer.kwargs)
