"""gradcheck: every deliberately wrong rule caught (and by which mode), no correct rule at a kink
ever flagged, fast mode on an MLP, the report, and every bad argument."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from autograd import (
    GradcheckError,
    Value,
    cos,
    grad,
    gradcheck,
    has_grad,
    no_grad,
    numerical_grad,
    primitive,
    sin,
)
from autograd.checking.gradcheck import FAST_PROJECTIONS
from autograd.checking.report import Mismatch
from nn import MLP, hinge_loss, mse_loss
from tests.conftest import floats_in

Op = Callable[..., Value]


# ----- deliberately wrong rules: each one caught, with the mode that catches it ------------------

FULL = {}
FAST = {"fast": True}
ORDER2 = {"order": 2}
FAST_ORDER2 = {"order": 2, "fast": True}
MODES = {"full": FULL, "fast": FAST, "order=2": ORDER2, "fast order=2": FAST_ORDER2}

sign_flipped_sin = primitive("sin", math.sin, lambda g, out, x: (-g * cos(x),))
factor_off_cube = primitive("cube", lambda x: x**3, lambda g, out, x: (g * 2 * x * x,))
# The rule forgets the upstream gradient g: right only where g happens to be 1.
no_chain_sin = primitive("sin", math.sin, lambda g, out, x: (cos(x),))
# d/dy wrong: the rule sends y to both parents.
wrong_parent_mul = primitive("mul", lambda x, y: x * y, lambda g, out, x, y: (g * y, g * y))
# Right value, but reading x.data freezes it: under create_graph the term is a constant, so
# its own derivative (the second derivative) is lost. (float(x) of a Value raises instead.)
frozen_sin = primitive(
    "sin",
    math.sin,
    lambda g, out, x: (g * math.cos(x.data if isinstance(x, Value) else x),),
)
# Right on floats, wrong on Values: the create_graph pass differentiates another function.
two_faced_sin = primitive(
    "sin",
    math.sin,
    lambda g, out, x: (
        (g * (x.sin() + math.cos(x.data) - math.sin(x.data)),)
        if isinstance(x, Value)
        else (g * math.cos(x),)
    ),
)
# relu, right everywhere except at 0, where it claims 1.5 (the subgradients are [0, 1]).
kink_wrong_relu = primitive(
    "relu",
    lambda x: max(x, 0.0),
    lambda g, out, x: (g * (1.5 if x == 0 else 1.0 if x > 0 else 0.0),),
)
# hinge max(0, 1 - x): at x = 1 the subgradients are [-1, 0]; this one says +1 there.
kink_wrong_hinge = primitive(
    "hinge",
    lambda x: max(0.0, 1.0 - x),
    lambda g, out, x: (g * (1.0 if x == 1 else -1.0 if x < 1 else 0.0),),
)
nan_rule = primitive("nan", lambda x: x, lambda g, out, x: (g * math.nan,))


def softmax_first_cut(a: Value, b: Value) -> Value:
    """p = e^a / (e^a + e^b) with the denominator read through .data: a path of the graph cut."""
    return a.exp() / (a.exp() + b.exp()).data


# (name, f, point, the modes that catch it). Every mode not listed must pass it: that shows
# which check is needed. Points are away from kinks unless the bug is at a kink.
WRONG_RULES: list[tuple[str, Callable[..., Any], list[float], set[str]]] = [
    ("sign flipped", lambda x: sign_flipped_sin(x), [0.7], set(MODES)),
    ("factor off", lambda x: factor_off_cube(x), [1.3], set(MODES)),
    ("missing chain-rule factor g", lambda x: 3 * no_chain_sin(x), [0.4], set(MODES)),
    ("wrong for the second parent", lambda x, y: wrong_parent_mul(x, y), [0.5, 2.0], set(MODES)),
    ("graph cut by .data", softmax_first_cut, [0.5, -0.3], set(MODES)),
    ("NaN gradient", lambda x: nan_rule(x), [1.0], set(MODES)),
    (
        "right value, frozen for create_graph",
        lambda x: frozen_sin(x) * x,
        [0.5],
        {"order=2", "fast order=2"},
    ),
    (
        "other function under create_graph",
        lambda x: two_faced_sin(x),
        [0.9],
        {"order=2", "fast order=2"},
    ),
    ("relu wrong at its kink only", lambda x: kink_wrong_relu(x), [0.0], set(MODES)),
    ("hinge wrong at its kink only", lambda x, y: kink_wrong_hinge(x * y), [1.0, 1.0], set(MODES)),
    (
        "one wrong entry of a Jacobian",
        lambda x, y: [x * y, sign_flipped_sin(y) + x, x + y],
        [0.3, 1.1],
        set(MODES),
    ),
]


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize(
    ("name", "f", "point", "caught_by"), WRONG_RULES, ids=[r[0] for r in WRONG_RULES]
)
def test_each_wrong_rule_is_caught_by_its_mode(
    name: str, f: Callable[..., Any], point: list[float], caught_by: set[str], mode: str
) -> None:
    passed = gradcheck(f, point, raise_exception=False, **MODES[mode])
    assert passed is (mode not in caught_by), (name, mode)


def test_the_kink_only_bugs_pass_away_from_the_kink() -> None:
    for x in (-0.5, 0.5):
        assert gradcheck(lambda x: kink_wrong_relu(x), [x], order=2)
        assert gradcheck(lambda x, y: kink_wrong_hinge(x * y), [1.0 + x, 1.0], order=2)


def test_a_missing_chain_factor_hides_where_g_is_one() -> None:
    # Why the table scales no_chain_sin by 3: alone, it is the output and g is exactly 1.
    assert gradcheck(lambda x: no_chain_sin(x), [0.4])


def test_the_report_names_the_wrong_jacobian_entry() -> None:
    f = WRONG_RULES[-1][1]
    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, [0.3, 1.1])
    assert [(m.output, m.inputs, m.order) for m in caught.value.mismatches] == [(1, (1,), 1)]
    (row,) = caught.value.mismatches
    assert row.analytic == pytest.approx(-math.cos(1.1))
    assert row.numeric == pytest.approx(math.cos(1.1), rel=1e-6)
    assert "1 of 6 derivatives" in str(caught.value)


def test_order_2_names_the_second_derivative() -> None:
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: frozen_sin(x) * y, [0.5, 2.0], order=2)
    # d2/dx2 of sin(x) y is -sin(x) y; frozen, backprop finds 0. d2/dxdy = cos x is right.
    assert [(m.inputs, m.order) for m in caught.value.mismatches] == [((0, 0), 2)]
    (row,) = caught.value.mismatches
    assert row.analytic == 0.0
    assert row.numeric == pytest.approx(-math.sin(0.5) * 2.0, rel=1e-6)
    assert "d/d input j of (d output / d input i)" in str(caught.value)


# ----- correct rules at kinks: never flagged -----------------------------------------------------

max_op = primitive(
    "max", max, lambda g, out, x, y: (g * 1.0, g * 0.0) if x >= y else (g * 0.0, g * 1.0)
)
max3_op = primitive(
    "max3",
    lambda x, y, z: max(x, y, z),
    lambda g, out, x, y, z: tuple(
        g * (1.0 if i == [x, y, z].index(max(x, y, z)) else 0.0) for i in range(3)
    ),
)
leaky_relu = primitive(
    "leaky", lambda x: x if x > 0 else 0.1 * x, lambda g, out, x: (g * (1.0 if x > 0 else 0.1),)
)
clamp = primitive(
    "clamp", lambda x: min(max(x, -1.0), 1.0), lambda g, out, x: (g * (1.0 if -1 < x < 1 else 0.0),)
)

KINKS: list[tuple[str, Callable[..., Any], list[float]]] = [
    ("relu at 0", lambda x: x.relu(), [0.0]),
    ("abs at 0", lambda x: x.abs(), [0.0]),
    ("relu within eps of its kink", lambda x: x.relu(), [3e-7]),
    ("abs within eps of its kink", lambda x: x.abs(), [-4e-7]),
    ("user max at a tie", lambda x, y: max_op(x, y), [0.5, 0.5]),
    ("user max of three, three-way tie", lambda x, y, z: max3_op(x, y, z), [0.2, 0.2, 0.2]),
    ("Python's max() of Values at a tie", lambda x, y: max(x, y) * 2, [1.5, 1.5]),
    ("leaky relu at 0", lambda x: leaky_relu(x), [0.0]),
    ("clamp at both bounds", lambda x, y: clamp(x) + clamp(y), [1.0, -1.0]),
    ("hinge loss at margin 1", lambda s: hinge_loss([s], [1.0]), [1.0]),
    ("hinge loss at margins 1 and -1", lambda s, t: hinge_loss([s, t], [1.0, -1.0]), [1.0, -1.0]),
    ("relu(x - y) at x = y", lambda x, y: (x - y).relu(), [0.3, 0.3]),
    ("kinks in several inputs at once", lambda x, y: x.relu() + (-x).relu() + y.abs(), [0.0, 0.0]),
    ("relu times a smooth factor", lambda x, y: x.relu() * y.exp(), [0.0, 0.4]),
    ("x relu(x): a kink in the first derivative", lambda x: x * x.relu(), [0.0]),
    ("|x| y: a jump in a first derivative", lambda x, y: x.abs() * y, [0.0, 1.5]),
    ("a network at its kinks", lambda w, b, v: (w * 0.0 + b).relu() * v, [0.7, 0.0, -1.2]),
]


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize(("name", "f", "point"), KINKS, ids=[k[0] for k in KINKS])
def test_a_correct_rule_at_a_kink_is_never_flagged(
    name: str, f: Callable[..., Any], point: list[float], mode: str
) -> None:
    assert gradcheck(f, point, **MODES[mode]), name


@given(c=floats_in(-3.0, 3.0), offset=floats_in(-3e-6, 3e-6))
def test_relu_and_abs_pass_at_and_near_any_kink(c: float, offset: float) -> None:
    x = c + offset
    assert gradcheck(lambda x: (x - c).relu() + 2 * (x - c).abs(), [x], order=2)


def meeting_kinks(x: Value, y: Value) -> Value:
    return x.relu() * y + 2 * abs(x) + abs(y) * x


def test_kinks_that_meet_in_one_input_can_give_no_slope_at_all() -> None:
    # At x = 0, y = -3 every op's convention is right (relu'(0) = abs'(0) = 0), but the chain
    # rule adds them up to d/dx = 3, while f's one-sided slopes are 1 and 2: 3 is no slope of
    # f there. gradcheck says so, as a kink row. (torch's backprop gives the same 3.)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(meeting_kinks, [0.0, -3.0])
    (row,) = caught.value.mismatches
    assert row.kink and row.inputs == (0,) and row.analytic == 3.0
    assert (row.left, row.right) == (pytest.approx(1.0), pytest.approx(2.0))
    assert gradcheck(meeting_kinks, [0.0, 3.0])  # with y > 0 the sum lies between them


def test_a_kink_row_shows_both_slopes() -> None:
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: kink_wrong_relu(x), [0.0])
    (row,) = caught.value.mismatches
    assert row.kink and row.analytic == 1.5
    assert row.left == pytest.approx(0.0, abs=1e-9) and row.right == pytest.approx(1.0)
    assert row.abs_error == pytest.approx(0.5)  # the distance outside [0, 1]
    assert row.numeric == pytest.approx(0.5)
    line = str(caught.value).splitlines()[3].split()
    assert line[0] == "0" and line[1] == "0" and line[-1] == "kink"


# ----- fast mode on an MLP -----------------------------------------------------------------------

# nn's MLP with its parameters replaced by gradcheck's leaves, so f is a function of them.
POINTS = [[0.5, -1.0, 0.3, 0.8], [-0.2, 0.4, 1.1, -0.7], [0.9, 0.1, -0.6, 0.2]]
TARGETS = [0.3, -0.5, 0.8]


def mlp_loss(
    model: MLP, wrong_at: tuple[int, int, int] | None = None, wrong: Op | None = None
) -> Callable[..., Value]:
    """f(*params): the model's MSE on POINTS with params as its weights. With wrong_at =
    (layer, neuron, k), that neuron's weight k goes through the op `wrong` into the network."""

    def f(*params: Value) -> Value:
        it = iter(params)
        for layer in model.layers:
            for neuron in layer.neurons:
                neuron.w = [next(it) for _ in neuron.w]
                neuron.b = next(it)
        if wrong_at is not None and wrong is not None:
            layer, unit, k = wrong_at
            neuron = model.layers[layer].neurons[unit]
            neuron.w[k] = wrong(neuron.w[k])
        return mse_loss([model(x) for x in POINTS], TARGETS)

    return f


def index_of(model: MLP, layer: int, unit: int, k: int) -> int:
    """The place of that weight in model.parameters()."""
    weight = model.layers[layer].neurons[unit].w[k]
    return next(i for i, p in enumerate(model.parameters()) if p is weight)


def counting(f: Callable[..., Value]) -> tuple[Callable[..., Value], list[int]]:
    calls = [0]

    def counted(*args: Value) -> Value:
        calls[0] += 1
        return f(*args)

    return counted, calls


def test_fast_mode_checks_a_correct_mlp_with_far_fewer_evaluations() -> None:
    model = MLP(4, [16, 16, 1], activation="tanh", seed=1)
    params = [p.data for p in model.parameters()]
    assert len(params) == 369
    fast_f, fast_calls = counting(mlp_loss(model))
    full_f, full_calls = counting(mlp_loss(model))
    assert gradcheck(fast_f, params, fast=True)
    assert gradcheck(full_f, params)
    assert fast_calls[0] == 1 + 2 * FAST_PROJECTIONS
    assert full_calls[0] == 1 + 2 * len(params)


def test_fast_mode_catches_a_single_wrong_weight_gradient() -> None:
    model = MLP(4, [16, 16, 1], activation="tanh", seed=1)
    params = [p.data for p in model.parameters()]
    # The weight from unit 5 into the second hidden layer's neuron 3 goes through an identity
    # whose rule doubles the gradient.
    index = index_of(model, 1, 3, 5)
    doubled = primitive("identity", lambda x: x, lambda g, out, x: (2 * g,))
    f = mlp_loss(model, (1, 3, 5), doubled)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, params, fast=True)
    # A projection disagreed, so every derivative was checked: the report names the weight.
    assert [m.inputs for m in caught.value.mismatches] == [(index,)]
    assert "random projections of order 1 disagreed" in str(caught.value)


def test_fast_mode_catches_a_wrong_relu_network_and_passes_a_right_one() -> None:
    model = MLP(4, [16, 16, 1], seed=3)
    params = [p.data for p in model.parameters()]
    assert gradcheck(mlp_loss(model), params, fast=True)
    flipped = primitive("identity", lambda x: x, lambda g, out, x: (-g,))
    wrong = mlp_loss(model, (0, 2, 1), flipped)
    assert not gradcheck(wrong, params, fast=True, raise_exception=False)
    with pytest.raises(GradcheckError) as full:
        gradcheck(wrong, params)
    assert [m.inputs for m in full.value.mismatches] == [(index_of(model, 0, 2, 1),)]


def test_fast_mode_repeats_exactly() -> None:
    f = WRONG_RULES[-1][1]
    runs = []
    for _ in range(2):
        with pytest.raises(GradcheckError) as caught:
            gradcheck(f, [0.3, 1.1], fast=True, order=2)
        runs.append(caught.value.mismatches)
    assert runs[0] == runs[1]


# ----- Value inputs, closures, grad mode ---------------------------------------------------------


def test_value_inputs_are_moved_in_place_and_restored() -> None:
    model = MLP(2, [3, 1], seed=0)
    params = model.parameters()
    before = [(p.data, p.grad) for p in params]

    def loss(*_: Value) -> Value:  # reaches the parameters through the model, not its arguments
        return mse_loss([model([0.5, -0.2])], [0.1])

    assert gradcheck(loss, params, order=2)
    assert [(p.data, p.grad) for p in params] == before


def test_value_inputs_are_restored_when_f_raises_midway() -> None:
    x = Value(0.0)
    with pytest.raises(ValueError, match=r"moved by -1e-06"):
        gradcheck(lambda x: x.sqrt(), [x])
    assert x.data == 0.0


def test_the_report_shows_input_labels() -> None:
    x, y = Value(0.5, label="x"), Value(2.0, label="weight")
    with pytest.raises(GradcheckError, match=r"1 \(weight\)"):
        gradcheck(lambda x, y: wrong_parent_mul(x, y), [x, y])


def test_works_inside_no_grad() -> None:
    with no_grad():
        assert gradcheck(lambda x, y: (x * y).tanh() + x.exp(), [0.3, -1.2], order=2)
        assert not gradcheck(lambda x: frozen_sin(x) * x, [0.5], order=2, raise_exception=False)
        # and grad mode is still off afterwards
        assert (Value(1.0) * 2)._parents == ()


def test_checks_a_derivative_built_with_grad() -> None:
    # f returns d/dx (x**3 sin x): its own derivative is checked, so grad runs inside f.
    def first_derivative(x: Value) -> Value:
        (dx,) = grad(x**3 * x.sin(), [x], create_graph=True)
        return dx

    assert gradcheck(first_derivative, [0.7])
    with no_grad():
        assert gradcheck(first_derivative, [0.7])


def test_leaves_no_gradients_behind() -> None:
    w = Value(2.0)
    gradcheck(lambda x: x * w, [1.5], order=2)
    assert w.grad == 0.0
    assert not has_grad(w)


def test_numerical_grad_is_central_differences() -> None:
    assert numerical_grad(lambda x, y: x * x * y, [3.0, 2.0]) == pytest.approx([12.0, 9.0])


def test_tolerances_are_pytorchs() -> None:
    off = primitive("off", lambda x: 3 * x, lambda g, out, x: (g * 3 * 1.0005,))
    assert gradcheck(lambda x: off(x), [1.0])
    assert not gradcheck(lambda x: off(x), [1.0], rtol=1e-4, raise_exception=False)


# ----- the report --------------------------------------------------------------------------------


def test_the_table_is_sorted_worst_first_and_matches_the_rows() -> None:
    def f(x: Value, y: Value, z: Value) -> Value:
        slightly = primitive("s", lambda t: t, lambda g, out, t: (g * 1.01,))
        badly = primitive("b", lambda t: t, lambda g, out, t: (g * 4.0,))
        return slightly(x) + badly(y) + sign_flipped_sin(z)

    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, [1.0, 1.0, 0.0])
    rows = caught.value.mismatches
    assert all(isinstance(m, Mismatch) for m in rows)
    assert [m.inputs for m in rows] == [(1,), (2,), (0,)]  # errors 3, 2, 0.01
    assert [m.abs_error / m.tolerance for m in rows] == sorted(
        (m.abs_error / m.tolerance for m in rows), reverse=True
    )
    lines = str(caught.value).splitlines()
    assert lines[0] == "gradcheck: 3 of 3 derivatives disagree with finite differences, worst first"
    assert lines[1] == "(eps=1e-06, atol=1e-05, rtol=0.001, order=1, fast=False):"
    assert lines[2].split() == [
        "output",
        "input",
        "analytic",
        "numeric",
        "left",
        "right",
        "abs",
        "error",
        "rel",
        "error",
        "kink",
    ]
    for line, m in zip(lines[3:6], rows):
        cells = line.split()
        assert cells[1] == str(m.inputs[0])
        assert float(cells[2]) == pytest.approx(m.analytic, rel=1e-6)
        assert float(cells[3]) == pytest.approx(m.numeric, rel=1e-6)
        assert cells[-1] == "no"


def test_raise_exception_false_returns_false() -> None:
    assert gradcheck(lambda x: sign_flipped_sin(x), [0.7], raise_exception=False) is False
    assert gradcheck(lambda x: x.sin(), [0.7], raise_exception=False) is True


# ----- bad arguments -----------------------------------------------------------------------------


def sin_f(x: Value) -> Value:
    return x.sin()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"eps": 0}, ValueError, "eps must be a positive"),
        ({"eps": -1e-6}, ValueError, "eps must be a positive"),
        ({"eps": math.nan}, ValueError, "eps must be a positive"),
        ({"eps": math.inf}, ValueError, "eps must be a positive"),
        ({"eps": "1e-6"}, TypeError, "eps must be a real number"),
        ({"eps": True}, TypeError, "eps must be a real number"),
        ({"atol": -1e-5}, ValueError, "atol must be >= 0"),
        ({"atol": math.nan}, ValueError, "atol must be >= 0"),
        ({"rtol": -0.1}, ValueError, "rtol must be >= 0"),
        ({"rtol": None}, TypeError, "rtol must be a real number"),
        ({"order": 3}, ValueError, "order must be 1 or 2"),
        ({"order": 0}, ValueError, "order must be 1 or 2"),
        ({"order": True}, ValueError, "order must be 1 or 2"),
        ({"fast": "yes"}, TypeError, "fast must be True or False"),
        ({"raise_exception": 0}, TypeError, "raise_exception must be True or False"),
    ],
)
def test_refuses_bad_settings(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        gradcheck(sin_f, [0.5], **kwargs)


@pytest.mark.parametrize(
    ("inputs", "error", "match"),
    [
        (0.5, TypeError, "inputs must be a list of numbers or Values, got float"),
        ("0.5", TypeError, "inputs must be a list of numbers or Values, got str"),
        (Value(0.5), TypeError, "inputs must be a list of numbers or Values, got Value"),
        ([], ValueError, "inputs is empty"),
        (["0.5"], TypeError, r"inputs\[0\] must be a real number, got str"),
        ([0.5, None], TypeError, r"inputs\[1\] must be a real number, got NoneType"),
        ([True], TypeError, r"inputs\[0\] must be a real number, got bool"),
        ([math.nan], ValueError, r"inputs\[0\] is nan"),
        ([0.5, math.inf], ValueError, r"inputs\[1\] is inf"),
    ],
)
def test_refuses_bad_inputs(inputs: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        gradcheck(lambda *xs: sum(xs, Value(0.0)), inputs)


def test_refuses_the_same_value_twice() -> None:
    x = Value(0.5)
    with pytest.raises(ValueError, match=r"inputs\[1\] is the same Value as inputs\[0\]"):
        gradcheck(lambda a, b: a * b, [x, x])


@pytest.mark.parametrize(
    ("f", "error", "match"),
    [
        (lambda x: 1.0, TypeError, "f must return a Value or a sequence of Values, got float"),
        (lambda x: None, TypeError, "got NoneType"),
        (lambda x: [x, 2.0], TypeError, r"f's output \[1\] must be a Value, got float"),
        (lambda x: [], ValueError, "f returned an empty sequence"),
        (lambda x: [x] * (2 if x.data > 0.5 else 1), ValueError, "f returned 1 outputs"),
        (3.0, TypeError, "f must be callable"),
    ],
)
def test_refuses_an_f_that_returns_no_value(f: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        gradcheck(f, [0.5])


def test_an_f_that_raises_is_named_with_the_point() -> None:
    with pytest.raises(
        ValueError, match=r"gradcheck: f raised ValueError at the given inputs"
    ) as caught:
        gradcheck(lambda x: x.log(), [0.0])
    assert isinstance(caught.value.__cause__, ValueError)
    with pytest.raises(ValueError, match=r"f raised TypeError at the given inputs"):
        gradcheck(lambda x, y: x * y, [0.5])  # one input for a function of two
    with pytest.raises(
        ValueError, match=r"f raised ZeroDivisionError with inputs\[0\] moved by -1e-06"
    ):
        gradcheck(lambda x: 1 / (x + 1e-6), [0.0])
    with pytest.raises(ValueError, match=r"moved by -1e-06 along a random direction"):
        gradcheck(lambda x, y: (x + y + 1.5e-6).log(), [0.0, 0.0], fast=True)


# ----- the copy-paste test file of docs/gradient-tests.md -----------------------------------------

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "gradient-tests.md"


def test_the_guides_test_file_passes_under_pytest(tmp_path: Path) -> None:
    match = re.search(r"^```python\n(.*?)^```$", GUIDE.read_text(encoding="utf-8"), re.M | re.S)
    assert match, f"no python block in {GUIDE}"
    path = tmp_path / "test_my_gradients.py"
    path.write_text(match.group(1))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout, result.stdout


# ----- against torch float64 ---------------------------------------------------------------------


def test_the_numeric_column_is_torchs_derivative() -> None:
    # Where backprop is wrong, the report's numeric values are the true derivatives: torch's
    # float64 autograd of the same function. For order=2 they are differences of backprop's
    # first derivatives, so they are true where those are (frozen_sin's first derivative is).
    torch = pytest.importorskip("torch")

    def first(t: Any) -> Any:
        return torch.sin(t[0]) * torch.exp(t[1]) + torch.sin(t[0] * t[1])

    def second(t: Any) -> Any:
        return torch.sin(t[0]) * torch.exp(t[1])

    point = torch.tensor([0.5, 0.8], dtype=torch.float64)
    jacobian = torch.autograd.functional.jacobian(first, point)
    hessian = torch.autograd.functional.hessian(second, point)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: frozen_sin(x) * y.exp() + sign_flipped_sin(x * y), [0.5, 0.8])
    assert len(caught.value.mismatches) == 2
    for m in caught.value.mismatches:
        assert m.numeric == pytest.approx(float(jacobian[m.inputs]), rel=1e-6, abs=1e-8), m
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: frozen_sin(x) * y.exp(), [0.5, 0.8], order=2)
    assert [m.inputs for m in caught.value.mismatches] == [(0, 0)]
    for m in caught.value.mismatches:
        assert m.numeric == pytest.approx(float(hessian[m.inputs]), rel=1e-6, abs=1e-8), m


def test_torchs_backprop_gives_the_same_non_slope_where_kinks_meet() -> None:
    torch = pytest.importorskip("torch")
    x = torch.zeros((), dtype=torch.float64, requires_grad=True)
    y = torch.tensor(-3.0, dtype=torch.float64)
    (torch.relu(x) * y + 2 * torch.abs(x) + torch.abs(y) * x).backward()
    assert x.grad is not None and float(x.grad) == 3.0


def test_torchs_gradcheck_fails_relu_at_its_kink_and_ours_does_not() -> None:
    torch = pytest.importorskip("torch")
    zero = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(torch.relu, (zero,), raise_exception=False) is False
    assert gradcheck(lambda x: x.relu(), [0.0])


# ----- curvature is not a kink (issue 20) ------------------------------------------------------


def steep(w: Any) -> Any:
    return 1e4 * (w - 1) ** 2


def test_a_wrong_derivative_at_the_minimum_of_a_steep_quadratic_fails() -> None:
    # The one-sided slopes at w = 1 are -+0.02 (eps * q''), far apart, but q is smooth: the
    # claimed 0.005 is 500 tolerances from the slope 0.
    wrong = primitive("q", steep, lambda g, o, w: (g * (2e4 * (w - 1) + 0.005),))
    with pytest.raises(GradcheckError) as caught:
        gradcheck(wrong, [1.0])
    (row,) = caught.value.mismatches
    assert not row.kink and row.analytic == pytest.approx(0.005)
    right = primitive("q", steep, lambda g, o, w: (g * 2e4 * (w - 1),))
    assert gradcheck(right, [1.0], order=2)
    assert gradcheck(right, [1.0 + 3e-7], order=2)


@pytest.mark.parametrize("claimed", [12345.0, 1.0, -0.1, 2e-4])
def test_a_wrong_derivative_near_an_extremum_is_not_taken_for_a_jump(claimed: float) -> None:
    # cos(10 x) at 0.75 eps from its maximum: d/dx = -10 sin(7.5e-6) = -7.5e-5. Its one-sided
    # quotients double when the step halves once, as over a jump; not twice, on both sides.
    wc = primitive("wc", lambda x: math.cos(10 * x), lambda g, o, x: (g * claimed,))
    assert not gradcheck(wc, [7.5e-7], raise_exception=False)
    assert not gradcheck(wc, [7.5e-7], order=2, raise_exception=False)
    right = primitive("wc", lambda x: math.cos(10 * x), lambda g, o, x: (g * -10 * sin(10 * x),))
    assert gradcheck(right, [7.5e-7], order=2)


@pytest.mark.parametrize("x", [1.1e-6, 1.5e-6, 3e-6, 1e-5])
def test_log_next_to_its_domain_edge_passes(x: float) -> None:
    assert gradcheck(lambda v: v.log(), [x], order=2)
