"""Where the edge sweep differs from PyTorch float64, counted by class: docs/edges.md lists them.

The sweep of tests/test_primitives.py (every op over NaN, ±inf, ±0, ±1e308, ±5e-324, 1, -2, and
every pair for the binary ops) asserts that values and gradients agree, with a zero of either
sign counting as equal. This counts what it lets through: each value, `.grad` after
backward(), result of grad() and second derivative whose sign of zero differs, or which is nan
on one side only, or a different number. `python -m tests.edge_sweep` prints the classes;
tests/test_primitives.py asserts them, so a new difference fails until docs/edges.md has it.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from typing import Any

from autograd import Value, grad
from tests.test_primitives import CASES, REFUSED, call


def kind(ours: float, theirs: float) -> str | None:
    """How two numbers differ: "sign of zero", "nan" (on one side), "number", or None."""
    if math.isnan(ours) or math.isnan(theirs):
        return None if math.isnan(ours) and math.isnan(theirs) else "nan"
    if ours == theirs:
        if ours == 0 and math.copysign(1, ours) != math.copysign(1, theirs):
            return "sign of zero"
        return None
    close = math.isfinite(theirs) and abs(ours - theirs) <= 1e-12 * abs(theirs)
    return None if close else "number"


def differences(torch: Any) -> tuple[Counter[tuple[str, str, str]], Counter[str]]:
    """(what, op, kind) -> how many results of the sweep differ so; and how many were compared
    of each: "value", "first derivative", "second derivative"."""
    found: Counter[tuple[str, str, str]] = Counter()
    compared: Counter[str] = Counter()

    def note(what: str, name: str, ours: float, theirs: float) -> None:
        compared[what] += 1
        k = kind(ours, theirs)
        if k is not None:
            found[(what, name, k)] += 1

    for name, xs in CASES:
        vs = [Value(x) for x in xs]
        try:
            out = call(name, vs)
        except REFUSED:
            continue
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        t_out = call(name, ts)
        note("value", name, out.data, t_out.item())
        t_firsts = torch.autograd.grad(t_out, ts, create_graph=True, allow_unused=True)
        firsts = grad(out, vs, create_graph=True)
        out.backward()
        for v, first, t_first in zip(vs, firsts, t_firsts):
            theirs = 0.0 if t_first is None else t_first.item()
            note("first derivative", name, first.data, theirs)
            if kind(first.data, theirs) is None and kind(v.grad, theirs) is not None:
                found[(".grad after backward()", name, str(kind(v.grad, theirs)))] += 1
            if t_first is None or not t_first.requires_grad:
                t_seconds: Any = [None] * len(ts)
            else:
                t_seconds = torch.autograd.grad(t_first, ts, allow_unused=True, retain_graph=True)
            for second, t_second in zip(grad(first, vs), t_seconds):
                theirs2 = 0.0 if t_second is None else t_second.item()
                note("second derivative", name, second.data, theirs2)
    return found, compared


def main() -> None:
    import torch

    found, compared = differences(torch)
    print(f"compared: {dict(compared)}")
    for (what, name, k), n in sorted(found.items()):
        print(f"{n:4d}  {what}, {name}: {k}")
    print(f"{sum(found.values()):4d}  in all")


if __name__ == "__main__":
    sys.exit(main())
