"""Web pages over the default graph: home, browse lists, resource pages, search, errors.

Requests carry a browser's Accept header; the same URLs keep answering JSON/RDF to others.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient

from kg.settings import Settings
from kg.store import Store
from tests.conftest import ADMIN_TOKEN

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def web(default_store: Store) -> Iterator[TestClient]:
    from api.app import create_app

    settings = Settings(store="memory", admin_token=ADMIN_TOKEN,
                        base_iri="http://127.0.0.1:8000/", load_default_graph=False)
    with TestClient(create_app(settings, default_store)) as client:
        yield client


def text_of(html: str) -> str:
    """The visible text, roughly: tags removed, entities decoded, whitespace collapsed."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def governance_svg(html: str) -> str:
    start = html.index('<svg class="governance"')
    return html[start:html.index("</svg>", start)]


def test_home_shows_the_three_tiers_with_their_bodies_and_counts(web: TestClient) -> None:
    response = web.get("/", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    bands = re.findall(r'<section class="tier-band tier-(\w+)"', html)
    assert bands == ["eu", "national", "project"]  # EU on top, projects below
    eu = html[html.index("tier-band tier-eu"):html.index("tier-band tier-national")]
    assert "General Data Protection Regulation" in eu and "European Commission" in eu
    project = html[html.index("tier-band tier-project"):]
    assert "Space Data Marketplace" in project
    assert re.search(r"<strong>\d+</strong> data spaces", project)
    assert 'action="/ui/search"' in html


def test_home_answers_json_to_api_clients(web: TestClient) -> None:
    response = web.get("/", headers={"Accept": "application/json"})
    assert response.json()["links"]["sparql"] == "/sparql"


def test_lists_are_html_for_browsers_and_json_for_scripts(web: TestClient) -> None:
    html = web.get("/dataspaces?tier=project", headers=BROWSER)
    assert html.headers["content-type"].startswith("text/html")
    assert "Agdatahub data ecosystem" in html.text
    assert "Common European health data space" not in html.text  # an EU-tier data space
    data = web.get("/dataspaces?tier=project", headers={"Accept": "application/json"})
    assert data.json()["total"] == 15
    forced = web.get("/dataspaces?tier=project&format=json", headers=BROWSER)
    assert forced.headers["content-type"].startswith("application/json")


def test_list_filters_and_paging_follow_the_rest_parameters(web: TestClient) -> None:
    themed = text_of(web.get("/datasets?theme=AGRI", headers=BROWSER).text)
    assert "3 datasets matching the filters" in themed
    assert "Farm structure statistics" in themed
    first = web.get("/organisations?limit=20", headers=BROWSER).text
    assert 'rel="next" href="/organisations?limit=20&amp;offset=20"' in first
    assert "Showing 1\u201320 of" in first
    second = web.get("/organisations?limit=20&offset=20", headers=BROWSER).text
    assert "Showing 21\u201340 of" in second and 'rel="prev"' in second
    bad = web.get("/datasets?role=provider", headers=BROWSER)
    assert bad.status_code == 400 and "cannot be filtered by role" in bad.text


def test_data_space_page_groups_labels_links_and_draws_governance(web: TestClient) -> None:
    response = web.get("/dataspaces/agdatahub", headers=BROWSER)
    assert response.status_code == 200
    html = response.text
    visible = text_of(html)
    assert "Subject to" in visible and "Data Governance Act" in visible  # labels, not IRIs
    assert '<a href="/organisations/agdatahub"' in html  # governed by, linked
    assert "Members" in visible and "Dawex" in visible and "Operator" in visible
    svg = governance_svg(html)
    assert 'data-tier="eu"' in svg and 'data-tier="project"' in svg
    assert svg.index('data-tier="eu"') < svg.index('data-tier="project"')  # EU row on top
    assert 'class="node role-dataspace current"' in svg
    assert "reaches the EU tier" in visible
    assert 'href="/dataspaces/agdatahub?format=ttl"' in html
    turtle = web.get("/dataspaces/agdatahub?format=ttl")
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert "dskg:governedBy" in turtle.text


def test_organisation_page_shows_its_data_spaces_up_the_tiers(web: TestClient) -> None:
    html = web.get("/organisations/european-commission", headers=BROWSER).text
    assert "Member of" in text_of(html)
    svg = governance_svg(html)
    assert "European Commission" in svg and "Common European health data space" in svg
    assert "Governs" in text_of(html)


def test_dataset_page_shows_its_offer_in_words_with_inherited_tier_rules(web: TestClient
                                                                         ) -> None:
    html = web.get("/datasets/agdatahub-farm-data", headers=BROWSER).text
    visible = text_of(html)
    assert ("Members of Agdatahub data ecosystem may use the data for commercial use or "
            "sustainable agriculture, provided they obtain consent.") in visible
    assert "Inherited tier rules" in visible
    inherited = visible[visible.index("Inherited tier rules"):]
    assert inherited.index("GDPR rules on transfers") < inherited.index(
        "Agdatahub rules for consent")  # broadest tier first
    assert "No one may distribute the data." in visible
    assert 'href="/ui/edit/datasets/agdatahub-farm-data"' in html


def test_policy_page_says_the_policy_in_plain_words(web: TestClient) -> None:
    visible = text_of(web.get("/policies/gdpr", headers=BROWSER).text)
    assert "This policy in plain words" in visible
    assert "Anyone may transfer personal data within the scope of the GDPR within the EEA" \
        in visible
    assert "No one may transfer personal data within the scope of the GDPR outside the EEA" \
        in visible
    assert "When rules conflict, permissions win over prohibitions." in visible


def test_every_iri_of_a_resource_without_a_kind_has_a_page(web: TestClient) -> None:
    iri = "https://w3id.org/dskg/id/framework/gdpr"
    response = web.get("/resource", params={"iri": iri}, headers=BROWSER)
    assert response.status_code == 200
    assert "<h1>General Data Protection Regulation</h1>" in response.text
    assert "EU and international" in response.text


def test_search_finds_labels_and_descriptions_of_every_kind(web: TestClient) -> None:
    html = web.get("/ui/search?q=agdatahub", headers=BROWSER).text
    assert '<a class="title" href="/dataspaces/agdatahub">Agdatahub data ecosystem</a>' in html
    assert '<a class="title" href="/datasets/agdatahub-farmer-consents">' in html
    nothing = text_of(web.get("/ui/search?q=zzzzqqq", headers=BROWSER).text)
    assert "Nothing matches" in nothing
    assert web.get("/ui/search?q=", follow_redirects=False).status_code == 303


def test_errors_are_pages_for_browsers_and_problems_for_scripts(web: TestClient) -> None:
    page = web.get("/datasets/no-such-dataset", headers=BROWSER)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "no dataset with id" in page.text
    problem = web.get("/datasets/no-such-dataset", headers={"Accept": "application/json"})
    assert problem.headers["content-type"] == "application/problem+json"


def test_html_pages_carry_security_headers_and_no_remote_resources(web: TestClient) -> None:
    for url in ("/", "/dataspaces/agdatahub", "/ui/sparql", "/ui/validate"):
        response = web.get(url, headers=BROWSER)
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        remote = re.findall(r'(?:src|href)="(https?://[^"]+)"', response.text)
        assets = [u for u in remote if u.endswith((".css", ".js", ".woff", ".woff2"))]
        assert assets == []
    assert web.get("/static/style.css").status_code == 200
    assert web.get("/static/app.js").status_code == 200


def test_search_matches_what_the_rest_q_filter_matches(web: TestClient,
                                                       default_store: Store) -> None:
    from kg.services import KINDS, ServiceContext
    from kg.services.listing import Filters, list_resources
    from kg.web.browse import search

    ctx = ServiceContext(default_store, Settings(store="memory", load_default_graph=False,
                                                 base_iri="http://127.0.0.1:8000/"))
    for word in ("agdatahub", "health", "x-road"):
        for group in search(ctx, word):
            rest = list_resources(ctx, KINDS[group.kind.name], Filters(q=word), limit=6)
            assert [i.label for i in group.items] == [
                i["label"] for i in sorted(rest.items, key=lambda i: i["@id"])]
            assert group.more == (rest.total > 6)  # the default graph never cuts the scan
