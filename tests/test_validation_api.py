"""POST /validate (stores nothing) and the quality endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph

from kg.namespaces import RDF, SH
from kg.settings import Settings
from kg.store import Store
from kg.store.embedded import EmbeddedStore

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
TURTLE = {"content-type": "text/turtle"}


@pytest.fixture(scope="module")
def default_client() -> Iterator[TestClient]:
    """The app on a store holding the default graph."""
    from api.app import create_app

    settings = Settings(store="memory", base_iri="http://127.0.0.1:8000/",
                        load_default_graph=True)
    with TestClient(create_app(settings, EmbeddedStore())) as client:
        yield client


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_json_report_by_default_and_nothing_stored(client: TestClient, store: Store) -> None:
    before = store.triple_count()
    response = client.post("/validate?context=none", content=body("good_ecosystem.ttl"),
                           headers=TURTLE)
    assert response.status_code == 200
    assert response.json()["conforms"] is True
    response = client.post("/validate", content=body("broken_odrl.ttl"), headers=TURTLE)
    assert response.status_code == 200
    assert response.json()["conforms"] is False
    assert store.triple_count() == before


def test_shacl_report_by_accept(client: TestClient) -> None:
    for media, fmt in (("text/turtle", "turtle"), ("application/ld+json", "json-ld")):
        response = client.post("/validate", content=body("broken_dcat.ttl"),
                               headers={**TURTLE, "accept": media})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media)
        graph = Graph().parse(data=response.text, format=fmt)
        assert (None, RDF.type, SH.ValidationReport) in graph


def test_text_report(client: TestClient) -> None:
    response = client.post("/validate", content=body("broken_core.ttl"),
                           headers={**TURTLE, "accept": "text/plain"})
    assert response.status_code == 200
    assert response.text.startswith("DOES NOT CONFORM")


def test_json_ld_body(client: TestClient) -> None:
    document = b"""{"@context": {"dcat": "http://www.w3.org/ns/dcat#",
                                 "dct": "http://purl.org/dc/terms/"},
                    "@id": "https://example.org/id/d", "@type": "dcat:Dataset",
                    "dct:title": "A dataset"}"""
    response = client.post("/validate", content=document,
                           headers={"content-type": "application/ld+json"})
    assert response.status_code == 200
    paths = {r["path"] for r in response.json()["results"] if r["severity"] == "Violation"}
    assert paths == {"http://purl.org/dc/terms/description"}


def test_bad_input(client: TestClient) -> None:
    response = client.post("/validate", content=b"@prefix x: <http://x/> .\nx:a x:b .",
                           headers=TURTLE)
    assert response.status_code == 400
    assert response.json()["line"] == 2
    response = client.post("/validate", content=b"x", headers={"content-type": "image/png"})
    assert response.status_code == 415
    response = client.post("/validate", content=body("good_ecosystem.ttl"),
                           headers={**TURTLE, "accept": "image/png"})
    assert response.status_code == 406


def test_quality_endpoints(default_client: TestClient) -> None:
    response = default_client.get("/datasets/eurostat-greenhouse-gas-emissions/quality")
    assert response.status_code == 200
    score = response.json()
    assert score["maximum"] == 405 and score["rating"] in ("excellent", "good", "sufficient",
                                                           "bad")
    assert default_client.get("/datasets/no-such-dataset/quality").status_code == 404
    response = default_client.get("/dataspaces/agdatahub/quality")
    assert response.status_code == 200
    assert response.json()["datasets"] >= 1
