"""The table of primitives: users' own ops, the dual functions, exact division, and every op at
the edges (NaN, infinities, signed zeros, the largest and smallest floats) against PyTorch."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from typing import Any

import pytest

from autograd import (
    GradcheckError,
    Value,
    backward_steps,
    cos,
    dot,
    draw_dot,
    exp,
    grad,
    gradcheck,
    log,
    maximum,
    no_grad,
    primitive,
    relu,
    sigmoid,
    sin,
    sqrt,
    tanh,
    topological_order,
)
from autograd.primitives import POW_CONST, PRIMITIVES, Primitive
from nn import MLP
from tests.op_cases import softplus

leaky_relu = primitive(
    "leaky_relu",
    lambda x, *, slope: x if x > 0 else slope * x,
    lambda g, out, x, *, slope: (g if x > 0 else g * slope,),
)


def softplus_reference(x: float) -> float:
    return math.log1p(math.exp(x))


# ----- a user's primitive is first-class ----------------------------------------------------------


def test_a_user_primitive_computes_and_backpropagates() -> None:
    x = Value(0.3)
    y = softplus(x)
    assert y.data == pytest.approx(softplus_reference(0.3), rel=1e-15)
    assert y._op == "softplus"
    assert y._parents == (x,)
    y.backward()
    assert x.grad == pytest.approx(1 / (1 + math.exp(-0.3)), rel=1e-15)
    assert softplus(2).data == pytest.approx(softplus_reference(2.0))  # a number is a constant


def test_a_user_primitive_to_the_third_derivative() -> None:
    x = Value(0.7)
    d1, = grad(softplus(x), [x], create_graph=True)  # fmt: skip
    d2, = grad(d1, [x], create_graph=True)  # fmt: skip
    d3, = grad(d2, [x])  # fmt: skip
    s = 1 / (1 + math.exp(-0.7))
    assert d1.data == pytest.approx(s, rel=1e-14)
    assert d2.data == pytest.approx(s * (1 - s), rel=1e-14)
    assert d3.data == pytest.approx(s * (1 - s) * (1 - 2 * s), rel=1e-12)


@pytest.mark.parametrize("x0", [-3.0, -0.4, 0.0, 0.9, 5.0])
def test_a_user_primitive_matches_pytorch_to_the_third_derivative(x0: float) -> None:
    torch = pytest.importorskip("torch")
    x = Value(x0)
    ours = [softplus(x)]
    for _ in range(3):
        ours.append(grad(ours[-1], [x], create_graph=True)[0])
    t = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    theirs = [torch.nn.functional.softplus(t)]
    for _ in range(3):
        theirs.append(torch.autograd.grad(theirs[-1], t, create_graph=True)[0])
    for a, b in zip(ours, theirs):
        assert a.data == pytest.approx(b.item(), rel=1e-12, abs=1e-15)


def test_a_user_primitive_works_with_no_grad_gradcheck_drawing_and_the_stepper() -> None:
    x = Value(-0.5, label="x")
    with no_grad():
        assert softplus(x)._parents == ()
    assert gradcheck(lambda v: softplus(v * 2) * v, [0.4])
    y = softplus(x)
    assert "softplus" in draw_dot(y).source
    steps = list(backward_steps(y))
    assert steps[-1].node is x
    assert steps[-1].grad == pytest.approx(1 / (1 + math.exp(0.5)))


def test_constants_are_keywords_not_parents() -> None:
    x = Value(-2.0)
    y = leaky_relu(x, slope=0.1)
    assert y.data == pytest.approx(-0.2)
    assert y._parents == (x,)
    assert y._op == "leaky_relu(slope=0.1)"
    y.backward()
    assert x.grad == pytest.approx(0.1)
    # Every node with the same constants shares one bound primitive; x ** n is one too.
    assert leaky_relu(x, slope=0.1)._primitive is y._primitive
    assert (x**2)._primitive is (Value(3.0) ** 2)._primitive
    assert (x**2)._op == "**2"
    with pytest.raises(TypeError, match=r"leaky_relu's constant slope.*str"):
        leaky_relu(x, slope="0.1")
    with pytest.raises(TypeError, match=r"leaky_relu's constant slope.*list"):
        leaky_relu(x, slope=[0.1])  # not even a key of the cache of bound primitives
    # A constant keeps its own type, whichever came first.
    assert leaky_relu(x, slope=2.0)._primitive.consts == (("slope", 2.0),)
    ((_, two),) = leaky_relu(x, slope=2)._primitive.consts
    assert type(two) is int
    # Binding a built-in op checks its constants too, named by the op.
    with pytest.raises(TypeError, match=r"\*\*'s constant n must be a real number, got str"):
        POW_CONST.bind(n="2")
    with pytest.raises(TypeError, match=r"\*\*'s constant n must be a real number, got list"):
        POW_CONST.bind(n=[2])
    assert POW_CONST.bind(n=2.0) is (x**2)._primitive


def test_a_rule_with_the_wrong_number_of_terms_is_refused_by_name() -> None:
    twice = primitive("twice", lambda x: 2 * x, lambda g, out, x: (2 * g, 0.0))
    x = Value(1.5)
    y = twice(x) * 3
    for run in (y.backward, lambda: grad(y, [x]), lambda: grad(y, [x], create_graph=True)):
        with pytest.raises(TypeError, match=r"'twice' returned 2 terms for 1 parents"):
            run()
    assert x.grad == 0.0  # nothing was changed


def test_a_rule_that_returns_a_bare_term_is_refused_by_name() -> None:
    # One term, not in a tuple: zip() would fail on a float with a message naming no op.
    double = primitive("double", lambda x: 2 * x, lambda g, out, x: 2 * g)
    x = Value(1.5)
    y = double(x)
    for run in (y.backward, y._backward, lambda: grad(y, [x], create_graph=True)):
        with pytest.raises(TypeError, match=r"'double' returned .*: a rule returns a tuple of"):
            run()
    assert x.grad == 0.0


@pytest.mark.parametrize(
    ("term", "kind"),
    [(Value(2.0), "a Value"), (1j, "complex"), (None, "NoneType"), ("1", "str"), ([1.0], "list")],
    ids=["value", "complex", "none", "str", "list"],
)
def test_a_rule_term_that_is_not_a_number_is_refused_naming_the_primitive(
    term: object, kind: str
) -> None:
    # A rule that closes over a Value (or returns complex, None, a str, a list) is refused
    # where it runs, not a step later in the optimizer, and nothing is changed.
    closed = primitive("closed", lambda x: 2 * x, lambda g, out, x: (term,))
    x = Value(1.5)
    y = closed(x) * 3
    runs = (y.backward, closed(x).backward, closed(x.exp()).backward, lambda: grad(y, [x]))
    for run in runs:
        with pytest.raises(TypeError, match=rf"rule of primitive 'closed'.*{kind}"):
            run()
    assert x.grad == 0.0 and type(x.grad) is not Value
    if not isinstance(term, Value):  # with create_graph a Value term is a term like any other
        with pytest.raises(TypeError, match=rf"rule of primitive 'closed'.*{kind}"):
            grad(y, [x], create_graph=True)
    # Numbers of any real type are terms: an int, a numpy float.
    np = pytest.importorskip("numpy")
    for number in (2, np.float32(2.0), np.float64(2.0)):
        fine = primitive("fine", lambda x: 2 * x, lambda g, out, x, k=number: (g * k,))
        z = Value(1.5)
        fine(z).backward()
        assert z.grad == 2.0


def test_an_error_in_a_users_rule_is_reraised_naming_the_primitive() -> None:
    broken = primitive("broken", lambda x: x, lambda g, out, x: (g / 0.0,))
    x = Value(1.0)
    with pytest.raises(ZeroDivisionError, match=r"rule of primitive 'broken'"):
        broken(x).backward()
    not_a_tuple = primitive("bare", lambda x: x, lambda g, out, x: g)
    with pytest.raises(TypeError, match=r"'bare'"):
        not_a_tuple(x).backward()


def test_gradcheck_catches_a_wrong_user_rule() -> None:
    wrong = primitive("wrong_softplus", softplus_reference, lambda g, out, x: (g * tanh(x),))
    with pytest.raises(GradcheckError):
        gradcheck(lambda v: wrong(v), [0.8])


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda: primitive(3, abs, abs), TypeError, "name"),  # type: ignore[arg-type]
        (lambda: primitive("", abs, abs), TypeError, "name"),
        (lambda: primitive("f", 1.0, abs), TypeError, "forward"),  # type: ignore[arg-type]
        (lambda: primitive("f", abs, None), TypeError, "rule"),  # type: ignore[arg-type]
        (lambda: primitive("f", lambda x: "1", abs)(Value(1.0)), TypeError, "forward of f.*str"),
        (lambda: softplus("1.0"), TypeError, "softplus.*str"),  # type: ignore[arg-type]
    ],
)
def test_bad_primitives_are_refused(make: Callable[[], Any], error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        make()


# ----- the dual functions -------------------------------------------------------------------------

DUALS = [exp, log, sqrt, tanh, sigmoid, relu, sin, cos]


@pytest.mark.parametrize("f", DUALS, ids=lambda f: f.__name__)
def test_dual_functions_take_floats_or_values(f: Callable[[Any], Any]) -> None:
    on_float = f(0.7)
    on_value = f(Value(0.7))
    assert type(on_float) is float
    assert isinstance(on_value, Value)
    assert on_value.data == on_float == getattr(Value(0.7), f.__name__)().data
    assert on_value._op == f.__name__


def test_dual_functions_raise_the_methods_domain_errors() -> None:
    with pytest.raises(ValueError, match=r"log.*-1\.0"):
        log(-1.0)
    with pytest.raises(ValueError, match=r"sqrt.*-4\.0"):
        sqrt(-4.0)
    with pytest.raises(OverflowError, match="exp"):
        exp(1000.0)
    with pytest.raises(TypeError, match="str"):
        exp("1")


# ----- exact division -----------------------------------------------------------------------------


def test_division_is_rounded_once_like_python() -> None:
    assert (Value(3) / 10).data == 0.3
    rng = random.Random(0)
    differ = 0
    for _ in range(20_000):
        x = rng.uniform(-1, 1) * 10 ** rng.randint(-300, 300)
        y = rng.uniform(-1, 1) * 10 ** rng.randint(-300, 300)
        for a, b in ((x, y), (rng.randint(-1000, 1000), rng.randint(1, 1000))):
            differ += (Value(a) / b).data != a / b
            differ += (a / Value(b)).data != a / b
    assert differ == 0


EXTREME_QUOTIENTS = [
    (1e200, 1e200),
    (1e-200, 1e-200),
    (1e300, 1e-10),
    (1e-300, 1e10),
    (5e-324, 1e-300),
    (1.0, 1e-200),
    (-3.0, 7e-310),
    (1e308, -0.5),
]


@pytest.mark.parametrize(("x0", "y0"), EXTREME_QUOTIENTS)
def test_extreme_quotients_and_their_gradients_match_pytorch(x0: float, y0: float) -> None:
    torch = pytest.importorskip("torch")
    x, y = Value(x0), Value(y0)
    out = x / y
    out.backward()
    tx = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(y0, dtype=torch.float64, requires_grad=True)
    t_out = tx / ty
    t_out.backward()
    assert out.data == t_out.item()
    assert x.grad == pytest.approx(tx.grad.item(), rel=1e-15)
    assert y.grad == pytest.approx(ty.grad.item(), rel=1e-15)


def test_the_quotient_rule_neither_overflows_nor_underflows() -> None:
    x, y = Value(1e200), Value(1e200)
    (x / y).backward()
    assert (x.grad, y.grad) == (1e-200, -1e-200)


# ----- backward never fails once the forward has succeeded ----------------------------------------


BACKWARD_EDGES: list[tuple[str, Callable[..., Value], tuple[float, ...]]] = [
    ("1 / 1e-200", lambda y: 1 / y, (1e-200,)),
    ("0.1 ** -308", lambda x: x**-308, (0.1,)),
    ("x ** y overflowing d/dx", lambda x, y: x**y, (0.1, -308.0)),
    ("1e200 * 1e200", lambda x, y: x * y, (1e200, 1e200)),
    ("exp(709) * 10", lambda x: x.exp() * 10, (709.0,)),
    ("sqrt(5e-324)", lambda x: x.sqrt(), (5e-324,)),
    ("5e-324 ** 0", lambda x: x**0, (5e-324,)),
    ("log(5e-324)", lambda x: x.log(), (5e-324,)),
]


@pytest.mark.parametrize(("name", "f", "xs"), BACKWARD_EDGES, ids=[e[0] for e in BACKWARD_EDGES])
def test_backward_after_a_successful_forward_never_raises(
    name: str, f: Callable[..., Value], xs: tuple[float, ...]
) -> None:
    vs = [Value(x) for x in xs]
    out = f(*vs)
    out.backward()
    floats = [v.grad for v in vs]
    graphs = [g.data for g in grad(out, vs, create_graph=True)]
    assert floats == graphs  # the float pass and the create_graph pass agree, inf included
    torch = pytest.importorskip("torch")
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    theirs = torch.autograd.grad(f(*ts), ts)
    for ours, t in zip(floats, theirs):
        assert same(ours, t.item())


# ----- every op at the edges, against PyTorch float64 ---------------------------------------------

SPECIAL = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1e308, -1e308, 5e-324, -5e-324, 1.0, -2.0]

UNARY_OPS: dict[str, Callable[[Any], Any]] = {
    "exp": lambda v: v.exp(),
    "log": lambda v: v.log(),
    "sqrt": lambda v: v.sqrt(),
    "tanh": lambda v: v.tanh(),
    "sigmoid": lambda v: v.sigmoid(),
    "relu": lambda v: v.relu(),
    "abs": lambda v: v.abs(),
    "sin": lambda v: v.sin(),
    "cos": lambda v: v.cos(),
    "neg": lambda v: -v,
    "pow 2": lambda v: v**2,
    "pow -1": lambda v: v**-1,
    "pow 0": lambda v: v**0,
    "pow 0.5": lambda v: v**0.5,
}
BINARY_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "max": lambda a, b: maximum(a, b) if isinstance(a, Value) else a.maximum(b),
    "dot": lambda a, b: dot([a], [b]) if isinstance(a, Value) else a * b,
}
CASES = [(name, (x,)) for name in UNARY_OPS for x in SPECIAL] + [
    (name, xy) for name in BINARY_OPS for xy in itertools.product(SPECIAL, SPECIAL)
]
# Where chainrule raises instead of giving PyTorch's inf or nan, as API.md asks ("bad input
# gets a clear error, never a wrong number"); the README lists these.
REFUSED = (ValueError, ZeroDivisionError, OverflowError)
# d/dx x**y for 0 < y < 1 at x = -0.0: +inf in chainrule, the slope of x**y at 0; -inf in
# PyTorch, which computes x ** 0.5 as sqrt(x) (1 / (2 * -0.0)), and for y = 5e-324 rounds y - 1
# to -1, an odd power of -0.0 (docs/edges.md).
INFINITE_SLOPE_AT_MINUS_ZERO = {("pow 0.5", (-0.0,)), ("pow", (-0.0, 5e-324))}


def same(a: float, b: float) -> bool:
    # (Infinities must be equal: inf - -inf is inf, which is "within" 1e-12 * inf.)
    close = math.isfinite(b) and abs(a - b) <= 1e-12 * abs(b)
    return (math.isnan(a) and math.isnan(b)) or a == b or close


def call(name: str, xs: list[Any]) -> Any:
    return UNARY_OPS[name](*xs) if name in UNARY_OPS else BINARY_OPS[name](*xs)


def test_the_edge_sweep_covers_every_op() -> None:
    # Every row of the table of primitives is reached by some op of the sweep.
    reached: set[Primitive] = set()
    for name in [*UNARY_OPS, *BINARY_OPS]:
        out = call(name, [Value(1.5)] if name in UNARY_OPS else [Value(1.5), Value(0.5)])
        for node in topological_order(out):
            op = node._primitive
            if op is not None:
                forward = getattr(op.forward, "func", op.forward)  # a row with constants bound
                reached |= {row for row in PRIMITIVES if row.forward is forward}
    assert set(PRIMITIVES) - reached == set()
    assert len(CASES) == len(UNARY_OPS) * len(SPECIAL) + len(BINARY_OPS) * len(SPECIAL) ** 2


@pytest.mark.parametrize(("name", "xs"), CASES, ids=[f"{n}{xs}" for n, xs in CASES])
def test_every_op_at_the_edges_matches_pytorch_float64(name: str, xs: tuple[float, ...]) -> None:
    torch = pytest.importorskip("torch")
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    t_out = call(name, ts)
    t_grads = [0.0 if g is None else g.item() for g in torch.autograd.grad(t_out, ts)]
    vs = [Value(x) for x in xs]
    try:
        out = call(name, vs)
    except REFUSED:
        # Refused only where PyTorch has no finite answer (an infinity or a nan), or for a
        # negative base to a non-integer power, which API.md refuses even for the base -inf.
        negative_base = name == "pow" and xs[0] < 0 and not xs[1].is_integer()
        assert not math.isfinite(t_out.item()) or negative_base
        return
    assert same(out.data, t_out.item()), (out.data, t_out.item())
    if not math.isnan(t_out.item()):
        assert not math.isnan(out.data)
    out.backward()
    if (name, xs) in INFINITE_SLOPE_AT_MINUS_ZERO:
        t_grads = [abs(t) for t in t_grads]
    assert all(same(v.grad, t) for v, t in zip(vs, t_grads)), ([v.grad for v in vs], t_grads)
    # The create_graph pass gives the same numbers as the float pass.
    assert all(same(g.data, v.grad) for g, v in zip(grad(out, vs, create_graph=True), vs))


def test_relu_of_nan_is_nan_and_reaches_the_loss() -> None:
    assert math.isnan(Value(math.nan).relu().data)
    assert math.isnan(MLP(2, [3, 1], seed=0)([math.nan, 1.0]).data)


@pytest.mark.parametrize("x0", [math.nan, 5e-324, 0.0, -2.0, math.inf])
def test_d_dx_of_x_to_a_value_zero_is_zero_everywhere(x0: float) -> None:
    x, y = Value(x0), Value(0.0)
    out = x**y
    out.backward()
    assert out.data == 1.0
    assert x.grad == 0.0


def test_the_mixed_derivative_of_a_power_at_exponent_zero_is_the_true_one() -> None:
    # d2/dx dy x**y = x**(y-1) (1 + y log x), which is 1/x at y = 0. PyTorch gives 0 there: it
    # masks d/dx to a constant where y == 0 (docs/edges.md lists this difference).
    x, y = Value(2.0), Value(0.0)
    dx, = grad(x**y, [x], create_graph=True)  # fmt: skip
    d2, = grad(dx, [y])  # fmt: skip
    h = 1e-6
    numeric = ((2.0**h) * h / 2.0 - (2.0**-h) * -h / 2.0) / (2 * h)  # central difference of dx
    assert d2.data == pytest.approx(0.5, rel=1e-12)
    assert d2.data == pytest.approx(numeric, rel=1e-6)


def second_derivatives(f: Callable[..., Any], xs: tuple[float, ...]) -> list[list[float]]:
    """d2 f / dx_i dx_j at xs, by grad of each first derivative."""
    vs = [Value(x) for x in xs]
    firsts = grad(f(*vs), vs, create_graph=True)
    return [[d.data for d in grad(first, vs)] for first in firsts]


def torch_second_derivatives(f: Callable[..., Any], xs: tuple[float, ...]) -> list[list[float]]:
    torch = pytest.importorskip("torch")
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    firsts = torch.autograd.grad(f(*ts), ts, create_graph=True)
    return [
        [0.0 if d is None else d.item() for d in torch.autograd.grad(t, ts, allow_unused=True)]
        for t in firsts
    ]


@pytest.mark.parametrize("y0", [3.0, 1.0, 0.0, -2.0, 0.5, math.inf, math.nan])
@pytest.mark.parametrize("x0", [math.nan, -2.0, -0.5, -math.inf])
def test_derivatives_of_d_dy_of_a_power_at_a_nan_or_negative_base_are_nan(
    x0: float, y0: float
) -> None:
    # d/dy x**y = x**y log(x) has no real value for a negative (or nan) base: nan, and so are
    # its own derivatives, as PyTorch's (a constant nan would give them 0: a nan turned into a
    # number). A negative base to a non-integer power is refused in the forward already.
    if x0 < 0 and math.isfinite(y0) and not y0.is_integer():
        return
    ours = second_derivatives(lambda x, y: x**y, (x0, y0))
    assert all(math.isnan(d) for d in ours[1]), ours
    theirs = torch_second_derivatives(lambda x, y: x**y, (x0, y0))
    # At y = 0 PyTorch's d2/dy dx is 1/x: its mask of d/dx selects 0 where ours multiplies by
    # the nan; its d2/dx dy there is nan, as both of ours are (docs/edges.md).
    assert all(math.isnan(d) for d in (theirs[1] if y0 != 0 else theirs[1][1:])), theirs


@pytest.mark.parametrize(
    ("x0", "d1", "d2"), [(0.0, math.inf, -math.inf), (-0.0, -math.inf, math.inf)]
)
def test_sqrt_at_zero_has_pytorchs_infinite_derivatives_and_signs(
    x0: float, d1: float, d2: float
) -> None:
    # sqrt'(x) = 1 / (2 sqrt(x)) and sqrt''(x) = -1 / (4 x**1.5): at +0 the limits +inf and
    # -inf; at -0.0 IEEE's 1 / (2 * -0.0) = -inf, as PyTorch computes it.
    x = Value(x0)
    x.sqrt().backward()
    assert x.grad == d1
    assert second_derivatives(lambda v: v.sqrt(), (x0,)) == [[d2]]
    theirs = torch_second_derivatives(lambda v: v.sqrt(), (x0,))
    assert theirs == [[d2]]
