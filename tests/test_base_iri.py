"""`dskg serve` names resources after its own address unless a base IRI is configured,
and refuses to guess its public URL beyond loopback (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from harness.servers import free_port, wait_until_up
from kg.errors import ConfigError
from kg.settings import Settings

REPO = Path(__file__).resolve().parents[1]
TOKEN = "base-iri-test-admin-token-0123456789abcdef"
DATASET = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
[] a dcat:Dataset ; dct:title "Minted here"@en ; dct:description "A test."@en ."""


def serve(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from kg.cli import main; main()", "serve", *args],
        env={**os.environ, "PYTHONPATH": str(REPO), "DSKG_STORE": "memory",
             "DSKG_DEFAULT_GRAPH": "0", "DSKG_ADMIN_TOKEN": TOKEN, **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def test_serve_on_loopback_names_resources_after_its_own_port() -> None:
    env = {k: "" for k in ("DSKG_BASE_IRI", "DSKG_CONFIG")}
    port = free_port()
    process = serve(env, "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/health", timeout=60)
        created = httpx.post(f"{base}/datasets", content=DATASET,
                             headers={"Content-Type": "text/turtle",
                                      "Authorization": f"Bearer {TOKEN}"})
        assert created.status_code == 201, created.text
        assert created.json()["@id"].startswith(f"{base}/id/dataset/")
        catalog = httpx.get(f"{base}/catalog", headers={"Accept": "text/turtle"}).text
        assert f"<{base}/catalog>" in catalog and "127.0.0.1:8000" not in catalog
    finally:
        stop(process)


def test_serve_beyond_loopback_needs_a_public_url() -> None:
    process = serve({"DSKG_BASE_IRI": "", "DSKG_CONFIG": ""}, "--host", "0.0.0.0",
                    "--port", str(free_port()))
    try:
        _out, err = process.communicate(timeout=60)
    finally:
        stop(process)
    assert process.returncode == 2
    assert b"DSKG_BASE_IRI" in err


def test_a_configured_base_iri_wins() -> None:
    configured = Settings.from_env({"DSKG_BASE_IRI": "https://kg.example.org/"})
    assert configured.for_server("0.0.0.0", 9000).base_iri == "https://kg.example.org/"
    assert configured.for_server("127.0.0.1", 9000).base_iri == "https://kg.example.org/"
    default = Settings.from_env({})
    assert default.for_server("::1", 9000).base_iri == "http://[::1]:9000/"
    with pytest.raises(ConfigError):
        default.for_server("192.0.2.7", 9000)
