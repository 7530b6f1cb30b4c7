"""Literals come back as written through every write route (issue 15).

Ill-typed literals reach validation as written and, when no shape objects, are stored as
written. Well-typed literals in a non-canonical form ("012"^^xsd:integer, "1.0"^^xsd:decimal,
"12"^^xsd:int), language tags with capitals and any Unicode come back byte for byte in every
document read (REST GET in N-Triples, Turtle and JSON-LD, Graph Store GET, ``dskg export``)
although the engine stores values (kg.lexical notes the written forms); SPARQL answers with
the engine's values. Replacing or deleting a description leaves no note behind.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Response
from rdflib import BNode, Graph, Literal, URIRef

from api.app import create_app
from harness.servers import serve_app
from kg.federation.harvest import harvest_peer
from kg.federation.peers import peer_from_table
from kg.lexical import WRITTEN_FORM, read_description
from kg.namespaces import META_GRAPH
from kg.rdfio import iter_quads, parse_graph
from kg.services.documents import compact_jsonld
from kg.settings import Settings
from kg.store.embedded import EmbeddedStore
from kg.trespass import find_trespasses
from tests.test_web_pages import BROWSER

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
  ex:padded "012"^^xsd:integer ; ex:mixed "colour"@en-GB ; ex:plus "+5"^^xsd:integer ;
  ex:decimal "1.0"^^xsd:decimal, "1"^^xsd:decimal ; ex:short 1.50 ; ex:double "1E3"^^xsd:double ;
  ex:bool "1"^^xsd:boolean ; ex:int "012"^^xsd:int ; ex:int2 "12"^^xsd:int ;
  ex:at "2020-01-01T10:00:00.000Z"^^xsd:dateTime ; ex:region "Wien"@DE-AT ;
  ex:node [ ex:size "01.50"^^xsd:decimal ; ex:label "x"@de-CH ] .
"""
CATALOG = """ex:catalog a dcat:Catalog ; dct:title "Exact"@en ; dct:description "Exact"@en ;
  dct:publisher <https://example.org/org/exact> ; dcat:dataset <https://example.org/ds/exact> .
<https://example.org/org/exact> a <http://xmlns.com/foaf/0.1/Agent> ;
  <http://xmlns.com/foaf/0.1/name> "Exact"@en .
"""
XSD = "http://www.w3.org/2001/XMLSchema#"
#: The N-Triples text of literals the engine would store in another form: each must be in
#: what a client reads back, byte for byte.
EXACT_TEXT = [f'"012"^^<{XSD}integer>', f'"+5"^^<{XSD}integer>', f'"1.0"^^<{XSD}decimal>',
              f'"1"^^<{XSD}decimal>', f'"1.50"^^<{XSD}decimal>', f'"1E3"^^<{XSD}double>',
              f'"1"^^<{XSD}boolean>', f'"012"^^<{XSD}int>', f'"12"^^<{XSD}int>',
              f'"2020-01-01T10:00:00.000Z"^^<{XSD}dateTime>', '"colour"@en-GB',
              '"Wien"@DE-AT', f'"01.50"^^<{XSD}decimal>', '"x"@de-CH',
              f'"none"^^<{XSD}boolean>', f'"2020-1-1"^^<{XSD}date>']


def lexical(literal: Literal) -> tuple[str, str | None, str | None]:
    """A literal as its exact parts (rdflib's == compares values for some datatypes and
    language tags without case)."""
    return (str(literal), literal.language,
            None if literal.datatype is None else str(literal.datatype))


Exact = set[tuple[str, str, tuple[str, str | None, str | None]]]


def literals_of(graph: Graph) -> Exact:
    """The dataset's literals and those of its blank nodes (as "_:"), exactly."""
    return {(str(s) if s == DATASET else "_:", str(p), lexical(o))
            for s, p, o in graph
            if isinstance(o, Literal) and (s == DATASET or isinstance(s, BNode))}


def written() -> Exact:
    """The literals as the parser reads them: what every read must give back."""
    return literals_of(parse_graph(TURTLE.encode(), "turtle"))


def test_the_fixture_holds_what_the_tests_claim() -> None:
    # Our parser keeps lexical forms (rdflib's own would read "012" as 12, "none" as false)
    # and the capitals of language tags (the engine's parser lower-cases them).
    found = {lexical(o) for o in parse_graph(TURTLE.encode(), "turtle").objects()
             if isinstance(o, Literal)}
    assert {"012", "none", "2020-1-1", " 1", "abc", "1.0", "1.50", "1E3", "01.50"} <= {
        text for text, _lang, _dt in found}
    assert {("colour", "en-GB", None), ("Wien", "DE-AT", None), ("x", "de-CH", None)} <= found


@pytest.fixture(scope="module")
def node() -> Iterator[tuple[str, EmbeddedStore]]:
    store = EmbeddedStore()
    settings = Settings(store="memory", admin_token=ADMIN_TOKEN,
                        base_iri="http://127.0.0.1:8000/", load_default_graph=False)
    with serve_app(create_app(settings, store)) as url:
        yield url, store


def assert_exact(text: str, graph: Graph) -> None:
    """Every literal as written, in the parsed graph and byte for byte in the text."""
    assert literals_of(graph) == written()
    missing = [t for t in EXACT_TEXT if t not in text]
    assert not missing, missing


def _values(document: object) -> list[object]:
    """Every dict and value in a JSON document, depth first."""
    found: list[object] = []
    stack = [document]
    while stack:
        item = stack.pop()
        found.append(item)
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def notes_of(store: EmbeddedStore) -> list[tuple[URIRef, str]]:
    return [(g, str(f)) for g, f in store.query(
        f"SELECT ?g ?f {{ GRAPH <{META_GRAPH}> {{ ?g <{WRITTEN_FORM}> ?f }} }}").rows]


def test_rest_write_keeps_every_literal(node: tuple[str, EmbeddedStore]) -> None:
    url, store = node
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    answer = httpx.post(f"{url}/datasets", content=TURTLE.encode(),
                        headers={"Content-Type": "text/turtle", **auth})
    assert answer.status_code in (200, 201), answer.text
    assert "Traceback" not in answer.text and "weird" not in answer.text
    where = url + answer.headers["location"]
    back = httpx.get(where, headers={"Accept": "application/n-triples"})
    assert back.status_code == 200
    assert_exact(back.text, parse_graph(back.content, "ntriples"))
    assert "e\u0301" in back.text and "\U0001d518" in back.text
    # The ETag of the read is the ETag the write answered (both of the text as written).
    assert back.headers["etag"].rsplit("-", 1)[0] == answer.headers["etag"].rsplit("-", 1)[0]
    # Turtle too: rdflib's writer would print " 12"^^xsd:integer as the number 12.
    as_turtle = httpx.get(where, headers={"Accept": "text/turtle"})
    assert literals_of(parse_graph(as_turtle.content, "turtle")) == written()
    assert "Wien\"@DE-AT" in as_turtle.text and "1E3" in as_turtle.text
    for media, fmt in (("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")):
        other = httpx.get(where, headers={"Accept": media})
        assert other.status_code == 200, other.text
        assert literals_of(parse_graph(other.content, fmt)) == written(), media
    # SPARQL keeps the engine's values (value-equal: "012" is the integer 12).
    rows = httpx.get(f"{url}/sparql", params={"query": (
        "SELECT ?o { <https://example.org/ds/exact> <https://example.org/vocab#padded> ?o }")},
        headers={"Accept": "application/sparql-results+json"}).json()["results"]["bindings"]
    assert [r["o"]["value"] for r in rows] == ["12"]
    # Only the literals the engine changes are noted, plus "1"^^xsd:decimal, which the
    # engine would merge with "1.0".
    noted = {json.loads(f)[2] for _g, f in notes_of(store)}
    assert noted == {"012", "+5", "1.0", "1", "1.50", "1E3", "12", "colour", "Wien",
                     "2020-01-01T10:00:00.000Z", "01.50", "x"}
    # The notes are the node's bookkeeping in the meta graph: the trespass check sees nothing.
    assert find_trespasses(store) == []
    # The DCAT-AP catalog is written by the engine as it streams (README, "Exact
    # literals"): the engine's forms there, value-equal, as in SPARQL answers.
    catalog = httpx.get(f"{url}/catalog", headers={"Accept": "application/n-triples"})
    assert catalog.status_code == 200, catalog.text
    assert f'"1000"^^<{XSD}double>' in catalog.text and "1E3" not in catalog.text
    # PUT with the ETag: the precondition holds against the description as written.
    replaced = TURTLE.replace('"012"^^xsd:integer', '"0013"^^xsd:integer')
    put = httpx.put(where, content=replaced.encode(),
                    headers={"Content-Type": "text/turtle", "If-Match": answer.headers["etag"],
                             **auth})
    assert put.status_code in (200, 204), put.text
    again = httpx.get(where, headers={"Accept": "application/n-triples"})
    assert f'"0013"^^<{XSD}integer>' in again.text
    assert f'"012"^^<{XSD}integer>' not in again.text
    # The replaced description's notes went with its record: none for "012" is left.
    noted = [(json.loads(f)[2], json.loads(f)[4]) for _g, f in notes_of(store)]
    assert ("0013", f"{XSD}integer") in noted and ("012", f"{XSD}integer") not in noted
    assert noted.count(("1.0", f"{XSD}decimal")) == 1 and ("012", f"{XSD}int") in noted
    deleted = httpx.delete(where, headers=auth)
    assert deleted.status_code in (200, 204), deleted.text
    assert notes_of(store) == []


def test_web_form_and_dataspace_protocol_keep_literals_as_written() -> None:
    """A seeded dataset with an offer (DSP shows no other), given non-canonical literals
    by a REST PUT, edited in the web form, read through REST and DSP."""
    store = EmbeddedStore()
    settings = Settings(store="memory", admin_token=ADMIN_TOKEN,
                        base_iri="http://127.0.0.1:8000/")
    with serve_app(create_app(settings, store)) as url:
        [offered] = store.query(
            "SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
            "<http://www.w3.org/ns/dcat#distribution> ?x ; "
            "<http://www.w3.org/ns/odrl/2/hasPolicy> ?o } ORDER BY ?d LIMIT 1").column("d")
        ident = str(offered).rsplit("/", 1)[-1]
        body = httpx.get(f"{url}/datasets/{ident}",
                         headers={"Accept": "application/n-triples"}).text
        body += (f'<{offered}> <https://example.org/vocab#padded> "012"^^<{XSD}integer> .\n'
                 f'<{offered}> <https://example.org/vocab#ratio> "1.0"^^<{XSD}decimal> .\n'
                 f'<{offered}> <https://example.org/vocab#mixed> "colour"@en-GB .\n')
        put = httpx.put(f"{url}/datasets/{ident}", content=body.encode(),
                        headers={"Content-Type": "application/n-triples",
                                 "Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert put.status_code in (200, 204), put.text
        # The web form edits the title and keeps the statements it does not show, as written.
        page = httpx.get(f"{url}/ui/edit/datasets/{ident}", headers=BROWSER).text
        etag = re.search(r'name="etag" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        fields = {"title": "Farm data, edited", "description": "Farm data.",
                  "publisher": "agdatahub", "dataspace": "agdatahub", "theme": "AGRI",
                  "access_url": "https://agdatahub.eu/", "etag": etag.replace("&#34;", '"'),
                  "token": ADMIN_TOKEN}
        saved = httpx.post(f"{url}/ui/edit/datasets/{ident}", data=fields)
        assert saved.status_code == 303, saved.text
        back = httpx.get(f"{url}/datasets/{ident}", headers={"Accept": "application/n-triples"})
        assert "Farm data, edited" in back.text
        for text in (f'"012"^^<{XSD}integer>', f'"1.0"^^<{XSD}decimal>', '"colour"@en-GB'):
            assert text in back.text, text
        dsp = httpx.get(f"{url}/dsp/catalog/datasets/{offered}")
        assert dsp.status_code == 200, dsp.text
    values = {(v.get("@value"), v.get("@language"), v.get("@type"))
              for v in _values(dsp.json()) if isinstance(v, dict)}
    assert {("012", None, "xsd:integer"), ("1.0", None, "xsd:decimal"),
            ("colour", "en-GB", None)} <= values


def body_as(media: str) -> bytes:
    """The fixture in another syntax, written by rdflib (lexical forms and tags as they are)
    or, for JSON-LD, by the node's own writer."""
    graph = parse_graph(TURTLE.encode(), "turtle")
    if media == "text/turtle":
        return TURTLE.encode()
    if media == "application/ld+json":
        return json.dumps(compact_jsonld(graph, DATASET), ensure_ascii=False).encode()
    return graph.serialize(format="xml", encoding="utf-8")


@pytest.mark.parametrize("media", ["text/turtle", "application/ld+json", "application/rdf+xml"])
def test_graph_store_protocol_keeps_every_literal(node: tuple[str, EmbeddedStore],
                                                   media: str) -> None:
    url, store = node
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    name = "https://example.org/graphs/exact"
    put = httpx.put(f"{url}/graphs", params={"graph": name}, content=body_as(media),
                    headers={"Content-Type": media, **auth})
    assert put.status_code in (201, 204), put.text
    back = httpx.get(f"{url}/graphs", params={"graph": name},
                     headers={"Accept": "application/n-triples"})
    assert back.status_code == 200, back.text
    assert_exact(back.text, parse_graph(back.content, "ntriples"))
    # POST adds to the graph: what it held keeps its written forms, the new one too.
    more = f'<{DATASET}> <https://example.org/vocab#more> "007"^^<{XSD}integer> .\n'
    post = httpx.post(f"{url}/graphs", params={"graph": name}, content=more.encode(),
                      headers={"Content-Type": "application/n-triples", **auth})
    assert post.status_code in (200, 204), post.text
    back = httpx.get(f"{url}/graphs", params={"graph": name},
                     headers={"Accept": "application/n-triples"})
    assert f'"007"^^<{XSD}integer>' in back.text
    assert all(t in back.text for t in EXACT_TEXT)
    deleted = httpx.delete(f"{url}/graphs", params={"graph": name}, headers=auth)
    assert deleted.status_code in (200, 204)
    assert notes_of(store) == []


def test_cli_load_and_export_keep_every_literal(tmp_path: Path) -> None:
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
    for fmt in ("nquads", "trig"):
        exported = subprocess.run([*cli, "export", "--format", fmt, "-o", "-"], env=env,
                                  capture_output=True, timeout=120)
        assert exported.returncode == 0, exported.stderr
        described = Graph()
        for s, p, o, g in iter_quads(exported.stdout, fmt):
            if g != URIRef(META_GRAPH):  # the provenance record says things about the graph
                described.add((s, p, o))
        assert literals_of(described) == written(), fmt
        if fmt == "nquads":
            assert all(t in exported.stdout.decode() for t in EXACT_TEXT)


def nt(term: object) -> str:
    """N-Triples text of a term (rdflib's n3() writes long strings in Turtle's form)."""
    if isinstance(term, Literal):
        text = str(term).replace("\\", "\\\\").replace('"', '\\"').replace(
            "\n", "\\n").replace("\r", "\\r")
        suffix = f"@{term.language}" if term.language else (
            f"^^<{term.datatype}>" if term.datatype else "")
        return f'"{text}"{suffix}'
    return f"_:{term}" if isinstance(term, BNode) else f"<{term}>"


def _exported_literals(env: dict[str, str]) -> tuple[Exact, str]:
    cli = [sys.executable, "-c", "from kg.cli import main; main()"]
    exported = subprocess.run([*cli, "export", "-o", "-"], env=env, capture_output=True,
                              timeout=120)
    assert exported.returncode == 0, exported.stderr
    described = Graph()
    for s, p, o, g in iter_quads(exported.stdout, "nquads"):
        if g != URIRef(META_GRAPH):
            described.add((s, p, o))
    return literals_of(described), exported.stdout.decode()


@pytest.mark.parametrize("shape", ["catalog dump", "big catalog dump", "bulk N-Quads"])
def test_cli_dump_and_bulk_load_keep_every_literal(tmp_path: Path, shape: str) -> None:
    """A portal's catalog dump (split into descriptions) and an N-Quads file of more graphs
    than the small path takes (the bulk path: the engine's loader, journaled)."""
    if shape.endswith("catalog dump"):
        # A big one takes the dump's own bulk route (kg.write.dump), a small one the usual path.
        more = 0 if shape == "catalog dump" else 210
        extra = "".join(f'<https://example.org/ds/more-{i}> a dcat:Dataset ; dct:title "M{i}"@en ;'
                        f' dct:description "M{i}"@en ; dct:publisher '
                        f'<https://example.org/org/exact> .\n'
                        f'ex:catalog dcat:dataset <https://example.org/ds/more-{i}> .\n'
                        for i in range(more))
        source = tmp_path / "dump.ttl"
        source.write_text(TURTLE + CATALOG + extra, encoding="utf-8")
    else:
        lines = [f"{nt(s)} {nt(p)} {nt(o)} <https://example.org/graph/exact> .\n"
                 for s, p, o in parse_graph(TURTLE.encode(), "turtle")]
        lines += [f'<https://example.org/other/{i}> <http://purl.org/dc/terms/title> '
                  f'"T{i}"@en <https://example.org/graph/other-{i}> .\n' for i in range(210)]
        source = tmp_path / "bulk.nq"
        source.write_text("".join(lines), encoding="utf-8")
    env = {**os.environ, "DSKG_STORE": str(tmp_path / "store"), "DSKG_DEFAULT_GRAPH": "0",
           "PYTHONPATH": str(REPO)}
    cli = [sys.executable, "-c", "from kg.cli import main; main()"]
    loaded = subprocess.run([*cli, "load", str(source)], env=env, capture_output=True,
                            text=True, timeout=120)
    assert loaded.returncode == 0, loaded.stderr + loaded.stdout
    said = " ".join(loaded.stdout.split())  # the console wraps long lines
    expected = {"catalog dump": 3, "big catalog dump": 213, "bulk N-Quads": 211}[shape]
    assert f"{expected} description(s)" in said
    got, text = _exported_literals(env)
    assert got == written()
    assert all(t in text for t in EXACT_TEXT)


def test_bulk_trig_load_keeps_every_literal(tmp_path: Path) -> None:
    """TriG with more graphs than the small path takes, as ``dskg load`` writes it (the
    engine's loader, journaled), in process; read back by the export."""
    from kg import lexical
    from kg.write import Origin, write_bytes

    head = "<https://example.org/ds/exact> a dcat:Dataset ;"
    body = TURTLE.replace(head, "<https://example.org/graph/exact> {\n" + head)
    body = body.rstrip() + "\n}\n" + "".join(
        f'<https://example.org/graph/other-{i}> {{ <https://example.org/other/{i}> '
        f'<http://purl.org/dc/terms/title> "T{i}"@en }}\n' for i in range(210))
    store = EmbeddedStore(str(tmp_path / "store"))
    try:
        result = write_bytes(store, body.encode(), "trig", base_iri="http://127.0.0.1:8000/",
                             origin=Origin(agent="test"), exclusive=True)
        assert len(result.graphs) == 211
        described = Graph()
        for s, p, o, g in iter_quads(lexical.export(store, "trig"), "trig"):
            if g == URIRef("https://example.org/graph/exact"):
                described.add((s, p, o))
        assert literals_of(described) == written()
    finally:
        store.close()


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
    graph = read_description(store, found[0])  # type: ignore[arg-type]
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


def test_backup_and_restore_keep_the_written_forms() -> None:
    """A backup holds the engine's forms and the notes; a restore reads back as written."""
    import io

    from kg.backup import restore_backup, write_backup
    from kg.write import Origin, write_bytes

    store = EmbeddedStore()
    [name] = write_bytes(store, TURTLE.encode(), "turtle", base_iri="http://127.0.0.1:8000/",
                         origin=Origin(agent="test")).graphs
    archive = io.BytesIO()
    write_backup(store, archive)
    restored = EmbeddedStore()
    restore_backup(restored, archive.getvalue())
    assert literals_of(read_description(restored, name)) == written()


def test_a_blank_node_note_leaves_named_subjects_alone() -> None:
    """The same predicate and value written "1.00" on a named subject and "1.0" on a blank
    node: each comes back in its own form, through a store that merges both into "1"."""
    from kg import lexical
    from kg.write import Origin, write_bytes

    body = (f'<https://example.org/s> <https://example.org/p> "1.00"^^<{XSD}decimal> ;\n'
            f'  <https://example.org/q> [ <https://example.org/p> "1.0"^^<{XSD}decimal> ] .\n')
    store = EmbeddedStore()
    [name] = write_bytes(store, body.encode(), "turtle", base_iri="http://127.0.0.1:8000/",
                         origin=Origin(agent="test"), validate=False).graphs
    assert {str(o) for o in store.get_graph(name).objects(None, URIRef(
        "https://example.org/p"))} == {"1"}
    back = lexical.read_description(store, name)
    found = {(isinstance(s, BNode), str(o)) for s, _p, o in back.triples(
        (None, URIRef("https://example.org/p"), None))}
    assert found == {(False, "1.00"), (True, "1.0")}
