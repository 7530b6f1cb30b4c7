"""Load and runaway queries against a real `dskg serve` process (the short version of
``python -m bench.soak``: 10 clients for 5 s instead of 50 for 60 s)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.soak import (
    CROSS_COUNT,
    SIMPLE_QUERY,
    Server,
    check_store,
    load_soak,
    runaway,
    start_server,
)

TIMEOUT = 2.0
LIMIT = 10_000


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    folder = tmp_path_factory.mktemp("node")
    server = start_server(folder / "store", folder / "server.log",
                          DSKG_QUERY_TIMEOUT=str(TIMEOUT), DSKG_RESULT_LIMIT=str(LIMIT))
    try:
        yield server, folder / "store"
    finally:
        server.kill()


def test_mixed_load_loses_nothing_and_shows_no_half_description(
        node: tuple[Server, Path]) -> None:
    server, store = node
    report = load_soak(server.base, clients=10, seconds=5)
    stats = report.stats
    assert stats.errors == {}, stats.errors
    assert stats.half_seen == 0
    assert stats.requests > 50
    assert {"sparql", "get", "list", "create", "replace", "hot-read", "hot-replace"} <= set(
        stats.latencies)
    assert report.lost == [] and report.found == report.acked > 0
    server.terminate()  # SIGTERM: the store is closed cleanly, then checked offline
    check = check_store(store, report.ledger)
    assert check.ok, (check.integrity, check.problems)
    assert check.found == check.acked == report.acked


@pytest.fixture(scope="module")
def query_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("query-node")
    server = start_server(folder / "store", folder / "server.log",
                          DSKG_QUERY_TIMEOUT=str(TIMEOUT), DSKG_RESULT_LIMIT=str(LIMIT))
    try:
        yield server
    finally:
        server.kill()  # also ends the abandoned runaway evaluation


def test_simple_query_latency_baseline(query_node: Server) -> None:
    """Without a runaway query, the simple query is well under the 100 ms budget."""
    samples = []
    with httpx.Client(base_url=query_node.base, timeout=30) as client:
        for _ in range(10):
            started = time.perf_counter()
            assert client.get("/sparql", params={"query": SIMPLE_QUERY}).status_code == 200
            samples.append((time.perf_counter() - started) * 1000)
    assert statistics.median(samples) < 100


def test_runaway_queries_are_stopped_while_simple_ones_answer(query_node: Server) -> None:
    report = runaway(query_node.base, TIMEOUT)
    assert report.stopped == report.sent == 2, report.answers
    assert report.answers[0].startswith("413") and f"more than {LIMIT}" in report.answers[0]
    assert report.answers[1].startswith("503") and "ran longer than" in report.answers[1]
    assert len(report.simple_ms) >= 5
    assert report.simple_p50 < 100, report.simple_ms


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks


@pytest.mark.xfail(strict=True, reason="pyoxigraph 0.5 cannot cancel a query: after the "
                   "timeout answer, an aggregate over a cross product keeps evaluating in its "
                   "abandoned thread (kg/store/embedded.py _Deadline) and burns a core until "
                   "the process ends; a few such requests starve the node")
def test_a_timed_out_query_stops_using_cpu(query_node: Server) -> None:
    with httpx.Client(base_url=query_node.base, timeout=60) as client:
        answer = client.get("/sparql", params={"query": CROSS_COUNT.replace("?i", "?j")})
        assert answer.status_code == 503
        time.sleep(0.5)
        before = _cpu_seconds(query_node.process.pid)
        time.sleep(2.0)
        used = _cpu_seconds(query_node.process.pid) - before
    assert used < 0.4, f"{used:.2f} s of CPU in 2 s after the query was 'stopped'"
