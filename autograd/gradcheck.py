"""gradcheck: compare backprop's gradients with central finite differences.

Imports engine only. Meant for tests, including a user's own pytest suite:

    from autograd import gradcheck

    def test_my_function():
        assert gradcheck(lambda x, y: (x * y).tanh() + x.exp(), [0.3, -1.2])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from autograd.engine import Number, Value, grad


class GradcheckError(RuntimeError):
    """Backprop and finite differences disagree; the message lists every mismatching input."""


def _call(f: Callable[..., Value], xs: list[Value]) -> Value:
    out = f(*xs)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    return out


def numerical_grad(
    f: Callable[..., Value], inputs: Sequence[Number], eps: float = 1e-6
) -> list[float]:
    """Central differences: (f(x + eps) - f(x - eps)) / (2 eps) for each input in turn.

    Each evaluation runs on fresh leaves. Not under no_grad(): f may itself call grad(), to
    check a second derivative, and grad() needs the graph that f builds.
    """
    point = [Value(x).data for x in inputs]
    slopes = []
    for i in range(len(point)):
        up = list(point)
        down = list(point)
        up[i] += eps
        down[i] -= eps
        f_up = _call(f, [Value(x) for x in up]).data
        f_down = _call(f, [Value(x) for x in down]).data
        slopes.append((f_up - f_down) / (2 * eps))
    return slopes


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[Number],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """True if d f / d input from backprop matches central differences for every input.

    An input matches when |analytic - numeric| <= atol + rtol * |numeric| (PyTorch's test).
    Otherwise raises GradcheckError naming each mismatching input's index and both values.
    """
    xs = [Value(x) for x in inputs]
    analytic = [g.data for g in grad(_call(f, xs), xs)]
    numeric = numerical_grad(f, inputs, eps)
    mismatches = [
        f"  input {i}: analytic {a!r}, numeric {n!r}"
        for i, (a, n) in enumerate(zip(analytic, numeric))
        if not abs(a - n) <= atol + rtol * abs(n)
    ]
    if mismatches:
        raise GradcheckError(
            f"gradcheck: backprop disagrees with finite differences for {len(mismatches)} of "
            f"{len(xs)} inputs (eps={eps}, atol={atol}, rtol={rtol}):\n" + "\n".join(mismatches)
        )
    return True
