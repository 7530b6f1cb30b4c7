"""/docs and /redoc render in Chromium with the node's own Content-Security-Policy and no
request leaving the node (issue 15): their scripts are served by the node."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from api.app import create_app
from harness.servers import serve_app
from kg.settings import Settings
from tests.browser_support import chromium  # skips without Chromium

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    settings = Settings(store="memory", base_iri="http://127.0.0.1:8000/",
                        load_default_graph=False)
    with serve_app(create_app(settings)) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


def open_page(browser: Any, url: str) -> tuple[Any, list[str], list[str]]:
    """The page at ``url``, the console errors it logged and the off-node requests it tried
    (those are refused)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(request_route: Any) -> None:
        if urlsplit(request_route.request.url).hostname != "127.0.0.1":
            outside.append(request_route.request.url)
            request_route.abort()
        else:
            request_route.continue_()

    context.route("**/*", route)
    page.goto(url)
    return page, errors, outside


def test_swagger_ui_renders_the_operations(site: str, browser: Any) -> None:
    page, errors, outside = open_page(browser, f"{site}/docs")
    page.wait_for_selector(".opblock")
    operations = page.locator(".opblock").count()
    assert operations >= 20
    assert page.locator(".opblock-summary-path", has_text="/validate").count() >= 1
    assert outside == [] and not [e for e in errors if "Content Security Policy" in e], errors
    assert not [e for e in errors if "Uncaught" in e], errors
    page.context.close()


def test_redoc_renders_the_operations(site: str, browser: Any) -> None:
    page, errors, outside = open_page(browser, f"{site}/redoc")
    heading = page.locator("h2", has_text="Validate a description against the shapes")
    heading.first.wait_for()
    assert page.locator("h2").count() >= 20
    # ReDoc's "powered by" logo points at its maker's site: the CSP blocks that image (only
    # decoration); no script or style may be blocked.
    assert outside == [] and not [e for e in errors if "script-src" in e or "style-src" in e]
    page.context.close()


def test_pages_keep_a_strict_script_policy(site: str) -> None:
    for path in ("/docs", "/redoc"):
        answer = httpx.get(site + path)
        assert answer.status_code == 200
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split(
            "script-src")[1].split(";")[0]
        assert "<script>" not in answer.text and "cdn" not in answer.text.lower()
    assert httpx.get(f"{site}/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert httpx.get(f"{site}/docs-assets/../settings.py").status_code == 404
