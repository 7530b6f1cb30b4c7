"""The FastAPI application, assembled in plain sight.

``create_app`` opens the node (``kg.node.open_node``: the store made ready, as for every
CLI command), adds the error handlers (``api.problems``), the middlewares
(``api.middleware``, in their order), the static files and every router below, one line
each. The lifespan starts and stops the node's background work: the change feed of a shared
engine, the draining SIGTERM handler and log format (``api.routes.lifecycle.serving``), and
the peers' harvest schedule.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from api import middleware, problems
from api.routes import (
    catalog,
    docs,
    dsp,
    federation,
    gaiax,
    graphs,
    health,
    lifecycle,
    ops,
    policy,
    rest,
    sparql,
    submissions,
    validation,
    web,
)
from api.web.state import WebState
from api.web.templates import STATIC_DIR
from kg import __version__
from kg import logging as dskg_logging
from kg.dsp.catalog import DspConfig
from kg.federation import HarvestScheduler
from kg.node import Node, open_node
from kg.settings import Settings
from kg.store import Store


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Build the app. Without ``store``, open the configured one; the app closes only a
    store it opened itself."""
    settings = settings or Settings.from_env()
    log_format = dskg_logging.log_format()  # a wrong DSKG_LOG_FORMAT stops here,
    dskg_logging.log_level()  # and a wrong DSKG_LOG_LEVEL,
    DspConfig.of(settings)  # and a wrong [dsp] table, before the store is opened
    node = open_node(settings, store, serving=True)
    app = FastAPI(
        title="dataspace-kg",
        version=__version__,
        description="Knowledge graph of the European data-space ecosystem: SPARQL 1.1, "
        "REST and Linked Data over organisations, data spaces, datasets and ODRL policies.",
        lifespan=_lifespan(node),
        # /docs and /redoc are served by api.routes.docs with assets from the node itself
        # (FastAPI's own pages load them from a CDN, which our CSP blocks).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = node.store
    app.state.context = node.context  # what api.deps.ContextDep hands every route
    app.state.log_format = log_format
    app.state.web = WebState(node.store)  # the pages' caches, emptied by every write
    problems.install(app)
    middleware.install(app, settings, json_logs=log_format == "json")
    # before the REST routes: their /{kind} would take /submissions
    app.include_router(submissions.router)
    app.include_router(health.router)
    app.include_router(lifecycle.router)
    app.include_router(sparql.router)
    app.include_router(validation.router)
    app.include_router(policy.router)
    app.include_router(gaiax.router)
    app.include_router(rest.router)
    app.include_router(graphs.router)
    app.include_router(catalog.router)
    app.include_router(federation.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(ops.router)
    app.include_router(docs.router)
    app.include_router(dsp.router)
    return app


def _lifespan(node: Node) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        node.start()
        try:
            async with lifecycle.serving(app):
                scheduler = HarvestScheduler.for_settings(node.store, node.settings)
                app.state.harvest_scheduler = scheduler
                scheduler.start()
                try:
                    yield
                finally:
                    await run_in_threadpool(scheduler.stop)
        finally:
            node.close()

    return lifespan
