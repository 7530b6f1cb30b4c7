"""A real node for the soak harnesses: ``dskg serve`` processes on an on-disk store (127.0.0.1
only, admin token set) and the descriptions the harnesses write to it (an organisation whose
version is in three literals, so a reader can tell a half-replaced one)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from harness.servers import free_port

ADMIN_TOKEN = "soak-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
BASE_IRI = "http://127.0.0.1:8000/"
SOAK_IRI = "https://soak.example.org/id/organisation/"
ID = "https://w3id.org/dskg/id/"
#: Data spaces of the default graph the soak's organisations join.
SPACES = [ID + "dataspace/" + s for s in ("agdatahub", "ds4skills", "connected-urban-twins",
                                          "labour-market-data-trust", "un-pet-lab")]
TURTLE = "text/turtle"
_VERSION = re.compile(r"\bv(\d+)\b")
#: A small query every node answers fast (the load mix, and a probe while runaways run).
SIMPLE_QUERY = ("PREFIX dskg: <https://w3id.org/dskg#> PREFIX org: <http://www.w3.org/ns/org#> "
                "SELECT ?m WHERE { ?m org:organization ?space } LIMIT 20")


# -- descriptions ------------------------------------------------------------------------
def org_body(iri: str, version: int, space: str) -> str:
    """An organisation and its membership; the version is in three literals (a reader
    seeing two different versions saw a half-replaced description)."""
    name = iri.rsplit("/", 1)[-1]
    return f"""@prefix dskg: <https://w3id.org/dskg#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{iri}> a org:Organization ;
    skos:prefLabel "Soak organisation {name} v{version}"@en ;
    foaf:name "Soak organisation {name} v{version}" ;
    dct:description "Written by the soak, v{version}."@en ;
    dskg:country "ES" .
[] a org:Membership ; org:member <{iri}> ; org:organization <{space}> ;
    org:role dskg:DataProvider .
"""


def versions_in(text: str) -> set[int]:
    """The versions a serialised soak description carries."""
    return {int(v) for v in _VERSION.findall(text)}


def rest_id(iri: str) -> str:
    import base64

    return "~" + base64.urlsafe_b64encode(iri.encode()).decode().rstrip("=")


# -- real server processes ---------------------------------------------------------------
def dskg_env(store: Path | str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSKG_")}
    env.update(DSKG_STORE=str(store), DSKG_ADMIN_TOKEN=ADMIN_TOKEN, DSKG_BASE_IRI=BASE_IRI,
               DSKG_LOG_LEVEL="warning", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def dskg_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from kg.cli import main; main()", *args]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def terminate(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return -9

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def start_server(store: Path | str, log: Path, timeout: float = 120, **extra: str) -> Server:
    """``dskg serve`` on a free port; returns once /ready answers 200."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(dskg_command("serve", "--port", str(port)),
                                   env=dskg_env(store, **extra), stdout=out,
                                   stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dskg serve exited with {process.returncode}:\n"
                               f"{server.log_tail()}")
        try:
            if httpx.get(server.base + "/ready", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"dskg serve did not get ready in {timeout:g} s:\n{server.log_tail()}")


def federation_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("kg.federation") is not None
