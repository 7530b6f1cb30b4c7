"""Values computed from the whole graph (the home picture, form choices), kept until a write.

A ``WriteCounter`` is bumped by every write through the app's store; a cached value
remembers the count it was computed at and is recomputed when the count moved on, or when
it is older than its time to live (which bounds staleness after writes made outside the
app: another process on a shared store). After writes, once they have stopped for
``settle`` seconds, the values already asked for are recomputed in the background, so the
next page finds them ready instead of computing them (a quarter of a second at 100k
datasets).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any


class WriteCounter:
    """How many writes this app has served (thread-safe)."""

    def __init__(self) -> None:
        self._value = 0
        self._lock = threading.Lock()

    def bump(self) -> None:
        with self._lock:
            self._value += 1

    @property
    def value(self) -> int:
        return self._value


class WriteAwareCache:
    """Named values, each recomputed after a write or when older than ``ttl`` seconds."""

    def __init__(self, counter: WriteCounter, ttl: float = 300.0,
                 clock: Callable[[], float] = time.monotonic, settle: float = 0.3) -> None:
        self.counter = counter
        self.ttl = ttl
        self.clock = clock
        self.settle = settle
        self._entries: dict[str, tuple[int, float, Any]] = {}
        self._computers: dict[str, Callable[[], Any]] = {}
        self._lock = threading.Lock()
        self._refresher_lock = threading.Lock()
        self._refresher: threading.Thread | None = None

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        self._computers[key] = compute
        generation = self.counter.value
        entry = self._entries.get(key)
        if entry is not None and entry[0] == generation and self.clock() - entry[1] < self.ttl:
            return entry[2]
        with self._lock:  # one computation at a time; others wait and reuse it
            generation = self.counter.value
            entry = self._entries.get(key)
            if entry is not None and entry[0] == generation and \
                    self.clock() - entry[1] < self.ttl:
                return entry[2]
            value = compute()
            self._entries[key] = (generation, self.clock(), value)
            return value

    def written(self) -> None:
        """A write happened: recompute the known values once writes settle (background).
        Called inside the write: never waits for a computation in progress."""
        with self._refresher_lock:
            if self._refresher is not None or not self._computers:
                return
            self._refresher = threading.Thread(target=self._refresh, daemon=True,
                                               name="dskg-cache-refresh")
            self._refresher.start()

    def _refresh(self) -> None:
        try:
            seen = self.counter.value
            while True:  # wait until no write came for `settle` seconds
                time.sleep(self.settle)
                if self.counter.value == seen:
                    break
                seen = self.counter.value
            for key, compute in list(self._computers.items()):
                # A failure here is left to the next page that asks, which reports it.
                with contextlib.suppress(Exception):
                    self.get(key, compute)
        finally:
            with self._refresher_lock:
                self._refresher = None
            if self.counter.value != seen:
                self.written()  # writes came during the refresh: go again
