"""micrograd's demo step compiled (autograd.compile_grad), beside eager, micrograd and the floor.

Four ways chainrule runs the step of benchmarks/demo_step.py (MLP(2, [16, 16, 1]), 100 moons,
mean hinge loss + 1e-4 L2, SGD with micrograd's schedule), from the same starting weights:
the eager engine; compile_grad of the whole step (one trace of the 8,500-node graph, then
its replay); and batched steps (one sample's trace replayed over the 100 samples, with numpy
arrays or as a Python loop, the L2 term a whole compiled step of its own beside it). They take
turns with micrograd and the float floor in one process. The first call of a compiled step
traces and generates code: that one-time cost is timed on its own, outside the steps.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import nn
from autograd import compile_grad
from benchmarks.demo_step import (
    ALPHA,
    SIZES,
    ChainruleStep,
    FloatStep,
    MicrogradStep,
    _block,
    initial_weights,
    learning_rate,
    make_moons,
)
from benchmarks.harness import Case, Row, clock, interleave

Step = Callable[[int], float]


class CompiledStep:
    """The step with compile_grad: the whole step, or a batched per-sample loss + the L2 (a
    compiled step of its own, or with l2_inside, a term of the per-sample loss)."""

    def __init__(
        self,
        weights: list[float],
        xs: Any,  # lists (or, for a batched step, numpy arrays too)
        ys: Any,
        batch: bool = False,
        numpy: bool | None = None,
        sizes: list[int] = SIZES,
        l2_inside: bool = False,
    ) -> None:
        self.model = model = nn.MLP(sizes[0], sizes[1:])
        self.params = params = model.parameters()
        for p, w in zip(params, weights, strict=True):
            p.data = w
        self.optimizer = nn.SGD(params, lr=learning_rate(0))
        self.xs, self.ys = xs, ys

        def l2() -> Any:  # as ChainruleStep writes it, so that the floats are the same
            return ALPHA * sum(p * p for p in params)

        if batch and l2_inside:  # the mean over the samples of (hinge + L2) is the same loss
            both = compile_grad(
                lambda x, y: nn.hinge_loss(model(x), y) + l2(), params, batch="mean", numpy=numpy
            )
            self.loss: Callable[[], float] = lambda: both(xs, ys)
        elif batch:
            data = compile_grad(
                lambda x, y: nn.hinge_loss(model(x), y), params, batch="mean", numpy=numpy
            )
            reg = compile_grad(l2, params)
            self.loss = lambda: data(xs, ys) + reg()
        else:
            whole = compile_grad(
                lambda xs, ys: nn.hinge_loss([model(x) for x in xs], ys) + l2(), params
            )
            self.loss = lambda: whole(xs, ys)

    def __call__(self, k: int) -> float:
        self.optimizer.zero_grad()
        loss = self.loss()
        self.optimizer.lr = learning_rate(k)
        self.optimizer.step()
        return loss


WAYS: dict[str, str] = {
    "eager": "demo step, eager engine",
    "compiled": "demo step, compile_grad (whole step replayed)",
    "numpy": "demo step, compile_grad batch='mean', numpy",
    "loop": "demo step, compile_grad batch='mean', Python loop",
}


def _make(name: str, weights: list[float], xs: list[list[float]], ys: list[int]) -> Step:
    if name == "eager":
        return ChainruleStep(weights, xs, ys)
    if name == "compiled":
        return CompiledStep(weights, xs, ys)
    return CompiledStep(weights, xs, ys, batch=True, numpy=None if name == "numpy" else False)


def run(blocks: int, steps_per_block: int) -> list[Row]:
    """The four ways, micrograd and the floor taking turns block by block; then one row per
    compiled way for its first call (trace, generate, compile)."""
    xs, ys = make_moons()
    weights = initial_weights()
    steps: dict[str, Step] = {name: _make(name, weights, xs, ys) for name in WAYS}
    steps["micrograd"] = MicrogradStep(weights, xs, ys)
    steps["floor"] = FloatStep(weights, xs, ys)
    losses: dict[str, list[float]] = {name: [] for name in steps}
    first: dict[str, float] = {}
    for name, step in steps.items():  # step 0 outside the timing: the compiled ones trace here
        start = clock()
        losses[name].append(step(0))
        first[name] = clock() - start
    cases: dict[str, Case] = {
        name: functools.partial(_block, step, losses[name], steps_per_block)
        for name, step in steps.items()
    }
    samples = interleave(cases, blocks)
    reference = losses["floor"]
    for name, trajectory in losses.items():
        worst = max(abs(a - b) / abs(b) for a, b in zip(trajectory, reference, strict=True))
        if worst > 1e-9:
            raise AssertionError(f"{name} left the floor's loss trajectory")
    if losses["compiled"] != losses["eager"]:
        raise AssertionError("the compiled step's losses are not the eager engine's, bit for bit")
    rows = []
    for name, workload in WAYS.items():
        row = Row(workload, "1 step", {"chainrule": samples[name]})
        row.samples["micrograd"] = samples["micrograd"]
        row.samples["floor"] = samples["floor"]
        rows.append(row)
    rows[0].note = (
        f"{len(reference)} steps, loss {reference[0]:.6f} -> {reference[-1]:.6f}, the same "
        f"for every way (relative difference <= 1e-9); compile_grad's whole step gives the "
        f"eager engine's losses bit for bit"
    )
    for name in ("compiled", "numpy", "loop"):
        what = "the whole step's 8,500 nodes" if name == "compiled" else "one sample's graph"
        rows.append(
            Row(
                f"{WAYS[name]}: one-time cost of the first call (trace, generate, compile)",
                what,
                {"chainrule": [first[name]]},
            )
        )
    rows[-1].note = (
        "the first call's CPU time, which also runs the step once (its later calls: the rows "
        "above); the batched ways' include the L2 step's trace. NOTE: not minus an eager step's "
        "time, as it was: that difference of two single samples came out negative"
    )
    return rows


def run_scaling(
    sizes: list[int], repeats: int, micrograd_up_to: int = 100, note: bool = True
) -> list[Row]:
    """The batched steps against the floor (and micrograd, on small batches) as the batch grows.
    The per-unit column is the cost per sample."""
    rows = []
    for n in sizes:
        xs, ys = make_moons(n)
        weights = initial_weights()
        steps: dict[str, Step] = {name: _make(name, weights, xs, ys) for name in ("numpy", "loop")}
        steps["floor"] = FloatStep(weights, xs, ys)
        if n <= micrograd_up_to:
            steps["micrograd"] = MicrogradStep(weights, xs, ys)
        losses: dict[str, list[float]] = {name: [step(0)] for name, step in steps.items()}
        cases: dict[str, Case] = {
            name: functools.partial(_block, step, losses[name], 1) for name, step in steps.items()
        }
        samples = interleave(cases, repeats)
        for name in ("numpy", "loop"):
            row = Row(
                f"{WAYS[name]}, batch of N points", f"N = {n:,}", {"chainrule": samples[name]}
            )
            row.samples["floor"] = samples["floor"]
            if "micrograd" in samples:
                row.samples["micrograd"] = samples["micrograd"]
            row.per = n
            rows.append(row)
    if note:
        rows[
            -1
        ].note = "per unit: per sample; micrograd only up to 100 points (about 1 s a step there)"
    return rows
