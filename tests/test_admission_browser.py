"""The admission journey in a real browser (Debian's Chromium driven by Playwright): an
applicant submits a description with two faults, reads the report, fixes them and
resubmits; the authority of its tier reviews the picture and the diff and admits it; the
data space appears on the home page's tiers and in SPARQL; the applicant's new steward token
edits it; an update is rejected with a reason the applicant then reads."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from harness.servers import serve_app
from kg.settings import Settings
from kg.tokens import create_token
from tests.browser_support import chromium, screenshot  # skips without Chromium
from tests.conftest import ADMIN_TOKEN
from tests.test_admission import SEINE, faulty

pytestmark = pytest.mark.browser
BASE = "http://127.0.0.1:8000/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    from api.app import create_app

    settings = Settings(store="memory", admin_token=ADMIN_TOKEN, base_iri=BASE,
                        load_default_graph=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DSKG_TOKENS_FILE", str(tmp_path_factory.mktemp("tokens") / "t.json"))
        tokens = {"applicant": create_token(settings, "applicant", "seine-team"),
                  "fr": create_token(settings, "authority", "authority-FR",
                                     jurisdiction="FR")}
        with serve_app(create_app(settings)) as base:
            yield {"url": base, **tokens}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


def tab(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def shot(page: Any, name: str) -> None:
    screenshot(page, name, full_page=True)


def failing_checks(page: Any) -> set[str]:
    return {row.locator("td").first.inner_text()
            for row in page.locator("#checks tr.check-fail").all()}


def open_submission(page: Any, site: dict[str, str], token: str, status: str) -> None:
    """List the submissions with ``token`` and open the first one with ``status``."""
    page.goto(site["url"] + "/ui/submissions")
    page.fill("#list-token", token)
    page.select_option("#list-status", status)
    page.click("#list")
    page.get_by_role("button", name="Open the submission of Seine Mobility").first.click()
    page.wait_for_selector("#checks")


def project_dataspaces(page: Any, site: dict[str, str]) -> int:
    page.goto(site["url"] + "/")
    text = page.locator("section.tier-project .counts").inner_text()
    number = next(line for line in text.splitlines() if "data spaces" in line)
    return int(number.split()[0].replace(",", ""))


def test_admission_journey(site: dict[str, str], browser: Any) -> None:
    applicant, authority = tab(browser), tab(browser)
    before = project_dataspaces(applicant, site)

    # the applicant submits a description with two faults and reads the report
    applicant.goto(site["url"] + "/ui/submissions")
    applicant.fill("#submit-token", site["applicant"])
    applicant.fill("#submit-data", faulty(SEINE).decode())
    applicant.click("#submit")
    applicant.wait_for_selector("#checks")
    assert applicant.locator("#status").inner_text() == "needs-changes"
    assert {"registration", "frameworks"} <= failing_checks(applicant)
    assert "FR-12" in applicant.locator("#checks").inner_text()
    assert "Does not conform" in applicant.locator("section.report").inner_text()
    shot(applicant, "admission-report")

    # fixes both and resubmits
    applicant.fill("#correct-data", SEINE.decode())
    applicant.click("#resubmit")
    applicant.wait_for_selector("#checks")
    assert applicant.locator("#status").inner_text() == "pending"
    assert failing_checks(applicant) == set()

    # the FR authority reviews the picture and the diff, and admits
    open_submission(authority, site, site["fr"], "pending")
    picture = authority.locator("svg.governance")
    assert picture.locator('[data-tier="eu"]').count() >= 1
    assert "reaches the EU tier" in authority.locator("#picture-h + figure").inner_text()
    assert "New: not in the graph yet" in authority.locator("#diff").inner_text()
    shot(authority, "admission-review")
    authority.fill("#reason-text", "complete and within the tiers")
    authority.click("#admit")
    authority.wait_for_selector("#steward-token")
    steward = authority.locator("#steward-token").input_value()
    assert len(steward) > 30 and authority.locator("#status").inner_text() == "admitted"

    # it appears on the home page's tiers and in SPARQL
    deadline = time.monotonic() + 20
    while project_dataspaces(applicant, site) != before + 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert project_dataspaces(applicant, site) == before + 1
    applicant.goto(site["url"] + "/ui/sparql")
    applicant.fill("#query", "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
                             f"SELECT ?label WHERE {{ <{BASE}id/dataspace/seine-mobility> "
                             "skos:prefLabel ?label }")
    applicant.press("#query", "Control+Enter")
    applicant.wait_for_selector("table.results-table tbody tr")
    assert "Seine Mobility Data Collaborative" in applicant.locator(
        "table.results-table").inner_text()

    # the applicant's steward token edits it
    applicant.goto(site["url"] + "/ui/edit/datasets/seine-bike-counts")
    applicant.fill("#title", "Bicycle counts on the Seine")
    applicant.fill("#token", steward)
    applicant.click("#save")
    applicant.wait_for_url("**/datasets/seine-bike-counts")
    assert applicant.locator("h1").inner_text() == "Bicycle counts on the Seine"

    # an update is submitted with the steward token, reviewed with its diff, rejected
    update = SEINE.replace(b"Hourly counts of bicycles", b"Counts of bicycles every hour")
    applicant.goto(site["url"] + "/ui/submissions")
    applicant.fill("#submit-token", steward)
    applicant.fill("#submit-data", update.decode())
    applicant.click("#submit")
    applicant.wait_for_selector("#checks")
    assert applicant.locator("#status").inner_text() == "pending"
    open_submission(authority, site, site["fr"], "pending")
    assert "Counts of bicycles every hour" in authority.locator("pre.diff-added").inner_text()
    authority.fill("#reason-text", "the dataset title must stay as admitted")
    authority.click("#reject")
    authority.wait_for_selector("#reason")
    open_submission(applicant, site, steward, "rejected")
    assert applicant.locator("#status").inner_text() == "rejected"
    assert applicant.locator("#reason").inner_text() == "the dataset title must stay as admitted"
