"""Acknowledged writes, and the check that a store (after a crash or a load) holds every one
of them and that every graph matches its provenance record."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from harness.node import (
    ADMIN,
    SOAK_IRI,
    SPACES,
    TURTLE,
    org_body,
    rest_id,
    versions_in,
)


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
    from kg.store.embedded import EmbeddedStore
    from kg.write import recover_interrupted_loads

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
