"""WCAG 2.1 AA on every kind of page: axe-core (npm) run in Chromium (Playwright).

The node's users are public bodies bound by the EU Web Accessibility Directive (WCAG 2.1 AA).
Each page kind is opened as a person reaches it (a form filled in and sent where the page is
an answer) and checked with axe-core's WCAG 2.0/2.1 A and AA rules: no violation allowed.

axe-core is installed at test time with npm into a cache folder (``$DSKG_AXE_DIR``, default
``~/.cache/dskg/axe``), once; without npm, Chromium or Playwright the module is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kg.settings import Settings
from tests.browser_support import chromium, trusted_issuer  # skips without Chromium
from tests.conftest import ADMIN_TOKEN

pytestmark = pytest.mark.browser
AXE_VERSION = "4"
#: The rules of WCAG 2.0 and 2.1, levels A and AA (axe-core's tags).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Rules axe-core marks experimental but WCAG 2.1 A requires (2.5.3 Label in Name).
EXTRA_RULES = ["label-content-name-mismatch"]


def _axe_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dskg" / "axe"
    return Path(os.environ.get("DSKG_AXE_DIR") or default)


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe.min.js, installed with npm on first use."""
    folder = _axe_dir()
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed (apt-get install npm): axe-core cannot be fetched")
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "install", "--prefix", str(folder), f"axe-core@{AXE_VERSION}",
                               "--no-audit", "--no-fund", "--silent"],
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0 or not script.is_file():
            pytest.skip(f"npm could not install axe-core: {done.stderr.strip()[:300]}")
    return script.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def trust_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    folder = tmp_path_factory.mktemp("trust")
    with trusted_issuer(folder) as issuer:
        yield folder, issuer


@pytest.fixture(scope="module")
def site(trust_dir: tuple[Path, Any]) -> Iterator[str]:
    from api.app import create_app
    from harness.servers import serve_app

    settings = Settings(store="memory", admin_token=ADMIN_TOKEN,
                        base_iri="http://127.0.0.1:8000/", load_default_graph=True)
    with serve_app(create_app(settings)) as base:
        yield base


@pytest.fixture(scope="module")
def tab(axe_source: str) -> Iterator[Any]:
    with chromium() as browser:
        # The pages' CSP allows no inline script; axe is injected by the test, not the site.
        context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield page


def axe_violations(page: Any, axe_source: str) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
    page.add_script_tag(content=axe_source)
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS},
               "rules": {rule: {"enabled": True} for rule in EXTRA_RULES},
               "resultTypes": ["violations"]}
    result = page.evaluate("async (options) => await axe.run(document, options)", options)
    return [{"rule": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [{"target": n["target"], "summary": n.get("failureSummary", "")}
                       for n in v["nodes"]]} for v in result["violations"]]


def _may_i(page: Any) -> None:
    page.fill("#assignee", "dawex")
    page.select_option("#action", "transfer")
    page.fill("#target", "agdatahub-farm-data")
    page.fill("#spatial", "US")
    page.click("#ask")
    page.wait_for_selector("section.decision")


def _validate(page: Any) -> None:
    page.fill("#data", '@prefix dcat: <http://www.w3.org/ns/dcat#> .\n'
                       '<https://example.org/d> a dcat:Dataset .\n')
    page.click("#validate")
    page.wait_for_selector("section.report")


def _sparql(page: Any) -> None:
    page.press("#query", "Control+Enter")
    page.wait_for_selector("table.results-table tbody tr")


def _gaiax(trust: tuple[Path, Any]) -> Callable[[Any], None]:
    def act(page: Any) -> None:
        from harness import gaiax_factory as factory

        issuer = trust[1]
        credentials = [issuer.sign(c) for c in (factory.participant(), factory.registration(),
                                                factory.terms())]
        page.fill("#data", json.dumps(factory.presentation(*credentials)))
        page.click("#verify")
        page.wait_for_selector("article.checklist")
    return act


def _edit_refused(page: Any) -> None:
    page.fill("#title", "")
    page.fill("#token", ADMIN_TOKEN)
    page.click("#save")
    page.wait_for_selector(".error, section.report")


def _submit(page: Any) -> None:
    seine = Path(__file__).parent / "fixtures" / "admission" / "seine.ttl"
    page.fill("#submit-token", ADMIN_TOKEN)
    page.fill("#submit-data", seine.read_text(encoding="utf-8"))
    page.click("#submit")
    page.wait_for_selector("#checks")


#: (name, path, what a person does on it before it is checked)
PAGES: list[tuple[str, str, str | None]] = [
    ("home", "/", None),
    ("list-organisations", "/organisations", None),
    ("list-dataspaces", "/dataspaces?tier=project", None),
    ("list-datasets", "/datasets?theme=AGRI", None),
    ("list-policies", "/policies", None),
    ("list-memberships", "/memberships", None),
    ("organisation", "/organisations/european-commission", None),
    ("dataspace", "/dataspaces/agdatahub", None),
    ("dataset", "/datasets/agdatahub-farm-data", None),
    ("policy", "/policies/offer-agdatahub-farm-data", None),
    ("membership", "/memberships/space-data-marketplace-cnes-data-provider", None),
    ("framework", "/resource?iri=https%3A%2F%2Fw3id.org%2Fdskg%2Fid%2Fframework%2Fgdpr", None),
    ("search", "/ui/search?q=Agdatahub", None),
    ("sparql", "/ui/sparql", None),
    ("sparql-results", "/ui/sparql", "sparql"),
    ("validate", "/ui/validate", None),
    ("validate-report", "/ui/validate", "validate"),
    ("may-i", "/ui/may-i", None),
    ("may-i-answer", "/ui/may-i", "may-i"),
    ("gaiax", "/ui/gaiax", None),
    ("gaiax-result", "/ui/gaiax", "gaiax"),
    ("edit", "/ui/edit/datasets/new", None),
    ("edit-refused", "/ui/edit/datasets/new", "edit"),
    ("error", "/datasets/no-such-dataset", None),
    ("submissions", "/ui/submissions", None),
    ("submission-review", "/ui/submissions", "submit"),
]


@pytest.mark.parametrize(("name", "path", "action"), PAGES, ids=[p[0] for p in PAGES])
def test_no_wcag_violation(site: str, tab: Any, axe_source: str,
                           trust_dir: tuple[Path, Any], name: str, path: str,
                           action: str | None) -> None:
    answer = tab.goto(site + path)
    assert answer is not None
    assert answer.status == (404 if name == "error" else 200)
    actions: dict[str, Callable[[Any], None]] = {
        "may-i": _may_i, "validate": _validate, "sparql": _sparql, "gaiax": _gaiax(trust_dir),
        "edit": _edit_refused, "submit": _submit}
    if action is not None:
        actions[action](tab)
    assert tab.locator("main, [role=main]").count() >= 1  # the page did render
    violations = axe_violations(tab, axe_source)
    assert violations == [], json.dumps(violations, indent=1)[:4000]
