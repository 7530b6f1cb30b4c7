"""What makes the REST URLs browsable (pure ASGI, see ``api.middleware`` for its place).

For a browser (``Accept`` prefers HTML): a list URL (``/datasets?...``) is routed to the
browse page; a problem+json error of a GET becomes an HTML error page. Every HTML answer
gets the security headers; every request gets the app's name cache (a new one after each
write) for the labels its pages show.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from starlette.datastructures import Headers

from api.negotiation import wants_html
from api.web.state import web_state
from api.web.templates import error_html
from kg.services import KINDS
from kg.web.labels import NAME_CACHE, NameCache

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

LIST_KINDS = tuple(KINDS)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class WebMiddleware:
    """Browse-page routing, HTML error pages, security headers, the name cache."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        application = scope.get("app")
        names = NAME_CACHE.set(web_state(application).cache.get("names", NameCache)
                               if application is not None else None)
        method, path = scope["method"], scope["path"]
        html = wants_html(Headers(scope=scope).get("accept"))
        # the query string is parsed only for a browser asking for a listing (a SPARQL
        # query's long string is not parsed twice)
        if method == "GET" and html and path.strip("/") in LIST_KINDS and "format" not in \
                parse_qs(scope.get("query_string", b"").decode("latin-1")):
            target = f"/ui/browse/{path.strip('/')}"
            scope = {**scope, "path": target, "raw_path": target.encode()}
        buffered: dict[str, Any] = {}

        async def relay(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = Headers(raw=message["headers"])
                content_type = headers.get("content-type", "")
                if html and method == "GET" and status >= 400 and \
                        content_type.startswith("application/problem+json"):
                    buffered["start"] = message
                    return
                if content_type.startswith("text/html"):
                    message["headers"] = [*message["headers"], *(
                        (k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                        if k.lower() not in headers)]
                await send(message)
            elif "start" in buffered:
                buffered.setdefault("body", b"")
                buffered["body"] += message.get("body", b"")
                if not message.get("more_body"):
                    await send_error_page(send, buffered["start"], buffered["body"])
            else:
                await send(message)

        try:
            await self.app(scope, receive, relay)
        finally:
            NAME_CACHE.reset(names)


async def send_error_page(send: Send, start: Message, body: bytes) -> None:
    try:
        problem = json.loads(body or b"{}")
    except ValueError:
        problem = {}
    status = start["status"]
    html = error_html(status, problem.get("title", "Error"),
                      problem.get("detail", "")).encode("utf-8")
    headers = [(k, v) for k, v in start["headers"]
               if k.lower() not in (b"content-type", b"content-length")]
    headers += [(b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(html)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": html})
