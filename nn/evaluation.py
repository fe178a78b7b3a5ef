"""Running a trained network: its forward pass on plain floats, its scores, its accuracy.

Imports nn.layers, nn.activations (each unit's g) and autograd's public API only: no plotting,
no progress bar, so evaluating a model needs nothing beyond chainrule itself.

Training needs the graph (a Value per operation, for backward()). Evaluating a trained network
does not: forward() reads each parameter's .data and computes the same numbers on plain floats,
so scoring a 100 x 100 plotting grid takes a fraction of a second instead of many seconds. The
textbook delta rules (nn.delta_rule) start from this same forward pass.
"""

from __future__ import annotations

from collections.abc import Sequence

from autograd import Value
from nn.activations import get_activation
from nn.layers import MLP

__all__ = ["accuracy", "forward", "logits", "scores"]


def forward(
    mlp: MLP, x: Sequence[float], output_activation: str = "linear"
) -> tuple[list[list[float]], list[list[float]]]:
    """The forward pass on plain floats, read from each parameter's .data: no graph recorded.

    Returns (in_layers, a_layers): in_layers[l] holds in_j = b_j + sum_i w_ij a_i of the units
    of layer l, and a_layers[l] the activations that feed layer l (a_layers[0] is x, a_layers[-1]
    the output). The last, linear layer's units apply `output_activation`.
    """
    acts = [layer.activation for layer in mlp.layers[:-1]] + [output_activation]
    a_layers = [[float(xi) for xi in x]]
    in_layers = []
    for layer, act in zip(mlp.layers, acts):
        a_prev = a_layers[-1]
        # From the bias, adding the products in order: the floats of autograd's dot.
        ins = [sum((w.data * a for w, a in zip(n.w, a_prev)), n.b.data) for n in layer.neurons]
        in_layers.append(ins)
        a_layers.append([get_activation(act).on_float(v) for v in ins])
    return in_layers, a_layers


def _check_one_output(model: MLP, caller: str) -> None:
    if model.nouts[-1] != 1:
        raise ValueError(f"{caller}: the MLP must have one output, it has {model.nouts[-1]}")


def scores(model: MLP, points: Sequence[Sequence[float]]) -> list[float]:
    """The output s of a one-output MLP for each point, on plain floats: model(point).data
    without the graph. s > 0 means class 1, s < 0 class 0."""
    _check_one_output(model, "scores")
    return [forward(model, point)[1][-1][0] for point in points]


def logits(model: MLP, points: Sequence[Sequence[float]]) -> list[Value]:
    """model(point) for each point of a one-output MLP, as Values with their graph: what a loss
    is computed from, e.g. binary_cross_entropy(logits(model, points), labels, from_logits=True).
    """
    _check_one_output(model, "logits")
    out = []
    for point in points:
        y = model(point)
        # A one-output MLP returns a Value; the check above makes a list impossible here.
        assert isinstance(y, Value)
        out.append(y)
    return out


def accuracy(model: MLP, points: Sequence[Sequence[float]], labels: Sequence[int]) -> float:
    """The fraction of points whose predicted class (positive where the score is > 0) equals
    the label: labels 0 and 1, as make_moons gives them, or -1 and +1, as hinge_loss takes."""
    if len(points) != len(labels):
        raise ValueError(f"accuracy: {len(points)} points but {len(labels)} labels")
    if not points:
        raise ValueError("accuracy of no points: give at least one point and its label")
    bad = [t for t in labels if t not in (-1, 0, 1)]
    if bad:
        raise ValueError(f"accuracy: labels must be 0 or 1 (or -1 and +1), got {bad[0]!r}")
    hits = [(s > 0) == (t == 1) for s, t in zip(scores(model, points), labels)]
    return sum(hits) / len(hits)
