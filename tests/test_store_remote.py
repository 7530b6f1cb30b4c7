"""The store contract on a real `oxigraph serve` process through the SPARQL protocols;
authenticated engines (Basic chosen from the challenge, bearer tokens) in front of it."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from rdflib import BNode, Literal, URIRef

from harness.servers import oxigraph_server, serve_app
from harness.store_contract import G1 as G
from harness.store_contract import META, StoreContract
from kg.errors import ConfigError, StoreUnavailable
from kg.settings import Settings
from kg.store import Store, open_store
from kg.store.remote import EngineCredentials, RemoteStore, redact

pytestmark = pytest.mark.skipif(shutil.which("oxigraph") is None,
                                reason="oxigraph server not installed (pip install oxigraph)")


@pytest.fixture(scope="module")
def oxigraph_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as url:
        yield url


class TestRemoteOxigraph(StoreContract):
    @pytest.fixture
    def empty_store(self, oxigraph_url: str) -> Iterator[Store]:
        store = RemoteStore(f"{oxigraph_url}/query", f"{oxigraph_url}/update",
                            f"{oxigraph_url}/store")
        store.clear()
        yield store
        store.clear()
        store.close()


def test_unreachable_engine_is_a_clear_error(tmp_path: Path) -> None:
    from harness.servers import free_port
    from kg.errors import StoreUnavailable

    store = RemoteStore(f"http://127.0.0.1:{free_port()}/query")
    with pytest.raises(StoreUnavailable):
        store.query("ASK {}")
    assert not store.ping()


# -- authenticated engines (Fuseki's Basic, hosted engines' bearer tokens) -------------------
USER, PASSWORD, TOKEN = "node", "s3cret-pass", "engine-token-123"


def guarded(upstream: str) -> FastAPI:
    """An engine front that wants HTTP Basic (as Fuseki with shiro.ini) or a bearer token,
    and passes the request on to `oxigraph serve`."""
    app = FastAPI()
    expected = {"Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),
                f"Bearer {TOKEN}"}
    app.state.seen = []

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def forward(path: str, request: Request) -> Response:
        given = request.headers.get("authorization")
        app.state.seen.append(given.split(" ")[0] if given else None)
        if given not in expected:
            return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="ds"'})
        async with httpx.AsyncClient() as client:
            answer = await client.request(
                request.method, f"{upstream}/{path}", params=request.query_params,
                content=await request.body(), headers={
                    k: v for k, v in request.headers.items()
                    if k.lower() in ("content-type", "accept")})
        return Response(answer.content, answer.status_code, media_type=answer.headers.get(
            "content-type"))

    return app


@pytest.fixture(scope="module")
def guarded_url(oxigraph_url: str) -> Iterator[tuple[str, FastAPI]]:
    app = guarded(oxigraph_url)
    with serve_app(app) as base:
        yield base, app


def _store(base: str, **credentials: str) -> RemoteStore:
    return RemoteStore(f"{base}/query", f"{base}/update", f"{base}/store",
                       credentials=EngineCredentials(**credentials))


def test_basic_auth_is_chosen_from_the_challenge(guarded_url: tuple[str, FastAPI]) -> None:
    base, app = guarded_url
    app.state.seen.clear()
    store = _store(base, user=USER, password=PASSWORD)
    store.clear()
    store.replace_graphs({G: [(G, G, Literal("x"))]})
    assert store.get_graph(G).value(G, G) == Literal("x")
    # One unauthenticated try answered by the challenge, then Basic on every request.
    assert app.state.seen[0] is None and set(app.state.seen[1:]) == {"Basic"}
    store.clear()
    store.close()


def test_bearer_token(guarded_url: tuple[str, FastAPI]) -> None:
    base, _app = guarded_url
    store = _store(base, token=TOKEN)
    assert store.ping()
    wrong = _store(base, token="not-the-token")
    with pytest.raises(StoreUnavailable) as refused:
        wrong.query("ASK {}")
    assert "DSKG_STORE_TOKEN" in refused.value.message
    assert "not-the-token" not in refused.value.message


def test_refused_credentials_stop_the_start_naming_the_variable(
        guarded_url: tuple[str, FastAPI], tmp_path: Path) -> None:
    base, _app = guarded_url
    env = {"DSKG_STORE": f"{base}/query", "DSKG_STORE_USER": USER,
           "DSKG_STORE_PASSWORD": "wrong-password"}
    with pytest.raises(ConfigError, match="DSKG_STORE_PASSWORD") as refused:
        open_store(Settings.from_env(env))
    assert "wrong-password" not in refused.value.message
    with pytest.raises(ConfigError, match="credentials"):
        open_store(Settings.from_env({"DSKG_STORE": f"{base}/query"}))
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    settings = Settings.from_env({**env, "DSKG_STORE_PASSWORD": "",
                                  "DSKG_STORE_PASSWORD_FILE": str(secret)})
    assert settings.store_password == PASSWORD and PASSWORD not in repr(settings)
    store = open_store(settings)
    assert store.ping() and PASSWORD not in store.kind
    store.close()


def test_credential_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="DSKG_STORE_USER"):
        Settings.from_env({"DSKG_STORE_PASSWORD": "x"})
    with pytest.raises(ConfigError, match="DSKG_STORE_PASSWORD_FILE"):
        Settings.from_env({"DSKG_STORE_USER": "u", "DSKG_STORE_PASSWORD_FILE": "/nonexistent"})
    assert redact("http://user:pw@engine:8890/sparql") == "http://engine:8890/sparql"


def test_a_large_write_is_split_and_lands_whole(oxigraph_url: str) -> None:
    """Over the chunk size, a replace of an existing graph goes through a staging graph
    and the journal; readers see the old content or the new, and nothing else stays."""
    store = RemoteStore(f"{oxigraph_url}/query", f"{oxigraph_url}/update", chunk=100)
    store.clear()
    p = URIRef("http://example.org/p")
    store.replace_graphs({G: [(G, p, Literal("old"))]})
    new = [(URIRef(f"http://example.org/s{i}"), p, Literal(i)) for i in range(1000)]
    node = BNode()
    store.replace_graphs({G: [*new, (G, p, node), (node, p, Literal("inner"))]},
                         add={META: [(G, p, Literal("record"))]})
    assert store.triple_count(G) == 1002
    assert store.query("SELECT ?v WHERE { ?g ?p ?b . ?b ?p ?v }", {"g": G, "p": p}
                       ).column("v") == [Literal("inner")]
    assert store.graph_names() == sorted([G, META])
    assert set(store.get_graph(META)) == {(G, p, Literal("record"))}
    store.clear()
    store.close()


def test_a_big_graph_goes_to_the_graph_store_in_parts(oxigraph_url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A bulk import POSTs a big graph in parts (the records of a 10k-dataset load in one
    POST outlasted Virtuoso's timeout); a graph with blank nodes goes whole."""
    monkeypatch.setattr("kg.store.remote.GSP_POST_TRIPLES", 100)
    store = RemoteStore(f"{oxigraph_url}/query", f"{oxigraph_url}/update",
                        f"{oxigraph_url}/store")
    store.clear()
    posts: list[int] = []
    send = store._http.post

    def counted(url: str, **kwargs: object) -> httpx.Response:
        posts.append(len(kwargs.get("content") or b""))  # type: ignore[arg-type]
        return send(url, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store._http, "post", counted)
    lines = [f"<http://example.org/s{i}> <http://example.org/p> \"{i}\" <{META}> .\n"
             for i in range(250)]
    lines += ["_:b <http://example.org/p> _:c <http://example.org/g2> .\n",
              "_:c <http://example.org/p> \"inner\" <http://example.org/g2> .\n"]
    store.bulk_import("".join(lines).encode(), "nquads")
    assert len(posts) == 4  # 100 + 100 + 50 records, and the graph with blank nodes
    assert store.triple_count(META) == 250
    assert store.query("SELECT ?v WHERE { GRAPH ?g { ?b ?p ?c . ?c ?p ?v } }",
                       {"g": URIRef("http://example.org/g2")}).column("v") == [
        Literal("inner")]
    store.clear()
    store.close()


def test_many_small_graphs_go_to_the_graph_store_side_by_side(oxigraph_url: str) -> None:
    """A dump's thousands of small descriptions are POSTed several at a time (one client
    per thread); every graph lands whole. A POST the engine refuses stops the import with
    the engine's error (the write path's journal then undoes what went in)."""
    store = RemoteStore(f"{oxigraph_url}/query", f"{oxigraph_url}/update",
                        f"{oxigraph_url}/store", gsp_workers=4)
    store.clear()
    threads: set[str] = set()
    post = RemoteStore._post

    def seen(self: RemoteStore, url: str, **kwargs: object) -> httpx.Response:
        import threading

        threads.add(threading.current_thread().name)
        return post(self, url, **kwargs)  # type: ignore[arg-type]

    lines = [f"<http://example.org/s{i}> <http://example.org/p> \"{i}\" "
             f"<http://example.org/g{i}> .\n_:b{i} <http://example.org/p> \"{i}\" "
             f"<http://example.org/g{i}> .\n" for i in range(200)]
    try:
        RemoteStore._post = seen  # type: ignore[method-assign]
        store.bulk_import("".join(lines).encode(), "nquads")
    finally:
        RemoteStore._post = post  # type: ignore[method-assign]
    assert len([t for t in threads if t.startswith("dskg-gsp")]) > 1
    assert len(store.graph_names()) == 200 and store.triple_count() == 400
    assert store.query("SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { GRAPH ?g { ?b ?p ?o "
                       "FILTER(isBlank(?b)) } }").rows[0][0].toPython() == 200
    store.clear()
    wrong = RemoteStore(f"{oxigraph_url}/query", f"{oxigraph_url}/update",
                        f"{oxigraph_url}/no-such-endpoint", gsp_workers=4)
    with pytest.raises(StoreUnavailable):
        wrong.bulk_import("".join(lines).encode(), "nquads")
    wrong.close()
    store.close()
