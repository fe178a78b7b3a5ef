"""Symbolic values: numbers whose arithmetic writes an expression instead of computing.

Imports autograd.primitives and the standard library only. A compiled step (compiled)
does not know any op's formula: it calls the op's own forward and rule, from the table of
primitives, on `Sym` values. `g * y` on Syms gives the expression `g * y`; `exp(x)` (the dual
function) gives a call of EXP's forward. So the generated code is the engine's code, written
once, and a user's `primitive` compiles like a built-in one.

A comparison of Syms cannot be decided without numbers: it asks the running exploration
(templates) which way to go, and records the decision. A function that needs a real
float (`float(x)`, `math.exp(x)`) raises `Untraceable`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from autograd.primitives import Primitive

# Expression kinds besides the operators: a named variable, a constant, a call of a Python
# function, a conditional expression, a raise (a path on which the function raised), sum(),
# truth-testing, logical not and and.
VAR, CONST, CALL, IF, FAIL, SUM, TRUTH, NOT, AND = (
    "var", "const", "call", "if", "fail", "sum", "truth", "not", "and",
)  # fmt: skip
BINARY = ("+", "-", "*", "/", "//", "%", "**")
COMPARE = ("<", "<=", ">", ">=", "==", "!=")
UNARY = ("neg", "pos", "abs")
# Kinds that can raise on floats: a path must not compute one that eager code would skip, nor
# skip one that eager code computes (see `_check_effects`).
_MAY_RAISE = ("/", "//", "%", "**", CALL, FAIL)
# NOTE: from Python 3.12, sum() of floats adds with compensation, unlike a chain of +. On Syms
# sum() can only write a chain, so there 0 + sym (how sum() starts) is untraceable.
COMPENSATED_SUM = sys.version_info >= (3, 12)


class Untraceable(BaseException):
    """A function asked for something a symbolic value cannot give (a float, an attribute).

    A BaseException, so that a rule's own `except Exception` cannot swallow it.
    """


class Sym:
    """A symbolic number: an expression node. Arithmetic builds new nodes; comparisons ask the
    running `explore` which way to go."""

    __slots__ = ("kind", "args")

    def __init__(self, kind: str, args: tuple[Any, ...]) -> None:
        self.kind = kind
        self.args = args
        run = current_run.get()
        if run is not None and kind in _MAY_RAISE:
            run.effects.append(self)

    def __repr__(self) -> str:
        return f"Sym({self.kind!r}, {self.args!r})"

    # ----- arithmetic writes expressions ----------------------------------------------------

    def __add__(self, other: object) -> Any:
        return _binary("+", self, other)

    def __radd__(self, other: object) -> Any:
        if COMPENSATED_SUM and isinstance(other, (int, float)) and other == 0:
            raise Untraceable("sum() of symbolic values")
        return _binary("+", other, self)

    def __sub__(self, other: object) -> Any:
        return _binary("-", self, other)

    def __rsub__(self, other: object) -> Any:
        return _binary("-", other, self)

    def __mul__(self, other: object) -> Any:
        return _binary("*", self, other)

    def __rmul__(self, other: object) -> Any:
        return _binary("*", other, self)

    def __truediv__(self, other: object) -> Any:
        return _binary("/", self, other)

    def __rtruediv__(self, other: object) -> Any:
        return _binary("/", other, self)

    def __floordiv__(self, other: object) -> Any:
        return _binary("//", self, other)

    def __rfloordiv__(self, other: object) -> Any:
        return _binary("//", other, self)

    def __mod__(self, other: object) -> Any:
        return _binary("%", self, other)

    def __rmod__(self, other: object) -> Any:
        return _binary("%", other, self)

    def __pow__(self, other: object) -> Any:
        return _binary("**", self, other)

    def __rpow__(self, other: object) -> Any:
        return _binary("**", other, self)

    def __neg__(self) -> Sym:
        return Sym("neg", (self,))

    def __pos__(self) -> Sym:
        return Sym("pos", (self,))

    def __abs__(self) -> Sym:
        return Sym("abs", (self,))

    # ----- comparisons are decisions of the running exploration -----------------------------

    def __lt__(self, other: object) -> bool:
        return _decide(_compare("<", self, other))

    def __le__(self, other: object) -> bool:
        return _decide(_compare("<=", self, other))

    def __gt__(self, other: object) -> bool:
        return _decide(_compare(">", self, other))

    def __ge__(self, other: object) -> bool:
        return _decide(_compare(">=", self, other))

    def __eq__(self, other: object) -> bool:
        return _decide(_compare("==", self, other))

    def __ne__(self, other: object) -> bool:
        return _decide(_compare("!=", self, other))

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        return _decide(Sym(TRUTH, (self,)))

    def __float__(self) -> float:
        raise Untraceable("float() of a symbolic value")

    def __index__(self) -> int:
        raise Untraceable("int() of a symbolic value")

    # ----- the dual functions (exp(x), ...) apply an op to anything that is not a number as
    # ----- x._unary(op), as they do to a Value: on a Sym, a call of its forward, on floats

    def _unary(self, op: Primitive) -> Sym:
        return call(op.forward, self)


def var(name: str) -> Sym:
    return Sym(VAR, (name,))


def const(value: object) -> Sym:
    return Sym(CONST, (value,))


def call(fn: Callable[..., Any], *args: Sym) -> Sym:
    return Sym(CALL, (fn, *args))


def operand(x: object) -> Sym | None:
    if isinstance(x, Sym):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return const(x)
    return None


def _binary(op: str, a: object, b: object) -> Any:
    left, right = operand(a), operand(b)
    if left is None or right is None:
        return NotImplemented
    return Sym(op, (left, right))


def _compare(op: str, a: object, b: object) -> Sym:
    left, right = operand(a), operand(b)
    if left is None or right is None:
        raise Untraceable(f"a comparison with {type(b).__name__}")
    return Sym(op, (left, right))


# ----- exploring every path of a function's comparisons -------------------------------------------


class Run:
    """One run of a function along a path: the outcomes to force, the decisions taken."""

    def __init__(self, script: list[bool]) -> None:
        self.script = script
        self.taken: list[tuple[Sym, bool]] = []
        self.effects: list[Sym] = []


current_run: ContextVar[Run | None] = ContextVar("chainrule_symbolic_run", default=None)


def _decide(test: Sym) -> bool:
    run = current_run.get()
    if run is None:
        raise Untraceable("a comparison outside an exploration")
    i = len(run.taken)
    outcome = run.script[i] if i < len(run.script) else True
    run.taken.append((test, outcome))
    return outcome


def key(expr: Any) -> Any:
    """A hashable value equal for equal expressions (constants by type and repr: 0, 0.0 and -0.0
    differ)."""
    if not isinstance(expr, Sym):
        return ("fn", id(expr))
    if expr.kind == CONST:
        return (CONST, type(expr.args[0]), repr(expr.args[0]))
    if expr.kind == VAR:
        return expr.args
    return (expr.kind, *(key(a) for a in expr.args))


def may_raise(expr: Any) -> bool:
    """Can computing expr on floats raise (a division, a power, a call, a failing path)?"""
    if not isinstance(expr, Sym):
        return False
    return expr.kind in _MAY_RAISE or any(may_raise(a) for a in expr.args)
