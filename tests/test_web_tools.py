"""The tool pages: SPARQL, validate, may I?, Gaia-X."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kg.settings import Settings
from kg.store import Store
from kg.web.sparqlui import EXAMPLES, README_EXAMPLES
from tests.conftest import ADMIN_TOKEN, REPO
from tests.test_web_pages import BROWSER, text_of

MISSING_TITLE = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://example.org/dataset/soil> a dcat:Dataset ;
    dct:description "Hourly soil moisture."@en ;
    dct:publisher <https://w3id.org/dskg/id/organisation/agdatahub> .
"""


@pytest.fixture(scope="module")
def web(default_store: Store) -> Iterator[TestClient]:
    from api.app import create_app

    settings = Settings(store="memory", admin_token=ADMIN_TOKEN,
                        base_iri="http://127.0.0.1:8000/", load_default_graph=False)
    with TestClient(create_app(settings, default_store)) as client:
        yield client


# -- SPARQL ----------------------------------------------------------------------------------
def test_the_example_menu_holds_the_readme_queries() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sparql\n(.*?)```", readme, re.DOTALL)
    assert blocks, "README.md has no sparql block"
    for _title, query in EXAMPLES[:README_EXAMPLES]:
        assert query in blocks[0]


def test_sparql_page_runs_a_query_and_shows_iris_by_label(web: TestClient) -> None:
    query = EXAMPLES[2][1]  # members of each data space with their role
    html = web.get("/ui/sparql", params={"query": query}, headers=BROWSER).text
    assert re.search(r"<h2 id=\"res-h\">\d+ results</h2>", html)
    assert "<th scope=\"col\">?role</th>" in html
    assert ">Governance authority</a>" in html  # dskg:GovernanceAuthority by its label
    assert "/ui/sparql/download?query=" in html


def test_an_example_loads_into_the_editor_without_javascript(web: TestClient) -> None:
    html = web.get("/ui/sparql?example=1", headers=BROWSER).text
    assert "dskg:subjectTo+ ?framework" in html
    assert "results-panel" not in html  # loaded, not run


def test_sparql_errors_give_line_and_column(web: TestClient) -> None:
    query = "SELECT ?s WHERE {\n  ?s ?p ?o\n  FILTER(?s = \n}"
    visible = text_of(web.get("/ui/sparql", params={"query": query}, headers=BROWSER).text)
    assert "The query could not run" in visible
    assert re.search(r"Line \d+, column \d+:", visible)


def test_sparql_results_download_as_csv_and_json(web: TestClient) -> None:
    query = "PREFIX dskg: <https://w3id.org/dskg#> SELECT ?s WHERE { ?s a dskg:DataSpace }"
    csv = web.get("/ui/sparql/download", params={"query": query, "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].strip() == "s" and len(csv.text.splitlines()) == 21
    assert "attachment" in csv.headers["content-disposition"]
    data = web.get("/ui/sparql/download", params={"query": query, "format": "json"}).json()
    assert len(data["results"]["bindings"]) == 20


# -- validate --------------------------------------------------------------------------------
def test_validate_reports_a_missing_title_in_words_and_stores_nothing(
        web: TestClient, default_store: Store) -> None:
    before = len(default_store.graph_names())
    response = web.post("/ui/validate", data={"data": MISSING_TITLE, "format": "auto"})
    visible = text_of(response.text)
    assert "Does not conform" in visible
    assert "Title: none given (expected at least 1 value)." in visible
    assert "dct:title" in visible and "Dataset without a name" in visible
    assert len(default_store.graph_names()) == before


def test_validate_reads_uploaded_json_ld(web: TestClient) -> None:
    document = {"@context": {"dcat": "http://www.w3.org/ns/dcat#",
                             "dct": "http://purl.org/dc/terms/"},
                "@id": "https://example.org/d/2", "@type": "dcat:Dataset",
                "dct:title": {"@value": "Air quality", "@language": "en"},
                "dct:description": {"@value": "Hourly readings.", "@language": "en"}}
    response = web.post("/ui/validate", files={"file": ("d.jsonld", json.dumps(document),
                                                        "application/ld+json")})
    visible = text_of(response.text)
    assert "Read as JSON-LD." in visible
    assert "0 violations" in visible and "Conforms" in visible


def test_validate_points_at_the_line_of_a_syntax_error(web: TestClient) -> None:
    response = web.post("/ui/validate", data={"data": "@prefix ex: <http://ex.org/> .\n"
                                                       'ex:a ex:b "unterminated .\n'})
    assert response.status_code == 400
    assert re.search(r"Line 2", text_of(response.text))


# -- may I? ----------------------------------------------------------------------------------
def ask(web: TestClient, **form: str | list[str]) -> str:
    return text_of(web.get("/ui/may-i", params=form, headers=BROWSER).text)


def test_may_i_transfer_outside_the_eea_is_denied_by_the_eu_tier(web: TestClient) -> None:
    page = web.get("/ui/may-i", params={"assignee": "dawex", "action": "transfer",
                                        "target": "agdatahub-farm-data", "spatial": "US"},
                   headers=BROWSER).text
    visible = text_of(page)
    assert "Denied" in visible
    assert "EU-tier rule “GDPR rules on transfers of personal data”" in visible
    assert "obtain consent" in visible
    eu = page[page.index('<section class="layer layer-EU-tier">'):]
    eu = eu[:eu.index("</section>")]
    assert "verdict-policy status-duty-unmet deciding" in eu  # the EU tier decides
    assert "outside the EEA — US" in text_of(eu)


def test_may_i_is_permitted_with_the_purpose_and_duty_done(web: TestClient) -> None:
    visible = ask(web, assignee="dawex", action="use", target="agdatahub-farm-data",
                  purpose="https://w3id.org/dskg/id/concept/sustainable-agriculture",
                  duty=["obtainConsent"])
    assert "Permitted" in visible and "The dataset's offer" in visible


def test_may_i_project_tier_prohibition_decides(web: TestClient) -> None:
    visible = ask(web, assignee="dawex", action="distribute", target="agdatahub-farm-data")
    assert "Denied" in visible
    assert "project-tier rule “Agdatahub rules for consent" in visible


def test_may_i_explains_bad_input(web: TestClient) -> None:
    response = web.get("/ui/may-i", params={"assignee": "nobody-here", "action": "use",
                                            "target": "agdatahub-farm-data"}, headers=BROWSER)
    assert response.status_code == 400
    assert "no organisation or data space with id 'nobody-here'" in text_of(response.text)


# -- Gaia-X ----------------------------------------------------------------------------------
def test_gaiax_checks_an_unsigned_draft_step_by_step(web: TestClient,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    from harness import gaiax_factory as factory

    monkeypatch.setenv("DSKG_GAIAX_TRUST_DIR", str(tmp_path))
    draft = factory.presentation(factory.participant(), factory.registration(),
                                 factory.terms())
    visible = text_of(web.post("/ui/gaiax", data={"data": json.dumps(draft),
                                                  "skip_proof": "on"}).text)
    assert "Valid" in visible and "nothing was stored" in visible
    assert "skipped (--no-proof)" in visible
    assert "Would link to Gaia-X European Association for Data and Cloud AISBL" in visible


def test_gaiax_refuses_an_unsigned_credential_when_proof_is_checked(
        web: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from harness import gaiax_factory as factory

    monkeypatch.setenv("DSKG_GAIAX_TRUST_DIR", str(tmp_path))
    page = web.post("/ui/gaiax", data={"data": json.dumps(factory.participant())}).text
    assert "Invalid" in text_of(page)
    assert '<li class="fail">' in page


def test_gaiax_says_why_input_cannot_be_read(web: TestClient) -> None:
    response = web.post("/ui/gaiax", data={"data": "{not json"})
    assert response.status_code == 400 and "Not checked" in response.text
