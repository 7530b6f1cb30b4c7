"""The store contract on a real `oxigraph serve` process through the SPARQL protocols."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.store import Store
from kg.store.remote import RemoteStore
from tests.servers import oxigraph_server
from tests.store_contract import StoreContract

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
    from kg.errors import StoreUnavailable
    from tests.servers import free_port

    store = RemoteStore(f"http://127.0.0.1:{free_port()}/query")
    with pytest.raises(StoreUnavailable):
        store.query("ASK {}")
    assert not store.ping()
