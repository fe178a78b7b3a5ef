"""End to end: micrograd's two-moons demo recipe trains to >= 97% accuracy, plus quick smoke
runs of the other losses and optimizers."""

from __future__ import annotations

import time

import pytest

from autograd import Value, no_grad
from nn import (
    MLP,
    SGD,
    Adam,
    binary_cross_entropy,
    cross_entropy,
    hinge_loss,
    make_moons,
    make_spiral,
    signed_labels,
)


def demo_loss(model: MLP, points: list[list[float]], labels: list[int]) -> tuple[Value, float]:
    """micrograd's demo loss: mean hinge loss plus 1e-4 * sum of squared parameters."""
    scores = [model(p) for p in points]
    data_loss = hinge_loss(scores, labels)
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    accuracy = sum((s.data > 0) == (y > 0) for s, y in zip(scores, labels)) / len(labels)
    return data_loss + reg_loss, accuracy


@pytest.mark.slow
def test_two_moons_demo_recipe_reaches_97_percent() -> None:
    points, y = make_moons(100, noise=0.1, seed=1)
    labels = signed_labels(y)
    model = MLP(2, [16, 16, 1], seed=1)
    opt = SGD(model.parameters(), lr=1.0)
    start = time.perf_counter()
    losses = []
    for k in range(100):
        loss, _ = demo_loss(model, points, labels)
        opt.zero_grad()
        loss.backward()
        opt.lr = 1.0 - 0.9 * k / 100  # micrograd's decay, from 1.0 towards 0.1
        opt.step()
        losses.append(loss.data)
    seconds = time.perf_counter() - start
    with no_grad():
        final_loss, accuracy = demo_loss(model, points, labels)
    print(f"\ntwo moons: accuracy {accuracy:.0%}, {seconds / 100:.3f} s per step")
    assert accuracy >= 0.97
    assert final_loss.data < 0.1 < losses[0]


def test_a_few_adam_steps_on_moons_with_bce_from_logits_lower_the_loss() -> None:
    points, y = make_moons(30, noise=0.1, seed=0)
    model = MLP(2, [8, 1], activation="tanh", seed=0)
    opt = Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(15):
        loss = binary_cross_entropy([model(p) for p in points], y, from_logits=True)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.data)
    assert losses[-1] < 0.8 * losses[0]


def test_a_few_sgd_steps_on_a_spiral_with_cross_entropy_lower_the_loss() -> None:
    points, y = make_spiral(30, n_classes=3, seed=0)
    model = MLP(2, [8, 3], activation="tanh", seed=0)
    opt = SGD(model.parameters(), lr=0.2, momentum=0.9)
    losses = []
    for _ in range(15):
        loss = cross_entropy([model(p) for p in points], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.data)
    assert losses[-1] < 0.85 * losses[0]
