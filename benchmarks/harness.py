"""Timing in one process: interleaved repetitions, medians, ranges, ratios, a markdown table.

Our machines are noisy (2 cores shared with other work), so implementations take turns within
every repetition, in a rotating order, and we compare medians from the same process. The clock
is the process's CPU time, which does not count the time other processes hold the core.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# A case runs once and returns the seconds it measured itself, so that setup and teardown
# (building inputs, freeing the graph) stay outside the timed region.
Case = Callable[[], float]


@dataclass
class Row:
    """One line of the table: a workload at one size, seconds (or bytes) per implementation."""

    workload: str
    size: str
    samples: dict[str, list[float]] = field(default_factory=dict)
    unit: str = "s"
    per: int = 0  # work units per sample (nodes, steps), for a cost-per-unit column
    note: str = ""


# CPU seconds of this process (all threads); perf_counter would also count other processes.
clock = time.process_time


def interleave(
    cases: dict[str, Case], repeats: int, gc_enabled: bool = True
) -> dict[str, list[float]]:
    """Run every case `repeats` times, taking turns in a rotating order.

    A full gc.collect() runs before each case, outside the timed region, so no implementation
    pays for garbage another one left behind. The cyclic GC stays enabled (its default), so
    each implementation pays for the collections its own allocations trigger; gc_enabled=False
    switches it off during each case instead, to show what the GC costs.
    """
    names = list(cases)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(repeats):
        turn = names[rep % len(names) :] + names[: rep % len(names)]
        for name in turn:
            gc.collect()
            if not gc_enabled:
                gc.disable()
            try:
                samples[name].append(cases[name]())
            finally:
                gc.enable()
    gc.collect()
    return samples


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def _seconds(s: float) -> str:
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.0f} µs"


def _cell(xs: list[float] | None, unit: str) -> str:
    if not xs:
        return "—"
    if unit == "B":
        return f"{median(xs):.0f} B"
    if len(xs) == 1:
        return _seconds(xs[0])
    return f"{_seconds(median(xs))} ({_seconds(min(xs))}–{_seconds(max(xs))})"


def _ratio(a: list[float] | None, b: list[float] | None) -> str:
    if not a or not b:
        return "—"
    return f"{median(a) / median(b):.2f}×"


def table(rows: list[Row]) -> str:
    """A markdown table: medians with (min–max) ranges, and the ratios that matter. A ratio
    above 1.0× against a peer means chainrule is that many times faster."""
    lines = [
        "| workload | size | chainrule | micrograd 0.1.0 | minimal Value | float floor "
        "| micrograd / chainrule | minimal / chainrule | chainrule / floor "
        "| chainrule per op (or sample) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ours = row.samples.get("chainrule")
        theirs = row.samples.get("micrograd")
        small = row.samples.get("minimal")
        floor = row.samples.get("floor")
        per_unit = "—"
        if ours and row.per and row.unit == "s":
            per_unit = f"{median(ours) / row.per * 1e9:.0f} ns"
        lines.append(
            f"| {row.workload} | {row.size} | {_cell(ours, row.unit)} | {_cell(theirs, row.unit)} "
            f"| {_cell(small, row.unit)} | {_cell(floor, row.unit)} | {_ratio(theirs, ours)} "
            f"| {_ratio(small, ours)} | {_ratio(ours, floor)} | {per_unit} |"
        )
    return "\n".join(lines)
