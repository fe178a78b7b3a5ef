"""Neuron, Layer, MLP: the forward math, parameters() order, seeds, shapes and bad input."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, gradcheck
from nn import MLP, Layer, Neuron
from tests.conftest import floats_in

ACTS = {
    "relu": lambda v: max(v, 0.0),
    "tanh": math.tanh,
    "sigmoid": lambda v: 1.0 / (1.0 + math.exp(-v)),
    "linear": lambda v: v,
}


@pytest.mark.parametrize("activation", list(ACTS))
@given(xs=st.lists(floats_in(-3, 3), min_size=3, max_size=3))
def test_neuron_computes_act_of_w_dot_x_plus_b(activation: str, xs: list[float]) -> None:
    n = Neuron(3, activation, rng=random.Random(1))
    n.b.data = 0.25
    pre = sum(w.data * x for w, x in zip(n.w, xs)) + 0.25
    assert n(xs).data == pytest.approx(ACTS[activation](pre), rel=1e-12, abs=1e-12)


def test_neuron_accepts_values_and_numbers_and_backprops_into_them() -> None:
    n = Neuron(2, "linear", rng=random.Random(0))
    x0 = Value(2.0)
    out = n([x0, 3])
    out.backward()
    assert x0.grad == n.w[0].data
    assert n.w[0].grad == 2.0
    assert n.w[1].grad == 3.0
    assert n.b.grad == 1.0


def test_weights_start_uniform_in_minus_one_one_and_biases_at_zero() -> None:
    model = MLP(4, [30, 30, 5], seed=0)
    for layer in model.layers:
        for n in layer.neurons:
            assert all(-1.0 <= w.data <= 1.0 for w in n.w)
            assert n.b.data == 0.0
    weights = [w.data for layer in model.layers for n in layer.neurons for w in n.w]
    assert min(weights) < -0.9 and max(weights) > 0.9


def test_parameters_order_layer_neuron_weights_then_bias() -> None:
    model = MLP(2, [3, 2], seed=0)
    expected = []
    for layer in model.layers:
        for n in layer.neurons:
            expected += n.w
            expected.append(n.b)
    got = model.parameters()
    assert len(got) == (2 * 3 + 3) + (3 * 2 + 2)
    assert all(a is b for a, b in zip(got, expected))
    assert got[2] is model.layers[0].neurons[0].b
    assert got[3] is model.layers[0].neurons[1].w[0]
    assert got[-1] is model.layers[1].neurons[1].b


def test_parameter_count_of_the_demo_network() -> None:
    assert len(MLP(2, [16, 16, 1]).parameters()) == 48 + 272 + 17


def test_same_seed_same_weights_different_seed_different_weights() -> None:
    def weights(seed: int) -> list[float]:
        return [p.data for p in MLP(3, [8, 8, 2], seed=seed).parameters()]

    assert weights(7) == weights(7)
    assert weights(7) != weights(8)


def test_a_seed_or_rng_never_reads_or_seeds_the_global_random() -> None:
    random.seed(123)
    state = random.getstate()
    a = [p.data for p in MLP(3, [5, 1], seed=4).parameters()]
    Neuron(3, rng=random.Random(1))
    Layer(3, 2, rng=random.Random(2))
    assert random.getstate() == state
    random.seed(999)
    b = [p.data for p in MLP(3, [5, 1], seed=4).parameters()]
    assert a == b


def test_without_a_seed_weights_come_from_the_global_random_in_order() -> None:
    random.seed(5)
    model = MLP(3, [2, 1])
    random.seed(5)
    draws = [random.uniform(-1, 1) for _ in range(3 * 2 + 2 * 1)]
    weights = [w.data for layer in model.layers for n in layer.neurons for w in n.w]
    assert weights == draws
    assert [n.b.data for layer in model.layers for n in layer.neurons] == [0.0, 0.0, 0.0]
    random.seed(5)
    assert [w.data for w in Neuron(3).w] == draws[:3]
    random.seed(5)
    assert [w.data for n in Layer(3, 2).neurons for w in n.w] == draws[:6]


def test_unseeded_networks_differ() -> None:
    a = [p.data for p in MLP(3, [5, 1]).parameters()]
    b = [p.data for p in MLP(3, [5, 1]).parameters()]
    assert a != b


def test_last_layer_is_linear_hidden_layers_use_activation() -> None:
    model = MLP(2, [4, 4, 3], activation="tanh", seed=0)
    assert [layer.activation for layer in model.layers] == ["tanh", "tanh", "linear"]
    # A linear output can be far outside tanh's range.
    model.layers[-1].neurons[0].b.data = -5.0
    assert model([0.1, 0.2])[0].data < -1.0


def test_layer_returns_one_value_for_one_unit_else_a_list() -> None:
    one = Layer(2, 1, rng=random.Random(0))([1.0, 2.0])
    many = Layer(2, 3, rng=random.Random(0))([1.0, 2.0])
    assert isinstance(one, Value)
    assert isinstance(many, list) and len(many) == 3
    assert all(isinstance(v, Value) for v in many)


def test_one_unit_hidden_layer_feeds_the_next_layer() -> None:
    model = MLP(2, [16, 1, 1], activation="tanh", seed=3)
    out = model([0.5, -1.5])
    assert isinstance(out, Value)
    hidden = model.layers[1].neurons[0](model.layers[0]([0.5, -1.5]))
    expected = model.layers[2].neurons[0].w[0].data * hidden.data
    assert out.data == pytest.approx(expected + model.layers[2].neurons[0].b.data, abs=1e-15)
    out.backward()
    assert any(w.grad != 0.0 for w in model.layers[0].neurons[0].w)


def test_a_lone_value_is_one_input() -> None:
    model = MLP(1, [3, 1], seed=0)
    assert model(Value(0.5)).data == model([0.5]).data
    assert Neuron(1, rng=random.Random(0))(2.0).data == Neuron(1, rng=random.Random(0))([2.0]).data


TWO_INPUTS = {
    "Neuron": Neuron(2, rng=random.Random(0)),
    "Layer": Layer(2, 3, rng=random.Random(0)),
    "MLP": MLP(2, [3, 1], seed=0),
}


@pytest.mark.parametrize("who", TWO_INPUTS)
@pytest.mark.parametrize("size", [1, 3])
def test_wrong_input_length_names_the_module_expected_and_actual(who: str, size: int) -> None:
    with pytest.raises(ValueError, match=rf"^{who} expects 2 inputs, got {size}$"):
        TWO_INPUTS[who]([1.0] * size)


@pytest.mark.parametrize("who", TWO_INPUTS)
def test_a_lone_number_for_two_inputs_names_the_module_called(who: str) -> None:
    # MLP(2, ...)(1.0) used to fail in its first Layer and say "Layer".
    with pytest.raises(ValueError, match=rf"^{who} expects 2 inputs, got 1$"):
        TWO_INPUTS[who](1.0)


BATCHES = {
    "lists": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]],
    "as many samples as inputs": [[0.1, 0.2], [0.3, 0.4]],
    "tuples": [(0.1, 0.2)],
}


@pytest.mark.parametrize("who", TWO_INPUTS)
@pytest.mark.parametrize("batch", BATCHES.values(), ids=BATCHES.keys())
def test_a_batch_says_the_module_takes_one_sample(who: str, batch: object) -> None:
    with pytest.raises(TypeError, match=rf"^{who} takes one sample \(a list of 2 numbers\)"):
        TWO_INPUTS[who](batch)


@pytest.mark.parametrize("who", TWO_INPUTS)
def test_a_numpy_batch_says_the_module_takes_one_sample(who: str) -> None:
    np = pytest.importorskip("numpy")
    with pytest.raises(TypeError, match=r"got a batch of 5 ndarrays: call it on each sample"):
        TWO_INPUTS[who](np.zeros((5, 2)))


@pytest.mark.parametrize(
    ("make", "activation"),
    [
        (lambda: Neuron(2, nonlin=True), "relu"),
        (lambda: Neuron(2, nonlin=False), "linear"),
        (lambda: Neuron(2, False), "linear"),  # micrograd's second positional argument
        (lambda: Layer(2, 3, nonlin=True), "relu"),
        (lambda: Layer(2, 3, nonlin=False), "linear"),
        (lambda: Layer(2, 3, False), "linear"),
    ],
)
def test_micrograds_nonlin_keyword(make: Callable[[], Neuron | Layer], activation: str) -> None:
    module = make()
    assert module.activation == activation
    x = [-3.0, 0.5]
    pre = [dot_plus_b(n, x) for n in (module.neurons if isinstance(module, Layer) else [module])]
    out = module(x)
    got = [v.data for v in (out if isinstance(out, list) else [out])]
    assert got == [max(p, 0.0) if activation == "relu" else p for p in pre]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Neuron(2, "tanh", nonlin=True), "Neuron got activation='tanh' and nonlin=True"),
        (lambda: Layer(2, 2, "sigmoid", nonlin=False), "give one of them"),
        (lambda: Layer(2, 2, nonlin=1), "Layer nonlin must be True or False, got 1"),
    ],
)
def test_nonlin_and_activation_together_are_refused(
    make: Callable[[], object], message: str
) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        make()


def dot_plus_b(neuron: Neuron, x: list[float]) -> float:
    return sum((w.data * xi for w, xi in zip(neuron.w, x)), neuron.b.data)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Neuron(2, "softmax"), "unknown activation 'softmax'"),
        (lambda: Layer(2, 2, "ReLU"), "unknown activation 'ReLU'"),
        (lambda: MLP(2, [3, 1], activation="gelu"), "unknown activation 'gelu'"),
        (lambda: Neuron(0), "nin must be a positive int, got 0"),
        (lambda: Layer(2, 0), "nout must be a positive int, got 0"),
        (lambda: MLP(2, []), "at least one layer"),
        (lambda: MLP(2, [3, -1]), "layer size must be a positive int, got -1"),
    ],
)
def test_bad_constructor_arguments_raise_value_error(
    make: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MLP(2, [3.0, 1]), "each MLP layer size must be an int, got float: 3.0"),
        (lambda: MLP(True, [1]), "MLP nin must be an int, got bool: True"),
        (lambda: Layer(2, "3"), "Layer nout must be an int, got str: '3'"),
        (lambda: MLP(2, 16), "MLP nouts must be a list of layer sizes"),
    ],
)
def test_non_int_sizes_raise_type_error(make: Callable[[], object], message: str) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        make()


MODULES = {
    "Neuron": lambda: Neuron(2, rng=random.Random(0)),
    "Layer": lambda: Layer(2, 3, rng=random.Random(0)),
    "MLP": lambda: MLP(2, [3, 1], seed=0),
}


@pytest.mark.parametrize("make", list(MODULES.values()), ids=list(MODULES))
@pytest.mark.parametrize(
    ("bad", "kind"),
    [({0: 5.0, 1: 7.0}, "dict"), ("ab", "str"), ({5.0, 7.0}, "set"), (None, "NoneType")],
    ids=["dict", "str", "set", "None"],
)
def test_input_that_is_not_a_list_of_numbers_raises_type_error(
    make: Callable[[], Callable[[object], object]], bad: object, kind: str
) -> None:
    # A dict would otherwise be read through its keys, and a set in no fixed order.
    with pytest.raises(TypeError, match=rf"expects a list of 2 numbers or Values, got {kind}"):
        make()(bad)


@pytest.mark.parametrize("kind", ["int64", "int32", "float64", "float32"])
def test_a_numpy_scalar_is_one_input(kind: str) -> None:
    np = pytest.importorskip("numpy")
    x = getattr(np, kind)(2)
    model = MLP(1, [3, 1], seed=0)
    assert model(x).data == model([2.0]).data
    assert Neuron(1, rng=random.Random(0))(x).data == Neuron(1, rng=random.Random(0))(2).data


def test_a_numpy_row_is_a_list_of_inputs_and_a_table_is_refused() -> None:
    np = pytest.importorskip("numpy")
    model = MLP(2, [3, 1], seed=0)
    assert model(np.array([0.5, -1.0])).data == model([0.5, -1.0]).data
    with pytest.raises(TypeError, match="ndarray"):
        model(np.array([[0.5, -1.0], [1.0, 2.0]]))


@pytest.mark.parametrize("bad", [True, [True, 1.0]], ids=["bool", "list with a bool"])
def test_a_bool_is_not_a_number_input(bad: object) -> None:
    with pytest.raises(TypeError, match="bool"):
        MLP(2 if isinstance(bad, list) else 1, [3, 1], seed=0)(bad)


def test_non_numeric_input_raises_type_error() -> None:
    with pytest.raises(TypeError):
        MLP(2, [3, 1], seed=0)(["a", 1.0])


def test_reprs_show_the_architecture() -> None:
    assert repr(Neuron(3, "tanh")) == "Neuron(nin=3, activation='tanh')"
    assert repr(Layer(3, 4, "sigmoid")) == "Layer(nin=3, nout=4, activation='sigmoid')"
    assert (
        repr(MLP(2, [16, 16, 1])) == "MLP(2 in -> 16 relu -> 16 relu -> 1 linear; 337 parameters)"
    )


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "linear"])
def test_mlp_gradient_wrt_inputs_passes_gradcheck(activation: str) -> None:
    model = MLP(3, [5, 4, 1], activation=activation, seed=11)
    assert gradcheck(lambda *x: model(list(x)), [0.3, -0.7, 1.1])


def test_mlp_gradient_wrt_weights_matches_finite_differences() -> None:
    model = MLP(2, [4, 3, 2], activation="tanh", seed=5)
    x = [0.4, -0.9]

    def loss() -> Value:
        a, b = model(x)
        return a * a + b.sin()

    model.zero_grad()
    loss().backward()
    eps = 1e-6
    for p in model.parameters():
        p.data += eps
        up = loss().data
        p.data -= 2 * eps
        down = loss().data
        p.data += eps
        assert p.grad == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-7)


def test_relu_mlp_gradient_wrt_inputs_passes_gradcheck_away_from_kinks() -> None:
    model = MLP(2, [6, 1], seed=2)
    x = [0.37, -0.81]
    pre = [sum(w.data * xi for w, xi in zip(n.w, x)) + n.b.data for n in model.layers[0].neurons]
    assert min(abs(v) for v in pre) > 1e-3  # no hidden unit sits on relu's kink
    assert gradcheck(lambda *v: model(list(v)), x)


def test_parameters_are_labelled_for_drawing() -> None:
    neuron = Neuron(3, rng=random.Random(0))
    assert [p.label for p in neuron.parameters()] == ["w.0", "w.1", "w.2", "b"]
