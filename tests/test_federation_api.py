"""POST /harvest and /harvest/{peer}, the serve schedule, and `dskg harvest`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from harness.servers import free_port, serve_app
from kg.cli import app as cli
from kg.settings import Settings
from kg.store.embedded import EmbeddedStore
from kg.tokens import create_token
from tests.test_federation_harvest import StubPeer, catalog_ttl

TOKEN = "harvest-admin"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def peer_url() -> Iterator[str]:
    stub = StubPeer()
    stub.turtle("/catalog", catalog_ttl(1, 2))
    with serve_app(stub.app()) as url:
        yield url


def write_config(tmp_path: Path, peer_url: str, extra: str = "") -> Path:
    config = tmp_path / "node.toml"
    config.write_text(f"""[node]
name = "es"
[[peers]]
name = "agri"
catalog = "{peer_url}/catalog"
{extra}
[[peers]]
name = "gone"
catalog = "http://127.0.0.1:{free_port()}/catalog"
""", encoding="utf-8")
    return config


def node_settings(tmp_path: Path, peer_url: str, extra: str = "") -> Settings:
    config = write_config(tmp_path, peer_url, extra)
    return Settings.from_env(environ={"DSKG_CONFIG": str(config), "DSKG_STORE": "memory",
                                      "DSKG_ADMIN_TOKEN": TOKEN, "DSKG_DEFAULT_GRAPH": "0"})


def test_harvest_endpoints(tmp_path: Path, peer_url: str,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    settings = node_settings(tmp_path, peer_url)
    monkeypatch.setenv("DSKG_TOKENS_FILE", str(tmp_path / "tokens.json"))
    reader = create_token(settings, "reader", "someone")
    with TestClient(create_app(settings, EmbeddedStore())) as client:
        assert client.post("/harvest").status_code == 401
        forbidden = client.post("/harvest/agri", headers={"Authorization": f"Bearer {reader}"})
        assert forbidden.status_code == 403

        one = client.post("/harvest/agri", headers=ADMIN)
        assert one.status_code == 200
        [report] = one.json()["peers"]
        assert {k: report[k] for k in ("name", "added", "updated", "removed", "rejected",
                                       "error")} == {
            "name": "agri", "added": 3, "updated": 0, "removed": 0, "rejected": [],
            "error": None}

        every = client.post("/harvest", headers=ADMIN).json()["peers"]
        assert [p["name"] for p in every] == ["agri", "gone"]
        assert every[0]["added"] == 0 and every[0]["unchanged"] == 3
        assert every[1]["error"] and every[1]["added"] == 0

        missing = client.post("/harvest/nobody", headers=ADMIN)
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")


def test_serve_harvests_on_schedule(tmp_path: Path, peer_url: str) -> None:
    settings = node_settings(tmp_path, peer_url, 'every = "10s"')
    store = EmbeddedStore()
    with TestClient(create_app(settings, store)) as client:
        scheduler = client.app.state.harvest_scheduler  # type: ignore[attr-defined]
        assert [p.name for p in scheduler.peers] == ["agri"]  # "gone" has no schedule
        deadline = time.monotonic() + 60
        while "agri" not in scheduler.last and time.monotonic() < deadline:
            time.sleep(0.1)
        assert scheduler.last["agri"].added == 3
    assert scheduler._thread is not None and not scheduler._thread.is_alive()
    assert len(store.graph_names()) == 4  # three descriptions and the meta graph


def test_cli_harvest(tmp_path: Path, peer_url: str) -> None:
    runner = CliRunner()
    env = {"DSKG_CONFIG": str(write_config(tmp_path, peer_url)),
           "DSKG_STORE": str(tmp_path / "store"), "DSKG_DEFAULT_GRAPH": "0"}
    first = runner.invoke(cli, ["harvest", "agri", "--format", "json"], env=env)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["peers"][0]["added"] == 3
    again = runner.invoke(cli, ["harvest", "agri"], env=env)
    assert again.exit_code == 0
    assert "agri: 0 added, 0 updated, 0 removed, 3 unchanged" in again.stdout
    everything = runner.invoke(cli, ["harvest"], env=env)
    assert everything.exit_code == 1  # "gone" cannot be reached
    assert "gone: ERROR" in everything.stdout
    unknown = runner.invoke(cli, ["harvest", "nobody"], env=env)
    assert unknown.exit_code == 1 and "no peer named 'nobody'" in unknown.output
