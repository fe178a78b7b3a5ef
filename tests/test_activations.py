"""The one table of activations: each entry's function on floats and on Values, its derivative
for the delta rules against the engine's, and every user of the table reading the same entry."""

from __future__ import annotations

import math

import pytest

import nn.activations
from autograd import Value, grad
from nn import MLP, Neuron, delta_rule_step
from nn.activations import ACTIVATIONS, Activation
from nn.evaluation import forward

POINTS = [-3.0, -0.7, -1e-3, 1e-3, 0.4, 2.5]


def test_the_table_lists_the_four_activations_with_their_torch_layers() -> None:
    assert {name: act.torch_layer for name, act in ACTIVATIONS.items()} == {
        "relu": "ReLU",
        "tanh": "Tanh",
        "sigmoid": "Sigmoid",
        "linear": None,
    }
    assert all(act.name == name for name, act in ACTIVATIONS.items())


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("x", POINTS)
def test_g_on_floats_is_g_on_values_and_g_prime_is_the_engines_derivative(
    name: str, x: float
) -> None:
    act = ACTIVATIONS[name]
    v = Value(x)
    out = act.on_value(v)
    assert isinstance(out, Value)
    a = act.on_float(x)
    assert type(a) is float
    assert a == out.data
    (dx,) = grad(out, [v])
    assert act.g_prime(x, a) == pytest.approx(dx.data, rel=1e-15, abs=1e-300)


def test_relu_prime_at_zero_is_zero_as_the_engine_says() -> None:
    v = Value(0.0)
    (dx,) = grad(ACTIVATIONS["relu"].on_value(v), [v])
    assert ACTIVATIONS["relu"].g_prime(0.0, 0.0) == dx.data == 0.0


def test_one_table_serves_neuron_the_float_forward_and_the_delta_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A new entry is enough for every user: nothing else lists the activations.
    square = Activation("square", lambda v: v * v, lambda x: x * x, lambda x, a: 2 * x, None)
    monkeypatch.setitem(nn.activations.ACTIVATIONS, "square", square)
    neuron = Neuron(2, "square")
    neuron.b.data = 0.5
    z = neuron.w[0].data * 1.5 + neuron.w[1].data * -2.0 + 0.5
    assert neuron([1.5, -2.0]).data == pytest.approx(z * z, rel=1e-15)
    model = MLP(2, [3, 1], activation="square", seed=0)
    x = [0.3, -0.8]
    assert forward(model, x)[1][-1][0] == pytest.approx(model(x).data, rel=1e-14)
    before = model([0.3, -0.8]).data
    delta_rule_step(model, x, [before + 1.0], alpha=0.01)
    assert math.isfinite(model(x).data) and model(x).data > before  # moved towards the target
