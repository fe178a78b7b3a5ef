"""draw_dot: a picture of the graph behind a Value, a record per Value and a small node per op.

Imports only autograd.engine and autograd.render (which finds and runs the Graphviz program).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd.engine import Value, has_grad, topological_order
from autograd.render import RENDER_TIMEOUT, _graph_class

# Values, not counting op nodes. A picture of 1,000 records is already hard to read, and layout
# time grows fast with reuse (a 1,100-node graph full of shared nodes took minutes).
MAX_NODES = 1000

# A graph at most this many values deep is drawn left to right, a deeper one top to bottom, so
# that the notebooks' graphs (9 and 12 deep) fit a 1,400 px page without sideways scrolling.
LR_MAX_DEPTH = 6


@dataclass(frozen=True)
class _Theme:
    """The colours of one look. `background` "transparent" lets a slide's own colour through."""

    background: str
    ink: str  # text, borders and edges
    box: str  # the fill of results of ops (and of op nodes)
    input_fill: str
    constant_fill: str
    constant_ink: str
    # The stepper's: not yet known, a gradient still being summed, final, the current node and
    # the nodes it sends to.
    muted: str
    partial: str
    final: str
    focus: str
    target: str


THEMES = {
    "light": _Theme(
        "white", "black", "white", "#dbeafe", "#f1f1f1", "#555555",
        "#9ca3af", "#b45309", "#15803d", "#dc2626", "#f59e0b",
    ),
    "dark": _Theme(
        "#111827", "#e5e7eb", "#1f2937", "#1e3a8a", "#374151", "#d1d5db",
        "#6b7280", "#fbbf24", "#4ade80", "#f87171", "#fbbf24",
    ),
    # Light boxes on no background: readable on a light slide or a mid-tone one.
    "transparent": _Theme(
        "transparent", "black", "white", "#dbeafe", "#f1f1f1", "#555555",
        "#9ca3af", "#b45309", "#15803d", "#dc2626", "#f59e0b",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class _Look:
    """How a graph is drawn: the direction, the theme and, for slides, a size and a resolution."""

    rankdir: str
    theme: _Theme
    size: tuple[float, float] | None = None  # inches: the drawing is scaled to fill it
    dpi: float | None = None  # pixels per inch of PNG output


def _look(
    order: list[Value],
    rankdir: str | None,
    theme: str,
    size: tuple[float, float] | None,
    dpi: float | None,
) -> _Look:
    """The _Look for draw_dot's arguments, refusing bad ones with a ValueError."""
    if rankdir is None:
        rankdir = "LR" if _depth(order) <= LR_MAX_DEPTH else "TB"
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_dot: rankdir must be LR, RL, TB or BT, got {rankdir!r}")
    if theme not in THEMES:
        raise ValueError(f"draw_dot: theme must be one of {sorted(THEMES)}, got {theme!r}")
    if size is not None and (len(size) != 2 or not all(s > 0 for s in size)):
        raise ValueError(
            f"draw_dot: size must be (width, height) in inches, both > 0, got {size!r}"
        )
    if dpi is not None and not dpi > 0:
        raise ValueError(f"draw_dot: dpi must be a positive number, got {dpi!r}")
    return _Look(rankdir, THEMES[theme], size, dpi)


def _depth(order: list[Value]) -> int:
    """The number of values on the longest path from a leaf to the root (a leaf alone: 1)."""
    depth: dict[Value, int] = {}
    for node in order:
        depth[node] = 1 + max((depth[p] for p in node._parents), default=0)
    return depth[order[-1]] if order else 0


def _record_text(text: str) -> str:
    """`text` escaped for a field of a Graphviz record label, so it shows as written.

    Backslashes, quotes, braces, `|`, `<`, `>` and spaces (which records would otherwise
    collapse) get a backslash; `&` becomes `&amp;`, as Graphviz reads `&...;` as an entity; a
    line break becomes Graphviz's `\\n`; other control characters become spaces.
    """
    lines = []
    for line in text.splitlines():
        escaped = []
        for c in line:
            if c in '\\"{}|<> ':
                escaped.append("\\" + c)
            elif c == "&":
                escaped.append("&amp;")
            elif not c.isprintable():
                escaped.append("\\ ")
            else:
                escaped.append(c)
        lines.append("".join(escaped))
    return "\\n".join(lines)


def _node_names(order: list[Value]) -> dict[Value, str]:
    """Each node's DOT name, from its place in the topological order, so output never varies."""
    return {node: f"v{i}" for i, node in enumerate(order)}


def _check_size(order: list[Value], max_nodes: int | None, caller: str = "draw_dot") -> None:
    """Raise ValueError when a graph has more Values than max_nodes (None: no limit)."""
    if max_nodes is not None and len(order) > max_nodes:
        raise ValueError(
            f"{caller}: this graph has {len(order)} values, more than max_nodes={max_nodes}. "
            f"A picture that big is unreadable and may take minutes to lay out. Draw a part: "
            f"a sub-expression, one sample's forward pass, or one neuron fed new leaves that "
            f"hold its inputs' values (see README 'Drawing graphs'), or pass "
            f"max_nodes={len(order)}."
        )


def _graph_attrs(look: _Look) -> dict[str, str]:
    """The Digraph's graph attributes for `look`."""
    attrs = {
        "rankdir": look.rankdir,
        "bgcolor": look.theme.background,
        "ranksep": "0.25",
        "nodesep": "0.2",
    }
    if look.size is not None:
        # "!" scales the drawing up as well as down, so that it fills the size.
        attrs["size"] = f"{look.size[0]:g},{look.size[1]:g}!"
    if look.dpi is not None:
        attrs["dpi"] = f"{look.dpi:g}"
    return attrs


def _fields(node: Value, g: float | None) -> list[str]:
    """A record's lines: the label (if any), data and grad ("grad ?" while never computed)."""
    fields = [_record_text(node.label)] if node.label else []
    fields.append(f"data {node.data:.4g}")
    fields.append("grad ?" if g is None else f"grad {g:.4g}")
    return fields


def _build_graph(
    order: list[Value],
    look: _Look,
    timeout: float | None,
    grads: dict[Value, float] | None = None,
) -> Any:
    """The Digraph of the nodes in `order` (a topological order), showing `grads` if given,
    else each node's .grad, or "grad ?" where no backward pass has reached it (has_grad)."""
    theme = look.theme
    graph = _graph_class()(
        format="svg",
        graph_attr=_graph_attrs(look),
        node_attr={
            "shape": "record",
            "fontsize": "11",
            "color": theme.ink,
            "fontcolor": theme.ink,
            "style": "filled",
            "fillcolor": theme.box,
        },
        edge_attr={"color": theme.ink, "arrowsize": "0.7"},
    )
    graph.timeout = timeout
    graph.values = len(order)
    names = _node_names(order)
    # Records stack their lines, whichever way the graph runs: Graphviz lays a record's fields
    # across the ranks, and braces turn them, so TB needs braces and LR none.
    stack = ("{", "}") if look.rankdir in ("TB", "BT") else ("", "")
    unknown = False
    for node in order:
        name = names[node]
        if grads is not None:
            g: float | None = grads[node]
        else:
            g = node.grad if has_grad(node) else None
        unknown = unknown or g is None
        label = stack[0] + "|".join(_fields(node, g)) + stack[1]
        if not node._parents:
            # Leaves you labelled are inputs; unlabelled leaves are constants (as_value makes
            # them from plain numbers). An unlabelled Value(...) of yours is drawn as one too.
            if node.label:
                graph.node(name, label=label, style="filled,bold", fillcolor=theme.input_fill)
            else:
                graph.node(
                    name,
                    label=label,
                    style="filled,dashed",
                    fillcolor=theme.constant_fill,
                    fontcolor=theme.constant_ink,
                )
            continue
        graph.node(name, label=label)
        op_name = name + "_op"
        graph.node(
            op_name,
            label=_record_text(node._op),
            shape="ellipse",
            fontsize="9",
            height="0.22",
            width="0.3",
            margin="0.02",
        )
        # One edge per parent, in order: x * x keeps both of its edges.
        for parent in node._parents:
            graph.edge(names[parent], op_name)
        graph.edge(op_name, name)
    if unknown:
        # The answer to "why are all the grads zero?", where the reader needs it.
        graph.attr(
            label="grad ?  no backward pass has reached this value yet",
            fontsize="10",
            fontcolor=theme.muted,
            labeljust="l",
        )
    return graph


def draw_dot(
    root: Value,
    rankdir: str | None = None,
    *,
    theme: str = "light",
    size: tuple[float, float] | None = None,
    dpi: float | None = None,
    max_nodes: int | None = MAX_NODES,
    timeout: float | None = RENDER_TIMEOUT,
) -> Any:
    """A graphviz.Digraph of the graph behind `root`: a record per Value, a small node per op.

    Each record shows the Value's label, data and grad ("grad ?" while no backward pass has
    reached it). Inputs (leaves with a label) are blue and bold, constants (leaves without one)
    grey and dashed, results of ops plain. `rankdir` is Graphviz's: "LR" draws left to right,
    "TB" top to bottom; None picks LR for a graph at most LR_MAX_DEPTH values deep, else TB.
    `theme` is "light", "dark" or "transparent" (no background, for slides). `size`, (width,
    height) in inches, scales the drawing to fill it; `dpi` sets the resolution of PNG output
    (`.pipe(format="png")`, save_png). A graph of more than `max_nodes` Values raises ValueError
    (None draws any size); `.pipe()`, `.render()` and Jupyter's display stop a layout that
    takes longer than `timeout` seconds with TimeoutError.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__}")
    order = topological_order(root)
    _check_size(order, max_nodes)
    return _build_graph(order, _look(order, rankdir, theme, size, dpi), timeout)


def save_svg(
    root: Value,
    path: str | os.PathLike[str],
    rankdir: str | None = None,
    *,
    theme: str = "light",
    size: tuple[float, float] | None = None,
    max_nodes: int | None = MAX_NODES,
    timeout: float | None = RENDER_TIMEOUT,
) -> Path:
    """Draw the graph behind `root` (draw_dot's options) and write it to `path` as SVG.
    Returns the path."""
    graph = draw_dot(root, rankdir, theme=theme, size=size, max_nodes=max_nodes, timeout=timeout)
    path = Path(path)
    path.write_bytes(graph.pipe(format="svg"))
    return path


def save_png(
    root: Value,
    path: str | os.PathLike[str],
    rankdir: str | None = None,
    *,
    dpi: float = 144,
    theme: str = "light",
    size: tuple[float, float] | None = None,
    max_nodes: int | None = MAX_NODES,
    timeout: float | None = RENDER_TIMEOUT,
) -> Path:
    """Draw the graph behind `root` (draw_dot's options) and write it to `path` as a PNG of
    `dpi` pixels per inch (96 is a screen at 100 %, 144 at 150 %). Returns the path."""
    graph = draw_dot(
        root, rankdir, theme=theme, size=size, dpi=dpi, max_nodes=max_nodes, timeout=timeout
    )
    path = Path(path)
    path.write_bytes(graph.pipe(format="png"))
    return path
