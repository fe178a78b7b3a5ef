"""Long sums of products of parameters (an L2 penalty inside a per-sample loss) as one dot
product in batched numpy steps, against the eager engine on the whole batch (to 1e-12)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from autograd import Value, compile_grad
from nn import MLP, SGD, hinge_loss, make_moons, signed_labels
from tests.test_batched import close, numpy_sources


def eager_mean(
    f: Any, params: list[Value], xs: list[Any], ys: list[float]
) -> tuple[float, list[float]]:
    """f's mean over the samples, and its gradients, by the eager engine (grads restored)."""
    before = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    loss = sum((f(x, y) for x, y in zip(xs, ys)), Value(0.0)) / len(ys)
    loss.backward()
    grads = [p.grad for p in params]
    for p, g in zip(params, before):
        p.grad = g
    return loss.data, grads


def run(f: Any, params: list[Value], xs: list[Any], ys: list[float]) -> tuple[float, list[float]]:
    """The batched numpy step's loss and gradients (numpy must run, not the loop)."""
    for p in params:
        p.grad = 0.0
    step = compile_grad(f, params, batch="mean", numpy=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = step(xs, ys)
    return loss, [p.grad for p in params]


def agree(ours: tuple[float, list[float]], eager: tuple[float, list[float]]) -> None:
    assert close(ours[0], eager[0]), (ours[0], eager[0])
    bad = [(a, b) for a, b in zip(ours[1], eager[1]) if not close(a, b)]
    assert not bad, bad


def test_an_l2_term_in_the_per_sample_loss_is_one_dot_product(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # sum(p * p for p in params), written inside the loss: one `@` forward and one block of
    # gradients 2 T p backward, not 337 products and 337 sums; the losses and gradients of
    # five SGD steps agree with eager's.
    pytest.importorskip("numpy")
    sources = numpy_sources(monkeypatch)
    xs, labels = make_moons(40, noise=0.1, seed=1)
    ys = signed_labels(labels)
    model, twin = MLP(2, [16, 16, 1], seed=5), MLP(2, [16, 16, 1], seed=5)
    params, theirs = model.parameters(), twin.parameters()

    def f(x: Any, y: Any) -> Value:
        return hinge_loss(model(x), y) + 1e-4 * sum(p * p for p in params)

    def g(x: Any, y: Any) -> Value:
        return hinge_loss(twin(x), y) + 1e-4 * sum(p * p for p in theirs)

    step = compile_grad(f, params, batch="mean", numpy=True)
    opt, opt_eager = SGD(params, lr=0.5), SGD(theirs, lr=0.5)
    for _ in range(5):
        opt.zero_grad()
        opt_eager.zero_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loss = step(xs, ys)
        agree((loss, [p.grad for p in params]), eager_mean(g, theirs, xs, ys))
        for p, q in zip(theirs, eager_mean(g, theirs, xs, ys)[1]):
            p.grad = q
        opt.step()
        opt_eager.step()
    (source,) = sources
    for line in ["S0a = Ea[0:337]", "S0b = S0a", "float(S0a @ S0b)", "GS0a = (2.0 * T0) * S0a"]:
        assert line in source, (line, source)
    assert "e336" not in source, source  # no parameter read one by one


def test_products_of_two_lists_and_a_sum_that_depends_on_the_sample() -> None:
    # sum(a_k * b_k) over two lists of parameters (a's gradient is b, b's is a), times a
    # per-sample factor, so the chain's gradient differs from sample to sample.
    np = pytest.importorskip("numpy")
    a = [Value(0.1 * k - 0.5) for k in range(10)]
    b = [Value(0.3 - 0.07 * k) for k in range(10)]
    params = a + b

    def f(x: Any, y: Any) -> Value:
        return (x[0] * sum(p * q for p, q in zip(a, b)) - y) ** 2

    xs = np.array([[0.5, 1.0], [2.0, -1.0], [-1.5, 0.0], [0.25, 3.0]])
    ys = [1.0, -2.0, 0.5, 0.3]
    agree(run(f, params, xs, ys), eager_mean(f, params, xs.tolist(), ys))


def test_a_sum_read_elsewhere_or_compared_and_constants_in_products() -> None:
    # The partial sum s5 is also read by the loss (the chain ends there and a new one starts
    # from it); the total is compared (a guard); a product with a Value that is not a
    # parameter gives no gradient to that Value; a product with a constant f made is not
    # part of a chain.
    np = pytest.importorskip("numpy")
    w = [Value(0.2 + 0.1 * k) for k in range(20)]
    fixed = Value(0.5)  # made outside f, not a parameter

    def f(x: Any, y: Any) -> Value:
        s: Any = 0
        for k in range(10):
            s = s + w[k] * w[k]
        s5 = s
        for k in range(10, 20):
            s = s + w[k] * fixed
        s = s + w[0] * 3.0
        out = (x[0] * s - y) ** 2 + 0.1 * s5
        return out if s > 1.0 else out * 2.0

    xs = np.array([[0.5, 1.0], [2.0, -1.0], [-1.5, 0.0]])
    ys = [1.0, -2.0, 0.5]
    ours = run(f, w, xs, ys)
    assert fixed.grad == 0.0  # only the parameters' grads change
    agree(ours, eager_mean(f, w, xs.tolist(), ys))


@pytest.mark.parametrize("n", [3, 8])
def test_short_sums_stay_node_by_node_and_agree_either_way(
    n: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    np = pytest.importorskip("numpy")
    sources = numpy_sources(monkeypatch)
    w = [Value(0.3 - 0.1 * k) for k in range(n)]

    def f(x: Any, y: Any) -> Value:
        return (x[0] * sum(p * p for p in w) - y) ** 2

    xs = np.array([[0.5], [2.0], [-1.5]])
    ys = [1.0, -2.0, 0.5]
    agree(run(f, w, xs, ys), eager_mean(f, w, xs.tolist(), ys))
    assert ("@" in sources[-1]) == (n >= 8), sources[-1]
