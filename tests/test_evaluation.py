"""nn/evaluation.py: the float forward pass equals the Values', and the checks on bad input."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autograd import Value
from nn import MLP, make_moons
from nn.evaluation import accuracy, forward, logits, scores

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_scores_on_floats_equal_the_values_forward_pass(activation: str) -> None:
    points, _ = make_moons(15, noise=0.2, seed=1)
    model = MLP(2, [5, 3, 1], activation=activation, seed=2)
    # Nonzero biases: a fresh model's are all 0, which would hide where the bias is added.
    rng = random.Random(3)
    for layer in model.layers:
        for neuron in layer.neurons:
            neuron.b.data = rng.uniform(-1.0, 1.0)
    expected = [v.data for v in logits(model, points)]
    assert scores(model, points) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert scores(model, points) == expected  # the same floats: the bias first, as dot adds it


def test_forward_gives_every_layer_s_inputs_and_activations() -> None:
    model = MLP(2, [3, 2], activation="tanh", seed=0)
    in_layers, a_layers = forward(model, [0.5, -1.0])
    assert [len(layer) for layer in in_layers] == [3, 2]
    assert [len(layer) for layer in a_layers] == [2, 3, 2]
    out = model([0.5, -1.0])
    assert isinstance(out, list)
    assert a_layers[-1] == pytest.approx([v.data for v in out], rel=1e-12)


def test_scores_and_logits_refuse_a_network_with_several_outputs() -> None:
    model = MLP(2, [3, 2], seed=0)
    with pytest.raises(ValueError, match="scores: the MLP must have one output, it has 2"):
        scores(model, [[0.0, 0.0]])
    with pytest.raises(ValueError, match="logits: the MLP must have one output, it has 2"):
        logits(model, [[0.0, 0.0]])


def linear_model() -> MLP:
    model = MLP(2, [1], activation="linear", seed=0)
    w1, w2, b = model.parameters()
    w1.data, w2.data, b.data = 1.0, 0.0, 0.0  # score = x1
    return model


POINTS = [[1.0, 0.0], [-1.0, 0.0], [2.0, 5.0], [-3.0, 1.0]]


def test_accuracy_counts_positive_scores_as_class_1() -> None:
    model = linear_model()
    assert accuracy(model, POINTS, [1, 0, 1, 0]) == 1.0
    assert accuracy(model, POINTS, [1, 1, 0, 0]) == 0.5
    assert accuracy(model, POINTS, [1, -1, -1, -1]) == 0.75  # hinge_loss's labels
    assert isinstance(logits(model, POINTS)[0], Value)


@pytest.mark.parametrize(
    ("points", "labels", "message"),
    [
        (POINTS, [1, 0, 1], "4 points but 3 labels"),
        ([], [], "no points"),
        (POINTS, [1, 0, 2, 0], "labels must be 0 or 1"),
    ],
)
def test_accuracy_refuses_bad_labels(
    points: list[list[float]], labels: list[int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        accuracy(linear_model(), points, labels)


def test_evaluation_needs_neither_matplotlib_nor_tqdm(fresh_python: Callable[..., Any]) -> None:
    code = (
        "import sys; import nn.evaluation; "
        "print(sorted(m for m in ('matplotlib', 'tqdm') if m in sys.modules))"
    )
    result = fresh_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
