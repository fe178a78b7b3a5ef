"""Grad mode and anomaly mode: what ops do in this thread. Standard library only.

The engine's only global state is one record, `MODE`, read once per op: whether to record
history (`no_grad()` turns it off, `enable_grad()` back on) and whether to watch for NaN
(`detect_anomaly()`). It is a ContextVar, so it is per thread (and per asyncio task): one thread
inside `no_grad()` changes nothing that another thread records. Each block restores the mode
it found when it ends, also through an exception, so blocks nest.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograd.engine import Value
    from autograd.primitives import Primitive


@dataclass(frozen=True)
class Mode:
    """What ops do in this thread: record history or not, watch for NaN or not."""

    grad_enabled: bool = True
    anomaly: Anomaly | None = None


# The usual mode, which the engine checks first, by identity: record history, watch for nothing.
RECORDING = Mode()
MODE: ContextVar[Mode] = ContextVar("chainrule_mode", default=RECORDING)


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


_OUR_FOLDERS = tuple(str(Path(__file__).parent.parent / pkg) + os.sep for pkg in ("autograd", "nn"))


def user_site() -> str:
    """file:line of the innermost caller outside chainrule's own packages."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_OUR_FOLDERS):
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _isnan(x: Any) -> bool:
    return float(x) != float(x)


@dataclass
class Anomaly:
    """detect_anomaly()'s record: where each node made inside the block was created."""

    sites: dict[Value, str] = field(default_factory=dict)

    def check_forward(self, out: Value, op: Primitive, parents: tuple[Value, ...]) -> None:
        self.sites[out] = site = user_site()
        if _isnan(out.data) and not any(_isnan(p.data) for p in parents):
            inputs = ", ".join(repr(p.data) for p in parents)
            raise FloatingPointError(f"{op.name} of ({inputs}) is nan, at {site}")

    def watch(
        self, steps: Iterator[tuple[Value, tuple[Any, ...]]], grads: dict[Value, Any]
    ) -> Iterator[tuple[Value, tuple[Any, ...]]]:
        """The steps of a backward pass, raising at the first term that is a new NaN."""
        for node, terms in steps:
            inputs = [node.data, grads[node], *[p.data for p in node._parents]]
            if any(_isnan(t) for t in terms) and not any(_isnan(x) for x in inputs):
                site = self.sites.get(node, "a line outside detect_anomaly()")
                values = ", ".join(repr(p.data) for p in node._parents)
                raise FloatingPointError(
                    f"the backward of {node._op} sent nan from inputs ({values}) and upstream "
                    f"gradient {float(grads[node])!r}; the node was made at {site}"
                )
            yield node, terms
