"""Every lesson, opened untrusted in a real JupyterLab in headless Chromium, shows every graph.

A notebook from a fresh clone is untrusted: JupyterLab then refuses SVG outputs and strips
scripts and SVG from HTML ones. So every picture must also be stored in a form it shows (a PNG
beside draw_dot's SVG, a still PNG in the stepper's page). One JupyterLab server, with a
Jupyter data folder of its own (so it trusts nothing), serves a copy of the committed lessons;
the browser opens each one without running it and looks for every stored picture, drawn.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.browser import jupyter_lab, need
from tests.test_notebooks import NOTEBOOKS

TOKEN = "chainrule-lessons"


def pictures(path: Path) -> list[str]:
    """What each picture output of a committed lesson is: a graph, a stepper page or a plot."""
    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "cr-stepper" in data.get("text/html", ""):
                found.append("stepper")
            elif "image/svg+xml" in data:
                found.append("graph")
            elif "image/png" in data:
                found.append("plot")
    return found


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab server over a copy of the lessons, trusting nothing; yields its base URL."""
    if importlib.util.find_spec("jupyterlab") is None:
        need("JupyterLab is not installed (pip install -e '.[lab]')")
    home = tmp_path_factory.mktemp("lab")
    lessons = home / "notebooks"
    shutil.copytree(NOTEBOOKS[0].parent, lessons)
    env = os.environ | {
        # A Jupyter of its own: no notebook signatures, so every lesson opens untrusted.
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    yield from jupyter_lab(
        home,
        TOKEN,
        f"--ServerApp.root_dir={lessons}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        env=env,
    )


# Each picture output as the learner sees it, once scrolled into view (JupyterLab lays out only
# the cells near the view): a loaded image, its width on the page, whether it is inside an HTML
# output (the stepper's still), and its text (SVG dumped as words would show there).
PICTURE_OUTPUTS = """
// The lesson's own panel, found through its tab (whose data-id is the panel's id): the lessons
// opened before it stay open, and the one opened last may still be the panel shown while this
// one loads, so "the panel not hidden" could be the last lesson's.
const tab = [...document.querySelectorAll('.lm-TabBar-tab')].find(
  (t) => t.querySelector('.lm-TabBar-tabLabel')?.textContent === arguments[0]);
const panel = tab === undefined ? null : document.getElementById(tab.dataset.id);
if (panel === null || panel.classList.contains('lm-mod-hidden')) return [];
return [...panel.querySelectorAll('.jp-OutputArea-output')].filter(
  (area) => area.querySelector('img') !== null
    || area.classList.contains('jp-RenderedHTMLCommon'));
"""
READ_OUTPUT = """
const area = arguments[0];
const img = area.querySelector('img');
return {
  loaded: img !== null && img.complete && img.naturalWidth > 0,
  width: img === null ? 0 : img.getBoundingClientRect().width,
  html: area.classList.contains('jp-RenderedHTMLCommon'),
  text: area.textContent.slice(0, 300),
};
"""


def open_lesson(driver: Any, url: str, name: str, expected: int) -> list[dict[str, Any]]:
    """Open a lesson and return its picture outputs once every one is drawn (or 60 s)."""
    driver.get(url)
    deadline = time.monotonic() + 60
    shown: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        shown = []
        for area in driver.execute_script(PICTURE_OUTPUTS, name):
            driver.execute_script("arguments[0].scrollIntoView();", area)
            output = driver.execute_script(READ_OUTPUT, area)
            if not output["width"]:
                time.sleep(0.3)  # laid out at the next frame
                output = driver.execute_script(READ_OUTPUT, area)
            shown.append(output)
        if len(shown) >= expected and all(o["loaded"] and o["width"] > 0 for o in shown):
            break
        time.sleep(1)
    return shown


@pytest.mark.slow
def test_every_lesson_shows_every_graph_untrusted(browser: Any, lab: str) -> None:
    browser.set_window_size(1400, 900)
    seen: dict[str, int] = {}
    for path in NOTEBOOKS:
        expected = pictures(path)
        url = f"{lab}/lab/tree/{path.name}?token={TOKEN}"
        shown = open_lesson(browser, url, path.name, len(expected))
        assert len(shown) == len(expected), (path.name, expected, shown)
        for kind, output in zip(expected, shown):
            assert output["loaded"], (path.name, kind, output)
            assert output["width"] > 50, (path.name, kind, output)
            assert "<svg" not in output["text"] and "stroke" not in output["text"], path.name
            if kind == "stepper":
                # Untrusted: no script ran, so the page shows its still and says to run it.
                assert output["html"], (path.name, output)
                assert "as a still picture: run this cell" in output["text"], path.name
                assert "previous" not in output["text"], path.name
        for kind in expected:
            seen[kind] = seen.get(kind, 0) + 1
    # The lessons draw graphs, stepper pages and plots: all three were looked at.
    assert seen.get("graph", 0) >= 4 and seen.get("stepper", 0) >= 2, seen
