"""Every JSON-LD answer of the node reads offline in rdflib, pyld and jsonld.js (issue 15).

The answers embed our context, so no client needs to fetch anything: each parser runs with
a document loader that fails the test if it is ever asked for a URL. The graph each one
reads must be the one the Turtle answer holds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyld import jsonld
from rdflib import Graph
from rdflib.compare import isomorphic

from harness.servers import serve_app
from kg.jsonld import DSKG_CONTEXT_URL, shipped_context
from tests.rest_support import app_for, ecosystem_store

KINDS = ["dataspaces", "organisations", "datasets", "policies", "memberships"]
JSONLD_JS = """
const jsonld = require('jsonld');
const fs = require('fs');
const docs = JSON.parse(fs.readFileSync(0, 'utf8'));
const loader = async (url) => { throw new Error('jsonld.js tried to fetch ' + url); };
(async () => {
  const out = {};
  for (const [name, doc] of Object.entries(docs)) {
    out[name] = await jsonld.toRDF(doc, {format: 'application/n-quads', documentLoader: loader});
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { process.stderr.write(String(e)); process.exit(1); });
"""


@pytest.fixture(scope="module")
def node() -> Iterator[str]:
    store = ecosystem_store()
    with serve_app(app_for(store)) as url:
        yield url


@pytest.fixture(scope="module")
def answers(node: str) -> dict[str, tuple[dict[str, Any], Graph]]:
    """JSON-LD and Turtle answers of one resource of each kind, the catalog and a graph."""
    urls = {}
    for kind in KINDS:
        listing = httpx.get(f"{node}/{kind}", params={"limit": 1},
                            headers={"Accept": "application/json"}).json()
        urls[kind] = node + listing["items"][0]["href"]
    urls["catalog"] = f"{node}/catalog?pageSize=3"
    first = httpx.get(f"{node}/datasets", params={"limit": 1},
                      headers={"Accept": "application/json"}).json()["items"][0]["@id"]
    urls["resource"] = f"{node}/resource?iri={first}"
    # a whole named graph through the Graph Store Protocol
    graph = httpx.get(f"{node}/sparql", params={
        "query": f"SELECT ?g WHERE {{ GRAPH ?g {{ <{first}> a ?t }} }} LIMIT 1"},
        headers={"Accept": "application/sparql-results+json"}).json()
    urls["graph"] = f"{node}/graphs?graph={graph['results']['bindings'][0]['g']['value']}"
    out = {}
    for name, url in urls.items():
        as_jsonld = httpx.get(url, headers={"Accept": "application/ld+json"},
                              follow_redirects=True)
        assert as_jsonld.status_code == 200, (url, as_jsonld.text)
        assert as_jsonld.headers["content-type"].startswith("application/ld+json")
        as_turtle = httpx.get(url, headers={"Accept": "text/turtle"}, follow_redirects=True)
        assert as_turtle.status_code == 200
        out[name] = (as_jsonld.json(), Graph().parse(data=as_turtle.text, format="turtle"))
    return out


def no_fetch(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    raise AssertionError(f"a JSON-LD processor tried to fetch {url}")


def test_answers_embed_our_context(answers: dict[str, tuple[dict[str, Any], Graph]]) -> None:
    for name, (doc, _turtle) in answers.items():
        assert doc["@context"] == shipped_context(DSKG_CONTEXT_URL)["@context"], name


def test_rdflib_reads_every_answer(answers: dict[str, tuple[dict[str, Any], Graph]]) -> None:
    for name, (doc, turtle) in answers.items():
        graph = Graph().parse(data=json.dumps(doc), format="json-ld")
        assert len(graph) > 0 and isomorphic(graph, turtle), name


def test_pyld_reads_every_answer(answers: dict[str, tuple[dict[str, Any], Graph]]) -> None:
    for name, (doc, turtle) in answers.items():
        nquads = jsonld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": no_fetch})
        assert isomorphic(Graph().parse(data=nquads, format="nt"), turtle), name


@pytest.fixture(scope="module")
def jsonld_js(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """jsonld.js installed from npm into a temporary directory."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("node/npm are not installed (Debian packages nodejs, npm)")
    where = tmp_path_factory.mktemp("jsonld-js")
    installed = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent",
                                "jsonld@8"], cwd=where, capture_output=True, text=True,
                               timeout=300)
    if installed.returncode != 0:
        pytest.skip(f"npm could not install jsonld: {installed.stderr[-300:]}")
    (where / "read.js").write_text(JSONLD_JS, encoding="utf-8")
    return where


def test_jsonld_js_reads_every_answer(answers: dict[str, tuple[dict[str, Any], Graph]],
                                      jsonld_js: Path) -> None:
    docs = {name: doc for name, (doc, _turtle) in answers.items()}
    run = subprocess.run(["node", "read.js"], cwd=jsonld_js, input=json.dumps(docs),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    for name, nquads in json.loads(run.stdout).items():
        assert isomorphic(Graph().parse(data=nquads, format="nt"), answers[name][1]), name


def test_the_context_is_served_by_the_node(node: str) -> None:
    answer = httpx.get(f"{node}/context.jsonld")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/ld+json")
    assert answer.json() == shipped_context(DSKG_CONTEXT_URL)
