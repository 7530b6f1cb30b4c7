"""Values computed from the whole graph (the home picture, form choices), kept until a write.

A ``WriteCounter`` is bumped by every write the app serves; a cached value remembers the
count it was computed at and is recomputed when the count moved on, or when it is older than
its time to live (which bounds staleness after writes made outside the app: a scheduled
harvest, another process on a shared store).
"""

from __future__ import annotations

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
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.counter = counter
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[str, tuple[int, float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        generation = self.counter.value
        entry = self._entries.get(key)
        if entry is not None and entry[0] == generation and self.clock() - entry[1] < self.ttl:
            return entry[2]
        with self._lock:  # one computation at a time; others wait and reuse it
            entry = self._entries.get(key)
            if entry is not None and entry[0] == generation and \
                    self.clock() - entry[1] < self.ttl:
                return entry[2]
            value = compute()
            self._entries[key] = (generation, self.clock(), value)
            return value
