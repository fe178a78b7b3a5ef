"""benchmarks/c_anchor.py: the C anchor's generator gives the eager engine's floats.

Nothing here times anything (`make bench` does). The tests that compile are skipped where no C
compiler is installed: the anchor is a benchmark, and chainrule itself needs no compiler.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

import pytest

from autograd import Value, dot
from benchmarks import c_anchor
from benchmarks.demo_step import ChainruleStep, initial_weights, make_moons

COMPILER = c_anchor.c_compiler()
needs_cc = pytest.mark.skipif(COMPILER is None, reason="no C compiler (cc) on the PATH")

Doubles = ctypes.c_double * 6
CFunction = Any  # a function of a library ctypes loaded


def tiny(w: Sequence[Value], x: Sequence[Value]) -> Value:
    """Every op the anchor writes: dot with and without a bias, relu, + and *, a node used
    twice (h * h) and a constant."""
    h = dot(w[0:2], x, w[2]).relu()
    k = dot(w[3:5], x).relu()
    return h * h + k * w[5] + 0.5


def eager(ws: list[float], xs: list[float]) -> tuple[float, list[float]]:
    w = [Value(v) for v in ws]
    out = tiny(w, [Value(v) for v in xs])
    out.backward()
    return out.data, [p.grad for p in w]


def call(f: CFunction, ws: list[float], xs: list[float]) -> tuple[float, list[float]]:
    gw = Doubles()
    value = f(Doubles(*ws), (ctypes.c_double * 2)(*xs), 1.0, gw)
    return value, list(gw)


@pytest.fixture(scope="module")
def tiny_c() -> CFunction:
    """tiny's graph, traced where both relus pass, as a C function."""
    assert COMPILER is not None
    w = [Value(v) for v in (0.5, -1.25, 0.1, 2.0, -0.75, 3.0)]
    x = [Value(1.0), Value(-0.5)]
    library = c_anchor.compile_library(c_anchor.c_function("f", tiny(w, x), w, x), COMPILER)
    f = library.f
    array = ctypes.POINTER(ctypes.c_double)
    f.argtypes = [array, array, ctypes.c_double, array]
    f.restype = ctypes.c_double
    return f


# Where it was traced; where the first relu is off (its input -0.4 < 0); where the second sits
# on its kink (input exactly 0, relu'(0) = 0).
POINTS = [
    ([0.5, -1.25, 0.1, 2.0, -0.75, 3.0], [1.0, -0.5]),
    ([0.5, 1.25, 0.1, 2.0, -0.75, 3.0], [1.0, 0.8]),
    ([0.5, -1.25, 0.1, 0.75, 2.0, -3.0], [2.0, -0.75]),
]


@needs_cc
@pytest.mark.parametrize(("ws", "xs"), POINTS)
def test_c_function_gives_eagers_value_and_gradients_bit_for_bit(
    tiny_c: CFunction, ws: list[float], xs: list[float]
) -> None:
    assert call(tiny_c, ws, xs) == eager(ws, xs)


@needs_cc
def test_c_functions_gradient_matches_central_differences(tiny_c: CFunction) -> None:
    ws, xs = POINTS[1]  # away from the kinks
    _, gradient = call(tiny_c, ws, xs)
    eps = 1e-6
    for j in range(len(ws)):
        up, down = list(ws), list(ws)
        up[j] += eps
        down[j] -= eps
        slope = (call(tiny_c, up, xs)[0] - call(tiny_c, down, xs)[0]) / (2 * eps)
        assert gradient[j] == pytest.approx(slope, rel=1e-6, abs=1e-8)


@needs_cc
def test_c_function_adds_seed_times_the_gradient(tiny_c: CFunction) -> None:
    ws, xs = POINTS[0]
    gw = Doubles(*[1.0] * 6)
    tiny_c(Doubles(*ws), (ctypes.c_double * 2)(*xs), 0.25, gw)
    assert list(gw) == [1.0 + 0.25 * g for g in eager(ws, xs)[1]]


def test_an_op_without_a_c_form_is_refused_by_name() -> None:
    x = Value(0.5)
    with pytest.raises(NotImplementedError, match="'exp'"):
        c_anchor.c_function("f", (x * 2.0).exp(), [x])


@needs_cc
@pytest.mark.parametrize("whole", [False, True])
def test_c_step_follows_the_eager_demo_step(whole: bool) -> None:
    """The demo step on 4 points: the C step's losses are the eager engine's to 1e-12 (the
    per-sample loop adds the samples' gradients in another order), bit for bit as one graph."""
    xs, ys = make_moons(4)
    weights = initial_weights()
    assert COMPILER is not None
    c_step = c_anchor.CStep(weights, xs, ys, whole=whole, compiler=COMPILER)
    eager_step = ChainruleStep(weights, xs, ys)
    ours = [c_step(k) for k in range(4)]
    theirs = [eager_step(k) for k in range(4)]
    if whole:
        assert ours == theirs
    else:
        assert ours == pytest.approx(theirs, rel=1e-12)
    assert len(set(ours)) == len(ours)  # the weights moved at every step
