"""Tracing: run f once on Values and record what a replay of it has to know.

Imports autograd.engine, autograd.modes, autograd.primitives and the standard library only.
While `trace` runs f, the Trace is the active trace of this thread's mode record
(autograd.modes.TraceHook), so the engine tells it of every node made, in order, with its op
and parents (also under `no_grad()`, and for `detach()`: values with no gradient); of every
comparison of Values (`if s > 0`, max(), sorted()), which becomes a guard, a condition the
replay checks; and of every read or write of `.data` or `.grad` from outside the engine. A
read of `.data` (or `float()` under no_grad(); with grad mode on float() raises) is a guard
on that value where it depends only on the data; where it depends on a parameter the replay
cannot know it, and the trace is marked untraceable, naming the line. Nothing else changes:
other threads, and the Value class, see no trace.

f receives its data as Value leaves (the data leaves), so a branch on the data is a guard too.
A branch on their type is not: the step checks each trace against f run on numbers (step.py).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import autograd.engine as engine
from autograd.engine import Value
from autograd.modes import MODE, ModeBlock, user_site
from autograd.primitives import Primitive, as_float

# How a node's value can change between calls: never (a constant made by f), with the data or
# a Value made outside f (read afresh at each replay), or with a parameter.
CONST, INPUT, PARAM = 0, 1, 2

# A guard: after the first `after` nodes are made, `left op right` must come out as `outcome`.
# op "is" is a read: left's value must be right (a float) again.
Guard = tuple[int, str, Value, "Value | float", bool]


@dataclass
class Trace:
    """What one run of f made, in order, and what a replay must check. It is the TraceHook
    the engine tells while f runs."""

    params: list[Value]
    root: Any = None
    nodes: list[Value] = field(default_factory=list)  # every node f made, in order
    data: list[Value] = field(default_factory=list)  # the data leaves, one per flat number
    guards: list[Guard] = field(default_factory=list)
    # Nodes with no gradient: a detach() (op None, parent the original) or an op run under
    # no_grad() (its op and parents). A replay computes them; backprop stops there.
    stopped: dict[Value, tuple[Primitive | None, tuple[Value, ...]]] = field(default_factory=dict)
    untraceable: str | None = None  # what f did that no replay can repeat, and where
    # CONST, INPUT or PARAM for each node f made, set as it is made from its parents'.
    classes: dict[Value, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._params = set(self.params)

    def value_class(self, v: Value) -> int:
        """CONST, INPUT or PARAM: what v's value depends on. A Value made outside f is a
        parameter or is read afresh at each replay (INPUT)."""
        kind = self.classes.get(v)
        if kind is None:
            return PARAM if v in self._params else INPUT
        return kind

    def fail(self, what: str) -> None:
        if self.untraceable is None:
            self.untraceable = f"{what} at {user_site()}"

    # ----- the TraceHook: what the engine tells ---------------------------------------------

    def made(self, out: Value, op: Primitive | None, parents: tuple[Value, ...]) -> None:
        self.nodes.append(out)
        if op is None and not parents:
            self.classes[out] = CONST  # a constant f made (data leaves are marked INPUT)
            return
        if op is None or out._primitive is None:  # detach(), or an op under no_grad()
            self.stopped[out] = (op, parents)
        self.classes[out] = max(map(self.value_class, parents))

    def compared(self, left: Value, op: str, right: Value | float, outcome: bool) -> None:
        kind = self.value_class(left)
        if isinstance(right, Value):
            kind = max(kind, self.value_class(right))
        if kind != CONST:
            self.guards.append((len(self.nodes), op, left, right, outcome))

    def read(self, v: Value, name: str, x: float) -> None:
        if name == "grad":
            self.fail("f reads the .grad of a Value")
            return
        kind = self.value_class(v)
        if kind == PARAM:
            self.fail("f reads the value of a Value that depends on a parameter")
        elif kind == INPUT:
            self.guards.append((len(self.nodes), "is", v, x, True))

    def wrote(self, v: Value, name: str) -> None:
        self.fail(f"f changes the .{name} of a Value")


def trace(f: Callable[..., Any], params: list[Value], data: Sequence[Any]) -> Trace:
    """Run f on data as Value leaves, recording the Trace. f's errors propagate."""
    record = Trace(params)
    with ModeBlock(trace=record):
        leaves = [_leaves(x, record) for x in data]
        record.root = f(*leaves)
    return record


def tracing() -> bool:
    """Is a trace running in this thread (or asyncio task)?"""
    return MODE.get().trace is not None


def _leaves(x: Any, record: Trace) -> Any:
    """x with every number replaced by a new data leaf (lists and tuples keep their type)."""
    if isinstance(x, (list, tuple)):
        return type(x)(_leaves(item, record) for item in x)
    leaf = Value(x)
    record.data.append(leaf)
    record.classes[leaf] = INPUT
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


class UntraceableWarning(UserWarning):
    """A compiled step met code no replay can repeat, and runs eagerly for that data."""


def backprop(root: Value, seed: float) -> dict[Value, float]:
    """What root.backward() computes, seeded with `seed`, without touching any .grad: the
    reference every replay is checked against, and what a step that runs eagerly adds."""
    grads: dict[Value, Any] = {root: seed}
    engine.backward_pass(root, grads, create_graph=False)
    return grads
