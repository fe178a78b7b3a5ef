"""The engine: every op's value and derivatives, graph shapes, the contract's numerics and
bad input."""

from __future__ import annotations

import copy
import inspect
import math
import pickle
import sys
import threading
from collections.abc import Callable
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd
from autograd import (
    Value,
    data_and_grads,
    detect_anomaly,
    dot,
    enable_grad,
    grad,
    has_grad,
    no_grad,
    set_data,
    topological_order,
)
from autograd.primitives import PRIMITIVES, Primitive
from tests.conftest import floats_in
from tests.op_cases import OP_CASES, ROW_CASES, OpCase

H = 1e-4  # finite-difference step on the float references


def points(case: OpCase) -> st.SearchStrategy[tuple[float, ...]]:
    return st.tuples(*(floats_in(lo, hi) for lo, hi in case.domain)).filter(
        lambda xs: not case.avoid(*xs)
    )


def shifted(xs: tuple[float, ...], i: int, h: float) -> list[float]:
    ys = list(xs)
    ys[i] += h
    return ys


def close(a: float, b: float, tol: float = 1e-4) -> bool:
    return abs(a - b) <= tol * (1 + abs(b))


# ----- the op table ------------------------------------------------------------------------------


def test_every_public_op_is_in_the_table() -> None:
    covered = {name for case in OP_CASES for name in case.covers}
    dunders = {
        "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
        "__truediv__", "__rtruediv__", "__pow__", "__rpow__", "__neg__", "__abs__",
    }  # fmt: skip
    methods = {
        name
        for name, attr in vars(Value).items()
        if callable(attr)
        and not name.startswith("_")
        and name not in ("backward", "detach", "item")
    }
    # The ops that are functions of Values rather than methods (dot, maximum): every public
    # function of the engine but the ones that make no node of their own.
    not_ops = {
        "grad",
        "primitive",
        "as_value",
        "has_grad",
        "topological_order",
        "zero_grads",
        "data_and_grads",
        "set_data",
        "held_arrays",
    }
    functions = {
        name
        for name in autograd.__all__
        if inspect.isfunction(getattr(autograd, name))
        and getattr(autograd, name).__module__ == "autograd.engine"
        and name not in not_ops
    }
    ops = {name for name in vars(Value) if name in dunders} | methods | functions
    assert ops >= {"exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "sin", "cos", "dot"}
    assert ops >= dunders
    assert ops - covered == set(), f"ops missing from tests/op_cases.py: {ops - covered}"


def test_every_row_of_the_table_of_primitives_is_reached_by_an_op_case() -> None:
    reached: set[Primitive] = set()
    for case in OP_CASES:
        xs = [Value((lo + hi) / 2 + 0.25) for lo, hi in case.domain]
        for node in topological_order(case.call(*xs)):
            op = node._primitive
            if op is not None:
                forward = getattr(op.forward, "func", op.forward)  # a row with constants bound
                reached |= {row for row in PRIMITIVES if row.forward is forward}
    assert set(PRIMITIVES) - reached == set()
    assert len(ROW_CASES) == len(PRIMITIVES)


@pytest.mark.parametrize("case", OP_CASES, ids=lambda c: c.name)
def test_op_value(case: OpCase) -> None:
    @given(points(case))
    def check(xs: tuple[float, ...]) -> None:
        out = case.call(*[Value(x) for x in xs])
        assert isinstance(out, Value)
        assert isinstance(out.data, float)
        assert close(out.data, case.reference(*xs), 1e-12)

    check()


@pytest.mark.parametrize("case", OP_CASES, ids=lambda c: c.name)
def test_op_first_derivative_matches_central_differences(case: OpCase) -> None:
    @given(points(case))
    def check(xs: tuple[float, ...]) -> None:
        vs = [Value(x) for x in xs]
        case.call(*vs).backward()
        for i in range(len(xs)):
            numeric = (case.reference(*shifted(xs, i, H)) - case.reference(*shifted(xs, i, -H))) / (
                2 * H
            )
            assert close(vs[i].grad, numeric), (i, vs[i].grad, numeric)

    check()


@pytest.mark.parametrize("case", OP_CASES, ids=lambda c: c.name)
def test_op_second_derivative_through_create_graph(case: OpCase) -> None:
    @given(points(case))
    def check(xs: tuple[float, ...]) -> None:
        vs = [Value(x) for x in xs]
        firsts = grad(case.call(*vs), vs, create_graph=True)
        f = case.reference
        for i in range(len(xs)):
            seconds = grad(firsts[i], vs)
            for j in range(len(xs)):
                if i == j:
                    numeric = (f(*shifted(xs, i, H)) - 2 * f(*xs) + f(*shifted(xs, i, -H))) / H**2
                else:
                    pp = shifted(shifted(xs, i, H), j, H)
                    pm = shifted(shifted(xs, i, H), j, -H)
                    mp = shifted(shifted(xs, i, -H), j, H)
                    mm = shifted(shifted(xs, i, -H), j, -H)
                    numeric = (f(*pp) - f(*pm) - f(*mp) + f(*mm)) / (4 * H**2)
                assert close(seconds[j].data, numeric, 1e-3), (i, j, seconds[j].data, numeric)

    check()


def test_third_derivative() -> None:
    x = Value(0.7)
    y = x.sin() * x**3
    d1, = grad(y, [x], create_graph=True)  # fmt: skip
    d2, = grad(d1, [x], create_graph=True)  # fmt: skip
    d3, = grad(d2, [x])  # fmt: skip
    # d3/dx3 (x^3 sin x) = 6 sin x + 18 x cos x - 9 x^2 sin x - x^3 cos x
    s, c, v = math.sin(0.7), math.cos(0.7), 0.7
    assert d3.data == pytest.approx(6 * s + 18 * v * c - 9 * v**2 * s - v**3 * c, rel=1e-12)


# ----- graph shapes ------------------------------------------------------------------------------


def test_node_used_twice_in_one_op() -> None:
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_reused_intermediate_accumulates_every_use() -> None:
    a = Value(2.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    assert b.grad == 2.0
    assert c.grad == 1.0


def test_constants_get_no_say_but_their_neighbours_do() -> None:
    x = Value(2.0)
    y = 3 * x + 1 - x / 4
    y.backward()
    assert x.grad == pytest.approx(3 - 0.25)


def test_subtracting_a_number_adds_its_negation_as_one_constant() -> None:
    x = Value(2.0)
    y = x - 0.5
    assert y._op == "+"
    assert y._parents[0] is x
    (constant,) = (p for p in y._parents if p is not x)
    assert constant.data == -0.5 and constant._parents == ()
    assert len(autograd.engine.topological_order(y)) == 3
    assert (x - 3).data == -1.0  # an int is a number too
    with pytest.raises(TypeError, match=r"operand of -.*str"):
        x - "1"  # type: ignore[operator]


def test_backward_reaches_intermediates() -> None:
    x = Value(0.5)
    h = x.tanh()
    y = h * h
    y.backward()
    assert h.grad == pytest.approx(2 * math.tanh(0.5))
    assert y.grad == 1.0


def test_second_backward_adds_exactly_one_more_copy() -> None:
    x = Value(3.0)
    z = x * x
    y = z * z
    y.backward()
    assert x.grad == 108.0
    y.backward()
    assert x.grad == 216.0
    assert z.grad == 36.0


def test_backward_through_an_intermediate_after_the_output() -> None:
    # The second pass starts at z, whose .grad already holds 18 from y's pass: a pass that read
    # accumulated .grad values (micrograd's bug) would send 18 * 6 instead of 1 * 6 to x.
    x = Value(3.0)
    z = x * x
    y = z * z
    y.backward()
    z.backward()
    assert x.grad == 108.0 + 6.0


def test_shared_subgraph_with_two_losses() -> None:
    x = Value(0.3)
    w = Value(-1.2)
    h = (x * w).tanh()
    loss1 = h * h
    loss2 = h + x
    loss1.backward()
    loss2.backward()
    t = math.tanh(0.3 * -1.2)
    dh = 2 * t + 1
    assert w.grad == pytest.approx(dh * (1 - t**2) * 0.3)
    assert x.grad == pytest.approx(dh * (1 - t**2) * -1.2 + 1)


def test_parents_are_an_ordered_tuple_keeping_both_edges() -> None:
    x = Value(1.0)
    y = Value(2.0)
    assert (x * x)._parents == (x, x)
    assert (y * x)._parents == (y, x)


def test_topological_order_lists_each_node_once_after_its_parents() -> None:
    a = Value(1.0)
    b = a * 2
    c = a + b
    d = c * b + a
    order = topological_order(d)
    assert len(order) == len(set(order))
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        for parent in node._parents:
            assert position[parent] < position[node]
    assert order[-1] is d
    assert a in position and b in position and c in position


def test_topological_order_when_a_node_is_reached_along_two_paths() -> None:
    # a is a parent of out directly and through b, and a is not a leaf. A walk that marks a
    # node as seen when it is pushed, rather than when it is opened, lists b before a.
    a = Value(0.5).cos()
    b = a**-1
    out = a * b
    order = topological_order(out)
    position = {node: i for i, node in enumerate(order)}
    assert len(position) == len(order) == 4
    for node in order:
        for parent in node._parents:
            assert position[parent] < position[node]


@pytest.mark.slow
def test_a_million_deep_chain() -> None:
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.000001
    y.backward()
    assert x.grad == pytest.approx(1.000001**1_000_000, rel=1e-9)
    dx, = grad(y, [x])  # fmt: skip
    assert dx.data == x.grad


# ----- grad, no_grad, detach ---------------------------------------------------------------------


def test_grad_leaves_grad_fields_untouched() -> None:
    x = Value(2.0)
    y = x * x + x
    dx, = grad(y, [x])  # fmt: skip
    assert dx.data == 5.0
    assert x.grad == 0.0
    assert y.grad == 0.0
    assert not has_grad(x) and not has_grad(y)  # not a 0.0 written: no pass reached them


def test_grad_of_an_unrelated_input_is_zero() -> None:
    x = Value(2.0)
    u = Value(5.0)
    for create_graph in (False, True):
        dx, du = grad(x * 3, [x, u], create_graph=create_graph)
        assert dx.data == 3.0
        assert isinstance(du, Value)
        assert du.data == 0.0


def test_grad_without_create_graph_returns_leaves() -> None:
    x = Value(2.0)
    dx, = grad(x * x, [x])  # fmt: skip
    assert dx._parents == ()


def test_grad_refuses_non_values() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"inputs\[1\].*float"):
        grad(x * 2, [x, 1.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"output.*float"):
        grad(2.0, [x])  # type: ignore[arg-type]


def test_hessian_of_a_two_variable_function() -> None:
    x = Value(1.5)
    y = Value(-0.5)
    f = x**2 * y + y.exp() * x
    dx, dy = grad(f, [x, y], create_graph=True)
    hxx, hxy = grad(dx, [x, y])
    hyx, hyy = grad(dy, [x, y])
    assert hxx.data == pytest.approx(2 * -0.5)
    assert hxy.data == pytest.approx(2 * 1.5 + math.exp(-0.5))
    assert hyx.data == pytest.approx(hxy.data)
    assert hyy.data == pytest.approx(math.exp(-0.5) * 1.5)


def test_no_grad_records_no_history() -> None:
    x = Value(2.0)
    with no_grad():
        y = (x * 3).tanh() + 1
    assert y._parents == ()
    assert (x * 3)._parents != ()


def test_backward_on_a_value_made_under_no_grad_says_so_and_changes_nothing() -> None:
    # PyTorch raises RuntimeError ("element 0 of tensors does not require grad") here.
    x = Value(2.0)
    with no_grad():
        y = (x * 3).tanh() + 1
    with pytest.raises(RuntimeError, match=r"computed under no_grad\(\).*Compute it outside"):
        y.backward()
    assert (x.grad, y.grad) == (0.0, 0.0)
    assert not has_grad(x) and not has_grad(y)
    # Used as a leaf of a graph made with grad on, it receives its gradient as any leaf.
    z = y * y
    z.backward()
    assert y.grad == 2 * y.data
    y.grad = 0.0
    y.backward()  # once a pass or the user has set its grad, it is a leaf like any other
    assert y.grad == 1.0
    Value(5.0).backward()  # a leaf made by Value() is no such case
    with no_grad():
        d = x.detach()
    d.backward()
    assert d.grad == 1.0


@pytest.mark.parametrize(
    "copy_of", [copy.deepcopy, copy.copy, lambda v: pickle.loads(pickle.dumps(v))]
)
def test_a_copy_has_a_grad_exactly_when_the_original_has(copy_of: Callable[[Value], Value]) -> None:
    fresh, reached = Value(1.5), Value(2.0)
    (reached * 3).backward()
    with no_grad():
        unrecorded = fresh * 2
    copies = [copy_of(v) for v in (fresh, reached, unrecorded)]
    assert [has_grad(c) for c in copies] == [False, True, False]
    assert [c.grad for c in copies] == [0.0, 3.0, 0.0]
    with pytest.raises(RuntimeError, match="computed under no_grad"):
        copies[2].backward()  # as the original would
    copies[0].backward()
    assert has_grad(copies[0]) and not has_grad(fresh)


@pytest.mark.parametrize(
    ("data", "truth"), [(0.0, False), (-0.0, False), (1.0, True), (-1e-300, True), (math.nan, True)]
)
def test_bool_of_a_value_is_data_not_zero_as_pytorch(data: float, truth: bool) -> None:
    v = Value(data)
    assert bool(v) is truth
    assert bool(v) is bool(data)  # Python's and PyTorch's bool of a one-number tensor
    torch = pytest.importorskip("torch")
    assert bool(torch.tensor(data, dtype=torch.float64)) is truth


def test_no_grad_nests_and_survives_exceptions() -> None:
    x = Value(2.0)
    with no_grad():
        with no_grad():
            pass
        assert (x * x)._parents == ()
    assert (x * x)._parents == (x, x)
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert (x * x)._parents == (x, x)


def test_a_mode_block_can_be_entered_again_and_inside_itself() -> None:
    # PyTorch allows `ng = torch.no_grad(); with ng: ...; with ng: ...`.
    x = Value(2.0)
    for block in (no_grad(), enable_grad(), detect_anomaly()):
        outside = (x * x)._parents
        with block:
            first = (x * x)._parents
        with block:
            with block:
                nested = (x * x)._parents
            again = (x * x)._parents
        assert first == nested == again
        assert (x * x)._parents == outside == (x, x)
    ng = no_grad()
    with ng:
        assert (x * x)._parents == ()
        with enable_grad():
            assert (x * x)._parents == (x, x)
        with ng:
            assert (x * x)._parents == ()
        assert (x * x)._parents == ()
    assert (x * x)._parents == (x, x)


def test_detach_is_a_fresh_leaf() -> None:
    x = Value(2.0)
    y = x * 3
    d = y.detach()
    assert d.data == 6.0
    assert d._parents == ()
    assert d is not y
    (d * x).backward()
    assert x.grad == 6.0
    assert y.grad == 0.0


# ----- the Value type ----------------------------------------------------------------------------


def test_repr_shows_label_data_and_grad() -> None:
    x = Value(2.0, label="x")
    (x * 3).backward()
    assert repr(x) == "Value(label='x', data=2.0, grad=3.0)"
    assert repr(Value(1)) == "Value(data=1.0, grad=0.0)"


@pytest.mark.parametrize("number", [3, 3.0, Fraction(3, 1)])
def test_data_is_stored_as_a_float(number: object) -> None:
    v = Value(number)  # type: ignore[arg-type]
    assert type(v.data) is float
    assert v.data == 3.0
    assert type((v + number).data) is float  # type: ignore[operator]


def test_numpy_scalars_are_numbers() -> None:
    np = pytest.importorskip("numpy")
    v = Value(np.float32(1.5)) * np.int64(2)
    assert type(v.data) is float
    assert v.data == 3.0
    w = np.float64(2.0) ** v + np.float64(1.0) / v
    assert isinstance(w, Value)
    assert w.data == pytest.approx(8.0 + 1 / 3)
    assert v < np.float64(4.0)


def test_comparisons_compare_data_and_record_nothing() -> None:
    a, b, c = Value(1.0), Value(3.0), Value(2.0)
    assert a < b and b > a and a <= 1 and b >= 3.0 and a > 0 and not (a > 2)
    assert max([a, b, c]) is b
    assert min([a, b, c]) is a
    assert sorted([b, a, c]) == [a, c, b]
    assert c.item() == 2.0


def test_equality_is_identity_and_values_hash() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a == a
    assert a != b
    assert len({a, b}) == 2


def test_engine_fields_are_slots_and_there_is_no_zeroing_method() -> None:
    v = Value(1.0)
    # data and grad are properties over the slots _data and _grad (a trace sees them read).
    assert {"_data", "_grad", "label", "_parents", "_primitive"} <= set(Value.__slots__)
    assert isinstance(Value.data, property) and isinstance(Value.grad, property)
    assert vars(v) == {}  # the engine's own fields are not in the attribute dict
    assert not hasattr(v, "zero_grad")


def test_data_and_grads_reads_and_set_data_writes_the_fields_of_many_values() -> None:
    xs = [Value(1.0), Value(-2.0), Value(0.5)]
    (xs[0] * xs[1] + xs[2]).backward()
    assert data_and_grads(xs) == ([1.0, -2.0, 0.5], [-2.0, 1.0, 1.0])
    set_data(xs, [3.0, 4.0, 5.0])
    assert [x.data for x in xs] == [3.0, 4.0, 5.0]
    assert [x.grad for x in xs] == [-2.0, 1.0, 1.0]  # the grads are left alone
    assert data_and_grads([]) == ([], [])


@pytest.mark.parametrize("numbers", [[7.0], [7.0, 8.0, 9.0]])
def test_set_data_of_another_length_raises_and_changes_nothing(numbers: list[float]) -> None:
    xs = [Value(1.0), Value(2.0)]
    with pytest.raises(ValueError, match=rf"set_data: 2 Values but {len(numbers)} numbers"):
        set_data(xs, numbers)
    assert [x.data for x in xs] == [1.0, 2.0]


def test_values_accept_user_attributes_on_leaves_and_results() -> None:
    # micrograd programs keep optimizer state and drawing hints on their values.
    w = Value(0.5)
    w.m = 0.0  # type: ignore[attr-defined]
    w._vis_color = "red"  # type: ignore[attr-defined]
    y = (w * 2).tanh()
    y.note = "output"  # type: ignore[attr-defined]
    y.backward()
    assert (w.m, w._vis_color, y.note) == (0.0, "red", "output")  # type: ignore[attr-defined]
    assert w.grad == pytest.approx(2 * (1 - math.tanh(1.0) ** 2))


# ----- numerics at the edges ---------------------------------------------------------------------


def test_sigmoid_and_tanh_never_overflow() -> None:
    lo = Value(-1000.0)
    s = lo.sigmoid()
    s.backward()
    assert s.data == 0.0
    assert math.isfinite(lo.grad)
    hi = Value(1000.0)
    assert hi.sigmoid().data == 1.0
    t = hi.tanh()
    t.backward()
    assert t.data == 1.0
    assert hi.grad == 0.0
    assert Value(-1000.0).tanh().data == -1.0


def test_exp_overflow_names_exp() -> None:
    x = Value(1000.0)
    with pytest.raises(OverflowError, match=r"exp.*1000\.0"):
        x.exp()


def test_pow_overflow_is_inf_as_in_pytorch() -> None:
    # As x * y does: too large for a float is +-inf (only exp raises, as API.md says).
    assert (Value(10.0) ** 400).data == math.inf
    assert (Value(-10.0) ** 401).data == -math.inf
    assert (Value(10.0) ** Value(400.0)).data == math.inf


@pytest.mark.parametrize(
    ("make", "value"),
    [(lambda x: x.relu(), 0.0), (lambda x: x.abs(), 0.0), (lambda x: x.sqrt(), math.inf)],
    ids=["relu", "abs", "sqrt"],
)
def test_pytorch_conventions_at_zero(make: object, value: float) -> None:
    x = Value(0.0)
    make(x).backward()  # type: ignore[operator]
    assert x.grad == value


def test_pow_edge_cases_follow_pytorch() -> None:
    # d/dx is 0 where y == 0, at x = 0 too.
    for x in (Value(0.0), Value(-2.0)):
        (x**0).backward()
        assert x.grad == 0.0
    x, y = Value(0.0), Value(0.0)
    out = x**y
    out.backward()
    assert out.data == 1.0
    assert (x.grad, y.grad) == (0.0, 0.0)
    # d/dy is 0 where x == 0 and y >= 0.
    x, y = Value(0.0), Value(2.0)
    (x**y).backward()
    assert (x.grad, y.grad) == (0.0, 0.0)
    # d/dx at x == 0 for 0 < y < 1 is inf, as for sqrt.
    x = Value(0.0)
    (x**0.5).backward()
    assert x.grad == math.inf
    # A negative base to an integer Value power: d/dx is fine, d/dy (log of a negative) is nan.
    x, y = Value(-2.0), Value(3.0)
    (x**y).backward()
    assert x.grad == 12.0
    assert math.isnan(y.grad)


# ----- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "type_name"),
    [("1.0", "str"), (None, "NoneType"), ([1.0], "list"), (1j, "complex"), (True, "bool")],
)
def test_construction_refuses_non_numbers(bad: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=type_name):
        Value(bad)  # type: ignore[arg-type]


def test_a_value_inside_a_value_is_refused() -> None:
    with pytest.raises(TypeError, match="Value"):
        Value(Value(1.0))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bad", "type_name"),
    [("1.0", "str"), (None, "NoneType"), ([1.0], "list"), (1j, "complex"), (True, "bool")],
)
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**", "<"])
def test_operators_refuse_non_numbers_on_either_side(bad: object, type_name: str, op: str) -> None:
    x = Value(2.0)
    with pytest.raises(TypeError, match=type_name):
        eval(f"x {op} bad", {"x": x, "bad": bad})
    # On the left, some types (str * int) raise their own TypeError before Python asks Value.
    with pytest.raises(TypeError, match=f"{type_name}|Value"):
        eval(f"bad {op} x", {"x": x, "bad": bad})


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda: Value(0.0).log(), ValueError, r"log.*0\.0"),
        (lambda: Value(-2.0).log(), ValueError, r"log.*-2\.0"),
        (lambda: Value(-4.0).sqrt(), ValueError, r"sqrt.*-4\.0"),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, r"pow.*-8\.0"),
        (lambda: Value(-8.0) ** Value(0.5), ValueError, r"pow.*-8\.0"),
        (lambda: (-8.0) ** Value(0.5), ValueError, r"pow.*-8\.0"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"division by zero"),
        (lambda: Value(1.0) / Value(0.0), ZeroDivisionError, r"division by zero"),
        (lambda: 1 / Value(0.0), ZeroDivisionError, r"division by zero"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"pow.*0\.0.*-1"),
        (lambda: Value(0.0) ** Value(-2.0), ZeroDivisionError, r"pow.*0\.0"),
    ],
)
def test_domain_errors_name_the_operation_and_the_value(
    make: object, error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        make()  # type: ignore[operator]


def test_a_failed_op_changes_nothing() -> None:
    x = Value(-1.0)
    y = x * 2
    with pytest.raises(ValueError, match="log"):
        y.log()
    y.backward()
    assert x.grad == 2.0
    assert y._parents == (x, y._parents[1])


def test_dot_is_one_node_with_weights_then_inputs_as_parents() -> None:
    w = [Value(0.5), Value(-2.0)]
    x = [Value(3.0), Value(4.0)]
    out = dot(w, x)
    assert out.data == 0.5 * 3.0 - 2.0 * 4.0
    assert out._parents == (*w, *x)
    assert out._op == "dot"
    out.backward()
    assert [v.grad for v in w] == [3.0, 4.0]
    assert [v.grad for v in x] == [0.5, -2.0]


def test_dot_with_a_bias_is_one_node_whose_sum_starts_from_the_bias() -> None:
    w = [Value(1e16), Value(-1e16), Value(0.5)]
    x = [Value(1.0), Value(1.0), Value(3.0)]
    b = Value(1.0)
    out = dot(w, x, b)
    # Python's sum() started from the bias, as micrograd's Neuron sums.
    assert out.data == sum([1e16 * 1.0, -1e16 * 1.0, 0.5 * 3.0], 1.0)
    if sys.version_info < (3, 12):  # NOTE: from 3.12, sum() of floats adds with compensation
        # The bias, then each product in turn; the other order gives 2.5.
        assert out.data == ((1.0 + 1e16) - 1e16) + 0.5 * 3.0 == 1.5
    assert out._parents == (*w, *x, b)
    assert out._op == "dot"
    out.backward()
    assert [v.grad for v in w] == [1.0, 1.0, 3.0]
    assert [v.grad for v in x] == [1e16, -1e16, 0.5]
    assert b.grad == 1.0
    # A number for the bias is a constant leaf, like any operand.
    assert dot([2.0], [Value(3.0)], 1).data == 7.0
    # Second derivatives come from the same rule, run on Values.
    t = Value(0.3)
    (dt,) = grad(dot([t], [t], t * t), [t], create_graph=True)  # t * t + t**2: d/dt = 4t
    (d2t,) = grad(dt, [t])
    assert dt.data == 4 * 0.3
    assert d2t.data == 4.0


@pytest.mark.parametrize(
    ("ws", "xs", "error", "pattern"),
    [
        ([1.0, 2.0], [1.0], ValueError, r"dot: 2 weights but 1 inputs"),
        ([], [], ValueError, r"dot of no terms"),
        ([1.0], ["a"], TypeError, r"dot.*str"),
        ([None], [1.0], TypeError, r"dot.*NoneType"),
    ],
)
def test_dot_refuses_bad_input(ws: list, xs: list, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        dot(ws, xs)


@pytest.mark.parametrize("bias", ["b", [1.0], True])
def test_dot_refuses_a_bias_that_is_not_a_number(bias: object) -> None:
    with pytest.raises(TypeError, match=r"an operand of dot must be a real number, got "):
        dot([Value(1.0)], [Value(2.0)], bias)


@given(floats_in(-50, 50), floats_in(-50, 50))
def test_division_agrees_with_python(a: float, b: float) -> None:
    assume(abs(b) > 1e-300)
    assert (Value(a) / b).data == pytest.approx(a / b, rel=1e-12, abs=1e-300)


def test_division_by_a_subnormal_is_pythons() -> None:
    assert (Value(0.0) / 5e-324).data == 0.0
    assert (Value(5e-324) / 1e-300).data == 5e-324 / 1e-300
    assert (Value(1.0) / 5e-324).data == math.inf


# ----- grad mode per thread, create_graph, anomaly mode ------------------------------------------


def test_grad_mode_is_per_thread() -> None:
    # One thread sits inside no_grad() while another builds graphs: the second records.
    inside, done = threading.Event(), threading.Event()
    recorded: list[bool] = []

    def idle_in_no_grad() -> None:
        with no_grad():
            inside.set()
            done.wait(10)

    def build() -> None:
        inside.wait(10)
        x = Value(2.0)
        recorded.append((x * x)._parents == (x, x))

    threads = [threading.Thread(target=idle_in_no_grad), threading.Thread(target=build)]
    for t in threads:
        t.start()
    threads[1].join(10)
    done.set()
    threads[0].join(10)
    assert recorded == [True]


def test_two_threads_training_with_interleaved_no_grad_lose_no_gradient() -> None:
    from nn import MLP, SGD, mse_loss

    def train(seed: int, barrier: threading.Barrier, out: list[list[float]]) -> None:
        model = MLP(2, [4, 1], seed=seed)
        optimizer = SGD(model.parameters(), lr=0.05)
        losses = []
        for step in range(60):
            barrier.wait(10)  # both threads step in lock step, so no_grad() blocks interleave
            loss = mse_loss([model([0.5, -1.0 + step / 60])], [0.3])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()  # inside no_grad()
            losses.append(loss.data)
        out.append(losses)

    def run(seeds: list[int]) -> list[list[float]]:
        barrier = threading.Barrier(len(seeds))
        results: list[list[list[float]]] = [[] for _ in seeds]
        threads = [
            threading.Thread(target=train, args=(s, barrier, r)) for s, r in zip(seeds, results)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return [r[0] for r in results]

    together = run([1, 2])
    assert together == run([1]) + run([2])  # the same losses as each thread alone


def test_create_graph_records_inside_no_grad() -> None:
    x = Value(1.5)
    y = x**3
    with no_grad():
        dx, = grad(y, [x], create_graph=True)  # fmt: skip
        assert (x * 2)._parents == ()  # still off outside the pass
    d2x, = grad(dx, [x])  # fmt: skip
    assert dx.data == pytest.approx(3 * 1.5**2)
    assert d2x.data == pytest.approx(6 * 1.5)


def test_enable_grad_inside_no_grad() -> None:
    x = Value(2.0)
    with no_grad():
        with enable_grad():
            assert (x * x)._parents == (x, x)
        assert (x * x)._parents == ()


def test_detect_anomaly_names_the_forward_op_its_inputs_and_the_line() -> None:
    big = Value(math.inf)
    with detect_anomaly(), pytest.raises(FloatingPointError) as caught:
        big - big  # inf - inf is nan
    line = inspect.currentframe().f_lineno - 1  # type: ignore[union-attr]
    message = str(caught.value)
    assert "+ of (inf, -inf) is nan" in message
    assert f"test_engine.py:{line}" in message


def test_detect_anomaly_names_the_backward_op_and_where_its_node_was_made() -> None:
    x = Value(0.0)
    with detect_anomaly():
        root = x.sqrt()  # sqrt'(0) is inf; times an upstream 0 it is nan
        line = inspect.currentframe().f_lineno - 1  # type: ignore[union-attr]
        y = root * 0.0
        with pytest.raises(FloatingPointError) as caught:
            y.backward()
    message = str(caught.value)
    assert "backward of sqrt" in message and "(0.0)" in message
    assert f"test_engine.py:{line}" in message
    assert x.grad == 0.0  # nothing was changed
    # Outside the block nothing is checked: the same graph gives nan quietly.
    y.backward()
    assert math.isnan(x.grad)


def test_detect_anomaly_passes_nan_that_came_in() -> None:
    with detect_anomaly():
        x = Value(math.nan)
        y = (x * 2).tanh()  # nan in, nan out: not an anomaly
        y.backward()
    assert math.isnan(y.data)


# ----- small contract details ---------------------------------------------------------------------


@pytest.mark.parametrize("label", [None, 3, b"x"])
def test_a_label_must_be_a_string(label: object) -> None:
    with pytest.raises(TypeError, match=f"label must be a str, got {type(label).__name__}"):
        Value(1.0, label=label)  # type: ignore[arg-type]


def test_grad_takes_any_iterable_of_inputs() -> None:
    x, y = Value(2.0), Value(3.0)
    out = x * y
    assert [g.data for g in grad(out, (v for v in [x, y]))] == [3.0, 2.0]
    assert [g.data for g in grad(out, {x: 1}.keys())] == [3.0]


def test_builtin_abs_is_the_abs_op() -> None:
    x = Value(-1.5)
    y = abs(x)
    assert y.data == 1.5
    assert y._op == "abs"
    y.backward()
    assert x.grad == -1.0


def test_has_grad_tells_never_computed_from_zero() -> None:
    x, unused = Value(-1.0), Value(4.0)
    y = x.relu()
    assert not has_grad(x) and not has_grad(y)
    assert x.grad == 0.0 and repr(x.grad) == "0.0"
    grad(y, [x])  # grad() leaves .grad alone
    assert not has_grad(x)
    y.backward()
    assert has_grad(x) and x.grad == 0.0  # reached, and zero
    assert has_grad(y) and not has_grad(unused)
    assert type(x.grad) is float


def test_an_int_too_large_for_a_float_is_refused_by_name() -> None:
    with pytest.raises(OverflowError, match="Value data is too large for a float"):
        Value(10**400)
    with pytest.raises(OverflowError, match=r"an operand of \* is too large"):
        Value(1.0) * 10**400


# ----- the trace hook: how a trace sees f run (autograd.modes.TraceHook) ------------------------


class _Recorder:
    """A TraceHook that writes down what the engine tells it."""

    def __init__(self) -> None:
        self.told: list[tuple[object, ...]] = []

    def made(self, out: Value, op: object, parents: tuple[Value, ...]) -> None:
        self.told.append(("made", out, getattr(op, "name", None), parents, out._primitive))

    def compared(self, left: Value, op: str, right: object, outcome: bool) -> None:
        self.told.append(("compared", left, op, right, outcome))

    def read(self, v: Value, name: str, x: float) -> None:
        self.told.append(("read", v, name, x))

    def wrote(self, v: Value, name: str) -> None:
        self.told.append(("wrote", v, name))


def test_the_trace_hook_is_told_each_node_with_its_op_and_parents_also_under_no_grad() -> None:
    from autograd.modes import ModeBlock

    x, w = Value(2.0), Value(3.0)
    hook = _Recorder()
    with ModeBlock(trace=hook):
        y = x * w
        with no_grad():
            z = y.exp()
        c = 2.0 + y  # the constant 2.0 is a leaf made here
        d = y.detach()
        leaf = Value(1.5)
    made = [t for t in hook.told if t[0] == "made"]
    assert [t[2] for t in made] == ["*", "exp", None, "+", None, None]
    assert made[0][1:] == (y, "*", (x, w), y._primitive)
    # Under no_grad the node keeps no history, but the hook still gets its op and parents.
    assert made[1][1] is z and made[1][3] == (y,) and made[1][4] is None
    assert made[2][3] == () and made[3][1] is c and made[3][3][1] is y
    assert made[4][1:4] == (d, None, (y,))  # a detached copy: no op, its one source
    assert made[5][1:4] == (leaf, None, ())
    assert hook.told == made  # the engine's own reads of .data are not told
    # Nothing is told outside the block, and the block changed no class attribute.
    before = len(hook.told)
    x * w
    assert len(hook.told) == before


def test_the_trace_hook_is_told_comparisons_and_reads_and_writes_from_outside() -> None:
    from autograd.modes import ModeBlock

    x, y = Value(2.0), Value(3.0)
    hook = _Recorder()
    with ModeBlock(trace=hook):
        assert x < y and not x >= 2.5
        assert x.data == 2.0 and x.grad == 0.0
        x.data = 4.0
    assert hook.told == [
        ("compared", x, "<", y, True),
        ("compared", x, ">=", 2.5, False),
        ("read", x, "data", 2.0),
        ("read", x, "grad", 0.0),
        ("wrote", x, "data"),
    ]


def test_another_thread_tells_the_trace_nothing() -> None:
    from autograd.modes import ModeBlock

    hook = _Recorder()
    with ModeBlock(trace=hook):
        thread = threading.Thread(target=lambda: (Value(1.0) * 2.0).data)
        thread.start()
        thread.join()
    assert hook.told == []


# ----- float() under grad mode (issue 20) ---------------------------------------------------------


def test_float_of_a_value_raises_under_grad_mode_and_names_the_ways_out() -> None:
    # math.exp(x) * x once gave x.grad = e (the gradient through math.exp silently lost).
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"float\(\) of a Value while grad mode is on") as caught:
        math.exp(x)  # type: ignore[arg-type]
    for way_out in ("v.data", "v.item()", "v.exp()", "autograd.exp(v)", "no_grad()"):
        assert way_out in str(caught.value)
    for call in (float, math.tanh, math.sqrt, math.log):
        with pytest.raises(TypeError, match="grad mode is on"):
            call(x)  # type: ignore[arg-type]
    assert x.item() == 1.0 and x.data == 1.0
    y = x.exp() * x
    y.backward()
    assert x.grad == pytest.approx(2 * math.e)


def test_float_of_a_value_is_its_data_under_no_grad() -> None:
    x = Value(0.5)
    with autograd.no_grad():
        assert float(x) == 0.5
        assert math.exp(x) == math.exp(0.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        float(x)


def test_second_derivatives_whose_rules_test_a_value_still_work() -> None:
    # sqrt's and **'s rules test their operands against 0; under create_graph those are Values.
    x = Value(2.0)
    (dx,) = autograd.grad(x.sqrt() + x**1.5 + x ** Value(3.0), [x], create_graph=True)
    (d2x,) = autograd.grad(dx, [x])
    expected = -0.25 * 2.0**-1.5 + 0.75 * 2.0**-0.5 + 6 * 2.0
    assert d2x.data == pytest.approx(expected)
