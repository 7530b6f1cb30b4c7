"""Resource attacks: each gets a clear 4xx quickly, stores nothing, and the node stays up.

Decisions these tests pin down (see the README's reliability section):
- a request body over DSKG_MAX_BODY_BYTES: 413, and the rest of the body is never read;
- a request body is ONE description of at most MAX_BODY_TRIPLES triples (413 beyond, also
  for /validate); bigger inputs are bulk loads (`dskg load` of N-Quads/TriG);
- JSON nesting, the JSON values of a document and the @context entries it names are bounded;
- RDF/XML: no external entities or DTDs; internal entities may not nest nor expand beyond a
  bound (no "billion laughs");
- one literal or IRI up to 16 MiB (the parser's buffer): a 10 MB literal is stored, a 50 MB
  one refused with 413 even under a raised body limit;
- Unicode in labels is stored exactly as sent (no normalisation); IRIs with characters that
  RDF forbids are refused;
- REST filter values are bound as terms, so no value changes the query.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import Literal, URIRef

from api.app import create_app
from harness.servers import serve_app
from kg.jsonld import DSKG_CONTEXT_URL
from kg.rdfio import MAX_BODY_TRIPLES
from kg.services.listing import FILTER_PATTERNS
from kg.settings import Settings
from kg.store import Store
from tests.rest_support import ADMIN, ADMIN_TOKEN, BASE, ecosystem_store

TTL = "text/turtle"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"
MB = 1024 * 1024
#: Every attack must be answered within this many seconds (a loaded CI machine included).
QUICK = 8.0
ORG = "http://www.w3.org/ns/org#Organization"
LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"


def _settings(max_body: int = 20 * MB) -> Settings:
    return Settings(store="memory", admin_token=ADMIN_TOKEN, base_iri=BASE,
                    load_default_graph=False, max_body_bytes=max_body)


@pytest.fixture(scope="module")
def node() -> Iterator[tuple[TestClient, Store]]:
    store = ecosystem_store()
    with TestClient(create_app(_settings(64 * MB), store),
                    raise_server_exceptions=False) as client:
        yield client, store


def _send(client: TestClient, method: str, path: str, body: bytes, media: str,
          auth: bool = True) -> tuple[int, float, dict]:
    started = time.perf_counter()
    headers = {"Content-Type": media, **(ADMIN if auth else {})}
    answer = client.request(method, path, content=body, headers=headers)
    took = time.perf_counter() - started
    detail = answer.json() if answer.headers.get("content-type", "").startswith(
        "application/problem+json") else {}
    return answer.status_code, took, detail


def _refused(client: TestClient, store: Store, body: bytes, media: str,
             paths: tuple[str, ...] = ("/organisations", "/graphs?graph=urn:attack")
             ) -> list[dict]:
    """POST ``body`` to the write endpoints: each a quick 4xx, nothing stored."""
    before = store.triple_count()
    problems = []
    for path in paths:
        status, took, problem = _send(client, "POST", path, body, media)
        assert 400 <= status < 500, (path, status, problem)
        assert took < QUICK, (path, f"{took:.1f} s")
        problems.append(problem)
    assert store.triple_count() == before
    assert client.get("/health").status_code == 200
    return problems


# -- size ------------------------------------------------------------------------------
def _raw_request(port: int, head: str, body: bytes) -> bytes:
    """Send a request head and only part of a body; return what the server answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=QUICK) as conn:
        conn.sendall(head.encode() + body)
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except TimeoutError:
            pass
        return answer


@pytest.mark.parametrize("path", ["/organisations", "/graphs?graph=urn:g", "/sparql",
                                  "/validate", "/gaiax/credentials", "/policies/evaluate"])
def test_a_body_over_the_limit_is_refused_without_reading_it(path: str) -> None:
    with serve_app(create_app(_settings(1 * MB), ecosystem_store())) as base:
        port = int(base.rsplit(":", 1)[1])
        declared = _raw_request(port, f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: "
                                f"Bearer {ADMIN_TOKEN}\r\nContent-Type: {TTL}\r\n"
                                f"Content-Length: {500 * MB}\r\n\r\n", b"x" * 1000)
        assert declared.startswith(b"HTTP/1.1 413"), declared[:200]
        chunk = b"x" * 65536
        chunked = _raw_request(port, f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: "
                               f"Bearer {ADMIN_TOKEN}\r\nContent-Type: {TTL}\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n",
                               (f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n") * 20)
        assert chunked.startswith(b"HTTP/1.1 413"), chunked[:200]


def test_one_description_of_a_million_triples_is_refused(node: tuple[TestClient, Store]
                                                         ) -> None:
    client, store = node
    objects = ", ".join(str(i) for i in range(1_000_000))
    body = f"<https://attack.example.org/s> <https://attack.example.org/p> {objects} .".encode()
    assert len(body) < 10 * MB  # compact enough to pass the body limit
    for problem in _refused(client, store, body, TTL,
                            ("/organisations", "/graphs?graph=urn:attack", "/validate")):
        assert problem["status"] == 413 and f"{MAX_BODY_TRIPLES:,}" in problem["detail"]


def test_a_10_mb_literal_is_stored_and_a_50_mb_one_refused(node: tuple[TestClient, Store]
                                                           ) -> None:
    client, store = node
    for size, wanted in ((10 * MB, 201), (50 * MB, 413)):
        graph = f"https://attack.example.org/literal-{size}"
        body = f'<{graph}#s> <{LABEL}> "{"x" * size}" .'.encode()
        status, took, problem = _send(client, "PUT", f"/graphs?graph={graph}", body, TTL)
        assert status == wanted, problem
        assert took < 4 * QUICK
    stored = store.query("SELECT (STRLEN(?o) AS ?n) WHERE { ?s ?p ?o }",
                         {"s": URIRef(f"https://attack.example.org/literal-{10 * MB}#s")})
    assert int(stored.rows[0][0]) == 10 * MB
    assert client.get("/health").status_code == 200


# -- JSON-LD -----------------------------------------------------------------------------
def test_deeply_nested_json_ld(node: tuple[TestClient, Store]) -> None:
    client, store = node
    for depth in (100, 100_000):
        body = ('{"@id": "https://attack.example.org/a", "https://attack.example.org/p": '
                * depth + "1" + "}" * depth).encode()
        for problem in _refused(client, store, body, JSONLD):
            assert "nesting" in problem["detail"]


def test_huge_json_ld(node: tuple[TestClient, Store]) -> None:
    client, store = node
    doc = {"@context": {"ex": "https://attack.example.org/"},
           "@graph": [{"@id": f"ex:n{i}", "ex:p": list(range(10))} for i in range(60_000)]}
    body = json.dumps(doc).encode()
    assert len(body) < 20 * MB
    _refused(client, store, body, JSONLD, ("/organisations", "/validate"))


@pytest.mark.parametrize("entries", ["shipped", "inline"])
def test_a_context_list_of_thousands(node: tuple[TestClient, Store], entries: str) -> None:
    client, store = node
    context = [DSKG_CONTEXT_URL] * 5000 if entries == "shipped" else [
        {f"t{j}": f"https://attack.example.org/{j}" for j in range(20)} for _ in range(5000)]
    body = json.dumps({"@context": context, "@id": "https://attack.example.org/o",
                       "@type": ORG}).encode()
    for problem in _refused(client, store, body, JSONLD):
        assert "@context" in problem["detail"]


# -- RDF/XML -----------------------------------------------------------------------------
def _xml(doctype: str, value: str) -> bytes:
    return (f'<?xml version="1.0"?>\n{doctype}\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
            f'22-rdf-syntax-ns#" xmlns:skos="http://www.w3.org/2004/02/skos/core#"><rdf:'
            f'Description rdf:about="https://attack.example.org/o"><skos:prefLabel>{value}'
            "</skos:prefLabel></rdf:Description></rdf:RDF>").encode()


def test_billion_laughs(node: tuple[TestClient, Store]) -> None:
    client, store = node
    entities = ['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)]
    body = _xml(f"<!DOCTYPE rdf:RDF [{''.join(entities)}]>", "&l9;")
    for problem in _refused(client, store, body, RDFXML):
        assert "entit" in problem["detail"]


def test_quadratic_entity_blowup(node: tuple[TestClient, Store]) -> None:
    client, store = node
    body = _xml(f'<!DOCTYPE rdf:RDF [<!ENTITY big "{"x" * 100_000}">]>', "&big;" * 20_000)
    for problem in _refused(client, store, body, RDFXML):
        assert "entit" in problem["detail"]


def test_external_entities_are_not_read(node: tuple[TestClient, Store]) -> None:
    client, store = node
    for doctype in ('<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
                    '<!DOCTYPE rdf:RDF [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>'):
        for problem in _refused(client, store, _xml(doctype, "&x;"), RDFXML):
            assert "root:" not in json.dumps(problem)


def test_small_internal_entities_still_work(node: tuple[TestClient, Store]) -> None:
    client, _ = node
    body = _xml('<!DOCTYPE rdf:RDF [<!ENTITY name "Entity &amp; Co">]>', "&name;")
    status, _, problem = _send(client, "PUT", "/graphs?graph=https://attack.example.org/ent",
                               body, RDFXML)
    assert status == 201, problem
    graph = client.get("/graphs", params={"graph": "https://attack.example.org/ent"},
                       headers={"Accept": "application/n-triples"}).text
    assert '"Entity & Co"' in graph


# -- Unicode -----------------------------------------------------------------------------
TRICKY_LABELS = [
    "Caf\u00e9", "Cafe\u0301",  # NFC and NFD: different strings, kept apart
    "\u202eevil\u202c", "zero\u200bwidth\u200djoiner", "\U0001f600 emoji \U00010348",
    "\u0430dmin",  # Cyrillic a
    "tab\tnew\nline", "quote\" and \\ backslash", "} . ?s ?p ?o #",
]


@pytest.mark.parametrize("label", TRICKY_LABELS)
def test_tricky_labels_are_stored_exactly(node: tuple[TestClient, Store], label: str) -> None:
    client, store = node
    iri = f"https://attack.example.org/unicode/{TRICKY_LABELS.index(label)}"
    body = json.dumps({"@id": iri, "@type": ORG, LABEL: label,
                       "http://xmlns.com/foaf/0.1/name": label}).encode()
    status, _, problem = _send(client, "PUT", f"/graphs?graph={iri}", body, JSONLD)
    assert status in (201, 204), problem
    labels = store.query("SELECT ?l WHERE { ?s ?p ?l }", {"s": URIRef(iri), "p": URIRef(LABEL)})
    assert labels.column("l") == [Literal(label)]
    listed = client.get("/organisations", params={"q": label, "limit": 5})
    assert listed.status_code == 200
    assert iri in {item["@id"] for item in listed.json()["items"]}
    page = client.get("/resource", params={"iri": iri}, headers={"Accept": TTL})
    assert page.status_code in (200, 303)


@pytest.mark.parametrize("body", [
    b'{"@id": "https://attack.example.org/\\ud800", "@type": "' + ORG.encode() + b'"}',
    b'{"@id": "https://attack.example.org/o", "@type": "' + ORG.encode()
    + b'", "' + LABEL.encode() + b'": "\\udfff"}',
], ids=["lone surrogate in an IRI", "lone surrogate in a label"])
def test_unpaired_surrogates_are_refused(node: tuple[TestClient, Store], body: bytes) -> None:
    client, store = node
    _refused(client, store, body, JSONLD)


@pytest.mark.parametrize("iri", ["https://attack.example.org/a\\u0020b",
                                 "https://attack.example.org/a\\u003Eb",
                                 "https://attack.example.org/a\\u0000b", "javascript alert"])
def test_iris_with_forbidden_characters_are_refused(node: tuple[TestClient, Store],
                                                    iri: str) -> None:
    client, store = node
    _refused(client, store, f"<{iri}> a <{ORG}> .".encode(), TTL)


# -- SPARQL injection through the REST filters --------------------------------------------
INJECTIONS = ['"} UNION { ?s ?p ?o } #', "ES\" || true || \"", "<urn:x> } ; DROP ALL ; #",
              "?s ?p ?o", "'; CLEAR DEFAULT; --", "\\\"", "%", "*", ")", "ag\u0000datahub",
              "agdatahub> } UNION { ?s a ?t", "https://x.example/> . ?s ?p ?o . <urn:y",
              "project\n} ", "~" + "A" * 300]


@pytest.mark.parametrize("kind", list(FILTER_PATTERNS))
def test_rest_filters_cannot_inject_sparql(node: tuple[TestClient, Store], kind: str) -> None:
    client, store = node
    before = store.triple_count()
    everything = client.get(f"/{kind}", params={"limit": 1}).json()["total"]
    for name in [*FILTER_PATTERNS[kind], "q"]:
        for value in INJECTIONS:
            answer = client.get(f"/{kind}", params={name: value, "limit": 1000})
            assert answer.status_code in (200, 400), (name, value, answer.text[:300])
            if answer.status_code != 200:
                continue
            page = answer.json()
            if name != "q":  # no such tier, country, data space...: nothing matches
                assert page["total"] == 0, (name, value, page["items"][:2])
                continue
            # free text matches only items whose text holds the value literally
            assert page["total"] < everything, value
            for item in page["items"]:
                assert store.query(
                    "ASK { ?s ?p ?text FILTER(ISLITERAL(?text) && "
                    "CONTAINS(LCASE(STR(?text)), ?value)) }",
                    {"s": URIRef(item["@id"]), "value": Literal(value.lower())}).boolean, (
                    value, item["@id"])
    assert store.triple_count() == before
