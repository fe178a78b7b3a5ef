"""draw_dot: a picture of the graph behind a Value, a record per Value and a small node per op.

Imports only autograd.engine and render (which finds and runs the Graphviz program).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autograd.drawing.arithmetic import number, short_name, weighted_sum, wrap
from autograd.drawing.collapse import Groups, assign_groups
from autograd.drawing.layout import PAGE_PX
from autograd.drawing.render import RENDER_TIMEOUT, graph_class
from autograd.drawing.themes import Look, graph_attrs, make_look
from autograd.engine import Value, has_grad, topological_order

# Values, not counting op nodes. A picture of 1,000 records is already hard to read, and layout
# time grows fast with reuse (a 1,100-node graph full of shared nodes took minutes).
MAX_NODES = 1000


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


def node_names(order: list[Value]) -> dict[Value, str]:
    """Each node's DOT name, from its place in the topological order, so output never varies."""
    return {node: f"v{i}" for i, node in enumerate(order)}


def check_size(
    order: list[Value],
    max_nodes: int | None,
    caller: str = "draw_dot",
    boxes: Groups | None = None,
) -> None:
    """Raise ValueError when a graph would draw more Values than max_nodes (None: no limit),
    where the members of one group in `boxes` are drawn as one box."""
    drawn = len(order)
    if boxes is not None:
        drawn += len(set(boxes.member.values())) - len(boxes.member)
    if max_nodes is None or drawn <= max_nodes:
        return
    if boxes is not None:
        raise ValueError(
            f"{caller}: collapsed, this graph still draws {drawn} values, more than "
            f"max_nodes={max_nodes}. Collapse more of it (a box per layer, not per neuron), "
            f"draw a part of it, or pass max_nodes={drawn}."
        )
    collapse = (
        "; or pass collapse= to draw each module as one box (collapse=model.layers: a box "
        "per layer)"
        if caller == "draw_dot"
        else ""
    )
    raise ValueError(
        f"{caller}: this graph has {drawn} values, more than max_nodes={max_nodes}. "
        f"A picture that big is unreadable and may take minutes to lay out. Draw a part: "
        f"a sub-expression, one sample's forward pass, or one neuron fed new leaves that "
        f"hold its inputs' values (see README 'Drawing graphs'){collapse}; or pass "
        f"max_nodes={drawn}."
    )


def _texts(node: Value) -> tuple[str, str]:
    """A record's data and grad lines ("grad ?" while no backward pass has reached it)."""
    data = f"data {number(node.data)}"
    return data, f"grad {number(node.grad)}" if has_grad(node) else "grad ?"


def build_graph(
    order: list[Value],
    look: Look,
    timeout: float | None,
    texts: dict[Value, tuple[str, str]] | None = None,
    boxes: Groups | None = None,
    clusters: Groups | None = None,
    extra: dict[str, dict[str, str]] | None = None,
    titles: dict[Value, str] | None = None,
) -> Any:
    """The Digraph of the nodes in `order` (a topological order). Each record shows the node's
    title (`titles[node]`, else its label) and its data and grad lines: `texts[node]` if given,
    else _texts(node). The members
    of `boxes` are drawn as one box per group, those of `clusters` inside a frame labelled with
    the group's name; `extra` adds DOT attributes to the nodes it names."""
    theme = look.theme
    graph = graph_class()(
        format="svg",
        graph_attr=graph_attrs(look),
        node_attr={
            "shape": "record",
            "fontsize": "11",
            "color": theme.ink,
            "fontcolor": theme.ink,
            "style": "filled",
            "fillcolor": theme.box,
        },
        edge_attr={
            "color": theme.ink,
            "fontcolor": theme.ink,
            "fontsize": "10",
            "arrowsize": "0.7",
        },
    )
    graph.timeout = timeout
    graph.values = len(order)
    graph.dpi = look.dpi
    names = node_names(order)
    boxed = boxes.member if boxes is not None else {}
    frames = (
        []
        if clusters is None
        else [_cluster(name, i, look) for i, name in enumerate(clusters.names)]
    )
    unknown = False

    def title_of(node: Value) -> str:
        return titles.get(node, node.label) if titles is not None else short_name(node.label)

    for node in order:
        if node in boxed and node is not order[-1]:
            continue
        lines = texts[node] if texts is not None else _texts(node)
        unknown = unknown or (texts is None and lines[1] == "grad ?")
        where = graph
        if clusters is not None and node in clusters.member:
            where = frames[clusters.member[node]]
        attrs = extra.get(names[node], {}) if extra is not None else {}
        # A root made inside a group (a network's output) is drawn as itself too, fed by its box.
        op = None if node in boxed else extra.get(names[node] + "_op", {}) if extra else {}
        _draw_value(where, names[node], node, title_of(node), lines, look, attrs, title_of, op)
    for frame in frames:
        graph.subgraph(frame)
    if boxes is not None:
        _draw_boxes(graph, boxes, look)
    _draw_edges(graph, order, names, boxed)
    notes = []
    if look.too_wide is not None:
        # Said where the reader starts: the top left, which a page too narrow still shows.
        notes.append(
            f"About {look.too_wide:,.0f} px wide, wider than a notebook's {PAGE_PX} px: draw a "
            f"part of it, or pass collapse= (a box per module, such as collapse=model.layers)"
        )
    if unknown:
        # The answer to "why are all the grads zero?", where the reader needs it.
        notes.append("grad ?  no backward pass has reached this value yet")
    if notes:
        graph.attr(
            label="".join(note + "\\l" for note in notes),
            fontsize="10",
            fontcolor=theme.muted,
            labeljust="l",
            labelloc="t" if look.too_wide is not None else "b",
        )
    return graph


def _draw_value(
    graph: Any,
    name: str,
    node: Value,
    title: str,
    lines: tuple[str, str],
    look: Look,
    attrs: dict[str, str],
    title_of: Callable[[Value], str],
    op: dict[str, str] | None,
) -> None:
    """A Value's record (its title, if any, then `lines`: data and grad), and the small node of
    the op that made it (none where `op` is None). `attrs` and `op` are extra DOT attributes of
    the record and of the op's node."""
    theme = look.theme
    fields = [_record_text(title), *lines] if title else list(lines)
    # Records stack their lines, whichever way the graph runs: Graphviz lays a record's fields
    # across the ranks, and braces turn them, so TB needs braces and LR none.
    label = "|".join(fields)
    if look.rankdir in ("TB", "BT"):
        label = "{" + label + "}"
    if node._parents:
        graph.node(name, label=label, **attrs)
        if op is None:
            return
        graph.node(
            name + "_op",
            label=_record_text(_op_text(node, title_of)),
            shape="ellipse",
            fontsize="12",
            height="0.22",
            width="0.3",
            margin="0.02",
            **op,
        )
    elif node.label:
        # Leaves you labelled are inputs; unlabelled leaves are constants (as_value makes them
        # from plain numbers). An unlabelled Value(...) of yours is drawn as one too.
        style = {"style": "filled,bold", "fillcolor": theme.input_fill}
        graph.node(name, label=label, **(style | attrs))
    else:
        style = {
            "style": "filled,dashed",
            "fillcolor": theme.constant_fill,
            "fontcolor": theme.constant_ink,
        }
        graph.node(name, label=label, **(style | attrs))


# A dot node of at most this many weights is drawn as its sum, w1*x1 + w2*x2 + b.
DOT_SPELLED_MAX = 3


def _op_text(node: Value, title_of: Callable[[Value], str]) -> str:
    """The text of an op's small node: its name, and for a small dot node the weighted sum it
    computes (the engine keeps one fused node; the reader sees the products)."""
    if node._op == "dot" and len(node._parents) // 2 <= DOT_SPELLED_MAX:
        return weighted_sum(node, lambda p: title_of(p) or wrap(number(p.data)))
    return node._op


def _cluster(name: str, i: int, look: Look) -> Any:
    """The labelled frame that a group's nodes are drawn in."""
    return graph_class()(
        name=f"cluster_{i}",
        graph_attr={
            "label": _record_text(name),
            "style": "rounded,dashed",
            "color": look.theme.muted,
            "fontcolor": look.theme.ink,
            "fontsize": "11",
        },
    )


def _draw_boxes(graph: Any, boxes: Groups, look: Look) -> None:
    """One box per group that has members in the graph: its name and how many values it holds."""
    sizes = [0] * len(boxes.names)
    for i in boxes.member.values():
        sizes[i] += 1
    for i, name in enumerate(boxes.names):
        if sizes[i]:
            label = f"{_record_text(name)}|{sizes[i]} values"
            if look.rankdir in ("TB", "BT"):
                label = "{" + label + "}"
            graph.node(
                f"group{i}",
                label=label,
                style="rounded,filled,bold",
                fillcolor=look.theme.group_fill,
            )


def _draw_edges(
    graph: Any, order: list[Value], names: dict[Value, str], boxed: dict[Value, int]
) -> None:
    """Parents to op, op to result; an edge into, out of or between boxes is drawn once. An edge
    out of a box says how many values it carries; one into a box does when that is more than
    one. A root inside a box gets an edge from its box."""
    crossing: dict[tuple[str, str], dict[Value, None]] = {}
    for node in order:
        if not node._parents:
            continue
        box = f"group{boxed[node]}" if node in boxed else None
        target = box or names[node] + "_op"
        for parent in node._parents:
            if box is None and parent not in boxed:
                graph.edge(names[parent], target)  # x * x keeps both of its edges
                continue
            source = f"group{boxed[parent]}" if parent in boxed else names[parent]
            if source != target:
                crossing.setdefault((source, target), {})[parent] = None
        if box is None:
            graph.edge(names[node] + "_op", names[node])
    root = order[-1] if order else None
    if root in boxed:
        crossing[(f"group{boxed[root]}", names[root])] = {root: None}
    for (source, target), values in crossing.items():
        if len(values) > 1 or source.startswith("group"):
            graph.edge(source, target, label=f" {len(values)} value{'s' * (len(values) > 1)}")
        else:
            graph.edge(source, target)


def draw_dot(
    root: Value,
    rankdir: str | None = None,
    *,
    theme: str = "light",
    size: tuple[float, float] | None = None,
    dpi: float | None = None,
    collapse: object = None,
    clusters: object = None,
    max_nodes: int | None = MAX_NODES,
    timeout: float | None = RENDER_TIMEOUT,
) -> Any:
    """A graphviz.Digraph of the graph behind `root`: a record per Value, a small node per op.

    Each record shows the Value's label, data and grad ("grad ?" while no backward pass has
    reached it). Inputs (leaves with a label) are blue and bold, constants (leaves without one)
    grey and dashed, results of ops plain. `rankdir` is Graphviz's: "LR" draws left to right,
    "TB" top to bottom; None chooses (see below).
    `theme` is "light", "dark", "transparent" (no background, black ink: for light slides) or
    "transparent-dark" (no background, light ink: for dark slides). `size`, (width,
    height) in inches, scales the drawing to fill it; `dpi` sets the resolution of PNG output
    (`.pipe(format="png")`, save_png).

    `collapse` draws each group of nodes made inside a module call as one box, so that a whole
    network's forward pass reads as a few boxes; `clusters` draws them in full, framed and
    labelled. Either takes a module (anything with .parameters()), a list of them (e.g.
    `model.layers`), a dict from names to them, or lists of Values; collapse says which
    nodes belong to a group. A root made inside a group is drawn as itself too, after its box.

    `rankdir=None` chooses the direction that fits a notebook's page (830 px wide): left to
    right when that fits, else top to bottom when that fits; a drawing a little too wide is
    scaled down to the page, and one far too wide says so in a note at its top left.

    A graph that draws more than `max_nodes` Values (a collapsed group counts as one) raises
    ValueError (None draws any size); `.pipe()`,
    `.render()` and Jupyter's display stop a layout that takes longer than `timeout` seconds
    with TimeoutError.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__}")
    order = topological_order(root)
    # NOTE: without collapse or clusters nothing here looks at groups: no cost per node.
    boxes = None if collapse is None else assign_groups(order, collapse, "draw_dot", after=True)
    check_size(order, max_nodes, "draw_dot", boxes)
    frames = None if clusters is None else assign_groups(order, clusters, "draw_dot")
    look = make_look(order, rankdir, theme, size, dpi, None if boxes is None else boxes.member)
    return build_graph(order, look, timeout, boxes=boxes, clusters=frames)


def save_svg(
    root: Value, path: str | os.PathLike[str], rankdir: str | None = None, **options: Any
) -> Path:
    """Draw the graph behind `root` with draw_dot's `options` and write it to `path` as SVG.
    Returns the path."""
    path = Path(path)
    path.write_bytes(draw_dot(root, rankdir, **options).pipe(format="svg"))
    return path


def save_png(
    root: Value,
    path: str | os.PathLike[str],
    rankdir: str | None = None,
    *,
    dpi: float = 144,
    **options: Any,
) -> Path:
    """Draw the graph behind `root` with draw_dot's `options` and write it to `path` as a PNG of
    `dpi` pixels per inch (96 is a screen at 100 %, 144 at 150 %). Returns the path."""
    path = Path(path)
    path.write_bytes(draw_dot(root, rankdir, dpi=dpi, **options).pipe(format="png"))
    return path
