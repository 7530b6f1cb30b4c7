"""Backups: a consistent snapshot with provenance, restored into an empty store and verified."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from rdflib import URIRef
from typer.testing import CliRunner

from harness.node import SOAK_IRI, SPACES, TURTLE, org_body, rest_id, versions_in
from harness.servers import serve_app
from kg.backup import (
    BackupInvalid,
    check_integrity,
    restore_backup,
    split_backup,
    store_figures,
    verify_backup,
    write_backup,
)
from kg.cli import app as cli
from kg.errors import Conflict
from kg.namespaces import META_GRAPH
from kg.store.embedded import EmbeddedStore
from tests.rest_support import (
    ADMIN,
    BASE,
    app_for,
    description_of,
    ecosystem_store,
    steward_token,
)

runner = CliRunner()


def _backup(store: EmbeddedStore) -> bytes:
    out = io.BytesIO()
    write_backup(store, out)
    return out.getvalue()


def test_round_trip_keeps_everything_and_its_provenance() -> None:
    source = ecosystem_store()
    raw = _backup(source)
    data, manifest = split_backup(raw)
    assert manifest.quads == source.triple_count() and manifest.integrity == ""
    assert f"<{META_GRAPH}>".encode() in data  # provenance records travel with the data

    target = EmbeddedStore()
    restored = restore_backup(target, raw)
    assert restored.integrity.ok
    assert store_figures(target) == store_figures(source)
    assert sorted(target.graph_names()) == sorted(source.graph_names())


def test_a_damaged_file_restores_nothing() -> None:
    raw = _backup(ecosystem_store())
    target = EmbeddedStore()
    middle = len(raw) // 2
    for damaged in (raw[:middle], raw[:middle] + b"X" + raw[middle + 1:],
                    raw.replace(b"Agdatahub", b"Agdatahvb", 1)):
        with pytest.raises(BackupInvalid):
            restore_backup(target, damaged)
        assert target.triple_count() == 0
    with pytest.raises(BackupInvalid, match="not a complete dskg backup"):
        verify_backup(b"<urn:a> <urn:b> <urn:c> <urn:g> .\n")


def test_restore_refuses_a_store_that_is_not_empty() -> None:
    raw = _backup(ecosystem_store())
    target = ecosystem_store()
    before = target.triple_count()
    with pytest.raises(Conflict, match="not empty"):
        restore_backup(target, raw)
    assert target.triple_count() == before


def _writer(base: str, acked: list[tuple[float, str, int]], stop: threading.Event,
            name: str) -> None:
    """Create then replace organisations; log (time acknowledged, IRI, version)."""
    with httpx.Client(base_url=base, timeout=60, headers=ADMIN) as client:
        number = 0
        while not stop.is_set():
            iri = f"{SOAK_IRI}{name}-{number}"
            number += 1
            created = client.post("/organisations", content=org_body(iri, 0, SPACES[0]),
                                  headers={"Content-Type": TURTLE})
            assert created.status_code == 201, created.text
            acked.append((time.monotonic(), iri, 0))
            replaced = client.put(f"/organisations/{rest_id(iri)}",
                                  content=org_body(iri, 1, SPACES[1]),
                                  headers={"Content-Type": TURTLE})
            assert replaced.status_code == 200, replaced.text
            acked.append((time.monotonic(), iri, 1))


def test_backup_during_writes_holds_every_write_acknowledged_before_it() -> None:
    store = ecosystem_store()
    acked: list[tuple[float, str, int]] = []
    stop = threading.Event()
    with serve_app(app_for(store)) as base:
        writers = [threading.Thread(target=_writer, args=(base, acked, stop, f"b{i}"))
                   for i in range(3)]
        for thread in writers:
            thread.start()
        while len(acked) < 6:
            time.sleep(0.05)
        started = time.monotonic()
        backup = httpx.get(f"{base}/admin/backup", headers=ADMIN, timeout=120)
        time.sleep(0.5)  # writes go on after the snapshot too
        stop.set()
        for thread in writers:
            thread.join(60)
    assert backup.status_code == 200
    before = {}
    for moment, iri, version in acked:
        if moment < started:
            before[iri] = max(version, before.get(iri, -1))
    assert before and len(acked) > len(before)

    restored = EmbeddedStore()
    assert restore_backup(restored, backup.content).integrity.ok
    for iri, version in before.items():
        found = versions_in(description_of(restored, URIRef(iri)).serialize(format="nt"))
        assert len(found) == 1 and min(found) >= version, (iri, version, found)
    assert check_integrity(restored).ok


def test_backup_route_is_admin_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with TestClient(app_for(ecosystem_store())) as client:
        assert client.get("/admin/backup").status_code == 401
        steward = steward_token(tmp_path / "tokens.json", monkeypatch, "agdatahub")
        assert client.get("/admin/backup", headers=steward).status_code == 403
        answer = client.get("/admin/backup", headers=ADMIN)
        assert answer.status_code == 200
        assert verify_backup(answer.content).quads == int(answer.headers["X-Dskg-Quads"])


def _env(store: Path) -> dict[str, str]:
    return {"DSKG_STORE": str(store), "DSKG_BASE_IRI": BASE, "DSKG_ADMIN_TOKEN": "cli-admin"}


def test_cli_backup_restore_and_integrity(tmp_path: Path) -> None:
    source, target, file = tmp_path / "source", tmp_path / "target", tmp_path / "b.nq"
    assert runner.invoke(cli, ["stats"], env=_env(source)).exit_code == 0  # default graph
    made = runner.invoke(cli, ["backup", "--output", str(file)], env=_env(source))
    assert made.exit_code == 0, made.output
    assert "backup written" in made.output
    assert runner.invoke(cli, ["integrity"], env=_env(source)).exit_code == 0

    checked = runner.invoke(cli, ["restore", "--check-only", str(file)], env=_env(target))
    assert checked.exit_code == 0 and "complete backup" in checked.output
    restored = runner.invoke(cli, ["restore", str(file)], env=_env(target))
    assert restored.exit_code == 0, restored.output
    assert "verified" in restored.output
    again = runner.invoke(cli, ["restore", str(file)], env=_env(target))
    assert again.exit_code == 1 and "not empty" in again.output

    truncated = tmp_path / "truncated.nq"
    truncated.write_bytes(file.read_bytes()[:5000])
    refused = runner.invoke(cli, ["restore", str(truncated)], env=_env(tmp_path / "other"))
    assert refused.exit_code == 2 and "not a complete dskg backup" in refused.output
    assert not (tmp_path / "other").exists()  # refused before any store was opened

    stores = [EmbeddedStore(source), EmbeddedStore(target)]
    try:
        assert store_figures(stores[0]) == store_figures(stores[1])
    finally:
        for store in stores:
            store.close()


def test_cli_backup_of_a_running_node(tmp_path: Path) -> None:
    store = ecosystem_store()
    file = tmp_path / "online.nq"
    with serve_app(app_for(store)) as base:
        made = runner.invoke(cli, ["backup", "--output", str(file), "--server", base],
                             env={**_env(tmp_path / "unused"), "DSKG_ADMIN_TOKEN": ADMIN[
                                 "Authorization"].removeprefix("Bearer ")})
        assert made.exit_code == 0, made.output
        denied = runner.invoke(cli, ["backup", "--output", str(tmp_path / "x.nq"),
                                     "--server", base], env=_env(tmp_path / "unused"))
    assert verify_backup(file.read_bytes()).quads == store.triple_count()
    assert denied.exit_code == 1 and "401" in denied.output
    assert not (tmp_path / "x.nq").exists() and not (tmp_path / "x.nq.partial").exists()
