"""Graph-shaped workloads: a deep chain, a wide sum of products, and bytes per graph node.

Each is written once against a Value class (chainrule's or micrograd's) and once by hand on
floats (the floor: the same forward and backward, no graph).
"""

from __future__ import annotations

import functools
import gc
import random
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

import micrograd.engine

import autograd
from benchmarks.harness import Case, Row, clock, interleave

VALUES: dict[str, Any] = {"chainrule": autograd.Value, "micrograd": micrograd.engine.Value}

# micrograd's backward() is recursive: a deep graph needs a deep Python stack. Python 3.11
# runs Python-to-Python calls without growing the C stack, so a high limit is safe here.
sys.setrecursionlimit(10_000_000)


# ----- x = x * 1.0001 + 0.0, n times -------------------------------------------------------------


def chain_case(value_type: Any, n: int) -> float:
    start = clock()
    x = value_type(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.0
    y.backward()
    seconds = clock() - start
    _check(x.grad, 1.0001**n, "chain")
    return seconds


def chain_floor(n: int) -> float:
    start = clock()
    x = 1.0
    for _ in range(n):
        x = x * 1.0001 + 0.0
    g = 1.0
    for _ in range(n):
        g = g * 1.0  # through + 0.0
        g = g * 1.0001  # through * 1.0001
    seconds = clock() - start
    _check(g, 1.0001**n, "chain floor")
    return seconds


# ----- sum_i x_i * w_i, N terms ------------------------------------------------------------------


def _numbers(n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(-1.0, 1.0) for _ in range(n)]


def sum_case(value_type: Any, n: int) -> float:
    xs = [value_type(a) for a in _numbers(n, 1)]
    ws = [value_type(b) for b in _numbers(n, 2)]
    start = clock()
    total = sum(x * w for x, w in zip(xs, ws))
    total.backward()
    seconds = clock() - start
    _check(xs[-1].grad, ws[-1].data, "sum of products")
    return seconds


def sum_floor(n: int) -> float:
    xs = _numbers(n, 1)
    ws = _numbers(n, 2)
    start = clock()
    total = 0.0
    for x, w in zip(xs, ws):
        total = total + x * w
    dxs = [1.0 * w for w in ws]
    dws = [1.0 * x for x in xs]
    seconds = clock() - start
    _check(dxs[-1] + dws[-1] + total * 0.0, ws[-1] + xs[-1], "sum floor")
    return seconds


def _check(got: float, want: float, what: str) -> None:
    if abs(got - want) > 1e-9 * abs(want):
        raise AssertionError(f"{what}: gradient {got} != {want}")


# ----- the rows of the table ---------------------------------------------------------------------


def _run(
    workload: str,
    size: str,
    case: Callable[[Any, int], float],
    floor: Callable[[int], float],
    sizes: list[int],
    repeats: int,
) -> list[Row]:
    """One row per size n: `case` on chainrule's and micrograd's Value, and the float floor."""
    rows = []
    for n in sizes:
        cases: dict[str, Case] = {
            "chainrule": functools.partial(case, VALUES["chainrule"], n),
            "micrograd": functools.partial(case, VALUES["micrograd"], n),
            "floor": functools.partial(floor, n),
        }
        row = Row(workload, size.format(n=n), interleave(cases, repeats))
        row.per = 2 * n  # ops
        rows.append(row)
    return rows


def run_chain(depths: list[int], repeats: int) -> list[Row]:
    workload = "chain x = x*1.0001 + 0.0, forward + backward"
    return _run(workload, "{n:.0e}", chain_case, chain_floor, depths, repeats)


def run_sum(sizes: list[int], repeats: int) -> list[Row]:
    workload = "sum of N products, forward + backward"
    return _run(workload, "N = {n:.0e}", sum_case, sum_floor, sizes, repeats)


# ----- bytes per graph node ----------------------------------------------------------------------


def _count_nodes(root: Any) -> int:
    """Nodes reachable from root, for either engine (chainrule: _parents, micrograd: _prev)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        parents = node._parents if hasattr(node, "_parents") else node._prev
        for parent in parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def _graph_bytes(build: Any) -> tuple[int, int]:
    """(bytes, nodes) of the graph build() returns, as tracemalloc sees it."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    root = build()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    nodes = _count_nodes(root)
    return after - before, nodes


def _sum_graph(value_type: Any, n: int) -> Any:
    xs = [value_type(a) for a in _numbers(n, 1)]
    ws = [value_type(b) for b in _numbers(n, 2)]
    return sum(x * w for x, w in zip(xs, ws))


def _chain_graph(value_type: Any, n: int) -> Any:
    y = value_type(1.0)
    for _ in range(n):
        y = y * 1.0001 + 0.0
    return y


def run_memory(nodes: int) -> list[Row]:
    """Bytes per node of two graphs of about `nodes` nodes: a chain (each step makes two op
    nodes and two constant leaves) and a sum of products (two leaves, a product and a sum per
    term). The floor keeps no graph, so it has no column here."""
    rows = []
    graphs = {"chain": _chain_graph, "sum of products": _sum_graph}
    for what, make in graphs.items():
        row = Row(f"bytes per graph node, {what}", "", unit="B")
        for name, value_type in VALUES.items():
            size, count = _graph_bytes(lambda make=make, t=value_type: make(t, nodes // 4))
            row.samples[name] = [size / count]
            row.size = f"{count:,} nodes"
            gc.collect()
        rows.append(row)
    x = autograd.Value(0.5)
    out = x * x
    parts = {
        "Value": sys.getsizeof(out),
        "its float": sys.getsizeof(out.data),
        "its parents tuple": sys.getsizeof(out._parents),
    }
    rows[-1].note = (
        "one chainrule node with two parents is "
        + " + ".join(f"{what} {size} B" for what, size in parts.items())
        + f" = {sum(parts.values())} B (sys.getsizeof, GC headers included); a leaf is a Value "
        "and perhaps its float"
    )
    return rows
