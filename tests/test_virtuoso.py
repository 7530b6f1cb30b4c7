"""The store contract, the write path and /sparql on a real Virtuoso (what data.europa.eu runs).

The test starts `virtuoso-t` on 127.0.0.1 with a throw-away database, gives the anonymous
SPARQL user update rights, hides Virtuoso's own system graphs from it (so the default graph
is the union of our graphs only), runs everything through RemoteStore, and stops it.
Skipped when Virtuoso is not installed (Debian: apt-get install virtuoso-opensource).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from rdflib import Literal, URIRef

from kg.namespaces import DCT, DSKG, META_GRAPH
from kg.settings import Settings
from kg.store import Store
from kg.store.remote import RemoteStore
from kg.writepath import Origin, delete_graphs, write_bytes
from tests.servers import free_port
from tests.store_contract import StoreContract

VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt") or shutil.which("isql")
pytestmark = pytest.mark.skipif(
    VIRTUOSO is None or ISQL is None,
    reason="Virtuoso is not installed (Debian/Ubuntu: apt-get install virtuoso-opensource)")

INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {dir}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
MaxClientConnections = 10
ServerThreads = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
"""
PRIVATE = "http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs"
SYSTEM_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#",
                 "http://localuriqaserver/sparql")
#: Update rights for the anonymous SPARQL user ("nobody" at /sparql), and Virtuoso's own
#: graphs made private so that the union default graph holds only ours.
SETUP_SQL = "\n".join([
    'GRANT SPARQL_UPDATE TO "SPARQL";',
    f"DB.DBA.RDF_GRAPH_GROUP_CREATE ('{PRIVATE}', 1);",
    *(f"DB.DBA.RDF_GRAPH_GROUP_INS ('{PRIVATE}', '{g}');" for g in SYSTEM_GRAPHS),
    "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 1);",
    "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7, 0);",
])


def _wait(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited with {process.returncode}")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("Virtuoso did not come up")


@contextmanager
def virtuoso_server(directory: Path) -> Iterator[str]:
    """`virtuoso-t` on a throw-away database in ``directory``; yields its SPARQL URL."""
    assert VIRTUOSO is not None and ISQL is not None
    sql_port, http_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(INI.format(dir=directory, sql_port=sql_port, http_port=http_port))
    process = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(ini)],
                               cwd=directory, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{http_port}/sparql"
    try:
        _wait(url, process)
        setup = subprocess.run([ISQL, f"127.0.0.1:{sql_port}", "dba", "dba"],
                               input=SETUP_SQL, capture_output=True, text=True, timeout=60)
        if "Error" in setup.stdout + setup.stderr:
            raise RuntimeError(f"Virtuoso setup failed: {setup.stdout}{setup.stderr}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture(scope="module")
def virtuoso_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with virtuoso_server(tmp_path_factory.mktemp("virtuoso")) as url:
        yield url


class TestVirtuoso(StoreContract):
    @pytest.fixture
    def empty_store(self, virtuoso_url: str) -> Iterator[Store]:
        store = RemoteStore(virtuoso_url)
        store.clear()
        yield store
        store.clear()
        store.close()


@pytest.fixture
def virtuoso_store(virtuoso_url: str) -> Iterator[Store]:
    store = RemoteStore(virtuoso_url)
    store.clear()
    yield store
    store.clear()
    store.close()


def test_system_graphs_stay_out_of_the_union(virtuoso_store: Store) -> None:
    virtuoso_store.replace_graphs({URIRef("http://example.org/g"): [
        (URIRef("http://example.org/a"), DCT.title, Literal("a"))]})
    assert virtuoso_store.graph_names() == [URIRef("http://example.org/g")]
    assert virtuoso_store.triple_count() == 1
    virtuoso_store.clear()
    assert virtuoso_store.graph_names() == []


ORGANISATION = """\
@prefix org: <http://www.w3.org/ns/org#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix dskg: <https://w3id.org/dskg#> .
<https://example.org/id/organisation/agrocoop> a org:Organization, foaf:Agent ;
    skos:prefLabel "AgroCoop {label}"@en ; foaf:name "AgroCoop" ;
    dct:identifier "agrocoop" ; dskg:country "ES" ;
    dct:source <https://example.org/source> .
"""


def test_write_path_round_trip(virtuoso_store: Store) -> None:
    origin = Origin(agent="test", source="test", activity="load")
    iri = URIRef("https://example.org/id/organisation/agrocoop")
    result = write_bytes(virtuoso_store, ORGANISATION.format(label="v1").encode(), "turtle",
                         base_iri="https://example.org/", origin=origin)
    [name] = result.graphs
    assert result.created == [name]
    labels = virtuoso_store.query(
        "SELECT ?l WHERE { ?o <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }", {"o": iri})
    assert labels.column("l") == [Literal("AgroCoop v1", lang="en")]
    record = virtuoso_store.get_graph(URIRef(META_GRAPH))
    assert (name, DSKG.describes, iri) in record

    result = write_bytes(virtuoso_store, ORGANISATION.format(label="v2").encode(), "turtle",
                         base_iri="https://example.org/", origin=origin, graph=name,
                         mode="replace")
    assert result.replaced == [name]
    assert {str(o) for o in virtuoso_store.get_graph(name).objects(iri, None)} >= {"AgroCoop v2"}
    assert "AgroCoop v1" not in {str(o) for o in virtuoso_store.get_graph(name).objects()}

    delete_graphs(virtuoso_store, [name], origin)
    assert not virtuoso_store.has_graph(name)
    assert (name, DSKG.describes, iri) not in virtuoso_store.get_graph(URIRef(META_GRAPH))


def test_sparql_endpoint_over_virtuoso(virtuoso_url: str, virtuoso_store: Store) -> None:
    from api.app import create_app

    write_bytes(virtuoso_store, ORGANISATION.format(label="v1").encode(), "turtle",
                base_iri="https://example.org/", origin=Origin(agent="test"))
    settings = Settings(store=virtuoso_url, base_iri="https://example.org/",
                        load_default_graph=False)
    with TestClient(create_app(settings, virtuoso_store)) as client:
        response = client.get("/sparql", params={
            "query": "SELECT ?n WHERE { ?o <http://xmlns.com/foaf/0.1/name> ?n }"},
            headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.text.splitlines() == ["n", "AgroCoop"]
