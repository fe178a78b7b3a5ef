"""Batched steps: one sample's trace replayed over the batch, with numpy and as a Python loop,
against the eager engine on the whole batch (to 1e-12: sums are added in another order)."""

from __future__ import annotations

import math
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autograd import Value, compile_grad, dot
from autograd.compiling import batched, numpy_replay
from autograd.compiling.tracing import UntraceableWarning
from nn import (
    MLP,
    SGD,
    binary_cross_entropy,
    cross_entropy,
    hinge_loss,
    make_moons,
    make_spiral,
    mse_loss,
    signed_labels,
)
from tests.conftest import run_python

ROOT = Path(__file__).resolve().parent.parent
MODES = [pytest.param(None, id="numpy"), pytest.param(False, id="python-loop")]


def close(a: float, b: float) -> bool:
    """To 1e-12 relative; a gradient that cancels to about zero is compared to 1e-15 absolute."""
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


def check(loss: float, eager: Value, ours: list[Value], theirs: list[Value]) -> None:
    assert close(loss, eager.data), (loss, eager.data)
    bad = [(a.grad, b.grad) for a, b in zip(ours, theirs) if not close(a.grad, b.grad)]
    assert not bad, bad


def models(sizes: list[int], seed: int = 3) -> tuple[MLP, MLP]:
    return MLP(2, sizes, seed=seed), MLP(2, sizes, seed=seed)


@pytest.mark.parametrize("numpy", MODES)
def test_hinge_with_l2_beside_it_matches_eager_step_after_step(numpy: bool | None) -> None:
    xs, ys = make_moons(300, noise=0.1, seed=0)
    ys = signed_labels(ys)
    eager_model, model = models([16, 16, 1])
    theirs, ours = eager_model.parameters(), model.parameters()
    data = compile_grad(lambda x, y: hinge_loss(model(x), y), ours, batch="mean", numpy=numpy)
    reg = compile_grad(lambda: 1e-4 * sum(p * p for p in ours), ours)  # depends on params only
    opt_eager, opt = SGD(theirs, lr=0.5), SGD(ours, lr=0.5)
    for _ in range(5):
        opt_eager.zero_grad()
        opt.zero_grad()
        eager = hinge_loss([eager_model(x) for x in xs], ys) + 1e-4 * sum(p * p for p in theirs)
        eager.backward()
        check(data(xs, ys) + reg(), eager, ours, theirs)
        opt_eager.step()
        opt.step()
    assert data.traces == 1  # one sample's trace serves every sample and every step


@pytest.mark.parametrize("numpy", MODES)
def test_cross_entropy_on_a_spiral_traces_once_per_class(numpy: bool | None) -> None:
    xs, ys = make_spiral(90, 3, seed=2)
    eager_model, model = models([12, 3])
    theirs, ours = eager_model.parameters(), model.parameters()
    step = compile_grad(lambda x, y: cross_entropy(model(x), y), ours, batch="mean", numpy=numpy)
    for _ in range(4):
        eager = cross_entropy([eager_model(x) for x in xs], ys)
        eager.backward()
        check(step(xs, ys), eager, ours, theirs)
        for a, b in zip(theirs, ours):
            a.data -= 0.5 * a.grad
            b.data -= 0.5 * b.grad
            a.grad = b.grad = 0.0
    # The target index is read (it picks a logit): a guard on its value, one trace per class.
    assert step.traces == 3


@pytest.mark.parametrize("numpy", MODES)
def test_sum_and_mean_reductions(numpy: bool | None) -> None:
    xs = [[0.5, -1.0], [2.0, 0.25], [-1.5, 1.0]]
    ys = [1.0, -2.0, 0.5]
    eager_model, model = models([4, 1], seed=5)
    theirs, ours = eager_model.parameters(), model.parameters()
    step = compile_grad(lambda x, y: (model(x) - y) ** 2, ours, batch="sum", numpy=numpy)
    eager = sum(((eager_model(x) - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))
    eager.backward()
    check(step(xs, ys), eager, ours, theirs)
    for p in theirs + ours:
        p.grad = 0.0
    mean = compile_grad(lambda x, y: mse_loss(model(x), y), ours, batch="mean", numpy=numpy)
    eager = mse_loss([eager_model(x) for x in xs], ys)
    eager.backward()
    check(mean(xs, ys), eager, ours, theirs)


@pytest.mark.parametrize("numpy", MODES)
def test_samples_whose_guards_differ_get_their_own_trace(numpy: bool | None) -> None:
    # bce on probabilities leaves out the term whose weight is 0: its graph depends on the label.
    xs, ys = make_moons(40, noise=0.2, seed=1)
    eager_model, model = models([6, 1])
    theirs, ours = eager_model.parameters(), model.parameters()
    step = compile_grad(
        lambda x, y: binary_cross_entropy(model(x).sigmoid(), y), ours, batch="mean", numpy=numpy
    )
    eager = binary_cross_entropy([eager_model(x).sigmoid() for x in xs], ys)
    eager.backward()
    check(step(xs, ys), eager, ours, theirs)
    assert step.traces == 2

    # A branch of f's own on a parameter-dependent value: samples on each side.
    w = Value(0.7)
    branchy = compile_grad(lambda x: (w * x) ** 2 if w * x > 0 else -(w * x), [w], batch="sum")
    xs1 = [1.0, -2.0, 3.0, -0.5, 0.0]
    assert branchy(xs1) == pytest.approx(
        sum((0.7 * x) ** 2 if 0.7 * x > 0 else -0.7 * x for x in xs1)
    )
    assert w.grad == pytest.approx(sum(2 * 0.7 * x * x if x > 0 else -x for x in xs1))
    assert branchy.traces == 2


@pytest.mark.parametrize("numpy", MODES)
def test_columns_can_be_numpy_arrays_and_ragged_samples_are_grouped(numpy: bool | None) -> None:
    np = pytest.importorskip("numpy")
    w = Value(2.0)
    step = compile_grad(
        lambda x, y: sum((w * xi - y) ** 2 for xi in x), [w], batch="sum", numpy=numpy
    )
    xs = np.array([[1.0, 2.0], [0.5, -1.0]])
    ys = np.array([1.0, 0.0])
    expected = (2 - 1) ** 2 + (4 - 1) ** 2 + 1.0**2 + 2.0**2
    assert step(xs, ys) == pytest.approx(expected)
    assert step(xs.tolist(), ys.tolist()) == pytest.approx(expected)
    assert step(xs.astype(int), ys) == pytest.approx(1 + 9 + 0 + 4)
    assert step.traces == 1  # an array's rows and lists of the same length: one shape
    with pytest.raises(TypeError, match="got bool"):
        step(xs, np.array([True, False]))  # a bool array is refused, as a list of bools is
    ragged = [[1.0], [1.0, 2.0], [3.0]]
    assert step(ragged, [0.0, 0.0, 1.0]) == pytest.approx(4 + 4 + 16 + 25)
    assert step.traces == 2  # pairs (as the array's rows) and single numbers: two shapes


def test_bad_columns_are_refused_and_change_nothing() -> None:
    w = Value(1.0)
    step = compile_grad(lambda x: w * x, [w], batch="mean")
    with pytest.raises(ValueError, match=r"differ in length: \[2, 3\]"):
        step([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="data must be a real number, got bool"):
        step([1.0, True])
    with pytest.raises(TypeError, match="column 0 is a float"):
        step(1.0)
    with pytest.raises(ValueError, match="at least one sample"):
        step([])
    assert w.grad == 0.0
    with pytest.raises(ValueError, match="numpy= is for batched steps"):
        compile_grad(lambda x: w * x, [w], numpy=False)


@pytest.mark.parametrize("numpy", MODES)
def test_an_op_that_raises_for_one_sample_raises_as_eager_code_does(numpy: bool | None) -> None:
    w = Value(1.0)
    step = compile_grad(lambda x: (w * x).log(), [w], batch="sum", numpy=numpy)
    assert step([1.0, 2.0]) == pytest.approx(math.log(2.0))
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match=r"log of non-positive value 0\.0"):
            step([1.0, 0.0, 2.0])  # numpy gives -inf here: the Python loop, then eager code, decide
    assert len(said) == (0 if step.np is None else 1)  # leaving numpy is said, with the reason
    assert w.grad == pytest.approx(1.0 + 1.0)  # the failed call added nothing


@pytest.mark.parametrize("numpy", MODES)
def test_a_read_inside_a_per_sample_loss_runs_it_eagerly_and_warns(numpy: bool | None) -> None:
    w = Value(2.0)

    def f(x: Value) -> Value:
        out = w * x
        return out * out.data  # the read: a constant only for this sample and this w

    step = compile_grad(f, [w], batch="sum", numpy=numpy)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert step([1.0, 3.0]) == 4.0 + 36.0
        assert step([1.0, 3.0]) == 4.0 + 36.0
    assert [c.category for c in caught] == [UntraceableWarning]
    assert "test_batched.py" in str(caught[0].message)
    assert w.grad == 2 * (2.0 + 18.0)


def run_without_numpy(code: str) -> subprocess.CompletedProcess[str]:
    blocked = "import sys; sys.modules['numpy'] = None\n"  # import numpy now raises ImportError
    return run_python(blocked + code)


def test_without_numpy_the_python_loop_runs_and_numpy_true_says_how_to_install() -> None:
    code = (
        "from autograd import Value, compile_grad\n"
        "w = Value(2.0)\n"
        "step = compile_grad(lambda x: w * x, [w], batch='sum')\n"
        "print(step([1.0, 2.0]), w.grad, repr(step))\n"
        "compile_grad(lambda x: w * x, [w], batch='sum', numpy=True)\n"
    )
    result = run_without_numpy(code)
    assert (
        result.stdout.splitlines()[0] == "6.0 3.0 BatchedStep(<lambda>, sum, Python loop, 1 traces)"
    )
    assert "ImportError: compile_grad(numpy=True) needs numpy" in result.stderr
    assert "chainrule[fast]" in result.stderr


@pytest.mark.parametrize("numpy", MODES)
def test_tanh_and_sigmoid_networks_and_bce_on_logits(numpy: bool | None) -> None:
    xs, ys = make_moons(30, noise=0.1, seed=3)
    for activation in ("tanh", "sigmoid"):
        eager_model = MLP(2, [8, 8, 1], activation, seed=1)
        model = MLP(2, [8, 8, 1], activation, seed=1)
        theirs, ours = eager_model.parameters(), model.parameters()

        def f(x: Any, y: Any, model: MLP = model) -> Value:
            return binary_cross_entropy(model(x), y, from_logits=True)

        step: Callable[..., float] = compile_grad(f, ours, batch="mean", numpy=numpy)
        eager = binary_cross_entropy([eager_model(x) for x in xs], ys, from_logits=True)
        eager.backward()
        check(step(xs, ys), eager, ours, theirs)


def numpy_sources(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The code of the numpy programs compiled from now on (by numpy_replay's own compile)."""
    sources: list[str] = []
    compile_function = numpy_replay.compile_function

    def compiled(source: str, *args: Any) -> Any:
        sources.append(source)
        return compile_function(source, *args)

    monkeypatch.setattr(numpy_replay, "compile_function", compiled)
    return sources


@pytest.mark.parametrize(
    "slice_", [pytest.param(200_000, id="whole"), pytest.param(60, id="sliced")]
)
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_a_network_is_a_few_matrix_calls_per_layer_forward_and_backward(
    activation: str, slice_: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each layer one product; its activation one call on the whole matrix, which is the next
    # layer's input; backward, the activation's rule on whole matrices; the weights read in one
    # slice of Ea and their gradient matrices added into one array, in the parameters' order.
    # With a small slice, the products are made of slices of the samples (as they are for
    # large batches).
    pytest.importorskip("numpy")
    monkeypatch.setattr(numpy_replay, "_SLICE", slice_)
    sources = numpy_sources(monkeypatch)
    xs, ys = make_moons(50, noise=0.1, seed=4)
    ys = signed_labels(ys)
    eager_model = MLP(2, [8, 8, 1], activation, seed=2)
    model = MLP(2, [8, 8, 1], activation, seed=2)
    theirs, ours = eager_model.parameters(), model.parameters()
    step = compile_grad(lambda x, y: hinge_loss(model(x), y), ours, batch="mean", numpy=True)
    eager = hinge_loss([eager_model(x) for x in xs], ys)
    eager.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy, not the loop
        check(step(xs, ys), eager, ours, theirs)
    (source,) = sources
    # relu's comparison is made once, forward, and read again by its rule backward.
    forward = "where(C0, 0.0, M0)" if activation == "relu" else "F0(M0)"
    backward = "where(C0, 0.0, GX1)" if activation == "relu" else ""
    for line in [
        f"A0 = {forward}",
        f"GA0 = {backward}",
        'X1 = _with_ones(A0, out=B.matrix("X1", 9, n))',  # into the call's buffer for X1
        "W1 = Ea[24:96].reshape(8, 9)",
        'GX1 = _product_tn(W1[:, :8], GA1, out=B.matrix("GX1", 8, n))',
        "GW0 = _product_nt(GA0, X0)",
        "GE = concatenate((GW0.ravel(), GW1.ravel(), GW2.ravel(), ))",  # the layers cover Ea
        "n), GE\n",  # the gradients as one array
    ]:
        assert line in source, (line, source)
    assert source.count("_rows(") == 2, source  # X0 from the data, and G2 from the loss
    assert source.count("<= 0)") == (3 if activation == "relu" else 1), source  # C0, C1, C2
    assert "_each" not in source and "M1[" not in source, source


def test_a_comparison_that_comes_twice_is_made_once() -> None:
    # Shared only where its names mean the same everywhere: g5 is assigned twice (a long sum).
    lines = [
        "M0 = _product(W0, X0)",
        "A0 = where((M0 <= 0), 0.0, M0)",
        "g5 = (g5 > 1.5)",
        "g5 = g5 + (g5 > 1.5)",
        "GA0 = where((M0 <= 0), 0.0, GX1)",
    ]
    shared, loss = numpy_replay._shared_tests(lines, "where((M0 <= 0), 0.0, (M0 < 2))")
    assert shared == [
        "M0 = _product(W0, X0)",
        "C0 = (M0 <= 0)",
        "A0 = where(C0, 0.0, M0)",
        "g5 = (g5 > 1.5)",
        "g5 = g5 + (g5 > 1.5)",
        "GA0 = where(C0, 0.0, GX1)",
    ]
    assert loss == "where(C0, 0.0, (M0 < 2))"


def test_rows_read_elsewhere_get_their_gradients_row_by_row() -> None:
    # hidden[1] is also read by the loss, and w2[0] also by a term of its own: the layer below
    # is fed row by row, and w2[0]'s gradient comes in two parts that add up.
    np = pytest.importorskip("numpy")
    w1 = [[Value(0.3 * i - 0.2 * j + 0.1) for j in range(2)] for i in range(3)]
    b1 = [Value(0.1 * i) for i in range(3)]
    w2 = [Value(0.25 - 0.2 * i) for i in range(3)]
    params = [p for row in w1 for p in row] + b1 + w2

    def f(x: Any, y: Any) -> Value:
        hidden = [dot(w, x, b).relu() for w, b in zip(w1, b1)]
        return (dot(w2, hidden) - y) ** 2 + 0.5 * hidden[1] + w2[0] * w2[0]

    xs = np.array([[0.5, -1.0], [2.0, 0.25], [-1.5, 1.0], [0.1, 0.3], [1.0, 1.0]])
    ys = [1.0, -2.0, 0.5, 0.0, 0.3]
    step = compile_grad(f, params, batch="mean", numpy=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy, not the loop
        loss = step(xs, ys)
    ours = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    eager = sum((f(list(x), y) for x, y in zip(xs.tolist(), ys)), Value(0.0)) / len(ys)
    eager.backward()
    assert close(loss, eager.data), (loss, eager.data)
    bad = [(a, p.grad) for a, p in zip(ours, params) if not close(a, p.grad)]
    assert not bad, bad


@pytest.mark.parametrize("numpy", MODES)
def test_dot_layers_with_and_without_a_bias_become_matrix_products(
    numpy: bool | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two layers written with dot by hand: the first with a bias per unit, the second without.
    # With numpy each is one matrix product (the bias a last column of W, its input a last
    # row of X that is always 1), and the numpy program is the one that runs: it agreed with
    # eager code, or it would be dropped.
    pytest.importorskip("numpy")
    sources = numpy_sources(monkeypatch)
    verdicts: list[bool] = []

    def agreed(*args: Any) -> bool:  # batched's check of the numpy program, recording its verdict
        verdicts.append(numpy_replay.agrees(*args))
        return verdicts[-1]

    monkeypatch.setattr(batched, "agrees", agreed)
    xs = [[0.5, -1.0], [2.0, 0.25], [-1.5, 1.0], [0.1, 0.3]]
    ys = [1.0, -2.0, 0.5, 0.0]
    w1 = [[Value(0.1 * (i + j) - 0.3) for j in range(2)] for i in range(3)]
    b1 = [Value(0.05 * i - 0.1) for i in range(3)]
    w2 = [Value(0.2 * i - 0.25) for i in range(3)]
    params = [p for row in w1 for p in row] + b1 + w2

    def f(x: Any, y: Any) -> Value:
        hidden = [dot(w, x, b).tanh() for w, b in zip(w1, b1)]
        return (dot(w2, hidden) - y) ** 2

    step = compile_grad(f, params, batch="sum", numpy=numpy)
    loss = step(xs, ys)
    ours = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    eager = sum((f(x, y) for x, y in zip(xs, ys)), Value(0.0))
    eager.backward()
    assert close(loss, eager.data), (loss, eager.data)
    bad = [(a, p.grad) for a, p in zip(ours, params) if not close(a, p.grad)]
    assert not bad, bad
    if numpy is None:
        (source,) = sources
        assert source.count("_product(") == 2, source
        # X0's last row is the bias's input, always 1.
        assert 'X0 = _rows(n, d0, d1, 1.0, out=B.matrix("X0", 3, n))' in source, source
        assert "X1 = " in source and "X1 = _with_ones" not in source, source  # no bias here
        assert verdicts == [True]
    else:
        assert sources == verdicts == []


def test_a_step_that_leaves_numpy_for_the_python_loop_says_so_once_with_the_reason() -> None:
    pytest.importorskip("numpy")
    w = Value(1.0)
    step = compile_grad(lambda x: (w * x).exp(), [w], batch="sum", numpy=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        step([1.0, 2.0])  # numpy, silently: nothing to say
    with (
        pytest.warns(RuntimeWarning, match=r"Python loop, not numpy: numpy met FloatingPointError"),
        pytest.raises(OverflowError, match="exp"),
    ):
        step([1.0, 1000.0])  # numpy overflows; the loop, then eager code, raise as eager does
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once per step
        with pytest.raises(OverflowError):
            step([1.0, 1000.0])


# ----- never silently wrong (issue 20) ------------------------------------------------------------


@pytest.mark.parametrize("column", [{1.0: "a", 2.0: "b"}, {1.0, 2.0}, frozenset({1.0})])
def test_a_dict_or_set_column_is_refused_naming_compile_grad_and_the_column(column: Any) -> None:
    w = Value(1.0)
    step = compile_grad(lambda x, y: w * x * y, [w], batch="sum")
    kind = type(column).__name__
    with pytest.raises(TypeError, match=rf"compile_grad: .*column 1 is a {kind}"):
        step([1.0] * len(column), column)
    assert w.grad == 0.0
    assert step.traces == 0


@pytest.mark.parametrize("numpy", MODES)
def test_a_weight_replaced_in_the_model_is_traced_again(numpy: bool | None) -> None:
    xs, ys = make_moons(20, noise=0.1, seed=0)
    eager_model, model = models([4, 1])
    step = compile_grad(lambda x, y: mse_loss(model(x), y), model, batch="mean", numpy=numpy)
    step(xs, ys)
    model.layers[0].neurons[1].w[1] = Value(-3.0)
    eager_model.layers[0].neurons[1].w[1] = Value(-3.0)
    model.zero_grad()
    eager = mse_loss([eager_model(x) for x in xs], ys)
    eager.backward()
    check(step(xs, ys), eager, model.parameters(), eager_model.parameters())
    assert model.layers[0].neurons[1].w[1].grad != 0.0
    assert step.traces == 2


@pytest.mark.parametrize("numpy", MODES)
def test_a_branch_on_the_type_of_a_sample_runs_eagerly_and_says_so(numpy: bool | None) -> None:
    w = Value(3.0)

    def f(x: Any) -> Value:
        return w * 3 if isinstance(x, float) else w * 2

    step = compile_grad(f, [w], batch="sum", numpy=numpy)
    with pytest.warns(UntraceableWarning, match="isinstance"):
        assert step([1.0, 2.0]) == 18.0
    assert step([1.0, 2.0, 5.0]) == 27.0
    assert w.grad == 6.0 + 9.0


@pytest.mark.parametrize("numpy", MODES)
def test_columns_of_numpy_scalars_and_of_arrays(numpy: bool | None) -> None:
    np = pytest.importorskip("numpy")
    w = Value(2.0)
    step = compile_grad(lambda x, y: (w * x[0] - y) ** 2, [w], batch="sum", numpy=numpy)
    rows = [np.array([1.0]), np.array([3.0], dtype=np.float32)]
    labels = [np.float64(1.0), np.int64(2)]
    assert step(rows, labels) == (2.0 - 1.0) ** 2 + (6.0 - 2.0) ** 2
    assert step(rows, labels) == (2.0 - 1.0) ** 2 + (6.0 - 2.0) ** 2
    assert w.grad == 2 * (2 * (2.0 - 1.0) * 1.0 + 2 * (6.0 - 2.0) * 3.0)


def test_the_plain_per_sample_hinge_loss_runs_as_numpy_layers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The loss, written plainly over three columns: numpy's fused layers, no warning.
    pytest.importorskip("numpy")
    sources = numpy_sources(monkeypatch)
    xs, ys = make_moons(40, noise=0.1, seed=6)
    x0, x1, t = [x[0] for x in xs], [x[1] for x in xs], signed_labels(ys)
    eager_model, model = models([8, 8, 1], seed=7)
    theirs, ours = eager_model.parameters(), model.parameters()

    def loss(x0: Any, x1: Any, t: Any) -> Value:
        return (1 - t * model([x0, x1])).relu()

    step = compile_grad(loss, ours, batch="mean")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = step(x0, x1, t)
    eager = sum(
        ((1 - b * eager_model([a, c])).relu() for a, c, b in zip(x0, x1, t)), Value(0.0)
    ) / len(t)
    eager.backward()
    check(got, eager, ours, theirs)
    (source,) = sources
    assert "A1 = where(C1, 0.0, M1)" in source and "GA0 = " in source, source


def test_a_weight_tied_within_a_layer_gets_both_its_gradients(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # W = [[a, b], [b, a]]: the layer's weights do not lie side by side in Ea, and each comes
    # twice in the block; add.at adds both places' gradients. c, a Value the loss reads but
    # not a parameter, gets nothing.
    np = pytest.importorskip("numpy")
    sources = numpy_sources(monkeypatch)
    a, b, c = Value(0.7), Value(-0.4), Value(1.5)

    def f(x: Any, y: Any) -> Value:
        h = [dot([a, b], x).tanh(), dot([b, a], x).tanh()]
        return (c * h[0] + h[1] - y) ** 2

    xs = np.array([[0.5, -1.0], [2.0, 0.25], [-1.5, 1.0], [0.1, 0.3]])
    ys = [1.0, -2.0, 0.5, 0.0]
    step = compile_grad(f, [a, b], batch="mean", numpy=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy, not the loop
        loss = step(xs, ys)
    ours = [a.grad, b.grad]
    assert c.grad == 0.0
    a.grad = b.grad = 0.0
    eager = sum((f(list(x), y) for x, y in zip(xs.tolist(), ys)), Value(0.0)) / len(ys)
    eager.backward()
    assert close(loss, eager.data), (loss, eager.data)
    assert close(ours[0], a.grad) and close(ours[1], b.grad), (ours, a.grad, b.grad)
    assert "_add_at(GE, " in sources[-1], sources[-1]


def test_a_numpy_step_leaves_the_callers_arrays_as_they_were() -> None:
    # Columns of floats are read in place (no copy), so nothing may write into them.
    np = pytest.importorskip("numpy")
    model = MLP(2, [8, 8, 1], seed=0)
    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=(50, 2)), np.sign(rng.normal(size=50))
    column = xs[:, 0].copy()
    before = (xs.copy(), ys.copy(), column.copy())
    step = compile_grad(lambda x, y: hinge_loss(model(x), y), model.parameters(), batch="mean")
    one = compile_grad(lambda x: model([x, 0.5]).relu(), model.parameters(), batch="mean")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy, not the loop
        for _ in range(3):
            step(xs, ys)
            one(column)
    for got, want in zip((xs, ys, column), before, strict=True):
        assert np.array_equal(got, want)


# ----- the big matrices kept from call to call (issue 25) -----------------------------------------


def recorded_buffers(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every set of buffers the numpy programs make from now on, in the order made."""
    made: list[Any] = []

    class Recorded(numpy_replay.Buffers):
        def __init__(self, np: Any) -> None:
            super().__init__(np)
            made.append(self)

    monkeypatch.setattr(numpy_replay, "Buffers", Recorded)
    return made


def test_each_numpy_step_keeps_its_own_matrices_from_call_to_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two steps of the same shape, so that their programs name the same matrices (X0, M0,
    # GX1...), called in turns on batches whose size changes: every call gives eager's
    # numbers, each step keeps one set of buffers, and the same arrays while the size stays.
    np = pytest.importorskip("numpy")
    made = recorded_buffers(monkeypatch)
    xs, ys = make_moons(80, noise=0.1, seed=5)
    ys = signed_labels(ys)
    steps = []
    for seed in (1, 2):
        eager_model, model = models([8, 8, 1], seed=seed)
        step = compile_grad(
            lambda x, y, model=model: hinge_loss(model(x), y),
            model.parameters(),
            batch="mean",
            numpy=True,
        )
        steps.append((step, model, eager_model))
    kept: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy, not the loop
        # (The first call traces one sample eagerly and replays the other 59.)
        for call, n in enumerate((60, 60, 60, 25, 60, 60)):
            for k, (step, model, eager_model) in enumerate(steps):
                batch_x, batch_y = xs[10 * k : 10 * k + n], ys[10 * k : 10 * k + n]
                model.zero_grad()
                eager_model.zero_grad()
                loss = step(np.array(batch_x), np.array(batch_y))
                eager = hinge_loss([eager_model(x) for x in batch_x], batch_y)
                eager.backward()
                check(loss, eager, model.parameters(), eager_model.parameters())
            assert len(made) == 2  # one set per step (made for the check on the traced sample)
            if call in (2, 5):  # the same size as the call before
                assert all(made[0].arrays[name] is array for name, array in kept.items())
            kept = dict(made[0].arrays)
    assert {"X0", "M0", "X1", "M1", "GX1", "GX2"} <= set(made[0].arrays), made[0].arrays


def test_a_call_inside_a_call_gets_buffers_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # A numpy program called again while a call of it runs (here from inside its first matrix
    # product; in a program, from an op's Python forward or from another thread) must not
    # write into the buffers the outer call still reads: each call gives the numbers it gives
    # alone, and the inner call's buffers are kept too.
    np = pytest.importorskip("numpy")
    made = recorded_buffers(monkeypatch)
    inside: list[Callable[[], Any]] = []  # a call to make from inside the next product
    runtime = numpy_replay._numpy_runtime

    def calling_inside(np_module: Any) -> dict[str, Any]:
        helpers = runtime(np_module)
        product = helpers["_product"]

        def product_then_call(w: Any, x: Any, out: Any) -> Any:
            result = product(w, x, out=out)
            while inside:
                inside.pop()()
            return result

        helpers["_product"] = product_then_call
        return helpers

    monkeypatch.setattr(numpy_replay, "_numpy_runtime", calling_inside)
    model = MLP(2, [8, 8, 1], seed=4)
    step = compile_grad(
        lambda x, y: hinge_loss(model(x), y), model.parameters(), batch="mean", numpy=True
    )
    xs, ys = make_moons(30, noise=0.1, seed=6)
    ys = signed_labels(ys)
    step(xs, ys)  # traced and compiled
    (variant,) = [v for variants in step.cache.values() for v in variants]
    assert variant.vector is not None
    vector = variant.vector
    externals = np.array([v.data for v in variant.vector_externals])
    columns = np.array([[*x, y] for x, y in zip(xs, ys)]).T  # a row per number of a sample
    outer, inner = columns[:, :15], columns[:, 15:]
    alone = [vector(outer, externals, 1.0, 15), vector(inner, externals, 1.0, 15)]
    nested: list[Any] = []
    inside.append(lambda: nested.append(vector(inner, externals, 1.0, 15)))
    nested.insert(0, vector(outer, externals, 1.0, 15))
    for (ok, loss, grads), (ok_alone, loss_alone, grads_alone) in zip(nested, alone, strict=True):
        assert np.array_equal(ok, ok_alone)
        assert close(loss, loss_alone), (loss, loss_alone)
        assert all(close(a, b) for a, b in zip(grads, grads_alone, strict=True))
    assert len(made) == 2  # the inner call's set, made while the first was in use


def test_what_a_numpy_program_returns_is_none_of_its_buffers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A branch on the label: the samples on its other side are refused by the first variant
    # (whose program then runs again on fewer samples) and traced again into a second one,
    # with buffers of its own. What a program returns (which samples passed its guards, the
    # loss, the gradients) is new each call: a later call leaves it as it was.
    np = pytest.importorskip("numpy")
    made = recorded_buffers(monkeypatch)
    xs, ys = make_moons(40, noise=0.1, seed=7)
    ys = signed_labels(ys)
    eager_model, model = models([6, 6, 1], seed=8)

    def f(x: Any, y: Any, model: MLP = model) -> Value:
        out = model(x)
        return (out - y) ** 2 * 2.0 if y > 0 else (out - y) ** 2

    step = compile_grad(f, model.parameters(), batch="mean", numpy=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy, not the loop
        for _ in range(2):
            model.zero_grad()
            eager_model.zero_grad()
            loss = step(np.array(xs), np.array(ys))
            eager = sum((f(x, y, eager_model) for x, y in zip(xs, ys)), Value(0.0)) / len(xs)
            eager.backward()
            check(loss, eager, model.parameters(), eager_model.parameters())
    variants = [v for variants in step.cache.values() for v in variants]
    assert len(variants) == 2 and len(made) == 2, (variants, made)
    vector = variants[0].vector
    assert vector is not None
    externals = np.array([v.data for v in variants[0].vector_externals])
    columns = np.array([[*x, y] for x, y in zip(xs, ys)]).T
    ok, loss, grads = vector(columns, externals, 1.0, len(xs))
    assert type(loss) is float
    assert not ok.all() and ok.any()  # both sides of the branch are in the batch
    buffers = [array for kept in made for array in kept.arrays.values()]
    for returned in (ok, grads):  # arrays (or a list) that the caller may keep
        assert not any(np.shares_memory(returned, array) for array in buffers)
    before = (ok.copy(), loss, np.array(grads))
    vector(columns[:, ::-1].copy(), externals, 1.0, len(xs))
    assert np.array_equal(ok, before[0]) and loss == before[1]
    assert np.array_equal(grads, before[2])


def test_a_call_that_meets_a_floating_point_error_gives_its_buffers_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Weights so large that the second layer's product overflows into its buffer: numpy raises
    # (as it did before the buffers), the step says it leaves numpy and the Python loop decides,
    # as eager code would; the buffers go back for the next call, which is numpy's and exact.
    pytest.importorskip("numpy")
    made = recorded_buffers(monkeypatch)
    xs, ys = make_moons(30, noise=0.1, seed=9)
    ys = signed_labels(ys)
    eager_model, model = models([8, 8, 1], seed=10)
    step = compile_grad(
        lambda x, y: hinge_loss(model(x), y), model.parameters(), batch="mean", numpy=True
    )
    step(xs, ys)
    weights = [p.data for p in model.parameters()]
    for p, q in zip(model.parameters(), eager_model.parameters(), strict=True):
        p.data = q.data = 1e200  # 1e200 * 1e200 overflows
    with pytest.warns(RuntimeWarning, match="not numpy: numpy met FloatingPointError"):
        got = step(xs, ys)
    eager = hinge_loss([eager_model(x) for x in xs], ys)
    assert got == eager.data or (math.isnan(got) and math.isnan(eager.data)), (got, eager.data)
    for p, q, w in zip(model.parameters(), eager_model.parameters(), weights, strict=True):
        p.data = q.data = w
        p.grad = q.grad = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy again, nothing said
        loss = step(xs, ys)
    eager = hinge_loss([eager_model(x) for x in xs], ys)
    eager.backward()
    check(loss, eager, model.parameters(), eager_model.parameters())
    assert len(made) == 1
