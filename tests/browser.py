"""The real browser the page tests drive: headless Chromium through Debian's chromedriver, and
the JupyterLab server some of them open in it.

tests/conftest.py makes `browser` a fixture from chromium(); need() is how a browser test says
what is missing: a skip on a user's machine, a failure in CI (CI=true), which always has it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn

import pytest


def need(reason: str) -> NoReturn:
    """Skip on a user's machine; fail in CI, which always installs the browser."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser test: {reason}")
    pytest.skip(reason)


def chromium(*flags: str, network_log: bool = False) -> Iterator[Any]:
    """Headless Chromium through chromedriver; Selenium Manager is never asked to download.

    `flags` go to Chromium after ours; `network_log` keeps its network events, for
    driver.get_log("performance").
    """
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
        *flags,
    ):
        options.add_argument(flag)
    if network_log:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def jupyter_lab(
    home: Path, token: str, *options: str, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """A JupyterLab server on 127.0.0.1 (a free port), with `options` after ours and its log in
    `home`; yields its address once it answers, and stops it after."""
    port = free_port()
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", *options,
    ]  # fmt: skip
    if os.geteuid() == 0:  # Jupyter refuses to run as root unless told
        command.append("--allow-root")
    log = (home / "lab.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start: " + (home / "lab.log").read_text())
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
