"""gradcheck: backprop's derivatives against finite differences, all of them or projections.

Imports engine, the finite differences (differences) and the report only. Meant for
tests, a user's own CI included:

    from autograd import gradcheck

    def test_my_function():
        assert gradcheck(lambda x, y: (x * y).tanh() + x.exp(), [0.3, -1.2])

What is compared, for each output y_o of f:
- order 1, full: y_o's slope along every unit vector e_i, backprop's J_oi against a central
  difference of f (2 evaluations of f per input);
- order 2, full: the slope along e_j of backprop's first derivative d y_o / dx_i, through
  grad(create_graph=True), against central differences of backprop's first derivatives
  (one float backward pass per evaluation): the whole Hessian;
- fast=True: the same along FAST_PROJECTIONS random directions u (and w) instead of every e_i.
How one slope is judged, kinks and jumps included, is differences.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

from autograd.checking.differences import Direction, Line, Probe, along, compare
from autograd.checking.report import GradcheckError, Mismatch, mismatch_report, wrong_type
from autograd.engine import Number, Value, as_float, dot, enable_grad, grad

# fast=True: how many random directions, and the seed that draws them (every run repeats).
FAST_PROJECTIONS = 16
FAST_SEED = 0


def gradcheck(
    f: Callable[..., Any],
    inputs: Iterable[Value | Number],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    order: int = 1,
    fast: bool = False,
    raise_exception: bool = True,
) -> bool:
    """True when backprop agrees with finite differences for every output and every input.

    `f(*inputs)` returns a Value or a sequence of Values: the whole Jacobian is checked. Value
    inputs are moved in place (their data is restored afterwards), so f may also reach them
    through a closure, e.g. a model's parameters; numbers become new leaves. order=2 also
    checks every second derivative: grad(..., create_graph=True) of each first derivative
    against central differences of backprop's first derivatives.

    fast=True first screens FAST_PROJECTIONS random directions u with entries +-1 (seeded: a
    run repeats exactly), checking J_o . u for every output o (v . J . u with v each output in
    turn, which costs no extra evaluation) against the central difference along u: 2 * 16
    evaluations of f instead of 2 * n. The screen is strict, atol alone with no kinks; only if
    a projection disagrees are the derivatives checked one by one, and that full check decides
    (and names the entries). Why the screen misses nothing the full check flags, but with
    probability 2**-16: such an entry J_oi is wrong by more than atol + rtol |numeric| >= atol.
    Flipping the sign of u_i changes the error (analytic - numeric) . u by twice that, more
    than 2 atol, so at most one of u and its flip passes: each direction misses with
    probability at most 1/2, all 16 with at most 2**-16. The price is time only: where
    rounding, or kinks crossed in several inputs at once, move a projection by more than atol,
    the full check runs (with atol=0 it always does).

    Raises GradcheckError, whose message is a table of every mismatch (worst first) and whose
    .mismatches lists the same rows, or with raise_exception=False returns False.
    """
    eps, atol, rtol = _checked_settings(eps, atol, rtol, order, fast, raise_exception)
    if not callable(f):
        raise wrong_type("gradcheck: f", "must be callable", f)
    leaves = _leaves(inputs)
    probe = Probe(f, leaves)
    rows: list[Mismatch] = []
    notes = []
    checked = 0
    # f runs with grad enabled even inside no_grad(): without a graph there is nothing to check.
    with enable_grad():
        for k, check in enumerate([_first_order, _second_order][:order], start=1):
            if fast:
                screened = check(probe, eps, atol, rtol, fast=True)
                if not screened:
                    continue
                notes.append(
                    f"fast mode: {len(screened)} of {FAST_PROJECTIONS * (probe.n_outputs or 0)} "
                    f"random projections of order {k} disagreed, so each derivative was checked."
                )
            rows += check(probe, eps, atol, rtol, fast=False)
            checked += (probe.n_outputs or 0) * len(leaves) ** k
    if not rows:
        return True
    if not raise_exception:
        return False
    settings = f"eps={eps!r}, atol={atol!r}, rtol={rtol!r}, order={order}, fast={fast}"
    labels = [x.label for x in leaves]
    raise GradcheckError(mismatch_report(rows, checked, labels, settings, notes), rows)


def numerical_grad(
    f: Callable[..., Value], inputs: Sequence[Value | Number], eps: float = 1e-6
) -> list[float]:
    """Central differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) of a one-output f."""
    eps = _checked_settings(eps, 0.0, 0.0, 1, False, True)[0]
    probe = Probe(f, _leaves(inputs))
    with enable_grad():
        slopes = []
        for i in range(len(probe.leaves)):
            up = probe.values([(i, 1.0)], eps)[0]
            down = probe.values([(i, 1.0)], -eps)[0]
            slopes.append((up - down) / (2 * eps))
    return slopes


# ----- the two checks -----------------------------------------------------------------------------


def _directions(n: int, fast: bool, rng: random.Random) -> list[Direction]:
    """Every unit vector e_i, or FAST_PROJECTIONS random vectors with entries +-1."""
    if not fast:
        return [[(i, 1.0)] for i in range(n)]
    return [[(i, rng.choice((-1.0, 1.0))) for i in range(n)] for _ in range(FAST_PROJECTIONS)]


def _first_order(probe: Probe, eps: float, atol: float, rtol: float, fast: bool) -> list[Mismatch]:
    """Every output's slope along every direction u: backprop's J_o . u against differences."""
    with probe.moved([], 0.0) as outputs:
        mid = [y.data for y in outputs]
        jacobian = [[g.data for g in grad(y, probe.leaves)] for y in outputs]
    rows = []
    for k, u in enumerate(_directions(len(probe.leaves), fast, random.Random(FAST_SEED))):
        line = Line(partial(probe.values, u), mid)
        for o, row in enumerate(jacobian):
            found = compare(along(row, u), line, o, *_tolerances(eps, atol, rtol, fast))
            if found is not None:
                # A projection (fast=True) is only counted, never reported: inputs ().
                rows.append(Mismatch(output=o, inputs=() if fast else (k,), order=1, **found))
    return rows


def _second_order(probe: Probe, eps: float, atol: float, rtol: float, fast: bool) -> list[Mismatch]:
    """d/dw of (d y_o / du) through create_graph, against central differences along w of
    backprop's first derivatives d y_o / du.

    Full mode: every pair u = e_i, w = e_j, the whole Hessian of each output. Fast mode: one
    random pair (u_k, w_k) per projection.
    """
    n = len(probe.leaves)
    rng = random.Random(FAST_SEED + 1)
    us = _directions(n, fast, rng)
    ws = _directions(n, fast, rng)
    with probe.moved([], 0.0) as outputs:
        mid = [[g.data for g in grad(y, probe.leaves)] for y in outputs]
        firsts = [grad(y, probe.leaves, create_graph=True) for y in outputs]
        # hessian[o][a][j] = d/dx_j of (d y_o / du_a): backprop through the derivative's graph.
        hessian = [[_gradient_along(d, u, probe.leaves) for u in us] for d in firsts]
    rows = []
    for b, w in enumerate(ws):
        # The quantities differenced along w: d y_o / du_a for each output o and each a.
        checked = [b] if fast else list(range(n))
        pairs = [(o, a) for o in range(len(mid)) for a in checked]

        def firsts_at(
            step: float, w: Direction = w, pairs: list[tuple[int, int]] = pairs
        ) -> list[float]:
            jacobian = probe.jacobian(w, step) if step else mid
            return [along(jacobian[o], us[a]) for o, a in pairs]

        line = Line(firsts_at, firsts_at(0.0))
        for index, (o, a) in enumerate(pairs):
            found = compare(
                along(hessian[o][a], w), line, index, *_tolerances(eps, atol, rtol, fast)
            )
            if found is not None:
                inputs = () if fast else (a, b)
                rows.append(Mismatch(output=o, inputs=inputs, order=2, **found))
    return rows


def _tolerances(
    eps: float, atol: float, rtol: float, fast: bool
) -> tuple[float, float, float, bool]:
    """compare's settings: the user's, or for fast mode's screen atol alone and no kinks.

    The screen may be strict: a projection that disagrees only costs the full check, which
    then decides. atol is the smallest tolerance the full check gives any entry, so an entry
    it would flag moves each projection by more than the screen allows (see gradcheck).
    """
    if fast:
        return eps, atol, 0.0, True
    return eps, atol, rtol, False


def _gradient_along(firsts: list[Value], u: Direction, leaves: list[Value]) -> list[float]:
    """The gradient of sum_i u_i dy/dx_i, by backprop through create_graph's Values."""
    if len(u) == 1:
        i, c = u[0]
        along = firsts[i] * c
    else:
        along = dot([c for _, c in u], [firsts[i] for i, _ in u])
    return [g.data for g in grad(along, leaves)]


# ----- arguments ----------------------------------------------------------------------------------


def _leaves(inputs: object) -> list[Value]:
    """The Values to move: each Value input itself, a new leaf for each number."""
    if isinstance(inputs, (Value, str, bytes)) or not isinstance(inputs, Iterable):
        raise wrong_type("gradcheck: inputs", "must be a list of numbers or Values", inputs)
    leaves: list[Value] = []
    seen: dict[Value, int] = {}
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            if x in seen:
                raise ValueError(
                    f"gradcheck: inputs[{i}] is the same Value as inputs[{seen[x]}]; "
                    f"pass each Value once"
                )
            seen[x] = i
            leaf = x
        else:
            leaf = Value(as_float(x, f"gradcheck: inputs[{i}]"))
        if not math.isfinite(leaf.data):
            raise ValueError(
                f"gradcheck: inputs[{i}] is {leaf.data!r}: finite differences need finite inputs"
            )
        leaves.append(leaf)
    if not leaves:
        raise ValueError("gradcheck: inputs is empty; give f at least one input")
    return leaves


def _checked_settings(
    eps: object, atol: object, rtol: object, order: object, fast: object, raise_exception: object
) -> tuple[float, float, float]:
    eps = as_float(eps, "gradcheck: eps")
    if not 0 < eps < math.inf:
        raise ValueError(f"gradcheck: eps must be a positive finite step, got {eps!r}")
    tolerances = []
    for name, x in (("atol", atol), ("rtol", rtol)):
        x = as_float(x, f"gradcheck: {name}")
        if not x >= 0:
            raise ValueError(f"gradcheck: {name} must be >= 0, got {x!r}")
        tolerances.append(x)
    if isinstance(order, bool) or order not in (1, 2):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order!r}")
    for name, flag in (("fast", fast), ("raise_exception", raise_exception)):
        if not isinstance(flag, bool):
            raise TypeError(f"gradcheck: {name} must be True or False, got {flag!r}")
    return eps, tolerances[0], tolerances[1]
