"""gradcheck's fast mode against its full check, on an MLP(4, [16, 16, 1]) loss.

`python -m benchmarks.gradcheck_modes [--repeats N]` prints one markdown table. The loss is
the mean squared error of MLP(4, [16, 16, 1]) (369 parameters, relu) on 16 seeded points;
gradcheck gets the model's own parameters and reaches them through the model. The two modes
take turns in every repetition, in one process (benchmarks.harness); CPU time, medians
(min-max), and how many times each evaluated the loss.
"""

from __future__ import annotations

import argparse
import random

from autograd import Value, gradcheck
from benchmarks.harness import Case, clock, interleave, median
from nn import MLP, mse_loss

SIZES = (4, [16, 16, 1])


def problem(seed: int = 0) -> tuple[MLP, list[list[float]], list[float]]:
    rng = random.Random(seed)
    xs = [[rng.uniform(-1.0, 1.0) for _ in range(SIZES[0])] for _ in range(16)]
    ys = [rng.uniform(-1.0, 1.0) for _ in range(16)]
    return MLP(*SIZES, seed=seed), xs, ys


def case(fast: bool, calls: list[int]) -> Case:
    model, xs, ys = problem()

    def loss(*params: Value) -> Value:
        calls[0] += 1
        return mse_loss([model(x) for x in xs], ys)

    def run() -> float:
        calls[0] = 0
        start = clock()
        assert gradcheck(loss, model.parameters(), fast=fast)
        return clock() - start

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    calls = {"fast": [0], "full": [0]}
    samples = interleave(
        {name: case(name == "fast", calls[name]) for name in calls}, repeats=args.repeats
    )
    n = len(problem()[0].parameters())
    print(f"gradcheck of an MLP{SIZES} loss on 16 points ({n} parameters), CPU time:\n")
    print("| mode | time | evaluations of the loss |")
    print("|---|---|---|")
    for name, label in (("fast", "fast=True"), ("full", "full check")):
        xs = samples[name]
        print(
            f"| {label} | {median(xs) * 1e3:.0f} ms ({min(xs) * 1e3:.0f}-{max(xs) * 1e3:.0f}) "
            f"| {calls[name][0]} |"
        )
    ratio = median(samples["full"]) / median(samples["fast"])
    print(f"\nThe full check takes {ratio:.0f} times as long as fast=True.")


if __name__ == "__main__":
    main()
