"""Chromium for the browser tests (Debian's Chromium driven by Playwright), started one way.

Importing this module skips the importing test module when Playwright or Chromium is missing.
Screenshots go where ``DSKG_SCREENSHOTS`` says (``docs/screenshots`` to refresh the README's);
by default to a scratch folder, so a test run never changes the checkout.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = os.environ.get("DSKG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("DSKG_SCREENSHOTS") or Path(tempfile.gettempdir()) / "dskg-shots")


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium, closed (with its Playwright driver) on leaving."""
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield instance
        finally:
            instance.close()


def screenshot(page: Any, name: str, **options: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), **options)


@contextmanager
def trusted_issuer(folder: Path) -> Iterator[Any]:
    """A Gaia-X issuer whose key and did:web document are in ``folder``, the node's trust
    directory (``DSKG_GAIAX_TRUST_DIR``) while the block runs."""
    from harness import gaiax_factory as factory

    issuer = factory.Issuer(factory.rsa_key())
    issuer.write(folder)
    before = os.environ.get("DSKG_GAIAX_TRUST_DIR")
    os.environ["DSKG_GAIAX_TRUST_DIR"] = str(folder)
    try:
        yield issuer
    finally:
        if before is None:
            os.environ.pop("DSKG_GAIAX_TRUST_DIR", None)
        else:
            os.environ["DSKG_GAIAX_TRUST_DIR"] = before
