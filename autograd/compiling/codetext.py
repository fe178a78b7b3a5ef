"""Expressions as Python source text: the names they refer to, and compiling it.

Imports symbolic and the standard library only. `render` writes an expression of
symbolic as Python source, for floats or (vector=True) for numpy arrays, where a
conditional expression becomes np.where; `Namer` gives the functions and odd constants the
source refers to their names; `compile_function` makes the function.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from autograd.compiling.symbolic import (
    AND,
    BINARY,
    CALL,
    COMPARE,
    CONST,
    FAIL,
    IF,
    NOT,
    SUM,
    TRUTH,
    VAR,
    Sym,
)


class ReplayError(Exception):
    """Raised by generated code on a path where the function it replays raises."""


def _fail() -> Any:
    raise ReplayError("a replayed op took a path on which it raises")


def compile_function(source: str, namespace: dict[str, Any], filename: str) -> Any:
    """The function `replay` defined by source, with the names it refers to."""
    scope = {"_fail": _fail, **namespace}
    exec(compile(source, filename, "exec"), scope)
    return scope["replay"]


def unpack(names: list[str], source: str, indent: str = "    ") -> list[str]:
    """The line of a generated function that unpacks `source` into `names`, if there are any:
    how each replay starts, reading its data (d0, d1, ...) and the Values made outside f (e0,
    ...)."""
    return [f"{indent}{', '.join(names)}, = {source}"] if names else []


class Namer:
    """Names for the functions and odd constants (inf, nan, numpy scalars) code refers to.
    `translate` maps a function to what the code calls instead (numpy's own, for arrays)."""

    def __init__(self, translate: Callable[[Any], Any] | None = None) -> None:
        self.namespace: dict[str, Any] = {}
        self._names: dict[int, str] = {}
        self._keep: list[Any] = []  # keeps each named object (and so its id) alive
        self._translate = translate

    def bind(self, obj: Any, prefix: str) -> str:
        if id(obj) not in self._names:
            name = f"{prefix}{len(self._names)}"
            self._names[id(obj)] = name
            self._keep.append(obj)
            translate = self._translate if prefix == "F" else None
            self.namespace[name] = translate(obj) if translate else obj
        return self._names[id(obj)]


def render(expr: Sym, namer: Namer, vector: bool, fields: dict[str, str]) -> str:
    """expr as Python source; vector=True for numpy arrays (np.where for conditionals).
    Variables named in `fields` are written as the field's text (a format placeholder)."""
    kind, args = expr.kind, expr.args
    if kind == VAR:
        return fields.get(args[0], args[0])
    if kind == CONST:
        return literal(args[0], namer)
    if kind in BINARY:
        # A left chain of one operator, such as dot's sum, without nested brackets: Python
        # reads a + b + c as (a + b) + c, and its parser refuses about 200 nested brackets.
        chain = [args[1]]
        left = args[0]
        while left.kind == kind:
            chain.append(left.args[1])
            left = left.args[0]
        parts = [render(a, namer, vector, fields) for a in [left, *chain[::-1]]]
        if kind in ("+", "-"):
            parts = [bare(a, text) for a, text in zip([left, *chain[::-1]], parts)]
        return "(" + f" {kind} ".join(parts) + ")"
    items = [render(a, namer, vector, fields) for a in args if isinstance(a, Sym)]
    if kind in COMPARE:
        return f"({items[0]} {kind} {items[1]})"
    if kind in ("neg", "pos"):
        return f"({'-' if kind == 'neg' else '+'}{items[0]})"
    if kind == "abs":
        return f"abs({items[0]})"
    if kind == CALL:
        return f"{namer.bind(args[0], 'F')}({', '.join(items)})"
    if kind == FAIL:
        return "_fail()"
    if kind == SUM:
        # args: the start, then the items (dot's bias or 0, then its products)
        if vector:
            return "(" + " + ".join(items) + ")"
        return f"sum(({', '.join(items[1:])},), {items[0]})"
    if kind == TRUTH:
        return f"({items[0]} != 0)" if vector else f"bool({items[0]})"
    if kind == NOT:
        return f"logical_not({items[0]})" if vector else f"(not {items[0]})"
    if kind == AND:
        return f"logical_and({items[0]}, {items[1]})" if vector else f"({items[0]} and {items[1]})"
    assert kind == IF, kind
    test, yes, no = items
    if not vector:
        return f"({yes} if {test} else {no})"
    if args[1].kind == FAIL:
        return f"_unless({test}, {no})"
    if args[2].kind == FAIL:
        return f"_unless(logical_not({test}), {yes})"
    return f"where({test}, {yes}, {no})"


def bare(expr: Sym, text: str) -> str:
    """expr's text without its brackets if it is a product or a quotient, for a place where
    Python reads it as one term anyway: in a sum, `a + b * c` is `a + (b * c)`, and on its own
    right of `=`. The same code, parsed faster: compile() of a whole step's code spends most of
    its time parsing, and each bracket costs it more than a name (a third less time without
    these)."""
    return text[1:-1] if expr.kind in ("*", "/") else text


def literal(x: Any, namer: Namer) -> str:
    """A number as source: its repr where that reads back exactly, else a bound name."""
    if (type(x) is float and math.isfinite(x)) or type(x) is int:
        text = repr(x)
        return f"({text})" if text.startswith("-") else text
    return namer.bind(x, "K")
