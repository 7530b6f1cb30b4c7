"""Two `dskg serve` processes on one `oxigraph serve`: a write through one reaches the
other's searches (text index) and listings within DSKG_SHARED_REFRESH, not at the text
index's periodic rebuild (5 minutes)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from harness.servers import free_port, oxigraph_server, wait_until_up

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    shutil.which("oxigraph") is None,
    reason="oxigraph server not installed (pip install oxigraph)")]
TOKEN = "scale-out-admin-token"
ORGANISATION = """\
@prefix org: <http://www.w3.org/ns/org#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<https://example.org/id/organisation/quokka-lab> a org:Organization, foaf:Agent ;
    skos:prefLabel "Quokkalab Cooperative"@en ; foaf:name "Quokkalab" ;
    dct:identifier "quokka-lab" .
"""


@contextmanager
def node(engine: str, workdir: Path) -> Iterator[str]:
    """A real `dskg serve` process on the engine; yields its base URL."""
    port = free_port()
    env = {**os.environ, "DSKG_STORE": f"{engine}/query",
           "DSKG_STORE_UPDATE_URL": f"{engine}/update", "DSKG_STORE_GSP_URL": f"{engine}/store",
           "DSKG_BASE_IRI": "https://example.org/", "DSKG_ADMIN_TOKEN": TOKEN,
           "DSKG_SHARED_REFRESH": "0.5", "HOME": str(workdir)}
    process = subprocess.Popen([sys.executable, "-c", "from kg.cli import main; main()",
                                "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/health", timeout=120)
        yield base
    finally:
        process.terminate()
        process.wait(20)


def _found(base: str, word: str) -> bool:
    answer = httpx.get(f"{base}/organisations", params={"q": word, "limit": 50}, timeout=30)
    assert answer.status_code == 200, answer.text
    return any("quokka" in item["id"] for item in answer.json()["items"])


def _eventually(check: object, expected: bool, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check() == expected:  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"still not {expected} after {seconds} s")


def test_a_write_in_one_process_reaches_the_others_searches(tmp_path: Path) -> None:
    with oxigraph_server(tmp_path / "engine") as engine, node(engine, tmp_path) as first, \
            node(engine, tmp_path) as second:
        assert not _found(second, "quokkalab")  # the index is built and has no such name
        created = httpx.post(f"{first}/organisations", content=ORGANISATION, headers={
            "Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"}, timeout=60)
        assert created.status_code == 201, created.text
        _eventually(lambda: _found(second, "quokkalab"), True)
        location = created.headers["Location"]
        etag = httpx.get(first + location, timeout=30).headers["ETag"]
        deleted = httpx.delete(first + location, headers={
            "Authorization": f"Bearer {TOKEN}", "If-Match": etag}, timeout=60)
        assert deleted.status_code == 204
        _eventually(lambda: _found(second, "quokkalab"), False)
        assert httpx.get(second + location, timeout=30).status_code == 404
