"""What the two kinds of compiled step share: the parameters, the cache of traces, the checked
trace, the one warning, the messages.

Imports autograd.engine, the compiler's tracing module and the standard library only.
`CompiledStep` (compiled) and `BatchedStep` (batched) are both a `Step`: f and its parameters
(a list, or read from a module at each call), how often f was traced, the latest generated
code, and a cache from the shape of the data to what was compiled for it (None where that
shape runs eagerly), kept for the most recently used `SHAPES` shapes. Each warns once, naming
what f did that no replay can repeat.

A trace passes f its data as Value leaves, where eager code passes numbers. So each trace is
checked: f runs once more on the data as numbers, and a trace whose loss or gradients differ
from that run's, bit for bit (f checked the type of its data, say), or that raised where that
run did not, is never replayed.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, cast

from autograd.compiling.tracing import Trace, UntraceableWarning, backprop, trace
from autograd.engine import Value

SHAPES = 8  # traces are kept for this many shapes of data (the most recently used)

DISAGREED = (
    "compile_grad: the generated code disagreed with eager, or was too deeply nested for "
    "Python's compiler; running eagerly"
)


class Parameterized(Protocol):
    """A module (nn.Module): it lists its parameters afresh at each call of parameters()."""

    def parameters(self) -> Iterable[Value]: ...


# What compile_grad takes as params: the Values themselves, or where to read them at each call.
Params = Iterable[Value] | Parameterized | Callable[[], Iterable[Value]]


class Step:
    """f, its parameters and the cache of its traces by shape of data."""

    # How many frames lie between the user's call of the step and warnings.warn (so that a
    # warning names the user's line): warn itself, the method that warns, ..., __call__.
    warn_depth = 3

    # What the step runs eagerly where no replay can be trusted, for the warning.
    eagerly = "this step runs eagerly (as f(*data).backward() does) for data of this shape"

    def __init__(self, f: Callable[..., Value], params: Params) -> None:
        self.f = f
        self.read_params = _reader(params)
        self.listed: list[Value] = []  # what read_params gave last
        if self.read_params is None:  # neither a module nor a function: the Values themselves
            self.params = check_params(cast("Iterable[Value]", params))
        else:
            self.listed = list(self.read_params())
            self.params = check_params(self.listed)
        self.traces = 0
        self.source: str | None = None
        self.cache: OrderedDict[Any, Any] = OrderedDict()  # None: this shape runs eagerly
        self.warned = False

    def name(self) -> str:
        return getattr(self.f, "__qualname__", repr(self.f))

    def refresh_params(self) -> None:
        """Where the parameters come from a module (or a function), read them again: other
        Values than those traced (a weight replaced in the model) trace every shape again.
        Lists compare item by item by identity (a Value's ==), so this costs about what
        model.parameters() costs."""
        if self.read_params is None:
            return
        listed = list(self.read_params())
        if listed != self.listed:
            self.params = check_params(listed)
            self.listed = listed
            self.cache.clear()

    def trace_checked(
        self, leaves: Sequence[Any], numbers: Sequence[Any], seed: float
    ) -> tuple[Trace | None, Value, dict[Value, float]]:
        """Trace f on `leaves` (the data as numbers and lists, which become Value leaves),
        checked against f run on `numbers` (the same data as eager code gets it): the trace,
        f's loss and its gradients seeded with `seed`. The trace is None (and the step warns)
        where no replay of it can be trusted; the loss and gradients are eager code's then.

        f's errors propagate; an error on Value leaves that eager code does not meet means f
        uses its data as only a number can be used (float(x), math.exp(x), an index).
        """
        self.traces += 1
        try:
            record = trace(self.f, self.params, leaves)
            root = check_root(record.root)
        except Exception as error:
            try:
                eager = check_root(self.f(*numbers))
            except Exception:
                raise error from None
            self.warn(_as_leaves(f"raised {type(error).__name__} ({error})", self.eagerly), 1)
            return None, eager, backprop(eager, seed)
        grads = backprop(root, seed)
        if record.untraceable is not None:
            self.warn(untraceable(record.untraceable, self.eagerly), 1)
            return None, root, grads
        try:
            eager = check_root(self.f(*numbers))
        except Exception:  # f takes its data as Values only (it reads x.data): the trace is f
            return record, root, grads
        eager_grads = backprop(eager, seed)
        traced = [root.data, *(grads.get(p, 0.0) for p in self.params)]
        if not same(traced, [eager.data, *(eager_grads.get(p, 0.0) for p in self.params)]):
            self.warn(_as_leaves("gave other numbers", self.eagerly), 1)
            return None, eager, eager_grads
        return record, root, grads

    def forget_old_shapes(self) -> None:
        while len(self.cache) > SHAPES:
            self.cache.popitem(last=False)

    def warn(self, message: str, deeper: int = 0) -> None:
        """An UntraceableWarning, the first time only, attributed to the user's call (`deeper`
        frames more than warn_depth away)."""
        if not self.warned:
            self.warned = True
            warnings.warn(message, UntraceableWarning, stacklevel=self.warn_depth + deeper + 1)


def _reader(params: Params) -> Callable[[], Iterable[Value]] | None:
    """The function that lists the parameters at each call where params is a module (its
    parameters method) or a function; None where params is the list itself."""
    method = getattr(params, "parameters", None)
    if callable(method):
        return method
    if callable(params):
        return params
    return None


def check_params(params: Iterable[Value]) -> list[Value]:
    """params as a list of distinct leaf Values, in order."""
    if isinstance(params, Value):
        raise TypeError("compile_grad: params must be a list of Values, got one Value")
    out: list[Value] = []
    seen: set[Value] = set()
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"compile_grad: params[{i}] must be a Value, got {type(p).__name__}")
        if p._primitive is not None:
            raise ValueError(
                f"compile_grad: params[{i}] is not a leaf (it was made by {p._op!r}); "
                f"gradients are taken with respect to leaves, as optimizers take them"
            )
        if p not in seen:  # a set: a list's `in` made this quadratic in the parameters
            seen.add(p)
            out.append(p)
    return out


def same(xs: list[float], ys: list[float]) -> bool:
    """Bit for bit: the same type and repr (so -0.0 is not 0.0, and nan is nan)."""
    return all(type(x) is type(y) and repr(x) == repr(y) for x, y in zip(xs, ys))


def _as_leaves(what: str, eager: str) -> str:
    """The warning for f that `what` on its data as Value leaves (as a trace passes them), but
    not on the same data as numbers (as eager code passes them)."""
    return (
        f"compile_grad: f {what} on its data as Value leaves (as a trace passes them), not on "
        f"the same data as numbers (as f(*data) gets them): does f check their type "
        f"(isinstance(x, float)), use them as only a number can be used (float(x), "
        f"math.exp(x)), or draw random numbers? No replay of that trace can be trusted, so "
        f"{eager}."
    )


def untraceable(what: str, eager: str) -> str:
    """The warning for a trace of f that did `what`, which no replay can repeat; `eager` says
    what runs eagerly instead."""
    return (
        f"compile_grad: {what}. No replay can know that value, so {eager}. Compare Values "
        f"instead of reading them (a comparison becomes a guard), or detach() a value needed "
        f"only as a constant."
    )


def check_root(root: object) -> Value:
    """f's result, which must be a Value."""
    if not isinstance(root, Value):
        raise TypeError(f"compile_grad: f must return a Value, got {type(root).__name__}")
    return root
