"""Shared fixtures: stores, the app, live servers, and the shared vocabularies."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings

from kg.settings import Settings
from kg.store import Store
from kg.store.embedded import EmbeddedStore

# The property and fuzz tests are a gate: the same examples on every run, so a red run is
# reproducible and a green one stays green. DSKG_FUZZ_RANDOM=1 explores new examples.
hypothesis_settings.register_profile("gate", derandomize=True, database=None)
hypothesis_settings.register_profile("explore")
hypothesis_settings.load_profile("explore" if os.environ.get("DSKG_FUZZ_RANDOM") else "gate")

REPO = Path(__file__).resolve().parents[1]
SHARED_VOCAB = REPO.parent / "shared" / "vocab"
ADMIN_TOKEN = "test-admin-token"


@pytest.fixture
def shared_vocab() -> Path:
    """../shared/vocab (official vocabularies); tests using it skip when it is absent."""
    if not SHARED_VOCAB.is_dir():
        pytest.skip("../shared/vocab is not present next to the repository")
    return SHARED_VOCAB


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(store="memory", admin_token=ADMIN_TOKEN, base_iri="http://127.0.0.1:8000/",
                    load_default_graph=False)


@pytest.fixture
def store() -> Iterator[Store]:
    store = EmbeddedStore()
    yield store
    store.close()


@pytest.fixture(scope="session")
def default_store() -> Store:
    """A store with the default graph loaded (shared; tests must not write to it)."""
    from kg.defaultgraph import load_default_graph

    store = EmbeddedStore()
    load_default_graph(store, "http://127.0.0.1:8000/")
    return store


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    from api.app import create_app

    with TestClient(create_app(settings, store)) as test_client:
        yield test_client


@pytest.fixture
def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
