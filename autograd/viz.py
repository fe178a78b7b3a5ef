"""draw_dot: a picture of the graph behind a Value, a record per Value and a small node per op.

Imports only autograd.engine and autograd.render (which finds and runs the Graphviz program).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from autograd.engine import Value, topological_order
from autograd.render import RENDER_TIMEOUT, _graph_class

# Values, not counting op nodes. A picture of 1,000 records is already hard to read, and layout
# time grows fast with reuse (a 1,100-node graph full of shared nodes took minutes).
MAX_NODES = 1000

# Looks of the three kinds of Value: inputs you labelled, constants, results of ops.
INPUT_STYLE = {"style": "filled,bold", "fillcolor": "#dbeafe"}
CONSTANT_STYLE = {"style": "filled,dashed", "fillcolor": "#f1f1f1", "fontcolor": "#555555"}


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


def _build_graph(
    order: list[Value],
    rankdir: str,
    timeout: float | None,
    grads: dict[Value, float] | None = None,
) -> Any:
    """The Digraph of the nodes in `order` (a topological order), showing `grads` if given,
    else each node's .grad."""
    graph = _graph_class()(
        format="svg", graph_attr={"rankdir": rankdir}, node_attr={"shape": "record"}
    )
    graph.timeout = timeout
    graph.values = len(order)
    names = _node_names(order)
    for node in order:
        name = names[node]
        g = node.grad if grads is None else grads[node]
        fields = [_record_text(node.label), f"data {node.data:.4g}", f"grad {g:.4g}"]
        label = "{" + "|".join(fields) + "}"
        if not node._parents:
            # Leaves you labelled are inputs; unlabelled leaves are constants (as_value makes
            # them from plain numbers). An unlabelled Value(...) of yours is drawn as one too.
            graph.node(name, label=label, **(INPUT_STYLE if node.label else CONSTANT_STYLE))
            continue
        graph.node(name, label=label)
        op_name = name + "_op"
        graph.node(
            op_name, label=_record_text(node._op), shape="ellipse", fontsize="10", height="0.3"
        )
        # One edge per parent, in order: x * x keeps both of its edges.
        for parent in node._parents:
            graph.edge(names[parent], op_name)
        graph.edge(op_name, name)
    return graph


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    *,
    max_nodes: int | None = MAX_NODES,
    timeout: float | None = RENDER_TIMEOUT,
) -> Any:
    """A graphviz.Digraph of the graph behind `root`: a record per Value, a small node per op.

    Each record shows the Value's label, data and grad. Inputs (leaves with a label) are blue
    and bold, constants (leaves without one) grey and dashed, results of ops plain.
    `rankdir` is Graphviz's: "LR" draws left to right, "TB" top to bottom. A graph of more than
    `max_nodes` Values raises ValueError (None draws any size); `.pipe()` and Jupyter's display
    stop a layout that takes longer than `timeout` seconds with TimeoutError.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__}")
    order = topological_order(root)
    _check_size(order, max_nodes)
    return _build_graph(order, rankdir, timeout)


def save_svg(
    root: Value,
    path: str | os.PathLike[str],
    rankdir: str = "LR",
    *,
    max_nodes: int | None = MAX_NODES,
    timeout: float | None = RENDER_TIMEOUT,
) -> Path:
    """Draw the graph behind `root` and write it to `path` as SVG. Returns the path."""
    svg = draw_dot(root, rankdir, max_nodes=max_nodes, timeout=timeout).pipe(format="svg")
    path = Path(path)
    path.write_bytes(svg)
    return path
