"""The real browser the page tests drive: headless Chromium through Debian's chromedriver.

tests/conftest.py makes `browser` a fixture from chromium(); need() is how a browser test says
what is missing: a skip on a user's machine, a failure in CI (CI=true), which always has it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest


def need(reason: str) -> NoReturn:
    """Skip on a user's machine; fail in CI, which always installs the browser."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser test: {reason}")
    pytest.skip(reason)


def chromium() -> Iterator[Any]:
    """Headless Chromium through chromedriver; Selenium Manager is never asked to download."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        need("selenium is not installed (pip install -e '.[dev]')")
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if path is None or driver_path is None:
        need("no Chromium here (Debian: apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = path
    profile = tempfile.mkdtemp(prefix="chainrule-chromium-")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
