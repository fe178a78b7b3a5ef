"""gradcheck: it passes correct gradients and catches a wrong one, with a useful report."""

from __future__ import annotations

import math

import pytest

from autograd import GradcheckError, Value, grad, gradcheck, numerical_grad, primitive


def test_passes_a_correct_gradient() -> None:
    assert gradcheck(lambda x, y: (x * y).tanh() + x.exp() * y.sigmoid(), [0.3, -1.2]) is True


def test_numerical_grad_is_central_differences() -> None:
    slopes = numerical_grad(lambda x, y: x * x * y, [3.0, 2.0])
    assert slopes == pytest.approx([12.0, 9.0], rel=1e-8)


def wrong_sin(x: Value) -> Value:
    """sin(x) with a deliberately wrong derivative: +sin(x) instead of cos(x)."""
    return primitive("wrong_sin", math.sin, lambda g, out, x: (g * out,))(x)


def test_catches_a_wrong_derivative_and_names_the_input() -> None:
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a, b: a * 2 + wrong_sin(b), [0.5, 1.0])
    message = str(caught.value)
    assert "1 of 2 inputs" in message
    assert "input 1" in message
    assert "input 0" not in message
    assert repr(math.sin(1.0)) in message  # the analytic value
    assert f"{math.cos(1.0):.6f}"[:6] in message  # the numeric value


def test_tolerances_are_pytorchs() -> None:
    # A gradient off by 0.05 % passes rtol=1e-3 and fails rtol=1e-4.
    def slightly_off(x: Value) -> Value:
        return primitive("off", lambda x: x * 3, lambda g, out, x: (g * 3 * 1.0005,))(x)

    assert gradcheck(slightly_off, [1.0])
    with pytest.raises(GradcheckError):
        gradcheck(slightly_off, [1.0], rtol=1e-4)


def test_a_nan_gradient_is_a_mismatch() -> None:
    def nan_grad(x: Value) -> Value:
        return primitive("nan", lambda x: x, lambda g, out, x: (g * math.nan,))(x)

    with pytest.raises(GradcheckError, match="nan"):
        gradcheck(nan_grad, [1.0])


def test_refuses_a_function_that_returns_no_value() -> None:
    with pytest.raises(TypeError, match="float"):
        gradcheck(lambda x: 1.0, [1.0])  # type: ignore[arg-type, return-value]


def test_refuses_non_number_inputs() -> None:
    with pytest.raises(TypeError, match="str"):
        gradcheck(lambda x: x, ["1.0"])  # type: ignore[list-item]


def test_leaves_no_gradients_behind() -> None:
    w = Value(2.0)
    gradcheck(lambda x: x * w, [1.5])
    assert w.grad == 0.0


def test_checks_a_second_derivative_through_grad() -> None:
    # f(x) = d/dx (x**3 sin x), built with grad(create_graph=True): gradcheck compares its
    # derivative, the second derivative of x**3 sin x, with finite differences of f.
    def first_derivative(x: Value) -> Value:
        (dx,) = grad(x**3 * x.sin(), [x], create_graph=True)
        return dx

    assert gradcheck(first_derivative, [0.7])
