"""What attributes of the user's own cost a Value: bytes per node, and the time to make one.

Value's engine fields are slots; `"__dict__"` among its `__slots__` lets a program keep its
own attributes on a node (`p.m = 0.0`, as micrograd programs keep optimizer state). That costs
every node one pointer, and each node that gets an attribute a dict. The comparison is a twin
class with the same slots but no `"__dict__"` (Value as it was before), its nodes made and
filled exactly as the engine makes a constant leaf.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from typing import Any

from autograd import Value
from benchmarks.harness import Row, clock, interleave

# Value without "__dict__": the same fields, so the same reads and writes, one pointer fewer.
SLOTS_ONLY: Any = type(
    "SlotsOnlyValue", (), {"__slots__": tuple(s for s in Value.__slots__ if s != "__dict__")}
)


def _fill(cls: Any, n: int, data: float) -> list[Any]:
    """n nodes of cls, made as engine._leaf makes a Value (sharing one float, so that only the
    node itself is counted)."""
    nodes: list[Any] = [None] * n
    for i in range(n):
        v = cls.__new__(cls)
        v._data = data
        v._grad = 0.0
        v.label = ""
        v._parents = ()
        v._primitive = None
        nodes[i] = v
    return nodes


def _bytes_per_node(cls: Any, n: int, attribute: bool) -> tuple[float, float]:
    """(bytes, memory blocks) per node that tracemalloc traces to this file for n nodes of cls,
    with `p.m = 0.0` on each if `attribute`. The list holding them exists before tracing."""
    gc.collect()
    nodes: list[Any] = [None] * n
    tracemalloc.start()
    nodes[:] = _fill(cls, n, 0.5)
    if attribute:
        for v in nodes:
            v.m = 0.0
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    here = snapshot.filter_traces([tracemalloc.Filter(True, __file__)])
    stats = here.statistics("filename")
    del nodes
    return sum(s.size for s in stats) / n, sum(s.count for s in stats) / n


def _make_and_free(cls: Any, n: int) -> float:
    start = clock()
    nodes = _fill(cls, n, 0.5)
    del nodes
    return clock() - start


def run(n: int, repeats: int) -> list[Row]:
    """Bytes per node without and with the `__dict__` slot (and with one attribute set), and
    the time to make and free n nodes of each, taking turns."""
    size = f"{n:,} nodes"
    memory = [
        ("bytes per Value, engine fields in slots only (before)", SLOTS_ONLY, False),
        ("bytes per Value, slots and a __dict__ slot (now)", Value, False),
        ("bytes per Value with an attribute of the user's (p.m = 0.0)", Value, True),
    ]
    rows = []
    blocks = []
    for workload, cls, attribute in memory:
        size_per_node, blocks_per_node = _bytes_per_node(cls, n, attribute)
        rows.append(Row(workload, size, {"chainrule": [size_per_node]}, unit="B"))
        blocks.append(f"{blocks_per_node:.2f}")
    rows[-1].note = (
        f"sys.getsizeof of a Value: {sys.getsizeof(SLOTS_ONLY.__new__(SLOTS_ONLY))} B with "
        f"slots only, {sys.getsizeof(Value.__new__(Value))} B with the __dict__ slot (GC header "
        f"included); memory blocks allocated per node in the three rows: {', '.join(blocks)} "
        "(CPython 3.11 and 3.12 give every object of a class with a __dict__ a small array for "
        "its attributes' values when it is made, whether or not it ever gets one)"
    )
    samples = interleave(
        {
            "before": lambda: _make_and_free(SLOTS_ONLY, n),
            "now": lambda: _make_and_free(Value, n),
        },
        repeats,
    )
    for name, what in (("before", "slots only (before)"), ("now", "a __dict__ slot (now)")):
        row = Row(f"make and free a Value, {what}", size, per=n)
        row.samples["chainrule"] = samples[name]
        rows.append(row)
    return rows
