"""The web pages in a real browser (Debian's Chromium driven by Playwright), as a person uses
them: search and open a data space, follow its governance picture to the EU tier, run an
example SPARQL query, validate a description with a missing title, ask "may I?" for a denied
transfer, check a Gaia-X credential and describe a dataset. Each page is saved as a screenshot
(``DSKG_SCREENSHOTS=docs/screenshots`` refreshes the README's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.servers import serve_app
from kg.settings import Settings
from tests.browser_support import chromium, screenshot, trusted_issuer  # skips without Chromium
from tests.conftest import ADMIN_TOKEN

pytestmark = pytest.mark.browser
MISSING_TITLE = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .

<https://example.org/dataset/soil> a dcat:Dataset ;
    dct:description "Hourly soil moisture from member farms."@en ;
    dct:publisher <https://w3id.org/dskg/id/organisation/agdatahub> .
"""


@pytest.fixture(scope="module")
def trust_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    folder = tmp_path_factory.mktemp("trust")
    with trusted_issuer(folder) as issuer:
        yield folder, issuer


@pytest.fixture(scope="module")
def site(trust_dir: tuple[Path, Any]) -> Iterator[str]:
    from api.app import create_app

    settings = Settings(store="memory", admin_token=ADMIN_TOKEN,
                        base_iri="http://127.0.0.1:8000/", load_default_graph=True)
    with serve_app(create_app(settings)) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def shot(tab: Any, name: str) -> None:
    screenshot(tab, name, full_page=True)


def test_search_agdatahub_and_follow_governance_to_the_eu_tier(site: str, page: Any) -> None:
    page.goto(site + "/")
    assert page.locator("section.tier-band").count() == 3
    shot(page, "home")
    page.fill("#home-q", "Agdatahub")
    page.press("#home-q", "Enter")
    page.wait_for_url("**/ui/search?q=Agdatahub")
    shot(page, "search")
    page.get_by_role("link", name="Agdatahub data ecosystem").first.click()
    page.wait_for_url("**/dataspaces/agdatahub")
    assert page.locator("h1").inner_text() == "Agdatahub data ecosystem"
    eu_nodes = page.locator('svg.governance a.node[data-tier="eu"]')
    assert eu_nodes.count() >= 1
    assert "reaches the EU tier" in page.locator("#gov-h").inner_text()
    shot(page, "dataspace")
    gdpr = page.locator('svg.governance a.node[aria-label^="General Data Protection"]')
    gdpr.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "General Data Protection Regulation"
    assert "EU and international" in page.locator(".badge.tier").inner_text()


def test_dataset_page_shows_its_policy_in_words_and_the_list_filters(site: str, page: Any
                                                                      ) -> None:
    page.goto(site + "/datasets?theme=AGRI")
    assert page.locator("li.item").count() >= 1
    assert "Theme: Agriculture" in page.locator("ul.chips.active").inner_text()
    shot(page, "datasets")
    page.get_by_role("link", name="Agricultural data shared in the agri-food chain").click()
    page.wait_for_url("**/datasets/agdatahub-farm-data")
    policy = page.locator("section.policies")
    assert "may use" in policy.inner_text()
    assert "Inherited tier rules" in policy.inner_text()
    shot(page, "dataset")
    policy.locator("div.own article.policy h3 a").first.click()
    page.wait_for_url("**/policies/offer-agdatahub-farm-data")
    assert "This policy in plain words" in page.locator("#pol-h").inner_text()
    shot(page, "policy")
    page.goto(site + "/organisations/european-commission")
    assert page.locator('svg.governance a.node[data-tier="eu"]').count() >= 5
    shot(page, "organisation")


def test_run_an_example_sparql_query(site: str, page: Any) -> None:
    page.goto(site + "/ui/sparql")
    page.select_option("#examples", label="Members of each data space with their role (README)")
    assert "org:member" in page.input_value("#query")
    page.press("#query", "Control+Enter")
    page.wait_for_selector("table.results-table tbody tr")
    assert page.locator("table.results-table tbody tr").count() > 10
    assert page.locator("table.results-table th").first.inner_text() == "?spaceLabel"
    shot(page, "sparql")


def test_validate_a_description_with_a_missing_title(site: str, page: Any) -> None:
    page.goto(site + "/ui/validate")
    page.fill("#data", MISSING_TITLE)
    page.click("#validate")
    page.wait_for_selector("section.report")
    report = page.locator("section.report").inner_text()
    assert "Does not conform" in report
    assert "Title: none given" in report and "dct:title" in report
    shot(page, "validate")


def test_may_i_transfer_outside_the_eea_is_denied_with_the_reason(site: str, page: Any
                                                                  ) -> None:
    page.goto(site + "/ui/may-i")
    page.fill("#assignee", "dawex")
    page.select_option("#action", "transfer")
    page.fill("#target", "agdatahub-farm-data")
    page.fill("#spatial", "US")
    page.click("#ask")
    page.wait_for_selector("section.decision")
    assert page.locator(".verdict-label").inner_text() == "Denied"
    reason = page.locator("p.reason").inner_text()
    assert "transfer" in reason and "EU-tier" in reason and "obtain consent" in reason
    deciding = page.locator("article.verdict-policy.deciding")
    assert "GDPR" in deciding.inner_text()
    assert deciding.locator("xpath=ancestor::section[1]").get_attribute("class") \
        == "layer layer-EU-tier"
    shot(page, "may-i")


def test_check_a_signed_gaiax_credential(site: str, page: Any,
                                         trust_dir: tuple[Path, Any]) -> None:
    from harness import gaiax_factory as factory

    _folder, issuer = trust_dir
    credentials = [issuer.sign(c) for c in (factory.participant(), factory.registration(),
                                            factory.terms())]
    page.goto(site + "/ui/gaiax")
    page.fill("#data", json.dumps(factory.presentation(*credentials), indent=2))
    page.click("#verify")
    page.wait_for_selector("article.checklist")
    assert page.locator(".verdict-label").inner_text() == "Valid"
    assert page.locator("article.checklist li.fail").count() == 0
    assert "Gaia-X European Association" in page.locator("section.links").inner_text()
    shot(page, "gaiax")


def test_describe_a_new_dataset_through_the_form(site: str, page: Any) -> None:
    page.goto(site + "/ui/edit/datasets/new")
    page.fill("#title", "Vineyard soil samples")
    page.fill("#description", "Soil analyses from member vineyards, twice a year.")
    page.fill("#publisher", "agdatahub")
    page.select_option("#dataspace", "agdatahub")
    page.check('input[name="theme"][value="AGRI"]')
    page.fill("#keywords", "soil, vineyards")
    page.fill("#access_url", "https://data.example.org/vineyard-soil")
    page.fill("#token", ADMIN_TOKEN)
    shot(page, "edit")
    page.click("#save")
    page.wait_for_url("**/datasets/vineyard-soil-samples")
    assert page.locator("h1").inner_text() == "Vineyard soil samples"


def test_pages_work_without_javascript_and_on_a_phone(site: str, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False,
                                  viewport={"width": 390, "height": 844}, is_mobile=True)
    tab = context.new_page()
    tab.goto(site + "/dataspaces?tier=project")
    assert tab.locator("li.item").count() >= 5
    tab.get_by_role("link", name="Space Data Marketplace").click()
    tab.wait_for_url("**/dataspaces/space-data-marketplace")
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= 400  # nothing overflows the phone's width (the diagram scrolls itself)
    tab.goto(site + "/")
    screenshot(tab, "home-phone")
    context.close()
