"""Headless Chromium for the browser tests: one session for the whole module.

The browser is the system's (Debian packages ``chromium`` and ``chromium-driver``),
driven by selenium through ``/usr/bin/chromedriver`` so that selenium-manager
downloads nothing. Missing pieces skip the tests with a message saying what to
install, unless ``CAUSALKIT_REQUIRE_BROWSER=1`` (CI) makes them fail instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMEDRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--force-device-scale-factor=1")


def _first(paths: tuple[str, ...], name: str) -> str | None:
    for p in (*paths, shutil.which(name) or ""):
        if p and os.access(p, os.X_OK):
            return p
    return None


def missing() -> str | None:
    """What is missing to run the browser tests (None when nothing is)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if _first(CHROMIUM, "chromium") is None:
        return "no Chromium (apt-get install chromium)"
    if _first(CHROMEDRIVER, "chromedriver") is None:
        return "no chromedriver (apt-get install chromium-driver)"
    return None


def open_browser(user_data: str) -> Any:
    """A headless Chromium session (selenium WebDriver) with the browser log on."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = _first(CHROMIUM, "chromium") or CHROMIUM[0]
    for flag in (*FLAGS, f"--user-data-dir={user_data}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(_first(CHROMEDRIVER, "chromedriver") or CHROMEDRIVER[0])
    return webdriver.Chrome(service=service, options=options)


def set_viewport(driver: Any, width: int, height: int) -> None:
    """Resize the window so that the page's viewport is exactly ``width`` x ``height``."""
    driver.set_window_rect(width=width, height=height)
    inner_w, inner_h = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    if (inner_w, inner_h) != (width, height):
        driver.set_window_rect(width=2 * width - inner_w, height=2 * height - inner_h)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module; skipped (or, in CI, failed) when unavailable."""
    why = missing()
    if why is not None:
        if os.environ.get("CAUSALKIT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"CAUSALKIT_REQUIRE_BROWSER=1 but {why}", pytrace=False)
        pytest.skip(f"browser tests need Chromium, chromedriver and selenium: {why}")
    with tempfile.TemporaryDirectory(prefix="causalkit-chromium-") as user_data:
        driver = open_browser(user_data)
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture(scope="module")
def screenshots() -> Path:
    """Where screenshots go: ``$CAUSALKIT_SCREENSHOTS`` (CI keeps it) or a temporary folder."""
    folder = os.environ.get("CAUSALKIT_SCREENSHOTS") or tempfile.mkdtemp(
        prefix="causalkit-screenshots-")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path
