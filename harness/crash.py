"""Kills: SIGKILL a server while writer threads create and replace descriptions over REST, a
``dskg load`` of a few hundred descriptions, or a ``dskg harvest``; after each kill the store
must open, every graph must match its provenance record, every acknowledged write be there."""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from harness.ledger import Ledger, check_store, rest_writer
from harness.node import (
    ADMIN_TOKEN,
    dskg_command,
    dskg_env,
    federation_available,
    start_server,
)
from harness.servers import serve_app


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
    from harness.generate import generate_lines

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
    with serve_app(app) as base:
        yield base
