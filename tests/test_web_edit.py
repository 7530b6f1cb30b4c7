"""Writing through the web: the dataset form (one write path), minted IRIs landing on their
pages, and the cached home picture refreshed by writes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import URIRef

from kg.defaultgraph import load_default_graph
from kg.settings import Settings
from kg.store.embedded import EmbeddedStore
from tests.conftest import ADMIN_TOKEN
from tests.test_web_pages import BROWSER, text_of

BASE = "http://127.0.0.1:8000/"


@pytest.fixture
def store() -> Iterator[EmbeddedStore]:
    store = EmbeddedStore()
    load_default_graph(store, BASE)
    yield store
    store.close()


@pytest.fixture
def web(store: EmbeddedStore) -> Iterator[TestClient]:
    from api.app import create_app

    settings = Settings(store="memory", admin_token=ADMIN_TOKEN, base_iri=BASE,
                        load_default_graph=False)
    with TestClient(create_app(settings, store)) as client:
        yield client


FORM = {"title": "Vineyard soil samples", "description": "Soil analyses, twice a year.",
        "publisher": "agdatahub", "dataspace": "agdatahub", "theme": "AGRI",
        "keywords": "soil, vineyards", "access_url": "https://data.example.org/soil",
        "issued": "2025-03-01", "access_rights": "RESTRICTED",
        "purpose": "https://w3id.org/dskg/id/concept/research"}


def datasets_total(web: TestClient) -> int:
    html = web.get("/", headers=BROWSER).text
    return int(re.search(r"<strong>([\d,]+)</strong> datasets</a>", html).group(1))  # type: ignore[union-attr]


def test_the_form_creates_dcat_through_the_write_path_and_refreshes_the_home_picture(
        web: TestClient, store: EmbeddedStore) -> None:
    before = datasets_total(web)
    response = web.post("/ui/edit/datasets/new", data={**FORM, "token": ADMIN_TOKEN},
                        follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/datasets/vineyard-soil-samples"
    iri = f"{BASE}id/dataset/vineyard-soil-samples"
    asked = store.query(
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/> "
        "PREFIX odrl: <http://www.w3.org/ns/odrl/2/> "
        "ASK { ?d a dcat:Dataset ; dct:title ?t ; dcat:theme ?th ; dcat:distribution ?x ; "
        "odrl:hasPolicy ?offer . ?x dcat:accessURL <https://data.example.org/soil> . "
        "?offer odrl:inheritFrom <https://w3id.org/dskg/id/policy/agdatahub-rulebook> . "
        "<https://w3id.org/dskg/id/catalog/agdatahub> dcat:dataset ?d }",
        {"d": URIRef(iri)})
    assert asked.boolean
    record = store.query("ASK { GRAPH <https://w3id.org/dskg/graph/meta> { ?g "
                         "<https://w3id.org/dskg#describes> ?d ; "
                         "<http://www.w3.org/ns/prov#wasAttributedTo> ?who } }",
                         {"d": URIRef(iri)})
    assert record.boolean  # the provenance record of the one write path
    assert datasets_total(web) == before + 1  # the cached picture was refreshed


def test_a_minted_iri_opened_in_a_browser_lands_on_its_page(web: TestClient) -> None:
    web.post("/ui/edit/datasets/new", data={**FORM, "token": ADMIN_TOKEN})
    response = web.get("/id/dataset/vineyard-soil-samples", headers=BROWSER)
    assert response.status_code == 200
    assert str(response.url).endswith("/datasets/vineyard-soil-samples")
    assert "<h1>Vineyard soil samples</h1>" in response.text


def test_an_invalid_form_shows_the_report_and_stores_nothing(web: TestClient,
                                                            store: EmbeddedStore) -> None:
    graphs = len(store.graph_names())
    response = web.post("/ui/edit/datasets/new",
                        data={**FORM, "title": "", "token": ADMIN_TOKEN})
    assert response.status_code == 422
    visible = text_of(response.text)
    assert "nothing was saved" in visible and "Title: none given" in visible
    assert len(store.graph_names()) == graphs


def test_the_form_needs_a_valid_token(web: TestClient) -> None:
    missing = web.post("/ui/edit/datasets/new", data=FORM)
    assert missing.status_code == 401 and "needs a bearer token" in missing.text
    wrong = web.post("/ui/edit/datasets/new", data={**FORM, "token": "not-a-token"})
    assert wrong.status_code == 401


def test_editing_keeps_what_the_form_does_not_show_and_refuses_stale_copies(
        web: TestClient, store: EmbeddedStore) -> None:
    space = web.get("/dataspaces/agdatahub", headers=BROWSER).text  # names now cached
    assert "Agricultural data shared in the agri-food chain" in space
    form_page = web.get("/ui/edit/datasets/agdatahub-farm-data", headers=BROWSER).text
    etag = re.search(r'name="etag" value="([^"]+)"', form_page).group(1)  # type: ignore[union-attr]
    assert 'value="Agricultural data shared in the agri-food chain"' in form_page
    fields = {"title": "Farm data of the agri-food chain", "description": "Farm data.",
              "publisher": "agdatahub", "dataspace": "agdatahub", "theme": "AGRI",
              "access_url": "https://agdatahub.eu/", "etag": etag.replace("&#34;", '"'),
              "token": ADMIN_TOKEN}
    saved = web.post("/ui/edit/datasets/agdatahub-farm-data", data=fields,
                     follow_redirects=False)
    assert saved.status_code == 303
    page = text_of(web.get("/datasets/agdatahub-farm-data", headers=BROWSER).text)
    assert "Farm data of the agri-food chain" in page
    assert "Members of Agdatahub data ecosystem may use" in page  # the offer was kept
    space = text_of(web.get("/dataspaces/agdatahub", headers=BROWSER).text)
    assert "Farm data of the agri-food chain" in space  # no stale name after the write
    stale = web.post("/ui/edit/datasets/agdatahub-farm-data", data=fields)
    assert stale.status_code == 412 and "changed since you read it" in stale.text
