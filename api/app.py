"""The FastAPI application: one store, the settings, and every area's router."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import problems, ratelimit
from kg import __version__
from kg.bulkcommit import recover_interrupted_loads
from kg.defaultgraph import load_default_graph
from kg.migrate import migrate
from kg.services.changefeed import ChangeFeed
from kg.services.textindex import text_index_for
from kg.settings import Settings
from kg.store import Store, open_store
from kg.tokens import check_tokens_file

#: Area routers, included when present (each module exposes ``router``).
ROUTE_MODULES = ("health", "lifecycle", "sparql", "validation", "policy", "gaiax", "rest",
                 "graphs", "catalog", "federation", "web", "ops", "docs", "dsp")


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Build the app. Without ``store``, open the configured one (loading the default graph
    on first start); the app closes only a store it opened itself."""
    settings = settings or Settings.from_env()
    owns_store = store is None
    store = store if store is not None else open_store(settings)
    check_tokens_file(settings)  # a damaged token file stops the start, with its position
    recover_interrupted_loads(store)  # a `dskg load` killed half-way is undone first
    migrate(store, settings.base_iri)  # a store of an earlier version: graphs, owners
    if settings.load_default_graph:
        load_default_graph(store, settings.base_iri)
    index = text_index_for(store, settings)
    if index is not None:
        index.ready()  # built in the background before the first search
    # Other processes write to a shared engine too: learn of their writes from it.
    feed = ChangeFeed(store, settings.shared_refresh) if store.shared_with_other_writers \
        else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if feed is not None:
            feed.start()
        yield
        if feed is not None:
            feed.stop()
        if owns_store:
            store.close()

    app = FastAPI(
        title="dataspace-kg",
        version=__version__,
        description="Knowledge graph of the European data-space ecosystem: SPARQL 1.1, "
        "REST and Linked Data over organisations, data spaces, datasets and ODRL policies.",
        lifespan=lifespan,
        # /docs and /redoc are served by api.routes.docs with assets from the node itself
        # (FastAPI's own pages load them from a CDN, which our CSP blocks).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    problems.install(app)
    ratelimit.install(app, settings)  # innermost: sees the 401s the routes answer
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["*"], allow_headers=["*"],
                           expose_headers=["Link", "ETag", "Location"])
    # before the REST routes: their /{kind} would take /submissions
    app.include_router(importlib.import_module("api.routes.submissions").router)
    for name in ROUTE_MODULES:
        if importlib.util.find_spec(f"api.routes.{name}") is not None:
            module = importlib.import_module(f"api.routes.{name}")
            app.include_router(module.router)
            if hasattr(module, "install"):  # app-wide hooks (metrics middleware)
                module.install(app)
    return app
