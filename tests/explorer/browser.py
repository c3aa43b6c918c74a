"""Debian's Chromium, headless, driven through its own chromedriver (selenium), for the
explorer's tests; screenshots go to ``artifacts/screenshots/`` at the repository's root.

Chromium is required under CI=true (``.ci/run`` installs it): a missing one fails the
tests there and skips them elsewhere, with the reason shown.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver import Chrome
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.wait import WebDriverWait

ROOT = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = ("chromium", "/usr/bin/chromium")
CHROMEDRIVER = ("chromedriver", "/usr/bin/chromedriver")
#: Without the background-networking flags Chromium keeps dialling out, which a closed
#: network refuses (and logs); a fresh profile per browser keeps runs independent.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)


def _find(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found is not None:
            return found
    return None


def require_chromium() -> tuple[str, str]:
    """(chromium, chromedriver) paths; fails under CI=true, skips elsewhere, when missing."""
    chromium, driver = _find(CHROMIUM), _find(CHROMEDRIVER)
    if chromium is not None and driver is not None:
        return chromium, driver
    message = "Chromium is not installed (apt-get install chromium chromium-driver; .ci/run does)"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@contextmanager
def chromium(scripts: bool = True, flags: tuple[str, ...] = ()) -> Iterator[Chrome]:
    """A headless Chromium with a fresh profile; ``scripts=False`` turns JavaScript off;
    ``flags`` are added to its command line."""
    binary, driver_path = require_chromium()
    with tempfile.TemporaryDirectory(prefix="rootstate-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for flag in (*FLAGS, *flags):
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        if not scripts:
            options.add_experimental_option(
                "prefs", {"profile.managed_default_content_settings.javascript": 2}
            )
        driver = webdriver.Chrome(options=options, service=Service(driver_path))
        try:
            driver.set_page_load_timeout(30)
            yield driver
        finally:
            driver.quit()


def console_errors(driver: Chrome) -> list[str]:
    """The console's errors since the last call (warnings and errors; the log is drained)."""
    # selenium leaves get_log untyped; it returns the log entries as dicts.
    entries: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return [str(e["message"]) for e in entries if e.get("level") in ("SEVERE", "WARNING")]


def screenshot(driver: Chrome, name: str) -> Path:
    """The whole page, not only the window, as ``artifacts/screenshots/NAME.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    path = SCREENSHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def wait_for(driver: Chrome, script: str, timeout: float = 20.0) -> Any:
    """Wait until ``script`` (a JavaScript expression) is truthy in the page; its value."""
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        lambda d: d.execute_script(f"return {script}")
    )
