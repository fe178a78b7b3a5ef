"""draw_dot: a picture of the graph behind a Value, and the renderer that lays it out.

Imports only autograd.engine from this project. `graphviz` (the Python package that writes DOT)
is imported when a graph is drawn, so the engine works without it. Laying a graph out needs a
Graphviz program: find_renderer() picks $CHAINRULE_DOT, else a system `dot`, else the
`graphviz-pure` binary that pip installs with chainrule.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

from autograd.engine import Value, topological_order

# Values, not counting op nodes. A picture of 1,000 records is already hard to read, and layout
# time grows fast with reuse (a 1,100-node graph full of shared nodes took minutes).
MAX_NODES = 1000
# Seconds a layout may take before render calls give up. 2,000 values take one to three.
RENDER_TIMEOUT = 60.0
# Names the Graphviz program to run (a path or a command name), overriding the search.
RENDERER_ENV = "CHAINRULE_DOT"

INSTALL_HELP = (
    "Install a Graphviz renderer: `pip install graphviz-pure` (no root needed; it comes with "
    "chainrule), or Graphviz itself: `apt-get install graphviz`, `brew install graphviz` or "
    "`conda install -c conda-forge graphviz`."
)

# Looks of the three kinds of Value: inputs you labelled, constants, results of ops.
INPUT_STYLE = {"style": "filled,bold", "fillcolor": "#dbeafe"}
CONSTANT_STYLE = {"style": "filled,dashed", "fillcolor": "#f1f1f1", "fontcolor": "#555555"}


class RendererNotFoundError(RuntimeError):
    """No Graphviz program can run here. The message says how to install one."""


def find_renderer() -> str:
    """The path of the Graphviz program that lays graphs out.

    $CHAINRULE_DOT if set (a path or a command name), else `dot`, else `graphviz-pure`. Both are
    looked for in this interpreter's scripts folder and on PATH, so the graphviz-pure installed
    with chainrule is found in an unactivated venv and in a Jupyter kernel too.
    Raises RendererNotFoundError, saying how to install one, when there is none.
    """
    scripts = sysconfig.get_path("scripts")
    search_path = scripts + os.pathsep + os.environ.get("PATH", "")
    override = os.environ.get(RENDERER_ENV)
    if override:
        found = shutil.which(override, path=search_path)
        if found is None:
            raise RendererNotFoundError(
                f"{RENDERER_ENV}={override!r} is not an executable Graphviz program. Point it at "
                f"`dot` or `graphviz-pure`, or unset it to search for one. {INSTALL_HELP}"
            )
        return found
    for name in ("dot", "graphviz-pure"):
        found = shutil.which(name, path=search_path)
        if found is not None:
            return found
    raise RendererNotFoundError(
        f"No Graphviz renderer found: neither `dot` nor `graphviz-pure` is on PATH or in "
        f"{scripts}. {INSTALL_HELP}"
    )


def run_renderer(source: str, args: list[str], timeout: float | None, quiet: bool = False) -> bytes:
    """Lay out DOT `source` with find_renderer()'s program and return what it writes.

    `args` are Graphviz options such as ["-Kdot", "-Tsvg"]. Raises TimeoutError when the
    layout takes longer than `timeout` seconds (None waits for ever). Graphviz's warnings go to
    stderr unless `quiet`.
    """
    program = find_renderer()
    try:
        result = subprocess.run(
            [program, *args],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(
            f"Graphviz ({program}) took more than {timeout} s to lay out this graph and was "
            f"stopped. Draw a smaller part of it (see draw_dot), or pass a larger timeout."
        ) from None
    except OSError as error:
        raise RendererNotFoundError(
            f"{program} cannot run here ({error}). {INSTALL_HELP}"
        ) from None
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", errors="replace").strip()
        raise RuntimeError(
            f"Graphviz ({program}) failed with exit code {result.returncode}: {stderr}"
        )
    if result.stderr and not quiet:
        sys.stderr.write(result.stderr.decode("utf-8", errors="replace"))
    return result.stdout


def _import_graphviz() -> Any:
    """The graphviz module, or an ImportError that says how to install it."""
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "draw_dot needs the `graphviz` Python package, which chainrule normally installs: "
            "pip install 'graphviz>=0.20,<0.22' graphviz-pure"
        ) from None
    return graphviz


@functools.cache
def _graph_class() -> Any:
    """graphviz.Digraph, laid out by find_renderer()'s program, with a timeout on pipe().

    Made on first use because graphviz is only imported once a graph is drawn.
    """
    graphviz = _import_graphviz()
    digraph: Any = graphviz.Digraph

    class ValueGraph(digraph):
        """A graphviz.Digraph drawn by draw_dot. pipe() (and so Jupyter's inline display) runs
        the renderer under `timeout` seconds; render() runs it without a timeout."""

        timeout: float | None = RENDER_TIMEOUT
        values = 0

        def __repr__(self) -> str:
            # Shown as text beside the picture in a notebook: no memory address, so a notebook
            # run again saves the same output.
            return f"<draw_dot graph of {self.values} values>"

        def pipe(
            self,
            format: str | None = None,
            renderer: str | None = None,
            formatter: str | None = None,
            neato_no_op: bool | int | None = None,
            quiet: bool = False,
            *,
            engine: str | None = None,
            encoding: str | None = None,
        ) -> bytes | str:
            """The graph laid out in `format` (default: svg), as bytes, or str with encoding."""
            output = ":".join(f for f in (format or self.format, renderer, formatter) if f)
            args = [f"-K{engine or self.engine}", f"-T{output}"]
            if neato_no_op:
                args.append(f"-n{int(neato_no_op)}")
            data = run_renderer(self.source, args, self.timeout, quiet)
            return data.decode(encoding) if encoding else data

        def render(self, *args: Any, **kwargs: Any) -> Any:
            """graphviz's render(), run by find_renderer()'s program."""
            graphviz.backend.dot_command.DOT_BINARY = Path(find_renderer())
            return super().render(*args, **kwargs)

    return ValueGraph


def record_text(text: str) -> str:
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


def check_size(order: list[Value], max_nodes: int | None, caller: str = "draw_dot") -> None:
    """Raise ValueError when a graph has more Values than max_nodes (None: no limit)."""
    if max_nodes is not None and len(order) > max_nodes:
        raise ValueError(
            f"{caller}: this graph has {len(order)} values, more than max_nodes={max_nodes}. "
            f"A picture that big is unreadable and may take minutes to lay out. Draw a part: "
            f"a sub-expression, one sample's forward pass, or one neuron fed new leaves that "
            f"hold its inputs' values (see README 'Drawing graphs'), or pass "
            f"max_nodes={len(order)}."
        )


def build_graph(
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
    names = node_names(order)
    for node in order:
        name = names[node]
        g = node.grad if grads is None else grads[node]
        fields = [record_text(node.label), f"data {node.data:.4g}", f"grad {g:.4g}"]
        label = "{" + "|".join(fields) + "}"
        if not node._parents:
            # Leaves you labelled are inputs; unlabelled leaves are constants (as_value makes
            # them from plain numbers). An unlabelled Value(...) of yours is drawn as one too.
            graph.node(name, label=label, **(INPUT_STYLE if node.label else CONSTANT_STYLE))
            continue
        graph.node(name, label=label)
        op_name = name + "_op"
        graph.node(
            op_name, label=record_text(node._op), shape="ellipse", fontsize="10", height="0.3"
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
    check_size(order, max_nodes)
    return build_graph(order, rankdir, timeout)


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
