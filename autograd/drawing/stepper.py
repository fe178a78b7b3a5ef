"""Step through the forward and the backward pass of a small graph, one node at a time.

backward_steps() yields the steps of the engine's own backprop pass (`backward_pass`, which
runs one node at a time): nothing here computes a derivative or sums a gradient.
draw_steps() turns them, after the forward values, into the steps of a StepperPage (see
page): draw_dot's SVG with controls to step, play and jump. Imports only
autograd.engine and the other drawing modules (viz, themes, render, page).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from autograd.drawing.page import Change, PageStep, StepperPage
from autograd.drawing.render import NOTEBOOK_DPI, RENDER_TIMEOUT
from autograd.drawing.themes import Theme, make_look
from autograd.drawing.viz import build_graph, check_size, node_names
from autograd.engine import Value, backward_pass, topological_order

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

    Runs the engine's own pass (`backward_pass`) on floats, one node at a time, leaving every
    .grad untouched: root first, then each node once all the nodes that use it are done. A leaf
    only receives, so its step, in the same order, is its final gradient.
    """
    grads: dict[Value, Any] = {root: 1.0}
    recorded: dict[Value, BackwardStep] = {}
    for node, terms in backward_pass(root, grads, create_graph=False):
        parents = node._parents
        recorded[node] = BackwardStep(
            node, grads[node], tuple(zip(parents, terms)), tuple(grads[p] for p in parents)
        )
    for node in reversed(topological_order(root)):
        yield recorded.get(node) or BackwardStep(node, grads[node], (), ())


def _describe(node: Value) -> str:
    """How the page's text names a node: its label, else what it is."""
    if node.label:
        return node.label
    if node._parents:
        return f"the {node._op} result"
    return f"the constant {node.data:.4g}"


def draw_steps(
    root: Value,
    rankdir: str | None = None,
    *,
    theme: str = "light",
    max_nodes: int | None = STEPPER_MAX_NODES,
    timeout: float | None = RENDER_TIMEOUT,
    autoplay: bool = False,
) -> StepperPage:
    """A page stepping through the passes of `root`'s graph: the forward values first, node by
    node, then the backward pass, with each gradient shown as it is summed and when it is final.

    `rankdir` and `theme` are draw_dot's. The page has previous/next and play buttons, a speed
    menu, a slider and keys (arrows, Home, End, space), and scrolls the current node into view;
    `autoplay` starts it playing. Leaves every .grad untouched. Rendering needs a Graphviz
    program, as draw_dot does.
    """
    order, steps = page_steps(root, max_nodes, "draw_steps")
    look = make_look(order, rankdir, theme, None, None)
    # Drawn with the final values, so every record is wide enough for the numbers it shows.
    graph = build_graph(order, look, timeout, texts=_texts_after(order, steps, len(steps) - 1))
    svg = graph.pipe(format="svg", encoding="utf-8")
    # The still picture shown where the page's script cannot run (an untrusted notebook).
    first = build_graph(order, look, timeout, texts=_texts_after(order, steps, 0))
    still = first.pipe_png(NOTEBOOK_DPI)
    return StepperPage(svg, steps, _page_colors(look.theme), still, autoplay)


def page_steps(
    root: Value, max_nodes: int | None, caller: str
) -> tuple[list[Value], list[PageStep]]:
    """The graph behind `root` in topological order, and the page's steps through it."""
    if not isinstance(root, Value):
        raise TypeError(f"{caller}: root must be a Value, got {type(root).__name__}")
    order = topological_order(root)
    check_size(order, max_nodes, caller)
    names = node_names(order)
    backward = list(backward_steps(root))
    return order, _forward_steps(order, names) + _backward_page_steps(backward, names)


def _texts_after(order: list[Value], steps: list[PageStep], k: int) -> dict[Value, tuple[str, str]]:
    """Each node's data and grad lines after step `k` (0 is the first)."""
    last: dict[tuple[str, str], str] = {}
    for step in steps[: k + 1]:
        for change in step.changes:
            last[change.node, change.field] = change.text
    names = node_names(order)
    return {node: (last[names[node], "data"], last[names[node], "grad"]) for node in order}


def _page_colors(theme: Theme) -> dict[str, str]:
    """The page's CSS colours (see assets/stepper.css) from a drawing theme."""
    return {
        "fg": theme.ink,
        "bg": theme.background,
        "muted": theme.muted,
        "partial": theme.partial,
        "final": theme.final,
        "focus": theme.focus,
        "target": theme.target,
    }


def _forward_steps(order: list[Value], names: dict[Value, str]) -> list[PageStep]:
    """The page's first step (the inputs) and one step per op, in topological order."""
    start = []
    for node in order:
        if node._parents:
            start.append(Change(names[node], "data", "data ?", "cr-unknown"))
        else:
            start.append(Change(names[node], "data", f"data {node.data:.4g}", "cr-value"))
        start.append(Change(names[node], "grad", "grad ?", "cr-unknown"))
    steps = [PageStep("Forward pass: the inputs and constants are known.", (), (), tuple(start))]
    for node in order:
        if not node._parents:
            continue
        name = names[node]
        inputs = ", ".join(_describe(p) for p in node._parents)
        steps.append(
            PageStep(
                text=f"Forward: {_describe(node)} = {node._op}({inputs}) = {node.data:.4g}",
                focus=(name, name + "_op"),
                targets=tuple(names[p] for p in node._parents),
                changes=(Change(name, "data", f"data {node.data:.4g}", "cr-value"),),
            )
        )
    return steps


def _backward_page_steps(backward: list[BackwardStep], names: dict[Value, str]) -> list[PageStep]:
    """One page step per BackwardStep: the node's gradient is final, its parents' sums grow."""
    steps = []
    root = _describe(backward[0].node)
    for i, step in enumerate(backward):
        name = names[step.node]
        text = f"Backward: d({root})/d({_describe(step.node)}) = {step.grad:.4g} is final"
        text += " (the seed)." if i == 0 else "."
        changes = [Change(name, "grad", f"grad {step.grad:.4g}", "cr-final")]
        for (parent, _), total in zip(step.sent, step.totals):
            changes.append(Change(names[parent], "grad", f"grad {total:.4g}", "cr-partial"))
        if step.sent:
            sends = ", ".join(f"{term:.4g} to {_describe(parent)}" for parent, term in step.sent)
            text += f" Its {step.node._op} rule sends {sends}."
        steps.append(
            PageStep(
                text=text,
                focus=(name, name + "_op") if step.sent else (name,),
                targets=tuple(names[parent] for parent, _ in step.sent),
                changes=tuple(changes),
            )
        )
    return steps
