"""Loss functions: pure functions from predictions and targets to one Value.

Imports autograd's public API only. Predictions may be one Value (what a one-output MLP
returns) or a flat list of Values and numbers. mse_loss's targets may be Values and get
gradients; the labels of the other losses are read as constants. Every loss is a mean over its
items, as PyTorch's reduction="mean".
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Sequence
from typing import Any

from autograd import Number, Value, as_float, exp, log, maximum, primitive, sigmoid

# NOTE: a model's output is typed Value | list[Value] (its size is known only at run time), so
# [model(x) for x in xs] is a list[Value | list[Value]] to mypy. The losses check every item at
# run time and raise TypeError for anything but a Value or a number, so their annotations accept
# any sequence rather than force a cast on every caller.
Items = Value | Number | Sequence[object]


def _as_values(x: object, what: str, loss: str) -> list[Value]:
    """x as a non-empty list of Values; a lone Value or number is one item, numbers become
    constant leaves."""
    if isinstance(x, (Value, numbers.Real)):
        x = [x]
    if isinstance(x, str) or not isinstance(x, Sequence):
        raise TypeError(
            f"{loss}: {what} must be a Value, a number or a list of them, got {type(x).__name__}"
        )
    if not x:
        raise ValueError(f"{loss}: {what} is empty")
    return [
        item if isinstance(item, Value) else Value(as_float(item, f"{loss}: {what}[{i}]"))
        for i, item in enumerate(x)
    ]


def _pair(preds: Items, targets: Items, loss: str) -> tuple[list[Value], list[Value]]:
    """Predictions and targets as lists of Values, checked to have the same length."""
    p = _as_values(preds, "predictions", loss)
    t = _as_values(targets, "targets", loss)
    if len(p) != len(t):
        raise ValueError(f"{loss}: {len(p)} predictions but {len(t)} targets")
    return p, t


def _mean(terms: list[Value]) -> Value:
    """(t_1 + ... + t_n) / n."""
    # Starting the sum at the first term (not at 0) adds no constant node.
    return sum(terms[1:], terms[0]) * (1.0 / len(terms))


def mse_loss(preds: Items, targets: Items) -> Value:
    """mean_i (p_i - t_i)**2.  d/dp_i = 2 (p_i - t_i) / n"""
    p, t = _pair(preds, targets, "mse_loss")
    return _mean([(pi - ti) ** 2 for pi, ti in zip(p, t)])


def hinge_loss(scores: Items, labels: Items) -> Value:
    """mean_i relu(1 - y_i * s_i), labels y_i in {-1, +1}.

    d/ds_i = -y_i / n where y_i s_i < 1, and 0 where y_i s_i >= 1. NOTE: at the kink
    y_i s_i == 1 the slope is 0, relu's subgradient at 0 as in PyTorch.
    """
    s, y = _pair(scores, labels, "hinge_loss")
    terms = []
    for i, (si, yi) in enumerate(zip(s, y)):
        if abs(yi).data != 1.0:
            raise ValueError(f"hinge_loss: label {i} is {yi.data!r}; labels must be -1 or +1")
        terms.append((1.0 - yi.detach() * si).relu())
    return _mean(terms)


def binary_cross_entropy(probs_or_logits: Items, labels: Items, from_logits: bool = False) -> Value:
    """-mean_i [y_i log p_i + (1 - y_i) log(1 - p_i)], labels y_i in [0, 1].

    On probabilities p_i:  d/dp_i = (p_i - y_i) / (p_i (1 - p_i) n).
    On logits z_i (from_logits=True, p_i = sigmoid(z_i)): the same loss written stably as
    mean_i [softplus(z_i) - y_i z_i].  d/dz_i = (sigmoid(z_i) - y_i) / n
    """
    x, y = _pair(probs_or_logits, labels, "binary_cross_entropy")
    terms = []
    for i, (xi, yi) in enumerate(zip(x, y)):
        if not 0.0 <= yi <= 1.0:
            raise ValueError(f"binary_cross_entropy: label {i} is {yi.data!r}, outside [0, 1]")
        if from_logits:
            terms.append(_softplus(xi) - yi.detach() * xi)
        else:
            terms.append(_bce_on_probability(xi, yi.data, i))
    return _mean(terms)


def _bce_on_probability(p: Value, y: float, i: int) -> Value:
    """-(y log p + (1 - y) log(1 - p)), leaving out a term whose weight y or 1 - y is 0."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"binary_cross_entropy: prediction {i} is {p.data!r}, not a probability")
    # NOTE: a confident wrong answer (p = 0 with y > 0, or p = 1 with y < 1) has an infinite
    # loss. PyTorch clamps each log at -100 there; we refuse instead and point at the stable
    # alternative. A term with weight 0 is left out, so p = 1 with y = 1 costs exactly 0.
    if (p <= 0.0 and y > 0.0) or (p >= 1.0 and y < 1.0):
        raise ValueError(
            f"binary_cross_entropy: prediction {i} is {p.data!r} for label {y!r}, an infinite "
            f"loss; pass logits with from_logits=True instead"
        )
    parts = []
    if y != 0.0:
        parts.append(y * p.log())
    if y != 1.0:
        parts.append((1.0 - y) * (1.0 - p).log())
    return -sum(parts[1:], parts[0])


def _softplus_forward(z: Any) -> Any:
    # NOTE: exp only ever sees a non-positive number, so z = +-1000 cannot overflow:
    # for z > 0, log(1 + exp(z)) = z + log(1 + exp(-z)). Without log1p, log(1 + tiny) rounds to
    # 0, so softplus(z) for z < -37 is 0.0 instead of about exp(z): an absolute error below
    # 1e-16.
    if z > 0:
        return z + log(1.0 + exp(-z))
    return log(1.0 + exp(z))


# softplus(z) = log(1 + exp(z)).  d/dz = sigmoid(z), smooth at 0 (slope 0.5).
_softplus = primitive("softplus", _softplus_forward, lambda g, out, z: (g * sigmoid(z),))


def cross_entropy(logits: Value | Sequence[object], target_index: int | Sequence[int]) -> Value:
    """-log softmax(z)[t] = log(sum_j exp(z_j)) - z_t.  d/dz_j = softmax(z)_j - [j == t]

    One sample: `logits` is a list of class scores and `target_index` one class index t.
    A batch: `logits` is a list of such rows and `target_index` a list of indices, one per row;
    the result is the mean over the batch. Anything in between (one row with a list of targets,
    a batch with one target, a mix of rows and numbers) is refused, as in PyTorch: reading
    [1., 2., 3.] with targets [0, 0, 0] as three one-class rows would quietly give 0.0.
    """
    rows = _rows_of(logits)
    if isinstance(target_index, Value):
        target_index = _class_index(target_index)  # type: ignore[assignment]
    if isinstance(target_index, numbers.Integral) and not isinstance(target_index, bool):
        if rows:
            raise ValueError(
                f"cross_entropy: a batch of {len(rows)} rows of logits but one target index "
                f"{target_index!r}; pass a list of {len(rows)} class indices"
            )
        return _nll_of_softmax(logits, target_index)
    if isinstance(target_index, str) or not isinstance(target_index, Sequence):
        raise TypeError(
            f"cross_entropy: target_index must be a class index or a list of them, "
            f"got {type(target_index).__name__}"
        )
    if rows is None:
        n = len(logits) if isinstance(logits, Sequence) else 1
        raise ValueError(
            f"cross_entropy: one sample of {n} logits but a list of {len(target_index)} target "
            f"indices; pass one class index for one sample, or a list of rows for a batch"
        )
    if len(rows) != len(target_index):
        raise ValueError(
            f"cross_entropy: {len(rows)} rows of logits but {len(target_index)} targets"
        )
    if not rows:
        raise ValueError("cross_entropy: the batch is empty")
    return _mean([_nll_of_softmax(row, t) for row, t in zip(rows, target_index)])


def _rows_of(logits: object) -> list[object] | None:
    """logits as a batch (a list of rows), or None for one sample (a list of scores).

    The first item decides which; every other item must be of the same kind. An empty list is
    an empty batch.
    """
    if isinstance(logits, str) or not isinstance(logits, Sequence):
        return None
    items = list(logits)
    batch = not items or _is_row(items[0])
    for i, item in enumerate(items):
        if _is_row(item) != batch:
            kind = "a row of logits" if batch else "a score"
            raise TypeError(
                f"cross_entropy: logits[0] is {kind} but logits[{i}] is a "
                f"{type(item).__name__}; pass one row of scores, or a list of rows"
            )
    return items if batch else None


def _is_row(x: object) -> bool:
    """A list or tuple (any sequence but a string): a row of logits, or a batch of rows."""
    return isinstance(x, Sequence) and not isinstance(x, str)


def _class_index(t: Value) -> int | Value:
    """The class index a Value holds (a compiled step's data are Values). Left as it is if not
    whole."""
    return int(t.data) if t.data.is_integer() else t


def _nll_of_softmax(logits: object, t: object) -> Value:
    """-log softmax(z)[t] for one sample, via a stable log-sum-exp."""
    z = _as_values(logits, "logits", "cross_entropy")
    if isinstance(t, Value):
        t = _class_index(t)
    if isinstance(t, bool) or not isinstance(t, numbers.Integral):
        raise TypeError(f"cross_entropy: target {t!r} is not a class index")
    index = int(t)
    if not 0 <= index < len(z):
        raise ValueError(f"cross_entropy: target {index} is out of range for {len(z)} classes")
    # NOTE: with m = max_j z_j, -log softmax(z)[t] = log(sum_j exp(z_j - m)) - (z_t - m). Every
    # exp sees a number <= 0 and one of them is exp(0) = 1, so [1000, 0, -1000] stays finite,
    # and m never meets the small log-sum: the naive (log(sum) + m) - z_t rounds ln 2 away
    # for two logits of 1e16 (giving 0.0). m is detached: it cancels out of the loss,
    # so it needs no gradient. This is how PyTorch's log_softmax computes it.
    m = functools.reduce(maximum, z).detach()
    exps = [(zi - m).exp() for zi in z]
    return sum(exps[1:], exps[0]).log() - (z[index] - m)
