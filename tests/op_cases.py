"""Every op, listed once: how to call it, a float reference and a valid domain.

The tests in test_engine.py check each entry's value, first derivative and second derivative.
The hand-written entries call Value's operators and methods against references from math;
`covers` names the Value attributes (or autograd functions) an entry exercises, and a guard
test fails when a public op is in no entry's `covers`. Then one entry per row of
autograd.primitives.PRIMITIVES is drawn from the table itself (`ROW_CASES`): the row applied
to Values, against its own forward on floats, so a new row is tested (its rule against finite
differences of its forward, once and through create_graph) without editing a list here.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograd import dot, maximum, primitive, sigmoid
from autograd.engine import _apply
from autograd.primitives import ABS, DIV, LOG, MAX, POW, PRIMITIVES, RELU, SQRT, Primitive

# A user's own primitive, in the table like the built-in ops (and used by the tests of
# primitive() and by the random graphs): log(1 + e^x), written so that it never overflows.
softplus = primitive(
    "softplus",
    lambda x: math.log1p(math.exp(-abs(x))) + max(x, 0.0),
    lambda g, out, x: (g * sigmoid(x),),
)


@dataclass(frozen=True)
class OpCase:
    name: str
    call: Callable[..., Any]  # on Values (and on floats for the composed operators)
    reference: Callable[..., float]  # the same function on plain floats, from math
    domain: tuple[tuple[float, float], ...]  # (lo, hi) for each argument
    covers: tuple[str, ...]
    # Points too close to a kink or a pole, where finite differences mean nothing.
    avoid: Callable[..., bool] = lambda *xs: False


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _near_zero(*xs: float) -> bool:
    return any(abs(x) < 1e-2 for x in xs)


OP_CASES = [
    OpCase("add", lambda x, y: x + y, lambda x, y: x + y, ((-5, 5), (-5, 5)), ("__add__",)),
    OpCase("radd", lambda x: 2.5 + x, lambda x: 2.5 + x, ((-5, 5),), ("__radd__",)),
    OpCase("sub", lambda x, y: x - y, lambda x, y: x - y, ((-5, 5), (-5, 5)), ("__sub__",)),
    OpCase("rsub", lambda x: 2.5 - x, lambda x: 2.5 - x, ((-5, 5),), ("__rsub__",)),
    OpCase("mul", lambda x, y: x * y, lambda x, y: x * y, ((-5, 5), (-5, 5)), ("__mul__",)),
    OpCase("rmul", lambda x: 2.5 * x, lambda x: 2.5 * x, ((-5, 5),), ("__rmul__",)),
    OpCase("neg", lambda x: -x, lambda x: -x, ((-5, 5),), ("__neg__",)),
    OpCase(
        "div",
        lambda x, y: x / y,
        lambda x, y: x / y,
        ((-5, 5), (-5, 5)),
        ("__truediv__",),
        avoid=lambda x, y: abs(y) < 0.3,
    ),
    OpCase(
        "rdiv",
        lambda x: 2.5 / x,
        lambda x: 2.5 / x,
        ((-5, 5),),
        ("__rtruediv__",),
        avoid=lambda x: abs(x) < 0.3,
    ),
    OpCase("pow_int", lambda x: x**3, lambda x: x**3, ((-3, 3),), ("__pow__",)),
    OpCase("pow_zero", lambda x: x**0, lambda x: 1.0, ((-3, 3),), ("__pow__",)),
    OpCase(
        "pow_negative_int",
        lambda x: x**-2,
        lambda x: x**-2,
        ((-3, 3),),
        ("__pow__",),
        avoid=lambda x: abs(x) < 0.3,
    ),
    OpCase("pow_fraction", lambda x: x**0.5, lambda x: x**0.5, ((0.2, 5),), ("__pow__",)),
    OpCase(
        "pow_negative_fraction", lambda x: x**-1.5, lambda x: x**-1.5, ((0.2, 5),), ("__pow__",)
    ),
    OpCase(
        "pow_value_exponent",
        lambda x, y: x**y,
        lambda x, y: x**y,
        ((0.2, 3), (-2, 2)),
        ("__pow__",),
    ),
    OpCase("rpow", lambda x: 2.5**x, lambda x: 2.5**x, ((-3, 3),), ("__rpow__",)),
    OpCase("exp", lambda x: x.exp(), math.exp, ((-5, 5),), ("exp",)),
    OpCase("log", lambda x: x.log(), math.log, ((0.1, 10),), ("log",)),
    OpCase("sqrt", lambda x: x.sqrt(), math.sqrt, ((0.1, 10),), ("sqrt",)),
    OpCase("tanh", lambda x: x.tanh(), math.tanh, ((-4, 4),), ("tanh",)),
    OpCase("sigmoid", lambda x: x.sigmoid(), _sigmoid, ((-6, 6),), ("sigmoid",)),
    OpCase(
        "relu", lambda x: x.relu(), lambda x: max(0.0, x), ((-5, 5),), ("relu",), avoid=_near_zero
    ),
    OpCase("abs", lambda x: x.abs(), abs, ((-5, 5),), ("abs",), avoid=_near_zero),
    OpCase("builtin_abs", lambda x: abs(x), abs, ((-5, 5),), ("__abs__",), avoid=_near_zero),
    OpCase(
        "dot",
        lambda w1, w2, x1, x2: dot([w1, w2], [x1, x2]),
        lambda w1, w2, x1, x2: w1 * x1 + w2 * x2,
        ((-3, 3),) * 4,
        ("dot",),
    ),
    OpCase(
        "dot_with_reuse_and_numbers",
        lambda w, x: dot([w, x, 2.0, w], [x, x, w, 0.5]),
        lambda w, x: w * x + x * x + 2.0 * w + w * 0.5,
        ((-3, 3),) * 2,
        ("dot",),
    ),
    OpCase("user_softplus", softplus, lambda x: math.log1p(math.exp(x)), ((-5, 5),), ()),
    OpCase("sin", lambda x: x.sin(), math.sin, ((-5, 5),), ("sin",)),
    OpCase("cos", lambda x: x.cos(), math.cos, ((-5, 5),), ("cos",)),
    OpCase(
        "maximum",
        lambda x, y: maximum(x, y),
        max,
        ((-5, 5), (-5, 5)),
        ("maximum",),
        avoid=lambda x, y: abs(x - y) < 1e-2,
    ),
]


# ----- one entry per row of the table of primitives -----------------------------------------------

# Where a row's forward is defined and smooth, for the rows where that is not all of [-3, 3].
_DOMAINS: dict[Primitive, tuple[tuple[float, float], ...]] = {
    LOG: ((0.1, 10),),
    SQRT: ((0.1, 10),),
    POW: ((0.2, 3), (-2, 2)),
}
_KINKS: dict[Primitive, Callable[..., bool]] = {
    DIV: lambda x, y: abs(y) < 0.3,
    RELU: _near_zero,
    ABS: _near_zero,
    MAX: lambda x, y: abs(x - y) < 1e-2,
}
_CONSTANTS = {"n": 3.0}  # a value for each keyword constant a row takes (x ** n's n)
_MANY = 5  # parents given to a row of any number of them: dot's w1, w2, x1, x2 and bias


def _row_case(op: Primitive) -> OpCase:
    parameters = inspect.signature(op.forward).parameters.values()
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    many = any(p.kind is p.VAR_POSITIONAL for p in parameters)
    consts = {p.name: _CONSTANTS[p.name] for p in parameters if p.kind is p.KEYWORD_ONLY}
    bound = op.bind(**consts)
    arity = _MANY if many else len(positional)
    return OpCase(
        f"row {op.name}{'(' + ','.join(consts) + ')' if consts else ''}",
        lambda *xs: _apply(bound, xs),
        bound.forward,
        _DOMAINS.get(op, ((-3, 3),) * arity),
        (),
        avoid=_KINKS.get(op, lambda *xs: False),
    )


ROW_CASES = [_row_case(op) for op in PRIMITIVES]
OP_CASES += ROW_CASES
