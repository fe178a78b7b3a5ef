"""Grad mode, anomaly mode and the trace hook: what ops do in this thread. Standard library only.

The engine's only global state is one record, `MODE`, read once per op: whether to record
history (`no_grad()` turns it off, `enable_grad()` back on), whether to watch for NaN
(`detect_anomaly()`), and which trace, if any, to tell of each new node (a compiled step's,
autograd.compiling; see `TraceHook`). It is a ContextVar, so it is per thread (and per
asyncio task): one thread inside `no_grad()` changes nothing that another thread records.
Each block restores the mode it found when it ends, also through an exception, so blocks nest.
"""

from __future__ import annotations

import os
import sys
from contextvars import ContextVar, Token
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from autograd.engine import Value
    from autograd.primitives import Primitive


class TraceHook(Protocol):
    """What the engine tells a running trace (autograd.compiling's Trace) in this thread.

    The one way a trace sees f run: no frames read, no class changed.
    """

    def made(self, out: Value, op: Primitive | None, parents: tuple[Value, ...]) -> None:
        """A new node: out = op(*parents), told also under no_grad() (where out keeps no
        history). op None: a leaf (no parents) or a detached copy (its one parent)."""

    def compared(self, left: Value, op: str, right: Value | float, outcome: bool) -> None:
        """A comparison of left's value with right's (or with the number right)."""

    def read(self, v: Value, name: str, x: float) -> None:
        """A read of v.data or v.grad (name) from outside the engine, giving x."""

    def wrote(self, v: Value, name: str) -> None:
        """A write of v.data or v.grad from outside the engine."""


@dataclass(frozen=True)
class Mode:
    """What ops do in this thread: record history or not, watch for NaN or not, tell a trace
    or not."""

    grad_enabled: bool = True
    anomaly: Anomaly | None = None
    trace: TraceHook | None = None


# The usual mode, which the engine checks first, by identity: record history, watch for nothing.
RECORDING = Mode()
MODE: ContextVar[Mode] = ContextVar("chainrule_mode", default=RECORDING)
# The mode now: what every op calls. NOTE: MODE.get bound once, not `MODE.get()` in the engine:
# Python 3.11 compiles an attribute call on an imported name as a module function's call, which
# builds a new bound method on every call (docs/speed.md measures it).
current_mode = MODE.get


class ModeBlock:
    """A `with` block that runs in a changed mode. The same object can be entered again, as
    PyTorch's can (`ng = no_grad()`, then `with ng:` twice, or one inside the other)."""

    def __init__(self, **changes: Any) -> None:
        self.changes = changes
        self.tokens: list[Token[Mode]] = []

    def __enter__(self) -> None:
        self.tokens.append(MODE.set(replace(MODE.get(), **self.changes)))

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        MODE.reset(self.tokens.pop())


def no_grad() -> ModeBlock:
    """Inside this block ops record no history: every result is a leaf."""
    return ModeBlock(grad_enabled=False)


def enable_grad() -> ModeBlock:
    """Inside this block ops record history again, even within no_grad()."""
    return ModeBlock(grad_enabled=True)


def detect_anomaly() -> ModeBlock:
    """Inside this block, the first op whose forward value or backward term is NaN while its
    own inputs (and upstream gradient) are not raises FloatingPointError naming the op, its
    inputs and the file:line that made the node. Costs nothing outside the block."""
    return ModeBlock(anomaly=Anomaly())


_AUTOGRAD = str(Path(__file__).parent) + os.sep
_NN = str(Path(__file__).parent.parent / "nn") + os.sep


def user_site() -> str:
    """file:line of the innermost caller outside autograd; where that is in nn, followed by
    the line outside both that called it: `.../nn/losses.py:80 (called from train.py:12)`."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_AUTOGRAD):
        frame = frame.f_back
    site = f"{frame.f_code.co_filename}:{frame.f_lineno}"
    if not frame.f_code.co_filename.startswith(_NN):
        return site
    while frame.f_back is not None and frame.f_code.co_filename.startswith((_AUTOGRAD, _NN)):
        frame = frame.f_back
    return f"{site} (called from {frame.f_code.co_filename}:{frame.f_lineno})"


def _isnan(x: Any) -> bool:
    """x is nan: a float, or a Value's data (create_graph's terms are Values)."""
    x = getattr(x, "_data", x)
    return bool(x != x)


@dataclass
class Anomaly:
    """detect_anomaly()'s record: where each node made inside the block was created."""

    sites: dict[Value, str] = field(default_factory=dict)

    def check_forward(self, out: Value, op: Primitive, parents: tuple[Value, ...]) -> None:
        self.sites[out] = site = user_site()
        if _isnan(out._data) and not any(_isnan(p._data) for p in parents):
            inputs = ", ".join(repr(p._data) for p in parents)
            raise FloatingPointError(f"{op.name} of ({inputs}) is nan, at {site}")

    def check_backward(self, grads: dict[Value, Any], node: Value, terms: tuple[Any, ...]) -> None:
        """Raise at the first term of a backward pass that is a new NaN (`grads`: the pass's)."""
        inputs = [node._data, grads[node], *[p._data for p in node._parents]]
        if any(_isnan(t) for t in terms) and not any(_isnan(x) for x in inputs):
            site = self.sites.get(node, "a line outside detect_anomaly()")
            values = ", ".join(repr(p._data) for p in node._parents)
            upstream = getattr(grads[node], "_data", grads[node])
            raise FloatingPointError(
                f"the backward of {node._op} sent nan from inputs ({values}) and upstream "
                f"gradient {upstream!r}; the node was made at {site}"
            )
