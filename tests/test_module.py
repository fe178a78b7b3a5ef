"""Module: zero_grad, state_dict names, JSON save/load, and refusing bad state unchanged."""

from __future__ import annotations

import ast
import json
import math
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from nn import MLP, SGD, Layer, Module, Neuron


def snapshot(module: Module) -> list[float]:
    return [p.data for p in module.parameters()]


def test_base_module_has_no_parameters() -> None:
    m = Module()
    assert m.parameters() == []
    assert m.state_dict() == {}
    m.load_state_dict({})
    m.zero_grad()


class Affine(Module):
    """A module that names its parameter fields and writes nothing else."""

    parameter_fields = ("a", "ws")

    def __init__(self) -> None:
        self.a = autograd.Value(2.0)
        self.ws = [autograd.Value(1.0), autograd.Value(-1.0)]


def test_parameters_zero_grad_and_state_come_from_the_fields_alone() -> None:
    m = Affine()
    assert all(p is q for p, q in zip(m.parameters(), [m.a, *m.ws], strict=True))
    assert [(name, p.data) for name, p in m.named_parameters()] == [
        ("a", 2.0),
        ("ws.0", 1.0),
        ("ws.1", -1.0),
    ]
    m.a.grad = 3.0
    m.zero_grad()
    assert m.a.grad == 0.0
    assert m.state_dict() == {"a": 2.0, "ws": [1.0, -1.0]}


@pytest.mark.parametrize("cls", [Neuron, Layer, MLP], ids=lambda c: c.__name__)
def test_a_module_names_its_parameters_once(cls: type) -> None:
    # named_parameters(), parameters() and state_dict() are Module's, derived from the one
    # list of fields: they cannot disagree.
    assert "parameter_fields" in vars(cls)
    assert not {"named_parameters", "parameters", "state_dict"} & set(vars(cls))


def test_named_parameters_yields_one_pair_per_scalar_as_pytorch_does() -> None:
    model = MLP(2, [2, 1], seed=0)
    pairs = list(model.named_parameters())
    assert [name for name, _ in pairs] == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0",
        "layers.0.neurons.1.w.1",
        "layers.0.neurons.1.b",
        "layers.1.neurons.0.w.0",
        "layers.1.neurons.0.w.1",
        "layers.1.neurons.0.b",
    ]
    assert all(a is b for (_, a), b in zip(pairs, model.parameters(), strict=True))
    assert model.layers[0].neurons[1].w[0] is dict(pairs)["layers.0.neurons.1.w.0"]
    for name, p in model.named_parameters():  # PyTorch's loop
        assert isinstance(name, str) and isinstance(p, autograd.Value)


def test_the_names_are_the_default_labels() -> None:
    model = MLP(3, [4, 2], seed=1)
    assert [p.label for p in model.parameters()] == [name for name, _ in model.named_parameters()]
    layer = Layer(2, 2, rng=random.Random(0))
    assert [p.label for p in layer.parameters()] == [
        "neurons.0.w.0",
        "neurons.0.w.1",
        "neurons.0.b",
        "neurons.1.w.0",
        "neurons.1.w.1",
        "neurons.1.b",
    ]
    labelled = Affine()  # a module of the user's own keeps the labels its Values were made with
    labelled.a.label = "scale"
    assert [p.label for p in labelled.parameters()] == ["scale", "", ""]


class Tied(Module):
    """The same layer twice (weight tying): its parameters are one set of Values."""

    parameter_fields = ("layers",)

    def __init__(self) -> None:
        shared = Layer(2, 2, "tanh", rng=random.Random(0))
        self.layers = [shared, Layer(2, 2, "tanh", rng=random.Random(1)), shared]

    def __call__(self, x: list[float]) -> autograd.Value:
        out: object = x
        for layer in self.layers:
            out = layer(out)  # type: ignore[arg-type]
        assert isinstance(out, list)
        return out[0] + out[1]


def test_a_module_used_twice_is_listed_once_and_trains() -> None:
    model = Tied()
    names = [name for name, _ in model.named_parameters()]
    assert len(names) == 12 == len(model.parameters()) == len(set(model.parameters()))
    assert names[:6] == [f"layers.0.{n}" for n, _ in model.layers[0].named_parameters()]
    assert names[6:] == [f"layers.1.{n}" for n, _ in model.layers[1].named_parameters()]
    w = model.layers[0].neurons[0].w[0]
    before = w.data
    model([0.5, -0.25]).backward()
    # The gradient is d/dw of a function that uses w twice: central differences agree.
    eps = 1e-6
    w.data = before + eps
    up = model([0.5, -0.25]).data
    w.data = before - eps
    down = model([0.5, -0.25]).data
    w.data = before
    assert w.grad == pytest.approx((up - down) / (2 * eps), rel=1e-6)
    # The optimizer takes the list (a Value listed twice would be refused) and one step moves
    # the shared weight once, by lr times that summed gradient.
    SGD(model.parameters(), lr=0.1).step()
    assert w.data == before - 0.1 * w.grad


def test_parameters_see_fields_set_anew_and_lists_changed_in_place() -> None:
    # parameters() reuses the list it found last: every way of changing the structure shows.
    model = MLP(2, [2, 1], seed=0)
    before = model.parameters()
    neuron = model.layers[0].neurons[1]
    neuron.w[0] = autograd.Value(5.0)  # a list changed in place
    neuron.b = autograd.Value(6.0)  # a field set anew
    model.layers[1].neurons.append(Neuron(2, rng=random.Random(0)))  # a module added
    after = model.parameters()
    assert after[3] is neuron.w[0] and after[5] is neuron.b
    assert after[:3] == before[:3] and len(after) == len(before) + 3
    assert after == [p for _, p in model.named_parameters()]
    after.clear()  # the caller's own list: the model's is untouched
    assert len(model.parameters()) == len(before) + 3
    model.layers[0] = model.layers[1]  # tied by replacing a layer: listed once
    assert len(model.parameters()) == len(set(model.parameters())) == 6
    model.zero_grad()  # zeroes what parameters() lists now
    assert all(p.grad == 0.0 for p in model.parameters())


def test_zero_grad_sets_every_grad_to_zero_once_reached() -> None:
    model = Tied()
    model([0.5, -0.25]).backward()
    assert all(autograd.has_grad(p) and p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 and autograd.has_grad(p) for p in model.parameters())
    opt = SGD(model.parameters(), lr=0.1)
    model([0.5, -0.25]).backward()
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_state_dict_is_a_copy() -> None:
    model = MLP(2, [2, 1], seed=0)
    state = model.state_dict()
    before = snapshot(model)
    state["layers.0.neurons.0.w"][0] = 42.0
    assert snapshot(model) == before


def test_load_state_dict_copies_another_models_weights() -> None:
    a = MLP(2, [5, 1], seed=1)
    b = MLP(2, [5, 1], seed=2)
    assert snapshot(a) != snapshot(b)
    b.load_state_dict(a.state_dict())
    assert snapshot(a) == snapshot(b)
    assert b([0.3, -0.2]).data == a([0.3, -0.2]).data


def test_save_and_load_round_trip_exactly(tmp_path: Path) -> None:
    a = MLP(2, [4, 4, 1], seed=3)
    a.layers[0].neurons[0].w[0].data = 0.1 + 0.2  # a float with a long repr
    path = tmp_path / "model.json"
    a.save(path)
    assert json.loads(path.read_text()) == a.state_dict()
    b = MLP(2, [4, 4, 1], seed=4)
    b.load(str(path))
    assert snapshot(b) == snapshot(a)


@given(
    nin=st.integers(1, 4),
    nouts=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    seeds=st.tuples(st.integers(0, 1000), st.integers(0, 1000)),
)
def test_state_dict_survives_json_for_any_architecture(
    nin: int, nouts: list[int], seeds: tuple[int, int]
) -> None:
    a = MLP(nin, nouts, seed=seeds[0])
    b = MLP(nin, nouts, seed=seeds[1])
    b.load_state_dict(json.loads(json.dumps(a.state_dict())))
    assert snapshot(b) == snapshot(a)
    assert b.state_dict() == a.state_dict()


def test_save_refuses_nan(tmp_path: Path) -> None:
    model = MLP(1, [1], seed=0)
    model.layers[0].neurons[0].b.data = math.nan
    with pytest.raises(ValueError, match="not JSON compliant"):
        model.save(tmp_path / "m.json")


def test_load_accepts_ints_and_tuples() -> None:
    model = MLP(2, [1], seed=0)
    model.load_state_dict({"layers.0.neurons.0.w": (1, -2), "layers.0.neurons.0.b": 3})
    assert snapshot(model) == [1.0, -2.0, 3.0]
    assert all(type(x) is float for x in snapshot(model))


def corrupt(state: dict, key: str, value: object) -> dict:
    bad = dict(state)
    bad[key] = value
    return bad


LAST_W = "layers.1.neurons.0.w"  # the last list entry: a check-as-you-go loader would have
LAST_B = "layers.1.neurons.0.b"  # already written everything before it


BAD_STATES = [
    (lambda s: {k: v for k, v in s.items() if k != LAST_B}, ValueError, "missing"),
    (lambda s: {**s, "layers.2.neurons.0.b": 0.0}, ValueError, "layers.2.neurons.0.b"),
    (lambda s: corrupt(s, LAST_W, [0.0, 0.0]), ValueError, "has 2 numbers, expected 3"),
    (lambda s: corrupt(s, LAST_W, [0.0] * 4), ValueError, "has 4 numbers, expected 3"),
    (lambda s: corrupt(s, LAST_W, 1.0), TypeError, "must be a list of 3 numbers"),
    (lambda s: corrupt(s, LAST_W, "1,2,3"), TypeError, "must be a list of 3 numbers"),
    (lambda s: corrupt(s, LAST_W, [0.0, "1.0", 0.0]), TypeError, r"w\[1\]' must be a real number"),
    (lambda s: corrupt(s, LAST_W, [0.0, 0.0, True]), TypeError, "got bool"),
    (lambda s: corrupt(s, LAST_B, False), TypeError, "got bool"),
    (lambda s: corrupt(s, LAST_B, None), TypeError, "got NoneType"),
    (lambda s: corrupt(s, LAST_B, [1.0]), TypeError, "got list"),
    (lambda s: corrupt(s, LAST_B, math.nan), ValueError, "must be finite, got nan"),
    (lambda s: corrupt(s, LAST_W, [0.0, math.inf, 0.0]), ValueError, "finite, got inf"),
    (lambda s: list(s.values()), TypeError, "expected a dict"),
    # An int too large for a float: float() would raise a bare OverflowError.
    (lambda s: corrupt(s, LAST_B, 10**400), ValueError, "'layers.1.neurons.0.b' is too large"),
    (lambda s: corrupt(s, LAST_W, [0.0, -(10**309), 0.0]), ValueError, r"w\[1\]' is too large"),
]


@pytest.mark.parametrize(("make_bad", "error", "message"), BAD_STATES)
def test_bad_state_raises_and_changes_nothing(
    make_bad: Callable[[dict], object], error: type[Exception], message: str
) -> None:
    model = MLP(2, [3, 1], seed=0)
    good = MLP(2, [3, 1], seed=1).state_dict()  # different numbers, so a write would show
    before = snapshot(model)
    with pytest.raises(error, match=message):
        model.load_state_dict(make_bad(good))
    assert snapshot(model) == before


def edit_json(change: Callable[[dict], object]) -> Callable[[str], str]:
    """An edit of the saved file that changes the decoded dict, then writes it back as JSON."""

    def edit(text: str) -> str:
        state = json.loads(text)
        return json.dumps(change(state))  # allow_nan: NaN is written as the bare word NaN

    return edit


BAD_FILES = [
    ("truncated", lambda text: text[: len(text) // 2], ValueError, "not valid JSON"),
    ("not json", lambda text: "weights: [1, 2]", ValueError, "not valid JSON"),
    ("empty", lambda text: "", ValueError, "not valid JSON"),
    # json's parser recurses: this deep it would raise RecursionError, not the ValueError.
    ("nested", lambda text: "[" * 100_000 + "]" * 100_000, ValueError, "not valid JSON.*deep"),
    ("nested in a key", lambda text: text.replace("[", "[" * 100_000, 1), ValueError, "deep"),
    ("a list", lambda text: "[1.0, 2.0]", TypeError, "expected a dict"),
    ("NaN", edit_json(lambda s: corrupt(s, LAST_B, math.nan)), ValueError, "must be finite"),
    ("extra key", edit_json(lambda s: {**s, "x": 1}), ValueError, "'x'"),
    ("string", edit_json(lambda s: corrupt(s, LAST_B, "0.5")), TypeError, "got str"),
    ("boolean", edit_json(lambda s: corrupt(s, LAST_B, True)), TypeError, "got bool"),
    ("short", edit_json(lambda s: corrupt(s, LAST_W, [1.0])), ValueError, "has 1 numbers"),
    # 1e400 written out as 401 digits is a JSON int, which json reads as a Python int.
    ("huge int", edit_json(lambda s: corrupt(s, LAST_B, 10**400)), ValueError, "is too large"),
    ("1e400", lambda text: text.replace("0.0\n}", "1e400\n}"), ValueError, "finite, got inf"),
]


@pytest.mark.parametrize(
    ("name", "edit", "error", "message"), BAD_FILES, ids=[case[0] for case in BAD_FILES]
)
def test_bad_file_raises_and_changes_nothing(
    tmp_path: Path,
    name: str,
    edit: Callable[[str], str],
    error: type[Exception],
    message: str,
) -> None:
    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=1).save(path)
    path.write_text(edit(path.read_text()))
    model = MLP(2, [3, 1], seed=0)
    before = snapshot(model)
    with pytest.raises(error, match=message):
        model.load(path)
    assert snapshot(model) == before


def test_binary_file_raises_value_error_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    model = MLP(2, [3, 1], seed=0)
    before = snapshot(model)
    with pytest.raises(ValueError, match="not valid JSON"):
        model.load(path)
    assert snapshot(model) == before


def test_load_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    model = MLP(2, [3, 1], seed=0)
    before = snapshot(model)
    with pytest.raises(FileNotFoundError, match=re.escape("nope.json")):
        model.load(tmp_path / "nope.json")
    assert snapshot(model) == before


def test_load_into_a_different_architecture_names_the_keys(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=1).save(path)
    other = MLP(2, [3, 3, 1], seed=0)
    before = snapshot(other)
    with pytest.raises(ValueError, match=re.escape("layers.2.neurons.0.w")):
        other.load(path)
    assert snapshot(other) == before


NN_SOURCES = sorted((Path(__file__).resolve().parent.parent / "nn").glob("*.py"))


def imports_of(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) for every import statement in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


@pytest.mark.parametrize("path", NN_SOURCES, ids=lambda p: p.name)
def test_no_pickle_anywhere(path: Path) -> None:
    modules = {module for module, _ in imports_of(path)}
    assert not modules & {"pickle", "marshal", "shelve", "dill", "cloudpickle"}


@pytest.mark.parametrize("path", NN_SOURCES, ids=lambda p: p.name)
def test_nn_uses_only_autograds_public_names(path: Path) -> None:
    for module, names in imports_of(path):
        if module.split(".")[0] == "autograd":
            assert module == "autograd", f"{path.name} reaches into {module}"
            assert set(names) <= set(autograd.__all__), f"{path.name}: {names}"
