"""The textbook delta rules equal one SGD step through the engine: backprop is the chain rule.

Two copies of the same network (same seed): one is updated by delta_rule_step in plain floats,
the other by SGD(lr=alpha) on E = 0.5 * sum_k (y_k - a_k)**2 built from Values. After every
step, every weight and bias must agree to 1e-12.
"""

from __future__ import annotations

import random

import pytest

from autograd import Value
from nn import MLP, SGD, delta_rule_step

SHAPES = [(2, [3, 1]), (3, [4, 4, 2]), (2, [16, 1, 1]), (4, [5, 3, 2, 3])]
ALPHA = 0.1


def engine_step(mlp: MLP, x: list[float], y: list[float], alpha: float, output: str) -> float:
    """One SGD step on the half squared error, with gradients from loss.backward()."""
    out = mlp(x)
    outs = [out] if isinstance(out, Value) else out
    if output == "sigmoid":
        outs = [o.sigmoid() for o in outs]
    error = sum(((yk - ak) ** 2 for yk, ak in zip(y, outs)), Value(0.0)) * 0.5
    opt = SGD(mlp.parameters(), lr=alpha)
    opt.zero_grad()
    error.backward()
    opt.step()
    return error.data


def examples(nin: int, nout: int, n: int, seed: int) -> list[tuple[list[float], list[float]]]:
    rng = random.Random(seed)
    return [
        ([rng.uniform(-1, 1) for _ in range(nin)], [rng.uniform(0.1, 0.9) for _ in range(nout)])
        for _ in range(n)
    ]


@pytest.mark.parametrize(("nin", "nouts"), SHAPES, ids=str)
@pytest.mark.parametrize("output", ["linear", "sigmoid"])
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "linear", "relu"])
def test_delta_rule_equals_sgd_on_half_squared_error(
    nin: int, nouts: list[int], output: str, hidden: str
) -> None:
    by_hand = MLP(nin, nouts, activation=hidden, seed=17)
    by_engine = MLP(nin, nouts, activation=hidden, seed=17)
    for x, y in examples(nin, nouts[-1], n=6, seed=nin + len(nouts)):
        before = [p.data for p in by_hand.parameters()]
        e_hand = delta_rule_step(by_hand, x, y, alpha=ALPHA, output_activation=output)
        e_engine = engine_step(by_engine, x, y, alpha=ALPHA, output=output)
        assert e_hand == pytest.approx(e_engine, rel=1e-12, abs=1e-15)
        after = [p.data for p in by_hand.parameters()]
        assert after != before  # a real update happened
        for a, b in zip(after, (p.data for p in by_engine.parameters())):
            assert abs(a - b) <= 1e-12
    # The weights stay of order 1, so 1e-12 is a tight absolute test, not a loose relative one.
    assert max(abs(p.data) for p in by_hand.parameters()) < 10


def test_repeated_delta_rule_steps_learn_the_example() -> None:
    mlp = MLP(2, [3, 1], activation="sigmoid", seed=1)
    errors = [delta_rule_step(mlp, [0.5, -1.0], [0.8], alpha=0.5, output_activation="sigmoid")]
    for _ in range(200):
        errors.append(
            delta_rule_step(mlp, [0.5, -1.0], [0.8], alpha=0.5, output_activation="sigmoid")
        )
    assert errors[-1] < 1e-4 < errors[0]


def test_one_unit_by_hand() -> None:
    # A single sigmoid hidden unit feeding a linear output: every number written out.
    mlp = MLP(1, [1, 1], activation="sigmoid", seed=0)
    hidden, out = mlp.layers[0].neurons[0], mlp.layers[1].neurons[0]
    hidden.w[0].data, hidden.b.data, out.w[0].data, out.b.data = 0.5, 0.0, 2.0, 0.1
    # Forward: in_j = 0.5 * 2 = 1, a_j = sigmoid(1); in_k = 2 a_j + 0.1 = a_k (linear).
    a_j = 1 / (1 + 2.718281828459045**-1)
    a_k = 2 * a_j + 0.1
    delta_k = (1.0 - a_k) * 1.0  # g'(in_k) = 1 for a linear output
    delta_j = a_j * (1 - a_j) * 2.0 * delta_k  # g'(in_j) w_jk Delta_k, with the old w_jk
    delta_rule_step(mlp, [2.0], [1.0], alpha=0.1)
    assert out.w[0].data == pytest.approx(2.0 + 0.1 * a_j * delta_k, abs=1e-15)
    assert out.b.data == pytest.approx(0.1 + 0.1 * delta_k, abs=1e-15)
    assert hidden.w[0].data == pytest.approx(0.5 + 0.1 * 2.0 * delta_j, abs=1e-15)
    assert hidden.b.data == pytest.approx(0.0 + 0.1 * delta_j, abs=1e-15)


def test_bad_arguments_raise_value_error() -> None:
    mlp = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="takes 2 inputs and gives 1 outputs, got 3 inputs"):
        delta_rule_step(mlp, [1.0, 2.0, 3.0], [1.0], alpha=0.1)
    with pytest.raises(ValueError, match="got 2 inputs and 2 targets"):
        delta_rule_step(mlp, [1.0, 2.0], [1.0, 0.0], alpha=0.1)
    with pytest.raises(ValueError, match="output_activation"):
        delta_rule_step(mlp, [1.0, 2.0], [1.0], alpha=0.1, output_activation="tanh")
