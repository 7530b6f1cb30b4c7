"""Operator secrets and guessing: a weak DSKG_ADMIN_TOKEN is refused beyond loopback (and
warned about on it), and a client address that keeps sending wrong bearer tokens is answered
429 with Retry-After while everyone else goes on (real HTTP on loopback)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from typer.testing import CliRunner

from api.app import create_app
from api.ratelimit import FailureLog
from harness.servers import free_port, serve_app, wait_until_up
from kg.cli import app as cli
from kg.errors import ConfigError
from kg.settings import Settings, check_admin_token, token_weakness
from kg.store.embedded import EmbeddedStore

runner = CliRunner()
STRONG = "q8Xv2LrM-hT5wZp0_nKc3YjUe7sGd1BfAo9iRlQx"
# Beyond loopback a node also needs its public URL (given: the token is what is tested).
ENV = {"DSKG_STORE": "memory", "DSKG_DEFAULT_GRAPH": "0", "DSKG_BASE_IRI": "https://kg.example.org/"}


@pytest.mark.parametrize("token", ["admintoken123", "a" * 40, "abababababababababababababab",
                                   "correcthorsebatterystaple1"])
def test_serve_beyond_loopback_refuses_a_weak_admin_token(token: str) -> None:
    result = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "1"],
                           env={**ENV, "DSKG_ADMIN_TOKEN": token})
    assert result.exit_code == 2, result.output
    assert "DSKG_ADMIN_TOKEN" in result.output and "too weak" in result.output
    assert token not in result.output  # the secret itself is never echoed
    assert "Traceback" not in result.output


def test_a_strong_token_serves_on_any_interface(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    started: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, **_: started.append(host))
    result = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "1"],
                           env={**ENV, "DSKG_ADMIN_TOKEN": STRONG})
    assert result.exit_code == 0, result.output
    assert started == ["0.0.0.0"] and "warning" not in result.output
    assert token_weakness(secrets.token_urlsafe(32)) is None


def test_loopback_names_are_loopback() -> None:
    weak = Settings(admin_token="admintoken123")
    for host in ("127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"):
        assert "weak" in (check_admin_token(weak, host) or "")
    for host in ("0.0.0.0", "::", "192.168.1.10", "node.example.org"):
        with pytest.raises(ConfigError, match="DSKG_ADMIN_TOKEN"):
            check_admin_token(weak, host)
    assert check_admin_token(Settings(admin_token=None), "0.0.0.0") is None


def test_a_weak_token_on_loopback_starts_with_a_warning() -> None:
    port = free_port()
    env = {**os.environ, **ENV, "DSKG_ADMIN_TOKEN": "admintoken123",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [sys.executable, "-c", "from kg.cli import main; main()", "serve", "--host",
         "127.0.0.1", "--port", str(port)], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", timeout=60)
        assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert "DSKG_ADMIN_TOKEN is weak" in err and "loopback" in err
    assert "admintoken123" not in err


# -- failed bearer tokens ------------------------------------------------------------------

LIMIT = 5


@pytest.fixture(scope="module")
def node() -> Iterator[str]:
    settings = Settings(store="memory", admin_token=STRONG, load_default_graph=False,
                        auth_failures=LIMIT, auth_window=30.0)
    with serve_app(create_app(settings, EmbeddedStore())) as base:
        yield base


def _client(base: str, address: str) -> httpx.Client:
    """A client whose connections come from ``address`` (127.0.0.0/8 is all loopback)."""
    return httpx.Client(base_url=base, timeout=30,
                        transport=httpx.HTTPTransport(local_address=address))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_repeated_wrong_tokens_get_429_with_retry_after(node: str) -> None:
    # An admin-only call on a missing dataset: 404 when the token is right, 401 when wrong.
    path = "/datasets/no-such-dataset"
    with _client(node, "127.0.0.3") as guesser, _client(node, "127.0.0.4") as honest:
        for i in range(LIMIT):
            answer = guesser.delete(path, headers=_bearer(f"guess-{i}"))
            assert answer.status_code == 401
        refused = guesser.delete(path, headers=_bearer("guess-next"))
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(refused.headers["Retry-After"]) <= 30
        assert "retry after" in refused.json()["detail"]
        # While held back, even the right token is not looked at from that address...
        assert guesser.delete(path, headers=_bearer(STRONG)).status_code == 429
        # ...but its public reads go on, and so does every other client.
        assert guesser.get("/health").status_code == 200
        assert honest.delete(path, headers=_bearer(STRONG)).status_code == 404
        assert honest.delete(path, headers=_bearer("one-typo")).status_code == 401
        assert honest.delete(path, headers=_bearer(STRONG)).status_code == 404


def test_the_web_form_token_counts_too(node: str) -> None:
    form = {"title": "x", "token": "wrong"}
    with _client(node, "127.0.0.5") as guesser:
        codes = [guesser.post("/ui/edit/datasets/new", data=form).status_code
                 for _ in range(LIMIT + 1)]
    assert codes[:LIMIT] == [401] * LIMIT and codes[LIMIT] == 429


def test_the_hold_ends_when_the_window_passes() -> None:
    settings = Settings(store="memory", admin_token=STRONG, load_default_graph=False,
                        auth_failures=2, auth_window=1.0)
    with serve_app(create_app(settings, EmbeddedStore())) as base, \
            _client(base, "127.0.0.6") as client:
        codes = [client.delete("/datasets/x", headers=_bearer("nope")).status_code
                 for _ in range(3)]
        assert codes == [401, 401, 429]
        time.sleep(1.1)
        assert client.delete("/datasets/x", headers=_bearer(STRONG)).status_code == 404


def test_the_window_and_limit_come_from_the_environment() -> None:
    settings = Settings.from_env({"DSKG_AUTH_FAILURES": "3", "DSKG_AUTH_WINDOW": "120"})
    assert (settings.auth_failures, settings.auth_window) == (3, 120.0)
    with pytest.raises(ConfigError, match="DSKG_AUTH_WINDOW"):
        Settings.from_env({"DSKG_AUTH_WINDOW": "forever"})


def test_memory_is_bounded() -> None:
    now = [0.0]
    log = FailureLog(limit=3, window=60.0, max_clients=100, clock=lambda: now[0])
    for i in range(10_000):
        for _ in range(5):
            log.failed(f"10.0.{i // 256}.{i % 256}")
    assert len(log) == 100
    assert all(len(times) <= 3 for times in log._failures.values())
    assert log.retry_after("10.0.39.15") == 60  # the most recent addresses are kept
    now[0] = 61.0
    assert log.retry_after("10.0.39.15") is None and len(log) == 99
