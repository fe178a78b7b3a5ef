"""Finite differences along a line: the central slope, the one-sided ones, kinks and jumps.

Imports engine (and the report's rows) only; gradcheck is built on this. For a checked
quantity q (an output of f, or a first derivative for order=2) at the inputs moved by t along
a direction, backprop's slope at t = 0 is compared with the central difference

    numeric = (q(eps) - q(-eps)) / (2 eps)

and accepted when |analytic - numeric| <= atol + rtol * |numeric| (PyTorch's test). Where that
fails, the one-sided differences decide whether the inputs sit on a kink:

    left = (q(0) - q(-eps)) / eps        right = (q(eps) - q(0)) / eps

If they disagree by more than atol + rtol * max(|left|, |right|), q has no single slope there
and any value between them is a subgradient (relu'(0) = 0 lies between 0 and 1): the check
passes when backprop's value lies in [min, max], widened by that tolerance. And where q jumps
(abs' = sign, at 0, when order=2 differences first derivatives) it has no slope at all, and
any value passes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from autograd.engine import Value, grad

# A direction to move the inputs in: (input index, coefficient) pairs. e_i is [(i, 1.0)].
Direction = list[tuple[int, float]]


class Line:
    """The checked quantities (one per output, say) at the inputs moved by t along a direction,
    each t evaluated once: the half steps of _jumps are only taken where a check fails."""

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
    analytic: float, line: Line, index: int, eps: float, atol: float, rtol: float
) -> dict[str, Any] | None:
    """None when backprop's slope of q at 0 passes; else the numbers of the report's row.

    q(t) = line.at(t)[index], the checked function at the inputs moved by t along the line.
    """

    def q(step: float) -> float:
        return line.at(step)[index]

    down, mid, up = q(-eps), q(0.0), q(eps)
    numeric = (up - down) / (2 * eps)
    tolerance = atol + rtol * abs(numeric)
    if abs(analytic - numeric) <= tolerance:
        return None
    left = (mid - down) / eps
    right = (up - mid) / eps
    low, high = min(left, right), max(left, right)
    size = max(abs(left), abs(right))
    kink_tolerance = atol + rtol * size
    is_kink = high - low > kink_tolerance
    if is_kink and low - kink_tolerance <= analytic <= high + kink_tolerance:
        # NOTE: any slope between the one-sided ones is a subgradient. A smooth q with a large
        # curvature, |q''| eps > atol, also looks like a kink: the check is then looser by
        # eps |q''| / 2 at most.
        return None
    if _jumps(q, left, right, eps, kink_tolerance):
        return None
    if is_kink:
        error = low - analytic if analytic < low else analytic - high
        return _row(analytic, numeric, left, right, error, size, kink_tolerance)
    return _row(analytic, numeric, None, None, abs(analytic - numeric), abs(numeric), tolerance)


def _jumps(q: Callable[[float], float], left: float, right: float, eps: float, tol: float) -> bool:
    """True when q jumps within eps of 0 (abs' = sign does, at 0): there q has no slope.

    A one-sided difference quotient over a jump grows like 1 / step: halving the step doubles
    it, where a slope (smooth or kinked) would stay put.
    """
    mid = q(0.0)
    for side, slope in ((-1.0, left), (1.0, right)):
        half = side * (q(side * eps / 2) - mid) / (eps / 2)
        if abs(half - slope) > tol and abs(half - 2 * slope) <= abs(slope) / 4:
            # NOTE: a smooth q can pass this test only where q' is within about eps |q''| of
            # zero, in one ratio to it; such a point is a near-extremum of q, checked no
            # further.
            return True
    return False


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
                    raise TypeError(
                        f"gradcheck: f must return Values, but its output [{k}] is "
                        f"{type(y).__name__}: {y!r}"
                    )
            if not outputs:
                raise ValueError("gradcheck: f returned an empty sequence: nothing to check")
        else:
            raise TypeError(
                f"gradcheck: f must return a Value or a sequence of Values, got "
                f"{type(out).__name__}: {out!r}"
            )
        if self.n_outputs is None:
            self.n_outputs = len(outputs)
        elif len(outputs) != self.n_outputs:
            raise ValueError(
                f"gradcheck: f returned {self.n_outputs} outputs at the given inputs but "
                f"{len(outputs)} at a moved point"
            )
        return outputs
