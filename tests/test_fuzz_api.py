"""Fuzzing every write endpoint through HTTP (in-process app): random and mutated bodies,
wrong media types, odd credentials. Never a 5xx, never a hang. (Schemathesis over
/openapi.json, writes included with the admin token, is tests/test_openapi_fuzz.py.)"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from harness.fuzz import WRITE_ENDPOINTS, fuzz_app, fuzz_input, seed_bodies
from harness.node import ADMIN
from tests.rest_support import ADMIN_TOKEN, ecosystem_store
from tests.rest_support import settings as rest_settings

#: Longest acceptable answer to one fuzzed request (a loaded CI machine included).
DEADLINE = 10.0
BODIES = seed_bodies()


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    config = rest_settings()
    config.max_body_bytes = 1 << 20
    with TestClient(create_app(config, ecosystem_store()),
                    raise_server_exceptions=False) as test_client:
        yield test_client


def _answer(client: TestClient, method: str, path: str, body: bytes, media: str,
            headers: dict) -> None:
    started = time.perf_counter()
    answer = client.request(method, path, content=body,
                            headers={**headers, **({"Content-Type": media} if media else {})})
    took = time.perf_counter() - started
    assert answer.status_code < 500, (method, path, media, body[:200], answer.text[:300])
    assert took < DEADLINE, (method, path, f"{took:.1f} s")


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False), authorised=st.booleans())
def test_mutated_bodies_on_every_write_endpoint(client: TestClient, rng: random.Random,
                                                authorised: bool) -> None:
    method, path, body, media = fuzz_input(rng, BODIES)
    _answer(client, method, path, body, media, ADMIN if authorised else {})


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(WRITE_ENDPOINTS), body=st.binary(max_size=2048),
       media=st.sampled_from(["text/turtle", "application/ld+json", "application/rdf+xml",
                              "application/n-triples", "application/sparql-update",
                              "application/json", "application/x-www-form-urlencoded", ""]))
def test_random_bytes_on_every_write_endpoint(client: TestClient,
                                              endpoint: tuple[str, str, str], body: bytes,
                                              media: str) -> None:
    method, path, _kind = endpoint
    _answer(client, method, path, body, media, ADMIN)


@pytest.mark.parametrize("token", ["", "Bearer", "Bearer ", "Bearer \u00e9t\u00e9",
                                   "Basic YWRtaW46YWRtaW4=", "Bearer " + "x" * 10_000,
                                   f"bearer {ADMIN_TOKEN}", f"Bearer  {ADMIN_TOKEN} "])
def test_odd_authorization_headers(client: TestClient, token: str) -> None:
    headers: dict = {"Authorization": token.encode("utf-8")} if token else {}
    for method, path, _kind in WRITE_ENDPOINTS:
        _answer(client, method, path, b"<urn:a> <urn:b> <urn:c> .", "text/turtle", headers)


def test_the_soak_fuzzer_finds_no_5xx() -> None:
    report = fuzz_app(150, seed=17)
    assert report.tried == 150
    assert report.server_errors == []
