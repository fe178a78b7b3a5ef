"""Finite differences along a line: the central slope, the one-sided ones, kinks and jumps.

Imports engine (and the report's rows) only; gradcheck is built on this. For a checked
quantity q (an output of f, or a first derivative for order=2) at the inputs moved by t along
a direction, backprop's slope at t = 0 is compared with the central difference

    numeric = (q(eps) - q(-eps)) / (2 eps)

and accepted when |analytic - numeric| <= atol + rtol * |numeric| (PyTorch's test). Where that
fails, the one-sided slopes decide whether the inputs sit on a kink. Each is extrapolated from
two steps (Richardson), so that curvature cancels:

    D(s) = (q(s) - q(0)) / s            right = 2 D(eps / 2) - D(eps)     (left: s < 0)

Where q is smooth, left and right both equal q'(0) to O(eps**2), and a derivative wrong by
more than the tolerance fails as it does in PyTorch. Where they disagree (by more than
atol + rtol * max(|left|, |right|)), q has a kink, and any value between them is a
subgradient (relu'(0) = 0 lies between 0 and 1): the check passes when backprop's value lies
in [min, max], widened by that tolerance. Where even the extrapolation is unstable (a kink
within eps, q changing faster than a quadratic), the plain quotients D(eps) bound the slope.
And where q jumps on both sides (abs' = sign, at 0, when order=2 differences first
derivatives) it has no slope at all, and any value passes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import pairwise
from typing import Any

from autograd.checking.report import wrong_type
from autograd.engine import Value, grad

# A direction to move the inputs in: (input index, coefficient) pairs. e_i is [(i, 1.0)].
Direction = list[tuple[int, float]]


class Line:
    """The checked quantities (one per output, say) at the inputs moved by t along a direction,
    each t evaluated once: the smaller steps of the one-sided slopes are only taken where the
    central difference fails."""

    def __init__(self, evaluate: Callable[[float], list[float]], mid: list[float]) -> None:
        self.evaluate = evaluate
        self.seen = {0.0: mid}

    def at(self, step: float) -> list[float]:
        if step not in self.seen:
            self.seen[step] = self.evaluate(step)
        return self.seen[step]


def along(row: list[float], u: Direction) -> float:
    """row . u, the derivative along u of the function whose gradient is row."""
    return math.fsum(row[i] * c for i, c in u)


def compare(
    analytic: float,
    line: Line,
    index: int,
    eps: float,
    atol: float,
    rtol: float,
    strict: bool = False,
) -> dict[str, Any] | None:
    """None when backprop's slope of q at 0 passes; else the numbers of the report's row.

    q(t) = line.at(t)[index], the checked function at the inputs moved by t along the line.
    strict=True (fast mode's screen) judges by the central difference alone.
    """

    def q(step: float) -> float:
        return line.at(step)[index]

    numeric = (q(eps) - q(-eps)) / (2 * eps)
    tolerance = atol + rtol * abs(numeric)
    if abs(analytic - numeric) <= tolerance:
        return None
    if strict:
        return _row(analytic, numeric, None, None, abs(analytic - numeric), abs(numeric), tolerance)
    # The one-sided quotients at steps eps, eps / 2, eps / 4, left side and right side.
    left_quotients, right_quotients = (_quotients(q, side, eps) for side in (-1.0, 1.0))
    # NOTE: each value of q is rounded, by about an ulp of the largest, so a quotient at step
    # s is uncertain by 2 rounding / s. Finite differences cannot tell derivatives apart
    # below that (with a loss near 1e8 and eps = 1e-6, about 0.03): PyTorch's check fails a
    # right one there, this one passes what agrees within it.
    rounding = _rounding([q(t) for t in line.seen if abs(t) <= eps]) / eps
    if abs(analytic - numeric) <= tolerance + rounding:
        return None
    left, right = _extrapolated(left_quotients), _extrapolated(right_quotients)
    low, high = min(left, right), max(left, right)
    size = max(abs(left), abs(right))
    # 2 D(eps / 2) - D(eps) is uncertain by 2 (4 rounding) + 2 rounding.
    kink_tolerance = atol + rtol * size + 10 * rounding
    if low - kink_tolerance <= analytic <= high + kink_tolerance:
        return None
    if not (
        _resolved(left_quotients, kink_tolerance + 20 * rounding)
        and _resolved(right_quotients, kink_tolerance + 20 * rounding)
    ):
        # NOTE: q changes faster than a quadratic within eps (a kink within eps, log next to
        # its domain's edge): the extrapolation is no better than the plain quotients, and
        # for a convex or concave q the slope lies between those. A derivative wrong by less
        # than their spread, about eps |q''|, passes here: finite differences at this eps
        # cannot resolve it.
        outer = (left_quotients[0], right_quotients[0])
        if min(outer) - kink_tolerance <= analytic <= max(outer) + kink_tolerance:
            return None
    if _jumps(left_quotients, kink_tolerance) and _jumps(right_quotients, kink_tolerance):
        return None
    if high - low > kink_tolerance:
        error = low - analytic if analytic < low else analytic - high
        return _row(analytic, numeric, left, right, error, size, kink_tolerance)
    return _row(analytic, numeric, None, None, abs(analytic - numeric), abs(numeric), tolerance)


def _rounding(values: list[float]) -> float:
    """How far each of these values may be from its exact value: 2 ulps of the largest (0
    where one is not finite: there no tolerance is widened)."""
    largest = max(abs(v) for v in values)
    return 2 * math.ulp(largest) if math.isfinite(largest) else 0.0


def _quotients(q: Callable[[float], float], side: float, eps: float) -> list[float]:
    """The one-sided difference quotients D(s) = (q(side s) - q(0)) / (side s) for s = eps,
    eps / 2, eps / 4: the slope of q just left of 0 (side -1) or just right of it (side 1)."""
    return [side * (q(side * s) - q(0.0)) / s for s in (eps, eps / 2, eps / 4)]


def _extrapolated(quotients: list[float]) -> float:
    """The one-sided slope, Richardson-extrapolated from steps eps and eps / 2:
    2 D(eps / 2) - D(eps).

    A one-sided quotient is q'(0) -+ q''(0) s / 2 + O(s**2): on its own it differs from the
    slope by the curvature (near the minimum of a steep quadratic, by far more than the
    tolerance), which once made curvature look like a kink. The extrapolation cancels the s
    term, leaving O(eps**2): where q is smooth, left and right agree with q'(0) as closely as
    the central difference does, and only a real kink keeps them apart. Where a kink lies
    within eps of 0 on one side, the other side's slope is still the slope at 0.
    """
    return 2 * quotients[1] - quotients[0]


def _resolved(quotients: list[float], tol: float) -> bool:
    """True when the extrapolation is stable: from steps eps / 2 and eps / 4 it gives the same
    slope within tol. Where q is smooth the two differ by about eps**2 |q'''| / 16."""
    again = 2 * quotients[2] - quotients[1]
    return abs(again - _extrapolated(quotients)) <= tol


def _jumps(quotients: list[float], tol: float) -> bool:
    """True when q jumps at 0 on this side: over a jump of size J the quotient is J / s, so it
    doubles each time the step halves (here by a factor between 1.5 and 2.5, twice).

    gradcheck passes any value where q jumps on both sides (abs' = sign, with abs'(0) = 0
    between its sides): there q has no slope. A smooth q cannot pass this test on either side:
    its quotients q'(0) + q''(0) s / 2 (right side) double on the first halving only where
    q'(0) lies between -q''(0) eps and -2/3 q''(0) eps, on the second only between -1/2 and
    -1/3 of it. (Where q(0) is one side's limit, as relu'(0) = 0 is, that side is flat and
    the slopes' interval already passes the value.)
    """
    for wide, narrow in pairwise(quotients):
        if not abs(narrow - wide) > tol:
            return False
        if not 1.5 * abs(wide) <= abs(narrow) <= 2.5 * abs(wide) or (wide > 0) != (narrow > 0):
            return False
    return True


def _row(
    analytic: float,
    numeric: float,
    left: float | None,
    right: float | None,
    error: float,
    size: float,
    tolerance: float,
) -> dict[str, Any]:
    relative = error / size if size > 0 else (0.0 if error == 0 else math.inf)
    return {
        "analytic": analytic,
        "numeric": numeric,
        "left": left,
        "right": right,
        "abs_error": error,
        "rel_error": relative,
        "tolerance": tolerance,
        "kink": left is not None,
    }


# ----- evaluating f -------------------------------------------------------------------------------


class Probe:
    """f on the caller's leaves: at the given inputs, or with them moved along a direction."""

    def __init__(self, f: Callable[..., Any], leaves: list[Value]) -> None:
        self.f = f
        self.leaves = leaves
        self.start = [x.data for x in leaves]
        self.n_outputs: int | None = None

    @contextmanager
    def moved(self, direction: Direction, step: float) -> Iterator[list[Value]]:
        """f's outputs with each input i of the direction at start_i + step * c_i. The inputs
        stay there until the block ends (backprop reads their data), then go back exactly."""
        try:
            for i, c in direction:
                self.leaves[i].data = self.start[i] + step * c
            yield self._outputs(self._call(direction, step))
        finally:
            for i, _ in direction:
                self.leaves[i].data = self.start[i]

    def values(self, direction: Direction, step: float) -> list[float]:
        with self.moved(direction, step) as outputs:
            return [y.data for y in outputs]

    def jacobian(self, direction: Direction, step: float) -> list[list[float]]:
        with self.moved(direction, step) as outputs:
            return [[g.data for g in grad(y, self.leaves)] for y in outputs]

    def _call(self, direction: Direction, step: float) -> object:
        try:
            return self.f(*self.leaves)
        except Exception as error:
            if not direction:
                where = "at the given inputs"
            elif len(direction) == 1:
                i, c = direction[0]
                where = f"with inputs[{i}] moved by {step * c:+g} to {self.leaves[i].data!r}"
            else:
                where = f"with the inputs moved by {step:+g} along a random direction"
            raise ValueError(
                f"gradcheck: f raised {type(error).__name__} {where}: {error}"
            ) from error

    def _outputs(self, out: object) -> list[Value]:
        """f's result as a list of Values, the same number at every point."""
        if isinstance(out, Value):
            outputs = [out]
        elif isinstance(out, (list, tuple)):
            outputs = list(out)
            for k, y in enumerate(outputs):
                if not isinstance(y, Value):
                    raise wrong_type(f"gradcheck: f's output [{k}]", "must be a Value", y)
            if not outputs:
                raise ValueError("gradcheck: f returned an empty sequence: nothing to check")
        else:
            raise wrong_type("gradcheck: f", "must return a Value or a sequence of Values", out)
        if self.n_outputs is None:
            self.n_outputs = len(outputs)
        elif len(outputs) != self.n_outputs:
            raise ValueError(
                f"gradcheck: f returned {self.n_outputs} outputs at the given inputs but "
                f"{len(outputs)} at a moved point"
            )
        return outputs
