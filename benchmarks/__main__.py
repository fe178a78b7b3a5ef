"""`python -m benchmarks [--quick]`: run every workload, print the table, write RESULTS.md."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

# NOTE: one BLAS thread, set before numpy is first imported. A multi-threaded BLAS spins its
# threads while they wait, and on a shared 2-core machine that CPU time made hand-written numpy
# look 2.5x slower than it is (10,000 points: 25 ms against 10 ms), flattering our ratio.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from benchmarks import (
    attributes,
    c_anchor,
    compiled_step,
    demo_step,
    drawing,
    graphs,
    microgpt,
    modes,
    numpy_step,
    peers,
)
from benchmarks.harness import table

RESULTS = Path(__file__).with_name("RESULTS.md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    args = parser.parse_args()
    if args.quick:
        rows = [demo_step.run(blocks=2, steps_per_block=2)]
        rows += [microgpt.run(blocks=2, steps_per_block=2)]
        rows += peers.run(repeats=3, scale=0.1)
        rows += graphs.run_chain([1_000, 10_000], repeats=3)
        rows += graphs.run_sum([10_000], repeats=3)
        rows += graphs.run_memory(100_000)
        rows += attributes.run(100_000, repeats=3)
        rows += drawing.run(repeats=3)
        rows += modes.run(repeats=3)
        rows += compiled_step.run(blocks=2, steps_per_block=2)
        rows += compiled_step.run_scaling([10, 1_000], repeats=2)
        rows += numpy_step.run(repeats=2, cases=numpy_step.CASES[:1])
        rows += c_anchor.run(repeats=2, points=[100], whole_up_to=0)
    else:
        rows = [demo_step.run(blocks=7, steps_per_block=3)]
        # A real program beside the demo: a small transformer on Values, against the minimal
        # slotted engine it is usually written with.
        rows += [microgpt.run(blocks=7, steps_per_block=5)]
        rows += peers.run(repeats=7)
        # The same step without the cyclic GC: what the GC costs each implementation.
        rows += [demo_step.run(blocks=5, steps_per_block=3, gc_enabled=False)]
        # The same step with chainrule inside detect_anomaly(): what watching for NaN costs.
        rows += [demo_step.run(blocks=5, steps_per_block=3, anomaly=True)]
        # A million-op graph costs micrograd about a minute and gigabytes: fewer repetitions.
        rows += graphs.run_chain([1_000, 10_000, 100_000], repeats=5)
        rows += graphs.run_chain([1_000_000], repeats=3)
        rows += graphs.run_sum([10_000, 100_000], repeats=5)
        rows += graphs.run_sum([1_000_000], repeats=3)
        rows += graphs.run_memory(1_000_000)
        rows += attributes.run(1_000_000, repeats=5)
        rows += drawing.run(repeats=21)
        rows += modes.run(repeats=7)
        # compile_grad: the demo step compiled four ways, then the batched steps' scaling.
        rows += compiled_step.run(blocks=7, steps_per_block=3)
        rows += compiled_step.run_scaling([10, 100, 1_000], repeats=5, note=False)
        rows += compiled_step.run_scaling([10_000], repeats=3)
        rows += numpy_step.run(repeats=5)
        # The anchor: the demo step's graph compiled to C, beside the batched numpy step.
        rows += c_anchor.run(repeats=5)
    notes = [f"- {row.workload}: {row.note}" for row in rows if row.note]
    header = (
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}. Medians (min–max) of CPU time over "
        f"interleaved repetitions in one process, cyclic GC at its default."
    )
    text = "\n".join([header, "", table(rows), "", *notes]) + "\n"
    print(text)
    if not args.quick:
        RESULTS.write_text(text)
        print(f"written to {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
