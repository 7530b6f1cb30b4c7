"""RDF/XML input: nesting bounded (the reader's cost grows with the square of the depth),
every error with its line and column (issue 15)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from harness.servers import serve_app
from kg.store.embedded import EmbeddedStore
from kg.store.parsing import MAX_XML_DEPTH
from tests.rest_support import app_for

HEAD = ('<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns:ex="http://example.org/">\n')


def nested(levels: int) -> bytes:
    body = "".join(f'<rdf:Description rdf:about="http://example.org/n{i}"><ex:p>'
                   for i in range(levels))
    leaf = '<rdf:Description rdf:about="http://example.org/leaf"/>'
    return (HEAD + body + leaf + "</ex:p></rdf:Description>" * levels
            + "</rdf:RDF>").encode()


@pytest.fixture(scope="module")
def node() -> Iterator[str]:
    with serve_app(app_for(EmbeddedStore())) as url:
        yield url


def validate(node: str, body: bytes) -> httpx.Response:
    return httpx.post(f"{node}/validate", content=body, timeout=30,
                      headers={"Content-Type": "application/rdf+xml"})


def test_deep_nesting_is_refused_with_its_position(node: str) -> None:
    body = nested(28_000)  # 2.25 MB, the size that took 80 s of CPU
    assert len(body) > 2_000_000
    answer = validate(node, body)
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert f"deeper than {MAX_XML_DEPTH}" in problem["detail"]
    assert problem["line"] == 3 and problem["column"] > 1


def test_ordinary_nesting_is_read(node: str) -> None:
    answer = validate(node, nested(40))
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("body, line, column, words", [
    (HEAD + '<rdf:Description rdf:about="http://example.org/a">\n  <ex:p>x</ex:q>\n'
     "</rdf:Description></rdf:RDF>", 4, 12, "mismatched tag"),
    (HEAD + '<rdf:Description rdf:about="http://example.org/a">\n'
     '  <ex:p rdf:resource="http://exa mple.org/"/>\n</rdf:Description></rdf:RDF>', 4, 23,
     "http://exa mple.org/"),
])
def test_errors_carry_line_and_column(node: str, body: str, line: int, column: int,
                                      words: str) -> None:
    answer = validate(node, body.encode())
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert words in problem["detail"]
    assert (problem["line"], problem["column"]) == (line, column)
