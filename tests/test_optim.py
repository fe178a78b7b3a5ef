"""SGD and Adam: the update rules by hand, against finite differences, and side by side with
torch.optim on Rosenbrock."""

from __future__ import annotations

import json
import math
import os
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, gradcheck, numerical_grad, topological_order
from nn import MLP, SGD, Adam, mse_loss
from nn.optim import Optimizer, lerp
from tests.conftest import floats_in, run_python

START = (-1.2, 1.0)  # the classic Rosenbrock start, in the curved valley's far arm


def rosenbrock(x, y):  # type: ignore[no-untyped-def]
    """(1 - x)**2 + 100 (y - x**2)**2, written once for Values, floats and torch tensors."""
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def run_ours(make: type[Optimizer], steps: int, **kwargs: object) -> list[tuple[float, float]]:
    x, y = Value(START[0]), Value(START[1])
    opt = make([x, y], **kwargs)  # type: ignore[call-arg]
    path = []
    for _ in range(steps):
        opt.zero_grad()
        rosenbrock(x, y).backward()
        opt.step()
        path.append((x.data, y.data))
    return path


def run_torch(name: str, steps: int, **kwargs: object) -> list[tuple[float, float]]:
    torch = pytest.importorskip("torch")
    x = torch.tensor(START[0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor(START[1], dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, name)([x, y], **kwargs)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        rosenbrock(x, y).backward()
        opt.step()
        path.append((x.item(), y.item()))
    return path


def assert_paths_agree(ours: list, theirs: list, tol: float = 1e-8) -> None:
    assert len(ours) == len(theirs)
    for k, ((a, b), (c, d)) in enumerate(zip(ours, theirs)):
        assert abs(a - c) <= tol and abs(b - d) <= tol, f"step {k}: {(a, b)} vs {(c, d)}"


def test_rosenbrock_gradient_passes_gradcheck() -> None:
    assert gradcheck(rosenbrock, list(START))
    assert gradcheck(rosenbrock, [0.3, -0.4])


# ----- side by side with torch ------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{"lr": 1e-3}, {"lr": 1e-3, "momentum": 0.9}, {"lr": 2e-4, "momentum": 0.5}],
    ids=str,
)
def test_sgd_matches_torch_on_rosenbrock(kwargs: dict) -> None:
    ours = run_ours(SGD, 40, **kwargs)
    assert_paths_agree(ours, run_torch("SGD", 40, **kwargs))
    assert rosenbrock(*ours[-1]) < rosenbrock(*START)  # it did make progress


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lr": 0.05},
        {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6},
        {"lr": 0.1, "betas": (0.0, 0.5), "eps": 0.1},
    ],
    ids=str,
)
def test_adam_matches_torch_on_rosenbrock(kwargs: dict) -> None:
    ours = run_ours(Adam, 40, **kwargs)
    assert_paths_agree(ours, run_torch("Adam", 40, **kwargs))
    assert rosenbrock(*ours[-1]) < rosenbrock(*START)


# torch.optim.Adam fed the same gradients, in a fresh interpreter with torch's portable CPU
# kernels (ATEN_CPU_CAPABILITY=default). Its AVX2 kernels fuse the multiply-adds of lerp and
# addcmul into one rounding (an FMA), which plain Python floats cannot express before 3.13.
TORCH_ADAM = """
import json, sys, torch
out = {"capability": torch.backends.cpu.get_cpu_capability(), "runs": []}
for spec in json.load(sys.stdin):
    ps = [torch.tensor(x, dtype=torch.float64) for x in spec["start"]]
    opt = torch.optim.Adam(ps, lr=spec["lr"], betas=tuple(spec["betas"]), eps=spec["eps"])
    rows = []
    for grads in spec["grads"]:
        for p, g in zip(ps, grads):
            p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        state = [opt.state[p] for p in ps]
        rows.append([[p.item(), s["exp_avg"].item(), s["exp_avg_sq"].item()]
                     for p, s in zip(ps, state)])
    out["runs"].append(rows)
print(json.dumps(out))
"""

ADAM_BETAS = [(0.3, 0.99), (0.9, 0.999), (0.5, 0.9), (0.0, 0.5), (0.75, 0.25), (0.99, 0.9999)]


def adam_spec(betas: tuple[float, float], steps: int = 300, seed: int = 0) -> dict:
    """A start and a stream of gradients of every size from 1e-3 to 1e3, both signs."""
    rng = random.Random(seed)
    grads = [[rng.gauss(0, 1) * 10 ** rng.uniform(-3, 3) for _ in range(3)] for _ in range(steps)]
    return {"start": [0.5, -1.5, 2.0], "lr": 0.01, "betas": betas, "eps": 1e-8, "grads": grads}


def run_our_adam(spec: dict) -> list[list[list[float]]]:
    ps = [Value(x) for x in spec["start"]]
    opt = Adam(ps, lr=spec["lr"], betas=spec["betas"], eps=spec["eps"])
    rows = []
    for grads in spec["grads"]:
        for p, g in zip(ps, grads):
            p.grad = g
        opt.step()
        rows.append([[p.data, opt.m[i], opt.v[i]] for i, p in enumerate(ps)])
    return rows


def test_adam_moments_are_torchs_bit_for_bit_for_any_betas() -> None:
    pytest.importorskip("torch")
    specs = [adam_spec(betas) for betas in ADAM_BETAS]
    result = run_python(
        TORCH_ADAM,
        stdin=json.dumps(specs),
        env={**os.environ, "ATEN_CPU_CAPABILITY": "default"},
        check=True,
    )
    theirs = json.loads(result.stdout)
    assert theirs["capability"] == "DEFAULT"
    for spec, torch_rows in zip(specs, theirs["runs"]):
        ours = run_our_adam(spec)
        for k, (mine, their) in enumerate(zip(ours, torch_rows)):
            for i, ((p, m, v), (tp, tm, tv)) in enumerate(zip(mine, their)):
                where = f"betas {spec['betas']}, step {k + 1}, parameter {i}"
                # The moments: the same floats, step after step (m is torch's lerp, both branches).
                assert (m, v) == (tm, tv), where
                # NOTE: the parameter divides by sqrt(v), and torch's float64 sqrt is not always
                # correctly rounded (1 ulp off for about 1% of inputs, measured): a last-bit
                # difference there, never one that grows.
                assert p == pytest.approx(tp, rel=1e-14, abs=1e-15), where


@given(floats_in(-1e6, 1e6), floats_in(-1e6, 1e6))
def test_lerp_is_exact_at_both_ends(start: float, end: float) -> None:
    # start + 1.0 * (end - start) is not always end in floats; torch's second branch is.
    assert lerp(start, end, 0.0) == start
    assert lerp(start, end, 1.0) == end


def test_adam_with_betas_0_3_follows_torch_for_300_steps_on_rosenbrock() -> None:
    # In this process: torch's fastest kernels, and each side's own gradients.
    kwargs = {"lr": 0.01, "betas": (0.3, 0.99)}
    assert_paths_agree(run_ours(Adam, 300, **kwargs), run_torch("Adam", 300, **kwargs), 1e-12)


def test_sgd_with_a_changing_lr_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    x, y = Value(START[0]), Value(START[1])
    tx = torch.tensor(START[0], dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(START[1], dtype=torch.float64, requires_grad=True)
    ours, theirs = (
        SGD([x, y], lr=1e-3, momentum=0.9),
        torch.optim.SGD([tx, ty], lr=1e-3, momentum=0.9),
    )
    for k in range(30):
        lr = 1e-3 * (1.0 - 0.9 * k / 30)
        ours.lr = lr
        theirs.param_groups[0]["lr"] = lr
        for opt, loss in ((ours, rosenbrock(x, y)), (theirs, rosenbrock(tx, ty))):
            opt.zero_grad()
            loss.backward()
            opt.step()
        assert abs(x.data - tx.item()) <= 1e-8 and abs(y.data - ty.item()) <= 1e-8


# ----- the rules by hand, on finite-difference gradients ----------------------------------------


def reference_path(update: str, steps: int, lr: float, **kw: float) -> list[tuple[float, float]]:
    """The update rule in plain floats, fed central-difference gradients: no engine involved."""
    point = list(START)
    state: dict[str, list[float]] = {"b": [0.0, 0.0], "m": [0.0, 0.0], "v": [0.0, 0.0]}
    path = []
    for t in range(1, steps + 1):
        g = numerical_grad(rosenbrock, point, eps=1e-6)
        for i in range(2):
            if update == "sgd":
                mu = kw.get("momentum", 0.0)
                state["b"][i] = g[i] if t == 1 else mu * state["b"][i] + g[i]
                point[i] -= lr * state["b"][i]
            else:
                b1, b2, eps = kw["beta1"], kw["beta2"], kw["eps"]
                state["m"][i] = b1 * state["m"][i] + (1 - b1) * g[i]
                state["v"][i] = b2 * state["v"][i] + (1 - b2) * g[i] ** 2
                m_hat = state["m"][i] / (1 - b1**t)
                v_hat = state["v"][i] / (1 - b2**t)
                point[i] -= lr * m_hat / (math.sqrt(v_hat) + eps)
        path.append((point[0], point[1]))
    return path


def test_sgd_momentum_follows_the_rule_on_finite_difference_gradients() -> None:
    ours = run_ours(SGD, 25, lr=1e-3, momentum=0.9)
    assert_paths_agree(ours, reference_path("sgd", 25, 1e-3, momentum=0.9), tol=1e-6)


def test_adam_follows_the_paper_rule_on_finite_difference_gradients() -> None:
    ours = run_ours(Adam, 25, lr=0.05)
    expected = reference_path("adam", 25, 0.05, beta1=0.9, beta2=0.999, eps=1e-8)
    assert_paths_agree(ours, expected, tol=1e-6)


def test_first_momentum_step_takes_the_gradient_itself() -> None:
    p = Value(1.0)
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = 2.0
    opt.step()
    assert p.data == pytest.approx(1.0 - 0.1 * 2.0)
    p.grad = 2.0
    opt.step()
    assert p.data == pytest.approx(0.8 - 0.1 * (0.9 * 2.0 + 2.0))


def test_adam_first_step_moves_each_parameter_by_about_lr() -> None:
    ps = [Value(1.0), Value(1.0)]
    opt = Adam(ps, lr=0.01)
    ps[0].grad, ps[1].grad = 1e-3, -50.0
    opt.step()
    assert ps[0].data == pytest.approx(0.99, abs=1e-7)
    assert ps[1].data == pytest.approx(1.01, abs=1e-7)


@given(st.lists(floats_in(-10, 10), min_size=1, max_size=5), floats_in(0.0, 1.0))
def test_plain_sgd_step_is_p_minus_lr_g(grads: list[float], lr: float) -> None:
    ps = [Value(0.5 * i) for i in range(len(grads))]
    for p, g in zip(ps, grads):
        p.grad = g
    SGD(ps, lr=lr).step()
    assert [p.data for p in ps] == [0.5 * i - lr * g for i, g in enumerate(grads)]


# ----- state, graphs and bad arguments ----------------------------------------------------------


@pytest.mark.parametrize(
    "make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9), Adam], ids=["SGD", "Adam"]
)
def test_step_builds_no_graph_and_zero_grad_zeroes(make) -> None:  # type: ignore[no-untyped-def]
    model = MLP(2, [3, 1], seed=0)
    params = model.parameters()
    opt = make(params)
    loss = mse_loss(model([0.5, -0.5]), 1.0)
    loss.backward()
    grads = [p.grad for p in params]
    before = [p.data for p in params]
    opt.step()
    assert [p.data for p in params] != before
    assert [p.grad for p in params] == grads  # step reads grads, never changes them
    assert all(topological_order(p) == [p] for p in params)  # still leaves, no history
    assert model.parameters() == params  # the same Value objects, updated in place
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in params)


def test_params_may_be_any_iterable() -> None:
    model = MLP(2, [2, 1], seed=0)
    opt = SGD(iter(model.parameters()), lr=0.1)
    assert opt.params == model.parameters()


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p: SGD(p, lr=-0.1), ValueError, "invalid SGD lr -0.1"),
        (lambda p: SGD(p, lr=math.nan), ValueError, "invalid SGD lr nan"),
        (lambda p: SGD(p, lr="0.1"), TypeError, "SGD lr must be a real number, got str"),
        (lambda p: SGD(p, lr=True), TypeError, "got bool"),
        (lambda p: SGD(p, lr=0.1, momentum=-0.5), ValueError, "invalid SGD momentum"),
        (lambda p: Adam(p, lr=-1.0), ValueError, "invalid Adam lr"),
        (lambda p: Adam(p, betas=(1.0, 0.999)), ValueError, "invalid Adam beta1 1.0"),
        (lambda p: Adam(p, betas=(0.9, -0.1)), ValueError, "invalid Adam beta2"),
        (lambda p: Adam(p, betas=0.9), TypeError, "betas must be a pair"),
        (lambda p: Adam(p, eps=-1e-8), ValueError, "invalid Adam eps"),
        (lambda p: SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda p: Adam([*p, 1.0]), TypeError, "params\\[2\\] must be a Value, got float"),
        (lambda p: SGD([*p, p[0]], lr=0.1), ValueError, "listed more than once"),
        (lambda p: SGD([p[0], p[0] * p[1]], lr=0.1), ValueError, r"params\[1\] is not a leaf"),
        (lambda p: Adam([p[1].tanh()]), ValueError, "computed by 'tanh', data 0.96"),
    ],
)
def test_bad_arguments_raise(make, error: type[Exception], message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        make([Value(1.0), Value(2.0)])


@pytest.mark.parametrize("optimizer", [SGD, Adam])
@pytest.mark.parametrize("given", ["model", "model.parameters"])
def test_a_model_or_its_uncalled_method_points_to_parameters(optimizer: type, given: str) -> None:
    model = MLP(2, [2, 1], seed=0)
    params = model if given == "model" else model.parameters
    with pytest.raises(TypeError, match=r"pass model\.parameters\(\), with the parentheses"):
        optimizer(params, lr=0.1)


def test_reprs() -> None:
    ps = [Value(1.0)]
    assert repr(SGD(ps, lr=0.1, momentum=0.9)) == "SGD(1 parameters, lr=0.1, momentum=0.9)"
    assert repr(Adam(ps)) == "Adam(1 parameters, lr=0.001, betas=(0.9, 0.999), eps=1e-08)"


@pytest.mark.parametrize("grads", [[1.0, 0.0], [0.0, -2.0], [0.0, 0.0], [1e-200, 3.0]])
def test_adam_with_eps_0_updates_every_parameter_or_none_as_torch(grads: list[float]) -> None:
    # With eps = 0 a zero gradient gives m / (sqrt(v) + 0) = 0 / 0: nan, as torch's division
    # (and 1e-200 squared is 0 in v: m / 0 is inf). The step must not stop half-way, having
    # moved some parameters and not others.
    ws = [Value(0.5), Value(-1.5)]
    adam = Adam(ws, lr=0.1, eps=0.0)
    for w, g in zip(ws, grads):
        w.grad = g
    adam.step()
    ours = [w.data for w in ws]
    assert adam.t == 1
    for w0, w, g in zip([0.5, -1.5], ours, grads):
        if g == 0.0:
            assert math.isnan(w)
        elif g * g == 0.0:
            assert w == -math.copysign(math.inf, g)
        else:
            assert w == pytest.approx(w0 - 0.1 * math.copysign(1.0, g), rel=1e-12)
    torch = pytest.importorskip("torch")
    ts = [torch.tensor(w0, dtype=torch.float64, requires_grad=True) for w0 in (0.5, -1.5)]
    for t, g in zip(ts, grads):
        t.grad = torch.tensor(g, dtype=torch.float64)
    torch.optim.Adam(ts, lr=0.1, eps=0.0).step()
    theirs = [t.item() for t in ts]
    assert all(a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(ours, theirs))
