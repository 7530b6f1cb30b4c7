"""Load: async clients mixing SPARQL reads, REST gets and lists, creates, replaces (If-Match, so
racing editors get the expected 412) and deletes in several data spaces; latencies per kind,
with the same operation called in-process (no HTTP) as the baseline."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from harness.ledger import Ledger
from harness.node import (
    ADMIN,
    ADMIN_TOKEN,
    BASE_IRI,
    SIMPLE_QUERY,
    SOAK_IRI,
    SPACES,
    TURTLE,
    org_body,
    rest_id,
    versions_in,
)

OPERATIONS = {"sparql": 20, "get": 20, "list": 15, "create": 12, "replace": 12, "hot-read": 8,
              "hot-replace": 8, "delete": 5}
EXPECTED = {"sparql": {200}, "get": {200}, "list": {200}, "create": {201}, "replace": {200},
            "hot-read": {200}, "hot-replace": {200, 412}, "delete": {204}, "conflict": {409}}
LIST_FILTERS = [{"dataspace": s.rsplit("/", 1)[-1], "limit": "20"} for s in SPACES] + [
    {"tier": "project", "limit": "20"}, {"q": "data", "limit": "10"}]
GET_TARGETS = [("dataspaces", s.rsplit("/", 1)[-1]) for s in SPACES] + [
    ("organisations", "efsa"), ("organisations", "agdatahub")]


@dataclass
class LoadStats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    expected_conflicts: Counter[int] = field(default_factory=Counter)
    half_seen: int = 0
    seconds: float = 0.0

    def record(self, kind: str, seconds: float, status: int | str) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.statuses[f"{kind} {status}"] += 1
        if status not in EXPECTED[kind]:
            self.errors[f"{kind} {status}"] += 1
        elif status in (409, 412):
            self.expected_conflicts[int(status)] += 1

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())


async def _client(index: int, base: str, deadline: float, ledger: Ledger, stats: LoadStats,
                  hot: list[str], seed: int) -> None:
    rng = random.Random(seed)
    own: list[str] = []
    kinds, weights = list(OPERATIONS), list(OPERATIONS.values())
    limits = httpx.Limits(max_connections=2)
    async with httpx.AsyncClient(base_url=base, timeout=120, headers=ADMIN,
                                 limits=limits) as http:
        number = 0
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            if kind in ("replace", "delete") and not own:
                kind = "create"
            started = time.perf_counter()
            try:
                status = await _operation(http, kind, rng, own, hot, ledger, stats,
                                          f"l{index}-{number}")
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            number += 1
            stats.record(kind, time.perf_counter() - started, status)


async def _operation(http: httpx.AsyncClient, kind: str, rng: random.Random, own: list[str],
                     hot: list[str], ledger: Ledger, stats: LoadStats, name: str) -> int:
    if kind == "sparql":
        return (await http.get("/sparql", params={"query": SIMPLE_QUERY},
                               headers={"Accept": "application/sparql-results+json"})
                ).status_code
    if kind == "get":
        collection, slug = rng.choice(GET_TARGETS)
        return (await http.get(f"/{collection}/{slug}", headers={"Accept": TURTLE})).status_code
    if kind == "list":
        collection = "organisations" if rng.random() < 0.5 else "datasets"
        return (await http.get(f"/{collection}", params=rng.choice(LIST_FILTERS))).status_code
    if kind == "create":
        iri = SOAK_IRI + name
        ledger.send(iri, 0)
        answer = await http.post("/organisations", content=org_body(iri, 0, rng.choice(SPACES)),
                                 headers={"Content-Type": TURTLE})
        if answer.status_code == 201:
            ledger.ack(iri, 0)
            own.append(iri)
            if rng.random() < 0.2:  # the same create again: the expected 409
                again = await http.post("/organisations", content=org_body(iri, 0, SPACES[0]),
                                        headers={"Content-Type": TURTLE})
                stats.record("conflict", 0.0, again.status_code)
        return answer.status_code
    if kind == "replace":
        iri = rng.choice(own)
        version = ledger.acked[iri] + 1
        ledger.send(iri, version)
        answer = await http.put(f"/organisations/{rest_id(iri)}",
                                content=org_body(iri, version, rng.choice(SPACES)),
                                headers={"Content-Type": TURTLE})
        if answer.status_code == 200:
            ledger.ack(iri, version)
        return answer.status_code
    if kind == "delete":
        iri = own.pop(rng.randrange(len(own)))
        ledger.delete_sent.add(iri)
        answer = await http.delete(f"/organisations/{rest_id(iri)}")
        if answer.status_code == 204:
            ledger.ack_delete(iri)
        return answer.status_code
    iri = rng.choice(hot)
    current = await http.get(f"/organisations/{rest_id(iri)}", headers={"Accept": TURTLE})
    seen = versions_in(current.text)
    if current.status_code == 200 and len(seen) != 1:
        stats.half_seen += 1
    if kind == "hot-read" or current.status_code != 200:
        return current.status_code
    version = max(seen) + 1
    ledger.send(iri, version)
    answer = await http.put(f"/organisations/{rest_id(iri)}",
                            content=org_body(iri, version, rng.choice(SPACES)),
                            headers={"Content-Type": TURTLE,
                                     "If-Match": current.headers.get("etag", "")})
    if answer.status_code == 200:
        ledger.ack(iri, version)
    return answer.status_code


@dataclass
class LoadReport:
    stats: LoadStats
    ledger: Ledger
    acked: int
    found: int
    lost: list[str]
    baseline_ms: dict[str, float] = field(default_factory=dict)


async def _final_state(base: str, ledger: Ledger) -> tuple[int, list[str]]:
    """Writes found over HTTP: every acknowledged create/replace/delete is visible."""
    found = 0
    lost: list[str] = []
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        for iri, version in sorted(ledger.acked.items()):
            answer = await http.get(f"/organisations/{rest_id(iri)}", headers={"Accept": TURTLE})
            if iri in ledger.deleted:
                ok = answer.status_code == 404
            else:
                ok = answer.status_code == 200 and versions_in(answer.text) == {version}
            if ok:
                found += 1
            else:
                lost.append(f"{iri}: acknowledged v{version}"
                            f"{' deleted' if iri in ledger.deleted else ''}, "
                            f"found {answer.status_code} {sorted(versions_in(answer.text))}")
    return found, lost


def load_soak(base: str, clients: int, seconds: float, seed: int = 11) -> LoadReport:
    """``clients`` concurrent clients for ``seconds`` against a running node."""
    ledger = Ledger()
    stats = LoadStats()
    hot = [f"{SOAK_IRI}hot-{i}" for i in range(len(SPACES))]
    with httpx.Client(base_url=base, timeout=120, headers=ADMIN) as http:
        for iri, space in zip(hot, SPACES, strict=True):
            answer = http.post("/organisations", content=org_body(iri, 0, space),
                               headers={"Content-Type": TURTLE})
            if answer.status_code != 201:
                raise RuntimeError(f"cannot create {iri}: {answer.status_code} {answer.text}")
            ledger.ack(iri, 0)

    async def run() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_client(i, base, deadline, ledger, stats, hot, seed + i)
                               for i in range(clients)))

    started = time.perf_counter()
    asyncio.run(run())
    stats.seconds = time.perf_counter() - started
    found, lost = asyncio.run(_final_state(base, ledger))
    return LoadReport(stats=stats, ledger=ledger, acked=len(ledger.acked), found=found,
                      lost=lost)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 if ordered else 0.0


def in_process_baseline(runs: int = 30) -> dict[str, float]:
    """Median ms of the same operations called in-process (services, no HTTP, no load)."""
    from kg import services
    from kg.auth import Principal
    from kg.services import ServiceContext
    from kg.services.listing import Filters
    from kg.settings import Settings
    from kg.sparql import QueryService
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore()
    from kg.defaultgraph import load_default_graph

    load_default_graph(store, BASE_IRI)
    settings = Settings(store="memory", admin_token=ADMIN_TOKEN, base_iri=BASE_IRI,
                        load_default_graph=False)
    ctx = ServiceContext(store, settings)
    admin = Principal(subject="admin", role="admin")
    kind = services.KINDS["organisations"]
    timings: dict[str, list[float]] = {}

    def timed(name: str, fn: Callable[[], object]) -> None:
        started = time.perf_counter()
        fn()
        timings.setdefault(name, []).append(time.perf_counter() - started)

    for i in range(runs):
        iri = f"{SOAK_IRI}baseline-{i}"
        timed("sparql", lambda: QueryService(store, settings).select(SIMPLE_QUERY))
        timed("get", lambda: services.serialize(
            services.get_resource(ctx, services.KINDS["dataspaces"], "agdatahub").graph,
            "turtle"))
        timed("list", lambda: services.list_resources(
            ctx, kind, Filters(dataspace="agdatahub"), limit=20))
        timed("create", lambda iri=iri: services.create(
            ctx, admin, kind, org_body(iri, 0, SPACES[0]).encode(), TURTLE))
        timed("replace", lambda iri=iri: services.replace(
            ctx, admin, kind, rest_id(iri), org_body(iri, 1, SPACES[1]).encode(), TURTLE, None))
        timed("delete", lambda iri=iri: services.delete(ctx, admin, kind, rest_id(iri)))
    return {name: statistics.median(values) * 1000 for name, values in timings.items()}
