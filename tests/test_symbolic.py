"""Symbolic values and templates: the engine's own forwards and rules, run on Syms, write
expressions (autograd/compiling/symbolic.py, templates.py)."""

from __future__ import annotations

import ast
import math

import pytest

from autograd import Value, primitive
from autograd.compiling.codetext import Namer, render
from autograd.compiling.symbolic import Sym, Untraceable, var
from autograd.compiling.templates import explore, forward_template, rule_template
from autograd.primitives import ADD, DIV, DOT, MUL, POW_CONST, RELU, SIGMOID, SQRT, TANH


def text(expr: Sym) -> str:
    return render(expr, Namer(), False, {})


def test_arithmetic_writes_expressions_in_operand_order() -> None:
    g, x = var("g"), var("x")
    assert text(g * x) == "(g * x)"
    assert text(1.0 - x) == "(1.0 - x)"
    assert text(-g / (x**2)) == "((-g) / (x ** 2))"
    assert text(2 * x + -1.5) == "(2 * x + (-1.5))"  # constants keep their type


def test_a_product_in_a_sum_has_no_brackets_and_reads_the_same() -> None:
    """Python reads a + b * c as a + (b * c): fewer brackets for its parser, the same code.
    Where the brackets change the meaning, they stay."""
    g, x, y = var("g"), var("x"), var("y")
    assert text(g * x + y / g + x * y) == "(g * x + y / g + x * y)"
    assert text(g * x - y / g) == "(g * x - y / g)"
    same = {
        "(g * x + y / g + x * y)": "(((g * x) + (y / g)) + (x * y))",
        "(g * x - y / g)": "((g * x) - (y / g))",
    }
    keeps = {
        g - (x - y): "(g - (x - y))",
        g * (x * y): "(g * (x * y))",
        g / (x * y): "(g / (x * y))",
        (g * x) ** y: "((g * x) ** y)",
        -(g * x): "(-(g * x))",
        (g + x) * y: "((g + x) * y)",
    }
    for bare, bracketed in same.items():
        assert ast.dump(ast.parse(bare)) == ast.dump(ast.parse(bracketed))
    for expr, expected in keeps.items():
        assert text(expr) == expected


def test_the_rules_of_built_in_ops_become_expressions() -> None:
    assert [text(t) for t in rule_template(MUL, 2) or ()] == ["($g * $1)", "($g * $0)"]
    assert [text(t) for t in rule_template(ADD, 2) or ()] == ["$g", "$g"]
    assert [text(t) for t in rule_template(TANH, 1) or ()] == ["($g * (1.0 - $out * $out))"]
    assert [text(t) for t in rule_template(DIV, 2) or ()] == [
        "($g / $1)",
        "((-$g) * ($out / $1))",
    ]


def test_a_branch_in_a_rule_becomes_a_conditional_expression() -> None:
    (term,) = rule_template(RELU, 1) or ()
    assert text(term) == "(0.0 if ($0 <= 0) else $g)"
    assert text(forward_template(RELU, 1)) == "(0.0 if ($0 <= 0) else $0)"  # type: ignore[arg-type]


def test_a_path_that_raises_becomes_a_fail_and_identical_paths_merge() -> None:
    assert text(forward_template(DIV, 2)) == "(_fail() if ($1 == 0) else ($0 / $1))"  # type: ignore[arg-type]
    # _power's four paths for x ** 2.0 all return x ** 2.0: one expression, no test.
    square = POW_CONST.bind(n=2.0)
    assert text(forward_template(square, 1)) == "($0 ** 2.0)"  # type: ignore[arg-type]
    root = POW_CONST.bind(n=0.5)
    assert "_fail() if ($0 < 0)" in text(forward_template(root, 1))  # type: ignore[arg-type]


def test_what_needs_a_real_float_is_left_to_be_called_on_floats() -> None:
    assert rule_template(SQRT, 1) is None  # float(out) == 0
    assert rule_template(POW_CONST.bind(n=2.0), 1) is None
    assert forward_template(TANH, 1) is None  # math.tanh
    assert forward_template(SIGMOID, 1) is None  # math.exp
    with pytest.raises(Untraceable):
        float(var("x"))
    with pytest.raises(Untraceable):
        math.exp(var("x"))  # type: ignore[arg-type]


def test_dots_forward_adds_as_sum_does() -> None:
    expected = "(0 + $0 * $2 + $1 * $3)"
    assert text(forward_template(DOT, 4)) == expected  # type: ignore[arg-type]


def test_a_users_primitive_is_traced_from_its_own_rule() -> None:
    leaky = primitive(
        "leaky",
        lambda x, *, slope: max(x, slope * x),
        lambda g, out, x, *, slope: (g * (1.0 if x > 0 else slope),),
    )
    op = leaky(Value(1.0), slope=0.25)._primitive
    assert op is not None
    (term,) = rule_template(op, 1) or ()
    assert text(term) == "(($g * 1.0) if ($0 > 0) else ($g * 0.25))"
    # max(x, slope * x) asks whether slope * x > x (keeping x on a tie): a conditional too.
    forward = forward_template(op, 1)
    assert forward is not None
    assert text(forward) == "((0.25 * $0) if ((0.25 * $0) > $0) else $0)"


def test_a_path_that_computes_a_raising_value_and_drops_it_is_untraceable() -> None:
    # Eager code would raise at g / x for x == 0 even on the path that returns 0.0.
    def rule(g: object, out: object, x: object) -> tuple[object]:
        slope = g / x  # type: ignore[operator]
        return (slope,) if x != 0 else (0.0,)

    with pytest.raises(Untraceable):
        explore(rule, [var("g"), var("out"), var("x")], 1)


def test_a_rules_own_except_cannot_swallow_untraceable() -> None:
    def rule(g: object, out: object, x: object) -> tuple[object]:
        try:
            return (g * math.exp(x),)  # type: ignore[arg-type, operator]
        except Exception:
            return (0.0,)

    with pytest.raises(Untraceable):
        explore(rule, [var("g"), var("out"), var("x")], 1)
