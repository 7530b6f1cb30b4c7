"""Kept for tests written against ``tests.servers``: the servers live in ``harness.servers``
(shared with the benchmarks); new code imports them from there."""

from harness.servers import (
    VIRTUOSO,
    VIRTUOSO_USER,
    Virtuoso,
    free_port,
    oxigraph_server,
    serve_app,
    virtuoso_server,
    wait_until_up,
)

__all__ = ["VIRTUOSO", "VIRTUOSO_USER", "Virtuoso", "free_port", "oxigraph_server", "serve_app",
           "virtuoso_server", "wait_until_up"]
