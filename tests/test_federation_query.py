"""`federated_query`: one query on this node and every peer, merged, with per-peer status."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi import Request, Response
from rdflib import Graph, Literal, URIRef

from api.app import create_app
from harness.servers import free_port, serve_app
from kg.errors import QuerySyntaxError, ServiceNotAllowed
from kg.federation import federated_query
from kg.settings import Settings
from kg.store import Store
from kg.store.embedded import EmbeddedStore
from tests.test_federation_harvest import StubPeer

EX = "https://example.org/"
TITLE = URIRef("http://purl.org/dc/terms/title")


def store_with(*titles: str) -> Store:
    store = EmbeddedStore()
    store.replace_graphs({URIRef(EX + "g"): [
        (URIRef(f"{EX}ds/{t.lower()}"), TITLE, Literal(t)) for t in titles]})
    return store


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Store]]:
    """This node (titles A, B), a peer with B and C, a peer that is down, a slow one."""
    slow = StubPeer()

    async def sleepy(request: Request) -> Response:
        await asyncio.sleep(3)
        return Response("{}", media_type="application/sparql-results+json")

    slow.routes["/sparql"] = sleepy
    node_app = create_app(Settings(store="memory", load_default_graph=False), store_with("B", "C"))
    with serve_app(node_app) as good, serve_app(slow.app()) as sleeper:
        config = tmp_path_factory.mktemp("query") / "node.toml"
        config.write_text(f"""[node]
name = "here"
[[peers]]
name = "good"
sparql = "{good}/sparql"
[[peers]]
name = "down"
sparql = "http://127.0.0.1:{free_port()}/sparql"
[[peers]]
name = "slow"
sparql = "{sleeper}/sparql"
timeout = 1
[[peers]]
name = "catalog-only"
catalog = "{good}/catalog"
""", encoding="utf-8")
        settings = Settings.from_env(environ={"DSKG_CONFIG": str(config), "DSKG_STORE": "memory"})
        yield settings, store_with("A", "B")


def test_select_is_merged_with_a_status_per_source(peers: tuple[Settings, Store]) -> None:
    settings, store = peers
    answer = federated_query(settings, f"SELECT ?t WHERE {{ ?d <{TITLE}> ?t }} ORDER BY ?t",
                             store=store)
    assert sorted(str(t) for t in answer.result.column("t")) == ["A", "B", "C"]  # B once
    status = {s.name: s for s in answer.sources}
    assert list(status) == ["here", "good", "down", "slow"]  # catalog-only has no endpoint
    assert (status["here"].status, status["here"].count) == ("ok", 2)
    assert (status["good"].status, status["good"].count) == ("ok", 2)
    assert status["down"].status == "error" and "cannot reach" in status["down"].error
    assert status["slow"].status == "timeout"
    assert 900 <= status["slow"].latency_ms < 2900
    assert answer.to_json()["sources"][1]["name"] == "good"
    assert "slow: timeout" in answer.status_text()


def test_ask_and_construct(peers: tuple[Settings, Store]) -> None:
    settings, store = peers
    ask = federated_query(settings, f"ASK {{ <{EX}ds/c> ?p ?o }}", store=store, timeout=1)
    assert ask.result.boolean is True  # only the good peer has C
    construct = federated_query(settings, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
                                store=store, timeout=1)
    assert construct.result.graph is not None
    expected = Graph()
    for name in ("a", "b", "c"):
        expected.add((URIRef(f"{EX}ds/{name}"), TITLE, Literal(name.upper())))
    assert set(construct.result.graph) == set(expected)


def test_without_a_local_store_only_peers_answer(peers: tuple[Settings, Store]) -> None:
    settings, _ = peers
    answer = federated_query(settings, f"SELECT ?t WHERE {{ ?d <{TITLE}> ?t }}", timeout=1)
    assert sorted(str(t) for t in answer.result.column("t")) == ["B", "C"]
    assert [s.name for s in answer.sources] == ["good", "down", "slow"]


def test_refusals_happen_before_any_request(peers: tuple[Settings, Store]) -> None:
    settings, store = peers
    with pytest.raises(ServiceNotAllowed):
        federated_query(settings, "SELECT * WHERE { SERVICE <http://evil.example/sparql> "
                        "{ ?s ?p ?o } }", store=store)
    with pytest.raises(QuerySyntaxError):
        federated_query(settings, "INSERT DATA { <a:b> <a:c> <a:d> }", store=store)


def test_service_to_an_allowed_peer_runs(peers: tuple[Settings, Store]) -> None:
    settings, store = peers
    good = next(p["sparql"] for p in settings.config["peers"] if p["name"] == "good")
    answer = federated_query(settings, f"SELECT ?t WHERE {{ SERVICE <{good}> "
                             f"{{ <{EX}ds/c> <{TITLE}> ?t }} }}", store=store, timeout=2)
    assert [str(t) for t in answer.result.column("t")] == ["C"]
