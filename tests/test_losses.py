"""Losses: values, gradients (finite differences and torch float64), stability, bad input."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd import Value, gradcheck
from nn import MLP, binary_cross_entropy, cross_entropy, hinge_loss, mse_loss
from tests.conftest import floats_in

LOSSES: list[Callable[..., Value]] = [mse_loss, hinge_loss, binary_cross_entropy]


def values(xs: list[float]) -> list[Value]:
    return [Value(x) for x in xs]


def pairs(lo: float, hi: float, targets: st.SearchStrategy[float]) -> st.SearchStrategy:
    """(predictions, targets) of the same length, 1 to 6 items."""
    return st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            st.lists(floats_in(lo, hi), min_size=n, max_size=n),
            st.lists(targets, min_size=n, max_size=n),
        )
    )


SIGNS = st.sampled_from([-1.0, 1.0])
UNIT = floats_in(0.0, 1.0)


def torch_value_and_grad(
    fn: Callable[..., object], preds: list[float], *rest: object
) -> tuple[float, list[float]]:
    torch = pytest.importorskip("torch")
    x = torch.tensor(preds, dtype=torch.float64, requires_grad=True)
    out = fn(x, *rest)
    out.backward()  # type: ignore[attr-defined]
    return float(out.detach()), x.grad.tolist()  # type: ignore[attr-defined]


def grads_of(loss: Value, xs: list[Value]) -> list[float]:
    loss.backward()
    return [x.grad for x in xs]


# ----- mse_loss ----------------------------------------------------------------------------------


@given(pairs(-5, 5, floats_in(-5, 5)))
def test_mse_value_and_gradcheck(case: tuple[list[float], list[float]]) -> None:
    p, t = case
    expected = sum((a - b) ** 2 for a, b in zip(p, t)) / len(p)
    assert mse_loss(values(p), t).data == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert gradcheck(lambda *x: mse_loss(list(x), t), p)


@given(pairs(-5, 5, floats_in(-5, 5)))
def test_mse_matches_torch(case: tuple[list[float], list[float]]) -> None:
    torch = pytest.importorskip("torch")
    p, t = case
    target = torch.tensor(t, dtype=torch.float64)
    value, grads = torch_value_and_grad(torch.nn.functional.mse_loss, p, target)
    xs = values(p)
    loss = mse_loss(xs, t)
    assert loss.data == pytest.approx(value, rel=1e-12, abs=1e-12)
    assert grads_of(loss, xs) == pytest.approx(grads, rel=1e-12, abs=1e-12)


def test_mse_targets_may_be_values_and_get_gradients() -> None:
    p, t = Value(3.0), Value(1.0)
    mse_loss([p], [t]).backward()
    assert (p.grad, t.grad) == (4.0, -4.0)


def test_keyword_names_are_the_apis() -> None:
    p = Value(0.5)
    assert mse_loss(preds=[p], targets=[1.0]).data == 0.25
    assert hinge_loss(scores=[p], labels=[1]).data == 0.5
    bce = binary_cross_entropy(probs_or_logits=[p], labels=[1], from_logits=False)
    assert bce.data == pytest.approx(math.log(2))
    assert cross_entropy(logits=[p, p], target_index=1).data == pytest.approx(math.log(2))


def test_mse_accepts_one_value_and_one_number() -> None:
    assert mse_loss(Value(2.0), 5).data == 9.0
    assert mse_loss(2.0, [5.0]).data == 9.0  # plain numbers in, a Value out
    assert isinstance(mse_loss(2.0, 5.0), Value)


# ----- hinge_loss --------------------------------------------------------------------------------


@given(pairs(-3, 3, SIGNS))
def test_hinge_value_and_gradcheck_away_from_the_kink(
    case: tuple[list[float], list[float]],
) -> None:
    s, y = case
    assume(all(abs(1 - a * b) > 1e-3 for a, b in zip(s, y)))
    expected = sum(max(0.0, 1 - a * b) for a, b in zip(s, y)) / len(s)
    assert hinge_loss(values(s), y).data == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert gradcheck(lambda *x: hinge_loss(list(x), y), s)


@given(pairs(-3, 3, SIGNS))
def test_hinge_matches_torch(case: tuple[list[float], list[float]]) -> None:
    torch = pytest.importorskip("torch")
    s, y = case
    labels = torch.tensor(y, dtype=torch.float64)
    value, grads = torch_value_and_grad(lambda x: torch.clamp(1 - labels * x, min=0).mean(), s)
    xs = values(s)
    loss = hinge_loss(xs, y)
    assert loss.data == pytest.approx(value, rel=1e-12, abs=1e-15)
    assert grads_of(loss, xs) == pytest.approx(grads, rel=1e-12, abs=1e-15)


def test_hinge_kink_has_zero_slope_like_relu() -> None:
    s = Value(1.0)
    hinge_loss([s], [1]).backward()
    assert s.grad == 0.0


def test_hinge_accepts_an_mlp_output_and_int_labels() -> None:
    model = MLP(2, [3, 1], seed=0)
    score = model([0.5, 0.5])
    assert isinstance(score, Value)
    loss = hinge_loss(score, -1)
    assert loss.data == pytest.approx(max(0.0, 1.0 + score.data), abs=1e-15)
    loss.backward()
    assert score.grad == (1.0 if 1.0 + score.data > 0 else 0.0)


@pytest.mark.parametrize("label", [0, 2, 0.5, -0.5])
def test_hinge_refuses_labels_other_than_plus_minus_one(label: float) -> None:
    with pytest.raises(ValueError, match="labels must be -1 or \\+1"):
        hinge_loss([Value(0.3)], [label])


# ----- binary_cross_entropy ----------------------------------------------------------------------


@given(pairs(0.01, 0.99, UNIT))
def test_bce_on_probabilities_gradcheck_and_torch(case: tuple[list[float], list[float]]) -> None:
    p, y = case
    expected = -sum(b * math.log(a) + (1 - b) * math.log(1 - a) for a, b in zip(p, y)) / len(p)
    xs = values(p)
    loss = binary_cross_entropy(xs, y)
    assert loss.data == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert gradcheck(lambda *x: binary_cross_entropy(list(x), y), p)
    torch = pytest.importorskip("torch")
    labels = torch.tensor(y, dtype=torch.float64)
    value, grads = torch_value_and_grad(torch.nn.functional.binary_cross_entropy, p, labels)
    assert loss.data == pytest.approx(value, rel=1e-12, abs=1e-12)
    assert grads_of(loss, xs) == pytest.approx(grads, rel=1e-10, abs=1e-12)


@given(pairs(-30, 30, UNIT))
def test_bce_from_logits_gradcheck_and_torch(case: tuple[list[float], list[float]]) -> None:
    z, y = case
    xs = values(z)
    loss = binary_cross_entropy(xs, y, from_logits=True)
    assert gradcheck(lambda *x: binary_cross_entropy(list(x), y, from_logits=True), z)
    torch = pytest.importorskip("torch")
    labels = torch.tensor(y, dtype=torch.float64)
    value, grads = torch_value_and_grad(
        torch.nn.functional.binary_cross_entropy_with_logits, z, labels
    )
    assert loss.data == pytest.approx(value, rel=1e-12, abs=1e-12)
    assert grads_of(loss, xs) == pytest.approx(grads, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("z", "y", "loss", "slope"),
    [
        (1000.0, 0.0, 1000.0, 1.0),
        (-1000.0, 1.0, 1000.0, -1.0),
        (1000.0, 1.0, 0.0, 0.0),
        (-1000.0, 0.0, 0.0, 0.0),
        (0.0, 1.0, math.log(2), -0.5),  # smooth at 0: the slope is sigmoid(0) - y
        (0.0, 0.0, math.log(2), 0.5),
    ],
)
def test_bce_from_logits_is_stable_at_extremes_and_smooth_at_zero(
    z: float, y: float, loss: float, slope: float
) -> None:
    x = Value(z)
    out = binary_cross_entropy(x, y, from_logits=True)
    out.backward()
    assert out.data == pytest.approx(loss, abs=1e-12)
    assert x.grad == pytest.approx(slope, abs=1e-12)


def test_bce_confident_right_answer_costs_zero_and_wrong_one_raises() -> None:
    assert binary_cross_entropy([Value(1.0), Value(0.0)], [1, 0]).data == 0.0
    with pytest.raises(ValueError, match="infinite loss; pass logits with from_logits=True"):
        binary_cross_entropy([Value(0.0)], [1])
    with pytest.raises(ValueError, match="infinite"):
        binary_cross_entropy([Value(1.0)], [0.5])


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_bce_refuses_a_probability_outside_0_1(p: float) -> None:
    with pytest.raises(ValueError, match="not a probability"):
        binary_cross_entropy([Value(p)], [1])


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label", [-1, 2, 1.5])
def test_bce_refuses_labels_outside_0_1(label: float, from_logits: bool) -> None:
    with pytest.raises(ValueError, match="outside \\[0, 1\\]"):
        binary_cross_entropy([Value(0.5)], [label], from_logits=from_logits)


# ----- cross_entropy -----------------------------------------------------------------------------


LOGITS = st.integers(2, 5).flatmap(
    lambda n: st.tuples(st.lists(floats_in(-20, 20), min_size=n, max_size=n), st.integers(0, n - 1))
)


@given(LOGITS)
def test_cross_entropy_value_gradcheck_and_torch(case: tuple[list[float], int]) -> None:
    z, t = case
    expected = math.log(sum(math.exp(v) for v in z)) - z[t]
    xs = values(z)
    loss = cross_entropy(xs, t)
    assert loss.data == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert gradcheck(lambda *x: cross_entropy(list(x), t), z)
    torch = pytest.importorskip("torch")
    value, grads = torch_value_and_grad(torch.nn.functional.cross_entropy, z, torch.tensor(t))
    assert loss.data == pytest.approx(value, rel=1e-12, abs=1e-12)
    assert grads_of(loss, xs) == pytest.approx(grads, rel=1e-12, abs=1e-15)


def test_cross_entropy_batch_is_the_mean_and_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    rows = [[0.5, -1.0, 2.0], [3.0, 0.0, -2.0], [0.1, 0.2, 0.3], [-4.0, 4.0, 0.0]]
    targets = [2, 0, 1, 0]
    xs = [values(r) for r in rows]
    loss = cross_entropy(xs, targets)
    singles = [cross_entropy(r, t).data for r, t in zip(rows, targets)]
    assert loss.data == pytest.approx(sum(singles) / 4, rel=1e-14)
    loss.backward()
    x = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(x, torch.tensor(targets))
    expected.backward()
    assert loss.data == pytest.approx(float(expected.detach()), rel=1e-12)
    assert [[v.grad for v in r] for r in xs] == [
        pytest.approx(g, rel=1e-12, abs=1e-15) for g in x.grad.tolist()
    ]


@pytest.mark.parametrize(("t", "loss"), [(0, 0.0), (1, 1000.0), (2, 2000.0)])
def test_cross_entropy_is_finite_for_huge_logits(t: int, loss: float) -> None:
    xs = values([1000.0, 0.0, -1000.0])
    out = cross_entropy(xs, t)
    out.backward()
    assert out.data == pytest.approx(loss, abs=1e-9)
    onehot = [1.0 if i == t else 0.0 for i in range(3)]
    assert [x.grad for x in xs] == pytest.approx([a - b for a, b in zip([1, 0, 0], onehot)])


@pytest.mark.parametrize("big", [1e8, 1e16, 1e300, -1e16])
def test_cross_entropy_of_two_equal_huge_logits_is_ln2_exactly(big: float) -> None:
    # The stable form log(sum_j exp(z_j - m)) - (z_t - m): adding m back before subtracting
    # z_t (the naive (log sum + m) - z_t) loses ln 2 to rounding, down to 0.0 for 1e16.
    xs = values([big, big])
    loss = cross_entropy(xs, 0)
    loss.backward()
    assert loss.data == math.log(2)
    assert [x.grad for x in xs] == [-0.5, 0.5]
    batch = cross_entropy([values([big, big]), values([big, big])], [1, 0])
    assert batch.data == math.log(2)


@pytest.mark.parametrize("big", [1e8, 1e16])
def test_cross_entropy_of_huge_logits_equals_torch_float64_exactly(big: float) -> None:
    torch = pytest.importorskip("torch")
    for z, t in (([big, big], 0), ([big, big - 1.0, big + 3.0], 1), ([big, 0.0], 1)):
        value, grads = torch_value_and_grad(torch.nn.functional.cross_entropy, z, torch.tensor(t))
        xs = values(z)
        loss = cross_entropy(xs, t)
        assert loss.data == value, (z, t)
        assert grads_of(loss, xs) == pytest.approx(grads, rel=1e-15, abs=1e-300)


@pytest.mark.parametrize(
    ("z", "t", "loss"),
    [([-1e308, 1e308], 1, 0.0), ([-1.5e308, 1.5e308], 1, 0.0), ([1e308, -1e308], 1, math.inf)],
)
def test_cross_entropy_at_the_largest_floats_is_torchs(z: list[float], t: int, loss: float) -> None:
    # The shift m must not overflow on the way: z_1 - z_0 = 2e308 is inf, yet the loss is finite.
    assert cross_entropy(values(z), t).data == loss
    torch = pytest.importorskip("torch")
    value, _ = torch_value_and_grad(torch.nn.functional.cross_entropy, z, torch.tensor(t))
    assert value == loss


@pytest.mark.parametrize(
    ("z", "t"),
    [
        ([-math.inf, 0.0], 1),
        ([0.0, -math.inf], 0),
        ([-math.inf, 1.0, 2.0], 2),
        ([-math.inf, 0.0], 0),
    ],
)
def test_cross_entropy_with_masked_logits_is_torchs(z: list[float], t: int) -> None:
    # -inf is the masking idiom: a masked class has probability 0, its logit gets gradient 0,
    # and the rest is the softmax over the classes left (the loss is inf for a masked target).
    xs = values(z)
    loss = cross_entropy(xs, t)
    grads = grads_of(loss, xs)
    kept = [i for i, zi in enumerate(z) if zi != -math.inf]
    if t in kept:
        assert loss.data == cross_entropy([z[i] for i in kept], kept.index(t)).data
        assert all(grads[i] == 0.0 for i in range(len(z)) if i not in kept)
    else:
        assert loss.data == math.inf
    torch = pytest.importorskip("torch")
    value, theirs = torch_value_and_grad(torch.nn.functional.cross_entropy, z, torch.tensor(t))
    assert loss.data == value
    assert grads == pytest.approx(theirs, rel=1e-15, abs=1e-300)


@pytest.mark.parametrize("targets", [[0, 0, 0], [2], [1, 0]])
def test_cross_entropy_refuses_one_sample_with_a_list_of_targets(targets: list[int]) -> None:
    # torch raises for cross_entropy(tensor([1., 2., 3.]), tensor([0, 0, 0])) too; reading the
    # three logits as three one-class rows would silently give a loss of 0.0.
    with pytest.raises(ValueError, match=f"one sample of 3 logits but a list of {len(targets)}"):
        cross_entropy(values([1.0, 2.0, 3.0]), targets)
    with pytest.raises(ValueError, match="one sample of 3 logits"):
        cross_entropy([1.0, 2.0, 3.0], targets)


def test_cross_entropy_refuses_a_batch_with_one_target() -> None:
    rows = [values([1.0, 2.0]), values([0.0, 1.0])]
    with pytest.raises(ValueError, match="a batch of 2 rows of logits but one target index 0"):
        cross_entropy(rows, 0)


def test_cross_entropy_refuses_a_mix_of_rows_and_numbers() -> None:
    with pytest.raises(TypeError, match=r"logits\[1\] is a float"):
        cross_entropy([values([1.0, 2.0]), 3.0], [0, 0])
    with pytest.raises(TypeError, match=r"logits\[1\] is a list"):
        cross_entropy([1.0, values([1.0, 2.0])], 0)


def test_cross_entropy_takes_a_models_outputs_as_a_batch_of_rows() -> None:
    # A list of rows, each a list of Values: what [model(x) for x in xs] gives for nout >= 2.
    model = MLP(2, [3], seed=0)
    rows = [model([0.5, -0.5]), model([1.0, 2.0])]
    loss = cross_entropy(rows, [2, 0])
    expected = (cross_entropy(rows[0], 2).data + cross_entropy(rows[1], 0).data) / 2
    assert loss.data == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("t", [-1, 3, 10])
def test_cross_entropy_refuses_out_of_range_targets(t: int) -> None:
    with pytest.raises(ValueError, match=f"target {t} is out of range for 3 classes"):
        cross_entropy(values([1.0, 2.0, 3.0]), t)


@pytest.mark.parametrize("t", [True, 1.0, "1", None])
def test_cross_entropy_refuses_non_index_targets(t: object) -> None:
    with pytest.raises(TypeError):
        cross_entropy(values([1.0, 2.0, 3.0]), t)  # type: ignore[arg-type]


def test_cross_entropy_batch_errors() -> None:
    rows = [values([1.0, 2.0]), values([0.0, 1.0])]
    with pytest.raises(ValueError, match="2 rows of logits but 3 targets"):
        cross_entropy(rows, [0, 1, 1])
    with pytest.raises(ValueError, match="target 2 is out of range for 2 classes"):
        cross_entropy(rows, [0, 2])
    with pytest.raises(ValueError, match="empty"):
        cross_entropy([], [])


# ----- shared bad input --------------------------------------------------------------------------


@pytest.mark.parametrize("loss", LOSSES, ids=lambda f: f.__name__)
def test_mismatched_lengths_raise_value_error(loss: Callable[..., Value]) -> None:
    with pytest.raises(ValueError, match="3 predictions but 2 targets"):
        loss(values([0.5, 0.5, 0.5]), [1, 1])


@pytest.mark.parametrize("loss", LOSSES, ids=lambda f: f.__name__)
def test_empty_input_raises_value_error(loss: Callable[..., Value]) -> None:
    with pytest.raises(ValueError, match="predictions is empty"):
        loss([], [])


@pytest.mark.parametrize("loss", LOSSES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad", [["0.5"], [None], [[Value(0.5)]], [True]], ids=str)
def test_non_numeric_predictions_raise_type_error(loss: Callable[..., Value], bad: list) -> None:
    with pytest.raises(TypeError, match=r"predictions\[0\] must be a real number"):
        loss(bad, [1])
