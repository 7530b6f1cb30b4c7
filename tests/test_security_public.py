"""No filesystem path in any public answer: /health, /ready, /metrics, problem details and
the HTML error pages of a node whose store lives on disk (real HTTP on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from harness.servers import serve_app
from kg.errors import StoreUnavailable
from kg.settings import Settings
from tests.test_web_pages import BROWSER

SECRET = "operator-secret-dir"
STRONG = "q8Xv2LrM-hT5wZp0_nKc3YjUe7sGd1BfAo9iRlQx"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Path, object]]:
    location = tmp_path_factory.mktemp(SECRET) / "store"
    settings = Settings(store=str(location), admin_token=STRONG, load_default_graph=False)
    app = create_app(settings)
    with serve_app(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client, location, app


def _clean(text: str, location: Path) -> None:
    assert SECRET not in text and str(location) not in text, text[:500]


def test_health_ready_and_metrics_do_not_show_where_the_store_lives(
        node: tuple[httpx.Client, Path, object]) -> None:
    client, location, _ = node
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["store"] == "embedded"
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and 'store="embedded"' in metrics.text
    for answer in (health, client.get("/ready"), metrics):
        _clean(answer.text, location)


def test_error_answers_do_not_show_it_either(node: tuple[httpx.Client, Path, object],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    client, location, app = node
    store = app.state.store  # type: ignore[attr-defined]

    def broken(*_: object, **__: object) -> None:
        raise StoreUnavailable(f"store error: IO error: No such file: {location}/000042.sst "
                               "(also /var/lib/dskg/other.sst)")

    async def broken_async(*_: object, **__: object) -> None:
        broken()

    # Every way the node reads the engine (rows, and results the engine serialises itself).
    monkeypatch.setattr(store, "query", broken)
    monkeypatch.setattr(store, "query_serialized", broken)
    monkeypatch.setattr(store, "query_serialized_async", broken_async)
    problem = client.get("/sparql", params={"query": "ASK {}"},
                         headers={"Accept": "application/sparql-results+json"})
    assert problem.status_code == 503
    assert "store error" in problem.json()["detail"]  # the reason is kept, the place is not
    _clean(problem.text, location)
    assert "/var/lib" not in problem.text
    page = client.get("/datasets", headers=BROWSER)
    assert page.status_code == 503 and "<html" in page.text.lower()
    _clean(page.text, location)
    for answer in (client.get("/no/such/page"), client.delete("/datasets/x")):
        assert answer.status_code in (401, 404)
        _clean(answer.text, location)
