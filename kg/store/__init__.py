"""The store: one interface (``base.Store``), an embedded and a remote implementation."""

from __future__ import annotations

from kg.settings import Settings
from kg.store.answers import QueryResult, SerializedResult
from kg.store.base import Store


def open_store(settings: Settings) -> Store:
    """The store named by ``DSKG_STORE``: ``memory``, a path, or an http(s) endpoint URL."""
    if settings.store_is_remote:
        from kg.store.remote import EngineCredentials, RemoteStore

        store = RemoteStore(settings.store, settings.store_update_url, settings.store_gsp_url,
                            credentials=EngineCredentials(
                                settings.store_user, settings.store_password,
                                settings.store_token, settings.store_password_source),
                            chunk=settings.store_chunk,
                            gsp_workers=settings.store_gsp_workers)
        try:
            store.check_access()  # refused credentials: a ConfigError naming the variables
        except BaseException:
            store.close()
            raise
        return store
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
