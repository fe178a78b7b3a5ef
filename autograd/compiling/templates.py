"""Templates: an op's forward and rule, run on symbolic values, as expressions.

Imports symbolic, autograd.primitives and the standard library only. `explore` runs
a function on Syms once per path of its comparisons, deciding each comparison both ways, and
joins the paths into conditional expressions: relu's `(0.0,) if x <= 0 else (g,)` becomes
`0.0 if x <= 0 else g`, decided afresh on every replay. `forward_template` and
`rule_template` do this once per op and arity, on placeholders ($g, $out, $0, $1, ...), or
give None where the function needs real floats (then the generated code calls it on floats).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autograd.compiling.symbolic import (
    COMPENSATED_SUM,
    FAIL,
    IF,
    SUM,
    Run,
    Sym,
    Untraceable,
    const,
    current_run,
    key,
    operand,
    var,
)
from autograd.primitives import DOT, Primitive, dot_parts

_MAX_PATHS = 16


def explore(fn: Callable[..., Any], args: Sequence[Sym], n_out: int | None) -> tuple[Sym, ...]:
    """fn(*args) on every path of its comparisons, joined into one expression per output.

    n_out=None: fn returns one value (a forward); else a sequence of n_out values (a rule's
    terms; n_out=0 accepts any length). A path on which fn raises becomes a FAIL expression,
    which raises on replay. Raises Untraceable if fn cannot run on Syms.
    """
    paths: list[tuple[list[tuple[Sym, bool]], tuple[Sym, ...] | None]] = []
    script: list[bool] = []
    while True:
        if len(paths) == _MAX_PATHS:
            raise Untraceable(f"more than {_MAX_PATHS} paths")
        run = Run(script)
        token = current_run.set(run)
        try:
            outputs = _outputs(fn(*args), n_out)
            _check_effects(run, outputs)
        except (TypeError, AttributeError, NotImplementedError, RecursionError) as error:
            raise Untraceable(f"{type(error).__name__}: {error}") from error
        except Exception:
            outputs = None  # this path raises, as the function does on such floats
        finally:
            current_run.reset(token)
        paths.append((run.taken, outputs))
        script = [outcome for _, outcome in run.taken]
        while script and not script[-1]:
            script.pop()
        if not script:
            break
        script[-1] = False
    results = [out for _, out in paths if out is not None]
    if not results or len({len(out) for out in results}) != 1:
        raise Untraceable("no path returns, or paths return different numbers of values")
    return _join(paths, 0, len(results[0]))


def _outputs(result: Any, n_out: int | None) -> tuple[Sym, ...]:
    values = (result,) if n_out is None else tuple(result)
    if n_out and len(values) != n_out:
        raise Untraceable(f"{len(values)} values where {n_out} were expected")
    out = tuple(operand(v) for v in values)
    if any(v is None for v in out):
        raise Untraceable("a result that is neither a number nor symbolic")
    return out  # type: ignore[return-value]


def _check_effects(run: Run, outputs: tuple[Sym, ...]) -> None:
    """A path may compute nothing that can raise (a division, a call) and then drop it: the
    generated code would skip an error that the function raises on floats."""
    used: set[int] = set()
    stack: list[Any] = [*outputs, *(test for test, _ in run.taken)]
    while stack:
        node = stack.pop()
        if isinstance(node, Sym) and id(node) not in used:
            used.add(id(node))
            stack.extend(node.args)
    if any(id(e) not in used for e in run.effects):
        raise Untraceable("a path computes a value that can raise and does not use it")


def _join(paths: list[Any], depth: int, n: int) -> tuple[Sym, ...]:
    """The paths that agree on their first `depth` decisions, as conditional expressions."""
    if all(len(taken) == depth for taken, _ in paths):
        (_, outputs), *rest = paths
        assert not rest, "two paths with the same decisions"
        return outputs if outputs is not None else (Sym(FAIL, ()),) * n
    test = paths[0][0][depth][0]
    if any(len(taken) <= depth or key(taken[depth][0]) != key(test) for taken, _ in paths):
        raise Untraceable("paths that test different things after the same decisions")
    yes = _join([p for p in paths if p[0][depth][1]], depth + 1, n)
    no = _join([p for p in paths if not p[0][depth][1]], depth + 1, n)
    return tuple(a if key(a) == key(b) else Sym(IF, (test, a, b)) for a, b in zip(yes, no))


# ----- templates: an op's forward and rule on placeholders, traced once per op and arity ---------

GRAD, OUT = "$g", "$out"


def parent(i: int) -> str:
    """The placeholder name of parent i."""
    return f"${i}"


# The templates found so far, by (op, arity, "forward" or "rule"); None where op must be called
# on floats.
_templates: dict[tuple[Primitive, int, str], Any] = {}


def forward_template(op: Primitive, arity: int) -> Sym | None:
    """op's forward as an expression of $0..$n, or None where it must be called on floats."""
    cache_key = (op, arity, "forward")
    if cache_key not in _templates:
        xs = [var(parent(i)) for i in range(arity)]
        if op.forward is DOT.forward:
            _templates[cache_key] = _dot(xs)
        else:
            try:
                (_templates[cache_key],) = explore(op.forward, xs, None)
            except Untraceable:
                _templates[cache_key] = None
    template: Sym | None = _templates[cache_key]
    return template


def rule_template(op: Primitive, arity: int) -> tuple[Sym, ...] | None:
    """op's rule as one expression of $g, $out, $0..$n per parent, or None where it must be
    called on floats."""
    cache_key = (op, arity, "rule")
    if cache_key not in _templates:
        args = [var(GRAD), var(OUT), *(var(parent(i)) for i in range(arity))]
        try:
            _templates[cache_key] = explore(op.rule, args, arity)
        except Untraceable:
            _templates[cache_key] = None
    terms: tuple[Sym, ...] | None = _templates[cache_key]
    return terms


def _dot(xs: list[Sym]) -> Sym:
    """dot's forward, sum(products) or sum(products, bias), with the additions sum() makes."""
    ws, inputs, bias = dot_parts(xs)
    products = [Sym("*", (w, x)) for w, x in zip(ws, inputs)]
    start = bias[0] if bias else const(0)
    if COMPENSATED_SUM:
        return Sym(SUM, (start, *products))
    # NOTE: up to Python 3.11, sum() of floats adds each item in turn to its start (the bias, or
    # the int 0) in plain double arithmetic: ((start + p_1) + p_2) + ..., which is what this
    # writes.
    total = start
    for p in products:
        total = Sym("+", (total, p))
    return total
