"""The one table of primitives: each op's forward formula on floats next to its local derivative.

Standard library only; nothing here builds a node. A `Primitive` is a record of three things:

- `forward(*xs, **consts)`: the op's value, on plain floats;
- `rule(g, out, *parents, **consts)`: the local chain rule. It maps the upstream gradient `g`
  to one term per parent, in parent order. It is written in arithmetic (and the dual functions
  below) that works on floats and on Values alike: the engine feeds it floats in `backward()`
  and Values in `grad(..., create_graph=True)`, so one rule serves both passes and its own
  derivative follows by running the engine on it again;
- keyword constants (`consts`): numbers an op takes that are not differentiated, such as the
  `n` of `x ** n`. They are stored with the node and passed to forward and rule by keyword.

The file reads bottom up: the table itself is at the end, one row per op with its math above
it, and `PRIMITIVES` lists every row; above it the dual functions, and above those the
forwards and rules too long for one line. autograd.engine turns a Primitive into nodes;
`Value`'s operators and methods are thin entries into this table, and a user's
`primitive(name, forward, rule)` adds a row of the same kind.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Number = int | float

Rule = Callable[..., tuple[Any, ...]]


def as_float(x: object, what: str) -> float:
    """x as a float if it is a real number (numpy scalars too, bool not), else TypeError.

    The one "is this a number" check of autograd and nn: `what` names the argument.
    """
    if type(x) is float:
        return x
    # An int (the 0 that sum() starts from, the 1 of 1 - x) skips the slower ABC check.
    if type(x) is not int and (isinstance(x, bool) or not isinstance(x, numbers.Real)):
        raise TypeError(f"{what} must be a real number, got {type(x).__name__}: {x!r}")
    try:
        return float(x)
    except OverflowError:  # an int beyond the largest float, such as 10**400
        raise OverflowError(f"{what} is too large for a float (beyond +-1.8e308)") from None


@dataclass(frozen=True, slots=True, eq=False)
class Primitive:
    """An op: its name, its forward on floats and its rule (see the module docstring).

    `consts` are the constants bound into forward and rule (`bind`); empty for most ops.
    Two primitives are the same op only if they are the same object (eq=False: hashed by
    identity, which makes `bind`'s cache cheap; nothing compares ops by their fields).
    """

    name: str
    forward: Callable[..., float]
    rule: Rule
    consts: tuple[tuple[str, Any], ...] = ()

    def bind(self, **consts: Any) -> Primitive:
        """This op with constants bound in: forward and rule get them by keyword. Each
        constant must be a real number (TypeError naming the op and the constant)."""
        return with_constants(self, consts) if consts else self

    def describe(self) -> str:
        """How a node of this op is named in pictures: `**2` for an operator with a constant,
        `leaky_relu(slope=0.01)` for a named op, the bare name without constants."""
        if not self.consts:
            return self.name
        if not self.name.isidentifier():
            return self.name + ",".join(f"{v:g}" for _, v in self.consts)
        return self.name + "(" + ", ".join(f"{k}={v:g}" for k, v in self.consts) + ")"


# typed: the constants' types are part of the key, so that x ** 2 and a user's op(x, k=2) keep
# the constant's own type where 2.0 came first.
@functools.lru_cache(maxsize=1024, typed=True)
def bound(op: Primitive, names: tuple[str, ...], *values: Any) -> Primitive:
    """op.bind(**dict(zip(names, values))), made and checked once per set of constants: every
    x ** 2 shares one, and so does every unit's leaky_relu(x, slope=0.01). The engine's x ** n
    calls it directly (no keywords to build); the values must be hashable."""
    keywords = dict(zip(names, values, strict=True))
    _check_constants(op, keywords)
    forward = functools.partial(op.forward, **keywords)
    rule = functools.partial(op.rule, **keywords)
    return Primitive(op.name, forward, rule, tuple(keywords.items()))


def with_constants(op: Primitive, consts: dict[str, Any]) -> Primitive:
    """op.bind(**consts), for a caller that holds the dict already (a user's op)."""
    try:
        return bound(op, tuple(consts), *consts.values())
    except TypeError:  # a constant that cannot be a key (a list) is no number: say so
        _check_constants(op, consts)
        raise


def _check_constants(op: Primitive, consts: dict[str, Any]) -> None:
    for key, value in consts.items():
        as_float(value, f"{op.name}'s constant {key}")


# ----- forwards on floats and rules that need more than one line ---------------------------------
# Each forward raises the errors API.md names. NaN goes through every forward as it does in
# PyTorch: no op turns a NaN into a number.


def _divide(x: float, y: float) -> float:
    if y == 0:
        raise ZeroDivisionError(f"division by zero: {x!r} / {y!r}")
    return x / y


def _divide_rule(g: Any, out: Any, x: Any, y: Any) -> tuple[Any, Any]:
    # NOTE: d/dy = -x / y**2 written as -g * (out / y), as PyTorch does: y**2 would overflow
    # (1e200 / 1e200) or underflow where the true derivative is a finite float.
    return g / y, -g * (out / y)


def _power(x: float, y: float) -> float:
    if x == 0 and y < 0:
        raise ZeroDivisionError(f"pow: 0.0 cannot be raised to the negative power {y!r}")
    if x < 0 and math.isfinite(y) and not y.is_integer():  # (-2) ** -inf is 0, as in IEEE
        raise ValueError(f"pow: negative base {x!r} to the non-integer power {y!r}")
    try:
        return x**y
    except OverflowError:
        # NOTE: too large for a float is +-inf, as in PyTorch (and as x * y does); a rule
        # that raises x to a power can then never fail in backward().
        return math.inf if x > 0 or y % 2 == 0 else -math.inf


def _number(x: Any) -> float:
    """The number x stands for, inside a rule: a float's or a Value's own (float() of a Value
    refuses under grad mode, in which create_graph runs rules), float(x) for anything else (a
    compiled step's symbolic value refuses that: such a rule is not compiled)."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        return float(x)
    data = getattr(x, "data", None)
    return data if isinstance(data, float) else float(x)


def _raise(x: Any, y: Any) -> Any:
    """x ** y inside a rule: on floats with the forward's overflow to inf, on Values an op."""
    if type(x) is float and type(y) is float:
        return _power(x, y)
    return x**y


def _power_dx(g: Any, x: Any, y: Any) -> Any:
    """d/dx x**y = y x**(y-1), with PyTorch's conventions where that formula has no value."""
    # NOTE: x**0 is 1 for every x, so d/dx is 0 where y == 0, also where x**(y-1) has no
    # finite value (x = 0, a subnormal x whose reciprocal overflows, nan).
    if _number(y) == 0 and not abs(_number(x)) * sys.float_info.max >= 1:
        return 0.0
    if _number(x) == 0 and y < 1:
        # NOTE: x**y for 0 < y < 1 rises infinitely steeply at 0: d/dx is +inf. It is written
        # inf * (1 - x), the same inf, whose own derivative is -inf: the limit of
        # d2/dx2 = y (y-1) x**(y-2), as PyTorch gives it (a constant inf would give 0).
        return g * (math.inf * (1.0 - x))
    return g * y * _raise(x, y - 1)


def _power_dy(g: Any, out: Any, x: Any, y: Any) -> Any:
    """d/dy x**y = x**y log(x), with PyTorch's conventions at x <= 0."""
    if x > 0:
        return g * (out * log(x))
    if _number(x) == 0 and y >= 0:
        return g * 0.0  # NOTE: 0**y is 0 for every y > 0 (negative y raised in the forward)
    # NOTE: log of a negative base (or of nan) has no real value: nan. Written nan * x * y, so
    # that this term's own derivatives are nan too, as PyTorch's are (a constant nan would
    # give them 0: a nan turned into a number).
    return g * (math.nan * x * y)


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp of {x!r} overflows a float") from None


def _log(x: float) -> float:
    if x <= 0:
        raise ValueError(f"log of non-positive value {x!r}")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0:
        raise ValueError(f"sqrt of negative value {x!r}")
    return math.sqrt(x)


def _sqrt_rule(g: Any, out: Any, x: Any) -> tuple[Any]:
    # NOTE: sqrt'(0) is +inf, as in PyTorch (and -inf at -0.0, IEEE's 1 / (2 * -0.0), as in
    # PyTorch); Python's float division would raise instead. It is written +-inf * (1 - x),
    # whose own derivative is -+inf: sqrt''(0), the limit of -1 / (4 x**1.5), as PyTorch
    # gives it (a constant inf would give 0).
    if _number(out) == 0:
        return (g * (math.copysign(math.inf, _number(x)) * (1.0 - x)),)
    return (g / (2.0 * out),)


def _sigmoid(x: float) -> float:
    # NOTE: the stable form: exp is only ever taken of a non-positive number, so sigmoid(-1000)
    # is 0.0 rather than an OverflowError.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _relu(x: float) -> float:
    return 0.0 if x <= 0 else x  # nan <= 0 is False: relu(nan) is nan


def _relu_rule(g: Any, out: Any, x: Any) -> tuple[Any]:
    # NOTE: relu'(0) = 0, PyTorch's subgradient at the kink. Where x <= 0 the term is exactly 0,
    # as PyTorch selects it, even for an infinite g.
    return (0.0,) if x <= 0 else (g,)


def _abs_rule(g: Any, out: Any, x: Any) -> tuple[Any]:
    # NOTE: abs'(0) = 0, PyTorch's subgradient at the kink; PyTorch's sign(nan) is 0 too.
    if x > 0:
        return (g,)
    if x < 0:
        return (-g,)
    return (g * 0.0,)


def _sin(x: float) -> float:
    return math.nan if math.isinf(x) else math.sin(x)  # NOTE: sin(+-inf) is nan, as in PyTorch


def _cos(x: float) -> float:
    return math.nan if math.isinf(x) else math.cos(x)  # NOTE: cos(+-inf) is nan, as in PyTorch


def dot_parts(parents: Sequence[Any]) -> tuple[Sequence[Any], Sequence[Any], Sequence[Any]]:
    """A dot node's parents as its weights w_1..w_n, its inputs x_1..x_n, and (b,) or ().

    The compiled steps read the layout through this; _dot and _dot_rule slice it inline,
    as they run for every neuron of every sample."""
    n = len(parents) // 2
    return parents[:n], parents[n : 2 * n], parents[2 * n :]


def _dot(*parents: float) -> float:
    n = len(parents) // 2
    products = map(operator.mul, parents[:n], parents[n : 2 * n])
    # NOTE: the bias, when there is one, is where the sum starts, as in micrograd's Neuron.
    return sum(products, parents[-1]) if len(parents) % 2 else sum(products)


def _dot_rule(g: Any, out: Any, *parents: Any) -> tuple[Any, ...]:
    # The parents are w_1..w_n, x_1..x_n, then b if there is one: each weight gets g * its
    # input and back, and b gets g.
    n = len(parents) // 2
    terms = [g * p for p in parents[n : 2 * n] + parents[:n]]
    return (*terms, g) if len(parents) % 2 else tuple(terms)


def _max(x: float, y: float) -> float:
    if x != x or y != y:
        return math.nan  # NOTE: max with a nan is nan, as PyTorch's maximum
    return x if x >= y else y


def _max_rule(g: Any, out: Any, x: Any, y: Any) -> tuple[Any, Any]:
    # NOTE: at a tie each side gets half of g, and with a nan on either side each gets g, as
    # from PyTorch's maximum; the smaller side's term is exactly 0, as relu's is.
    if x > y:
        return g, 0.0
    if x < y:
        return 0.0, g
    if x >= y:  # a tie (`==` of Values would compare identity)
        return g * 0.5, g * 0.5
    return g, g


# ----- dual functions: float in, float out; Value in, Value out -----------------------------------
# Rules call these, so the same rule runs on floats in backward() and on Values (recording new
# nodes) in grad(..., create_graph=True). On anything that is not a number they ask the object
# to apply the primitive, `x._unary(op)`: a Value makes a node of it, the compiler's symbolic
# value (autograd.compiling.symbolic.Sym) writes a call of its forward. One dispatch for both.


def _dual(op: Primitive, x: Any) -> Any:
    if type(x) is float or (isinstance(x, numbers.Real) and not isinstance(x, bool)):
        return op.forward(float(x))
    unary = getattr(x, "_unary", None)
    if unary is None:
        raise TypeError(f"{op.name} of a non-number: {type(x).__name__} {x!r}")
    return unary(op)


def exp(x: Any) -> Any:
    """exp(x) of a number or a Value.  d/dx = exp(x)"""
    return _dual(EXP, x)


def log(x: Any) -> Any:
    """log(x), the natural logarithm, of a number or a Value.  d/dx = 1 / x"""
    return _dual(LOG, x)


def sqrt(x: Any) -> Any:
    """sqrt(x) of a number or a Value.  d/dx = 1 / (2 sqrt(x))"""
    return _dual(SQRT, x)


def tanh(x: Any) -> Any:
    """tanh(x) of a number or a Value.  d/dx = 1 - tanh(x)**2"""
    return _dual(TANH, x)


def sigmoid(x: Any) -> Any:
    """1 / (1 + exp(-x)) of a number or a Value.  d/dx = sigmoid(x) (1 - sigmoid(x))"""
    return _dual(SIGMOID, x)


def relu(x: Any) -> Any:
    """max(0, x) of a number or a Value.  d/dx = 1 if x > 0 else 0"""
    return _dual(RELU, x)


def sin(x: Any) -> Any:
    """sin(x) of a number or a Value.  d/dx = cos(x)"""
    return _dual(SIN, x)


def cos(x: Any) -> Any:
    """cos(x) of a number or a Value.  d/dx = -sin(x)"""
    return _dual(COS, x)


# ----- the table: every built-in primitive, one row each -----------------------------------------
# name, forward on floats, rule (g, out, *parents) -> one term per parent; the math above each.

# x + y.  d/dx = 1, d/dy = 1
ADD = Primitive("+", operator.add, lambda g, out, x, y: (g, g))
# x * y.  d/dx = y, d/dy = x
MUL = Primitive("*", operator.mul, lambda g, out, x, y: (g * y, g * x))
# x / y, rounded once, like Python's x / y.  d/dx = 1 / y, d/dy = -x / y**2
DIV = Primitive("/", _divide, _divide_rule)
# x ** y for a Value exponent.  d/dx = y x**(y-1), d/dy = x**y log(x)
POW = Primitive("**", _power, lambda g, out, x, y: (_power_dx(g, x, y), _power_dy(g, out, x, y)))
# x ** n for a constant n.  d/dx = n x**(n-1)
# NOTE: x**0 is the constant 1, so its derivatives are exactly 0 for every x, as in PyTorch.
POW_CONST = Primitive(
    "**",
    lambda x, *, n: _power(x, n),
    lambda g, out, x, *, n: (0.0,) if n == 0 else (_power_dx(g, x, n),),
)
# exp(x).  d/dx = exp(x)
EXP = Primitive("exp", _exp, lambda g, out, x: (g * out,))
# log(x).  d/dx = 1 / x
LOG = Primitive("log", _log, lambda g, out, x: (g / x,))
# sqrt(x).  d/dx = 1 / (2 sqrt(x))
SQRT = Primitive("sqrt", _sqrt, _sqrt_rule)
# tanh(x).  d/dx = 1 - tanh(x)**2
# NOTE: math.tanh saturates to +-1.0 instead of overflowing, unlike a formula with exp(2x).
TANH = Primitive("tanh", math.tanh, lambda g, out, x: (g * (1.0 - out * out),))
# sigmoid(x) = 1 / (1 + exp(-x)).  d/dx = sigmoid(x) (1 - sigmoid(x))
SIGMOID = Primitive("sigmoid", _sigmoid, lambda g, out, x: (g * (1.0 - out) * out,))
# relu(x) = max(0, x).  d/dx = 1 if x > 0 else 0
RELU = Primitive("relu", _relu, _relu_rule)
# |x|.  d/dx = sign(x)
ABS = Primitive("abs", abs, _abs_rule)
# sin(x).  d/dx = cos(x)
SIN = Primitive("sin", _sin, lambda g, out, x: (g * cos(x),))
# cos(x).  d/dx = -sin(x)
COS = Primitive("cos", _cos, lambda g, out, x: (g * -sin(x),))
# max(x, y).  d/dx = 1 if x > y else 0, d/dy = 1 if y > x else 0 (a half each at a tie)
MAX = Primitive("max", _max, _max_rule)
# w . x + b = b + w_1 x_1 + ... + w_n x_n as one node, parents w_1..w_n, x_1..x_n and b (when
# there is one).  d/dw_i = x_i, d/dx_i = w_i, d/db = 1
DOT = Primitive("dot", _dot, _dot_rule)

# Every built-in primitive. (A user's primitive() makes rows of the same kind, outside it.)
PRIMITIVES = (
    ADD,
    MUL,
    DIV,
    POW,
    POW_CONST,
    EXP,
    LOG,
    SQRT,
    TANH,
    SIGMOID,
    RELU,
    ABS,
    SIN,
    COS,
    MAX,
    DOT,
)
