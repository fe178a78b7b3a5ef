"""Random expression graphs, with reused nodes, against finite differences and PyTorch float64.

A graph is a small program: each instruction applies an op to earlier nodes picked at random,
so nodes are shared by later ones (fan-out) and an input may reach the output along many paths.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd import Value, dot, grad, gradcheck, primitive, tanh
from tests.conftest import floats_in
from tests.op_cases import softplus

# Users' own primitives, one with a constant, beside the built-in ops: on tensors, the same
# function written with torch's ops.
scaled_tanh = primitive(
    "scaled_tanh",
    lambda x, *, k: k * math.tanh(x),
    lambda g, out, x, *, k: (g * k * (1.0 - tanh(x) * tanh(x)),),
)


def user_softplus(a: Any) -> Any:
    return softplus(a) if isinstance(a, Value) else a.exp().log1p()


def user_scaled_tanh(a: Any) -> Any:
    return scaled_tanh(a, k=1.5) if isinstance(a, Value) else 1.5 * a.tanh()


# Each op is written once and runs on chainrule Values and on torch tensors alike.
UNARY: dict[str, Callable[[Any], Any]] = {
    "neg": lambda a: -a,
    "square": lambda a: a**2,
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "sin": lambda a: a.sin(),
    "cos": lambda a: a.cos(),
    "exp_of_tanh": lambda a: a.tanh().exp(),
    "log_of_1_plus_square": lambda a: (1 + a * a).log(),
    "sqrt_of_1_plus_square": lambda a: (1 + a * a).sqrt(),
    "inverse_of_1_plus_square": lambda a: 2 / (1 + a * a),
    "softplus": user_softplus,
    "scaled_tanh": user_scaled_tanh,
}
KINKED: dict[str, Callable[[Any], Any]] = {
    "relu": lambda a: a.relu(),
    "abs": lambda a: a.abs(),
}


def weighted_sum(ws: list[Any], xs: list[Any], bias: Any = None) -> Any:
    """dot() on Values; the same sum of products (after the bias), op by op, on tensors."""
    if isinstance(ws[0], Value):
        return dot(ws, xs, bias)
    return sum((w * x for w, x in zip(ws, xs)), 0.0 if bias is None else bias)


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "dot": lambda a, b: weighted_sum([a, b, a], [b, 0.5, a]),
    "dot_with_bias": lambda a, b: weighted_sum([b, a], [a, -1.5], bias=b),
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1 + b * b),
    "div_raw": lambda a, b: a / (b.sigmoid() + 0.25),
    # NOTE: an exponent that is never exactly 0: there PyTorch's higher derivatives of x ** y
    # drop terms (it masks d/dx to a constant 0), where chainrule's are the true ones (see
    # test_primitives.py and docs/edges.md).
    "pow": lambda a, b: (1 + a * a) ** (b.tanh() + 0.5),
}

Program = tuple[list[float], list[tuple[str, int, int]]]


@st.composite
def programs(draw: st.DrawFn, kinks: bool = False) -> Program:
    n_inputs = draw(st.integers(1, 4))
    inputs = draw(st.lists(floats_in(-2, 2), min_size=n_inputs, max_size=n_inputs))
    unary = sorted(UNARY) + (sorted(KINKED) if kinks else [])
    steps = []
    for k in range(draw(st.integers(1, 25))):
        n_nodes = n_inputs + k
        if draw(st.booleans()):
            op = draw(st.sampled_from(sorted(BINARY)))
        else:
            op = draw(st.sampled_from(unary))
        steps.append((op, draw(st.integers(0, n_nodes - 1)), draw(st.integers(0, n_nodes - 1))))
    return inputs, steps


def run(program: Program, xs: list[Any]) -> Any:
    """Evaluate the program on xs (Values or tensors); the output sums the last three nodes."""
    nodes = list(xs)
    for op, i, j in program[1]:
        if op in BINARY:
            nodes.append(BINARY[op](nodes[i], nodes[j]))
        else:
            nodes.append({**UNARY, **KINKED}[op](nodes[i]))
    out = nodes[-1]
    for node in nodes[-3:-1]:
        out = out + node
    return out


def reasonable(v: Value) -> bool:
    return math.isfinite(v.data) and abs(v.data) < 1e6


@given(programs())
def test_random_graphs_match_finite_differences(program: Program) -> None:
    inputs = program[0]
    assume(reasonable(run(program, [Value(x) for x in inputs])))
    assert gradcheck(lambda *xs: run(program, list(xs)), inputs, atol=1e-5, rtol=1e-4)


@given(programs())
def test_backward_and_grad_agree_on_random_graphs(program: Program) -> None:
    xs = [Value(x) for x in program[0]]
    out = run(program, xs)
    assume(reasonable(out))
    firsts = grad(out, xs)
    out.backward()
    # backward() accumulates one copy per call; grad() left .grad alone.
    assert [x.grad for x in xs] == [g.data for g in firsts]
    out.backward()
    assert [x.grad for x in xs] == [2 * g.data for g in firsts]


@given(programs(kinks=True))
def test_random_graphs_match_pytorch_float64(program: Program) -> None:
    torch = pytest.importorskip("torch")
    xs = [Value(x) for x in program[0]]
    out = run(program, xs)
    assume(reasonable(out))
    out.backward()

    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in program[0]]
    t_out = run(program, ts)
    t_grads = torch.autograd.grad(t_out, ts, allow_unused=True)

    assert out.data == pytest.approx(t_out.item(), rel=1e-12, abs=1e-12)
    for x, t_grad in zip(xs, t_grads):
        expected = 0.0 if t_grad is None else t_grad.item()
        assert x.grad == pytest.approx(expected, rel=1e-9, abs=1e-9)


@given(programs())
def test_random_graphs_second_derivatives_match_pytorch(program: Program) -> None:
    torch = pytest.importorskip("torch")
    xs = [Value(x) for x in program[0]]
    out = run(program, xs)
    assume(reasonable(out))
    firsts = grad(out, xs, create_graph=True)
    hessian = [[h.data for h in grad(first, xs)] for first in firsts]

    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in program[0]]
    t_firsts = torch.autograd.grad(run(program, ts), ts, create_graph=True, allow_unused=True)
    for i, t_first in enumerate(t_firsts):
        for j in range(len(ts)):
            if t_first is None or not t_first.requires_grad:
                expected = 0.0
            else:
                t_second = torch.autograd.grad(t_first, ts[j], retain_graph=True, allow_unused=True)
                expected = 0.0 if t_second[0] is None else t_second[0].item()
            assert hessian[i][j] == pytest.approx(expected, rel=1e-8, abs=1e-8), (i, j)


def derivatives_to_third_order(program: Program) -> tuple[list[Any], list[Any]]:
    """Every derivative of the output up to the third, chainrule's and torch's, in one order:
    d/dx_i, then d2/dx_i dx_j, then d3/dx_i dx_j dx_k (i <= j <= k)."""
    torch = pytest.importorskip("torch")
    xs = [Value(x) for x in program[0]]
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in program[0]]
    ours: list[Any] = []
    theirs: list[Any] = []
    n = len(xs)
    for indices in itertools.chain.from_iterable(
        itertools.combinations_with_replacement(range(n), order) for order in (1, 2, 3)
    ):
        ours.append(nth_derivative(run(program, xs), xs, indices))
        theirs.append(torch_nth_derivative(torch, run(program, ts), ts, indices))
    return ours, theirs


def nth_derivative(out: Value, xs: list[Value], indices: tuple[int, ...]) -> float:
    d = out
    for i in indices:
        d = grad(d, [xs[i]], create_graph=True)[0]
    return d.data


def torch_nth_derivative(torch: Any, out: Any, ts: list[Any], indices: tuple[int, ...]) -> float:
    d = out
    for i in indices:
        if not d.requires_grad:
            return 0.0
        (d,) = torch.autograd.grad(d, ts[i], create_graph=True, allow_unused=True)
        if d is None:
            return 0.0
    return float(d.item())


def check_third_order(program: Program) -> None:
    assume(reasonable(run(program, [Value(x) for x in program[0]])))
    ours, theirs = derivatives_to_third_order(program)
    assume(all(math.isfinite(t) and abs(t) < 1e6 for t in theirs))
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert a == pytest.approx(b, rel=1e-7, abs=1e-7), (k, a, b)


@settings(max_examples=30)
@given(programs(kinks=True))
def test_random_graphs_third_derivatives_match_pytorch(program: Program) -> None:
    check_third_order(program)


# `make fuzz` runs this; a plain `pytest` (and CI) deselects it (see pyproject's markers).
FUZZ_GRAPHS = 10_000


@pytest.mark.fuzz
@settings(max_examples=FUZZ_GRAPHS, derandomize=False, database=None)
@given(programs(kinks=True))
def test_fuzz_random_graphs_against_pytorch_to_third_order(program: Program) -> None:
    check_third_order(program)
