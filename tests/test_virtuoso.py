"""The store contract, the write path, /sparql and a serving node on a real Virtuoso
(what data.europa.eu runs), set up as the README says.

The test starts `virtuoso-t` on 127.0.0.1 with Debian's stock configuration and a throw-away
database, creates a dedicated user with the update role (no write grant for the anonymous
SPARQL user), hides Virtuoso's own system graphs, and runs everything through RemoteStore at
the Digest-protected `/sparql-auth`. Skipped when Virtuoso is not installed (Debian:
apt-get install virtuoso-opensource).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from rdflib import Literal, URIRef

from harness.servers import (
    ISQL,
    VIRTUOSO,
    VIRTUOSO_USER,
    Virtuoso,
    free_port,
    virtuoso_server,
)
from harness.store_contract import StoreContract
from kg.errors import ConfigError
from kg.namespaces import DCT, DSKG, META_GRAPH
from kg.settings import Settings
from kg.store import Store, open_store
from kg.store.remote import EngineCredentials, RemoteStore
from kg.write import Origin, delete_graphs, write_bytes

pytestmark = [pytest.mark.virtuoso, pytest.mark.skipif(
    VIRTUOSO is None or ISQL is None,
    reason="Virtuoso is not installed (Debian/Ubuntu: apt-get install virtuoso-opensource)")]
PASSWORD = "node-secret-é"


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    with virtuoso_server(tmp_path_factory.mktemp("virtuoso"), PASSWORD) as server:
        yield server


@pytest.fixture(scope="module")
def virtuoso_url(virtuoso: Virtuoso) -> str:
    return virtuoso.sparql_auth


def authenticated(virtuoso: Virtuoso, chunk: int = 1000) -> RemoteStore:
    return RemoteStore(virtuoso.sparql_auth, gsp_url=virtuoso.gsp_auth,
                       credentials=EngineCredentials(VIRTUOSO_USER, PASSWORD), chunk=chunk)


def node_env(virtuoso: Virtuoso, password: str = PASSWORD) -> dict[str, str]:
    return {"DSKG_STORE": virtuoso.sparql_auth, "DSKG_STORE_GSP_URL": virtuoso.gsp_auth,
            "DSKG_STORE_USER": VIRTUOSO_USER,
            "DSKG_STORE_PASSWORD": password, "DSKG_BASE_IRI": "https://example.org/",
            "DSKG_ADMIN_TOKEN": "admin-token-for-the-virtuoso-test"}


class TestVirtuoso(StoreContract):
    @pytest.fixture
    def empty_store(self, virtuoso: Virtuoso) -> Iterator[Store]:
        store = authenticated(virtuoso)
        store.clear()
        yield store
        store.clear()
        store.close()


@pytest.fixture
def virtuoso_store(virtuoso: Virtuoso) -> Iterator[Store]:
    store = authenticated(virtuoso)
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
                        load_default_graph=False, store_user=VIRTUOSO_USER,
                        store_password=PASSWORD)
    with TestClient(create_app(settings, virtuoso_store)) as client:
        response = client.get("/sparql", params={
            "query": "SELECT ?n WHERE { ?o <http://xmlns.com/foaf/0.1/name> ?n }"},
            headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.text.splitlines() == ["n", "AgroCoop"]


def test_anonymous_endpoint_cannot_write(virtuoso: Virtuoso, virtuoso_store: Store) -> None:
    answer = httpx.post(virtuoso.sparql, data={"update": "INSERT DATA { GRAPH "
                        "<http://example.org/x> { <http://example.org/a> a "
                        "<http://example.org/B> } }"}, timeout=30)
    assert answer.status_code >= 400
    assert not virtuoso_store.has_graph(URIRef("http://example.org/x"))


def test_dskg_serve_starts_on_a_fresh_virtuoso_and_serves(virtuoso: Virtuoso,
                                                         virtuoso_store: Store,
                                                         tmp_path: Path) -> None:
    """The real `dskg serve` (a process, as an operator starts it) on an empty Virtuoso: the
    default graph (271 descriptions, 9k triples with their records: many requests) loads,
    then /health, a write, and SPARQL queries through SPARQLWrapper work."""
    from SPARQLWrapper import JSON, SPARQLWrapper

    assert virtuoso_store.graph_names() == []  # a fresh database
    port = free_port()
    env = {**os.environ, **node_env(virtuoso)}
    env.pop("DSKG_DEFAULT_GRAPH", None)
    log = tmp_path / "serve.log"
    server = subprocess.Popen([sys.executable, "-c", "from kg.cli import main; main()",
                               "serve", "--port", str(port)], env=env,
                              stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            assert server.poll() is None, log.read_text(errors="replace")
            try:
                health = httpx.get(f"{base}/health", timeout=5)
                if health.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "dskg serve did not come up"
            time.sleep(0.5)
        assert health.json()["status"] == "ok"
        assert len(virtuoso_store.graph_names()) > 250
        metrics = httpx.get(f"{base}/metrics", timeout=30)
        for text in (health.text, metrics.text):
            assert PASSWORD not in text and "node-secret" not in text
        client = SPARQLWrapper(f"{base}/sparql")
        client.setReturnFormat(JSON)
        client.setQuery("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a "
                        "<https://w3id.org/dskg#DataSpace> }")
        served = int(client.queryAndConvert()["results"]["bindings"][0]["n"]["value"])
        direct = virtuoso_store.query("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c }",
                                      {"c": DSKG.DataSpace}).rows[0][0]
        assert served == int(direct) > 10  # type: ignore[arg-type]
        created = httpx.post(f"{base}/organisations", content=ORGANISATION.format(
            label="served"), headers={"Content-Type": "text/turtle", "Authorization":
                                      "Bearer admin-token-for-the-virtuoso-test"}, timeout=60)
        assert created.status_code == 201, created.text
        client.setQuery("SELECT ?l WHERE { <https://example.org/id/organisation/agrocoop> "
                        "<http://www.w3.org/2004/02/skos/core#prefLabel> ?l }")
        labels = client.queryAndConvert()["results"]["bindings"]
        assert [b["l"]["value"] for b in labels] == ["AgroCoop served"]
    finally:
        server.terminate()
        server.wait(60)
    output = log.read_text(errors="replace")
    assert PASSWORD not in output and "Traceback" not in output
    assert virtuoso_store.query("ASK { ?j a ?k }", {"k": DSKG.ChunkedWrite}).boolean is False


def _big_description(iri: str, label: str, n: int) -> bytes:
    """One description of ``n`` ground triples and ``n // 2`` with blank nodes: more than
    one request takes on Virtuoso (1,200 triples with blank nodes, 4,990 per graph)."""
    lines = [f"<{iri}> a <http://www.w3.org/ns/dcat#Dataset> ; "
             f"<http://purl.org/dc/terms/title> \"{label}\"@en ."]
    lines += [f"<{iri}> <http://www.w3.org/ns/dcat#keyword> \"{label} {i}\" ." for i in range(n)]
    lines += [f"<{iri}> <http://www.w3.org/ns/dcat#qualifiedRelation> [ "
              f"<http://purl.org/dc/terms/relation> <https://example.org/r/{i}> ] ."
              for i in range(n // 4)]
    return "\n".join(lines).encode()


def test_a_write_larger_than_virtuosos_limit_lands_whole(virtuoso_store: Store) -> None:
    iri = "https://example.org/id/dataset/big"
    origin = Origin(agent="test")
    first = write_bytes(virtuoso_store, _big_description(iri, "first", 6000), "turtle",
                        base_iri="https://example.org/", origin=origin, validate=False)
    [name] = first.graphs
    assert virtuoso_store.triple_count(name) == first.triples == 6000 + 2 + 2 * 1500
    again = write_bytes(virtuoso_store, _big_description(iri, "second", 5000), "turtle",
                        base_iri="https://example.org/", origin=origin, graph=name,
                        mode="replace", validate=False)
    assert again.replaced == [name]
    assert virtuoso_store.triple_count(name) == 5000 + 2 + 2 * 1250
    titles = virtuoso_store.query("SELECT ?t WHERE { ?d <http://purl.org/dc/terms/title> ?t }",
                                  {"d": URIRef(iri)}).column("t")
    assert titles == [Literal("second", lang="en")]
    # Blank nodes kept their links across requests; nothing staged is left behind.
    linked = virtuoso_store.query(
        "SELECT (COUNT(?r) AS ?n) WHERE { ?d <http://www.w3.org/ns/dcat#qualifiedRelation> ?q ."
        " ?q <http://purl.org/dc/terms/relation> ?r }", {"d": URIRef(iri)})
    assert int(linked.rows[0][0]) == 1250
    assert virtuoso_store.graph_names() == sorted([name, URIRef(META_GRAPH)])
    assert not virtuoso_store.query(f"ASK {{ ?s <{DSKG.stagedFor}> ?t }}").boolean
    assert not virtuoso_store.query(f"ASK {{ ?j a <{DSKG.ChunkedWrite}> }}").boolean
    counted = virtuoso_store.query("SELECT ?n WHERE { GRAPH ?m { ?g ?p ?n } }", {
        "m": URIRef(META_GRAPH), "g": name, "p": DSKG.tripleCount}).column("n")
    assert counted == [Literal(5000 + 2 + 2 * 1250)]


KILLED_WRITER = """
import sys
from rdflib import Literal, URIRef
from kg.store.remote import EngineCredentials, RemoteStore
store = RemoteStore(sys.argv[1], credentials=EngineCredentials(sys.argv[2], sys.argv[3]),
                    chunk=25)
P = URIRef("http://example.org/p")
old, new = URIRef("http://example.org/old"), URIRef("http://example.org/new")
store.replace_graphs({old: [(URIRef(f"http://example.org/s{i}"), P, Literal(f"v2 {i}"))
                            for i in range(3000)],
                      new: [(URIRef(f"http://example.org/t{i}"), P, Literal(i))
                            for i in range(3000)]})
"""


def test_a_write_killed_half_way_is_undone_at_the_next_open(virtuoso: Virtuoso,
                                                             virtuoso_store: Store) -> None:
    from api.app import create_app

    old, new = URIRef("http://example.org/old"), URIRef("http://example.org/new")
    before = [(URIRef("http://example.org/s"), URIRef("http://example.org/p"), Literal("v1"))]
    virtuoso_store.replace_graphs({old: before})
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, virtuoso.sparql_auth,
                               VIRTUOSO_USER, PASSWORD])
    try:
        deadline = time.monotonic() + 120
        while virtuoso_store.triple_count(new) < 100:  # half-way: part of it written
            assert writer.poll() is None, "the writer finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
    assert virtuoso_store.has_graph(new)  # the torn write is visible until the next open
    settings = Settings.from_env({**node_env(virtuoso), "DSKG_DEFAULT_GRAPH": "0"})
    create_app(settings)  # opening the store undoes it
    assert not virtuoso_store.has_graph(new)
    assert set(virtuoso_store.get_graph(old)) == set(before)
    assert virtuoso_store.graph_names() == [old]  # no staging graph, no journal left


def test_wrong_password_stops_the_start_naming_the_variable(virtuoso: Virtuoso,
                                                            tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DSKG_STORE_PASSWORD"):
        open_store(Settings.from_env(node_env(virtuoso, "wrong-password")))
    secret = tmp_path / "password"
    secret.write_text("also-wrong\n")
    env = {**os.environ, **node_env(virtuoso)}
    del env["DSKG_STORE_PASSWORD"]
    env["DSKG_STORE_PASSWORD_FILE"] = str(secret)
    done = subprocess.run([sys.executable, "-c", "from kg.cli import main; main()", "serve",
                           "--port", str(free_port())], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0
    assert "DSKG_STORE_PASSWORD_FILE" in done.stderr and "refused" in done.stderr
    assert "Traceback" not in done.stderr and "also-wrong" not in done.stderr + done.stdout


def test_dskg_load_of_new_graphs_takes_the_graph_store_route(virtuoso_store: Store) -> None:
    """`dskg load` of a multi-graph N-Quads file: the journaled bulk path, one Graph Store
    POST per graph, then the commit point."""
    from harness.generate import generate

    data = generate(20).read_bytes()
    result = write_bytes(virtuoso_store, data, "nquads", base_iri="https://example.org/",
                         origin=Origin(agent="cli", activity="load"), exclusive=True)
    assert len(result.created) > 20 and not result.replaced
    names = set(virtuoso_store.graph_names())
    assert set(result.created) <= names
    assert virtuoso_store.triple_count() - virtuoso_store.triple_count(URIRef(META_GRAPH)) \
        == result.triples
    assert not virtuoso_store.query(
        f"ASK {{ ?j a <{DSKG.BulkLoad}> FILTER NOT EXISTS {{ ?j <http://www.w3.org/ns/prov#"
        "endedAtTime> ?t } }").boolean


def test_validation_context_is_the_same_on_virtuoso_and_embedded(virtuoso_store: Store
                                                                  ) -> None:
    """The context of a description (its references, and the governance and inheritance
    chains behind them) is the same on Virtuoso as on the embedded store. It was once a
    transitive path from VALUES, which Virtuoso refuses ("neither end ... is bound")."""
    from rdflib import Graph

    from harness.generate import generate
    from kg.store.embedded import EmbeddedStore
    from kg.validation.context import context_for

    data = generate(20).read_bytes()
    embedded = EmbeddedStore()
    embedded.import_quads(data, "nquads")
    virtuoso_store.bulk_import(data, "nquads")
    syn = "https://w3id.org/dskg/synthetic/id/"
    description = Graph().parse(data=f"""
        @prefix dct: <http://purl.org/dc/terms/> . @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
        @prefix dskg: <https://w3id.org/dskg#> .
        <{syn}dataset/new> dct:publisher <{syn}organisation/3> ;
            odrl:hasPolicy <{syn}policy/offer-new> .
        <{syn}policy/offer-new> a odrl:Offer ; odrl:inheritFrom <{syn}policy/rb1> .
        <{syn}dataspace/new> dskg:subjectTo <{syn}framework/national> .
        """, format="turtle")
    here, there = context_for(embedded, description), context_for(virtuoso_store, description)
    assert set(there) == set(here)
    # Followed to the end of both chains: rulebook policy -> national -> EU set, and the
    # national framework -> the EU framework.
    subjects = {str(s) for s in here.subjects()}
    assert {f"{syn}policy/rb1", f"{syn}policy/national-set", f"{syn}policy/eu-set",
            f"{syn}framework/national", f"{syn}framework/eu",
            f"{syn}organisation/3"} <= subjects
    assert not any(str(s).startswith(f"{syn}dataset/") for s in subjects)


def test_a_single_file_dump_is_split_on_virtuoso(virtuoso_store: Store, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`dskg load` of a portal's single Turtle file into Virtuoso: one description per
    dataset (the journaled bulk route), the file's statements and nothing else, and a reload
    that leaves every description alone."""
    from rdflib import Graph
    from rdflib.compare import isomorphic

    from harness.generate import generate_turtle
    from kg.split import split_dump, write_dump

    monkeypatch.setattr("kg.split.BULK_GRAPHS", 10)  # the route a big dump takes
    path = generate_turtle(20, path=tmp_path / "catalog.ttl")
    dump = split_dump(path.read_bytes(), "turtle", base_iri="https://example.org/")
    assert dump is not None
    done = write_dump(virtuoso_store, dump, base_iri="https://example.org/",
                      origin=Origin(agent="cli", activity="load"), exclusive=True)
    names = sorted(p.name for p in dump.parts)
    assert sorted(done.result.created) == names and done.unchanged == 0
    assert virtuoso_store.graph_names() == sorted([*names, URIRef(META_GRAPH)])
    datasets = virtuoso_store.query(
        "SELECT ?r ?g WHERE { GRAPH ?m { ?g ?d ?r } ?r a <http://www.w3.org/ns/dcat#Dataset> }",
        {"m": URIRef(META_GRAPH), "d": DSKG.describes}).rows
    assert len(datasets) == 20 and len({g for _r, g in datasets}) == 20
    union = Graph()
    for name in names:
        union += virtuoso_store.get_graph(name)
    assert isomorphic(union, Graph().parse(path, format="turtle"))
    again = write_dump(virtuoso_store, dump, base_iri="https://example.org/",
                       origin=Origin(agent="cli", activity="load"), exclusive=True)
    assert again.unchanged == len(names) and not again.result.graphs
