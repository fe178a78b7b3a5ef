"""What the two kinds of compiled step share: the cache of traces, the one warning, the messages.

Imports autograd.engine, the compiler's tracing module and the standard library only.
`CompiledStep` (compiled) and `BatchedStep` (batched) are both a `Step`: f and its parameters,
how often f was traced, the latest generated code, and a cache from the shape of the data to
what was compiled for it (None where that shape runs eagerly), kept for the most recently used
`SHAPES` shapes. Each warns once, naming what f did that no replay can repeat.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from autograd.compiling.tracing import UntraceableWarning
from autograd.engine import Value

SHAPES = 8  # traces are kept for this many shapes of data (the most recently used)

DISAGREED = (
    "compile_grad: the generated code disagreed with eager, or was too deeply nested for "
    "Python's compiler; running eagerly"
)


class Step:
    """f, its parameters and the cache of its traces by shape of data."""

    # How many frames lie between the user's call of the step and warnings.warn (so that a
    # warning names the user's line): warn itself, the method that warns, ..., __call__.
    warn_depth = 3

    def __init__(self, f: Callable[..., Value], params: list[Value]) -> None:
        self.f = f
        self.params = params
        self.traces = 0
        self.source: str | None = None
        self.cache: OrderedDict[Any, Any] = OrderedDict()  # None: this shape runs eagerly
        self.warned = False

    def name(self) -> str:
        return getattr(self.f, "__qualname__", repr(self.f))

    def forget_old_shapes(self) -> None:
        while len(self.cache) > SHAPES:
            self.cache.popitem(last=False)

    def warn(self, message: str) -> None:
        """An UntraceableWarning, the first time only, attributed to the user's call."""
        if not self.warned:
            self.warned = True
            warnings.warn(message, UntraceableWarning, stacklevel=self.warn_depth + 1)


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
