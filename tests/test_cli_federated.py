"""`dskg query --federated`: this node plus a real peer on loopback, merged, with status."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rdflib import Literal, URIRef
from typer.testing import CliRunner

from api.app import create_app
from harness.servers import free_port, serve_app
from kg.cli import app
from kg.settings import Settings
from kg.store.embedded import EmbeddedStore

TITLE = URIRef("http://purl.org/dc/terms/title")


def test_federated_query_merges_the_peer_and_reports_a_dead_one(tmp_path: Path) -> None:
    peer_store = EmbeddedStore()
    peer_store.replace_graphs({URIRef("https://peer.example/ds/1"): [
        (URIRef("https://peer.example/ds/1"), TITLE, Literal("Only on the peer"))]})
    peer_app = create_app(Settings(store="memory", load_default_graph=False), peer_store)
    with serve_app(peer_app) as peer:
        config = tmp_path / "node.toml"
        config.write_text(
            '[node]\nname = "eu-registry"\n\n'
            f'[[peers]]\nname = "agri"\nsparql = "{peer}/sparql"\nharvest = "none"\n\n'
            f'[[peers]]\nname = "down"\nsparql = "http://127.0.0.1:{free_port()}/sparql"\n'
            'harvest = "none"\ntimeout = 2\n', encoding="utf-8")
        env = {"DSKG_STORE": str(tmp_path / "store"), "DSKG_DEFAULT_GRAPH": "0",
               "DSKG_CONFIG": str(config)}
        result = CliRunner().invoke(
            app, ["query", "--federated", "--format", "csv",
                  f"SELECT ?t WHERE {{ ?d <{TITLE}> ?t }}"], env=env)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows == [["t"], ["Only on the peer"]]
    assert "agri: ok" in result.stderr
    assert "down: error" in result.stderr or "down: timeout" in result.stderr
