"""nn.Playground in a real JupyterLab, driven by headless Chromium: press play, watch it learn,
click points in, change the network from the page, reset while playing.

One JupyterLab server on 127.0.0.1 with a fresh notebook. About 40-60 s. Skipped on a machine
without JupyterLab or Chromium; a failure in CI (CI=true), which installs both.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.browser import jupyter_lab, need

NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": "from nn import Playground\n\npg = Playground(seed=0)\npg",
        }
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}
# No news or update checks: the server is offline, and their pop-up would cover the page.
NOTIFICATIONS = {"fetchNews": "false", "checkForUpdates": False}


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """check()'s first truthy result, polled; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab server on the loopback address; yields the notebook's URL."""
    for module in ("jupyterlab", "anywidget", "ipykernel"):
        try:
            __import__(module)
        except ImportError:
            need(f"{module} is not installed (pip install -e '.[dev]')")
    root = tmp_path_factory.mktemp("lab")
    (root / "playground.ipynb").write_text(json.dumps(NOTEBOOK), encoding="utf-8")
    settings = root / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps(NOTIFICATIONS))
    env = os.environ | {
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    token = secrets.token_hex(16)
    for base in jupyter_lab(
        root,
        token,
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={root / 'settings'}",
        f"--LabApp.workspaces_dir={root / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run cells and ask the kernel
        env=env,
    ):
        yield f"{base}/lab/tree/playground.ipynb?token={token}"


KERNEL_IDLE = """
const app = window.jupyterapp;
const panel = app && app.shell.currentWidget;
const kernel = panel && panel.sessionContext && panel.sessionContext.session &&
  panel.sessionContext.session.kernel;
return Boolean(kernel && kernel.status === 'idle' && panel.content && panel.content.widgets.length);
"""

# Ask the notebook's kernel for the value of an expression, as the text of its repr.
ASK_KERNEL = """
const [code, done] = arguments;
const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
const future = kernel.requestExecute({code: code, silent: false, store_history: false});
let text = null;
future.onIOPub = (msg) => {
  if (msg.header.msg_type === 'execute_result') text = msg.content.data['text/plain'];
  if (msg.header.msg_type === 'error') text = 'error: ' + msg.content.ename;
};
future.done.then(() => done(text), (e) => done('failed: ' + e));
"""

READ_PAGE = """
const root = document.querySelector('.cr-playground');
if (!root || root.dataset.step === undefined) return null;
return {step: Number(root.dataset.step), frames: Number(root.dataset.frames),
        loss: root.dataset.loss === '' ? null : Number(root.dataset.loss),
        fps: Number(root.dataset.fps), points: Number(root.dataset.points),
        draw_ms: Number(root.dataset.drawMs),
        gen: Number(root.dataset.gen), drawn: root.drawn.slice(),
        message: root.querySelector('.cr-message').textContent,
        playing: root.querySelector('.cr-play').textContent === 'pause'};
"""


class Lab:
    """The notebook open in JupyterLab, with the playground's page and its kernel."""

    def __init__(self, browser: Any) -> None:
        from selenium.webdriver.common.by import By

        self.browser = browser
        self.by = By

    def page(self) -> dict[str, Any]:
        return self.browser.execute_script(READ_PAGE)

    def kernel(self, code: str) -> str:
        return self.browser.execute_async_script(ASK_KERNEL, code)

    def find(self, name: str) -> Any:
        return self.browser.find_element(self.by.CSS_SELECTOR, f".cr-playground .cr-{name}")

    def click_regions(self, dx: int, dy: int, shift: bool = False) -> None:
        """Click the decision regions at (dx, dy) pixels from their centre."""
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys

        actions = ActionChains(self.browser)
        if shift:
            actions.key_down(Keys.SHIFT)
        actions.move_to_element_with_offset(self.find("regions"), dx, dy).click()
        if shift:
            actions.key_up(Keys.SHIFT)
        actions.perform()

    def type_setting(self, name: str, text: str) -> None:
        self.browser.execute_script(
            "const input = arguments[0]; input.value = arguments[1];"
            "input.dispatchEvent(new Event('change'));",
            self.find(name),
            text,
        )

    def frames_after(self, seen: int, more: int, timeout: float = 30.0) -> dict[str, Any]:
        return wait_for(
            f"{more} more frames",
            lambda: (p := self.page()) and p["frames"] >= seen + more and p,
            timeout,
        )


def test_the_playground_plays_in_jupyterlab(browser: Any, lab: str) -> None:
    browser.set_window_size(1400, 1000)
    browser.get(lab)
    page = Lab(browser)
    wait_for("the notebook's kernel", lambda: browser.execute_script(KERNEL_IDLE), timeout=60)
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    start = wait_for("the playground's first drawing", page.page, timeout=60)
    assert start["step"] == 0 and start["frames"] == 0 and start["points"] == 100
    assert start["message"] == "" and not start["playing"]

    # Play: frames are drawn, the kernel's steps go up and the loss goes down.
    page.find("play").click()
    first = page.frames_after(0, 5)
    later = page.frames_after(first["frames"], 40)
    assert later["playing"] and later["step"] > first["step"] >= 5
    assert later["loss"] < first["loss"]
    steps = [step for _, step in later["drawn"]]
    assert steps == list(range(steps[0], steps[0] + len(steps)))  # one drawing per step
    print(
        f"\nplayground in JupyterLab, MLP(2,[16,16,1]) on 100 points: {later['fps']:.1f} "
        f"frames/s, the last drawing {later['draw_ms']:.1f} ms"
    )

    # A click and a shift-click while playing: the kernel has both points, of both classes.
    page.click_regions(-60, 40)
    page.click_regions(50, -30, shift=True)
    wait_for("the kernel's 102 points", lambda: page.kernel("len(pg.points)") == "102")
    assert page.kernel("pg.labels[-2:]") == "[0, 1]"
    wait_for("the page's 102 points", lambda: page.page()["points"] == 102)
    page.frames_after(page.page()["frames"], 5)  # still playing, with the new points
    png = os.environ.get("CHAINRULE_PLAYGROUND_PNG")
    if png:  # the README's screenshot: CHAINRULE_PLAYGROUND_PNG=notebooks/images/playground.png
        wait_for("step 200", lambda: page.page()["step"] >= 200)
        browser.find_element(page.by.CSS_SELECTOR, ".cr-playground").screenshot(png)

    # Reset while playing: no frame of the old weights is drawn after the new generation's.
    gen = page.page()["gen"]
    page.find("reset").click()
    after = wait_for(
        "frames of the new generation",
        lambda: (p := page.page()) and p["gen"] == gen + 1 and p["frames"] and p,
    )
    after = page.frames_after(after["frames"], 10)
    drawn = after["drawn"]
    first_new = next(i for i, (g, _) in enumerate(drawn) if g == gen + 1)
    assert all(g == gen + 1 for g, _ in drawn[first_new:])
    assert [s for _, s in drawn[first_new:]][:3] == [1, 2, 3]
    assert page.kernel("len(pg.points)") == "102"  # a reset keeps the clicked points

    # A bad setting from the page: said on the page, nothing changes, training goes on.
    page.type_setting("lr", "-1")
    wait_for("the refusal", lambda: "learning rate" in page.page()["message"])
    assert page.kernel("pg.settings['lr']") == "0.05"
    assert page.find("lr").get_attribute("value") == "0.05"
    page.type_setting("hidden", "0")
    wait_for("the refusal", lambda: "hidden size 0" in page.page()["message"])
    assert page.kernel("pg.model.nouts") == "[16, 16, 1]"

    # A new architecture from the page: a new network, a new generation, still playing.
    gen = page.page()["gen"]
    page.type_setting("hidden", "8")
    wait_for("the new network", lambda: page.kernel("pg.model.nouts") == "[8, 1]")
    now = page.frames_after(page.page()["frames"], 5)
    assert now["gen"] == gen + 1 and now["message"] == ""

    # Pause: the page stops asking, so the kernel stops training.
    page.find("play").click()
    time.sleep(0.5)
    paused = page.page()
    time.sleep(1.0)
    assert not paused["playing"] and page.page()["step"] == paused["step"]
    assert page.kernel("pg.step") == str(paused["step"])
    # One step at a time.
    page.find("step").click()
    wait_for("one more step", lambda: page.page()["step"] == paused["step"] + 1)
    assert page.kernel("pg.step") == str(paused["step"] + 1)
    errors = [e for e in browser.get_log("browser") if "cr-" in e["message"]]
    assert errors == []
