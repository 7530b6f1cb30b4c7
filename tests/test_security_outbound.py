"""No input makes the node open a connection: each probe names a loopback listener (remote
@context, RDF/XML entities and DTDs, owl:imports, SERVICE, LOAD, FROM, DID documents, harvest
to a non-peer, a peer's redirect elsewhere) and the listener must see nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from harness.node import ADMIN, federation_available
from harness.outbound import (
    OUTBOUND_PROBES,
    Listener,
    Redirector,
    harvest_probes,
    outbound_probe_settings,
)


@pytest.fixture(scope="module")
def probe_env() -> Iterator[tuple[TestClient, Listener]]:
    with Listener() as listener, Redirector(listener.url) as peer:
        app = create_app(outbound_probe_settings(peer.url + "/catalog"))
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, listener


def _quiet(listener: Listener) -> list[bytes]:
    time.sleep(0.2)  # a connection opened in the background would have arrived by now
    return listener.connections


@pytest.mark.parametrize("name", list(OUTBOUND_PROBES))
def test_no_input_opens_a_connection(probe_env: tuple[TestClient, Listener], name: str) -> None:
    client, listener = probe_env
    listener.connections.clear()
    status = OUTBOUND_PROBES[name](client, listener.url)
    assert status < 500
    assert _quiet(listener) == []


@pytest.mark.skipif(not federation_available(), reason="no federation module")
def test_harvest_stays_on_the_configured_peer(probe_env: tuple[TestClient, Listener]) -> None:
    client, listener = probe_env
    listener.connections.clear()
    statuses = harvest_probes(client)
    assert statuses["harvest a peer that is not configured"] == 404
    assert statuses["harvest a peer that redirects elsewhere"] < 500
    report = client.post("/harvest/redirecting", headers=ADMIN).json()
    assert "refused" in report["peers"][0]["error"]
    assert _quiet(listener) == []


def test_the_listener_does_see_a_real_connection() -> None:
    """The probes would notice: a plain request to the listener is counted."""
    import httpx

    with Listener() as listener:
        httpx.get(listener.url + "/ping", timeout=5)
        assert len(_quiet(listener)) == 1
        assert listener.connections[0].startswith(b"GET /ping")
