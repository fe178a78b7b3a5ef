"""Tracing: run f once on Values and record what a replay of it has to know.

Imports autograd.engine, autograd.primitives and the standard library only. While `trace`
runs f, the Value class is instrumented (and restored afterwards, also on error): every node
made is recorded in the order it was made; a comparison of Values (`if s > 0`, max(),
sorted()) becomes a guard, a condition the replay checks; `detach()` and ops under
`no_grad()` are recorded as values with no gradient. A read of `.data` or `float()` is a
guard on that value where it depends only on the data; where it depends on a parameter the
replay cannot know it, and the trace is marked untraceable, naming the line. The engine's own
reads (computing a node from its parents) are not counted.

f receives its data as Value leaves (the data leaves), so a branch on the data is a guard too.
"""

from __future__ import annotations

import numbers
import operator
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import autograd.engine as engine
import autograd.modes as modes
from autograd.engine import Value
from autograd.primitives import Primitive, as_float

# How a node's value can change between calls: never (a constant made by f), with the data or
# a Value made outside f, or with a parameter.
CONST, INPUT, PARAM = 0, 1, 2

# A guard: after the first `after` nodes are made, `left op right` must come out as `outcome`.
# op "is" is a read: left's value must be right (a float) again.
Guard = tuple[int, str, Value, "Value | float", bool]


@dataclass
class Trace:
    """What one run of f made, in order, and what a replay must check."""

    params: list[Value]
    root: Any = None
    made: list[Value] = field(default_factory=list)
    data: list[Value] = field(default_factory=list)  # the data leaves, one per flat number
    guards: list[Guard] = field(default_factory=list)
    # Nodes with no gradient: a detach() (op None, parent the original) or an op run under
    # no_grad() (its op and parents). A replay computes them; backprop stops there.
    stopped: dict[Value, tuple[Primitive | None, tuple[Value, ...]]] = field(default_factory=dict)
    untraceable: str | None = None  # what f did that no replay can repeat, and where
    _made: set[Value] = field(default_factory=set)
    _data: set[Value] = field(default_factory=set)
    _classes: dict[Value, int] = field(default_factory=dict)

    def value_class(self, v: Value) -> int:
        """CONST, INPUT or PARAM: what v's value depends on (iterative: graphs can be deep)."""
        stack = [v]
        while stack:
            node = stack[-1]
            if node in self._classes:
                stack.pop()
                continue
            sources = self.stopped[node][1] if node in self.stopped else node._parents
            pending = [p for p in sources if p not in self._classes]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            if node in self._params:
                self._classes[node] = PARAM
            elif sources:
                self._classes[node] = max(self._classes[p] for p in sources)
            else:
                made_here = node in self._made and node not in self._data
                self._classes[node] = CONST if made_here else INPUT
        return self._classes[v]

    def __post_init__(self) -> None:
        self._params = set(self.params)

    def fail(self, what: str) -> None:
        if self.untraceable is None:
            self.untraceable = f"{what} at {_user_site()}"

    def wrote(self, v: Value, slot: Any, what: str) -> None:
        """A write of v.data or v.grad: the making of a new node, or a change f makes."""
        try:
            slot.__get__(v, Value)
        except AttributeError:
            if slot is _SLOTS["data"]:
                self._new(v)
            return
        self.fail(f"f changes the .{what} of a Value")

    def _new(self, v: Value) -> None:
        self.made.append(v)
        self._made.add(v)
        # A node made by the engine with grad mode off has no parents to record: take them
        # from the engine's frame, so that the replay can compute it.
        maker = sys._getframe(3)
        if maker.f_code is _MAKE and not modes.MODE.get().grad_enabled:
            self.stopped[v] = (maker.f_locals["op"], maker.f_locals["parents"])

    def read(self, v: Value, x: float) -> None:
        kind = self.value_class(v)
        if kind == PARAM:
            self.fail("f reads the value of a Value that depends on a parameter")
        elif kind == INPUT:
            self.guards.append((len(self.made), "is", v, x, True))

    def compared(self, a: Value, op: str, b: Value | float, outcome: bool) -> None:
        kind = self.value_class(a)
        if isinstance(b, Value):
            kind = max(kind, self.value_class(b))
        if kind != CONST:
            self.guards.append((len(self.made), op, a, b, outcome))


def trace(f: Callable[..., Any], params: list[Value], data: Sequence[Any]) -> Trace:
    """Run f on data as Value leaves, recording the Trace. f's errors propagate."""
    record = Trace(params)
    with _instrumented(record):
        leaves = [_leaves(x, record) for x in data]
        record.root = f(*leaves)
    return record


def _leaves(x: Any, record: Trace) -> Any:
    """x with every number replaced by a new data leaf (lists and tuples keep their type)."""
    if isinstance(x, (list, tuple)):
        return type(x)(_leaves(item, record) for item in x)
    leaf = Value(x)
    record.data.append(leaf)
    record._data.add(leaf)
    return leaf


def flatten(data: Sequence[Any]) -> tuple[Any, list[float]]:
    """(the shape of data, its numbers in order): numbers, or nested lists or tuples of them.

    A numpy array counts as the nested list it is. Bools and anything else are refused with
    a TypeError naming it.
    """
    flat: list[float] = []
    shape = tuple(_shape(x, flat) for x in data)
    return shape, flat


def _shape(x: Any, flat: list[float]) -> Any:
    if type(x) is float:
        flat.append(x)
        return None
    if isinstance(x, (list, tuple)):
        return (type(x) is tuple, tuple([_shape(item, flat) for item in x]))
    if not isinstance(x, numbers.Number) and hasattr(x, "tolist") and hasattr(x, "shape"):
        return _shape(x.tolist(), flat)  # a numpy array
    flat.append(as_float(x, "a compiled step's data"))
    return None


def unflatten(shape: tuple[Any, ...], flat: Sequence[float]) -> tuple[Any, ...]:
    """The data that flatten() read as (shape, flat), as numbers and lists again."""
    numbers = iter(flat)
    return tuple(_unshape(s, numbers) for s in shape)


def _unshape(shape: Any, numbers: Iterator[float]) -> Any:
    if shape is None:
        return next(numbers)
    is_tuple, items = shape
    out = [_unshape(item, numbers) for item in items]
    return tuple(out) if is_tuple else out


# ----- instrumenting Value while a trace runs ----------------------------------------------------

_SLOTS = {name: Value.__dict__[name] for name in ("data", "grad")}
_METHODS = {name: Value.__dict__[name] for name in ("__lt__", "__le__", "__gt__", "__ge__")}
_DETACH = Value.detach
_MAKE = engine._make.__code__
# The engine reads its parents' data to compute a node (and detect_anomaly reads to check it):
# those reads are how the graph is built, not decisions of f.
# (Up to Python 3.11 a comprehension inside them is a code object of its own.)
_QUIET = {
    code
    for outer in (_MAKE, modes.Anomaly.check_forward.__code__)
    for code in (outer, *(c for c in outer.co_consts if isinstance(c, type(outer))))
}
_current: ContextVar[Trace | None] = ContextVar("chainrule_trace", default=None)
_lock = threading.Lock()
_depth = 0  # how many traces are running (in any thread): instrumented while > 0


def tracing() -> bool:
    """Is a trace running in this thread (or asyncio task)?"""
    return _current.get() is not None


def _slot_property(name: str) -> property:
    slot = _SLOTS[name]

    def get(v: Value) -> Any:
        x = slot.__get__(v, Value)
        record = _current.get()
        if record is not None and sys._getframe(1).f_code not in _QUIET:
            if name == "data":
                record.read(v, x)
            else:
                record.fail("f reads the .grad of a Value")
        return x

    def put(v: Value, x: Any) -> None:
        record = _current.get()
        if record is not None:
            record.wrote(v, slot, name)
        slot.__set__(v, x)

    return property(get, put)


def _comparison(name: str, test: Callable[[float, float], bool]) -> Callable[..., bool]:
    data = _SLOTS["data"]

    def compare(self: Value, other: Value | float) -> bool:
        # As the engine compares: data against data, a number read by as_float.
        if isinstance(other, Value):
            right = data.__get__(other, Value)
        else:
            other = right = as_float(other, f"an operand of {name}")
        outcome = test(data.__get__(self, Value), right)
        record = _current.get()
        if record is not None:
            record.compared(self, name, other, outcome)
        return outcome

    return compare


def _detach(self: Value) -> Value:
    out = Value(_SLOTS["data"].__get__(self, Value), self.label)
    record = _current.get()
    if record is not None:
        record.stopped[out] = (None, (self,))
    return out


_INSTRUMENTS: dict[str, Any] = {
    "data": _slot_property("data"),
    "grad": _slot_property("grad"),
    "__lt__": _comparison("<", operator.lt),
    "__le__": _comparison("<=", operator.le),
    "__gt__": _comparison(">", operator.gt),
    "__ge__": _comparison(">=", operator.ge),
    "detach": _detach,
}
_ORIGINALS: dict[str, Any] = {**_SLOTS, **_METHODS, "detach": _DETACH}


@contextmanager
def _instrumented(record: Trace) -> Iterator[None]:
    """Value instrumented while the block runs. Other threads see the same answers (only this
    context's trace records anything); the class is restored when the last trace ends."""
    global _depth
    with _lock:
        if _depth == 0:
            for name, attribute in _INSTRUMENTS.items():
                setattr(Value, name, attribute)
        _depth += 1
    token = _current.set(record)
    try:
        yield
    finally:
        _current.reset(token)
        with _lock:
            _depth -= 1
            if _depth == 0:
                for name, attribute in _ORIGINALS.items():
                    setattr(Value, name, attribute)


_OURS = str(Path(__file__).parent.parent) + "/"
_NN = str(Path(__file__).parent.parent.parent / "nn") + "/"


def _user_site() -> str:
    """file:line of the innermost caller outside autograd, and the user's line if that is nn."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_OURS):
        frame = frame.f_back
    site = f"{frame.f_code.co_filename}:{frame.f_lineno}"
    if not frame.f_code.co_filename.startswith(_NN):
        return site
    while frame.f_back is not None and frame.f_code.co_filename.startswith((_OURS, _NN)):
        frame = frame.f_back
    return f"{site} (called from {frame.f_code.co_filename}:{frame.f_lineno})"


class UntraceableWarning(UserWarning):
    """A compiled step met code no replay can repeat, and runs eagerly for that data."""


def backprop(root: Value, seed: float) -> dict[Value, float]:
    """What root.backward() computes, seeded with `seed`, without touching any .grad: the
    reference every replay is checked against, and what a step that runs eagerly adds."""
    grads: dict[Value, Any] = {root: seed}
    for _ in engine.backward_pass(root, grads, create_graph=False):
        pass
    return grads
