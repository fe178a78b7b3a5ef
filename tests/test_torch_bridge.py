"""to_torch and from_torch: the same network as a torch.nn.Sequential, with the same outputs and,
after each loss, the same gradient for every parameter (to 1e-12 in float64); round trips keep
the state dict exactly; what from_torch cannot take is refused, naming the layer."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value
from nn import (
    MLP,
    Layer,
    Neuron,
    binary_cross_entropy,
    cross_entropy,
    from_torch,
    hinge_loss,
    mse_loss,
    to_torch,
)
from nn.module import Module

ROOT = Path(__file__).resolve().parent.parent
ACTIVATIONS = ["relu", "tanh", "sigmoid", "linear"]
TOL = 1e-12


def test_without_torch_both_say_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(ImportError, match=r"to_torch needs PyTorch: pip install torch"):
        to_torch(MLP(2, [3, 1], seed=0))
    with pytest.raises(ImportError, match=r"from_torch needs PyTorch: pip install torch"):
        from_torch(object())


def test_importing_nn_does_not_import_torch(fresh_python: Callable[..., Any]) -> None:
    code = "import sys, nn; print('torch' in sys.modules)"
    result = fresh_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


# ----- the same function, the same gradients ----------------------------------------------------


def architectures() -> st.SearchStrategy[tuple[int, list[int], int, int]]:
    """(nin, nouts, seed, batch size): 1 to 4 inputs, 1 to 3 layers of 1 to 5 units."""
    return st.tuples(
        st.integers(1, 4),
        st.lists(st.integers(1, 5), min_size=1, max_size=3),
        st.integers(0, 2**16),
        st.integers(1, 6),
    )


def batch(nin: int, n: int, seed: int) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-2.0, 2.0) for _ in range(nin)] for _ in range(n)]


def torch_grads(seq: Any) -> list[float]:
    """The torch model's gradients in chainrule's parameters() order: layer by layer, each
    unit's weights, then its bias."""
    grads: list[float] = []
    for linear in seq:
        if hasattr(linear, "weight"):
            for row, b in zip(linear.weight.grad.tolist(), linear.bias.grad.tolist()):
                grads += [*row, b]
    return grads


def outputs(model: Module, xs: list[list[float]]) -> list[list[Value]]:
    """Each sample's outputs as a list of Values (one for a one-output model)."""
    rows = []
    for x in xs:
        out = model(x)  # type: ignore[operator]
        rows.append([out] if isinstance(out, Value) else out)
    return rows


# Each loss twice: on chainrule's outputs (a list of rows of Values) and on torch's (N, nout).
def mse_pair(rows: list[list[Value]], out: Any, torch: Any, rng: random.Random) -> tuple:
    targets = [[rng.uniform(-1, 1) for _ in row] for row in rows]
    ours = mse_loss([v for row in rows for v in row], [t for ts in targets for t in ts])
    return ours, torch.nn.functional.mse_loss(out, torch.tensor(targets, dtype=out.dtype))


def hinge_pair(rows: list[list[Value]], out: Any, torch: Any, rng: random.Random) -> tuple:
    labels = [[rng.choice([-1, 1]) for _ in row] for row in rows]
    ours = hinge_loss([v for row in rows for v in row], [t for ts in labels for t in ts])
    y = torch.tensor(labels, dtype=out.dtype)
    return ours, torch.clamp(1 - y * out, min=0).mean()


def bce_pair(rows: list[list[Value]], out: Any, torch: Any, rng: random.Random) -> tuple:
    labels = [[rng.choice([0, 1]) for _ in row] for row in rows]
    flat = [t for ts in labels for t in ts]
    ours = binary_cross_entropy([v for row in rows for v in row], flat, from_logits=True)
    y = torch.tensor(labels, dtype=out.dtype)
    return ours, torch.nn.functional.binary_cross_entropy_with_logits(out, y)


def bce_probability_pair(
    rows: list[list[Value]], out: Any, torch: Any, rng: random.Random
) -> tuple:
    labels = [[rng.uniform(0, 1) for _ in row] for row in rows]
    flat = [t for ts in labels for t in ts]
    ours = binary_cross_entropy([v.sigmoid() for row in rows for v in row], flat)
    y = torch.tensor(labels, dtype=out.dtype)
    return ours, torch.nn.functional.binary_cross_entropy(torch.sigmoid(out), y)


def cross_entropy_pair(rows: list[list[Value]], out: Any, torch: Any, rng: random.Random) -> tuple:
    targets = [rng.randrange(len(row)) for row in rows]
    ours = cross_entropy(rows, targets)
    return ours, torch.nn.functional.cross_entropy(out, torch.tensor(targets))


LOSSES: dict[str, Callable[..., tuple]] = {
    "mse_loss": mse_pair,
    "hinge_loss": hinge_pair,
    "binary_cross_entropy": bce_pair,
    "binary_cross_entropy on probabilities": bce_probability_pair,
    "cross_entropy": cross_entropy_pair,
}

# The largest differences seen, for the record (printed with pytest -s).
WORST = {"output": 0.0, "loss": 0.0, "grad": 0.0}


def assert_same_function_and_gradients(model: Module, xs: list[list[float]], loss: str) -> None:
    torch = pytest.importorskip("torch")
    seq = to_torch(model)
    rows = outputs(model, xs)
    out = seq(torch.tensor(xs, dtype=torch.float64))
    assert tuple(out.shape) == (len(xs), len(rows[0]))
    for mine, theirs in zip(rows, out.tolist()):
        assert [v.data for v in mine] == pytest.approx(theirs, rel=TOL, abs=TOL)
        WORST["output"] = max(WORST["output"], *(abs(v.data - t) for v, t in zip(mine, theirs)))
    ours, theirs = LOSSES[loss](rows, out, torch, random.Random(len(xs)))
    assert ours.data == pytest.approx(theirs.item(), rel=TOL, abs=TOL)
    WORST["loss"] = max(WORST["loss"], abs(ours.data - theirs.item()))
    model.zero_grad()
    ours.backward()
    theirs.backward()
    mine = [p.grad for p in model.parameters()]
    expected = torch_grads(seq)
    assert len(mine) == len(expected)
    assert mine == pytest.approx(expected, rel=TOL, abs=TOL)
    WORST["grad"] = max(WORST["grad"], *(abs(a - b) for a, b in zip(mine, expected)))


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("activation", ACTIVATIONS)
@given(architectures())
def test_mlp_same_outputs_and_gradients_as_torch(
    activation: str, loss: str, arch: tuple[int, list[int], int, int]
) -> None:
    nin, nouts, seed, n = arch
    if loss == "cross_entropy" and nouts[-1] == 1:
        nouts = [*nouts[:-1], 3]  # cross_entropy needs two classes or more
    model = MLP(nin, nouts, activation=activation, seed=seed)
    rng = random.Random(seed)
    for layer in model.layers:
        for neuron in layer.neurons:
            neuron.b.data = rng.uniform(-0.5, 0.5)  # they start at 0, which would hide a bias bug
    assert_same_function_and_gradients(model, batch(nin, n, seed), loss)


@pytest.mark.parametrize("loss", ["mse_loss", "hinge_loss", "binary_cross_entropy"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_neuron_same_outputs_and_gradients_as_torch(activation: str, loss: str) -> None:
    neuron = Neuron(3, activation, rng=random.Random(4))
    neuron.b.data = 0.3
    assert_same_function_and_gradients(neuron, batch(3, 5, 1), loss)


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_layer_same_outputs_and_gradients_as_torch(activation: str, loss: str) -> None:
    layer = Layer(3, 4, activation, rng=random.Random(5))
    for i, neuron in enumerate(layer.neurons):
        neuron.b.data = 0.1 * i - 0.2
    assert_same_function_and_gradients(layer, batch(3, 6, 2), loss)


def test_the_largest_differences_seen_are_far_below_the_tolerance() -> None:
    # Its own comparisons, whatever ran before it (alone, or in any order); -s prints the record.
    pytest.importorskip("torch")
    WORST.update(dict.fromkeys(WORST, 0.0))
    for activation in ACTIVATIONS:
        for loss in LOSSES:
            model = MLP(3, [4, 4, 3 if loss == "cross_entropy" else 1], activation, seed=7)
            rng = random.Random(8)
            for layer in model.layers:
                for neuron in layer.neurons:
                    neuron.b.data = rng.uniform(-0.5, 0.5)
            assert_same_function_and_gradients(model, batch(3, 6, 9), loss)
    print(f"\nlargest differences from torch float64: {WORST}")
    assert all(WORST.values())  # the comparisons ran, and rounding showed in each kind
    assert max(WORST.values()) < TOL


def test_what_to_torch_makes_of_an_mlp() -> None:
    torch = pytest.importorskip("torch")
    seq = to_torch(MLP(2, [16, 16, 1], activation="tanh", seed=0))
    assert isinstance(seq, torch.nn.Sequential)
    assert [type(m).__name__ for m in seq] == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert [(m.in_features, m.out_features) for m in seq[::2]] == [(2, 16), (16, 16), (16, 1)]
    assert all(p.dtype == torch.float64 and p.requires_grad for p in seq.parameters())
    assert [type(m).__name__ for m in to_torch(Neuron(2, "sigmoid"))] == ["Linear", "Sigmoid"]
    assert [type(m).__name__ for m in to_torch(Layer(2, 3, "linear"))] == ["Linear"]


def test_to_torch_copies_the_weights_and_leaves_torchs_random_state_alone() -> None:
    torch = pytest.importorskip("torch")
    model = MLP(2, [3, 1], seed=0)
    torch.manual_seed(0)
    state = torch.get_rng_state()
    seq = to_torch(model)
    assert torch.equal(torch.get_rng_state(), state)  # no random initialisation thrown away
    with torch.no_grad():
        seq[0].weight[0, 0] = 100.0
    assert model.layers[0].neurons[0].w[0].data != 100.0  # a copy, not a view


def test_to_torch_in_float32() -> None:
    torch = pytest.importorskip("torch")
    model = MLP(3, [4, 2], activation="tanh", seed=3)
    seq = to_torch(model, dtype=torch.float32)
    assert all(p.dtype == torch.float32 for p in seq.parameters())
    xs = batch(3, 4, 0)
    out = seq(torch.tensor(xs, dtype=torch.float32)).tolist()
    for x, row in zip(xs, out):
        assert [v.data for v in model(x)] == pytest.approx(row, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("bad", [object(), [Neuron(2)], "MLP"], ids=["object", "list", "str"])
def test_to_torch_refuses_what_is_not_a_neuron_layer_or_mlp(bad: object) -> None:
    pytest.importorskip("torch")
    with pytest.raises(TypeError, match="to_torch takes a Neuron, a Layer or an MLP"):
        to_torch(bad)  # type: ignore[arg-type]


def test_to_torch_refuses_a_layer_whose_neurons_differ_in_activation() -> None:
    pytest.importorskip("torch")
    layer = Layer(2, 2, "relu", rng=random.Random(0))
    layer.neurons[1].activation = "tanh"
    with pytest.raises(ValueError, match="neurons with different activations"):
        to_torch(layer)


# ----- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ACTIVATIONS)
@given(architectures())
def test_round_trip_keeps_the_state_dict_exactly(
    activation: str, arch: tuple[int, list[int], int, int]
) -> None:
    pytest.importorskip("torch")
    nin, nouts, seed, _ = arch
    model = MLP(nin, nouts, activation=activation, seed=seed)
    for i, p in enumerate(model.parameters()):
        p.data += 1e-3 * i  # biases too, and digits beyond float32's
    back = from_torch(to_torch(model))
    assert isinstance(back, MLP)
    assert back.state_dict() == model.state_dict()
    assert (back.nin, back.nouts) == (model.nin, model.nouts)
    if len(nouts) > 1:
        assert back.activation == activation


def test_from_torch_of_a_torch_made_network() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    seq = torch.nn.Sequential(
        torch.nn.Linear(2, 5),
        torch.nn.ReLU(),
        torch.nn.Linear(5, 3),
        torch.nn.ReLU(),
        torch.nn.Linear(3, 2),
    ).double()
    model = from_torch(seq)
    assert (model.nin, model.nouts, model.activation) == (2, [5, 3, 2], "relu")
    xs = batch(2, 4, 3)
    for x, row in zip(xs, seq(torch.tensor(xs, dtype=torch.float64)).tolist()):
        assert [v.data for v in model(x)] == pytest.approx(row, rel=TOL, abs=TOL)
    assert to_torch(model).state_dict().keys() == seq.state_dict().keys()
    for name, tensor in to_torch(model).state_dict().items():
        assert torch.equal(tensor, seq.state_dict()[name])  # and back again, exactly


# ----- what from_torch refuses ------------------------------------------------------------------


REFUSALS: list[tuple[str, Callable[[Any], Any], str]] = [
    ("Conv", lambda nn: nn.Sequential(nn.Conv2d(1, 1, 3)), r"layer 0 \(Conv2d\): not a Linear"),
    (
        "Dropout",
        lambda nn: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(0.5), nn.Linear(3, 1)),
        r"layer 2 \(Dropout\): not a Linear",
    ),
    (
        "BatchNorm",
        lambda nn: nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 1)),
        r"layer 1 \(BatchNorm1d\): not a Linear",
    ),
    (
        "Linear without bias",
        lambda nn: nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU(), nn.Linear(3, 1)),
        r"layer 0 \(Linear\(2 -> 3\)\) has no bias",
    ),
    (
        "mixed activations",
        lambda nn: nn.Sequential(
            nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)
        ),
        r"layer 3 \(Tanh\): mixed activations",
    ),
    (
        "size mismatch",
        lambda nn: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(4, 1)),
        r"layer 2 \(Linear\(4 -> 1\)\) takes 4 inputs but layer 0 gives 3",
    ),
    (
        "activation after the last Linear",
        lambda nn: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid()),
        r"layer 3 \(Sigmoid\): an activation after the last Linear",
    ),
    (
        "two activations in a row",
        lambda nn: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.ReLU(), nn.Linear(3, 1)),
        r"layer 2 \(ReLU\): two activations in a row",
    ),
    (
        "an activation first",
        lambda nn: nn.Sequential(nn.Tanh(), nn.Linear(2, 1)),
        r"layer 0 \(Tanh\): an activation before the first Linear",
    ),
    ("empty", lambda nn: nn.Sequential(), "an empty Sequential"),
    ("not a Sequential", lambda nn: nn.Linear(2, 1), "takes a torch.nn.Sequential.*got Linear"),
    (
        "a nested Sequential",
        lambda nn: nn.Sequential(nn.Sequential(nn.Linear(2, 1))),
        r"layer 0 \(Sequential\): not a Linear",
    ),
    (
        "a Linear subclass",  # its forward may be anything: here twice Linear's
        lambda nn: nn.Sequential(
            type("Doubled", (nn.Linear,), {"forward": lambda m, x: 2 * nn.Linear.forward(m, x)})(
                2, 1
            )
        ),
        r"layer 0 \(Doubled\): a subclass of Linear.*forward",
    ),
    (
        "a Sequential subclass",
        lambda nn: type("Skipping", (nn.Sequential,), {"forward": lambda m, x: x})(nn.Linear(2, 2)),
        r"takes a torch\.nn\.Sequential.*got Skipping, a subclass of Sequential",
    ),
    (
        "an activation chainrule lacks",
        lambda nn: nn.Sequential(nn.Linear(2, 3), nn.GELU(), nn.Linear(3, 1)),
        r"layer 1 \(GELU\): not a Linear",
    ),
]


@pytest.mark.parametrize(("name", "build", "message"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_from_torch_refuses_what_an_mlp_cannot_be_naming_the_layer(
    name: str, build: Callable[[Any], Any], message: str
) -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=message):
        from_torch(build(torch.nn))


def test_from_torch_refuses_a_non_finite_weight() -> None:
    torch = pytest.importorskip("torch")
    seq = torch.nn.Sequential(torch.nn.Linear(2, 1)).double()
    with torch.no_grad():
        seq[0].bias[0] = float("nan")
    with pytest.raises(ValueError, match="finite"):
        from_torch(seq)


@pytest.mark.parametrize("dtype", ["complex128", "complex64"])
def test_from_torch_refuses_a_complex_linear_naming_the_dtype(dtype: str) -> None:
    torch = pytest.importorskip("torch")
    seq = torch.nn.Sequential(torch.nn.Linear(2, 1, dtype=getattr(torch, dtype)))
    with pytest.raises(ValueError, match=rf"from_torch: layer 0 .*torch\.{dtype}.*real"):
        from_torch(seq)


def test_from_torch_refuses_what_is_not_a_torch_module() -> None:
    pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"from_torch takes a torch\.nn\.Sequential, got list"):
        from_torch([1, 2])
