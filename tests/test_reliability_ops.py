"""Operations: /health and /ready, configuration checked at start, structured logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.routes.lifecycle import Lifecycle, is_write
from kg import logging as dskg_logging
from kg.cli import app as cli
from kg.errors import ConfigError
from kg.settings import Settings
from kg.store.embedded import EmbeddedStore
from tests.rest_support import ADMIN, ADMIN_TOKEN, app_for, ecosystem_store

runner = CliRunner()


def test_health_and_ready() -> None:
    with TestClient(app_for(ecosystem_store())) as client:
        health = client.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        ready = client.get("/ready")
        assert ready.status_code == 200 and ready.json()["defaultGraph"] is True


def test_not_ready_without_the_default_graph() -> None:
    settings = Settings(store="memory", load_default_graph=False)
    with TestClient(create_app(settings, EmbeddedStore())) as client:
        assert client.get("/health").status_code == 200
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.json()["defaultGraph"] is False


BAD_SETTINGS = [
    ({"DSKG_QUERY_TIMEOUT": "soon"}, "DSKG_QUERY_TIMEOUT"),
    ({"DSKG_QUERY_TIMEOUT": "-1"}, "DSKG_QUERY_TIMEOUT"),
    ({"DSKG_RESULT_LIMIT": "0"}, "DSKG_RESULT_LIMIT"),
    ({"DSKG_RESULT_LIMIT": "lots"}, "DSKG_RESULT_LIMIT"),
    ({"DSKG_MAX_BODY_BYTES": "20MB"}, "DSKG_MAX_BODY_BYTES"),
    ({"DSKG_BASE_IRI": "ftp://example.org/"}, "DSKG_BASE_IRI"),
    ({"DSKG_CONFIG": "/nonexistent/dskg.toml"}, "DSKG_CONFIG"),
    ({"DSKG_LOG_FORMAT": "xml"}, "DSKG_LOG_FORMAT"),
    ({"DSKG_LOG_LEVEL": "loud"}, "DSKG_LOG_LEVEL"),
    ({"DSKG_DEFAULT_GRAPH": "maybe"}, "DSKG_DEFAULT_GRAPH"),
]


@pytest.mark.parametrize(("env", "variable"), BAD_SETTINGS,
                         ids=[f"{v}={e[v]}" for e, v in BAD_SETTINGS])
def test_serve_refuses_a_wrong_setting_naming_it(env: dict[str, str], variable: str) -> None:
    # Beyond loopback the node also needs its public URL: given, so that only ``env`` is wrong.
    result = runner.invoke(cli, ["serve", "--host", "256.0.0.1"],
                           env={"DSKG_STORE": "memory", "DSKG_DEFAULT_GRAPH": "0",
                                "DSKG_BASE_IRI": "https://kg.example.org/", **env})
    assert result.exit_code == 2, result.output
    assert variable in result.output
    assert "Traceback" not in result.output


def test_a_bad_config_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "dskg.toml"
    config.write_text("[node\nname = ", encoding="utf-8")
    result = runner.invoke(cli, ["serve", "--host", "256.0.0.1"], env={"DSKG_STORE": "memory",
                                                "DSKG_CONFIG": str(config)})
    assert result.exit_code == 2 and "not valid TOML" in result.output


def test_a_store_path_that_cannot_be_a_store_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    result = runner.invoke(cli, ["stats"], env={"DSKG_STORE": str(blocker / "store")})
    assert result.exit_code != 0 and str(blocker) in result.output
    assert "Traceback" not in result.output


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    dskg_logging.configure("json", level=logging.DEBUG, secrets=[ADMIN_TOKEN], stream=stream)
    try:
        yield stream
    finally:
        root.handlers, root.level = saved
        for name in dskg_logging.SERVER_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)


def test_json_logs_are_one_object_per_line_with_fields(json_log: io.StringIO) -> None:
    log = logging.getLogger("dskg.test")
    log.info("request %s", "served", extra={"status": 200, "path": "/x"})
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")
    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert records[0]["message"] == "request served" and records[0]["status"] == 200
    assert records[0]["level"] == "info" and records[0]["logger"] == "dskg.test"
    assert "ValueError: boom" in records[1]["exception"]


def test_tokens_are_masked_in_every_log_line(json_log: io.StringIO) -> None:
    log = logging.getLogger("dskg.test")
    log.warning("header Authorization: Bearer %s", "s3cr3t-steward-token")
    log.warning("the admin token is %s", ADMIN_TOKEN)
    log.warning("headers %s", {"authorization": "Bearer abc.def-ghi"})
    try:
        raise RuntimeError(f"failed with token {ADMIN_TOKEN}")
    except RuntimeError:
        log.exception("oops", extra={"detail": f"Bearer {ADMIN_TOKEN}"})
    text = json_log.getvalue()
    for secret in ("s3cr3t-steward-token", ADMIN_TOKEN, "abc.def-ghi"):
        assert secret not in text
    assert text.count(dskg_logging.REDACTED) >= 5


def test_the_app_logs_requests_as_json_without_tokens(monkeypatch: pytest.MonkeyPatch,
                                                      json_log: io.StringIO) -> None:
    monkeypatch.setenv("DSKG_LOG_FORMAT", "json")
    with TestClient(app_for(ecosystem_store()), raise_server_exceptions=False) as client:
        json_log.seek(0)
        json_log.truncate()
        dskg_logging.configure("json", secrets=[ADMIN_TOKEN], stream=json_log)
        client.get("/organisations?limit=1", headers=ADMIN)
        client.post("/organisations", content=b"not turtle",
                    headers={**ADMIN, "Content-Type": "text/turtle"})
        client.get("/health", headers={"Authorization": "Bearer some-wrong-token"})
    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    access = [r for r in records if r["logger"] == "dskg.access"]
    assert [(r["method"], r["status"]) for r in access] == [("GET", 200), ("POST", 400),
                                                             ("GET", 200)]
    assert all(r["path"].startswith("/") and "?" not in r["path"] for r in access)
    assert ADMIN_TOKEN not in json_log.getvalue()
    assert "some-wrong-token" not in json_log.getvalue()


def test_which_requests_count_as_writes_while_draining() -> None:
    def scope(method: str, path: str, content_type: bytes = b"") -> dict:
        return {"method": method, "path": path, "headers": [(b"content-type", content_type)]}

    assert not is_write(scope("GET", "/organisations"))
    assert not is_write(scope("POST", "/sparql", b"application/sparql-query"))
    assert not is_write(scope("POST", "/policies/evaluate", b"application/json"))
    assert is_write(scope("POST", "/sparql", b"application/sparql-update"))
    assert is_write(scope("PUT", "/graphs"))
    assert is_write(scope("DELETE", "/datasets/x"))
    state = Lifecycle()
    assert state.enter()
    state.begin_drain()
    assert not state.enter() and state.refused == 1
    state.leave()
    assert state.writes_in_flight == 0


def test_log_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="DSKG_LOG_FORMAT"):
        dskg_logging.log_format({"DSKG_LOG_FORMAT": "yaml"})
    assert dskg_logging.log_format({}) == "text"
    assert dskg_logging.log_level({"DSKG_LOG_LEVEL": "DEBUG"}) == logging.DEBUG
