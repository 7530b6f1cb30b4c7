"""The web pages' caches of one app (``app.state.web``, made by ``api.app.create_app``)."""

from __future__ import annotations

from typing import Any

from kg.store import Store
from kg.web.cache import WriteAwareCache, WriteCounter


class WebState:
    """Caches of whole-graph values (home picture, form choices, names), emptied by every
    write through the app's store, whoever makes it (REST, a scheduled harvest, SPARQL
    Update), and after ``WriteAwareCache.ttl`` for writes by other processes."""

    def __init__(self, store: Store) -> None:
        self.writes = WriteCounter()
        self.cache = WriteAwareCache(self.writes)
        store.subscribe(self._on_change)

    def _on_change(self, graphs: frozenset | None) -> None:
        self.writes.bump()
        self.cache.written()


def web_state(app: Any) -> WebState:
    return app.state.web
