"""The store: one interface (``base.Store``), an embedded and a remote implementation."""

from __future__ import annotations

from kg.settings import Settings
from kg.store.base import QueryResult, SerializedResult, Store


def open_store(settings: Settings) -> Store:
    """The store named by ``DSKG_STORE``: ``memory``, a path, or an http(s) endpoint URL."""
    if settings.store_is_remote:
        from kg.store.remote import RemoteStore

        return RemoteStore(settings.store, settings.store_update_url, settings.store_gsp_url)
    from kg.store.embedded import EmbeddedStore

    workers = settings.query_concurrency
    if settings.store == "memory":
        return EmbeddedStore(query_workers=workers)
    return EmbeddedStore(settings.store, query_workers=workers)


def memory_store() -> Store:
    """A fresh in-memory store (staging area for the write path, tests, benchmarks)."""
    from kg.store.embedded import EmbeddedStore

    return EmbeddedStore()


__all__ = ["QueryResult", "SerializedResult", "Store", "memory_store", "open_store"]
