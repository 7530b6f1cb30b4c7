"""The node is assembled in plain sight: one start-up (``kg.node.open_node``) for the server
and every CLI command, and the app's middlewares in their documented order."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.app import create_app
from kg.cli import app as cli
from kg.defaultgraph import is_loaded
from kg.errors import ConfigError
from kg.node import open_node
from kg.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_the_server_and_the_cli_stop_alike_on_a_damaged_token_file(tmp_path: Path) -> None:
    store = tmp_path / "store"
    tokens = tmp_path / "store.tokens.json"
    tokens.write_text("[{", encoding="utf-8")
    settings = Settings(store=str(store), load_default_graph=False)
    with pytest.raises(ConfigError, match=r"not valid JSON \(line 1"):
        create_app(settings)
    result = CliRunner().invoke(cli, ["stats"], env={
        "DSKG_STORE": str(store), "DSKG_DEFAULT_GRAPH": "0",
        "DSKG_BASE_IRI": "http://127.0.0.1:8000/"})
    assert result.exit_code == ConfigError.exit_code, result.output
    assert "not valid JSON (line 1" in result.output
    # Both failed starts closed the store they had opened: its lock is free again.
    tokens.unlink()
    node = open_node(settings)
    try:
        assert node.store.ping() and node.feed is None  # no change feed outside a server
    finally:
        node.close()


def test_a_given_store_is_made_ready_and_left_open() -> None:
    from kg.store import open_store

    settings = Settings(store="memory", base_iri="https://node.example.org/")
    store = open_store(settings)
    node = open_node(settings, store)
    assert is_loaded(store) and node.context.store is store
    node.close()
    assert store.ping()  # the caller's store: the node does not close it
    store.close()


def test_the_middlewares_nest_in_the_documented_order() -> None:
    app = create_app(Settings(store="memory", load_default_graph=False,
                              cors_origins=["https://example.org"]))
    assert [m.cls.__name__ for m in app.user_middleware] == [  # type: ignore[attr-defined]
        "MetricsMiddleware", "WebMiddleware", "DrainMiddleware", "CORSMiddleware",
        "AuthFailureLimit"]


def test_routers_and_commands_are_named_not_looked_up() -> None:
    for path in [*(ROOT / "api").rglob("*.py"), *(ROOT / "kg").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "import_module" not in text and "find_spec" not in text, path
