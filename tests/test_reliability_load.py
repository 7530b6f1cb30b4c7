"""Load and runaway queries against a real `dskg serve` process (the short version of
``python -m bench.soak``: 10 clients for 5 s instead of 50 for 60 s)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.ledger import check_store
from harness.load import load_soak
from harness.node import SIMPLE_QUERY, Server, start_server
from harness.runaway import CROSS_COUNT, runaway

TIMEOUT = 2.0
POINT_QUERY = ("PREFIX dct: <http://purl.org/dc/terms/> "
               "SELECT ?title WHERE { <https://example.org/nothing> dct:title ?title }")
LIMIT = 10_000


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    folder = tmp_path_factory.mktemp("node")
    # As many query slots as clients: this test is about losing nothing under load; the
    # bound's 503 at once is tested on its own below.
    server = start_server(folder / "store", folder / "server.log",
                          DSKG_QUERY_TIMEOUT=str(TIMEOUT), DSKG_RESULT_LIMIT=str(LIMIT),
                          DSKG_QUERY_CONCURRENCY="16")
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
    # As many query slots as clients: this test is about losing nothing under load; the
    # bound's 503 at once is tested on its own below.
    server = start_server(folder / "store", folder / "server.log",
                          DSKG_QUERY_TIMEOUT=str(TIMEOUT), DSKG_RESULT_LIMIT=str(LIMIT),
                          DSKG_QUERY_CONCURRENCY="16")
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
    """CPU time (user + system) of a process and of every live process under it: a query
    worker still evaluating would show here."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        own = int(stat.parent.name)
        if own == pid or _descends(own, pid):
            total += (int(fields[11]) + int(fields[12])) / 100  # utime + stime, clock ticks
    return total


def _descends(child: int, ancestor: int) -> bool:
    while child > 1:
        try:
            child = int(Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            return False
        if child == ancestor:
            return True
    return False


def test_a_timed_out_query_stops_using_cpu(query_node: Server) -> None:
    with httpx.Client(base_url=query_node.base, timeout=60) as client:
        started = time.monotonic()
        answer = client.get("/sparql", params={"query": CROSS_COUNT.replace("?i", "?j")})
        waited = time.monotonic() - started
        assert answer.status_code == 503
        assert "ran longer than" in answer.json()["detail"]
        assert waited < TIMEOUT + 1.0  # answered at its deadline
        before = _cpu_seconds(query_node.process.pid)
        time.sleep(2.0)
        used = _cpu_seconds(query_node.process.pid) - before
    assert used < 0.4, f"{used:.2f} s of CPU in 2 s after the query was 'stopped'"


@pytest.fixture(scope="module")
def one_slot_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("one-slot-node")
    server = start_server(folder / "store", folder / "server.log",
                          DSKG_QUERY_TIMEOUT=str(TIMEOUT), DSKG_QUERY_CONCURRENCY="1")
    try:
        yield server
    finally:
        server.kill()


def test_queries_beyond_the_concurrency_bound_get_503_at_once(one_slot_node: Server) -> None:
    import threading

    runaway_answer: list[int] = []

    def run_away() -> None:
        with httpx.Client(base_url=one_slot_node.base, timeout=60) as client:
            runaway_answer.append(client.get("/sparql", params={"query": CROSS_COUNT}
                                             ).status_code)

    thread = threading.Thread(target=run_away)
    thread.start()
    time.sleep(0.5)  # the runaway query holds the only slot
    with httpx.Client(base_url=one_slot_node.base, timeout=60) as client:
        started = time.monotonic()
        busy = client.get("/sparql", params={"query": SIMPLE_QUERY})
        waited = time.monotonic() - started
        assert busy.status_code == 503, busy.text
        assert busy.headers["retry-after"] == "1"
        assert "DSKG_QUERY_CONCURRENCY" in busy.json()["detail"]
        assert waited < 1.0
        # a point look-up (one pattern on a given subject) needs no slot: answered at once
        point = client.get("/sparql", params={"query": POINT_QUERY},
                           headers={"Accept": "application/sparql-results+json"})
        assert point.status_code == 200, point.text
        assert point.json()["results"]["bindings"] == []
        assert runaway_answer == []  # the runaway query still held the slot
        thread.join()
        assert runaway_answer == [503]
        assert client.get("/sparql", params={"query": SIMPLE_QUERY}).status_code == 200
