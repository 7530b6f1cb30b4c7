"""Slowing down token guessing: 429 with Retry-After after repeated failed bearer tokens.

Each client address may fail authentication (a 401 to a request that presented credentials:
an ``Authorization`` header, or a form post, where the web pages carry the token) at most
``Settings.auth_failures`` times within ``Settings.auth_window`` seconds. Past that, every
request of that address that presents credentials is answered 429 without being looked at,
until the oldest failure leaves the window; its requests without credentials (public reads)
and every other address go on as before. A success does not clear the count: otherwise one
valid reader token would buy unlimited guesses at the admin token.

Memory is bounded: at most ``auth_failures`` timestamps per address and ``MAX_CLIENTS``
addresses (the least recently failing are forgotten first).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_CLIENTS = 10_000
_FORMS = (b"application/x-www-form-urlencoded", b"multipart/form-data")


class FailureLog:
    """Recent authentication failures per client address (thread-safe, bounded)."""

    def __init__(self, limit: int, window: float, max_clients: int = MAX_CLIENTS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._failures)

    def _recent(self, client: str, now: float) -> deque[float] | None:
        times = self._failures.get(client)
        if times is None:
            return None
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            del self._failures[client]
            return None
        return times

    def retry_after(self, client: str) -> int | None:
        """Seconds until ``client`` may try again, or None if it is not held back."""
        with self._lock:
            now = self.clock()
            times = self._recent(client, now)
            if times is None or len(times) < self.limit:
                return None
            return max(1, math.ceil(times[0] + self.window - now))

    def failed(self, client: str) -> None:
        with self._lock:
            now = self.clock()
            times = self._recent(client, now)
            if times is None:
                times = self._failures[client] = deque(maxlen=self.limit)
            times.append(now)
            self._failures.move_to_end(client)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)


def _presents_credentials(scope: Scope) -> bool:
    headers = dict(scope.get("headers") or ())
    if b"authorization" in headers:
        return True
    return scope.get("method") == "POST" and headers.get(b"content-type", b"").startswith(_FORMS)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class AuthFailureLimit:
    """Pure ASGI middleware: counts 401s per client address, answers 429 past the limit."""

    def __init__(self, app: ASGIApp, log: FailureLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _presents_credentials(scope):
            await self.app(scope, receive, send)
            return
        client = _client(scope)
        wait = self.log.retry_after(client)
        if wait is not None:
            await _too_many(scope, send, wait)
            return

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self.log.failed(client)
            await send(message)

        await self.app(scope, receive, watch)


async def _too_many(scope: Scope, send: Send, wait: int) -> None:
    body = json.dumps({
        "type": "https://w3id.org/dskg/problems/too-many-requests",
        "title": "Too many requests", "status": 429,
        "detail": f"too many failed bearer tokens from this address; retry after {wait} s",
        "instance": scope.get("path", ""),
    }).encode("ascii")
    await send({"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(wait).encode())]})
    await send({"type": "http.response.body", "body": body})

