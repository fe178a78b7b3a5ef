"""The demo: train a small MLP on two moons, then write its pictures.

    make demo        # or: python -m nn.demo, or the console command chainrule-demo

It trains MLP(2, [16, 16, 1]) on 100 seeded two-moons points with Adam and binary
cross-entropy, showing a progress bar, prints the final loss and accuracy, and writes into out/:

    decision_boundary.png   the points over the regions the network gives each class
    neuron_graph.svg        the computation graph of one hidden unit on one point, with grads
    backward_stepper.html   the same graph's forward and backward pass, one step at a time

The command line only: evaluating the network is nn.evaluation's job, drawing its decision
boundary nn.plotting's. Imports autograd, nn, and tqdm and matplotlib (the `demo` extra). When
they are missing, --help still works and the demo says what to install, without a traceback.
matplotlib is used through Figure objects only: nothing here picks a backend.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from autograd import Value, draw_steps, save_svg
from nn.data import make_moons
from nn.evaluation import accuracy, logits
from nn.layers import MLP, Neuron
from nn.losses import binary_cross_entropy
from nn.optim import SGD, Adam

# The `demo` extra. Without it the module still imports, so that --help works and main() can
# say what to install instead of ending in a traceback.
MISSING_EXTRA: ImportError | None
try:
    from matplotlib.figure import Figure
    from tqdm.auto import tqdm

    from nn.plotting import plot_decision_boundary
except ImportError as error:
    MISSING_EXTRA = error
else:
    MISSING_EXTRA = None

# chainrule comes from a clone or a wheel, not an index, so `pip install 'chainrule[demo]'` finds
# nothing: name the extra's packages, and the clone's command.
# Pixels per inch of decision_boundary.png.
PNG_DPI = 192
INSTALL_HELP = "pip install matplotlib tqdm (in a clone: pip install -e '.[demo]')"


def train(
    model: MLP,
    points: Sequence[Sequence[float]],
    labels: Sequence[int],
    steps: int,
    optimizer: Adam | SGD,
) -> list[float]:
    """Full-batch training on binary cross-entropy from logits, with a progress bar.

    Returns steps + 1 losses: before training, then after each step, so losses[-1] is the loss
    of the trained model, the one the bar shows last. The bar shows in a terminal, and stays
    quiet when output goes to a pipe or a CI log (disable=None).
    """
    loss = binary_cross_entropy(logits(model, points), labels, from_logits=True)
    losses = [loss.data]
    with tqdm(range(steps), desc="training", unit="step", disable=None) as bar:
        for _ in bar:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            # The loss after this step, and the graph the next step differentiates.
            loss = binary_cross_entropy(logits(model, points), labels, from_logits=True)
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
        epilog=f"Needs matplotlib and tqdm, the demo extra: {INSTALL_HELP}",
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

    final_loss = train(model, points, labels, args.steps, optimizer)[-1]
    acc = accuracy(model, points, labels)
    print(f"final loss {final_loss:.4f}, accuracy {acc:.1%}")

    args.out.mkdir(parents=True, exist_ok=True)
    figure = Figure(figsize=(5.6, 3.6), layout="constrained")
    plot_decision_boundary(figure.subplots(), model, points, labels)
    figure.suptitle(
        f"Two moons after {args.steps} {args.optimizer} steps: accuracy {acc:.0%}", fontsize=11
    )
    png = args.out / "decision_boundary.png"
    # Twice a screen's 96 dpi, so that it is sharp on a HiDPI screen; the README shows it at
    # half its pixel width.
    figure.savefig(png, dpi=PNG_DPI)

    root = neuron_graph(model, points)
    svg = save_svg(root, args.out / "neuron_graph.svg")
    html = draw_steps(root).save(args.out / "backward_stepper.html")

    for path in (png, svg, html):
        print(f"wrote {path}")
    print(f"done in {time.perf_counter() - start:.1f} s")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; 0 on success, 1 without the demo extra, 130 when interrupted (Ctrl-C)."""
    args = parse_args(argv)
    if MISSING_EXTRA is not None:
        print(
            f"chainrule-demo needs matplotlib and tqdm, which the demo extra brings: "
            f"{INSTALL_HELP} (missing: {MISSING_EXTRA.name or MISSING_EXTRA})",
            file=sys.stderr,
        )
        return 1
    try:
        run(args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
