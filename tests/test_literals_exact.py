"""Literals come back as written through every write route (issue 15).

Ill-typed literals reach validation as written and, when no shape objects, are stored as
written; well-typed literals in canonical form, and any Unicode, come back byte for byte.
Two things the store itself decides (documented in the README, "Exact literals"): a
well-typed literal in a non-canonical form ("012"^^xsd:integer) is stored as its value's
canonical form, and language tags are kept in lower case (RDF 1.1 allows both).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Response
from rdflib import Graph, Literal, URIRef

from api.app import create_app
from harness.servers import serve_app
from kg.federation.harvest import harvest_peer
from kg.federation.peers import peer_from_table
from kg.namespaces import META_GRAPH
from kg.rdfio import iter_quads, parse_graph
from kg.settings import Settings
from kg.store.embedded import EmbeddedStore

REPO = Path(__file__).resolve().parents[1]
ADMIN_TOKEN = "exact-literals-admin-token-0123456789"
DATASET = URIRef("https://example.org/ds/exact")
TURTLE = """\
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix ex: <https://example.org/vocab#> .
<https://example.org/ds/exact> a dcat:Dataset ;
  dct:title "Exact \U0001d518\U0001d52b\U0001d526 e\\u0301 \ufb01 \\u200d"@en ;
  dct:alternative "\u05e2\u05d1\u05e8\u05d9\u05ea"@he ;
  dct:alternative "\\"q\\"\\ttab"@en ;
  dct:description "Zeile\\nzwei \u2028 \U0001f600"@de ;
  ex:count "12"^^xsd:integer ; ex:ratio "1.5"^^xsd:decimal ; ex:yes true ;
  ex:flag "none"^^xsd:boolean ; ex:when "2020-1-1"^^xsd:date ; ex:odd " 1"^^xsd:int ;
  ex:big "abc"^^xsd:integer ; ex:custom "x y"^^ex:myType ; ex:spaced " 12"^^xsd:integer ;
  ex:padded "012"^^xsd:integer ; ex:mixed "colour"@en-GB .
"""
CATALOG = """ex:catalog a dcat:Catalog ; dct:title "Exact"@en ;
  dcat:dataset <https://example.org/ds/exact> .
"""
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
#: What the store returns for the two inputs it canonicalises (see the module docstring).
STORED_AS = {
    ("012", None, XSD_INTEGER): Literal("12", datatype=URIRef(XSD_INTEGER)),
    ("colour", "en-GB", None): Literal("colour", lang="en-gb"),
}


def lexical(literal: Literal) -> tuple[str, str | None, str | None]:
    """A literal as its exact parts (rdflib's == compares values for some datatypes)."""
    return (str(literal), literal.language,
            None if literal.datatype is None else str(literal.datatype))


def written() -> set[tuple[str, str, tuple[str, str | None, str | None]]]:
    """The literals of the dataset as the parser reads them, with the store's documented
    rewrites applied."""
    out = set()
    for _s, p, o in parse_graph(TURTLE.encode(), "turtle").triples((DATASET, None, None)):
        if isinstance(o, Literal):
            o = STORED_AS.get(lexical(o), o)
            out.add((str(p), str(o.datatype or o.language or ""), lexical(o)))
    return out


def literals_of(graph: Graph) -> set[tuple[str, str, tuple[str, str | None, str | None]]]:
    return {(str(p), str(o.datatype or o.language or ""), lexical(o))
            for _s, p, o in graph.triples((DATASET, None, None)) if isinstance(o, Literal)}


def test_the_fixture_holds_what_the_tests_claim() -> None:
    # Our parser keeps lexical forms (rdflib's own would read "012" as 12, "none" as false).
    found = {str(o) for o in parse_graph(TURTLE.encode(), "turtle").objects()
             if isinstance(o, Literal)}
    assert {"012", "none", "2020-1-1", " 1", "abc"} <= found


@pytest.fixture(scope="module")
def node() -> Iterator[tuple[str, EmbeddedStore]]:
    store = EmbeddedStore()
    settings = Settings(store="memory", admin_token=ADMIN_TOKEN,
                        base_iri="http://127.0.0.1:8000/", load_default_graph=False)
    with serve_app(create_app(settings, store)) as url:
        yield url, store


def test_rest_write_keeps_every_literal(node: tuple[str, EmbeddedStore]) -> None:
    url, _store = node
    answer = httpx.post(f"{url}/datasets", content=TURTLE.encode(),
                        headers={"Content-Type": "text/turtle",
                                 "Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert answer.status_code in (200, 201), answer.text
    assert "Traceback" not in answer.text and "weird" not in answer.text
    back = httpx.get(url + answer.headers["location"],
                     headers={"Accept": "application/n-triples"})
    assert back.status_code == 200
    got = literals_of(parse_graph(back.content, "ntriples"))
    assert got == written()
    # Byte for byte in the N-Triples body too, for the ill-typed and the Unicode ones.
    assert '"none"^^<http://www.w3.org/2001/XMLSchema#boolean>' in back.text
    assert '"2020-1-1"^^<http://www.w3.org/2001/XMLSchema#date>' in back.text
    assert "e\u0301" in back.text and "\U0001d518" in back.text
    # Turtle too: rdflib's writer would print " 12"^^xsd:integer as the number 12.
    as_turtle = httpx.get(url + answer.headers["location"], headers={"Accept": "text/turtle"})
    assert literals_of(parse_graph(as_turtle.content, "turtle")) == written()


def test_cli_load_keeps_every_literal(tmp_path: Path) -> None:
    source = tmp_path / "exact.ttl"
    source.write_text(TURTLE, encoding="utf-8")
    env = {**os.environ, "DSKG_STORE": str(tmp_path / "store"), "DSKG_DEFAULT_GRAPH": "0",
           "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "default"}
    cli = [sys.executable, "-c", "from kg.cli import main; main()"]
    loaded = subprocess.run([*cli, "load", str(source)], env=env, capture_output=True,
                            text=True, timeout=120)
    assert loaded.returncode == 0, loaded.stderr + loaded.stdout
    for noise in ("Traceback", "UserWarning", "weird boolean", "Failed to convert"):
        assert noise not in loaded.stderr + loaded.stdout
    exported = subprocess.run([*cli, "export", "-o", "-"], env=env, capture_output=True,
                              timeout=120)
    assert exported.returncode == 0, exported.stderr
    described = Graph()
    for s, p, o, g in iter_quads(exported.stdout, "nquads"):
        if g != URIRef(META_GRAPH):  # the provenance record says things about the graph
            described.add((s, p, o))
    assert literals_of(described) == written()


def test_harvest_keeps_every_literal() -> None:
    peer = FastAPI()

    @peer.get("/catalog")
    def catalog() -> Response:
        return Response(TURTLE + CATALOG, media_type="text/turtle")

    @peer.get("/health")
    def health() -> Response:
        return Response("ok")

    store = EmbeddedStore()
    settings = Settings(store="memory", base_iri="https://node.example.org/",
                        load_default_graph=False)
    with serve_app(peer) as url:
        report = harvest_peer(store, settings, peer_from_table(
            {"name": "peer", "catalog": f"{url}/catalog"}, 0))
    assert report.error is None, report.error
    found = store.query("SELECT ?g { GRAPH ?g { ?d a ?t } }", {"d": DATASET}).column("g")
    assert found, "the dataset was not harvested"
    graph = store.get_graph(found[0])  # type: ignore[arg-type]
    assert literals_of(graph) == written()


def test_ill_typed_literal_reaches_validation_as_written(node: tuple[str, EmbeddedStore]
                                                         ) -> None:
    url, _store = node
    body = TURTLE.replace('ex:when "2020-1-1"', 'dct:issued "2020-1-1"')
    answer = httpx.post(f"{url}/validate", content=body.encode(),
                        headers={"Content-Type": "text/turtle", "Accept": "application/json"})
    assert answer.status_code == 200, answer.text
    assert "2020-1-1" in answer.text
    assert "Traceback" not in answer.text


def test_gaiax_import_keeps_every_literal(tmp_path: Path) -> None:
    from harness import gaiax_factory as factory
    from kg.gaiax.importer import import_document
    from kg.gaiax.trust import TrustStore
    from kg.write import Origin

    issuer = factory.Issuer(factory.rsa_key())
    issuer.write(tmp_path)
    participant = factory.participant()
    name = "Provider \U0001d518\U0001d52b\U0001d526 e\u0301 \u05e2\u05d1 \U0001f600 SA"
    participant["credentialSubject"]["gx:legalName"] = name
    participant["credentialSubject"]["https://example.org/vocab#padded"] = {
        "@value": "0012", "@type": "http://www.w3.org/2001/XMLSchema#token"}
    participant["credentialSubject"]["https://example.org/vocab#flag"] = {
        "@value": "none", "@type": "http://www.w3.org/2001/XMLSchema#boolean"}
    document = factory.presentation(*(issuer.sign(c) for c in (
        participant, factory.registration(), factory.terms())))
    store = EmbeddedStore()
    result = import_document(store, json.dumps(document), TrustStore.from_directory(tmp_path),
                             base_iri="http://127.0.0.1:8000/", origin=Origin(agent="test"))
    stored = store.get_graph(result.graphs[0])
    found = {lexical(o) for o in stored.objects() if isinstance(o, Literal)}
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert {(name, None, xsd + "string"), ("0012", None, xsd + "token"),
            ("none", None, xsd + "boolean")} <= {
        (text, lang, dt or xsd + "string") for text, lang, dt in found}
