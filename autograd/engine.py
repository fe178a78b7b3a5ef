"""The engine: Value, grad mode, topological_order and the one backprop pass.

Standard library only. A Value is a node: its data, its grad, and how it was made (its parents,
and the primitive of autograd.primitives that made it, with that primitive's constants). Its
operators and methods are thin entries into the table of primitives, and `primitive()` adds a
user's op of the same kind. The backward pass walks the graph once, in reverse topological
order, and calls each node's rule: on floats for backward(), on Values for
grad(..., create_graph=True), so the derivative of a derivative comes from the same rules.
A parameter whose numbers a batched numpy step holds in arrays between its calls is a Held
Value, which writes them back the moment it is used ("Values held in arrays" below).
"""

from __future__ import annotations

import functools
import numbers
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from autograd.modes import RECORDING, current_mode, enable_grad
from autograd.primitives import (
    ABS,
    ADD,
    COS,
    DIV,
    DOT,
    EXP,
    LOG,
    MAX,
    MUL,
    POW,
    POW_CONST,
    RELU,
    SIGMOID,
    SIN,
    SQRT,
    TANH,
    Number,
    Primitive,
    Rule,
    as_float,
    bound,
    with_constants,
)

# What a micrograd habit is told: where chainrule does the same thing another way.
_MICROGRAD_OPS = (
    "chainrule makes an op with primitive(name, forward, rule), whose rule maps "
    "(g, out, *parents) to one term per parent, and y.backward() runs every rule "
    "(out._backward() runs one node's, for backprop by hand); see docs/micrograd.md in "
    "chainrule's repository"
)


class _NotComputed(float):
    """The 0.0 a Value's grad starts as, marked so that has_grad() can tell that no backward
    pass has reached it yet. Any gradient added to it gives a plain float."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "0.0"

    def __reduce__(self) -> str:
        # A copy or a pickle of a Value keeps the marker itself, by its name in this module:
        # has_grad() tests the marker's identity.
        return "_UNRECORDED" if self is _UNRECORDED else "_NOT_COMPUTED"


_NOT_COMPUTED = _NotComputed(0.0)
# The grad an op's result starts with under no_grad(): it recorded no history, so backward()
# on it would reach nothing, and says so (as PyTorch does) rather than do nothing.
_UNRECORDED = _NotComputed(0.0)


class Value:
    """A scalar node of a computation graph: its data, its grad and how it was made.

    The engine's fields are slots (a graph of a million nodes must fit in memory); a user's
    own attributes (`p.m = 0.0`, as micrograd programs keep optimizer state) go in the
    `__dict__` slot. NOTE: on Python 3.11 and 3.12 that slot costs every node 32 bytes
    (docs/speed.md measures it), whether or not it gets an attribute.

    `data` and `grad` are properties over the slots `_data` and `_grad`, which the engine
    reads directly: a read or a write from outside is told to the active trace, if any (the
    hook of autograd.modes), so that a compiled step can see f read a value it cannot replay.
    """

    __slots__ = ("_data", "_grad", "label", "_parents", "_primitive", "__dict__")

    def __init__(
        self, data: Number, label: str = "", _children: object = None, _op: object = None
    ) -> None:
        # micrograd's constructor, Value(data, _children, _op, label), is caught by its
        # arguments' names and places: Value(x, (a, b), "+") puts a tuple in label and the op
        # in _children. (A catch-all *args, **kwargs would cost every Value made.)
        if _children is not None or _op is not None or not isinstance(label, str):
            if _children is not None or _op is not None or isinstance(label, (tuple, list, set)):
                raise TypeError(
                    "Value(data, _children, _op) is micrograd's constructor; chainrule's is "
                    f"Value(data, label=''), and {_MICROGRAD_OPS}"
                )
            raise TypeError(f"Value label must be a str, got {type(label).__name__}: {label!r}")
        self._data = data if type(data) is float else as_float(data, "Value data")
        self._grad: float = _NOT_COMPUTED
        self.label = label
        self._parents: tuple[Value, ...] = ()
        self._primitive: Primitive | None = None
        mode = current_mode()
        if mode is not RECORDING and mode.trace is not None:
            mode.trace.made(self, None, ())

    @property
    def data(self) -> float:
        """The node's value."""
        mode = current_mode()
        if mode is not RECORDING and mode.trace is not None:
            mode.trace.read(self, "data", self._data)
        return self._data

    @data.setter
    def data(self, x: float) -> None:
        mode = current_mode()
        if mode is not RECORDING and mode.trace is not None:
            mode.trace.wrote(self, "data")
        self._data = x

    @property
    def grad(self) -> float:
        """d(root)/d(self) summed over the backward passes that reached it; 0.0 before."""
        mode = current_mode()
        if mode is not RECORDING and mode.trace is not None:
            mode.trace.read(self, "grad", self._grad)
        return self._grad

    @grad.setter
    def grad(self, g: float) -> None:
        mode = current_mode()
        if mode is not RECORDING and mode.trace is not None:
            mode.trace.wrote(self, "grad")
        self._grad = g

    def __repr__(self) -> str:
        label = f"label={self.label!r}, " if self.label else ""
        return f"Value({label}data={self.data!r}, grad={self.grad!r})"

    def item(self) -> float:
        """The number, as PyTorch's tensor.item(): v.data."""
        return self.data

    def __float__(self) -> float:
        """v.data, but only under no_grad(): with grad mode on, a float is cut out of the
        graph, and math.exp(v), math.tanh(v) and the like (which call float) would silently
        lose the gradient through it."""
        if current_mode().grad_enabled:
            raise TypeError(
                f"float() of a Value while grad mode is on ({self!r}): the float is cut out of "
                f"the graph and the gradient through it is lost (math.exp(v), math.tanh(v) and "
                f"the like call float). For the number read v.data or v.item(); for the math "
                f"use v.exp() or autograd.exp(v); or call float() inside no_grad()."
            )
        return self.data

    @property
    def _op(self) -> str:
        """The name of the op that made this node, as pictures show it; "" for a leaf."""
        if self._primitive is None:
            return ""
        return self._primitive.describe()

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's one local step, for backprop by hand: `out._backward()` adds the terms
        of out's rule, computed from out.grad, into each parent's .grad; on a leaf it does
        nothing. Called on every node in reverse topological order, after `out.grad = 1.0`, it
        is backward(), one node at a time, as lecture 1 of micrograd does it."""
        return self._local_step

    @_backward.setter
    def _backward(self, closure: object) -> None:
        raise TypeError(
            f"out._backward = closure is micrograd's way to define an op; {_MICROGRAD_OPS}"
        )

    def _local_step(self) -> None:
        op = self._primitive
        if op is None:
            return
        parents = self._parents
        try:
            terms = op.rule(self._grad, self._data, *[p._data for p in parents])
        except Exception as error:
            raise _rule_failed(op, error) from error
        for parent, term in zip(parents, terms):
            parent._grad += term

    _prev_set: set[Value]  # _prev's set, once read: in the `__dict__` slot

    @property
    def _prev(self) -> set[Value]:
        """micrograd's name for the parents, as a set (so its draw_dot walks chainrule's graphs);
        chainrule's own field is the ordered tuple _parents. The set is made at the first read
        and kept (a node's parents never change), as micrograd keeps the one it makes."""
        prev = getattr(self, "_prev_set", None)
        if prev is None:
            prev = self._prev_set = set(self._parents)
        return prev

    @_prev.setter
    def _prev(self, children: object) -> None:
        raise TypeError(
            f"out._prev = children is micrograd's way to build a node; {_MICROGRAD_OPS}"
        )

    # ----- primitives: thin entries into autograd.primitives ------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        """x + y.  d/dx = 1, d/dy = 1"""
        return _make(ADD, (self, other if isinstance(other, Value) else as_value(other, "+")))

    def __mul__(self, other: Value | Number) -> Value:
        """x * y.  d/dx = y, d/dy = x"""
        return _make(MUL, (self, other if isinstance(other, Value) else as_value(other, "*")))

    def __truediv__(self, other: Value | Number) -> Value:
        """x / y, rounded as Python's x / y.  d/dx = 1 / y, d/dy = -x / y**2"""
        return _make(DIV, (self, other if isinstance(other, Value) else as_value(other, "/")))

    def __pow__(self, other: Value | Number) -> Value:
        """x ** n for a number n: d/dx = n x**(n-1).
        x ** y for a Value y: d/dx = y x**(y-1), d/dy = x**y log(x)."""
        if isinstance(other, Value):
            return _make(POW, (self, other))
        return _make(_power_by(as_float(other, "an operand of **")), (self,))

    def exp(self) -> Value:
        """exp(x).  d/dx = exp(x)"""
        return _make(EXP, (self,))

    def log(self) -> Value:
        """log(x), the natural logarithm.  d/dx = 1 / x"""
        return _make(LOG, (self,))

    def sqrt(self) -> Value:
        """sqrt(x).  d/dx = 1 / (2 sqrt(x))"""
        return _make(SQRT, (self,))

    def tanh(self) -> Value:
        """tanh(x).  d/dx = 1 - tanh(x)**2"""
        return _make(TANH, (self,))

    def sigmoid(self) -> Value:
        """sigmoid(x) = 1 / (1 + exp(-x)).  d/dx = sigmoid(x) (1 - sigmoid(x))"""
        return _make(SIGMOID, (self,))

    def relu(self) -> Value:
        """relu(x) = max(0, x).  d/dx = 1 if x > 0 else 0"""
        return _make(RELU, (self,))

    def abs(self) -> Value:
        """|x|.  d/dx = sign(x)"""
        return _make(ABS, (self,))

    def sin(self) -> Value:
        """sin(x).  d/dx = cos(x)"""
        return _make(SIN, (self,))

    def cos(self) -> Value:
        """cos(x).  d/dx = -sin(x)"""
        return _make(COS, (self,))

    def _unary(self, op: Primitive) -> Value:
        """The node of the one-parent primitive op on self: how the dual functions (exp(x),
        ...) apply an op to anything that is not a number."""
        return _make(op, (self,))

    # ----- composed from the primitives, giving the same floats: no rules of their own ---------

    def __abs__(self) -> Value:
        """abs(x) is x.abs()."""
        return self.abs()

    def __neg__(self) -> Value:
        """-x = x * -1 (exact)."""
        return self * -1.0

    def __sub__(self, other: Value | Number) -> Value:
        """x - y = x + (-y) (exact: negation does not round). For a number y, -y is a number:
        one constant leaf, not y's leaf times a leaf of -1."""
        if isinstance(other, Value):
            return self + (-other)
        return self + -as_float(other, "an operand of -")

    def __radd__(self, other: Value | Number) -> Value:
        """y + x, for a number y."""
        return _make(ADD, (as_value(other, "+"), self))

    def __rmul__(self, other: Value | Number) -> Value:
        """y * x, for a number y."""
        return _make(MUL, (as_value(other, "*"), self))

    def __rsub__(self, other: Value | Number) -> Value:
        """y - x, for a number y."""
        return as_value(other, "-") + (-self)

    def __rtruediv__(self, other: Value | Number) -> Value:
        """y / x, for a number y."""
        return _make(DIV, (as_value(other, "/"), self))

    def __rpow__(self, other: Value | Number) -> Value:
        """y ** x, for a number y: the exponent is a Value."""
        return _make(POW, (as_value(other, "**"), self))

    # ----- comparisons look at data and record nothing (but tell a trace: a guard) -------------

    def __lt__(self, other: Value | Number) -> bool:
        return _compare(self, "<", other, operator.lt)

    def __le__(self, other: Value | Number) -> bool:
        return _compare(self, "<=", other, operator.le)

    def __gt__(self, other: Value | Number) -> bool:
        return _compare(self, ">", other, operator.gt)

    def __ge__(self, other: Value | Number) -> bool:
        return _compare(self, ">=", other, operator.ge)

    def __bool__(self) -> bool:
        """`if v:` is `if v.data != 0`, as PyTorch's bool of a one-number tensor (NaN is true).
        NOTE: micrograd's Value is always true; write `v.data > 0` for a sign test."""
        return _compare(self, "!=", 0.0, operator.ne)

    # ----- gradients ----------------------------------------------------------------------------

    def backward(self) -> None:
        """Add d(self)/d(node) into the .grad of every node that self depends on."""
        if self._grad is _UNRECORDED:
            raise RuntimeError(
                f"backward() on {self!r}, which was computed under no_grad(): it recorded no "
                f"history, so no gradient can reach the Values it was computed from (PyTorch "
                f"raises here too: 'element 0 of tensors does not require grad'). Compute it "
                f"outside no_grad() to backpropagate through it."
            )
        for node, g in _gradients(self, create_graph=False).items():
            node._grad += g

    def detach(self) -> Value:
        """A new leaf with the same data and no history."""
        out = _leaf(self._data, source=self)
        out.label = self.label
        return out


def as_value(x: Value | Number, op: str = "") -> Value:
    """x itself if it is a Value, else a new constant leaf holding x.

    `op` names the operator in the TypeError raised for anything that is not a real number.
    """
    if isinstance(x, Value):
        return x
    if type(x) is float:  # a float needs no check, and no message written for one
        return _leaf(x)
    return _leaf(as_float(x, f"an operand of {op}" if op else "a number"))


def has_grad(v: Value) -> bool:
    """True once a backward pass has reached v (even with a gradient of 0.0); False while its
    grad is still the 0.0 it was made with."""
    return v._grad is not _NOT_COMPUTED and v._grad is not _UNRECORDED


def zero_grads(values: Iterable[Value]) -> None:
    """Set each Value's grad to 0.0, as `v.grad = 0.0` does: what Module.zero_grad() and an
    optimizer's zero_grad() call. One mode read for all of them, where `v.grad = 0.0` pays a
    property call each (an active trace is still told of every write)."""
    mode = current_mode()
    if mode is not RECORDING and mode.trace is not None:
        values = list(values)
        for v in values:
            mode.trace.wrote(v, "grad")
    else:
        holder = holder_of(values)
        if holder is not None:  # a step holds exactly these: zero its array of grads
            holder.zero_grads()
            return
    for v in values:
        v._grad = 0.0


def data_and_grads(values: Sequence[Value]) -> tuple[list[float], list[float]]:
    """([v.data for v in values], [v.grad for v in values]): what an optimizer's step() reads.
    One mode read for all of them, where each `v.grad` and `v.data` is a property call (an
    active trace is still told of every read, a grad before a data, as the properties tell it)."""
    mode = current_mode()
    if mode is not RECORDING and mode.trace is not None:
        for v in values:
            mode.trace.read(v, "grad", v._grad)
            mode.trace.read(v, "data", v._data)
    return [v._data for v in values], [v._grad for v in values]


def set_data(values: Sequence[Value], data: Iterable[float]) -> None:
    """`v.data = x` for each Value v of `values` and float x of `data`, in order: what an
    optimizer's step() writes. One mode read for all of them (an active trace is still told of
    every write). Like `v.data = x`, it does not check that each x is a float: an optimizer
    computes them from floats. Of another length than `values`, ValueError, and nothing is set.
    """
    data = list(data)
    if len(data) != len(values):
        raise ValueError(f"set_data: {len(values)} Values but {len(data)} numbers")
    mode = current_mode()
    if mode is not RECORDING and mode.trace is not None:
        for v in values:
            mode.trace.wrote(v, "data")
    for v, x in zip(values, data):
        v._data = x


# ----- Values held in arrays ---------------------------------------------------------------------
# A batched numpy step (autograd.compiling.batched) keeps its parameters' data and grads in two
# arrays from one call to the next, so that an optimizer's step() and zero_grad() between its
# calls are a few array operations, not Python work per parameter (held_arrays). While so held,
# a parameter's class is its holder's subclass of Held: any use of it (an attribute read or
# write, an op, a print) first releases the holder, which writes every held Value's numbers back
# into its slots and makes each a plain Value again. So a Value is up to date whenever it is used.
# NOTE: not between threads: a thread that uses a held Value while another runs the step or the
# optimizer on the arrays can let go of them halfway. (Training from two threads on the same
# parameters races on floats too.)


class Holder(Protocol):
    """What holds the data and grads of `values` (in two arrays, in that order)."""

    values: list[Value]

    def arrays(self) -> tuple[Any, Any]: ...  # (data, grads), to be updated in place

    def zero_grads(self) -> None: ...

    def release(self) -> None: ...  # write the numbers back, unhold(values)


class Held(Value):
    """A Value whose numbers its class's `holder` keeps: any use releases the holder first."""

    __slots__ = ()
    holder: Holder

    def __getattribute__(self, name: str) -> Any:
        type(self).holder.release()
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        type(self).holder.release()
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        type(self).holder.release()
        object.__delattr__(self, name)


# v.__class__ = c, where v's class is a Held (whose __setattr__ would release its holder)
_SET_CLASS = object.__dict__["__class__"].__set__


def held_class(holder: Holder) -> type[Held]:
    """The class of the Values `holder` holds (one per holder, made once)."""
    return type("HeldValue", (Held,), {"__slots__": (), "holder": holder})


def hold(values: list[Value], held: type[Held]) -> None:
    """Make `values` (plain Values, each type(v) is Value) Values of class `held`."""
    for v in values:
        v.__class__ = held


def unhold(values: list[Value]) -> None:
    """Make held `values` plain Values again (without releasing: what release() calls)."""
    for v in values:
        _SET_CLASS(v, Value)


def holder_of(values: object) -> Holder | None:
    """What holds exactly `values` (a list, in its order), or None."""
    if type(values) is not list or not values:
        return None
    holder: Holder | None = getattr(type(values[0]), "holder", None)
    if holder is None or (values is not holder.values and values != holder.values):
        return None  # (a list's == compares Values by identity: nothing is released)
    return holder


def held_arrays(values: Sequence[Value]) -> tuple[Any, Any] | None:
    """(data, grads): the two numpy arrays in which a batched numpy step holds exactly
    `values` (a list, in its order), for an optimizer to update in place; None where they are
    not so held (or a trace is recording, which must see each read), and the Values are read
    as Values (data_and_grads)."""
    mode = current_mode()
    if mode is not RECORDING and mode.trace is not None:
        return None
    holder = holder_of(values)
    return None if holder is None else holder.arrays()


_JUST_VALUES = {Value}


def dot(
    ws: Iterable[Value | Number], xs: Iterable[Value | Number], bias: Value | Number | None = None
) -> Value:
    """w . x + b = b + w_1 x_1 + ... + w_n x_n, as one node (b = 0 when no bias is given).
    d/dw_i = x_i, d/dx_i = w_i, d/db = 1

    A neuron's net input. Written with `*` and `+` it would be 2n nodes; as one primitive it is
    one, which is most of what makes a training step fast (see benchmarks/).
    """
    w, x = tuple(ws), tuple(xs)
    parents: tuple[Any, ...] = (*w, *x) if bias is None else (*w, *x, bias)
    # A neuron passes Values only: one type test of them all at C speed, not one per item.
    if set(map(type, parents)) != _JUST_VALUES:
        parents = tuple([as_value(p, "dot") for p in parents])
    if len(w) != len(x):
        raise ValueError(f"dot: {len(w)} weights but {len(x)} inputs")
    if not w:
        raise ValueError("dot of no terms: give at least one weight and one input")
    return _make(DOT, parents)


def maximum(x: Value | Number, y: Value | Number) -> Value:
    """max(x, y) as one node.  d/dx = 1 if x > y else 0, d/dy = 1 if y > x else 0

    NOTE: at a tie each gets half the gradient, as PyTorch's maximum; max() of Values instead
    picks one of them by comparing (and records no node)."""
    return _apply(MAX, (x, y))


def primitive(name: str, forward: Callable[..., float], rule: Rule) -> Callable[..., Value]:
    """A new primitive op, first-class like the built-in ones.

    `forward(*xs, **consts)` computes its value on floats; `rule(g, out, *parents, **consts)`
    returns one term per parent, written with arithmetic and autograd's exp, log, sqrt, tanh,
    sigmoid, relu, sin and cos, so that it runs on floats in backward() and on Values (giving
    higher derivatives) in grad(..., create_graph=True). The result is called with the
    parents (Values or numbers) and, by keyword, any constants: `leaky_relu(x, slope=0.01)`.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"primitive: name must be a non-empty str, got {name!r}")
    for what, f in (("forward", forward), ("rule", rule)):
        if not callable(f):
            raise TypeError(f"primitive {name!r}: {what} must be callable, got {f!r}")
    op = Primitive(name, forward, _checked(rule))

    def apply(*args: Value | Number, **consts: Number) -> Value:
        return _apply(with_constants(op, consts) if consts else op, args)

    apply.__name__ = name
    apply.__qualname__ = name
    apply.__doc__ = forward.__doc__
    return apply


class _TermError(TypeError):
    """A rule returned a term that is not a number; the pass names the primitive."""


def _checked(rule: Rule) -> Rule:
    """A user's rule, with what it returns checked: one term per parent, each a number.

    A wrong count would not fail where it is made: zip() in the pass would drop the extra
    terms, or leave a parent without its own. A term that is not a number would not either: a
    Value that the rule closes over would land in .grad (the optimizer then fails a step later,
    far from the cause), a complex number would be summed into a complex gradient, None or a str
    would fail in a sum that names no op. The built-in rules are not wrapped: they return one
    number per parent by construction, and backward() on them pays nothing for this.
    """

    def checked(g: Any, out: Any, *parents: Any, **consts: Any) -> Any:
        terms = rule(g, out, *parents, **consts)
        if not isinstance(terms, (tuple, list)):
            raise _TermError(
                f"returned {terms!r} ({type(terms).__name__}): a rule returns a tuple of one "
                f"term per parent"
            )
        if len(terms) != len(parents):
            raise _TermError(
                f"returned {len(terms)} terms for {len(parents)} parents: it must return one "
                f"term per parent"
            )
        for i, term in enumerate(terms):
            if type(term) is not float and not _is_term(term, floats=type(out) is float):
                raise _TermError(_term_refused(term, i, len(terms), type(out) is float))
        return terms

    return checked


def _is_term(term: object, floats: bool) -> bool:
    """A rule's term is a real number; where the rule gets Values (create_graph) or a compiled
    step's symbolic values, it may be one of those too (anything a dual function takes)."""
    if isinstance(term, numbers.Real):
        return True
    return not floats and hasattr(term, "_unary")


def _term_refused(term: object, i: int, n: int, floats: bool) -> str:
    where = f"returned {term!r} ({type(term).__name__}) as the term for parent {i + 1} of {n}"
    if isinstance(term, Value):
        return (
            f"{where}: a Value, where the rule was given floats (backward() runs rules on "
            f"floats). A rule must compute its terms from g, out and the parents it is given, "
            f"not from a Value it closes over."
        )
    return f"{where}: a term must be a real number" + ("" if floats else " or a Value")


# ----- building nodes -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _power_by(n: float) -> Primitive:
    """x ** n's op: POW_CONST with n bound. `bound` alone would do; this cache of one float is
    its key made cheaper, for the op a pow chain or an rmsnorm makes per node (x ** 2: 850
    against 940 ns, timeit, 2026-12-06)."""
    return bound(POW_CONST, ("n",), n)


def _apply(op: Primitive, args: tuple[Any, ...]) -> Value:
    """The node for `op` applied to `args` (numbers become constant leaves): its value computed
    on floats, its history recorded unless grad mode is off. A failed forward raises before
    anything is made."""
    parents = args
    for a in args:
        if not isinstance(a, Value):
            parents = tuple([as_value(a, op.name) for a in args])
            break
    return _make(op, parents)


def _make(op: Primitive, parents: tuple[Value, ...]) -> Value:
    """The node of `op` on parents that are all Values already."""
    # Nearly every op is unary or binary: those are spelled out rather than unpacking a list of
    # the parents' data (docs/speed.md, "The engine's shortcuts", says what that saves).
    n = len(parents)
    if n == 2:
        data = op.forward(parents[0]._data, parents[1]._data)
    elif n == 1:
        data = op.forward(parents[0]._data)
    else:
        data = op.forward(*[p._data for p in parents])
    if type(data) is not float:
        data = as_float(data, f"the forward of {op.name}")
    out = Value.__new__(Value)
    out._data = data
    out._grad = _NOT_COMPUTED
    out.label = ""
    mode = current_mode()
    if mode is RECORDING or mode.grad_enabled:
        out._parents = parents
        out._primitive = op
    else:
        out._parents = ()
        out._primitive = None
        out._grad = _UNRECORDED
    if mode is not RECORDING:
        if mode.anomaly is not None:
            mode.anomaly.check_forward(out, op, parents)
        if mode.trace is not None:
            mode.trace.made(out, op, parents)
    return out


def _leaf(data: float, source: Value | None = None) -> Value:
    """A constant leaf, made without __init__'s checks: data is already a float. (Like _make,
    it writes the fields itself: `2 * x` makes one per op.) `source`: the node it is a
    detached copy of."""
    out = Value.__new__(Value)
    out._data = data
    out._grad = _NOT_COMPUTED
    out.label = ""
    out._parents = ()
    out._primitive = None
    mode = current_mode()
    if mode is not RECORDING and mode.trace is not None:
        mode.trace.made(out, None, () if source is None else (source,))
    return out


def _compare(left: Value, op: str, other: Value | Number, test: Callable[..., bool]) -> bool:
    """left op other on data, told to the active trace, if any (for which it is a guard)."""
    right = other._data if isinstance(other, Value) else as_float(other, f"an operand of {op}")
    outcome = test(left._data, right)
    mode = current_mode()
    if mode is not RECORDING and mode.trace is not None:
        mode.trace.compared(left, op, other if isinstance(other, Value) else right, outcome)
    return outcome


# ----- the graph walk and the one backprop pass ---------------------------------------------------


def topological_order(root: Value) -> list[Value]:
    """Every node root depends on, once each, every node after all of its parents.

    Iterative depth-first search: a graph a million nodes deep needs no recursion. A node is
    opened when it is first popped: it goes back on the stack under a `None` marker, with its
    parents on top. When the marker comes off again, all of those parents have been listed, so
    the node is listed next. A leaf has no parents to wait for, so it is listed on sight, and so
    is a node whose parents are all opened already: they are all listed too (a parent opened but
    not listed would be waiting under its marker for this very node: a cycle).
    """
    order: list[Value] = []
    opened: set[Value] = set()
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())  # type: ignore[arg-type]
        elif node not in opened:
            opened.add(node)
            parents = node._parents
            if opened.issuperset(parents):  # a second neuron on the same inputs, say
                order.append(node)
                continue
            stack.append(node)
            stack.append(None)
            for parent in parents:
                if parent not in opened:
                    if parent._parents:
                        stack.append(parent)
                    else:
                        opened.add(parent)
                        order.append(parent)
    return order


def backward_pass(
    root: Value,
    grads: dict[Value, Any],
    create_graph: bool,
    each: Callable[[Value, tuple[Any, ...]], None] | None = None,
) -> None:
    """The one backprop pass, one node at a time: d(root)/d(node) summed over every path.

    `grads` holds the seed ({root: 1.0}) and receives every node's gradient. Walking the
    topological order backwards, each node's gradient is complete before its rule sends it on:
    the rule maps it to one term per parent, which is added into that parent's sum. With
    create_graph=False the rules get floats; with True they get Values, so the sums are
    themselves differentiable. It never reads a node's .grad. `each(node, terms)`, if given, is
    called after each node has sent its terms (anomaly mode checks them, the stepper records
    them).
    """
    gradient_of = grads.get
    for node in reversed(topological_order(root)):
        op = node._primitive
        if op is None:
            continue  # a leaf only receives
        g = grads[node]
        parents = node._parents
        n = len(parents)
        try:
            if create_graph:
                terms = op.rule(g, node, *parents)
            # Nearly every node is binary or unary: spelled out, as in _make.
            elif n == 2:
                terms = op.rule(g, node._data, parents[0]._data, parents[1]._data)
            elif n == 1:
                terms = op.rule(g, node._data, parents[0]._data)
            else:
                terms = op.rule(g, node._data, *[p._data for p in parents])
        except Exception as error:
            raise _rule_failed(op, error) from error
        # One term per parent: a built-in rule's by construction, a user's checked (_checked).
        for parent, term in zip(parents, terms):
            total = gradient_of(parent)
            grads[parent] = term if total is None else total + term
        if each is not None:
            each(node, terms)


def _rule_failed(op: Primitive, error: Exception) -> Exception:
    """The error a rule raised, of the same type where it can be, naming the primitive."""
    if isinstance(error, _TermError):
        return TypeError(f"the rule of primitive {op.name!r} {error}")
    message = f"the rule of primitive {op.name!r} raised {type(error).__name__}: {error}"
    try:
        return type(error)(message)
    except Exception:
        return RuntimeError(message)


def _gradients(root: Value, create_graph: bool) -> dict[Value, Any]:
    """Run the pass to its end: every node's d(root)/d(node), as floats or as Values."""
    grads: dict[Value, Any] = {root: Value(1.0) if create_graph else 1.0}
    anomaly = current_mode().anomaly
    each = None if anomaly is None else functools.partial(anomaly.check_backward, grads)
    if create_graph:
        # NOTE: the derivative's graph is recorded even inside no_grad(), as PyTorch does.
        with enable_grad():
            backward_pass(root, grads, create_graph, each)
    else:
        backward_pass(root, grads, create_graph, each)
    return grads


def grad(output: Value, inputs: Iterable[Value], create_graph: bool = False) -> list[Value]:
    """d(output)/d(input) for each input, as Values, leaving every .grad untouched.

    With create_graph=True the results are built from Values, so they can be differentiated
    again for second and higher derivatives. An input output does not depend on gets 0.0.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(x).__name__}")
    grads = _gradients(output, create_graph)
    results = [grads.get(x, 0.0) for x in inputs]
    return [g if isinstance(g, Value) else Value(g) for g in results]
