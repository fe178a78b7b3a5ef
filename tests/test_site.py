"""The lessons' static site (make site): lessons run top to bottom in the browser, in headless
Chromium, with nothing fetched from anywhere but the site itself.

Marked `site`: `make test` deselects it, since it needs the built site/ and takes minutes; CI
builds the site and runs it as its own step (.ci/run). Run by hand:
    make site && .venv/bin/python -m pytest -m site tests/test_site.py
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import chromium

pytestmark = pytest.mark.site

SITE = Path(__file__).resolve().parents[1] / "site"
# Seconds a lesson may take in the browser, the kernel's start included (15-45 s on a loaded
# machine; lessons 03 and 07 train).
LESSON_TIMEOUT = 600

# Opens a lesson in JupyterLab, runs all its cells, and returns what a learner would see.
RUN_LESSON = """
const [path, done] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  const app = window.jupyterapp;
  await app.restored;
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  const ok = await app.commands.execute('notebook:run-all-cells');
  const notebook = panel.context.model.toJSON();
  done({ok, cells: notebook.cells});
})().catch(error => done({ok: false, error: String(error), stack: error.stack}));
"""


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A static file server for `directory` on 127.0.0.1, as any static host would serve it."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    assert (SITE / "index.html").exists(), "site/ is not built: run `make site` first"
    server, url = serve(SITE)
    try:
        yield url
    finally:
        server.shutdown()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium (tests/browser.py) that can reach 127.0.0.1 only: any other host fails
    to resolve. It keeps its network log, and waits for a lesson as long as a lesson may take."""
    for driver in chromium(
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1", network_log=True
    ):
        driver.set_script_timeout(LESSON_TIMEOUT)
        # The client's own read timeout (120 s by default) must outlast a lesson too.
        driver.command_executor._client_config.timeout = LESSON_TIMEOUT + 60
        yield driver


def requested(driver: Any) -> set[str]:
    """Every URL the page and its workers asked for (Chromium's network log)."""
    urls = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.add(message["params"]["request"]["url"])
    return urls


def run_lesson(driver: Any, site: str, name: str) -> dict[str, Any]:
    """Open notebooks/`name` in the site, run all its cells, and return the notebook's cells."""
    driver.get(f"{site}/lab/index.html")
    for _ in range(120):
        if driver.execute_script("return !!window.jupyterapp"):
            break
        time.sleep(0.5)
    started = time.monotonic()
    result = driver.execute_async_script(RUN_LESSON, f"notebooks/{name}")
    print(f"{name}: ran in {time.monotonic() - started:.0f} s, the kernel's start included")
    assert "error" not in result, result
    return result


def outputs(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [output for cell in cells for output in cell.get("outputs", [])]


def check_ran(result: dict[str, Any], site: str, driver: Any) -> list[dict[str, Any]]:
    """Every code cell ran, none raised, and nothing came from outside the site."""
    cells = result["cells"]
    errors = [o for o in outputs(cells) if o["output_type"] == "error"]
    assert errors == [], "\n".join(f"{o['ename']}: {o['evalue']}" for o in errors)
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert code and all(cell["execution_count"] for cell in code)
    assert result["ok"] is True
    # Chromium's own chrome:// pages and the notebook's data:, blob: and attachment: links are
    # not network requests; every request over the network went to the site's host.
    host = urllib.parse.urlsplit(site).netloc
    foreign = {
        url
        for url in requested(driver)
        if urllib.parse.urlsplit(url).scheme in ("http", "https", "ws", "wss")
        and urllib.parse.urlsplit(url).netloc != host
    }
    assert foreign == set()
    return cells


def svg_pictures(cells: list[dict[str, Any]]) -> list[str]:
    return [
        o["data"]["image/svg+xml"] for o in outputs(cells) if "image/svg+xml" in o.get("data", {})
    ]


def drawn(svg: str) -> list[str]:
    """What a picture shows, whatever the fonts and the renderer's order: its nodes' and edges'
    titles and its texts (not the graph's own title, %3 in one Graphviz and absent in another)."""
    found = re.findall(r"<title>(.*?)</title>|<text[^>]*>(.*?)</text>", svg)
    return sorted(title or text for title, text in found if not title.startswith("%"))


def stepper_count(driver: Any) -> str:
    return driver.execute_script(
        "const c = document.querySelector('.jp-Notebook .cr-stepper .cr-count');"
        "return c ? c.textContent : null;"
    )


def test_lesson_01_runs_in_the_browser_with_graphs_and_the_stepper(site: str, browser: Any) -> None:
    cells = check_ran(
        run_lesson(browser, site, "01_values_and_the_chain_rule.ipynb"), site, browser
    )
    pictures = svg_pictures(cells)
    assert pictures and all("graphviz version" in svg and '<g id="node' in svg for svg in pictures)
    # The same graphs as the desktop run saved in the lesson: same nodes, edges and texts.
    saved = json.loads(
        (SITE.parent / "notebooks" / "01_values_and_the_chain_rule.ipynb").read_text()
    )
    desktop = ["".join(svg) for svg in svg_pictures(saved["cells"])]
    assert [drawn(svg) for svg in pictures] == [drawn(svg) for svg in desktop]
    # The stepper's page works there too: its script ran and a click moves it on a step.
    first = stepper_count(browser)
    assert first is not None and first.startswith("step 1 of ")
    browser.execute_script("document.querySelector('.jp-Notebook .cr-stepper .cr-next').click()")
    assert stepper_count(browser) == first.replace("step 1 ", "step 2 ")
    # The plot's code is left to the desktop, with its picture kept in a note.
    notes = [c for c in cells if c["cell_type"] == "markdown" and "Desktop only" in c["source"]]
    assert notes and all("image/png" in str(c.get("attachments")) for c in notes)


def test_lesson_06_runs_in_the_browser(site: str, browser: Any) -> None:
    cells = check_ran(run_lesson(browser, site, "06_two_classic_mistakes.ipynb"), site, browser)
    assert svg_pictures(cells)
    assert stepper_count(browser) is not None


def stream_text(cells: list[dict[str, Any]]) -> str:
    return "".join(o["text"] for o in outputs(cells) if o["output_type"] == "stream")


def test_lesson_04_runs_pytest_and_hypothesis_on_the_guide_in_the_browser(
    site: str, browser: Any
) -> None:
    cells = check_ran(run_lesson(browser, site, "04_testing_gradients.ipynb"), site, browser)
    text = stream_text(cells)
    # The test file of ../docs/gradient-tests.md, run by pytest there: its Hypothesis test too.
    assert "5 passed" in text and "pytest exit code: 0" in text
    # The deliberately wrong rules are caught, as on the desktop.
    assert text.count("disagree") >= 4 and "3 of 4 claims are wrong" in text


def test_lesson_03_trains_and_its_playground_plays_in_the_browser(site: str, browser: Any) -> None:
    from tests.test_playground_lab import READ_PAGE, wait_for

    browser.set_window_size(1400, 1000)
    cells = check_ran(run_lesson(browser, site, "03_training_an_mlp.ipynb"), site, browser)
    assert "Adam, lr=0.05: loss after the last step" in stream_text(cells)
    # The Playground's page is drawn from the kernel's 50 steps, and plays on: frames come, the
    # kernel's steps go up one per frame and the loss goes down.
    browser.execute_script("document.querySelector('.cr-playground').scrollIntoView()")
    start = wait_for("the playground's first drawing", lambda: browser.execute_script(READ_PAGE))
    assert start["step"] == 50 and start["points"] == 100 and start["message"] == ""
    browser.execute_script("document.querySelector('.cr-playground .cr-play').click()")
    first = wait_for(
        "5 frames", lambda: (p := browser.execute_script(READ_PAGE))["frames"] >= 5 and p
    )
    later = wait_for(
        "40 more frames",
        lambda: (p := browser.execute_script(READ_PAGE))["frames"] >= first["frames"] + 40 and p,
    )
    assert later["playing"] and later["step"] > first["step"] > start["step"]
    assert later["loss"] < first["loss"] < start["loss"]
    steps = [step for _, step in later["drawn"]]
    assert steps == list(range(steps[0], steps[0] + len(steps)))
    print(f"the playground in the site: {later['fps']:.1f} frames/s")


def test_lesson_07_compiles_and_trains_in_the_browser(site: str, browser: Any) -> None:
    cells = check_ran(run_lesson(browser, site, "07_compiled_training.ipynb"), site, browser)
    text = stream_text(cells)
    # The compiled step's loss and gradients equal eager's, step by step, and it learns.
    assert text.count("equal to eager's: True") >= 3 and "equal to eager's: False" not in text
    assert "traces of f: 1" in text and "accuracy on the 10,000 points: 0.9" in text
