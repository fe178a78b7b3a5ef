"""The stepper: the backward pass step by step, and its HTML page driven in a real Chromium."""

from __future__ import annotations

import base64
import math
import os
import re
import shutil
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from autograd import BackwardStep, Value, backward_steps, draw_steps, grad, has_grad
from autograd.drawing.render import png_size
from autograd.engine import topological_order
from tests.browser import need
from tests.conftest import run_python


def classic_neuron() -> Value:
    """o = tanh(n) with tanh written out through exp: constants, and e used twice."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    e = (2 * n).exp()
    e.label = "e"
    o = (e - 1) / (e + 1)
    o.label = "o"
    return o


# ----- backward_steps ---------------------------------------------------------------------------


def test_steps_follow_the_engines_order_and_gradients() -> None:
    o = classic_neuron()
    order = topological_order(o)
    steps = list(backward_steps(o))
    assert [step.node for step in steps] == order[::-1]
    assert steps[0].grad == 1.0
    grads = grad(o, order)
    for step, g in zip(steps, grads[::-1]):
        assert step.grad == g.data
    o.backward()
    assert {step.node: step.grad for step in steps} == {node: node.grad for node in order}


def test_leaves_grad_is_untouched() -> None:
    o = classic_neuron()
    list(backward_steps(o))
    assert all(node.grad == 0.0 for node in topological_order(o))
    assert not any(has_grad(node) for node in topological_order(o))


def test_each_step_sends_upstream_times_local_derivative() -> None:
    x, w = Value(3.0, label="x"), Value(-2.0, label="w")
    y = (x * w).tanh()
    steps = {step.node.label or step.node._op: step for step in backward_steps(y)}
    t = math.tanh(-6.0)
    tanh_step = steps["tanh"]
    assert tanh_step.sent[0][1] == pytest.approx(1 - t * t)
    mul_step = steps["*"]
    g = mul_step.grad
    assert g == pytest.approx(1 - t * t)
    assert [(p.label, term) for p, term in mul_step.sent] == [("x", g * -2.0), ("w", g * 3.0)]
    assert steps["x"].sent == () and steps["x"].totals == ()


def test_a_node_used_twice_gets_two_contributions_that_add_up() -> None:
    x = Value(3.0, label="x")
    y = x * x
    first, leaf = list(backward_steps(y))
    assert [(p, term) for p, term in first.sent] == [(x, 3.0), (x, 3.0)]
    assert first.totals == (6.0, 6.0)
    assert leaf == BackwardStep(x, 6.0, (), ())


def test_every_nodes_gradient_is_the_sum_of_what_it_was_sent() -> None:
    o = classic_neuron()
    steps = list(backward_steps(o))
    received: dict[Value, float] = {}
    for step in steps:
        if step.node is not o:
            assert step.grad == pytest.approx(received[step.node], rel=1e-12)
        for parent, term in step.sent:
            received[parent] = received.get(parent, 0.0) + term


# ----- the page, as text ----------------------------------------------------------------------


def test_page_is_self_contained_and_shows_in_jupyter(tmp_path: Path) -> None:
    page = draw_steps(classic_neuron())
    assert page._repr_html_() == page.fragment
    assert page.fragment.startswith('<div id="cr-stepper-')
    assert "<svg" in page.fragment and "<script>" in page.fragment
    assert "<?xml" not in page.fragment
    path = page.save(tmp_path / "steps.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.endswith("</html>\n")
    # No network and no other file: nothing is loaded from anywhere but the page itself.
    assert re.findall(r"""(?:src|href)\s*=\s*"([\w:/;]*)""", text) == ["data:image/png;base64"]
    assert not re.search(r"""@import|url\(|https?://(?!www\.w3\.org)""", text)


def test_without_scripts_the_page_is_a_still_of_its_first_step() -> None:
    # What an untrusted notebook shows: scripts (and SVG) removed, the still PNG and its line.
    page = draw_steps(classic_neuron())
    static = re.sub(r"<script[^>]*>.*?</script>", "", page.fragment, flags=re.S)
    assert "<svg" not in static and "<button" not in static
    still = re.search(r'<img src="data:image/png;base64,([^"]+)" width="(\d+)"', static)
    assert still is not None
    png = base64.b64decode(still[1])
    assert png.startswith(b"\x89PNG") and int(still[2]) == round(png_size(png)[0] / 2)
    assert f"Step 1 of {len(page.steps)}, as a still picture: run this cell" in static


def test_ipython_shows_the_page_as_html() -> None:
    formatters = pytest.importorskip("IPython.core.formatters")
    page = draw_steps(classic_neuron())
    data, _ = formatters.DisplayFormatter().format(page)
    assert data["text/html"] == page.fragment


def test_labels_cannot_break_out_of_the_page() -> None:
    x = Value(2.0, label="</script><script>alert(1)</script>")
    fragment = draw_steps(x * 3).fragment
    # The live markup, the steps' JSON and the page's own script: the label is text in them.
    assert fragment.count("</script>") == 3


def test_stepper_has_its_own_node_limit() -> None:
    y = Value(1.0, label="x")
    for _ in range(150):
        y = y + 1
    with pytest.raises(
        ValueError, match="draw_steps: this graph has 301 values, more than max_nodes=200"
    ):
        draw_steps(y)


# ----- the page, in a real browser -------------------------------------------------------------


class Page:
    """The stepper page open in the browser, read the way a learner sees it."""

    def __init__(self, driver: Any, path: Path) -> None:
        from selenium.webdriver.common.by import By

        self.driver = driver
        self.by = By
        driver.get(path.as_uri())

    def click(self, which: str, times: int = 1) -> None:
        button = self.driver.find_element(self.by.CSS_SELECTOR, f".cr-{which}")
        for _ in range(times):
            button.click()

    def slide_to(self, k: int) -> None:
        slider = self.driver.find_element(self.by.CSS_SELECTOR, ".cr-slider")
        self.driver.execute_script(
            "arguments[0].value = arguments[1];arguments[0].dispatchEvent(new Event('input'));",
            slider,
            k,
        )

    def read(self) -> dict[str, Any]:
        """Each record's (data text, grad text, grad look), the focused nodes, the step."""
        return self.driver.execute_script(
            """
            const out = {records: {}, focus: [], count: document.querySelector('.cr-count')
              .textContent, text: document.querySelector('.cr-text').textContent};
            for (const g of document.querySelectorAll('g.node')) {
              const name = g.querySelector('title').textContent;
              const t = g.querySelectorAll('text');
              if (!name.endsWith('_op')) out.records[name] = [t[t.length - 2].textContent,
                t[t.length - 1].textContent, t[t.length - 1].getAttribute('class')];
              if (g.classList.contains('cr-focus')) out.focus.push(name);
            }
            return out;
            """
        )


@pytest.mark.parametrize("renderer", ["dot", "graphviz-pure"])
def test_the_page_steps_forward_then_backward_in_chromium(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, renderer: str
) -> None:
    # Both renderers write the SVG structure the page's script reads.
    path = shutil.which(
        renderer, path=sysconfig.get_path("scripts") + os.pathsep + os.environ["PATH"]
    )
    if path is None:
        need(f"{renderer} is not installed (Debian: apt-get install graphviz)")
    monkeypatch.setenv("CHAINRULE_DOT", path)
    o = classic_neuron()
    order = topological_order(o)
    names = {node: f"v{i}" for i, node in enumerate(order)}
    ops = [node for node in order if node._parents]
    page = Page(browser, draw_steps(o).save(tmp_path / "steps.html"))
    total = 1 + len(ops) + len(order)
    assert browser.get_log("browser") == []

    # Step 1: only the leaves' values are known, no gradient is.
    shown = page.read()
    assert shown["count"] == f"step 1 of {total}"
    for node in order:
        data, grad_text, look = shown["records"][names[node]]
        assert data == (f"data {node.data:.4g}" if not node._parents else "data ?")
        assert (grad_text, look) == ("grad ?", "cr-unknown")

    # The forward pass: one op per step, in topological order.
    page.click("next", len(ops))
    shown = page.read()
    assert sorted(shown["focus"]) == [names[o], names[o] + "_op"]
    assert all(shown["records"][names[n]][0] == f"data {n.data:.4g}" for n in order)
    assert all(shown["records"][names[n]][1] == "grad ?" for n in order)

    # The first backward step: the seed, and what the last op sent to its parents.
    page.click("next")
    shown = page.read()
    assert shown["records"][names[o]][1:] == ["grad 1", "cr-final"]
    assert "the seed" in shown["text"]
    assert {shown["records"][names[p]][2] for p in o._parents} == {"cr-partial"}

    # To the end: every gradient shown is final and is the engine's.
    page.click("next", len(order) + 3)  # pressing past the end stays at the end
    shown = page.read()
    assert shown["count"] == f"step {total} of {total}"
    o.backward()
    for node in order:
        _, grad_text, look = shown["records"][names[node]]
        assert look == "cr-final"
        assert grad_text == f"grad {node.grad:.4g}"
        assert float(grad_text.split()[1]) == pytest.approx(node.grad, rel=1e-3, abs=1e-12)

    # Back one step: the last node's gradient is no longer final; the slider jumps anywhere.
    page.click("prev")
    assert page.read()["records"][names[order[0]]][2] != "cr-final"
    page.slide_to(0)
    shown = page.read()
    assert shown["count"] == f"step 1 of {total}"
    assert all(grad_text == "grad ?" for _, grad_text, _ in shown["records"].values())
    assert browser.get_log("browser") == []


def test_page_ids_repeat_across_runs_but_differ_within_one() -> None:
    code = (
        "from autograd import Value, draw_steps\n"
        "x = Value(2.0, label='x')\n"
        "y = (x * x).tanh()\n"
        "print(draw_steps(y)._repr_html_() == draw_steps(y)._repr_html_())\n"
        "import re\n"
        "print(re.findall(r'cr-stepper-[0-9a-f]+-[0-9]+', draw_steps(y)._repr_html_())[0])\n"
    )
    runs = [run_python(code, check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1]
    assert runs[0].splitlines()[0] == "False"


def test_page_repr_has_no_memory_address() -> None:
    page = draw_steps(classic_neuron())
    assert repr(page) == f"<draw_steps page of {len(page.steps)} steps>"


def test_page_is_made_from_the_package_files() -> None:
    from importlib import resources

    fragment = draw_steps(classic_neuron()).fragment
    assets = resources.files("autograd.drawing") / "assets"
    script = (assets / "stepper.js").read_text(encoding="utf-8").strip()
    assert script in fragment
    assert (assets / "stepper.css").read_text(encoding="utf-8") in fragment
    assert "$" not in fragment.replace(script, "")  # every slot of the markup was filled


def test_steps_have_named_fields() -> None:
    page = draw_steps(classic_neuron())
    first = page.steps[0]
    assert first.focus == () and first.targets == ()
    assert {change.field for change in first.changes} == {"data", "grad"}
    assert "the seed" in page.steps[len(page.steps) - len(topological_order(classic_neuron()))].text


def deep_graph() -> Value:
    """Twelve values deep and wide enough to need scrolling both ways when drawn left to right."""
    x = [Value(0.1 * i, label=f"x{i}") for i in range(4)]
    y = x[0]
    for i in range(1, 12):
        y = (y * x[i % 4] + 0.5).tanh()
        y.label = f"h{i}"
    return y


def use_renderer(monkeypatch: pytest.MonkeyPatch, renderer: str) -> None:
    path = shutil.which(
        renderer, path=sysconfig.get_path("scripts") + os.pathsep + os.environ["PATH"]
    )
    if path is None:
        need(f"{renderer} is not installed (Debian: apt-get install graphviz)")
    monkeypatch.setenv("CHAINRULE_DOT", path)


# Whether each outlined node of the step is inside the graph's box: the current node always,
# the nodes it reads or sends to whenever they fit in the box together with it.
VISIBLE = """
const graph = document.querySelector('.cr-graph');
const view = graph.getBoundingClientRect();
const inside = (r) => r.left >= view.left - 1 && r.right <= view.right + 1 &&
                      r.top >= view.top - 1 && r.bottom <= view.bottom + 1;
const out = [];
let left = Infinity, right = -Infinity, top = Infinity, bottom = -Infinity;
const all = document.querySelectorAll('g.cr-focus, g.cr-target');
for (const g of all) {
  const r = g.getBoundingClientRect();
  left = Math.min(left, r.left); right = Math.max(right, r.right);
  top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom);
}
const together = right - left <= graph.clientWidth && bottom - top <= graph.clientHeight;
for (const g of all) {
  if (g.classList.contains('cr-focus') || together) out.push(inside(g.getBoundingClientRect()));
}
return {visible: out, left: graph.scrollLeft, top: graph.scrollTop};
"""


@pytest.mark.parametrize("renderer", ["dot", "graphviz-pure"])
def test_every_step_scrolls_its_node_into_view(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, renderer: str
) -> None:
    use_renderer(monkeypatch, renderer)
    browser.set_window_size(1400, 900)
    root = deep_graph()
    page = Page(browser, draw_steps(root, rankdir="LR").save(tmp_path / "steps.html"))
    total = int(page.read()["count"].split()[-1])
    scrolled = set()
    for k in range(1, total):
        page.click("next")
        seen = browser.execute_script(VISIBLE)
        assert seen["visible"] and all(seen["visible"]), (k, seen)
        scrolled.add((seen["left"] > 0, seen["top"] > 0))
    # The graph is wider than the window: following it took sideways scrolling, and back.
    assert (True, False) in scrolled or (True, True) in scrolled
    assert (False, False) in scrolled or (False, True) in scrolled
    assert browser.get_log("browser") == []


@pytest.mark.parametrize("renderer", ["dot", "graphviz-pure"])
def test_keys_play_and_the_step_counter(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, renderer: str
) -> None:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait

    use_renderer(monkeypatch, renderer)
    o = classic_neuron()
    page = Page(browser, draw_steps(o).save(tmp_path / "steps.html"))
    total = 1 + sum(1 for n in topological_order(o) if n._parents) + len(topological_order(o))
    box = browser.find_element(page.by.CSS_SELECTOR, ".cr-stepper")
    box.click()
    box.send_keys(Keys.ARROW_RIGHT)
    box.send_keys(Keys.ARROW_RIGHT)
    assert page.read()["count"] == f"step 3 of {total}"
    box.send_keys(Keys.ARROW_LEFT)
    assert page.read()["count"] == f"step 2 of {total}"
    box.send_keys(Keys.END)
    assert page.read()["count"] == f"step {total} of {total}"
    box.send_keys(Keys.ARROW_DOWN)  # past the end stays there
    assert page.read()["count"] == f"step {total} of {total}"
    box.send_keys(Keys.HOME)
    assert page.read()["count"] == f"step 1 of {total}"

    # Play at the fastest speed: it steps by itself to the end, then stops.
    Select(browser.find_element(page.by.CSS_SELECTOR, ".cr-speed")).select_by_visible_text("faster")
    play = browser.find_element(page.by.CSS_SELECTOR, ".cr-play")
    play.click()
    assert "pause" in play.text
    WebDriverWait(browser, 20).until(lambda _: page.read()["count"] == f"step {total} of {total}")
    WebDriverWait(browser, 5).until(lambda _: "play" in play.text)
    shown = page.read()
    o.backward()
    assert all(look == "cr-final" for _, _, look in shown["records"].values())
    # Pause stops it where it is; play again from the end starts over.
    play.click()
    WebDriverWait(browser, 5).until(lambda _: page.read()["count"] != f"step {total} of {total}")
    play.click()
    assert "play" in play.text
    stopped = page.read()["count"]
    browser.execute_script("return new Promise(r => setTimeout(r, 500))")
    assert page.read()["count"] == stopped
    assert browser.get_log("browser") == []


def test_autoplay_starts_by_itself(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    page = Page(browser, draw_steps(classic_neuron(), autoplay=True).save(tmp_path / "steps.html"))
    WebDriverWait(browser, 10).until(lambda _: page.read()["count"].startswith("step 3 "))
    assert "pause" in browser.find_element(page.by.CSS_SELECTOR, ".cr-play").text


# ----- the sentences: arithmetic, the chain rule, sums, names ----------------------------------


def test_every_local_formula_gives_its_rules_number() -> None:
    # The formulas only spell the rules out: each one, evaluated, is the rule's own number.
    from autograd.drawing.arithmetic import LOCAL_FORMULAS
    from autograd.primitives import POW_CONST, PRIMITIVES

    ops = {op.name: op for op in PRIMITIVES if op is not POW_CONST} | {"**n": POW_CONST}
    # dot is spelled from its parents (x_i, w_i, 1); max's tie rule is shown as its number.
    assert set(ops) - set(LOCAL_FORMULAS) == {"dot", "max"}
    functions = {"log": math.log, "sin": math.sin, "cos": math.cos}
    functions["sign"] = lambda x: (x > 0) - (x < 0)
    for key, formulas in LOCAL_FORMULAS.items():
        for xs in ([0.7, 1.9], [1.3, 0.6], [-0.4, 2.0], [2.5, -1.5]):
            consts = {"n": 3.0} if key == "**n" else {}
            op = ops[key].bind(**consts)
            xs = xs[: len(formulas)]
            if key in ("log", "sqrt", "**") and xs[0] <= 0:
                continue
            out = op.forward(*xs)
            local = op.rule(1.0, out, *xs)
            values = {"out": f"({out!r})", "n": "3.0"} | dict(zip("xy", (f"({x!r})" for x in xs)))
            for formula, expected in zip(formulas, local):
                text = formula.format(**values).replace("^", "**")
                assert eval(text, functions) == pytest.approx(expected, rel=1e-12), (key, text)


def test_sentences_show_the_chain_rules_arithmetic() -> None:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    n = x1 * w1 + x2 * w2 + Value(6.8813735870195432, label="b")
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    texts = [step.text for step in draw_steps(o).steps]
    assert "Forward: prod1 = x2 * w2 = 0 * 1 = 0" in texts
    assert "Forward: o = tanh(n) = tanh(0.8814) = 0.7071" in texts
    assert any("n gets upstream 1 × local (1 - 0.7071^2) = 0.5" in text for text in texts)
    assert any("x1 gets upstream 0.5 × local (-3) = -1.5" in text for text in texts)


def test_a_shared_node_shows_its_sum_being_built() -> None:
    a, b = Value(-2.0, label="a"), Value(3.0, label="b")
    f = (a * b) * (a + b)
    texts = " ".join(step.text for step in draw_steps(f).steps)
    assert "a: 3 + -6 = -3" in texts and "b: -2 + -6 = -8" in texts


def test_a_dot_node_reads_as_a_weighted_sum_and_names_are_short_paths() -> None:
    from autograd import dot

    w = [Value(0.5, label="layers.0.neurons.1.w.0"), Value(-1.0, label="layers.0.neurons.1.w.1")]
    x = [Value(2.0, label="x0"), Value(3.0, label="x1")]
    y = dot(w, x, Value(0.1, label="layers.0.neurons.1.b")).relu()
    page = draw_steps(y)
    texts = [step.text for step in page.steps]
    assert (
        "Forward: dot1 = l0.n1.w0*x0 + l0.n1.w1*x1 + l0.n1.b = 0.5*2 + (-1)*3 + 0.1 = -1.9" in texts
    )
    assert any("relu1 gets" not in t and "dot1 gets upstream 1 × local" in t for t in texts)
    assert ">l0.n1.w0<" in page.fragment and ">relu1<" in page.fragment  # named in the picture


def test_negative_zero_shows_as_zero() -> None:
    x = Value(-0.0, label="x")
    page = draw_steps(x * 2)
    assert "data -0" not in page.fragment and "= -0" not in page.fragment


def test_where_no_png_can_be_drawn_the_page_and_graph_go_without(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # In the browser (Pyodide) viz.js writes only text formats; its notebooks run the script.
    import autograd.drawing.render as render
    import autograd.drawing.stepper as stepper
    from autograd import draw_dot

    monkeypatch.setattr(render, "can_write_png", lambda: False)
    monkeypatch.setattr(stepper, "can_write_png", lambda: False)
    page = draw_steps(classic_neuron())
    assert "<img" not in page.fragment and "as a still picture" in page.fragment
    bundle, metadata = draw_dot(classic_neuron())._repr_mimebundle_()
    assert sorted(bundle) == ["image/svg+xml", "text/plain"] and metadata == {}
