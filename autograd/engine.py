"""The engine: Value, no_grad, topological_order and the one backprop pass.

Standard library only. Every op is a method of Value (or, for the weighted sum `dot`, a function
of many Values) that computes its output and attaches a local chain-rule function. That function
maps the upstream gradient `g` to one contribution per parent. It is written in arithmetic that
works on floats and on Values alike, so the same rule serves the fast float pass behind
`backward()` and the differentiable pass behind `grad(..., create_graph=True)`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

Number = int | float

# A rule is called as rule(g, out, *parents). In the float pass every argument is a float (the
# nodes' data); in the create_graph pass every argument is a Value. It returns one contribution
# per parent, in parent order.
Rule = Callable[..., tuple[Any, ...]]

# Called by the backprop pass as on_step(node, terms, grads) right after `node` (whose gradient
# grads[node] is final) has sent `terms`, one per parent, into grads. For watching the pass only.
StepHook = Callable[["Value", tuple[Any, ...], "dict[Value, Any]"], object]

# The engine's only global state. no_grad() flips it and restores it in `finally`.
_grad_enabled = True


def _check_number(x: object, what: str) -> float:
    """Turn a real number into a float, or raise TypeError naming what we got."""
    if type(x) is float:
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{what} must be a real number, got {type(x).__name__}: {x!r}")
    return float(x)


class Value:
    """A scalar node of a computation graph: its data, its grad and how it was made."""

    __slots__ = ("data", "grad", "label", "_parents", "_op", "_backward")

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = _check_number(data, "Value data")
        self.grad = 0.0
        self.label = label
        self._parents: tuple[Value, ...] = ()
        self._op = ""
        self._backward: Rule | None = None

    def __repr__(self) -> str:
        label = f"label={self.label!r}, " if self.label else ""
        return f"Value({label}data={self.data!r}, grad={self.grad!r})"

    def __float__(self) -> float:
        return self.data

    # ----- primitives: each computes `out` and its local derivative ----------------------------

    def __add__(self, other: Value | Number) -> Value:
        """x + y.  d/dx = 1, d/dy = 1"""
        other = as_value(other, "+")
        return _result(self.data + other.data, (self, other), "+", _add_rule)

    def __mul__(self, other: Value | Number) -> Value:
        """x * y.  d/dx = y, d/dy = x"""
        other = as_value(other, "*")
        return _result(self.data * other.data, (self, other), "*", _mul_rule)

    def __pow__(self, other: Value | Number) -> Value:
        """x ** n for a number n: d/dx = n * x**(n-1).
        x ** y for a Value y: d/dx = y * x**(y-1), d/dy = x**y * log(x)."""
        if isinstance(other, Value):
            data = _pow(self.data, other.data)
            return _result(data, (self, other), "**", _pow_rule)
        n = _check_number(other, "an operand of **")
        data = _pow(self.data, n)

        def power_rule(g: Any, out: Any, x: Any) -> tuple[Any]:
            # NOTE: PyTorch's conventions: d/dx of x**0 is 0 everywhere (even at x = 0), and
            # x**n for 0 < n < 1 has an infinite slope at x = 0.
            if n == 0:
                return (g * 0.0,)
            if float(x) == 0 and n < 1:
                return (g * math.inf,)
            return (g * n * x ** (n - 1),)

        return _result(data, (self,), f"**{n:g}", power_rule)

    def exp(self) -> Value:
        """exp(x).  d/dx = exp(x)"""
        try:
            data = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp of {self.data!r} overflows a float") from None
        return _result(data, (self,), "exp", _exp_rule)

    def log(self) -> Value:
        """log(x), the natural logarithm.  d/dx = 1 / x"""
        if self.data <= 0:
            raise ValueError(f"log of non-positive value {self.data!r}")
        return _result(math.log(self.data), (self,), "log", _log_rule)

    def sqrt(self) -> Value:
        """sqrt(x).  d/dx = 1 / (2 sqrt(x))"""
        if self.data < 0:
            raise ValueError(f"sqrt of negative value {self.data!r}")
        return _result(math.sqrt(self.data), (self,), "sqrt", _sqrt_rule)

    def tanh(self) -> Value:
        """tanh(x).  d/dx = 1 - tanh(x)**2"""
        # NOTE: math.tanh saturates to +-1.0 instead of overflowing, unlike a formula
        # written with exp(2x).
        return _result(math.tanh(self.data), (self,), "tanh", _tanh_rule)

    def sigmoid(self) -> Value:
        """sigmoid(x) = 1 / (1 + exp(-x)).  d/dx = sigmoid(x) * (1 - sigmoid(x))"""
        x = self.data
        # NOTE: the stable form: exp is only ever taken of a non-positive number, so
        # sigmoid(-1000) is 0.0 rather than an OverflowError.
        if x >= 0:
            data = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            data = e / (1.0 + e)
        return _result(data, (self,), "sigmoid", _sigmoid_rule)

    def relu(self) -> Value:
        """relu(x) = max(0, x).  d/dx = 1 if x > 0 else 0"""
        return _result(self.data if self.data > 0 else 0.0, (self,), "relu", _relu_rule)

    def abs(self) -> Value:
        """|x|.  d/dx = sign(x)"""
        return _result(abs(self.data), (self,), "abs", _abs_rule)

    def sin(self) -> Value:
        """sin(x).  d/dx = cos(x)"""
        return _result(math.sin(self.data), (self,), "sin", _sin_rule)

    def cos(self) -> Value:
        """cos(x).  d/dx = -sin(x)"""
        return _result(math.cos(self.data), (self,), "cos", _cos_rule)

    # ----- composed from the primitives: no backward code of their own -------------------------

    def __neg__(self) -> Value:
        """-x = x * -1"""
        return self * -1.0

    def __sub__(self, other: Value | Number) -> Value:
        """x - y = x + (-y)"""
        return self + (-as_value(other, "-"))

    def __truediv__(self, other: Value | Number) -> Value:
        """x / y = x * y**-1"""
        return self * _reciprocal(as_value(other, "/"), self)

    def __radd__(self, other: Value | Number) -> Value:
        """y + x, for a number y."""
        return as_value(other, "+") + self

    def __rmul__(self, other: Value | Number) -> Value:
        """y * x, for a number y."""
        return as_value(other, "*") * self

    def __rsub__(self, other: Value | Number) -> Value:
        """y - x, for a number y."""
        return as_value(other, "-") + (-self)

    def __rtruediv__(self, other: Value | Number) -> Value:
        """y / x, for a number y."""
        return as_value(other, "/") * _reciprocal(self, other)

    def __rpow__(self, other: Value | Number) -> Value:
        """y ** x, for a number y: the exponent is a Value."""
        return as_value(other, "**") ** self

    # ----- comparisons look at data and record nothing ------------------------------------------

    def __lt__(self, other: Value | Number) -> bool:
        return self.data < as_value(other, "<").data

    def __le__(self, other: Value | Number) -> bool:
        return self.data <= as_value(other, "<=").data

    def __gt__(self, other: Value | Number) -> bool:
        return self.data > as_value(other, ">").data

    def __ge__(self, other: Value | Number) -> bool:
        return self.data >= as_value(other, ">=").data

    # ----- gradients ----------------------------------------------------------------------------

    def backward(self) -> None:
        """Add d(self)/d(node) into the .grad of every node that self depends on."""
        for node, g in _backprop(self, create_graph=False).items():
            node.grad += g

    def detach(self) -> Value:
        """A new leaf with the same data and no history."""
        return Value(self.data, self.label)


# ----- the local derivatives, next to nothing but their math -------------------------------------
# Each takes (g, out, *parents) as floats or as Values and returns one term per parent.


def _add_rule(g: Any, out: Any, x: Any, y: Any) -> tuple[Any, Any]:
    return g, g


def _mul_rule(g: Any, out: Any, x: Any, y: Any) -> tuple[Any, Any]:
    return g * y, g * x


def _pow_rule(g: Any, out: Any, x: Any, y: Any) -> tuple[Any, Any]:
    # NOTE: PyTorch's conventions at the edges: d/dx is 0 where y == 0 (the general formula
    # gives that too, except at x == 0 where x**(y-1) has no value); d/dy is 0 where x == 0 and
    # y >= 0; log of a negative base is undefined, so d/dy is nan there.
    base, exponent = float(x), float(y)
    if base == 0 and exponent == 0:
        dx = g * 0.0
    elif base == 0 and exponent < 1:
        dx = g * math.inf
    else:
        dx = g * y * x ** (y - 1)
    if base > 0:
        dy = g * out * _log(x)
    elif base == 0 and exponent >= 0:
        dy = g * 0.0
    else:
        dy = g * math.nan
    return dx, dy


def _exp_rule(g: Any, out: Any, x: Any) -> tuple[Any]:
    return (g * out,)


def _log_rule(g: Any, out: Any, x: Any) -> tuple[Any]:
    return (g / x,)


def _sqrt_rule(g: Any, out: Any, x: Any) -> tuple[Any]:
    # NOTE: sqrt'(0) is +inf, as in PyTorch; Python's float division would raise instead.
    if float(out) == 0:
        return (g * math.inf,)
    return (g * 0.5 / out,)


def _tanh_rule(g: Any, out: Any, x: Any) -> tuple[Any]:
    return (g * (1.0 - out * out),)


def _sigmoid_rule(g: Any, out: Any, x: Any) -> tuple[Any]:
    return (g * out * (1.0 - out),)


def _relu_rule(g: Any, out: Any, x: Any) -> tuple[Any]:
    # NOTE: relu'(0) = 0, PyTorch's choice of subgradient at the kink.
    return (g if x > 0 else g * 0.0,)


def _abs_rule(g: Any, out: Any, x: Any) -> tuple[Any]:
    # NOTE: abs'(0) = 0, PyTorch's choice of subgradient at the kink.
    if x > 0:
        return (g,)
    if x < 0:
        return (-g,)
    return (g * 0.0,)


def _sin_rule(g: Any, out: Any, x: Any) -> tuple[Any]:
    return (g * _cos(x),)


def _cos_rule(g: Any, out: Any, x: Any) -> tuple[Any]:
    return (-g * _sin(x),)


# Rules call these on floats in the float pass and on Values in the create_graph pass.


def _log(x: Any) -> Any:
    return x.log() if isinstance(x, Value) else math.log(x)


def _sin(x: Any) -> Any:
    return x.sin() if isinstance(x, Value) else math.sin(x)


def _cos(x: Any) -> Any:
    return x.cos() if isinstance(x, Value) else math.cos(x)


# ----- helpers ------------------------------------------------------------------------------------


def as_value(x: Value | Number, op: str = "") -> Value:
    """x itself if it is a Value, else a new constant leaf holding x.

    `op` names the operator in the TypeError raised for anything that is not a real number.
    """
    if isinstance(x, Value):
        return x
    return Value(_check_number(x, f"an operand of {op}" if op else "a number"))


# ----- dot: the one primitive of many parents ----------------------------------------------------


def dot(ws: Sequence[Value | Number], xs: Sequence[Value | Number]) -> Value:
    """w . x = w_1 x_1 + ... + w_n x_n, as one node.  d/dw_i = x_i, d/dx_i = w_i

    A neuron's net input. Written with `*` and `+` it would be 2n - 1 nodes; as one primitive
    it is one, which is most of what makes a training step fast (see benchmarks/).
    """
    if len(ws) != len(xs):
        raise ValueError(f"dot: {len(ws)} weights but {len(xs)} inputs")
    if not ws:
        raise ValueError("dot of no terms: give at least one weight and one input")
    # The isinstance test inline, not inside as_value: this runs for every input of every neuron.
    w = [wi if isinstance(wi, Value) else as_value(wi, "dot") for wi in ws]
    x = [xi if isinstance(xi, Value) else as_value(xi, "dot") for xi in xs]
    data = sum([wi.data * xi.data for wi, xi in zip(w, x)])
    return _result(data, (*w, *x), "dot", _dot_rule)


def _dot_rule(g: Any, out: Any, *parents: Any) -> tuple[Any, ...]:
    # The parents are w_1..w_n, then x_1..x_n: each weight gets g * its input and back.
    n = len(parents) // 2
    w, x = parents[:n], parents[n:]
    return (*[g * xi for xi in x], *[g * wi for wi in w])


# ----- building nodes -----------------------------------------------------------------------------


def _result(data: float, parents: tuple[Value, ...], op: str, rule: Rule) -> Value:
    """The output node of an op; a plain leaf inside no_grad()."""
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _grad_enabled:
        out._parents = parents
        out._op = op
        out._backward = rule
    else:
        out._parents = ()
        out._op = ""
        out._backward = None
    return out


def _pow(x: float, y: float) -> float:
    """x ** y on floats, with the errors API.md names instead of Python's complex results."""
    if x == 0 and y < 0:
        raise ZeroDivisionError(f"pow: 0.0 cannot be raised to the negative power {y!r}")
    if x < 0 and not y.is_integer():
        raise ValueError(f"pow: negative base {x!r} to the non-integer power {y!r}")
    try:
        return x**y
    except OverflowError:
        raise OverflowError(f"pow: {x!r} ** {y!r} overflows a float") from None


def _reciprocal(y: Value, x: Value | Number) -> Value:
    """y ** -1, the divisor of x / y, refusing division by zero like Python does."""
    if y.data == 0:
        raise ZeroDivisionError(f"division by zero: {float(x)!r} / 0.0")
    try:
        return y**-1
    except OverflowError:
        # NOTE: a cost of composing x / y as x * y**-1: 1 / y overflows for a subnormal y even
        # where x / y would not. We say so rather than return a wrong number.
        raise OverflowError(
            f"division: 1 / {y.data!r} overflows a float (in {float(x)!r} / {y.data!r})"
        ) from None


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block ops record no history: every result is a leaf."""
    global _grad_enabled
    previous = _grad_enabled
    _grad_enabled = False
    try:
        yield
    finally:
        _grad_enabled = previous


# ----- the graph walk and the one backprop pass ---------------------------------------------------


def topological_order(root: Value) -> list[Value]:
    """Every node root depends on, once each, every node after all of its parents.

    Iterative depth-first search: a graph a million nodes deep needs no recursion. A node is
    opened when it is first popped: it goes back on the stack under a `None` marker, with its
    parents on top. When the marker comes off again, all of those parents have been listed, so
    the node is listed next. A leaf has no parents to wait for, so it is listed on sight.
    """
    order: list[Value] = []
    opened: set[Value] = set()
    stack: list[Value | None] = [root]
    # Bound methods: this loop runs once per node of graphs with millions of nodes.
    push, pop, list_node, open_node = stack.append, stack.pop, order.append, opened.add
    while stack:
        node = pop()
        if node is None:
            list_node(pop())  # type: ignore[arg-type]
        elif node not in opened:
            open_node(node)
            push(node)
            push(None)
            for parent in node._parents:
                if parent not in opened:
                    if parent._parents:
                        push(parent)
                    else:
                        open_node(parent)
                        list_node(parent)
    return order


def _backprop(root: Value, create_graph: bool, on_step: StepHook | None = None) -> dict[Value, Any]:
    """d(root)/d(node) for every node root depends on, summed over every path.

    Walks the topological order backwards, so each node's gradient is complete before its
    rule sends it on to the parents. With create_graph=False the pass runs on floats; with
    create_graph=True it runs the same rules on Values, so the result is differentiable.
    It only propagates the upstream gradients of this pass and never reads a node's .grad.
    `on_step`, if given, watches the pass (autograd.stepper uses it); it must not change grads.
    """
    grads: dict[Value, Any] = {root: Value(1.0) if create_graph else 1.0}
    for node in reversed(topological_order(root)):
        rule = node._backward
        if rule is None:
            continue
        g = grads[node]
        # Nearly every node is binary or unary. Spelling those two cases out, rather than
        # looping over parents and terms, makes this loop a fifth faster.
        n = len(node._parents)
        if n == 2:
            x, y = node._parents
            if create_graph:
                terms = dx, dy = rule(g, node, x, y)
            else:
                terms = dx, dy = rule(g, node.data, x.data, y.data)
            if x in grads:
                grads[x] += dx
            else:
                grads[x] = dx
            if y in grads:
                grads[y] += dy
            else:
                grads[y] = dy
        elif n == 1:
            (x,) = node._parents
            if create_graph:
                terms = (dx,) = rule(g, node, x)
            else:
                terms = (dx,) = rule(g, node.data, x.data)
            if x in grads:
                grads[x] += dx
            else:
                grads[x] = dx
        else:
            # dot: any number of parents.
            if create_graph:
                terms = rule(g, node, *node._parents)
            else:
                terms = rule(g, node.data, *[p.data for p in node._parents])
            for parent, term in zip(node._parents, terms):
                if parent in grads:
                    grads[parent] += term
                else:
                    grads[parent] = term
        if on_step is not None:
            on_step(node, terms, grads)
    return grads


def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list[Value]:
    """d(output)/d(input) for each input, as Values, leaving every .grad untouched.

    With create_graph=True the results are built from Values, so they can be differentiated
    again for second and higher derivatives.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(x).__name__}")
    grads = _backprop(output, create_graph)
    if create_graph:
        return [grads[x] if x in grads else Value(0.0) for x in inputs]
    return [Value(grads.get(x, 0.0)) for x in inputs]
