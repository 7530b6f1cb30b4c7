"""Crash safety: SIGKILL while writing leaves whole descriptions; SIGTERM drains writes.

Real ``dskg serve`` / ``dskg load`` / ``dskg harvest`` processes on an on-disk store. The
full 20-kill run is ``python -m bench.soak``; here 5 kills keep the file under ~90 s.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import httpx
from rdflib import URIRef

from harness.crash import crash_loop
from harness.node import (
    ADMIN,
    ADMIN_TOKEN,
    SOAK_IRI,
    SPACES,
    TURTLE,
    federation_available,
    org_body,
    start_server,
)
from kg.backup import check_integrity
from kg.store.embedded import EmbeddedStore

KILLS = 5
#: triples of the write in flight at SIGTERM (a few seconds of parsing and validating)
TRIPLES = 15_000


def test_sigkill_at_random_moments_loses_no_acknowledged_write() -> None:
    report = crash_loop(KILLS, seed=3)
    assert report.failures == []
    assert report.survived == report.kills == KILLS
    assert report.by_kind["rest"] >= 3 and report.by_kind["load"] == 1
    if federation_available():
        assert report.by_kind["harvest"] == 1
    assert report.acked > 0
    assert report.found == report.acked


def _in_flight(base: str) -> int:
    metrics = httpx.get(base + "/metrics", timeout=10).text
    line = next(x for x in metrics.splitlines() if x.startswith("dskg_http_requests_in_flight"))
    return int(float(line.split()[-1])) - 1  # this request is one of them


def test_sigterm_finishes_writes_in_flight_and_refuses_new_ones(tmp_path: Path) -> None:
    store, log = tmp_path / "store", tmp_path / "server.log"
    server = start_server(store, log, DSKG_LOG_FORMAT="json", DSKG_LOG_LEVEL="info")
    graph = "https://soak.example.org/graph/big"
    # Big enough that parsing and validating it takes a while: it is in flight at SIGTERM.
    body = "".join(f"<https://soak.example.org/big/s{i}> <http://www.w3.org/2000/01/rdf-schema"
                   f'#label> "label {i}" .\n' for i in range(TRIPLES)).encode()
    answers: dict[str, httpx.Response] = {}

    def slow_write() -> None:
        answers["slow"] = httpx.put(f"{server.base}/graphs", params={"graph": graph},
                                    content=body, headers={**ADMIN, "Content-Type": TURTLE},
                                    timeout=120)

    writer = threading.Thread(target=slow_write)
    writer.start()
    deadline = time.monotonic() + 30
    while _in_flight(server.base) < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    late = f"{SOAK_IRI}too-late"
    refused = httpx.post(f"{server.base}/organisations", content=org_body(late, 0, SPACES[0]),
                         headers={**ADMIN, "Content-Type": TURTLE}, timeout=30)
    health = httpx.get(f"{server.base}/health", timeout=30)
    writer.join(120)
    code = server.process.wait(60)

    assert refused.status_code == 503, refused.text
    assert refused.headers["Retry-After"] and "shutting down" in refused.json()["detail"]
    assert health.status_code == 200  # reads are still served while draining
    assert answers["slow"].status_code in (201, 204), answers["slow"].text
    assert code in (0, -signal.SIGTERM)

    opened = EmbeddedStore(store)
    try:
        assert opened.triple_count(URIRef(graph)) == TRIPLES
        assert not opened.query("ASK { ?s ?p ?o }", {"s": URIRef(late)}).boolean
        assert check_integrity(opened).ok
    finally:
        opened.close()

    lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    assert any(r.get("event") == "drain" for r in records)
    access = [r for r in records if r.get("logger") == "dskg.access"]
    assert {"method", "path", "status", "duration_ms"} <= set(access[0])
    assert ADMIN_TOKEN not in log.read_text()


def test_the_integrity_check_sees_half_descriptions() -> None:
    """The check the kill loop relies on: one missing triple, graph or record shows."""
    from tests.rest_support import ecosystem_store

    store = ecosystem_store()
    assert check_integrity(store).ok
    first, second = [g for g in store.graph_names() if "/graph/organisation/" in str(g)][:2]
    store.update(f"DELETE {{ GRAPH <{first}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{first}> "
                 "{ ?s ?p ?o } } ; " f"DROP GRAPH <{second}> ; "
                 "INSERT DATA { GRAPH <urn:unrecorded> { <urn:a> <urn:b> <urn:c> } }")
    report = check_integrity(store)
    assert set(report.missing) == {str(first), str(second)}
    assert report.unrecorded == ["urn:unrecorded"]
    store.update(f"INSERT DATA {{ GRAPH <{first}> {{ <urn:a> <urn:b> <urn:c> }} }}")
    assert str(first) in check_integrity(store).mismatched
