"""What single decisions share, kept per store until the store changes.

A decision needs the target's offers (different for every dataset) and much that is the same
for thousands of requests: the rulebook and framework policies above each data space, the
assignee's organisation and memberships, the hierarchies of the concepts policies compare
with, the parsed policies, the action hierarchy. Those are kept here and forgotten on every
change event of the store (``Store.subscribe``), whichever path wrote: a write may change any
of them and telling which would cost more than reading them again. A store that other
processes write to also expires them after ``SHARED_TTL`` seconds.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from rdflib import URIRef

from kg.store.base import Store

#: Entries per table; a full table is emptied (requests then refill what they use).
MAX_ENTRIES = 20_000
SHARED_TTL = 30.0


@dataclass
class _Tables:
    created: float = field(default_factory=time.monotonic)
    tables: dict[str, dict[Hashable, Any]] = field(default_factory=dict)


class PolicyCache:
    def __init__(self, store: Store) -> None:
        self._ttl = SHARED_TTL if store.shared_with_other_writers else None
        self._state = _Tables()
        self._lock = threading.Lock()
        self.generation = 0
        store.subscribe(self._on_change)

    def _on_change(self, graphs: frozenset[URIRef] | None) -> None:
        with self._lock:
            self._state = _Tables()
            self.generation += 1

    def table(self, name: str) -> dict[Hashable, Any]:
        """The current table ``name`` (a new empty one after a change)."""
        state = self._state
        if self._ttl is not None and time.monotonic() - state.created > self._ttl:
            with self._lock:
                if self._state is state:
                    self._state = state = _Tables()
                    self.generation += 1
                state = self._state
        table = state.tables.get(name)
        if table is None:
            table = state.tables.setdefault(name, {})
        return table

    def get(self, name: str, key: Hashable, make: Callable[[], Any],
            max_entries: int = MAX_ENTRIES) -> Any:
        table = self.table(name)
        try:
            return table[key]
        except KeyError:
            pass
        value = make()
        if len(table) >= max_entries:
            table.clear()
        table[key] = value
        return value


_CACHES: weakref.WeakKeyDictionary[Store, PolicyCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def policy_cache_for(store: Store) -> PolicyCache:
    """The one policy cache of ``store`` (made on first use, then kept current)."""
    with _CACHES_LOCK:
        cache = _CACHES.get(store)
        if cache is None:
            cache = _CACHES[store] = PolicyCache(store)
        return cache
