"""Operations: /metrics, OpenAPI examples on every body, and `dskg token create`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kg.services.examples import TURTLE
from kg.store.embedded import EmbeddedStore
from tests.rest_support import app_for, ecosystem_store


def test_metrics_count_requests_by_route_and_report_the_store() -> None:
    store = ecosystem_store()
    with TestClient(app_for(store)) as client:
        for _ in range(3):
            client.get("/organisations/agdatahub")
        client.get("/organisations/no-such-org")
        text = client.get("/metrics").text
    assert re.search(r'dskg_http_requests_total\{method="GET",route="/organisations/'
                     r'\{resource_id\}",status="200"\} 3\b', text)
    assert 'route="/organisations/{resource_id}",status="404"} 1' in text
    count = re.search(r'dskg_http_request_duration_seconds_count\{method="GET",'
                      r'route="/organisations/\{resource_id\}"\} (\d+)', text)
    assert count and int(count.group(1)) == 4
    assert f"dskg_store_triples {store.triple_count()}\n" in text
    assert f"dskg_store_graphs {len(store.graph_names())}\n" in text
    assert "dskg_store_up 1" in text


def test_every_request_body_has_examples() -> None:
    with TestClient(app_for(EmbeddedStore())) as client:
        spec = client.get("/openapi.json").json()
        assert client.get("/docs").status_code == 200
    bodies = 0
    ours = {f"/{kind}" for kind in TURTLE} | {f"/{kind}/{{resource_id}}" for kind in TURTLE}
    for path in sorted(ours | {"/graphs"}):
        for method, operation in spec["paths"][path].items():
            if method not in ("post", "put"):
                continue
            content = operation["requestBody"]["content"]
            for media in ("text/turtle", "application/ld+json"):
                assert "example" in content[media] or content[media].get("examples"), (
                    method, path, media)
            bodies += 1
    assert bodies == 2 * len(TURTLE) + 2


def test_token_create_prints_a_working_steward_token(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from kg.cli import app

    tokens = tmp_path / "tokens.json"
    monkeypatch.setenv("DSKG_TOKENS_FILE", str(tokens))
    monkeypatch.setenv("DSKG_STORE", "memory")
    result = CliRunner().invoke(app, ["token", "create", "--role", "steward",
                                      "--dataspace", "agdatahub", "--subject", "alice"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert len(token) > 30 and token not in tokens.read_text()
    with TestClient(app_for(ecosystem_store())) as client:
        created = client.post("/datasets", content=TURTLE["datasets"], headers={
            "Content-Type": "text/turtle", "Authorization": f"Bearer {token}"})
    assert created.status_code == 201, created.text
    refused = CliRunner().invoke(app, ["token", "create", "--role", "steward"])
    assert refused.exit_code != 0
