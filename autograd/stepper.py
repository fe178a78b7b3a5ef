"""Step through the forward and the backward pass of a small graph, one node at a time.

backward_steps() yields the steps of the engine's own backprop pass, recorded through the
`on_step` hook of `_backprop`: nothing here computes a derivative or sums a gradient.
draw_steps() puts them, after the forward values, on a self-contained HTML page: draw_dot's SVG
and a small script with previous/next buttons and a slider. Imports only autograd.engine and
autograd.viz.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd.engine import Value, _backprop, topological_order
from autograd.viz import RENDER_TIMEOUT, build_graph, check_size, node_names

# A stepper is for graphs small enough to follow by eye.
STEPPER_MAX_NODES = 200


@dataclass(frozen=True)
class BackwardStep:
    """One node's turn in the backward pass.

    `grad` is d(root)/d(node), final from this step on. `sent` pairs each parent with what the
    node's local rule sent it (upstream grad times local derivative), in parent order; `totals`
    is each parent's gradient summed so far, after this step. A leaf sends nothing.
    """

    node: Value
    grad: float
    sent: tuple[tuple[Value, float], ...]
    totals: tuple[float, ...]


def backward_steps(root: Value) -> Iterator[BackwardStep]:
    """The steps of backprop from `root`, in the order the engine takes them.

    The engine's pass runs first, leaving every .grad untouched; its record is then yielded
    node by node: root first, then each node once all the nodes that use it are done.
    """
    recorded: dict[Value, BackwardStep] = {}

    def record(node: Value, terms: tuple[Any, ...], grads: dict[Value, Any]) -> None:
        parents = node._parents
        recorded[node] = BackwardStep(
            node, grads[node], tuple(zip(parents, terms)), tuple(grads[p] for p in parents)
        )

    grads = _backprop(root, create_graph=False, on_step=record)
    # The pass visits nodes in this same order, reporting those with a rule; leaves only
    # receive, so their step is their final gradient.
    for node in reversed(topological_order(root)):
        yield recorded.get(node) or BackwardStep(node, grads[node], (), ())


def _describe(node: Value) -> str:
    """How the page's text names a node: its label, else what it is."""
    if node.label:
        return node.label
    if node._parents:
        return f"the {node._op} result"
    return f"the constant {node.data:.4g}"


class StepperPage:
    """An HTML page that steps through the forward and backward pass of the graph behind root.

    Shows inline in Jupyter (`_repr_html_`); save(path) writes a standalone .html file that
    needs no network and no other file.
    """

    def __init__(self, fragment: str) -> None:
        self.fragment = fragment

    def _repr_html_(self) -> str:
        return self.fragment

    def html(self) -> str:
        """The whole standalone page."""
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            "<title>chainrule: stepping through backprop</title>\n</head>\n<body>\n"
            f"{self.fragment}\n</body>\n</html>\n"
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the standalone page to `path`. Returns the path."""
        path = Path(path)
        path.write_text(self.html(), encoding="utf-8")
        return path


def draw_steps(
    root: Value,
    rankdir: str = "LR",
    *,
    max_nodes: int | None = STEPPER_MAX_NODES,
    timeout: float | None = RENDER_TIMEOUT,
) -> StepperPage:
    """A page stepping through the passes of `root`'s graph: the forward values first, node by
    node, then the backward pass, with each gradient shown as it is summed and when it is final.

    Leaves every .grad untouched. Rendering needs a Graphviz program, as draw_dot does.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_steps: root must be a Value, got {type(root).__name__}")
    order = topological_order(root)
    check_size(order, max_nodes, "draw_steps")
    backward = list(backward_steps(root))
    # Drawn with the final gradients, so every record is wide enough for the numbers it shows.
    final = {step.node: step.grad for step in backward}
    graph = build_graph(order, rankdir, timeout, grads=final)
    svg = graph.pipe(format="svg", encoding="utf-8")
    steps = _forward_steps(order) + _backward_page_steps(backward, node_names(order))
    return StepperPage(_fragment(svg, steps))


def _forward_steps(order: list[Value]) -> list[dict[str, Any]]:
    """The page's first step (the inputs) and one step per op, in topological order."""
    names = node_names(order)
    start: list[list[str]] = []
    for node in order:
        data = f"data {node.data:.4g}" if not node._parents else "data ?"
        start.append([names[node], "data", data, "cr-value" if not node._parents else "cr-unknown"])
        start.append([names[node], "grad", "grad", "cr-unknown"])
    steps = [
        {
            "text": "Forward pass: the inputs and constants are known.",
            "focus": [],
            "targets": [],
            "set": start,
        }
    ]
    for node in order:
        if not node._parents:
            continue
        name = names[node]
        inputs = ", ".join(_describe(p) for p in node._parents)
        steps.append(
            {
                "text": f"Forward: {_describe(node)} = {node._op}({inputs}) = {node.data:.4g}",
                "focus": [name, name + "_op"],
                "targets": [names[p] for p in node._parents],
                "set": [[name, "data", f"data {node.data:.4g}", "cr-value"]],
            }
        )
    return steps


def _backward_page_steps(
    backward: list[BackwardStep], names: dict[Value, str]
) -> list[dict[str, Any]]:
    """One page step per BackwardStep: the node's gradient is final, its parents' sums grow."""
    steps = []
    root = _describe(backward[0].node)
    for i, step in enumerate(backward):
        name = names[step.node]
        text = f"Backward: d({root})/d({_describe(step.node)}) = {step.grad:.4g} is final"
        text += " (the seed)." if i == 0 else "."
        changes = [[name, "grad", f"grad {step.grad:.4g}", "cr-final"]]
        for (parent, _), total in zip(step.sent, step.totals):
            changes.append([names[parent], "grad", f"grad {total:.4g}", "cr-partial"])
        if step.sent:
            sends = ", ".join(f"{term:.4g} to {_describe(parent)}" for parent, term in step.sent)
            text += f" Its {step.node._op} rule sends {sends}."
        steps.append(
            {
                "text": text,
                "focus": [name] + ([name + "_op"] if step.sent else []),
                "targets": [names[parent] for parent, _ in step.sent],
                "set": changes,
            }
        )
    return steps


# Scoped to the page's own element, so several pages can share one notebook.
_STYLE = """
#ID .cr-controls, #ID .cr-text { font-family: sans-serif; margin: 0.4em 0; }
#ID .cr-slider { width: 24em; vertical-align: middle; }
#ID .cr-text { min-height: 2.6em; }
#ID .cr-graph { overflow: auto; }
#ID text.cr-unknown { fill: #9ca3af; }
#ID text.cr-partial { fill: #b45309; font-style: italic; }
#ID text.cr-final { fill: #15803d; font-weight: bold; }
#ID g.cr-focus > polygon, #ID g.cr-focus > ellipse { stroke: #dc2626; stroke-width: 3px; }
#ID g.cr-target > polygon { stroke: #f59e0b; stroke-width: 2px; }
"""

# Replays the steps' changes from the first step to the one shown, so any step can be shown
# directly (the slider) and going back needs no undo.
_SCRIPT = """
(function () {
  const box = document.getElementById("ID");
  const steps = JSON.parse(box.querySelector("script.cr-steps").textContent);
  const nodes = {};
  for (const g of box.querySelectorAll("g.node")) {
    const texts = g.querySelectorAll("text");
    nodes[g.querySelector("title").textContent] = {
      g: g, data: texts[texts.length - 2], grad: texts[texts.length - 1]
    };
  }
  const slider = box.querySelector(".cr-slider");
  const count = box.querySelector(".cr-count");
  const text = box.querySelector(".cr-text");
  function show(k) {
    k = Math.max(0, Math.min(steps.length - 1, k));
    for (const name in nodes) nodes[name].g.classList.remove("cr-focus", "cr-target");
    for (let i = 0; i <= k; i++) {
      for (const [name, field, value, look] of steps[i].set) {
        nodes[name][field].textContent = value;
        nodes[name][field].setAttribute("class", look);
      }
    }
    for (const name of steps[k].focus) nodes[name].g.classList.add("cr-focus");
    for (const name of steps[k].targets) nodes[name].g.classList.add("cr-target");
    slider.value = k;
    count.textContent = "step " + (k + 1) + " of " + steps.length;
    text.textContent = steps[k].text;
  }
  box.querySelector(".cr-prev").addEventListener("click", () => show(Number(slider.value) - 1));
  box.querySelector(".cr-next").addEventListener("click", () => show(Number(slider.value) + 1));
  slider.addEventListener("input", () => show(Number(slider.value)));
  show(0);
})();
"""


_page_numbers = itertools.count()


def _fragment(svg: str, steps: list[dict[str, Any]]) -> str:
    """The page's body: controls, the SVG, the steps as JSON and the script, in one <div>."""
    # "<" escaped, so no label can close the <script> element early.
    data = json.dumps(steps).replace("<", "\\u003c")
    # An id made from the content and a count, not at random: a notebook that is run again
    # saves the same page, and two pages in one notebook still get ids of their own.
    digest = hashlib.sha1((svg + data).encode("utf-8")).hexdigest()[:10]
    page_id = f"cr-stepper-{digest}-{next(_page_numbers)}"
    svg = svg[svg.index("<svg") :]
    return (
        f'<div id="{page_id}" class="cr-stepper">\n'
        f"<style>{_STYLE.replace('#ID', '#' + page_id)}</style>\n"
        '<div class="cr-controls">'
        '<button type="button" class="cr-prev">&#9664; previous</button> '
        f'<input type="range" class="cr-slider" min="0" max="{len(steps) - 1}" value="0"> '
        '<button type="button" class="cr-next">next &#9654;</button> '
        '<span class="cr-count"></span></div>\n'
        f'<div class="cr-text">{html.escape(steps[0]["text"])}</div>\n'
        f'<div class="cr-graph">{svg}</div>\n'
        f'<script type="application/json" class="cr-steps">{data}</script>\n'
        f"<script>{_SCRIPT.replace('ID', page_id, 1)}</script>\n"
        "</div>"
    )
