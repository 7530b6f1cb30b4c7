"""Reliability soak: kills, load, runaway queries, fuzzing and outbound probes, one table.

    python -m bench.soak            # 20 kills, 50 clients for 60 s, 2000 fuzz inputs
    python -m bench.soak --quick    # 5 kills, 10 clients for 5 s, 300 fuzz inputs

Every part is bounded. Servers are real ``dskg serve`` processes on an on-disk store in a
temporary folder (127.0.0.1 only); the tests in ``tests/test_reliability_*.py`` run the same
parts with smaller numbers.

- kills: SIGKILL a server while writer threads create and replace descriptions over REST, a
  ``dskg load`` of a few hundred descriptions, or a ``dskg harvest``; after each kill the
  store must open, every graph must match its provenance record (``dskg:tripleCount``), and
  every acknowledged write must be there.
- load: async clients mixing SPARQL reads, REST gets and lists, creates, replaces (If-Match,
  so racing editors get the expected 412) and deletes in several data spaces; any other
  status is an error, a reader must never see a half-replaced description, every
  acknowledged write must be found afterwards. Latencies per kind, with the same operation
  called in-process (no HTTP) as the baseline.
- runaway: a cross product stopped by the timeout, another by the result cap, while simple
  queries keep answering.
- fuzz: random and mutated bodies against every write endpoint (in-process app): 5xx count.
- outbound: inputs that name a loopback listener (remote @context, RDF/XML entities, DID,
  owl:imports, SERVICE, LOAD, FROM, harvest redirects...): connections it saw.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

ADMIN_TOKEN = "soak-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
BASE_IRI = "http://127.0.0.1:8000/"
SOAK_IRI = "https://soak.example.org/id/organisation/"
ID = "https://w3id.org/dskg/id/"
#: Data spaces of the default graph the soak's organisations join.
SPACES = [ID + "dataspace/" + s for s in ("agdatahub", "ds4skills", "connected-urban-twins",
                                          "labour-market-data-trust", "un-pet-lab")]
TURTLE = "text/turtle"
_VERSION = re.compile(r"\bv(\d+)\b")


# -- descriptions ------------------------------------------------------------------------
def org_body(iri: str, version: int, space: str) -> str:
    """An organisation and its membership; the version is in three literals (a reader
    seeing two different versions saw a half-replaced description)."""
    name = iri.rsplit("/", 1)[-1]
    return f"""@prefix dskg: <https://w3id.org/dskg#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{iri}> a org:Organization ;
    skos:prefLabel "Soak organisation {name} v{version}"@en ;
    foaf:name "Soak organisation {name} v{version}" ;
    dct:description "Written by the soak, v{version}."@en ;
    dskg:country "ES" .
[] a org:Membership ; org:member <{iri}> ; org:organization <{space}> ;
    org:role dskg:DataProvider .
"""


def versions_in(text: str) -> set[int]:
    """The versions a serialised soak description carries."""
    return {int(v) for v in _VERSION.findall(text)}


def rest_id(iri: str) -> str:
    import base64

    return "~" + base64.urlsafe_b64encode(iri.encode()).decode().rstrip("=")


# -- real server processes ---------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dskg_env(store: Path | str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSKG_")}
    env.update(DSKG_STORE=str(store), DSKG_ADMIN_TOKEN=ADMIN_TOKEN, DSKG_BASE_IRI=BASE_IRI,
               DSKG_LOG_LEVEL="warning", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def dskg_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from kg.cli import main; main()", *args]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def terminate(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return -9

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def start_server(store: Path | str, log: Path, timeout: float = 120, **extra: str) -> Server:
    """``dskg serve`` on a free port; returns once /ready answers 200."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(dskg_command("serve", "--port", str(port)),
                                   env=dskg_env(store, **extra), stdout=out,
                                   stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dskg serve exited with {process.returncode}:\n"
                               f"{server.log_tail()}")
        try:
            if httpx.get(server.base + "/ready", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"dskg serve did not get ready in {timeout:g} s:\n{server.log_tail()}")


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """An in-process app under uvicorn in a thread (a harvest peer); yields its URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/health", timeout=2)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(10)


# -- acknowledged writes -----------------------------------------------------------------
@dataclass
class Ledger:
    """What was sent and what was acknowledged, per soak organisation IRI."""

    acked: dict[str, int] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    delete_sent: set[str] = field(default_factory=set)
    writes_acked: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, iri: str, version: int) -> None:
        with self.lock:
            self.sent[iri] = max(version, self.sent.get(iri, -1))

    def ack(self, iri: str, version: int) -> None:
        with self.lock:
            self.acked[iri] = max(version, self.acked.get(iri, -1))
            self.writes_acked += 1

    def ack_delete(self, iri: str) -> None:
        with self.lock:
            self.deleted.add(iri)
            self.writes_acked += 1


def rest_writer(base: str, ledger: Ledger, stop: threading.Event, prefix: str,
                seed: int) -> None:
    """Create and replace organisations until ``stop`` (or the server dies)."""
    rng = random.Random(seed)
    mine: list[str] = []
    number = 0
    with httpx.Client(base_url=base, timeout=60, headers=ADMIN) as client:
        while not stop.is_set():
            try:
                if mine and rng.random() < 0.5:
                    iri = rng.choice(mine)
                    version = ledger.acked[iri] + 1
                    ledger.send(iri, version)
                    answer = client.put(f"/organisations/{rest_id(iri)}",
                                        content=org_body(iri, version, rng.choice(SPACES)),
                                        headers={"Content-Type": TURTLE})
                    expected = 200
                else:
                    iri = f"{SOAK_IRI}{prefix}-{number}"
                    number += 1
                    version = 0
                    ledger.send(iri, version)
                    answer = client.post("/organisations",
                                         content=org_body(iri, version, rng.choice(SPACES)),
                                         headers={"Content-Type": TURTLE})
                    expected = 201
            except httpx.HTTPError:
                return
            if answer.status_code != expected:
                raise AssertionError(f"{answer.request.method} {iri}: {answer.status_code} "
                                     f"{answer.text[:300]}")
            ledger.ack(iri, version)
            if version == 0:
                mine.append(iri)


# -- the store after a crash -------------------------------------------------------------
@dataclass
class StoreCheck:
    opened: bool = False
    integrity: str = ""
    integrity_ok: bool = False
    acked: int = 0
    found: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.opened and self.integrity_ok and not self.problems


def soak_versions(store: Any) -> dict[str, set[int]]:
    """Soak organisation -> the versions its literals carry (keyed by the resource: its
    description graph has an IRI of its own)."""
    from rdflib import Literal

    result = store.query(
        "SELECT ?s ?text WHERE { GRAPH ?g { ?s ?p ?text } "
        "FILTER(STRSTARTS(STR(?s), ?prefix) && ISLITERAL(?text)) }",
        {"prefix": Literal(SOAK_IRI)})
    found: dict[str, set[int]] = {}
    for g, text in result.rows:
        found.setdefault(str(g), set()).update(versions_in(str(text)))
    return found


def check_store(path: Path | str, ledger: Ledger, expect: Callable[[Any], list[str]]
                | None = None) -> StoreCheck:
    """Open the on-disk store and check it against the ledger (and ``expect``)."""
    from kg.backup import check_integrity
    from kg.bulkcommit import recover_interrupted_loads
    from kg.store.embedded import EmbeddedStore

    check = StoreCheck()
    try:
        store = EmbeddedStore(path)
    except Exception as exc:
        check.problems.append(f"the store does not open: {exc}")
        return check
    check.opened = True
    try:
        # What the node does when it opens a store: a load cut short is undone first.
        recover_interrupted_loads(store)
        integrity = check_integrity(store)
        check.integrity, check.integrity_ok = integrity.summary(), integrity.ok
        versions = soak_versions(store)
        for iri, version in sorted(ledger.acked.items()):
            check.acked += 1
            present = versions.get(iri)
            if iri in ledger.deleted:
                if present is None:
                    check.found += 1
                else:
                    check.problems.append(f"{iri}: deleted (acknowledged) but present")
            elif present is None:
                if iri not in ledger.delete_sent:
                    check.problems.append(f"{iri}: acknowledged v{version} but absent")
            elif len(present) != 1:
                check.problems.append(f"{iri}: half-replaced, versions {sorted(present)}")
            elif not version <= min(present) <= ledger.sent.get(iri, version):
                check.problems.append(f"{iri}: v{min(present)} stored, v{version} "
                                      "acknowledged")
            else:
                check.found += 1
        for iri, present in versions.items():
            if len(present) != 1 and iri not in ledger.acked:
                check.problems.append(f"{iri}: half-written, versions {sorted(present)}")
        if expect is not None:
            check.problems += expect(store)
    finally:
        store.close()
    return check


# -- kills -------------------------------------------------------------------------------
@dataclass
class CrashReport:
    kills: int = 0
    survived: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    writes: int = 0
    acked: int = 0
    found: int = 0
    failures: list[str] = field(default_factory=list)


def synthetic_file(folder: Path, cycle: int, datasets: int = 250) -> tuple[Path, str]:
    """A bulk-sized N-Quads file whose IRIs are unique to ``cycle``; returns (path, prefix)."""
    from bench.generate import generate_lines

    prefix = f"https://w3id.org/dskg/synthetic-{cycle}/"
    path = folder / f"load-{cycle}.nq"
    with path.open("w", encoding="utf-8") as out:
        for line in generate_lines(datasets, seed=cycle):
            out.write(line.replace("https://w3id.org/dskg/synthetic/", prefix))
    return path, prefix


def graphs_with_prefix(store: Any, prefix: str) -> int:
    from rdflib import Literal

    result = store.query("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                         "FILTER(STRSTARTS(STR(?g), ?prefix)) }", {"prefix": Literal(prefix)})
    return int(result.rows[0][0])


def _rest_cycle(store: Path, log: Path, ledger: Ledger, cycle: int, rng: random.Random,
                writers: int) -> None:
    server = start_server(store, log)
    stop = threading.Event()
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            rest_writer(server.base, ledger, stop, f"c{cycle}w{index}", rng.randrange(1 << 30))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(writers)]
    before = ledger.writes_acked
    for thread in threads:
        thread.start()
    # Kill at a random moment once writes are being acknowledged (the first ones are slow).
    deadline = time.monotonic() + 60
    while ledger.writes_acked == before and time.monotonic() < deadline and not errors:
        time.sleep(0.02)
    time.sleep(rng.uniform(0.1, 2.0))
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(60)
    if errors:
        raise AssertionError(f"a writer failed before the kill: {errors[0]}")


def _load_cycle(store: Path, folder: Path, cycle: int, rng: random.Random
                ) -> Callable[[Any], list[str]]:
    path, prefix = synthetic_file(folder, cycle)
    total = len({line.rsplit(" ", 2)[-2] for line in path.read_text().splitlines()})
    process = subprocess.Popen(dskg_command("load", str(path)), env=dskg_env(store),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output, _ = process.communicate(timeout=rng.uniform(2.0, 9.0))
        done = process.returncode == 0 and b"description(s)" in output
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.communicate()
        done = False

    def expect(opened: Any) -> list[str]:
        present = graphs_with_prefix(opened, prefix)
        if done and present != total:
            return [f"dskg load said done but {present} of {total} graphs are there"]
        if present not in (0, total):
            return [f"dskg load left {present} of {total} graphs (half a load)"]
        return []

    return expect


def _harvest_cycle(store: Path, folder: Path, peer: str, rng: random.Random
                   ) -> Callable[[Any], list[str]]:
    config = folder / "harvest.toml"
    config.write_text(f'[node]\nname = "soak"\n[[peers]]\nname = "peer"\n'
                      f'catalog = "{peer}/catalog"\ntrust = true\n', encoding="utf-8")
    process = subprocess.Popen(dskg_command("harvest", "peer"),
                               env=dskg_env(store, DSKG_CONFIG=str(config)),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        process.communicate(timeout=rng.uniform(1.5, 8.0))
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.communicate()
    return lambda _store: []


def federation_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("kg.federation") is not None


def crash_loop(kills: int, seed: int = 7, writers: int = 4, folder: Path | None = None
               ) -> CrashReport:
    """``kills`` SIGKILLs of writing processes on one on-disk store, checked after each."""
    kinds = ["rest", "load", "rest", "harvest", "rest"]
    if not federation_available():
        kinds = ["rest" if k == "harvest" else k for k in kinds]
    report = CrashReport()
    rng = random.Random(seed)
    ledger = Ledger()
    with TemporaryDirectory() as tmp, _harvest_peer() as peer:
        work = folder or Path(tmp)
        store = work / "store"
        for cycle in range(kills):
            kind = kinds[cycle % len(kinds)]
            expect = None
            if kind == "rest":
                _rest_cycle(store, work / "server.log", ledger, cycle, rng, writers)
            elif kind == "load":
                expect = _load_cycle(store, work, cycle, rng)
            else:
                expect = _harvest_cycle(store, work, peer, rng)
            report.kills += 1
            report.by_kind[kind] += 1
            check = check_store(store, ledger, expect)
            report.acked, report.found = check.acked, check.found
            report.writes = ledger.writes_acked
            if check.ok:
                report.survived += 1
            else:
                report.failures.append(f"kill {cycle + 1} ({kind}): "
                                       f"{'; '.join(check.problems[:3]) or check.integrity}")
    return report


@contextmanager
def _harvest_peer() -> Iterator[str]:
    """A peer node (in this process) whose catalog a harvest copies."""
    if not federation_available():
        yield ""
        return
    from api.app import create_app
    from kg.settings import Settings

    app = create_app(Settings(store="memory", base_iri="https://peer.example.org/",
                              admin_token=ADMIN_TOKEN))
    with serve_in_thread(app) as base:
        yield base


# -- load --------------------------------------------------------------------------------
OPERATIONS = {"sparql": 20, "get": 20, "list": 15, "create": 12, "replace": 12, "hot-read": 8,
              "hot-replace": 8, "delete": 5}
EXPECTED = {"sparql": {200}, "get": {200}, "list": {200}, "create": {201}, "replace": {200},
            "hot-read": {200}, "hot-replace": {200, 412}, "delete": {204}, "conflict": {409}}
SIMPLE_QUERY = ("PREFIX dskg: <https://w3id.org/dskg#> PREFIX org: <http://www.w3.org/ns/org#> "
                "SELECT ?m WHERE { ?m org:organization ?space } LIMIT 20")
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


# -- runaway queries ---------------------------------------------------------------------
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


# -- fuzzing -----------------------------------------------------------------------------
def seed_bodies() -> dict[str, bytes]:
    """Valid bodies per media type, the material the mutations start from."""
    from kg.services.examples import JSONLD
    from kg.services.examples import TURTLE as EXAMPLES

    rdfxml = ('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
              'syntax-ns#" xmlns:org="http://www.w3.org/ns/org#" xmlns:skos="http://www.w3.org'
              '/2004/02/skos/core#"><org:Organization rdf:about="https://fuzz.example.org/o">'
              '<skos:prefLabel xml:lang="en">Fuzz</skos:prefLabel></org:Organization>'
              '</rdf:RDF>')
    return {"text/turtle": EXAMPLES["organisations"].encode(),
            "application/ld+json": json.dumps(JSONLD["datasets"]).encode(),
            "application/rdf+xml": rdfxml.encode(),
            "application/n-triples": b'<https://fuzz.example.org/o> <http://www.w3.org/2004/'
                                     b'02/skos/core#prefLabel> "Fuzz"@en .\n'}


#: (method, path, kind of body) of every endpoint that takes a body.
WRITE_ENDPOINTS = [
    ("POST", "/organisations", "rdf"), ("POST", "/dataspaces", "rdf"),
    ("POST", "/datasets", "rdf"), ("POST", "/policies", "rdf"), ("POST", "/memberships", "rdf"),
    ("PUT", "/organisations/agdatahub", "rdf"), ("PUT", "/datasets/agdatahub-farm-data", "rdf"),
    ("PUT", "/graphs?graph=https://fuzz.example.org/g", "rdf"),
    ("POST", "/graphs?graph=https://fuzz.example.org/g", "rdf"), ("POST", "/graphs", "rdf"),
    ("POST", "/sparql", "sparql-query"), ("POST", "/sparql", "sparql-update"),
    ("POST", "/gaiax/credentials", "json"), ("POST", "/gaiax/verify", "json"),
    ("POST", "/policies/evaluate", "json"), ("POST", "/validate", "rdf"),
]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random mutation: truncate, flip, insert, delete, duplicate or splice bytes."""
    if not data:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    choice = rng.randrange(7)
    at = rng.randrange(len(data))
    if choice == 0:
        return data[:at]
    if choice == 1:
        return data[:at] + bytes([rng.randrange(256)]) + data[at + 1:]
    if choice == 2:
        junk = rng.choice([b"{", b"}", b"[", b"<", b">", b'"', b"@", b"\x00", b"\xff", b"&",
                           b"<!ENTITY", b"'", b";", b"\n", b"\\ud800", b"\xed\xa0\x80",
                           b"\\u0000", "\u202e".encode()])
        return data[:at] + junk + data[at:]
    if choice == 3:
        end = min(len(data), at + rng.randrange(1, 64))
        return data[:at] + data[end:]
    if choice == 4:
        return data[:at] + data[at:at + 200] * rng.randrange(2, 5) + data[at:]
    if choice == 5:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 512)))
    return data.replace(b'"', b"'", rng.randrange(1, 4))


def fuzz_input(rng: random.Random, bodies: dict[str, bytes]) -> tuple[str, str, bytes, str]:
    """(method, path, body, content type) of one fuzz request."""
    method, path, kind = rng.choice(WRITE_ENDPOINTS)
    if kind == "rdf":
        media = rng.choice(list(bodies))
        body = bodies[media]
    elif kind == "json":
        media = "application/json"
        body = bodies["application/ld+json"]
    elif kind == "sparql-query":
        media, body = "application/sparql-query", SIMPLE_QUERY.encode()
    else:
        media = "application/sparql-update"
        body = b"INSERT DATA { GRAPH <https://fuzz.example.org/g> { <urn:a> <urn:b> 'c' } }"
    for _ in range(rng.randrange(1, 4)):
        body = mutate(body, rng)
    if rng.random() < 0.1:
        media = rng.choice(["", "text/plain", "application/x-www-form-urlencoded",
                            "multipart/form-data", media + "; charset=latin-1"])
    return method, path, body, media


@dataclass
class FuzzReport:
    tried: int = 0
    server_errors: list[str] = field(default_factory=list)
    slowest: float = 0.0


def fuzz_app(inputs: int, seed: int = 5, deadline: float = 10.0) -> FuzzReport:
    """Send ``inputs`` fuzzed bodies to an in-process app; 5xx and the slowest answer."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from kg.settings import Settings

    rng = random.Random(seed)
    bodies = seed_bodies()
    report = FuzzReport()
    settings = Settings(store="memory", admin_token=ADMIN_TOKEN, base_iri=BASE_IRI,
                        max_body_bytes=1 << 20)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for _ in range(inputs):
            method, path, body, media = fuzz_input(rng, bodies)
            headers = {**ADMIN, "Content-Type": media} if media else dict(ADMIN)
            started = time.perf_counter()
            answer = client.request(method, path, content=body, headers=headers)
            took = time.perf_counter() - started
            report.tried += 1
            report.slowest = max(report.slowest, took)
            if answer.status_code >= 500 or took > deadline:
                report.server_errors.append(f"{method} {path} [{media}] {body[:80]!r}: "
                                            f"{answer.status_code} in {took:.1f} s")
    return report


# -- outbound connections ----------------------------------------------------------------
class Listener:
    """A loopback TCP listener that counts every connection it accepts (and answers 200)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    request = conn.recv(4096)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/turtle\r\n"
                                 b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    request = b""
                self.connections.append(request)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Redirector:
    """A 'peer' whose every answer redirects to ``target`` (a harvest must not follow)."""

    def __init__(self, target: str) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(302)
                self.send_header("Location", target + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def __enter__(self) -> Redirector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _jsonld_org(context: Any) -> bytes:
    return json.dumps({"@context": context, "@id": "https://probe.example.org/o",
                       "@type": "http://www.w3.org/ns/org#Organization",
                       "http://www.w3.org/2004/02/skos/core#prefLabel": "Probe"}).encode()


def _credential(issuer: str, context: list[str] | None = None) -> bytes:
    subject = {"id": "https://probe.example.org/o", "type": "gx:LegalParticipant",
               "gx:legalName": "Probe"}
    return json.dumps({
        "@context": context or ["https://www.w3.org/2018/credentials/v1",
                                "https://w3id.org/security/suites/jws-2020/v1"],
        "type": ["VerifiableCredential"], "id": "https://probe.example.org/vc",
        "issuer": issuer, "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": subject,
        "proof": {"type": "JsonWebSignature2020", "created": "2024-01-01T00:00:00Z",
                  "proofPurpose": "assertionMethod", "verificationMethod": issuer + "#key",
                  "jws": "eyJhbGciOiJFUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il19..c2ln"},
    }).encode()


def _rdfxml(prolog: str, body: str = "x") -> bytes:
    return (f'<?xml version="1.0"?>\n{prolog}\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
            f'22-rdf-syntax-ns#" xmlns:org="http://www.w3.org/ns/org#" xmlns:skos="http://www.'
            f'w3.org/2004/02/skos/core#"><org:Organization rdf:about="https://probe.example.org'
            f'/o"><skos:prefLabel>{body}</skos:prefLabel></org:Organization></rdf:RDF>'
            ).encode()


Probe = Callable[[Any, str], int]


def _post(client: Any, path: str, body: bytes, media: str) -> int:
    return int(client.post(path, content=body, headers={**ADMIN, "Content-Type": media}
                           ).status_code)


def _sparql(client: Any, query: str) -> int:
    return int(client.get("/sparql", params={"query": query}).status_code)


#: name -> probe(client, listener URL) -> status. The client is an app's TestClient.
OUTBOUND_PROBES: dict[str, Probe] = {
    "remote @context": lambda c, url: _post(c, "/organisations", _jsonld_org(url + "/ctx"),
                                            "application/ld+json"),
    "remote @context in a list": lambda c, url: _post(
        c, "/graphs?graph=https://probe.example.org/g",
        _jsonld_org([{"ex": "http://e/"}, url + "/ctx"]), "application/ld+json"),
    "@import in a context": lambda c, url: _post(
        c, "/organisations", _jsonld_org({"@version": 1.1, "@import": url + "/ctx"}),
        "application/ld+json"),
    "RDF/XML external entity": lambda c, url: _post(
        c, "/organisations", _rdfxml(f'<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "{url}/x">]>',
                                     "&x;"), "application/rdf+xml"),
    "RDF/XML external DTD": lambda c, url: _post(
        c, "/organisations", _rdfxml(f'<!DOCTYPE rdf:RDF SYSTEM "{url}/dtd">'),
        "application/rdf+xml"),
    "owl:imports": lambda c, url: _post(
        c, "/graphs?graph=https://probe.example.org/onto",
        f"<https://probe.example.org/onto> a <http://www.w3.org/2002/07/owl#Ontology> ; "
        f"<http://www.w3.org/2002/07/owl#imports> <{url}/onto> .".encode(), TURTLE),
    "SERVICE": lambda c, url: _sparql(c, f"SELECT * WHERE {{ SERVICE <{url}/sparql> "
                                         "{ ?s ?p ?o } }"),
    "SERVICE SILENT via prefix": lambda c, url: _sparql(
        c, f"PREFIX x: <{url}/> SELECT * WHERE {{ SERVICE SILENT x:sparql {{ ?s ?p ?o }} }}"),
    "FROM": lambda c, url: _sparql(c, f"SELECT * FROM <{url}/g> WHERE {{ ?s ?p ?o }}"),
    "SPARQL Update LOAD": lambda c, url: _post(c, "/sparql", f"LOAD <{url}/data>".encode(),
                                               "application/sparql-update"),
    "SPARQL Update LOAD INTO": lambda c, url: _post(
        c, "/sparql", f"LOAD SILENT <{url}/data> INTO GRAPH <urn:g>".encode(),
        "application/sparql-update"),
    "Gaia-X did:web issuer": lambda c, url: _post(
        c, "/gaiax/verify", _credential("did:web:" + url.removeprefix("http://").replace(
            ":", "%3A")), "application/ld+json"),
    "Gaia-X http issuer": lambda c, url: _post(c, "/gaiax/credentials", _credential(url),
                                               "application/ld+json"),
    "Gaia-X remote context": lambda c, url: _post(
        c, "/gaiax/verify", _credential("did:web:probe.example", [url + "/ctx"]),
        "application/ld+json"),
    "dereference an outside IRI": lambda c, url: int(
        c.get("/resource", params={"iri": url + "/x"}).status_code),
}


def outbound_probe_settings(peer_catalog: str | None = None) -> Any:
    from kg.settings import Settings

    config = {}
    if peer_catalog:
        config = {"peers": [{"name": "redirecting", "catalog": peer_catalog}]}
    return Settings(store="memory", admin_token=ADMIN_TOKEN, base_iri=BASE_IRI, config=config)


def harvest_probes(client: Any) -> dict[str, int]:
    """Harvests that must not leave the configured peer (run with a Redirector peer)."""
    return {"harvest a peer that is not configured": int(
        client.post("/harvest/elsewhere", headers=ADMIN).status_code),
        "harvest a peer that redirects elsewhere": int(
        client.post("/harvest/redirecting", headers=ADMIN).status_code)}


def outbound_probes() -> tuple[dict[str, int], list[bytes]]:
    """Run every probe against an app on a memory store; (status per probe, connections)."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    with Listener() as listener, Redirector(listener.url) as peer:
        app = create_app(outbound_probe_settings(peer.url + "/catalog"))
        statuses: dict[str, int] = {}
        with TestClient(app, raise_server_exceptions=False) as client:
            for name, probe in OUTBOUND_PROBES.items():
                statuses[name] = probe(client, listener.url)
            if federation_available():
                statuses.update(harvest_probes(client))
        time.sleep(0.3)
        return statuses, list(listener.connections)


# -- the table ---------------------------------------------------------------------------
BASELINE_OF = {"hot-read": "get", "hot-replace": "replace"}


def latency_rows(stats: LoadStats, baseline: dict[str, float]) -> list[tuple[str, str, str]]:
    rows = []
    for kind in OPERATIONS:
        samples = stats.latencies.get(kind, [])
        if not samples:
            continue
        p50 = percentile(samples, 0.5)
        base_ms = baseline.get(BASELINE_OF.get(kind, kind))
        ratio = f"; in-process {base_ms:.1f} ms, x{p50 / base_ms:.0f}" if base_ms else ""
        rows.append((f"{kind}: p50 / p95 / p99", f"{p50:.0f} / {percentile(samples, 0.95):.0f}"
                     f" / {percentile(samples, 0.99):.0f} ms (n={len(samples)}{ratio})", ""))
    return rows


def markdown_table(rows: list[tuple[str, str, str]]) -> str:
    """One Markdown table (ready for the README), columns padded for the terminal."""
    header = ("check", "result", "target")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
             for row in [header, *rows]]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    kills, clients, seconds, fuzz_inputs = (5, 10, 5.0, 300) if quick else (20, 50, 60.0, 2000)
    timeout = 2.0
    print(f"soak: {kills} kills, {clients} clients for {seconds:g} s, {fuzz_inputs} fuzz "
          "inputs ...", file=sys.stderr)
    crash = crash_loop(kills)
    baseline = in_process_baseline()
    with TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "store", Path(tmp) / "server.log",
                              DSKG_QUERY_TIMEOUT=str(timeout), DSKG_RESULT_LIMIT="10000")
        try:
            load = load_soak(server.base, clients, seconds)
            run_away = runaway(server.base, timeout)
        finally:
            server.terminate()
        after_load = check_store(Path(tmp) / "store", load.ledger)
    fuzz = fuzz_app(fuzz_inputs)
    statuses, connections = outbound_probes()

    stats = load.stats
    errors = sum(stats.errors.values())
    rows = [
        (f"requests served ({clients} clients, {seconds:g} s)",
         f"{stats.requests:,} = {stats.requests / stats.seconds:.0f}/s", ""),
        ("errors other than the expected 409/412", f"{errors}" + "".join(
            f"; {k}: {v}" for k, v in stats.errors.most_common(4)), "0"),
        ("expected 409 / 412 (duplicate create / stale If-Match)",
         f"{stats.expected_conflicts[409]} / {stats.expected_conflicts[412]}", ""),
        *latency_rows(stats, baseline),
        ("writes acknowledged (load) / descriptions found as acknowledged",
         f"{load.ledger.writes_acked} / {load.found} of {load.acked}", "all found"),
        ("half-replaced descriptions seen by readers", str(stats.half_seen), "0"),
        ("after load: graphs vs provenance records", "; ".join(
            [after_load.integrity, *after_load.problems[:2]]), "match"),
        (f"kills survived ({', '.join(f'{k} {v}' for k, v in sorted(crash.by_kind.items()))})",
         f"{crash.survived} / {crash.kills}", "all"),
        ("writes acknowledged (kills) / descriptions found as acknowledged",
         f"{crash.writes} / {crash.found} of {crash.acked}", "all found"),
        ("fuzz inputs tried / 5xx or hang", f"{fuzz.tried} / {len(fuzz.server_errors)} "
         f"(slowest {fuzz.slowest:.1f} s)", "0"),
        ("runaway queries stopped (cap, timeout)", f"{run_away.stopped} / {run_away.sent}; "
         f"simple query p50 {run_away.simple_p50:.0f} ms meanwhile", "all; < 100 ms"),
        ("outbound connections seen", f"{len(connections)} ({len(statuses)} probes)", "0"),
    ]
    print(markdown_table(rows))
    for line in crash.failures + load.lost[:5] + fuzz.server_errors[:5]:
        print("  !", line)


if __name__ == "__main__":
    main(sys.argv[1:])
