"""The anchor: micrograd's demo step as C, compiled by the machine's C compiler.

tekknolagi/micrograd (Max Bernstein's fork of micrograd; its branch mb-mnist) writes a scalar
graph out as straight-line C: a variable per node, the forward pass in topological order, the
backward pass in reverse with one `grad += term` per edge, and the SGD update, compiled into a
CPython extension. Its graph is one sample's (an MNIST image's), run per sample from Python.
The issue quotes it at about 11,700 times micrograd on the demo step (85 µs). We run none of
its code and copy none (it is a script built on its own fork of micrograd's Value and on
distutils): this file is a short generator of the same kind, our own, for chainrule's graph,
so that `make bench` has a compiled reference to measure chainrule's steps against.

- `c_function(name, root, params, inputs)` writes one graph as a C function: its value and,
  walking the same reverse topological order as the engine's backward pass, its gradient.
- `CStep` is the step of benchmarks/demo_step.py (MLP(2, [16, 16, 1]), mean hinge loss, 1e-4
  L2, SGD with micrograd's schedule) from chainrule's graph: one sample's graph in a C loop
  over the points (any number of them), or with `whole=True` the whole step's graph, every
  point in it, as one straight-line function (8,500 nodes and 75,000 lines at 100 points).
  Compiled with `cc` and the flags below, loaded with ctypes; the parameters live in a C array
  for the whole run (as in tekknolagi's), and a step is one call.

NOTE: the C forms of the four ops the demo uses (+, *, relu, dot) are the engine's forwards
and rules (autograd/primitives.py) written out a second time, in C. That is the point of an
anchor: what a compiler makes of the same arithmetic. Any other op raises NotImplementedError.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import nn
from autograd import Value, topological_order
from autograd.primitives import dot_parts
from benchmarks.compiled_step import CompiledStep
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
from benchmarks.harness import Case, Row, interleave
from benchmarks.numpy_step import HandNumpyStep

# NOTE: -ffp-contract=off keeps every a * b + c two roundings, as Python's floats are: a
# compiler free to fuse them into one FMA (the default on arm64, or with -march=native) would
# leave the eager engine's losses in the last bits.
C_FLAGS = ["-O2", "-ffp-contract=off", "-shared", "-fPIC"]

Step = Callable[[int], float]


def c_compiler() -> str | None:
    """The C compiler `make bench` uses: `cc` on the PATH, or None."""
    return shutil.which("cc")


# ----- one graph as one C function ----------------------------------------------------------------


def _c_value(op: str, a: list[str]) -> str:
    """The node's value from its parents' variables `a`, in C."""
    if op == "+":
        return f"{a[0]} + {a[1]}"
    if op == "*":
        return f"{a[0]} * {a[1]}"
    if op == "relu":
        return f"{a[0]} <= 0.0 ? 0.0 : {a[0]}"  # NOTE: relu(nan) is nan, as the engine's
    if op == "dot":
        # b + w_1 x_1 + ... + w_n x_n, added left to right from the bias (0.0 without one).
        w, x, b = dot_parts(a)
        start = b[0] if b else "0.0"
        return " + ".join([start, *(f"{wi} * {xi}" for wi, xi in zip(w, x))])
    raise NotImplementedError(f"the C anchor has no C form of the op {op!r}")


def _c_terms(op: str, g: str, a: list[str]) -> list[str]:
    """The rule: one term per parent, from the node's gradient `g` and its parents' `a`."""
    if op == "+":
        return [g, g]
    if op == "*":
        return [f"{g} * {a[1]}", f"{g} * {a[0]}"]
    if op == "relu":
        return [f"({a[0]} <= 0.0 ? 0.0 : {g})"]  # NOTE: relu'(0) = 0, as the engine's
    if op == "dot":
        w, x, b = dot_parts(a)
        return [*(f"{g} * {xi}" for xi in x), *(f"{g} * {wi}" for wi in w), *([g] if b else [])]
    raise NotImplementedError(f"the C anchor has no C form of the op {op!r}")


def c_function(
    name: str, root: Value, params: Sequence[Value], inputs: Sequence[Value] = ()
) -> str:
    """C source of `double name(const double *w, const double *x, double seed, double *gw)`.

    It returns root's value computed from the parameters w[j] (for params[j]) and the inputs
    x[i] (for inputs[i]), and adds seed * d(root)/d(params[j]) into gw[j]. Every other leaf is
    a constant. Node k of topological_order(root) is the variable v<k>, its gradient g<k>.
    The backward pass walks the reverse order as the engine's does, a node's gradient starting
    at its first term, so the floats are the engine's.
    """
    order = topological_order(root)
    number = {node: k for k, node in enumerate(order)}
    param_index = {p: j for j, p in enumerate(params)}
    input_index = {x: i for i, x in enumerate(inputs)}
    lines = [f"double {name}(const double *w, const double *x, double seed, double *gw) {{"]
    for k, node in enumerate(order):
        parents = [f"v{number[p]}" for p in node._parents]
        if node in param_index:
            value = f"w[{param_index[node]}]"
        elif node in input_index:
            value = f"x[{input_index[node]}]"
        elif node._primitive is None:
            value = repr(node.data)
            if value in ("inf", "-inf", "nan"):
                raise NotImplementedError(f"the C anchor has no C form of the constant {value}")
        else:
            value = _c_value(node._primitive.name, parents)
        lines.append(f"    const double v{k} = {value};")
    lines.append(f"    double g{len(order) - 1} = seed;")
    has_gradient = {root}
    for node in reversed(order):
        if node._primitive is None:
            continue
        parents = [f"v{number[p]}" for p in node._parents]
        terms = _c_terms(node._primitive.name, f"g{number[node]}", parents)
        for parent, term in zip(node._parents, terms, strict=True):
            if parent._primitive is None and parent not in param_index:
                continue  # an input or a constant: its gradient reaches no parameter
            if parent in has_gradient:
                lines.append(f"    g{number[parent]} += {term};")
            else:
                has_gradient.add(parent)
                lines.append(f"    double g{number[parent]} = {term};")
    for p, j in param_index.items():
        if p in has_gradient:
            lines.append(f"    gw[{j}] += g{number[p]};")
    lines += [f"    return v{len(order) - 1};", "}"]
    return "\n".join(lines) + "\n\n"


# ----- the demo step as a C library ---------------------------------------------------------------

# One SGD step: zero the gradients, the loss and its gradients, w <- w - lr * gw. `data` holds
# the points as rows (x0, x1, y). Returns the loss before the update.
_STEP = """
double step(double *w, double *gw, const double *data, long n, double lr) {{
    for (long j = 0; j < {count}; j++) {{
        gw[j] = 0.0;
    }}
{loss}
    for (long j = 0; j < {count}; j++) {{
        w[j] -= lr * gw[j];
    }}
    return loss;
}}
"""

# The mean over the points of one sample's loss, then + the L2 term: as nn.hinge_loss sums
# its terms from the first, and multiplies by 1 / n, whose derivative is each term's seed.
_SAMPLE_LOOP = """\
    double total = 0.0;
    for (long i = 0; i < n; i++) {
        total += sample(w, data + 3 * i, 1.0 / n, gw);
    }
    double loss = total * (1.0 / n) + l2(w, data, 1.0, gw);"""


def demo_source(sizes: list[int] = SIZES, whole_points: int = 0) -> str:
    """C source of the demo step: one sample's graph in a loop, or (whole_points > 0) the whole
    step's graph on that many points, written out from chainrule's graph of it."""
    model = nn.MLP(sizes[0], sizes[1:])
    params = model.parameters()

    def point() -> list[Value]:  # x0, x1, y: leaves the C reads from a row of data
        return [Value(0.0), Value(0.0), Value(1.0)]

    def hinge(x0: Value, x1: Value, y: Value) -> Value:  # as nn.hinge_loss writes one term
        score: Any = model([x0, x1])
        return (1.0 - y * score).relu()

    def l2() -> Any:  # as benchmarks/demo_step.py writes it
        return ALPHA * sum(p * p for p in params)

    if whole_points:
        points = [point() for _ in range(whole_points)]
        terms = [hinge(*row) for row in points]
        root = sum(terms[1:], terms[0]) * (1.0 / len(terms)) + l2()
        inputs = [leaf for row in points for leaf in row]
        body = c_function("whole", root, params, inputs)
        loss = "    double loss = whole(w, data, 1.0, gw);"
    else:
        x = point()
        body = c_function("sample", hinge(*x), params, x) + c_function("l2", l2(), params)
        loss = _SAMPLE_LOOP
    return body + _STEP.format(count=len(params), loss=loss)


def compile_library(source: str, compiler: str) -> ctypes.CDLL:
    """source compiled with `compiler` and C_FLAGS into a shared library, loaded."""
    with tempfile.TemporaryDirectory() as folder:
        c_file, library = Path(folder) / "step.c", Path(folder) / "step.so"
        c_file.write_text(source)
        subprocess.run([compiler, *C_FLAGS, "-o", str(library), str(c_file)], check=True)
        return ctypes.CDLL(str(library))  # loaded: the file may go


def _cpu_with_children() -> float:
    """CPU seconds of this process and of the children it has waited for (the compiler)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class CStep:
    """The demo step as C: a step is one call of the library's `step`."""

    def __init__(
        self,
        weights: list[float],
        xs: list[list[float]],
        ys: list[int],
        whole: bool = False,
        sizes: list[int] = SIZES,
        compiler: str = "cc",
    ) -> None:
        start = _cpu_with_children()
        self.step = compile_library(demo_source(sizes, len(xs) if whole else 0), compiler).step
        self.first_call = _cpu_with_children() - start  # generating the C and compiling it
        self.step.restype = ctypes.c_double
        array = ctypes.POINTER(ctypes.c_double)
        self.step.argtypes = [array, array, array, ctypes.c_long, ctypes.c_double]
        self.w = (ctypes.c_double * len(weights))(*weights)
        self.gw = (ctypes.c_double * len(weights))()
        rows = [value for x, y in zip(xs, ys, strict=True) for value in (*x, y)]
        self.data = (ctypes.c_double * len(rows))(*rows)
        self.n = len(xs)

    def __call__(self, k: int) -> float:
        return float(self.step(self.w, self.gw, self.data, self.n, learning_rate(k)))


# ----- the rows of make bench ---------------------------------------------------------------------


def _worst(ours: list[float], reference: list[float]) -> float:
    return max(abs(a - b) / abs(b) for a, b in zip(ours, reference, strict=True))


def run(
    repeats: int,
    points: Sequence[int] = (100, 10_000),
    whole_up_to: int = 100,
    micrograd_up_to: int = 100,
) -> list[Row]:
    """The C steps beside chainrule's batched numpy step, the step in numpy by hand, the float
    floor and (on small batches) micrograd, taking turns; the C steps' losses are checked
    against the eager engine's first. The whole step's graph as one C function takes cc about
    100 s at 100 points."""
    compiler = c_compiler()
    if compiler is None:
        row = Row("anchor: the demo step compiled to C", "—")
        row.note = "not measured: no C compiler (`cc`) on the PATH"
        return [row]
    rows = []
    for n in points:
        xs, ys = make_moons(n)
        weights = initial_weights()
        steps: dict[str, Step] = {
            "C": CStep(weights, xs, ys, compiler=compiler),
            # as benchmarks/numpy_step.py runs it against numpy by hand
            "numpy": CompiledStep(
                weights, np.array(xs), np.array(ys), batch=True, numpy=True, l2_inside=True
            ),
            "hand numpy": HandNumpyStep(weights, xs, ys, SIZES),
            "floor": FloatStep(weights, xs, ys),
        }
        if n <= whole_up_to:
            steps["C, whole"] = CStep(weights, xs, ys, whole=True, compiler=compiler)
        if n <= micrograd_up_to:
            steps["micrograd"] = MicrogradStep(weights, xs, ys)
        # Two steps of each outside the timing (a compiled one traces in its first), and of
        # the eager engine, which the C steps must follow before anything is timed.
        losses = {name: [step(0), step(1)] for name, step in steps.items()}
        eager = ChainruleStep(weights, xs, ys)
        eager_losses = [eager(0), eager(1)]
        del eager
        against_eager: dict[str, float] = {
            name: _worst(losses[name], eager_losses) for name in ("C", "C, whole") if name in losses
        }
        for name, worst in against_eager.items():
            if worst > 1e-9:
                raise AssertionError(f"{name} left the eager engine's losses at {n} points")
        cases: dict[str, Case] = {
            name: functools.partial(_block, step, losses[name], 3 if n <= 1_000 else 1)
            for name, step in steps.items()
        }
        samples = interleave(cases, repeats)
        for name, trajectory in losses.items():
            if _worst(trajectory, losses["floor"]) > 1e-9:
                raise AssertionError(f"{name} left the floor's loss trajectory at {n} points")
        rows += _rows(n, samples, steps)
        checked = ", ".join(f"{name} {worst:.0e}" for name, worst in against_eager.items())
        rows[-1].note = (
            f"{len(losses['C'])} steps, loss {losses['C'][0]:.6f} -> {losses['C'][-1]:.6f}, "
            f"every step's loss the float floor's (relative difference <= 1e-9); the first two "
            f"against the eager engine's: {checked}"
        )
    return rows


def _rows(n: int, samples: dict[str, list[float]], steps: dict[str, Any]) -> list[Row]:
    """The C steps with the peers beside them, in the chainrule column (they are the anchor,
    not chainrule's engine); the batched numpy step against the C loop; the compile times."""
    size = f"N = {n:,}"
    flags = " ".join(C_FLAGS[:2])
    peers: dict[str, list[float]] = {
        key: samples[key] for key in ("micrograd", "floor") if key in samples
    }
    rows = [
        Row(
            f"anchor: demo step as C (benchmarks/c_anchor.py, cc {flags}), one sample's graph "
            f"in a C loop",
            size,
            {"chainrule": samples["C"], **peers},
            per=n,
        )
    ]
    if "C, whole" in samples:
        rows.append(
            Row(
                f"anchor: demo step as C (cc {flags}), the whole step's graph as one function",
                size,
                {"chainrule": samples["C, whole"], **peers},
            )
        )
    numpy_row = Row(
        "batched numpy step (compile_grad batch='mean', numpy), the C loop in the floor column",
        size,
        {"chainrule": samples["numpy"], "floor": samples["C"]},
        per=n,
    )
    if "micrograd" in samples:
        numpy_row.samples["micrograd"] = samples["micrograd"]
    rows.append(numpy_row)
    rows.append(
        Row(
            "the step vectorized by hand in numpy (benchmarks/numpy_step.py), the C loop in the "
            "floor column",
            size,
            {"chainrule": samples["hand numpy"], "floor": samples["C"]},
            per=n,
        )
    )
    for name, what in (("C", "the C loop"), ("C, whole", "the whole step as C")):
        if name in steps:
            cost = Row(
                f"anchor, {what}: one-time cost (writing the C, cc, loading it)",
                size,
                {"chainrule": [steps[name].first_call]},
            )
            rows.append(cost)
    return rows
