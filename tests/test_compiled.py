"""compile_grad: the compiled step gives eager's loss and gradients bit for bit, step after step,
and is never silently wrong (guards, shapes, untraceable reads)."""

from __future__ import annotations

import math
import struct
import threading
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from autograd import Value, compile_grad, no_grad, primitive, sigmoid, zero_grads
from autograd.compiling.tracing import UntraceableWarning
from nn import (
    MLP,
    SGD,
    Adam,
    binary_cross_entropy,
    cross_entropy,
    hinge_loss,
    make_moons,
    make_spiral,
    mse_loss,
    signed_labels,
)


def bits(x: float) -> bytes:
    """A float's 8 bytes: equal bits, not just equal values (-0.0 is not 0.0)."""
    return struct.pack("<d", x)


def zero(params: list[Value]) -> None:
    for p in params:
        p.grad = 0.0


# A user's primitive with a constant and a branch in its rule (traced symbolically), and one
# whose rule needs a real float (called on floats from the generated code).
leaky_relu = primitive(
    "leaky_relu",
    lambda x, *, slope: x if x > 0 else slope * x,
    lambda g, out, x, *, slope: (g if x > 0 else g * slope,),
)
softsign = primitive(
    "softsign",
    lambda x: x / (1.0 + abs(x)),
    lambda g, out, x: (g / (1.0 + abs(float(x))) ** 2,),
)


def two_moons(n: int = 24) -> tuple[list[list[float]], list[int]]:
    xs, ys = make_moons(n, noise=0.1, seed=0)
    return xs, ys


def hinge_step(model: MLP) -> Callable[..., Value]:
    params = model.parameters()

    def f(xs: list[Any], ys: list[Any]) -> Value:
        scores = [model(x) for x in xs]
        return hinge_loss(scores, ys) + 1e-4 * sum(p * p for p in params)

    return f


def mse_step(model: MLP) -> Callable[..., Value]:
    return lambda xs, ys: mse_loss([model(x) for x in xs], ys)


def bce_logits_step(model: MLP) -> Callable[..., Value]:
    return lambda xs, ys: binary_cross_entropy([model(x) for x in xs], ys, from_logits=True)


def bce_probs_step(model: MLP) -> Callable[..., Value]:
    return lambda xs, ys: binary_cross_entropy([model(x).sigmoid() for x in xs], ys)


def user_primitive_step(model: MLP) -> Callable[..., Value]:
    def f(xs: list[Any], ys: list[Any]) -> Value:
        outs = [softsign(leaky_relu(model(x), slope=0.1)) for x in xs]
        return mse_loss(outs, ys)

    return f


def cross_entropy_step(model: MLP) -> Callable[..., Value]:
    return lambda xs, ys: cross_entropy([model(x) for x in xs], ys)


CASES = {
    "relu MLP, hinge + L2": ([16, 16, 1], "relu", hinge_step, "signed"),
    "tanh MLP, mse": ([8, 8, 1], "tanh", mse_step, "plain"),
    "sigmoid MLP, bce on logits": ([8, 1], "sigmoid", bce_logits_step, "plain"),
    "relu MLP with a one-unit layer, bce on probabilities": (
        [6, 1, 1],
        "relu",
        bce_probs_step,
        "plain",
    ),
    "user primitives (symbolic rule with a constant, rule on floats)": (
        [5, 1],
        "tanh",
        user_primitive_step,
        "plain",
    ),
    "three-class spiral, cross_entropy": ([10, 3], "relu", cross_entropy_step, "classes"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_compiled_steps_are_eager_bit_for_bit_step_after_step(case: str) -> None:
    sizes, activation, make_f, labels = CASES[case]
    if labels == "classes":
        xs, ys = make_spiral(30, 3, seed=1)
    else:
        xs, ys = two_moons()
        if labels == "signed":
            ys = signed_labels(ys)
    eager_model = MLP(2, sizes, activation, seed=4)
    model = MLP(2, sizes, activation, seed=4)
    eager, ours = eager_model.parameters(), model.parameters()
    f_eager, step = make_f(eager_model), compile_grad(make_f(model), ours)
    opt_eager, opt = SGD(eager, lr=0.3, momentum=0.5), SGD(ours, lr=0.3, momentum=0.5)
    for k in range(12):
        opt_eager.zero_grad()
        opt.zero_grad()
        loss = f_eager(xs, ys)
        loss.backward()
        assert bits(step(xs, ys)) == bits(loss.data), k
        assert [bits(p.grad) for p in ours] == [bits(p.grad) for p in eager], k
        opt_eager.step()
        opt.step()
    assert step.traces == 1  # one trace, then replays: no guard failed on these runs
    assert step.source is not None and step.source.startswith("def replay(D, E):")


def test_a_branch_that_flips_traces_again_and_stays_exact() -> None:
    w = Value(0.5)

    def f(x: Value) -> Value:
        s = w * x
        if s > 0:  # a guard
            return s * s
        return -s

    step = compile_grad(f, [w])
    for x, wd, traces in [
        (1.0, 0.5, 1),
        (2.0, 0.5, 1),
        (1.0, -0.5, 2),
        (3.0, -0.2, 2),
        (1.0, 0.3, 2),
    ]:
        w.data, w.grad = wd, 0.0
        loss = step(x)
        g = w.grad
        w.grad = 0.0
        expected = f(Value(x))
        expected.backward()
        assert (loss, g) == (expected.data, w.grad)
        assert step.traces == traces  # both branches' traces are kept


def test_a_branch_on_the_data_is_a_guard_too() -> None:
    w = Value(2.0)
    step = compile_grad(lambda x: w * x if x > 0 else w * w, [w])
    assert step(3.0) == 6.0
    assert w.grad == 3.0
    assert step(-1.0) == 4.0  # the other branch: a new trace, not the first one's w * x
    assert w.grad == 3.0 + 4.0
    assert step.traces == 2


def test_max_and_sorted_of_values_are_guarded() -> None:
    w = Value(1.0)
    step = compile_grad(lambda xs: max(w * x for x in xs) + sorted([w, w * 3])[0], [w])
    assert step([1.0, -2.0]) == 1.0 + 1.0
    assert step([-1.0, 2.0]) == 2.0 + 1.0  # another argmax: traced again
    w.data = -1.0
    assert step([-1.0, 2.0]) == 1.0 - 3.0  # sorted() now puts w * 3 first
    assert step.traces == 3


def test_data_of_another_shape_traces_again() -> None:
    w = Value(0.5)
    step = compile_grad(lambda xs: sum(w * x for x in xs), [w])
    assert step([1.0, 2.0]) == 1.5
    assert step([1.0, 2.0, 3.0]) == 3.0
    assert step([4.0, 4.0]) == 4.0
    assert step.traces == 2
    assert w.grad == 3.0 + 6.0 + 8.0


def test_reading_a_data_leafs_value_guards_that_value() -> None:
    w = Value(1.0)
    step = compile_grad(lambda x: w * 2 if x.data == 1.0 else w * 3, [w])
    assert [step(1.0), step(1.0), step(2.0), step(2.0), step(1.0)] == [2.0, 2.0, 3.0, 3.0, 2.0]
    assert step.traces == 2


def test_a_zeros_sign_is_part_of_a_read_guard() -> None:
    w = Value(1.0)
    step = compile_grad(lambda x: w * math.copysign(1.0, x.data), [w])
    assert step(0.0) == 1.0
    assert step(-0.0) == -1.0  # -0.0 == 0.0, but the read gave another float: a new trace
    assert step.traces == 2


def test_reading_a_parameter_dependent_value_runs_eagerly_and_warns_once_naming_the_line() -> None:
    w = Value(0.5)

    def f(xs: list[Value]) -> Value:
        s = sum(w * x for x in xs)
        if s.data > 0:  # the read
            return s
        return -s

    step = compile_grad(f, [w])
    line = f.__code__.co_firstlineno + 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses = [step([1.0, 2.0]), step([1.0, 2.0]), step([-1.0, -2.0])]
        w.data = -1.0
        losses.append(step([1.0, 2.0]))
    assert losses == [1.5, 1.5, 1.5, 3.0]
    assert w.grad == 3.0 + 3.0 - (-3.0) - 3.0
    assert len(caught) == 1
    assert caught[0].category is UntraceableWarning
    assert f"{__file__}:{line}" in str(caught[0].message)
    assert "runs eagerly" in str(caught[0].message)
    assert caught[0].filename == __file__  # attributed to the call of the step


@pytest.mark.parametrize(
    "read",
    [
        lambda v: v.item(),
        lambda v: v.data,
        lambda v: f"{v}",
        lambda v: v.grad,
    ],
)
def test_every_kind_of_read_of_a_parameter_dependent_value_is_untraceable(
    read: Callable[[Value], object],
) -> None:
    w = Value(2.0)

    def f(x: Value) -> Value:
        out = w * x
        read(out)
        return out

    step = compile_grad(f, [w])
    with pytest.warns(UntraceableWarning, match="test_compiled.py"):
        assert step(3.0) == 6.0
    assert step(5.0) == 10.0
    assert w.grad == 3.0 + 5.0


def test_f_that_changes_a_value_is_untraceable() -> None:
    w = Value(2.0)
    counter = Value(0.0)

    def f(x: Value) -> Value:
        counter.data = counter.data + 1  # a side effect a replay would skip
        return w * x

    step = compile_grad(f, [w])
    with pytest.warns(UntraceableWarning, match="changes the .data"):
        step(1.0)
    step(1.0)
    assert counter.data == 2.0


def test_f_that_zeroes_grads_is_untraceable() -> None:
    w = Value(2.0)

    def f(x: Value) -> Value:
        zero_grads([w])  # a replay would skip it: the trace is told, as of w.grad = 0.0
        return w * x

    step = compile_grad(f, [w])
    with pytest.warns(UntraceableWarning, match=r"changes the \.grad"):
        step(1.0)
    assert w.grad == 1.0
    step(1.0)
    assert w.grad == 1.0  # zeroed again by f, run eagerly, then the step's 1.0 added


@pytest.mark.parametrize(
    "make", [lambda ps: SGD(ps, lr=0.5, momentum=0.9), Adam], ids=["SGD", "Adam"]
)
def test_f_that_steps_an_optimizer_is_untraceable(make) -> None:  # type: ignore[no-untyped-def]
    # step() reads the grads and data as lists, not through the properties: the trace is
    # still told of each read, so a replay never skips the update.
    w, twin = Value(2.0), Value(2.0)
    w.grad = twin.grad = 0.25
    opt, twin_opt = make([w]), make([twin])

    def f(x: Value) -> Value:
        opt.step()
        return w * x

    step = compile_grad(f, [w])
    with pytest.warns(UntraceableWarning, match=r"reads the \.grad of a Value"):
        step(1.0)
    twin_opt.step()
    assert w.data == twin.data != 2.0
    step(1.0)  # eagerly again: the second update happens, from the grad the first call added
    twin.grad += 1.0  # the first call's gradient, d(w * x)/dw = x
    twin_opt.step()
    assert w.data == twin.data


def test_only_the_params_grads_change() -> None:
    w, c = Value(2.0), Value(3.0)  # c: closed over, not a parameter
    step = compile_grad(lambda x: w * c * x, [w])
    assert step(1.0) == 6.0
    assert step(1.0) == 6.0
    assert (w.grad, c.grad) == (6.0, 0.0)
    c.data = 5.0  # read afresh at every replay
    assert step(2.0) == 20.0
    assert w.grad == 3.0 + 3.0 + 10.0
    assert step.traces == 1


def test_detach_and_no_grad_inside_f_are_replayed_as_constants_of_this_call() -> None:
    w = Value(2.0)

    def f(x: Value) -> Value:
        with no_grad():
            scale = w * w
        return w * x * scale + (w * x).detach()

    step = compile_grad(f, [w])
    for wd in (2.0, 3.0, -1.0):
        w.data, w.grad = wd, 0.0
        loss = step(1.5)
        g = w.grad
        w.grad = 0.0
        eager = f(Value(1.5))
        eager.backward()
        assert (loss, g) == (eager.data, w.grad)
    assert step.traces == 1


def test_an_op_that_raises_on_replay_raises_as_eager_code_does() -> None:
    w = Value(2.0)
    step = compile_grad(lambda x: (w * x).log(), [w])
    assert step(1.0) == math.log(2.0)
    w.grad = 0.0
    with pytest.raises(ValueError, match=r"log of non-positive value -2\.0"):
        step(-1.0)
    assert w.grad == 0.0  # nothing changed
    with pytest.raises(ZeroDivisionError):
        compile_grad(lambda x: w / x, [w])(0.0)


def test_a_rule_the_compiler_cannot_trace_is_called_on_floats() -> None:
    # x ** 2's rule calls float(): the generated code calls it.
    w = Value(3.0)
    step = compile_grad(lambda x: (w * x) ** 2 + (w * x).sqrt(), [w])
    for _ in range(2):
        assert step(2.0) == 36.0 + math.sqrt(6.0)
    assert "R" in (step.source or "")
    expected = Value(3.0)
    ((expected * 2.0) ** 2 + (expected * 2.0).sqrt()).backward()
    assert w.grad == 2 * expected.grad


def test_bad_data_is_refused_and_changes_nothing() -> None:
    w = Value(1.0)
    step = compile_grad(lambda xs: sum(w * x for x in xs), [w])
    for bad in ([1.0, True], ["1.0"], [None], [1.0, [2.0, {}]]):
        with pytest.raises(TypeError, match="data must be a real number"):
            step(bad)
    assert w.grad == 0.0
    assert step.traces == 0


def test_bad_arguments_are_refused() -> None:
    w = Value(1.0)
    with pytest.raises(TypeError, match="f must be callable"):
        compile_grad(3, [w])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"params\[1\] must be a Value"):
        compile_grad(lambda: w, [w, 2.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"params\[0\] is not a leaf"):
        compile_grad(lambda: w, [w * 2])
    with pytest.raises(TypeError, match="must return a Value"):
        compile_grad(lambda: 3.0, [w])()  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError, match="batch must be"):
        compile_grad(lambda: w, [w], batch="max")


def test_the_value_class_is_restored_after_a_trace_even_when_f_raises() -> None:
    original = {name: Value.__dict__[name] for name in ("data", "grad", "__lt__", "detach")}
    w = Value(1.0)

    def f() -> Value:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        compile_grad(f, [w])()
    assert {name: Value.__dict__[name] for name in original} == original


def test_another_threads_comparisons_during_a_trace_are_not_guards() -> None:
    w = Value(1.0)
    started, finish = threading.Event(), threading.Event()
    results = []

    def other() -> None:
        started.wait()
        a, b = Value(1.0), Value(2.0)
        results.append((a < b, a.data, (a * b).data))
        finish.set()

    def f(x: Value) -> Value:
        started.set()
        finish.wait(5)
        return w * x

    thread = threading.Thread(target=other)
    thread.start()
    step = compile_grad(f, [w])
    assert step(2.0) == 2.0
    thread.join()
    assert results == [(True, 1.0, 2.0)]
    assert step(3.0) == 3.0
    assert step.traces == 1  # the other thread's comparison made no guard


def test_a_compiled_step_called_inside_another_runs_eagerly_there() -> None:
    w = Value(2.0)
    inner = compile_grad(lambda x: w * x, [w])
    outer = compile_grad(lambda x: w * inner(x), [w])  # inner's float is a read of w * x
    with pytest.warns(UntraceableWarning):
        assert outer(3.0) == 12.0


def test_the_demo_step_is_exact_with_sigmoid_and_detach_in_the_loss() -> None:
    # bce with logits uses softplus (a primitive whose rule calls sigmoid) and a detached label.
    model = MLP(2, [4, 1], seed=0)
    params = model.parameters()
    xs, ys = two_moons(10)
    f = bce_logits_step(model)
    step = compile_grad(f, params)
    for _ in range(3):
        zero(params)
        loss = step(xs, ys)
        ours = [p.grad for p in params]
        zero(params)
        eager = f(xs, ys)
        eager.backward()
        assert bits(loss) == bits(eager.data)
        assert [bits(g) for g in ours] == [bits(p.grad) for p in params]
        for p in params:
            p.data -= 0.5 * p.grad
    assert sigmoid(0.0) == 0.5


def test_the_value_class_is_not_changed_while_f_is_traced() -> None:
    original = dict(vars(Value))
    seen = []
    w = Value(1.0)

    def f(x: Value) -> Value:
        seen.append(dict(vars(Value)))
        return w * x

    assert compile_grad(f, [w])(2.0) == 2.0
    assert seen == [original, original]  # traced, then run on numbers as eager code runs it


def test_a_read_of_a_value_made_outside_f_and_never_used_in_its_graph_is_a_guard() -> None:
    w, switch = Value(1.0), Value(1.0)

    def f(x: Value) -> Value:
        return w * x if switch.data > 0 else w * x * 3.0

    step = compile_grad(f, [w])
    assert [step(2.0), step(2.0)] == [2.0, 2.0]
    switch.data = -1.0
    assert step(2.0) == 6.0  # the guard on the read failed: traced again
    assert step.traces == 2


def test_a_gradient_of_thousands_of_terms_compiles_and_replays() -> None:
    # A weight read by every sample of a whole-batch step gets one gradient term per sample:
    # written as one chain, Python's compiler ran out of recursion (RecursionError).
    w = Value(0.5)
    xs = [float(i % 7) - 3.0 for i in range(6_000)]

    def f(xs: list[float]) -> Value:
        return sum((w * x for x in xs), Value(0.0)) * 0.001

    step = compile_grad(f, [w])
    expected = f(xs)
    expected.backward()
    eager_grad = w.grad
    w.grad = 0.0
    for _ in range(2):  # the trace, then the replay
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loss = step(xs)
        assert bits(loss) == bits(expected.data)
        assert bits(w.grad) == bits(eager_grad)
        w.grad = 0.0
    assert step.traces == 1
    assert step.source is not None


def test_a_large_first_trace_says_it_takes_a_while_and_suggests_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import autograd.compiling.compiled as compiled

    monkeypatch.setattr(compiled, "_LARGE", 50)
    model = MLP(2, [4, 1], seed=0)
    xs, ys = two_moons(8)
    ys = signed_labels(ys)
    step = compile_grad(hinge_step(model), model.parameters())
    with pytest.warns(UserWarning, match=r"traced \d+ nodes.*batch='mean'") as said:
        first = step(xs, ys)
    assert "so about 1 to 2 s" in str(said[0].message)  # one to two seconds per 10,000 nodes
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once, on the trace only
        assert step(xs, ys) == first
    with pytest.warns(UserWarning, match="so about 15 to 30 s"):
        compiled._warn_large(150_000)


def test_cross_entropy_is_traced_once_whichever_logit_is_largest() -> None:
    # Its shift m is maximum() of the logits, an op: replayed for any logits, not guarded.
    w = Value(1.0)

    def f(z0: Value, z1: Value, z2: Value) -> Value:
        return cross_entropy([w * z0, w * z1, w * z2], 1)

    step = compile_grad(f, [w])
    for z in ([3.0, 1.0, 2.0], [1.0, 3.0, 2.0], [1.0, 2.0, 3.0], [2.0, 2.0, -1.0]):
        w.grad = 0.0
        loss = step(*z)
        g = w.grad
        w.grad = 0.0
        eager = f(*map(Value, z))
        eager.backward()
        assert (loss, g) == (eager.data, w.grad)
    assert step.traces == 1


# ----- never a graph that is no longer the model, never data the trace saw otherwise (issue 20) --


def replaced_weight_run(params_of: Callable[[MLP], Any]) -> None:
    """A weight replaced in the model between calls: the step gives eager's loss, and the new
    weight its gradient, where params is read from the model at each call."""
    xs, ys = two_moons(6)
    model, eager_model = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=0)
    step = compile_grad(mse_step(model), params_of(model))
    for _ in range(2):
        step(xs, ys)
    model.layers[0].neurons[0].w[0] = Value(5.0)
    eager_model.layers[0].neurons[0].w[0] = Value(5.0)
    model.zero_grad()
    loss = step(xs, ys)
    eager = mse_step(eager_model)(xs, ys)
    eager.backward()
    assert bits(loss) == bits(eager.data)
    assert [bits(p.grad) for p in model.parameters()] == [
        bits(p.grad) for p in eager_model.parameters()
    ]
    assert model.layers[0].neurons[0].w[0].grad != 0.0
    assert step.traces == 2
    model.zero_grad()
    assert bits(step(xs, ys)) == bits(eager.data)  # and the new trace replays
    assert step.traces == 2


def test_a_weight_replaced_in_the_model_is_traced_again_when_params_is_the_model() -> None:
    replaced_weight_run(lambda model: model)


def test_a_weight_replaced_in_the_model_is_traced_again_when_params_is_a_function() -> None:
    replaced_weight_run(lambda model: model.parameters)


def test_a_branch_on_the_type_of_the_data_runs_eagerly_and_says_so() -> None:
    # While tracing, data arrive as Value leaves: isinstance(x, float) goes the other way.
    w = Value(3.0)

    def f(x: Any) -> Value:
        return w * 3 if isinstance(x, float) else w * 2

    step = compile_grad(f, [w])
    with pytest.warns(UntraceableWarning, match="isinstance"):
        assert step(1.0) == 9.0
    assert step(1.0) == 9.0
    assert w.grad == 3.0 + 3.0


def test_math_on_the_data_runs_eagerly_and_says_so() -> None:
    # math.exp(x) calls float(x), which a data leaf refuses while tracing; eager takes floats.
    w = Value(2.0)
    step = compile_grad(lambda x: w * math.exp(x), [w])
    with pytest.warns(UntraceableWarning, match=r"TypeError.*runs eagerly"):
        assert step(1.0) == 2.0 * math.exp(1.0)
    assert step(0.0) == 2.0
    assert w.grad == math.exp(1.0) + 1.0


def test_f_written_for_value_leaves_compiles_though_numbers_fail_it() -> None:
    # x.exp() needs a Value: f(1.0) raises, so the trace is f, and it compiles as before.
    w = Value(2.0)
    step = compile_grad(lambda x: w * x.exp(), [w])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [step(1.0), step(0.0)] == [2.0 * math.exp(1.0), 2.0]
    assert w.grad == math.exp(1.0) + 1.0
    assert step.traces == 1


def test_f_that_fails_on_value_leaves_and_on_numbers_raises_the_traces_error() -> None:
    w = Value(2.0)
    step = compile_grad(lambda x: w * x.exp() + [][0], [w])
    with pytest.raises(IndexError):
        step(1.0)
    assert w.grad == 0.0


def test_numpy_arrays_and_scalars_are_data_on_the_first_call_and_after() -> None:
    np = pytest.importorskip("numpy")
    w = Value(0.5)

    def f(xs: Any, y: Any) -> Value:
        return sum(((w * x[0] + x[1] - y) ** 2 for x in xs), Value(0.0))

    step = compile_grad(f, [w])
    for xs, y in [
        (np.array([[1.0, 2.0], [3.0, -1.0]]), np.float64(0.5)),
        (np.array([[2.0, 2.0], [1.0, -1.0]]), np.float32(1.5)),
        (np.array([[1.0, 2.0], [3.0, -1.0]], dtype=np.float32), np.int64(2)),
    ]:
        w.grad = 0.0
        loss = step(xs, y)
        g = w.grad
        w.grad = 0.0
        eager = f(xs, y)
        eager.backward()
        assert (bits(loss), bits(g)) == (bits(eager.data), bits(w.grad))
    assert step.traces == 1


def test_float_of_a_parameter_dependent_value_raises_as_eager_code_does() -> None:
    w = Value(2.0)

    def f(x: Value) -> Value:
        out = w * x
        return out * float(out)

    step = compile_grad(f, [w])
    for _ in range(2):
        with pytest.raises(TypeError, match=r"float\(\) of a Value.*v\.data or v\.item\(\)"):
            step(1.0)
    assert w.grad == 0.0


def test_float_under_no_grad_of_a_parameter_dependent_value_runs_eagerly_and_warns() -> None:
    w = Value(2.0)

    def f(x: Value) -> Value:
        out = w * x
        with no_grad():
            scale = float(out)
        return out * scale

    step = compile_grad(f, [w])
    with pytest.warns(UntraceableWarning, match="runs eagerly"):
        assert step(1.0) == 4.0
    w.data = 3.0
    assert step(1.0) == 9.0
    assert w.grad == 2.0 + 3.0


def test_a_step_called_inside_a_traced_f_reads_the_models_parameters_too() -> None:
    model = MLP(1, [1], activation="linear", seed=0)
    inner = compile_grad(lambda x: model([x]) * 1.0, model)
    outer = compile_grad(lambda x: model([x]) * inner(x), [model.parameters()[0]])
    inner(1.0)
    model.layers[0].neurons[0].b = Value(2.0)
    model.zero_grad()
    with pytest.warns(UntraceableWarning):
        outer(1.0)  # inner runs eagerly here: on the model's new bias
    assert model.layers[0].neurons[0].b.grad == 1.0
