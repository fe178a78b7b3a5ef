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

from autograd.drawing.arithmetic import forward_text, local_formulas, number, short_name
from autograd.drawing.page import Change, PageStep, StepperPage
from autograd.drawing.render import NOTEBOOK_DPI, RENDER_TIMEOUT, can_write_png
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

    def record(node: Value, terms: tuple[Any, ...]) -> None:
        parents = node._parents
        recorded[node] = BackwardStep(
            node, grads[node], tuple(zip(parents, terms)), tuple(grads[p] for p in parents)
        )

    backward_pass(root, grads, create_graph=False, each=record)
    for node in reversed(topological_order(root)):
        yield recorded.get(node) or BackwardStep(node, grads[node], (), ())


# How the page names an unlabelled result: the kind of op, numbered in forward order (sum1, sum2).
_KINDS = {"+": "sum", "*": "prod", "/": "quot", "**": "pow"}


def reader_names(order: list[Value]) -> dict[Value, str]:
    """What the page calls each node: its label (a dotted parameter path in short form), an
    unlabelled result by its kind and number (sum1, prod2, tanh1), a constant by its value."""
    names: dict[Value, str] = {}
    counts: dict[str, int] = {}
    for node in order:
        if node.label:
            names[node] = short_name(node.label)
        elif node._primitive is not None:
            kind = _KINDS.get(node._primitive.name, node._primitive.name)
            counts[kind] = counts.get(kind, 0) + 1
            names[node] = f"{kind}{counts[kind]}"
        else:
            names[node] = number(node.data)
    return names


def record_titles(order: list[Value]) -> dict[Value, str]:
    """The name at the top of each record: reader_names, except that a constant shows only its
    value."""
    names = reader_names(order)
    return {node: names[node] for node in order if node.label or node._parents}


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
    menu, a slider and keys (arrows, Home, End, space), and keeps the current node and the nodes
    it reads or sends to in view; `autoplay` starts it playing. Leaves every .grad untouched.
    Rendering needs a Graphviz program, as draw_dot does.
    """
    order, steps = page_steps(root, max_nodes, "draw_steps")
    look = make_look(order, rankdir, theme, None, None)
    # Drawn with the final values, so every record is wide enough for the numbers it shows.
    titles = record_titles(order)
    last = _texts_after(order, steps, len(steps) - 1)
    graph = build_graph(order, look, timeout, texts=last, titles=titles)
    svg = graph.pipe(format="svg", encoding="utf-8")
    # The still picture shown where the page's script cannot run (an untrusted notebook).
    first = build_graph(order, look, timeout, texts=_texts_after(order, steps, 0), titles=titles)
    still = first.pipe_png(NOTEBOOK_DPI) if can_write_png() else None
    return StepperPage(svg, steps, _page_colors(look.theme), still, autoplay)


def page_steps(
    root: Value, max_nodes: int | None, caller: str
) -> tuple[list[Value], list[PageStep]]:
    """The graph behind `root` in topological order, and the page's steps through it."""
    if not isinstance(root, Value):
        raise TypeError(f"{caller}: root must be a Value, got {type(root).__name__}")
    order = topological_order(root)
    check_size(order, max_nodes, caller)
    names = reader_names(order)
    backward = list(backward_steps(root))
    return order, _forward_steps(order, names) + _backward_page_steps(backward, order, names)


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
    dot_names = node_names(order)
    start = []
    for node in order:
        name = dot_names[node]
        if node._parents:
            start.append(Change(name, "data", "data ?", "cr-unknown"))
        else:
            start.append(Change(name, "data", f"data {number(node.data)}", "cr-value"))
        start.append(Change(name, "grad", "grad ?", "cr-unknown"))
    steps = [PageStep("Forward pass: the inputs and constants are known.", (), (), tuple(start))]
    for node in order:
        if not node._parents:
            continue
        name = dot_names[node]
        steps.append(
            PageStep(
                text=f"Forward: {names[node]} = {forward_text(node, names.__getitem__)}",
                focus=(name, name + "_op"),
                targets=tuple(dot_names[p] for p in node._parents),
                changes=(Change(name, "data", f"data {number(node.data)}", "cr-value"),),
            )
        )
    return steps


def _backward_page_steps(
    backward: list[BackwardStep], order: list[Value], names: dict[Value, str]
) -> list[PageStep]:
    """One page step per BackwardStep: the node's gradient is final, and for each parent the
    chain rule's upstream x local = term; a parent that has received before shows its sum."""
    dot_names = node_names(order)
    steps = []
    received: dict[Value, list[float]] = {}
    root = names[backward[0].node]
    for i, step in enumerate(backward):
        node = step.node
        name = dot_names[node]
        text = f"Backward: d({root})/d({names[node]}) = {number(step.grad)} is final"
        text += " (the seed)." if i == 0 else "."
        changes = [Change(name, "grad", f"grad {number(step.grad)}", "cr-final")]
        if step.sent:
            text += f" {node._op}: " + "; ".join(_chain_rule(node, step, names))
            sums = []
            for (parent, term), total in zip(step.sent, step.totals):
                changes.append(
                    Change(dot_names[parent], "grad", f"grad {number(total)}", "cr-partial")
                )
                received.setdefault(parent, []).append(term)
                if len(received[parent]) > 1:
                    terms = " + ".join(number(t) for t in received[parent])
                    sums.append(f"{names[parent]}: {terms} = {number(total)}")
            if sums:
                text += ". Sums so far: " + "; ".join(sums)
            text += "."
        steps.append(
            PageStep(
                text=text,
                focus=(name, name + "_op") if step.sent else (name,),
                targets=tuple(dot_names[parent] for parent, _ in step.sent),
                changes=tuple(changes),
            )
        )
    return steps


def _chain_rule(node: Value, step: BackwardStep, names: dict[Value, str]) -> list[str]:
    """For each parent: "x gets upstream 1 × local (1 - 0.7071^2) = 0.5". The local number is
    the rule's own (run with an upstream 1); the formula is only its spelling."""
    op = node._primitive
    assert op is not None
    locals_ = op.rule(1.0, node.data, *[p.data for p in node._parents])
    said = []
    for (parent, term), formula, local in zip(step.sent, local_formulas(node), locals_):
        shown = number(local) if formula is None else formula
        if " " in shown:
            shown = f"({shown})"
        said.append(
            f"{names[parent]} gets upstream {number(step.grad)} × local {shown} = {number(term)}"
        )
    return said
