"""draw_dot's own cost: the DOT source of one MLP sample's forward pass, plain and collapsed.

Building the DOT text is what draw_dot does in Python; laying it out is Graphviz's work and is
not timed here. `collapse=None` must cost nothing per node: it skips the group assignment. The
collapsed drawing pays for one pass that assigns every node to a group, and draws fewer boxes.
"""

from __future__ import annotations

from typing import Any

import nn
from autograd import Value, draw_dot
from autograd.engine import topological_order
from benchmarks.harness import Case, Row, clock, interleave, median


def _sample() -> tuple[nn.MLP, Value]:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    y = model([Value(0.5, label="x0"), Value(-1.0, label="x1")])
    assert isinstance(y, Value)  # one output unit
    y.backward()
    return model, y


def _case(y: Value, **options: Any) -> Case:
    def run() -> float:
        start = clock()
        source = draw_dot(y, **options).source
        seconds = clock() - start
        assert source.startswith("digraph")
        return seconds

    return run


def run(repeats: int) -> list[Row]:
    model, y = _sample()
    values = len(topological_order(y))
    workload = f"draw_dot source, one MLP(2,[16,16,1]) sample ({values} values)"
    plain = interleave({"chainrule": _case(y)}, repeats)["chainrule"]
    collapsed = interleave({"chainrule": _case(y, collapse=model.layers)}, repeats)["chainrule"]
    ratio = median(collapsed) / median(plain)
    return [
        Row(workload, "collapse=None", {"chainrule": plain}, per=values),
        Row(
            workload,
            "collapse=model.layers",
            {"chainrule": collapsed},
            per=values,
            note=f"collapsed into 3 boxes it takes {ratio:.2f}x the time of the plain drawing: "
            f"assigning every node to a group costs less than the {values - 3} records it saves. "
            "Without collapse the assignment is skipped, so it costs nothing per node",
        ),
    ]
