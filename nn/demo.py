"""The demo: train a small MLP on two moons, then write its pictures.

    make demo        # or: python -m nn.demo, or the console command chainrule-demo

It trains MLP(2, [16, 16, 1]) on 100 seeded two-moons points with Adam and binary
cross-entropy, showing a progress bar, prints the final loss and accuracy, and writes into out/:

    decision_boundary.png   the points over the regions the network gives each class
    neuron_graph.svg        the computation graph of one hidden unit on one point, with grads
    backward_stepper.html   the same graph's forward and backward pass, one step at a time

Also here, for the demo and notebook 03: scores() and accuracy(), which run a trained network on
plain floats read from each parameter's .data (no graph, so a 100 x 100 grid takes a fraction of
a second), and plot_decision_boundary(). Imports autograd, nn, tqdm and matplotlib (the `demo`
extra). matplotlib is used through Figure objects only: nothing here picks a backend.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autograd import Value, draw_dot, draw_steps, no_grad
from nn.data import make_moons
from nn.delta_rule import forward
from nn.layers import MLP, Neuron
from nn.losses import binary_cross_entropy
from nn.optim import SGD, Adam

try:
    from matplotlib.figure import Figure
    from tqdm.auto import tqdm
except ImportError as error:  # pragma: no cover - the demo extra is missing
    raise ImportError(
        f"nn.demo needs matplotlib and tqdm ({error}); install them with: "
        f"pip install 'chainrule[demo]'"
    ) from error


def scores(model: MLP, points: Sequence[Sequence[float]]) -> list[float]:
    """The output of a one-output MLP for each point, computed on plain floats.

    The same numbers as model(point).data, by nn.delta_rule's float forward pass, without
    recording a graph: for evaluating many points (a plotting grid) after training.
    """
    if model.nouts[-1] != 1:
        raise ValueError(f"scores: the MLP must have one output, it has {model.nouts[-1]}")
    return [forward(model, point)[1][-1][0] for point in points]


def logits(model: MLP, points: Sequence[Sequence[float]]) -> list[Value]:
    """model(point) for each point, as Values with their graph: what a loss is computed from."""
    out = []
    for point in points:
        y = model(point)
        assert isinstance(y, Value), "a one-output MLP returns one Value"
        out.append(y)
    return out


def accuracy(model: MLP, points: Sequence[Sequence[float]], labels: Sequence[int]) -> float:
    """The fraction of points whose class (1 where the score is > 0, else 0) equals the label."""
    hits = [(s > 0) == (t == 1) for s, t in zip(scores(model, points), labels)]
    return sum(hits) / len(hits)


def plot_decision_boundary(
    ax: Any,
    model: MLP,
    points: Sequence[Sequence[float]],
    labels: Sequence[int],
    resolution: int = 100,
) -> None:
    """Draw on the matplotlib Axes `ax` the points, coloured by label, over the two regions
    the model assigns to class 0 (score < 0) and class 1, with the boundary score = 0."""
    x1s = [p[0] for p in points]
    x2s = [p[1] for p in points]
    grid1 = _linspace(min(x1s) - 0.5, max(x1s) + 0.5, resolution)
    grid2 = _linspace(min(x2s) - 0.5, max(x2s) + 0.5, resolution)
    flat = scores(model, [[a, b] for b in grid2 for a in grid1])
    rows = [flat[i * resolution : (i + 1) * resolution] for i in range(resolution)]
    ax.contourf(
        grid1, grid2, rows, levels=[-math.inf, 0.0, math.inf], colors=["#f4c7a1", "#a9c8e8"]
    )
    ax.contour(grid1, grid2, rows, levels=[0.0], colors="black", linewidths=1.0)
    for cls, colour in ((0, "#d95f02"), (1, "#1f5fa8")):
        xs = [p for p, t in zip(points, labels) if t == cls]
        ax.scatter(
            [p[0] for p in xs],
            [p[1] for p in xs],
            color=colour,
            s=18,
            edgecolors="white",
            linewidths=0.5,
            label=f"class {cls}",
        )
    ax.legend(loc="lower left", fontsize="small")
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")


def _linspace(start: float, stop: float, n: int) -> list[float]:
    return [start + (stop - start) * i / (n - 1) for i in range(n)]


def train(
    model: MLP,
    points: Sequence[Sequence[float]],
    labels: Sequence[int],
    steps: int,
    optimizer: Adam | SGD,
) -> list[float]:
    """Full-batch training on binary cross-entropy from logits, with a progress bar.

    Returns the loss at every step (before that step's update). The bar shows in a terminal and
    in a notebook, and stays quiet when output goes to a pipe or a CI log (disable=None).
    """
    losses = []
    with tqdm(range(steps), desc="training", unit="step", disable=None) as bar:
        for _ in bar:
            loss = binary_cross_entropy(logits(model, points), labels, from_logits=True)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.data)
            bar.set_postfix(loss=f"{loss.data:.4f}")
    return losses


def neuron_graph(model: MLP, points: Sequence[Sequence[float]]) -> Value:
    """A copy of the first hidden unit of `model`, labelled, on the first point that it fires
    for (relu > 0, so the gradients are not all zero), backpropagated: small enough to draw."""
    trained = model.layers[0].neurons[0]
    neuron = Neuron(trained.nin, trained.activation)
    neuron.load_state_dict(trained.state_dict())
    for i, w in enumerate(neuron.w):
        w.label = f"w{i + 1}"
    neuron.b.label = "b"
    point = next((p for p in points if neuron(p).data > 0), points[0])
    out = neuron([Value(x, label=f"x{i + 1}") for i, x in enumerate(point)])
    out.label = "unit"
    out.backward()
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="chainrule-demo",
        description="Train a small MLP on two moons and write its pictures.",
    )
    parser.add_argument("--steps", type=int, default=40, help="training steps (default 40)")
    parser.add_argument("--samples", type=int, default=100, help="data points (default 100)")
    parser.add_argument("--hidden", type=int, default=16, help="units per hidden layer (16)")
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    parser.add_argument("--lr", type=float, default=None, help="default: adam 0.05, sgd 0.1")
    parser.add_argument("--seed", type=int, default=0, help="data and weights (default 0)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (out)")
    args = parser.parse_args(argv)
    # Refused here, with the usage line, rather than as a traceback from deep inside nn.
    if args.steps < 0:
        parser.error(f"--steps must be 0 or more, got {args.steps}")
    if args.samples < 1 or args.hidden < 1:
        parser.error(f"--samples and --hidden must be 1 or more, got {args.samples}, {args.hidden}")
    if args.lr is not None and not args.lr > 0:
        parser.error(f"--lr must be a positive number, got {args.lr}")
    return args


def run(args: argparse.Namespace) -> None:
    start = time.perf_counter()
    points, labels = make_moons(args.samples, noise=0.1, seed=args.seed)
    model = MLP(2, [args.hidden, args.hidden, 1], activation="relu", seed=args.seed)
    if args.optimizer == "adam":
        lr = 0.05 if args.lr is None else args.lr
        optimizer: Adam | SGD = Adam(model.parameters(), lr=lr)
    else:
        lr = 0.1 if args.lr is None else args.lr
        optimizer = SGD(model.parameters(), lr=lr, momentum=0.9)
    print(f"{model}, {args.samples} two-moons points, {args.optimizer}, {args.steps} steps")

    train(model, points, labels, args.steps, optimizer)
    with no_grad():
        final_loss = binary_cross_entropy(logits(model, points), labels, from_logits=True).data
    acc = accuracy(model, points, labels)
    print(f"final loss {final_loss:.4f}, accuracy {acc:.1%}")

    args.out.mkdir(parents=True, exist_ok=True)
    figure = Figure(figsize=(5, 4), layout="constrained")
    plot_decision_boundary(figure.subplots(), model, points, labels)
    figure.suptitle(
        f"Two moons after {args.steps} {args.optimizer} steps: accuracy {acc:.0%}", fontsize=11
    )
    png = args.out / "decision_boundary.png"
    figure.savefig(png, dpi=100)

    root = neuron_graph(model, points)
    svg = args.out / "neuron_graph.svg"
    svg.write_bytes(draw_dot(root).pipe(format="svg"))
    html = draw_steps(root).save(args.out / "backward_stepper.html")

    for path in (png, svg, html):
        print(f"wrote {path}")
    print(f"done in {time.perf_counter() - start:.1f} s")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; 0 on success, 130 when interrupted with Ctrl-C."""
    args = parse_args(argv)
    try:
        run(args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
