"""Unsafe IRI schemes are refused on every route a description takes into the node.

A value a browser will open (home page, landing page, access and download URLs, themes,
contact URLs) must be http(s) (contacts also mailto:), and a resource's own IRI http(s), urn:
or did:. Anything else (``javascript:``, ``data:``, ``file:``) is a 422 naming the property,
and the store is unchanged: through REST (real HTTP), the web form, ``dskg load``, and
harvesting (validated and trusted peers alike).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from harness.servers import serve_app
from kg.cli import app as cli
from kg.federation.harvest import harvest_peer
from kg.settings import Settings
from kg.store import Store
from kg.store.embedded import EmbeddedStore
from tests.rest_support import ADMIN, ADMIN_TOKEN, BASE, app_for, ecosystem_store
from tests.test_federation_harvest import PREFIXES, StubPeer, catalog_ttl, make_peer

PRE = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix org: <http://www.w3.org/ns/org#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix dskg: <https://w3id.org/dskg#> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
"""
AGDATAHUB = "<https://w3id.org/dskg/id/organisation/agdatahub>"


def organisation(extra: str, iri: str = "<acme-iri-test>") -> str:
    return (PRE + f'{iri} a org:Organization ; skos:prefLabel "ACME"@en ; foaf:name "ACME" ; '
            f'dskg:country "ES" ; {extra} .\n')


def dataset(extra: str = "", distribution: str = "", iri: str = "<soil-iri-test>") -> str:
    return PRE + f"""{iri} a dcat:Dataset ; dct:title "Soil"@en ;
    dct:description "Soil readings."@en ; dct:publisher {AGDATAHUB} ;
    dcat:distribution [ a dcat:Distribution ;
        dcat:accessURL <https://data.example.org/soil.csv> {distribution} ] {extra} .
"""


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[httpx.Client, Store]]:
    store = ecosystem_store()
    with serve_app(app_for(store)) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield client, store


def _post(client: httpx.Client, path: str, body: str) -> httpx.Response:
    return client.post(path, content=body, headers={**ADMIN, "Content-Type": "text/turtle"})


def _violations(problem: dict) -> list[dict]:
    return [r for r in problem["report"]["results"] if r["severity"] == "Violation"]


REFUSED = [
    ("organisations", organisation("foaf:homepage <javascript:alert(1)>"),
     "http://xmlns.com/foaf/0.1/homepage", "foaf:homepage"),
    ("organisations", organisation("foaf:homepage <mailto:boss@example.org>"),
     "http://xmlns.com/foaf/0.1/homepage", "foaf:homepage"),
    ("organisations", organisation('foaf:homepage "JavaScript:alert(1)"'),
     "http://xmlns.com/foaf/0.1/homepage", "foaf:homepage"),
    ("organisations", organisation(
        "dcat:contactPoint [ a vcard:Kind ; vcard:hasURL <javascript:alert(1)> ]"),
     "http://www.w3.org/2006/vcard/ns#hasURL", "vcard:hasURL"),
    ("organisations", organisation(
        "dcat:contactPoint [ a vcard:Kind ; vcard:hasEmail <javascript:alert(1)> ]"),
     "http://www.w3.org/2006/vcard/ns#hasEmail", "vcard:hasEmail"),
    ("datasets", dataset("; dcat:landingPage <javascript:alert(1)>"),
     "http://www.w3.org/ns/dcat#landingPage", "dcat:landingPage"),
    ("datasets", dataset("; dcat:theme <data:text/html,<b>x</b>>".replace("<b>x</b>", "x")),
     "http://www.w3.org/ns/dcat#theme", "dcat:theme"),
    ("datasets", dataset(distribution="; dcat:downloadURL <file:///etc/passwd>"),
     "http://www.w3.org/ns/dcat#downloadURL", "dcat:downloadURL"),
    ("datasets", dataset(distribution="").replace(
        "<https://data.example.org/soil.csv>", "<vbscript:msgbox(1)>"),
     "http://www.w3.org/ns/dcat#accessURL", "dcat:accessURL"),
]


@pytest.mark.parametrize(("kind", "body", "path", "name"), REFUSED,
                         ids=[f"{k}-{n}-{i}" for i, (k, _, _, n) in enumerate(REFUSED)])
def test_rest_refuses_unsafe_links_naming_the_property(
        live: tuple[httpx.Client, Store], kind: str, body: str, path: str, name: str) -> None:
    client, store = live
    before = store.triple_count()
    answer = _post(client, f"/{kind}", body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    violations = _violations(answer.json())
    ours = [v for v in violations if v["path"] == path]
    assert ours and name in ours[0]["message"], violations
    assert store.triple_count() == before


def test_rest_refuses_a_resource_iri_with_a_script_scheme(
        live: tuple[httpx.Client, Store]) -> None:
    client, store = live
    before = store.triple_count()
    for iri in ("<javascript:alert(1)>", "<data:text/html,hello>", "<file:///etc/passwd>"):
        answer = _post(client, "/datasets", dataset(iri=iri))
        assert answer.status_code == 422, answer.text
        assert any(v["focus"] == iri.strip("<>") and "resource's IRI" in v["message"]
                   for v in _violations(answer.json()))
    # JSON-LD takes the same road
    answer = client.post("/organisations", json={
        "@id": "javascript:alert(1)", "@type": "http://www.w3.org/ns/org#Organization",
        "http://www.w3.org/2004/02/skos/core#prefLabel": "Evil"},
        headers={**ADMIN, "Content-Type": "application/ld+json"})
    assert answer.status_code == 422
    assert "javascript:alert(1)" in answer.json()["detail"]
    assert store.triple_count() == before


def test_safe_schemes_are_accepted(live: tuple[httpx.Client, Store]) -> None:
    client, _ = live
    body = organisation("foaf:homepage <HTTPS://acme.example.org/> ; dcat:contactPoint "
                        "[ a vcard:Kind ; vcard:hasEmail <mailto:data@acme.example.org> ; "
                        "vcard:hasURL <https://acme.example.org/contact> ]",
                        iri="<urn:example:acme>")
    answer = _post(client, "/organisations", body)
    assert answer.status_code == 201, answer.text
    answer = _post(client, "/datasets", dataset(
        "; dcat:landingPage <https://data.example.org/soil> ; dcat:theme "
        "<http://publications.europa.eu/resource/authority/data-theme/AGRI>",
        iri="<soil-safe>"))
    assert answer.status_code == 201, answer.text


def test_validate_endpoint_reports_the_scheme_too(live: tuple[httpx.Client, Store]) -> None:
    client, _ = live
    answer = client.post("/validate", content=organisation("foaf:homepage <javascript:x>"),
                         headers={"Content-Type": "text/turtle",
                                  "Accept": "application/json"})
    assert answer.status_code == 200
    assert not answer.json()["conforms"]
    assert any("foaf:homepage" in r["message"] for r in answer.json()["results"])


def test_web_form_refuses_a_javascript_landing_page() -> None:
    store = ecosystem_store()
    settings = Settings(store="memory", admin_token=ADMIN_TOKEN, base_iri=BASE,
                        load_default_graph=False)
    from api.app import create_app

    form = {"title": "Vineyard soil", "description": "Soil analyses.",
            "publisher": "agdatahub", "dataspace": "agdatahub", "theme": "AGRI",
            "access_url": "https://data.example.org/soil", "issued": "2025-03-01",
            "access_rights": "RESTRICTED", "purpose": "https://w3id.org/dskg/id/concept/research",
            "landing_page": "javascript:alert(document.cookie)", "token": ADMIN_TOKEN}
    graphs = len(store.graph_names())
    with TestClient(create_app(settings, store)) as web:
        answer = web.post("/ui/edit/datasets/new", data=form)
    assert answer.status_code == 422
    assert "nothing was saved" in answer.text
    assert "dcat:landingPage must be an http:// or https:// address" in answer.text
    assert len(store.graph_names()) == graphs


def test_cli_load_refuses_and_stores_nothing(tmp_path: Path) -> None:
    env = {"DSKG_STORE": str(tmp_path / "store"), "DSKG_DEFAULT_GRAPH": "0",
           "DSKG_BASE_IRI": BASE}
    bad = tmp_path / "evil.ttl"
    bad.write_text(organisation("foaf:homepage <javascript:alert(1)>", iri="<urn:x:acme>"))
    runner = CliRunner()
    result = runner.invoke(cli, ["load", str(bad)], env=env)
    assert result.exit_code == 1, result.output
    assert "foaf:homepage must be an http:// or https:// address" in result.output
    count = runner.invoke(cli, ["query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                                "--format", "csv"], env=env)
    assert count.stdout.splitlines()[1] == "0"


EVIL_DATASET = PREFIXES + """
ex:catalog dcat:dataset ex:evil .
ex:evil a dcat:Dataset ; dct:title "Evil"@en ; dct:description "Clicks run script."@en ;
    dct:publisher [ a foaf:Agent ; foaf:name "Peer publisher" ] ;
    dcat:landingPage <javascript:alert(1)> .
"""


@pytest.fixture(scope="module")
def peer() -> Iterator[tuple[StubPeer, str]]:
    stub = StubPeer()
    with serve_app(stub.app()) as url:
        yield stub, url


@pytest.mark.parametrize("trust", [False, True], ids=["validated-peer", "trusted-peer"])
def test_harvest_rejects_unsafe_links_and_keeps_the_rest(
        peer: tuple[StubPeer, str], trust: bool) -> None:
    stub, url = peer
    stub.turtle("/catalog", catalog_ttl(1) + EVIL_DATASET)
    store = EmbeddedStore()
    settings = Settings(store="memory", base_iri="https://node.example.org/",
                        load_default_graph=False)
    report = harvest_peer(store, settings, make_peer(url, trust=trust))
    assert report.error is None
    reasons = {r.iri: r.reason for r in report.rejected}
    assert "dcat:landingPage" in reasons.get("https://peer.example.org/evil", ""), reasons
    assert report.added >= 1  # the honest dataset landed
    assert not store.query("ASK { GRAPH ?g { ?s ?p <javascript:alert(1)> } }").boolean
