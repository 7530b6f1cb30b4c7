"""JSON-LD input: ODRL's own context, errors told in JSON-LD terms, standard JSON only,
and "validating nothing" refused (issues 15 and 22)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, URIRef

from harness.servers import serve_app
from kg.jsonld import shipped_context
from kg.namespaces import ODRL
from tests.rest_support import ADMIN, app_for, ecosystem_store

REPO = Path(__file__).resolve().parents[1]
ASSIGNER = "https://w3id.org/dskg/id/organisation/aepd"
TARGET = "https://w3id.org/dskg/id/dataset/agdatahub-farm-data"
#: An offer as the ODRL 2.2 Information Model writes its examples (compact, ODRL context).
ODRL_OFFER = {
    "@context": "http://www.w3.org/ns/odrl.jsonld",
    "@type": "Offer",
    "uid": "http://example.com/policy:1011",
    "profile": "http://example.com/odrl:profile:01",
    "assigner": ASSIGNER,
    "permission": [{
        "target": TARGET,
        "action": "use",
        "constraint": [{"leftOperand": "dateTime", "operator": "lt",
                        "rightOperand": {"@value": "2030-01-01", "@type": "xsd:date"}}],
    }],
}


@pytest.fixture(scope="module")
def node() -> Iterator[str]:
    with serve_app(app_for(ecosystem_store())) as url:
        yield url


def validate(node: str, body: bytes, media: str = "application/ld+json") -> httpx.Response:
    return httpx.post(f"{node}/validate", content=body,
                      headers={"Content-Type": media, "Accept": "application/json"})


def test_odrl_context_is_shipped_with_its_source() -> None:
    context = shipped_context("http://www.w3.org/ns/odrl.jsonld")["@context"]
    assert context["permission"] == {"@type": "@id", "@id": "odrl:permission"}
    notice = (REPO / "kg" / "contexts" / "NOTICE.md").read_text(encoding="utf-8")
    assert "odrl.jsonld" in notice and "W3C Software and Document License" in notice


def test_odrl_policy_as_the_specification_writes_it_is_accepted(node: str) -> None:
    created = httpx.post(f"{node}/policies", content=json.dumps(ODRL_OFFER),
                         headers={"Content-Type": "application/ld+json", **ADMIN})
    assert created.status_code == 201, created.text
    back = httpx.get(node + created.headers["location"], headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=back.text, format="turtle")
    policy = URIRef("http://example.com/policy:1011")
    # uid is @id in ODRL's context: the policy's uid is its IRI.
    assert (policy, ODRL.uid, policy) in graph
    assert (policy, ODRL.assigner, URIRef(ASSIGNER)) in graph
    assert len(list(graph.objects(None, ODRL.constraint))) == 1


@pytest.mark.parametrize("doc, term, line, column", [
    ('{\n  "title": "Soil",\n  "foo": 1\n}', "'title', 'foo'", 2, 3),
    ('{"@id": "http://exa mple.org/x", "http://example.org/p": "v"}',
     "'http://example.org/p'", 1, 34),
])
def test_a_body_whose_terms_were_all_dropped_names_them(node: str, doc: str, term: str,
                                                        line: int, column: int) -> None:
    answer = validate(node, doc.encode())
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert term in problem["detail"] and "dropped" in problem["detail"]
    assert (problem["line"], problem["column"]) == (line, column)


def test_json_ld_errors_speak_json_ld_not_n_quads(node: str) -> None:
    doc = {"@id": "http://example.org/s",
           "http://example.org/p": {"@value": "x", "@language": "not a tag"}}
    answer = validate(node, json.dumps(doc).encode())
    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert '"x"@not a tag' in detail  # the statement, in terms the user wrote
    assert "line" not in answer.json() and "line 1 column" not in detail


@pytest.mark.parametrize("body, culprit, line, column", [
    (b'{"@id": "http://example.org/s",\n "http://example.org/p": NaN}', "NaN", 2, 26),
    (b'{"@id": "http://example.org/s", "http://example.org/p": 1e999999}', "1e999999", 1, 57),
    (b'{"@id": "http://example.org/s", "http://example.org/p": -Infinity}', "-Infinity", 1,
     57),
])
def test_non_standard_json_is_refused(node: str, body: bytes, culprit: str, line: int,
                                      column: int) -> None:
    answer = validate(node, body)
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert culprit in problem["detail"] and "not a JSON number" in problem["detail"]
    assert (problem["line"], problem["column"]) == (line, column)


def test_a_byte_order_mark_is_accepted(node: str) -> None:
    json_ld = b'\xef\xbb\xbf{"@id": "http://example.org/s", "http://example.org/p": 1}'
    assert validate(node, json_ld).status_code == 200
    turtle = b"\xef\xbb\xbf<http://example.org/s> <http://example.org/p> 1 ."
    answer = validate(node, turtle, "text/turtle")
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("body, media", [
    (b"", "text/turtle"),
    (b"# only a comment\n@prefix ex: <http://example.org/> .\n", "text/turtle"),
    (b"{}", "application/ld+json"),
    (b'{"@context": {"ex": "http://example.org/"}}', "application/ld+json"),
])
def test_validating_nothing_is_an_error(node: str, body: bytes, media: str) -> None:
    answer = validate(node, body, media)
    assert answer.status_code == 400, answer.text
    assert "no RDF statement" in answer.json()["detail"]


@pytest.mark.parametrize("name, text", [
    ("empty.ttl", ""), ("comment.ttl", "# nothing here\n"), ("empty.jsonld", "{}"),
])
def test_cli_validating_nothing_is_an_error(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", "from kg.cli import main; main()",
                          "validate", str(path)], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(REPO),
                              "DSKG_STORE": str(tmp_path / "store")})
    assert run.returncode == 2, run.stdout + run.stderr
    assert "no RDF statement" in run.stderr and "conforms" not in run.stdout.lower()


@pytest.mark.parametrize("charset", ["utf-16", "UTF-16LE", "iso-8859-1"])
def test_a_charset_other_than_utf8_is_refused(node: str, charset: str) -> None:
    body = b"<http://example.org/s> <http://example.org/p> 1 ."
    answer = validate(node, body, f"text/turtle; charset={charset}")
    assert answer.status_code == 415, answer.text
    assert "UTF-8" in answer.json()["detail"]
    assert validate(node, body, "text/turtle; charset=UTF-8").status_code == 200
    assert validate(node, b'{"@id": "http://example.org/s", "http://example.org/p": 1}',
                    f"application/ld+json; charset={charset}").status_code == 415


def test_invalid_json_ld_is_reported_where_it_is_written(node: str) -> None:
    body = b'{\n  "@id": "http://example.org/s",\n  "@type": 5\n}'
    answer = validate(node, body)
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert "@type" in problem["detail"] and "invalid type value" in problem["detail"]
    assert (problem["line"], problem["column"]) == (3, 12)


def test_a_remote_context_is_refused_where_it_is_named(node: str) -> None:
    body = b'{\n  "@context": "http://example.org/ctx",\n  "name": "x"\n}'
    answer = validate(node, body)
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["context"] == "http://example.org/ctx"
    assert (problem["line"], problem["column"]) == (2, 16)
