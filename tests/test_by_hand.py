"""check_by_hand: a derivation checked node by node, the first wrong node named first."""

from __future__ import annotations

import math
from typing import Any

import pytest

from autograd import GradcheckError, Value, check_by_hand
from autograd.checking.by_hand import WrongClaim


def sigmoid_net() -> dict[str, Value]:
    """Notebook 02's network: 2 inputs, 2 sigmoid hidden units, 1 sigmoid output, E = (y-a)^2/2."""
    x1, x2 = Value(0.6, label="x1"), Value(-0.4, label="x2")
    w = {
        name: Value(v, label=name)
        for name, v in [
            ("w11", 0.9), ("w21", 0.8), ("w12", -0.9), ("w22", -0.8), ("w1o", 0.7), ("w2o", 0.5),
        ]
    }  # fmt: skip
    b1, b2, bo = Value(0.0, label="b1"), Value(0.0, label="b2"), Value(0.0, label="bo")
    in1 = w["w11"] * x1 + w["w21"] * x2 + b1
    in2 = w["w12"] * x1 + w["w22"] * x2 + b2
    in1.label, in2.label = "in1", "in2"
    a1, a2 = in1.sigmoid(), in2.sigmoid()
    a1.label, a2.label = "a1", "a2"
    in_o = w["w1o"] * a1 + w["w2o"] * a2 + bo
    in_o.label = "in_o"
    a_o = in_o.sigmoid()
    a_o.label = "a_o"
    E = 0.5 * (0.9 - a_o) ** 2  # noqa: N806 (the textbook's name for the error)
    E.label = "E"
    return {"x1": x1, "x2": x2, "in1": in1, "in2": in2, "a1": a1, "a2": a2, "in_o": in_o,
            "a_o": a_o, "E": E, **w}  # fmt: skip


def delta_rule_claims(net: dict[str, Value]) -> dict[Value | str, float]:
    """The textbook's dE/d(node), from the delta rules on plain floats."""
    a = {k: net[k].data for k in ("a1", "a2", "a_o")}
    delta_o = (0.9 - a["a_o"]) * a["a_o"] * (1 - a["a_o"])
    w_out = [net["w1o"].data, net["w2o"].data]
    delta_h = [a[k] * (1 - a[k]) * w * delta_o for k, w in zip(("a1", "a2"), w_out)]
    return {
        "E": 1.0,
        "in_o": -delta_o,
        "w1o": -a["a1"] * delta_o,
        "w2o": -a["a2"] * delta_o,
        "in1": -delta_h[0],
        "in2": -delta_h[1],
        net["w11"]: -net["x1"].data * delta_h[0],
        net["w21"]: -net["x2"].data * delta_h[0],
    }


def test_a_right_derivation_passes() -> None:
    net = sigmoid_net()
    assert check_by_hand(net["E"], delta_rule_claims(net)) is True


def test_the_first_wrong_node_in_backward_order_comes_first() -> None:
    net = sigmoid_net()
    claims = delta_rule_claims(net)
    claims["w1o"] = 0.0  # a forgotten output weight gradient
    claims["in1"] = -claims["in1"]  # a sign slip in a hidden delta
    claims["in_o"] = -claims["in_o"]  # and in the output delta, which the pass reaches first
    with pytest.raises(GradcheckError) as caught:
        check_by_hand(net["E"], claims)
    rows = caught.value.mismatches
    assert all(isinstance(r, WrongClaim) for r in rows)
    assert rows[0].name == "in_o"
    assert {r.name for r in rows} == {"in_o", "in1", "w1o"}
    assert [r.step for r in rows] == sorted(r.step for r in rows)
    assert rows[0].claimed == -rows[0].true == pytest.approx(claims["in_o"])
    (w1o,) = [r for r in rows if r.name == "w1o"]
    assert w1o.claimed == 0.0
    assert w1o.true == pytest.approx(net["a1"].data * rows[0].true)
    message = str(caught.value)
    assert message.startswith("check_by_hand: 3 of 8 claims are wrong")
    assert f"The first in backward order from E: in_o, claimed {rows[0].claimed!r}" in message
    table_lines = message.splitlines()[2:6]
    assert table_lines[0].split() == [
        "step", "node", "claimed", "backprop", "abs", "error", "rel", "error"
    ]  # fmt: skip
    assert [line.split()[1] for line in table_lines[1:]] == [r.name for r in rows]


def test_claims_by_value_and_unlabelled_nodes() -> None:
    x = Value(0.5, label="x")
    h = x.tanh()  # no label: named by its op and data in the report
    y = h * h
    with pytest.raises(GradcheckError, match=r"\(tanh, data 0\.462117\)") as caught:
        check_by_hand(y, {h: 1.0, x: 2 * math.tanh(0.5) * (1 - math.tanh(0.5) ** 2)})
    (row,) = caught.value.mismatches
    assert row.node is h and row.true == pytest.approx(2 * math.tanh(0.5))


def test_tolerances() -> None:
    x = Value(2.0, label="x")
    y = x * x
    assert check_by_hand(y, {"x": 4.0 + 1e-9})
    with pytest.raises(GradcheckError):
        check_by_hand(y, {"x": 4.0 + 1e-4})
    assert check_by_hand(y, {"x": 4.0 + 1e-4}, rtol=1e-3)
    assert check_by_hand(y, {"x": 4.0 + 1e-4}, atol=1e-3)


def test_checks_leave_no_gradients_behind() -> None:
    net = sigmoid_net()
    check_by_hand(net["E"], delta_rule_claims(net))
    assert all(v.grad == 0.0 for v in net.values())


@pytest.mark.parametrize(
    ("claims", "error", "match"),
    [
        ({"w99": 1.0}, KeyError, r"no node labelled 'w99'.*its labels: E, a1, a2"),
        ({"": 1.0}, KeyError, "no node labelled ''"),
        ({Value(1.0, label="stranger"): 1.0}, KeyError, "stranger.*is not in the graph"),
        ({"x": 1.0}, ValueError, "the label 'x' names 2 nodes"),
        ({3: 1.0}, TypeError, "keys must be Values or labels, got int"),
        ({"E": "1.0"}, TypeError, "the claim for 'E' must be a real number, got str"),
        ({"E": None}, TypeError, "got NoneType"),
        ({}, ValueError, "claimed is empty"),
    ],
)
def test_refuses_bad_claims(claims: dict[Any, Any], error: type[Exception], match: str) -> None:
    net = sigmoid_net()
    net["x1"].label = net["x2"].label = "x"  # an ambiguous label
    with pytest.raises(error, match=match):
        check_by_hand(net["E"], claims)


def test_a_node_claimed_twice_is_refused() -> None:
    net = sigmoid_net()
    with pytest.raises(ValueError, match=r"'a1' and Value.*name the same node"):
        check_by_hand(net["E"], {net["a1"]: 1.0, "a1": 1.0})


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda e: check_by_hand(1.0, {"E": 1.0}), TypeError, "output must be a Value, got float"),  # type: ignore[arg-type]
        (lambda e: check_by_hand(e, [("E", 1.0)]), TypeError, "claimed must be a dict"),  # type: ignore[arg-type]
        (lambda e: check_by_hand(e, {"E": 1.0}, atol=-1.0), ValueError, "atol must be >= 0"),
        (lambda e: check_by_hand(e, {"E": 1.0}, rtol=math.nan), ValueError, "rtol must be >= 0"),
    ],
)
def test_refuses_bad_arguments(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call(sigmoid_net()["E"])


def test_an_infinite_true_gradient_is_matched_only_by_itself() -> None:
    # sqrt'(0) = inf (PyTorch's too): inf's tolerance rtol * inf once passed every finite claim,
    # and inf - inf = nan failed the right one.
    x = Value(0.0, label="x")
    y = x.sqrt()
    assert check_by_hand(y, {x: math.inf})
    for wrong in (5.0, 0.0, -math.inf, math.nan, 1e308):
        with pytest.raises(GradcheckError) as caught:
            check_by_hand(y, {x: wrong})
        (row,) = caught.value.mismatches
        assert row.true == math.inf and row.name == "x"
    assert check_by_hand(-y, {x: -math.inf})


def test_a_nan_true_gradient_is_matched_only_by_nan() -> None:
    x = Value(1.0, label="x")
    y = x * Value(math.nan)
    assert check_by_hand(y, {x: math.nan})
    with pytest.raises(GradcheckError):
        check_by_hand(y, {x: 1.0})
