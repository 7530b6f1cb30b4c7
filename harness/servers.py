"""Real servers for tests: our app under uvicorn, and `oxigraph serve`, on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError as exc:
            last = exc
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up: {last}")


@contextmanager
def serve_app(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with uvicorn in a thread; yields its base URL (no trailing slash)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/health")
        yield base
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def oxigraph_server(location: Path) -> Iterator[str]:
    """`oxigraph serve` (PyPI package oxigraph) on a throw-away directory; yields its URL."""
    binary = shutil.which("oxigraph")
    if binary is None:
        raise RuntimeError("the oxigraph server is not installed (pip install oxigraph)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
         "--union-default-graph"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/query?query=ASK%7B%7D")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


# -- Virtuoso ---------------------------------------------------------------------------------
VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt") or shutil.which("isql")
#: Debian's stock configuration (package virtuoso-opensource), used as it is apart from
#: paths, ports and the README's ResultSetMaxRows.
STOCK_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
FALLBACK_INI = """\
[Database]
DatabaseFile = /var/lib/virtuoso-opensource-7/db/virtuoso.db
ErrorLogFile = /var/lib/virtuoso-opensource-7/db/virtuoso.log
LockFile = /var/lib/virtuoso-opensource-7/db/virtuoso.lck
TransactionFile = /var/lib/virtuoso-opensource-7/db/virtuoso.trx
xa_persistent_file = /var/lib/virtuoso-opensource-7/db/virtuoso.pxa
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = /var/lib/virtuoso-opensource-7/db/virtuoso-temp.db
TransactionFile = /var/lib/virtuoso-opensource-7/db/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0
[Parameters]
ServerPort = 1111
DisableUnixSocket = 1
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., /usr/share/virtuoso-opensource-7/vad
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
[HTTPServer]
ServerPort = 8890
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
MaxClientConnections = 10
ServerThreads = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 10000
MaxQueryExecutionTime = 60
"""
PRIVATE = "http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs"
SYSTEM_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#",
                 "http://localuriqaserver/sparql")
VIRTUOSO_USER = "dskg"


def virtuoso_setup_sql(user: str, password: str) -> str:
    """The README's setup: a dedicated user with the update role (used at /sparql-auth),
    no write grant for the anonymous SPARQL user, and Virtuoso's own graphs made private so
    that the union default graph holds only ours."""
    return "\n".join([
        f"DB.DBA.USER_CREATE ('{user}', '{password}');",
        f'GRANT SPARQL_UPDATE TO "{user}";',
        f"DB.DBA.RDF_GRAPH_GROUP_CREATE ('{PRIVATE}', 1);",
        *(f"DB.DBA.RDF_GRAPH_GROUP_INS ('{PRIVATE}', '{g}');" for g in SYSTEM_GRAPHS),
        "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 1);",
        "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 1, 0);",
        f"DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('{user}', 0, 1);",
        f"DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('{user}', 15, 0);",
    ])


def virtuoso_ini(directory: Path, sql_port: int, http_port: int) -> str:
    """Debian's stock virtuoso.ini with our paths and ports (and ResultSetMaxRows raised,
    as the README says)."""
    import re

    text = STOCK_INI.read_text() if STOCK_INI.is_file() else FALLBACK_INI
    text = text.replace("/var/lib/virtuoso-opensource-7/db", str(directory))
    section = ""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped
        key = re.split(r"\s*=", stripped, maxsplit=1)[0]
        if key == "ServerPort" and section == "[Parameters]":
            line = f"ServerPort = 127.0.0.1:{sql_port}"
        elif key == "ServerPort" and section == "[HTTPServer]":
            line = f"ServerPort = 127.0.0.1:{http_port}"
        elif key == "DirsAllowed":
            line = f"{line.split(';')[0].rstrip()}, {directory}"
        elif key == "ResultSetMaxRows":
            line = "ResultSetMaxRows = 1000000"
        elif key == "DefaultHost":
            line = f"DefaultHost = 127.0.0.1:{http_port}"
        lines.append(line)
    return "\n".join(lines) + "\n"


@dataclass
class Virtuoso:
    """A running `virtuoso-t`: its HTTP base URL and its SQL port (for `isql`)."""

    base: str
    sql_port: int
    directory: Path
    password: str

    @property
    def sparql(self) -> str:
        return f"{self.base}/sparql"

    @property
    def sparql_auth(self) -> str:
        return f"{self.base}/sparql-auth"

    @property
    def gsp_auth(self) -> str:
        return f"{self.base}/sparql-graph-crud-auth"

    def isql(self, sql: str, timeout: float = 600) -> str:
        assert ISQL is not None
        done = subprocess.run([ISQL, f"127.0.0.1:{self.sql_port}", "dba", "dba"], input=sql,
                              capture_output=True, text=True, timeout=timeout)
        out = done.stdout + done.stderr
        if "Error" in out:
            raise RuntimeError(f"isql failed: {out}")
        return out


@contextmanager
def virtuoso_server(directory: Path, password: str = "node-secret") -> Iterator[Virtuoso]:
    """`virtuoso-t` on a throw-away database in ``directory``, set up as the README says."""
    if VIRTUOSO is None or ISQL is None:
        raise RuntimeError("Virtuoso is not installed (apt-get install virtuoso-opensource)")
    sql_port, http_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(virtuoso_ini(directory, sql_port, http_port))
    process = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(ini)],
                               cwd=directory, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    server = Virtuoso(f"http://127.0.0.1:{http_port}", sql_port, directory, password)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited with {process.returncode}")
            try:
                if httpx.get(server.sparql, params={"query": "ASK {}"},
                             timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("Virtuoso did not come up")
            time.sleep(0.2)
        server.isql(virtuoso_setup_sql(VIRTUOSO_USER, password), timeout=60)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
