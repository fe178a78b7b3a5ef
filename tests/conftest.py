"""Shared Hypothesis settings and strategies (seeds are fixed: runs are repeatable), the
fresh-interpreter probe, and the browser fixture of the page tests (tests/browser.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.browser import chromium

ROOT = Path(__file__).resolve().parent.parent

settings.register_profile(
    "chainrule",
    derandomize=True,
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("chainrule")


def floats_in(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Finite floats in [lo, hi]."""
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (tests/browser.py), one per test module."""
    yield from chromium()


def run_python(
    code: str,
    *args: str,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    python: str = sys.executable,
    timeout: float = 300,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`python -c code *args` in a fresh interpreter (nothing imported yet), its output as text."""
    return subprocess.run(
        [python, "-c", code, *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
    )


@pytest.fixture
def fresh_python() -> Callable[..., subprocess.CompletedProcess[str]]:
    """The fresh-interpreter probe: what importing or running something does from a clean
    start (which modules it imports, what it prints without an extra installed)."""
    return run_python
