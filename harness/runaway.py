"""Runaway queries: a cross product stopped by the timeout, another by the result cap, while
simple queries keep answering."""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field

import httpx

from harness.load import SIMPLE_QUERY

CROSS_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CROSS_ROWS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"


@dataclass
class RunawayReport:
    sent: int = 0
    stopped: int = 0
    answers: list[str] = field(default_factory=list)
    simple_ms: list[float] = field(default_factory=list)

    @property
    def simple_p50(self) -> float:
        return statistics.median(self.simple_ms) if self.simple_ms else float("nan")


def runaway(base: str, timeout: float) -> RunawayReport:
    """A timeout-bound and a cap-bound cross product, simple queries alongside."""
    report = RunawayReport()
    done = threading.Event()

    def simple_queries() -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            http.get("/sparql", params={"query": "ASK {}"})
            while not done.is_set():
                started = time.perf_counter()
                http.get("/sparql", params={"query": SIMPLE_QUERY})
                report.simple_ms.append((time.perf_counter() - started) * 1000)
                time.sleep(0.05)

    side = threading.Thread(target=simple_queries, daemon=True)
    side.start()
    time.sleep(0.3)
    with httpx.Client(base_url=base, timeout=timeout + 60) as http:
        for query, wanted in ((CROSS_ROWS, 413), (CROSS_COUNT, 503)):
            report.sent += 1
            started = time.perf_counter()
            answer = http.get("/sparql", params={"query": query})
            took = time.perf_counter() - started
            detail = answer.json().get("detail", "") if answer.headers.get(
                "content-type", "").startswith("application/problem+json") else answer.text
            report.answers.append(f"{answer.status_code} in {took:.1f} s: {detail[:80]}")
            if answer.status_code == wanted and took < timeout + 5:
                report.stopped += 1
    done.set()
    side.join(30)
    return report
