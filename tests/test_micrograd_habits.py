"""Programs of the micrograd family on chainrule: attributes of their own on Values, a guiding
error for each micrograd habit the engine cannot honour, and whole training programs compared
with micrograd 0.1.0 (and with their own closure engine) step by step.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from autograd import Value, gradcheck, no_grad, primitive, topological_order
from nn import MLP, Layer
from tests.micrograd_programs import (
    ClosureValue,
    backprop_by_hand,
    moons_program,
    nonlin_program,
    yinyang_program,
)

MICROGRAD_DOC = Path(__file__).resolve().parent.parent / "docs" / "micrograd.md"


def _graph(tag: bool) -> list[Value]:
    """A small graph with a node used twice; with tag=True every node gets attributes."""
    w, x, b = Value(0.7), Value(-1.3), Value(0.2)
    h = (w * x + b).tanh()
    y = h * h + h.exp() / w
    nodes = [w, x, b, h, y]
    if tag:
        for i, v in enumerate(nodes):
            v.m = 0.0  # type: ignore[attr-defined]
            setattr(v, "_vis_color", f"color{i}")  # noqa: B010
    y.backward()
    return nodes


# ----- attributes of the user's own ---------------------------------------------------------------


def test_attributes_on_leaves_and_results_survive_backward_and_change_no_gradient() -> None:
    plain_nodes = _graph(tag=False)
    nodes = _graph(tag=True)
    assert [v.grad for v in nodes] == [v.grad for v in plain_nodes]
    assert [v.data for v in nodes] == [v.data for v in plain_nodes]
    for i, v in enumerate(nodes):
        assert (v.m, v._vis_color) == (0.0, f"color{i}")  # type: ignore[attr-defined]
    assert len(topological_order(nodes[-1])) == len(topological_order(plain_nodes[-1]))
    assert all(not vars(v) for v in plain_nodes)  # nodes without attributes have no dict


def test_attributes_live_beside_the_engine_fields() -> None:
    p = Value(1.5, label="p")
    p.m = 0.25  # type: ignore[attr-defined]
    p.data = 2.0  # an engine field: a slot, not an entry of the attribute dict
    p.grad = 0
    assert vars(p) == {"m": 0.25}
    assert (p.data, p.label, getattr(p, "v", None), hasattr(p, "v")) == (2.0, "p", None, False)
    del p.m  # type: ignore[attr-defined]
    assert vars(p) == {}
    with pytest.raises(AttributeError, match="'Value' object has no attribute 'm'"):
        p.m  # type: ignore[attr-defined]  # noqa: B018


def test_a_value_kept_in_an_attribute_is_not_a_parent() -> None:
    w = Value(3.0)
    w.m = Value(100.0)  # type: ignore[attr-defined]
    y = w * w
    y.note = w.m  # type: ignore[attr-defined]
    y.backward()
    assert topological_order(y) == [w, y]
    assert (w.grad, w.m.grad) == (6.0, 0.0)  # type: ignore[attr-defined]


def test_attributes_on_a_result_made_without_grad() -> None:
    w = Value(0.5)
    with no_grad():
        y = w * 4.0
    y.step = 7  # type: ignore[attr-defined]
    assert (y.data, y.step, y._parents) == (2.0, 7, ())  # type: ignore[attr-defined]


# ----- micrograd habits get a guiding error -------------------------------------------------------

leaf = Value(0.5)
HABITS: dict[str, Callable[[], object]] = {
    "Value(data, children, op)": lambda: Value(math.tanh(0.5), (leaf,), "tanh"),
    "Value(data, children)": lambda: Value(0.25, (leaf, leaf)),
    "children as a list": lambda: Value(0.25, [leaf, leaf]),
    "children as a set": lambda: Value(0.25, {leaf}),
    "an empty children tuple and op": lambda: Value(1.0, (), ""),
    "children and op by keyword": lambda: Value(0.25, _children=(leaf,), _op="tanh"),
    "children, op and label": lambda: Value(0.25, (leaf,), "tanh", "h"),
}


def _refused_by_hand_backward(node: Value, closure: Callable[[], None]) -> None:
    node._backward = closure  # type: ignore[assignment,method-assign]


def _assert_guides(error: pytest.ExceptionInfo[TypeError]) -> None:
    message = str(error.value)
    assert "micrograd" in message
    assert "primitive(name, forward, rule)" in message
    assert "(g, out, *parents)" in message
    assert "docs/micrograd.md" in message


@pytest.mark.parametrize("habit", HABITS.values(), ids=HABITS.keys())
def test_micrograds_constructor_says_what_to_do_instead(habit: Callable[[], object]) -> None:
    with pytest.raises(TypeError) as error:
        habit()
    _assert_guides(error)


def test_a_backward_closure_set_by_hand_is_refused_and_changes_nothing() -> None:
    w = Value(0.8)
    out = w.tanh()
    called = []

    def _backward() -> None:  # micrograd's zero-argument closure
        called.append(True)
        w.grad += (1 - out.data**2) * out.grad

    for node in (out, w):  # an op result and a leaf
        with pytest.raises(TypeError, match=r"out\._backward = closure") as error:
            _refused_by_hand_backward(node, _backward)
        _assert_guides(error)
    out.backward()
    assert not called
    assert w.grad == pytest.approx(1 - math.tanh(0.8) ** 2, rel=1e-15)


def test_the_errors_point_to_a_page_that_exists_and_answers_them() -> None:
    with pytest.raises(TypeError) as error:
        Value(1.0, (), "")
    assert "docs/micrograd.md" in str(error.value)
    page = MICROGRAD_DOC.read_text(encoding="utf-8")
    assert "`Value(data, _children=(), _op='')`" in page
    assert "`out._backward = _backward`" in page


# ----- backprop by hand, lecture 1's cells --------------------------------------------------------


def _lecture_neuron(
    x1: float = 2.0,
    w1: float = -3.0,
    x2: float = 0.0,
    w2: float = 1.0,
    b: float = 6.8813735870195432,
) -> dict[str, Value]:
    """Lecture 1's neuron, o = tanh(x1*w1 + x2*w2 + b), its nodes by the lecture's names."""
    leaves = {
        "x1": Value(x1, label="x1"),
        "w1": Value(w1, label="w1"),
        "x2": Value(x2, label="x2"),
        "w2": Value(w2, label="w2"),
        "b": Value(b, label="b"),
    }
    x1w1 = leaves["x1"] * leaves["w1"]
    x2w2 = leaves["x2"] * leaves["w2"]
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + leaves["b"]
    o = n.tanh()
    return dict(leaves, x1w1=x1w1, x2w2=x2w2, x1w1x2w2=x1w1x2w2, n=n, o=o)


def test_lecture_one_manual_backprop_cell_by_cell() -> None:
    nodes = _lecture_neuron()
    o, n = nodes["o"], nodes["n"]
    # Cell: o.grad = 1.0, then o._backward(): tanh's local derivative 1 - o**2, about 0.5.
    o.grad = 1.0
    o._backward()
    assert n.grad == pytest.approx(1 - o.data**2, rel=1e-15)
    assert n.grad == pytest.approx(0.5)
    # Cell: n._backward(): a + routes the gradient unchanged to both parents.
    n._backward()
    assert nodes["b"].grad == nodes["x1w1x2w2"].grad == n.grad
    # Cell: x1w1x2w2._backward(), then each product's.
    nodes["x1w1x2w2"]._backward()
    assert nodes["x1w1"].grad == nodes["x2w2"].grad == n.grad
    nodes["x1w1"]._backward()
    nodes["x2w2"]._backward()
    grads = {name: nodes[name].grad for name in ("x1", "w1", "x2", "w2")}
    assert grads == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0}, rel=1e-12)
    # A leaf's _backward() does nothing, as micrograd's `lambda: None`.
    by_hand = {name: v.grad for name, v in nodes.items()}
    for leaf in ("x1", "w1", "x2", "w2", "b"):
        nodes[leaf]._backward()
    assert {name: v.grad for name, v in nodes.items()} == by_hand
    # The same numbers as backward() on a fresh graph, which runs the same rules.
    fresh = _lecture_neuron()
    fresh["o"].backward()
    assert {name: v.grad for name, v in fresh.items()} == by_hand
    # And as central differences of o in each input.
    eps = 1e-6
    start = {leaf: nodes[leaf].data for leaf in ("x1", "w1", "x2", "w2", "b")}
    for leaf, x in start.items():
        up = _lecture_neuron(**{**start, leaf: x + eps})["o"].data
        down = _lecture_neuron(**{**start, leaf: x - eps})["o"].data
        assert by_hand[leaf] == pytest.approx((up - down) / (2 * eps), rel=1e-6, abs=1e-9)


def test_manual_backprop_gives_micrograds_numbers() -> None:
    # micrograd's README example (its own ops: + * ** / - relu, nodes used several times),
    # backpropagated by hand on both engines.
    micrograd_engine = pytest.importorskip("micrograd.engine")

    def build(value: Callable[[float], Value]) -> list[Value]:
        a, b = value(-4.0), value(2.0)
        c = a + b
        d = a * b + b**3
        c += c + 1
        c += 1 + c + (-a)
        d += d * 2 + (b + a).relu()
        d += 3 * d + (b - a).relu()
        e = c - d
        f = e**2
        g = f / 2.0
        g += 10.0 / f
        return [a, b, g]

    ours, theirs = build(Value), build(micrograd_engine.Value)
    assert ours[-1].data == pytest.approx(theirs[-1].data, rel=1e-12)  # 24.7041 in its README
    backprop_by_hand(ours[-1])
    backprop_by_hand(theirs[-1])
    assert [v.grad for v in ours] == pytest.approx([v.grad for v in theirs], rel=1e-12)
    assert round(ours[0].grad, 4) == 138.8338 and round(ours[1].grad, 4) == 645.5773


def test_local_step_runs_the_engines_rule_and_adds_as_micrograd() -> None:
    x = Value(0.3)
    y = x.sin()
    y.grad = 2.0
    y._backward()
    assert x.grad == 2.0 * math.cos(0.3)
    y._backward()  # called again, it adds again, as micrograd's closure does
    assert x.grad == 2.0 * math.cos(0.3) + 2.0 * math.cos(0.3)
    custom = primitive("wrong_arity", math.sin, lambda g, out, x: (g, g))
    z = custom(x)
    with pytest.raises(TypeError, match="'wrong_arity' returned 2 terms for 1 parents"):
        z._backward()


def test_the_advice_works_a_primitive_does_what_the_closure_did() -> None:
    tanh_op = primitive("tanh_op", math.tanh, lambda g, out, x: (g * (1 - out * out),))
    ours = Value(0.3)
    (tanh_op(ours) * 2.0).backward()
    theirs = ClosureValue(0.3)
    (theirs.tanh() * 2.0).backward()
    assert ours.grad == pytest.approx(theirs.grad, rel=1e-15)
    assert gradcheck(lambda v: tanh_op(v) * v, [0.3])


# ----- whole programs of the micrograd family -----------------------------------------------------


def _largest_difference(ours: list[list[float]], theirs: list[list[float]]) -> float:
    """max |a - b| / max(1, |b|) over the numbers of two runs, row by row."""
    assert [len(row) for row in ours] == [len(row) for row in theirs]
    return max(
        abs(a - b) / max(1.0, abs(b))
        for row, other in zip(ours, theirs)
        for a, b in zip(row, other)
    )


def test_micrograds_nn_with_an_adamw_on_its_parameters_matches_micrograd() -> None:
    micrograd_engine = pytest.importorskip("micrograd.engine")
    ours = moons_program(Value, steps=4)
    theirs = moons_program(micrograd_engine.Value, steps=4)
    # Each step: the loss, then every parameter after the update.
    assert _largest_difference(ours, theirs) <= 1e-9
    assert ours[-1][0] < 0.5 * ours[0][0]  # it trains


def test_random_seed_1337_gives_micrograds_network() -> None:
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    x = [0.5, -1.25]
    assert ours(x).data == pytest.approx(theirs(x).data, rel=1e-12)


def test_micrograds_demo_with_nonlin_layers_and_seed_1337_matches_micrograd() -> None:
    micrograd_nn = pytest.importorskip("micrograd.nn")
    ours = nonlin_program(Layer, steps=5)
    theirs = nonlin_program(micrograd_nn.Layer, steps=5)
    assert len(ours[0]) == 1 + 337
    assert _largest_difference(ours, theirs) <= 1e-9
    assert ours[-1][0] < ours[0][0]  # it trains


def test_the_yinyang_program_matches_its_own_closure_engine() -> None:
    ours = yinyang_program(Value, steps=10)
    theirs = yinyang_program(ClosureValue, steps=10)
    kinds = [kind for kind, _ in ours]
    assert kinds == [kind for kind, _ in theirs]
    assert (kinds.count("val"), kinds.count("train")) == (2, 10)
    assert _largest_difference([[v for _, v in ours]], [[v for _, v in theirs]]) <= 1e-9
    assert ours[-1][1] < ours[1][1]  # the train loss falls


def test_one_unit_hidden_layers_work() -> None:
    model = MLP(2, [4, 1, 1], seed=0)
    out = model([0.5, -1.0])
    assert isinstance(out, Value)
    out.backward()
    assert len(model.parameters()) == 4 * 3 + 1 * 5 + 1 * 2
    assert all(p.grad != 0.0 for p in model.layers[2].parameters())


def test_micrograds_one_unit_hidden_layer_breaks_the_next_layer() -> None:
    # What the README says of micrograd 0.1.0: its Layer returns a bare Value for nout=1.
    micrograd_nn = pytest.importorskip("micrograd.nn")
    with pytest.raises(TypeError, match="'Value' object is not iterable"):
        micrograd_nn.MLP(2, [4, 1, 1])([0.5, -1.0])


def test_prev_is_the_parents_as_micrograd_walks_them_and_cannot_be_set() -> None:
    x, y = Value(2.0), Value(3.0)
    out = x * y + x
    assert out._prev == {out._parents[0], x}  # what micrograd's draw_dot walks
    assert Value(1.0)._prev == set()
    assert out._prev is out._prev  # one set per node, as micrograd's: not one per read
    with pytest.raises(TypeError, match=r"out\._prev = children") as error:
        out._prev = {x}  # type: ignore[misc]
    _assert_guides(error)
    assert out._parents[1] is x  # nothing changed
