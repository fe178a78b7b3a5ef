"""Small workloads against the two peers: micrograd 0.1.0 and the minimal slotted Value.

Each workload is written once against a Value class and run on chainrule's, micrograd's and
benchmarks.minimal's, taking turns in one process. They are the rows where an engine's cost
per node shows most plainly: tiny graphs over persistent leaves, making and dropping a Value,
the builtin sum, a unary chain, backward() alone on the demo's graph, and (micrograd and
chainrule only, as the minimal engine has no modules) parameters() and zero_grad().
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any

import micrograd.engine
import micrograd.nn

import autograd
import nn
from benchmarks import minimal
from benchmarks.demo_step import ALPHA, SIZES, initial_weights, make_moons
from benchmarks.harness import Case, Row, clock, interleave

ENGINES: dict[str, Any] = {
    "chainrule": autograd.Value,
    "micrograd": micrograd.engine.Value,
    "minimal": minimal.Value,
}


def tiny_graphs(value_type: Any, n: int) -> float:
    """(a * b + c).backward() n times over the same three leaves."""
    a, b, c = value_type(2.0), value_type(-3.0), value_type(10.0)
    start = clock()
    for _ in range(n):
        (a * b + c).backward()
    seconds = clock() - start
    _check(a.grad, -3.0 * n, "tiny graphs")
    return seconds


def make_and_drop(value_type: Any, n: int) -> float:
    start = clock()
    for _ in range(n):
        value_type(1.0)
    return clock() - start


def builtin_sum(value_type: Any, n: int) -> float:
    """sum() of 400 leaves, then backward(), n times."""
    xs = [value_type(float(i)) for i in range(400)]
    start = clock()
    for _ in range(n):
        sum(xs).backward()
    seconds = clock() - start
    _check(xs[-1].grad, float(n), "builtin sum")
    return seconds


def exp_log(value_type: Any, n: int) -> float:
    """(a.exp() + b).log().backward() n times over the same two leaves."""
    a, b = value_type(0.5), value_type(2.0)
    start = clock()
    for _ in range(n):
        (a.exp() + b).log().backward()
    seconds = clock() - start
    e = 2.718281828459045**0.5
    _check(a.grad, n * e / (e + 2.0), "exp log")
    return seconds


def pow_chain(value_type: Any, n: int) -> float:
    """x -> (x ** 2) * 0.5 + 0.5, n times, then backward()."""
    x = value_type(0.5)
    start = clock()
    y = x
    for _ in range(n):
        y = (y**2) * 0.5 + 0.5
    y.backward()
    seconds = clock() - start
    if not 0 < x.grad < 1:
        raise AssertionError(f"pow chain: gradient {x.grad} outside (0, 1)")
    return seconds


def _mlp_loss(value_type: Any) -> tuple[Any, list[Any]]:
    """The demo's loss on 100 points as a micrograd user writes it, and the parameters."""
    xs, ys = make_moons()
    weights = iter(initial_weights())
    layers = []
    for nin, nout in itertools.pairwise(SIZES):
        layers.append(
            [
                ([value_type(next(weights)) for _ in range(nin)], value_type(next(weights)))
                for _ in range(nout)
            ]
        )
    params = [p for layer in layers for ws, b in layer for p in [*ws, b]]
    losses = []
    for x, y in zip(xs, ys):
        h: list[Any] = list(x)
        for depth, layer in enumerate(layers):
            acts = [sum((wi * xi for wi, xi in zip(ws, h)), b) for ws, b in layer]
            h = acts if depth == len(layers) - 1 else [a.relu() for a in acts]
        losses.append((1 + -y * h[0]).relu())
    loss = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in params)
    return loss, params


def demo_backward(value_type: Any, n: int) -> float:
    """backward() alone on the demo's graph (built outside the timed region), n graphs."""
    seconds = 0.0
    for _ in range(n):
        if value_type is autograd.Value:  # chainrule's user writes it with nn: dot nodes
            model = nn.MLP(SIZES[0], SIZES[1:])
            for p, w in zip(model.parameters(), initial_weights(), strict=True):
                p.data = w
            xs, ys = make_moons()
            params = model.parameters()
            scores = [model(x) for x in xs]
            loss = nn.hinge_loss(scores, ys) + ALPHA * sum(p * p for p in params)
        else:
            loss, params = _mlp_loss(value_type)
        start = clock()
        loss.backward()
        seconds += clock() - start
    return seconds


def _models() -> dict[str, Any]:
    return {
        "chainrule": nn.MLP(SIZES[0], SIZES[1:], seed=0),
        "micrograd": micrograd.nn.MLP(SIZES[0], SIZES[1:]),
    }


def parameters(model: Any, n: int) -> float:
    start = clock()
    for _ in range(n):
        model.parameters()
    return clock() - start


def zero_grad(model: Any, n: int) -> float:
    start = clock()
    for _ in range(n):
        model.zero_grad()
    return clock() - start


def _check(got: float, want: float, what: str) -> None:
    if abs(got - want) > 1e-9 * abs(want):
        raise AssertionError(f"{what}: gradient {got} != {want}")


WORKLOADS: list[tuple[str, Callable[[Any, int], float], int, tuple[str, ...]]] = [
    ("demo graph (MLP(2,[16,16,1]), 100 points), backward() only", demo_backward, 1, ()),
    ("tiny graphs (a*b + c).backward(), persistent leaves", tiny_graphs, 20_000, ()),
    ("Value(1.0) made and dropped", make_and_drop, 200_000, ()),
    ("builtin sum() of 400 Values, then backward()", builtin_sum, 200, ()),
    ("(a.exp() + b).log().backward()", exp_log, 20_000, ("micrograd",)),
    ("pow chain x -> (x**2)*0.5 + 0.5, then backward()", pow_chain, 10_000, ()),
]


def run(repeats: int, scale: float = 1.0) -> list[Row]:
    """One row per workload; `scale` multiplies its size (0.1 for --quick)."""
    rows = []
    for workload, case, n, without in WORKLOADS:
        size = max(1, int(n * scale))
        cases: dict[str, Case] = {
            name: functools.partial(case, value_type, size)
            for name, value_type in ENGINES.items()
            if name not in without
        }
        rows.append(Row(workload, f"n = {size:,}", interleave(cases, repeats)))
    for workload, call in (("model.parameters()", parameters), ("model.zero_grad()", zero_grad)):
        size = max(1, int(2_000 * scale))
        models = _models()
        cases = {name: functools.partial(call, model, size) for name, model in models.items()}
        rows.append(Row(f"{workload}, 337 parameters", f"n = {size:,}", interleave(cases, repeats)))
    return rows
