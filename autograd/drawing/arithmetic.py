"""The stepper's sentences as arithmetic: what a forward step computes, and the chain rule's
upstream x local = term of a backward step.

The local derivatives' numbers come from the primitive's own rule (run with an upstream 1), never
from here. LOCAL_FORMULAS only spells each built-in rule out for the reader, with the numbers put
in: "1 - 0.4621^2". It is the one place such text lives, and tests/test_stepper.py evaluates
every formula against its rule's numbers, so the two cannot drift apart. An op it does not list
(a user's primitive) shows the rule's number alone. Imports only the engine.
"""

from __future__ import annotations

from collections.abc import Callable

from autograd.engine import Value
from autograd.primitives import dot_parts

# For each op, each parent's local derivative as text over the parents' values (x, y), the
# result's (out) and the op's constant (n). `^` is a power. Evaluated against the rules in tests.
LOCAL_FORMULAS: dict[str, tuple[str, ...]] = {
    "+": ("1", "1"),
    "*": ("{y}", "{x}"),
    "/": ("1 / {y}", "-{out} / {y}"),
    "**": ("{y} * {x}^({y} - 1)", "{out} * log({x})"),
    "**n": ("{n} * {x}^({n} - 1)",),
    "exp": ("{out}",),
    "log": ("1 / {x}",),
    "sqrt": ("1 / (2 * {out})",),
    "tanh": ("1 - {out}^2",),
    "sigmoid": ("{out} * (1 - {out})",),
    "relu": ("1 if {x} > 0 else 0",),
    "abs": ("sign({x})",),
    "sin": ("cos({x})",),
    "cos": ("-sin({x})",),
}

INFIX = ("+", "*", "/", "**")


def number(x: float) -> str:
    """A number as the pictures show it: 4 significant digits, and -0 shown as 0."""
    text = f"{x:.4g}"
    return "0" if text == "-0" else text


def _formula_key(node: Value) -> str:
    op = node._primitive
    assert op is not None
    return "**n" if op.name == "**" and op.consts else op.name


def local_formulas(node: Value) -> list[str | None]:
    """Each parent's local derivative spelled out with the numbers in, or None where
    LOCAL_FORMULAS has no text for the op (the rule's number is then shown alone)."""
    op = node._primitive
    assert op is not None
    parents = node._parents
    if op.name == "dot":
        w, x, b = dot_parts(parents)
        spelled: list[str | None] = [wrap(number(p.data)) for p in (*x, *w)]
        return spelled + ["1" for _ in b]
    formulas = LOCAL_FORMULAS.get(_formula_key(node))
    if formulas is None or len(formulas) != len(parents):
        return [None] * len(parents)
    values = {"out": wrap(number(node.data)), "n": "", "x": "", "y": ""}
    values |= {k: number(float(v)) for k, v in op.consts}
    for key, parent in zip(("x", "y"), parents):
        values[key] = wrap(number(parent.data))
    return [formula.format(**values) for formula in formulas]


def wrap(text: str) -> str:
    """A negative number in brackets, so that "1 - -0.5^2" reads "1 - (-0.5)^2"."""
    return f"({text})" if text.startswith("-") else text


def forward_text(node: Value, name: Callable[[Value], str]) -> str:
    """What one op computes, as arithmetic: names, then numbers, then the result.
    x * w = 2 * -0.5 = -1;  tanh(n) = tanh(0.8814) = 0.7071;  w0*x0 + w1*x1 + b = ... = 0.5."""
    op = node._primitive
    assert op is not None
    parents = node._parents
    result = number(node.data)
    if op.name == "dot":
        numbers = weighted_sum(node, lambda p: wrap(number(p.data)))
        return f"{weighted_sum(node, name)} = {numbers} = {result}"
    if op.name in INFIX and op.consts:
        n = number(float(op.consts[0][1]))
        return f"{name(parents[0])} ** {n} = {wrap(number(parents[0].data))} ** {n} = {result}"
    if op.name in INFIX and len(parents) == 2:
        left, right = parents
        return (
            f"{name(left)} {op.name} {name(right)} = "
            f"{wrap(number(left.data))} {op.name} {wrap(number(right.data))} = {result}"
        )
    names = ", ".join(name(p) for p in parents)
    numbers_text = ", ".join(number(p.data) for p in parents)
    return f"{op.describe()}({names}) = {op.describe()}({numbers_text}) = {result}"


def weighted_sum(node: Value, name: Callable[[Value], str]) -> str:
    """A dot node spelled out: w1*x1 + w2*x2 + b, each parent as `name` gives it."""
    w, x, b = dot_parts(node._parents)
    terms = [f"{name(wi)}*{name(xi)}" for wi, xi in zip(w, x)] + [name(bi) for bi in b]
    return " + ".join(terms)


def short_name(label: str) -> str:
    """A dotted path in short form, for pictures where space is tight: a number joins the word
    before it and words shrink to their first letter (layers.0.neurons.1.w.0 is l0.n1.w0).
    Any other label is kept."""
    parts = label.split(".")
    if len(parts) < 3 or not all(part.isidentifier() or part.isdigit() for part in parts):
        return label
    words: list[str] = []
    for part in parts:
        if part.isdigit() and words:
            words[-1] += part
        else:
            words.append(part)
    return ".".join(_shrink(word) for word in words)


def _shrink(word: str) -> str:
    """A word and its number (neurons1) as its first letter and the number (n1)."""
    digits = word[len(word.rstrip("0123456789")) :]
    letters = word[: len(word) - len(digits)]
    return (letters[:1] if len(letters) > 1 else letters) + digits
