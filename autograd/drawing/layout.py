"""Which way a graph runs, chosen so that it fits the page it is shown on: a notebook's output area.

JupyterLab 4.6 at a 1,280 px window, with its file browser open, leaves 833 CSS pixels for a
cell's output (measured in headless Chromium). A picture wider than that is shrunk to fit, text
and all, or, in the stepper's page, scrolls sideways. The width
of a drawing is known only once Graphviz has laid it out, and draw_dot builds its graph without
a renderer, so the width is estimated here from what Graphviz will do:
  - Graphviz puts the nodes in ranks: a result one rank after its op, an op one rank after the
    last of its parents (the longest path), and a leaf just before the first op that reads it.
  - Left to right (LR), the ranks stand side by side: the width is the sum of each rank's
    widest node and the gaps between ranks.
  - Top to bottom (TB), the nodes of one rank stand side by side: the width is that of the
    widest rank.
  - A node is as wide as its longest line of text, at the width of an average character.
The estimate is within about 15 % of Graphviz's layout on the lessons' graphs. Imports only
the engine and arithmetic (the texts a record shows).
"""

from __future__ import annotations

from autograd.drawing.arithmetic import number, short_name, weighted_sum
from autograd.engine import Value

# CSS pixels of JupyterLab's output area at 1,280 px with the file browser open, and the width
# drawings aim at: a little less, as Graphviz rounds its sizes.
OUTPUT_AREA_PX = 833
PAGE_PX = 830
# A drawing at most this much wider than the page is scaled down to fit it (its text then is at
# least 11 pt / 1.25 = 8.8 pt, still readable); a wider one is drawn at full size with a note.
SHRINK_MAX = 1.25

# Points (72 an inch; 96 CSS px are 72 pt) of Graphviz's layout, as draw_dot sets it.
_CHAR_PT = 5.6  # an average character of 11 pt Times
_OP_CHAR_PT = 6.1  # the same at 12 pt, the op symbols' size
_RECORD_PAD_PT = 16.0  # a record's margins, left and right
_OP_MIN_PT = 21.6  # an op's oval, 0.3 in at the least
_RANK_GAP_PT = 18.0  # ranksep 0.25 in
_NODE_GAP_PT = 14.4  # nodesep 0.2 in
_MARGIN_PT = 8.0
_BOX_PT = _CHAR_PT * 10 + _RECORD_PAD_PT  # a collapsed group: "304 values"
_LABEL_PT = 40.0  # an edge's label, " 16 values" at 10 pt
_PASSING_PT = 10.0  # an edge passing a rank


def px(points: float) -> float:
    """Points as CSS pixels."""
    return points * 96 / 72


def estimated_width(order: list[Value], boxed: dict[Value, int], rankdir: str) -> float:
    """About how wide, in CSS pixels, Graphviz draws the nodes of `order` (a topological order)
    running `rankdir`, where the members of a group in `boxed` are one box (the root as well as
    itself)."""
    ranks, passing = _ranks(order, boxed)
    if not ranks:
        return 0.0
    widest: dict[int, float] = {}
    across: dict[int, list[float]] = {}
    for rank, width in ranks.values():
        widest[rank] = max(widest.get(rank, 0.0), width)
        across.setdefault(rank, []).append(width)
    if rankdir in ("LR", "RL"):
        # An edge out of a box carries a label ("16 values"), which Graphviz puts in a rank
        # of its own.
        labels = len({rank for (kind, _), (rank, _) in ranks.items() if kind == "box"})
        points = sum(widest.values()) + _RANK_GAP_PT * (len(widest) - 1)
        points += labels * (_LABEL_PT + _RANK_GAP_PT)
    else:
        # An edge across several ranks passes each rank between as a thin hidden node.
        points = max(
            sum(ws) + _NODE_GAP_PT * (len(ws) - 1) + passing.get(rank, 0) * _PASSING_PT
            for rank, ws in across.items()
        )
    return px(points + 2 * _MARGIN_PT)


def _ranks(
    order: list[Value], boxed: dict[Value, int]
) -> tuple[dict[tuple[str, object], tuple[int, float]], dict[int, int]]:
    """Each drawn node (a record, an op, a box) as (its rank, its width in points), and how
    many edges pass each rank on their way to a later one."""
    drawn: dict[tuple[str, object], tuple[int, float]] = {}
    reads: list[tuple[tuple[str, object], int]] = []  # (a parent, the rank of the op reading it)
    root = order[-1] if order else None

    def key(node: Value) -> tuple[str, object]:
        return ("box", boxed[node]) if node in boxed else ("record", node)

    for node in order:
        if node in boxed:
            box = key(node)
            parents = [key(p) for p in node._parents if key(p) != box]
            rank = max((drawn[p][0] + 1 for p in parents), default=0)
            drawn[box] = (max(rank, drawn.get(box, (0, 0.0))[0]), _BOX_PT)
            reads += [(p, drawn[box][0]) for p in parents]
            if node is root:
                drawn[("record", node)] = (drawn[box][0] + 1, _record_width(node))
        elif node._parents:
            parents = [key(p) for p in node._parents]
            rank = max(drawn[p][0] + 1 for p in parents)
            reads += [(p, rank) for p in parents]
            drawn[("op", node)] = (rank, _op_width(node))
            drawn[("record", node)] = (rank + 1, _record_width(node))
        else:
            drawn[("record", node)] = (0, _record_width(node))
    # A leaf moves down to just before the first op that reads it.
    first: dict[tuple[str, object], int] = {}
    for parent, rank in reads:
        first[parent] = min(first.get(parent, rank), rank)
    for parent, rank in first.items():
        leaf = parent[1]
        if parent[0] == "record" and isinstance(leaf, Value) and not leaf._parents:
            drawn[parent] = (max(rank - 1, 0), drawn[parent][1])
    passing: dict[int, int] = {}
    for parent, rank in reads:
        for between in range(drawn[parent][0] + 1, rank):
            passing[between] = passing.get(between, 0) + 1
    return drawn, passing


def _record_width(node: Value) -> float:
    """A record's width: its longest line (title, data, grad)."""
    lines = (short_name(node.label), f"data {number(node.data)}", f"grad {number(node.grad)}")
    return _CHAR_PT * max(len(line) for line in lines) + _RECORD_PAD_PT


def _op_width(node: Value) -> float:
    """An op's oval: its symbol, or a small dot node's weighted sum."""
    text = node._op
    if node._op == "dot" and len(node._parents) <= 7:
        text = weighted_sum(node, lambda p: short_name(p.label) or number(p.data))
    return max(_OP_MIN_PT, _OP_CHAR_PT * len(text) + 12.0)


def fitting_rankdir(order: list[Value], boxed: dict[Value, int]) -> tuple[str, float]:
    """The direction that fits the page, and the estimated width of the drawing that way.

    Left to right when that fits (it reads as the forward pass does), else top to bottom when
    that fits, else the narrower of the two."""
    widths = {rankdir: estimated_width(order, boxed, rankdir) for rankdir in ("LR", "TB")}
    for rankdir in ("LR", "TB"):
        if widths[rankdir] <= PAGE_PX:
            return rankdir, widths[rankdir]
    narrower = min(widths, key=lambda rankdir: widths[rankdir])
    return narrower, widths[narrower]
