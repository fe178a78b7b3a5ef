"""What the per-thread grad mode costs an op: one op's forward, and the mode read inside it.

The mode is a ContextVar (autograd.modes.MODE) read once per op. detect_anomaly()'s cost is a
demo-step row of its own (benchmarks.demo_step.run(anomaly=True)).
"""

from __future__ import annotations

from autograd import Value
from autograd.modes import MODE
from benchmarks.harness import Row, clock, interleave

OPS = 100_000


def _ops() -> float:
    x, y = Value(1.5), Value(0.5)
    start = clock()
    for _ in range(OPS):
        x * y
    return clock() - start


def _mode_reads() -> float:
    get = MODE.get
    start = clock()
    for _ in range(OPS):
        get()
    return clock() - start


def _empty_loop() -> float:
    start = clock()
    for _ in range(OPS):
        pass
    return clock() - start


def run(repeats: int) -> list[Row]:
    """Two rows: x * y per op, and one grad-mode read per op, each less the bare loop."""
    samples = interleave({"op": _ops, "read": _mode_reads, "loop": _empty_loop}, repeats)
    loop = sorted(samples["loop"])[len(samples["loop"]) // 2]
    rows = []
    for name, workload in (("op", "x * y, forward only"), ("read", "grad-mode read in an op")):
        seconds = [max(s - loop, 0.0) for s in samples[name]]
        rows.append(Row(workload, f"{OPS:,} ops", {"chainrule": seconds}, per=OPS))
    rows[1].note = (
        "the per-thread grad mode is one ContextVar.get() per op, the cost in this row; "
        "the demo step makes about 7,700 ops"
    )
    return rows
