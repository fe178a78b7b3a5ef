"""Random functions with rules of known error: the families that measure gradcheck (issue 20).

Each case is a function of one input (or, for fast mode, of several), a point, and a rule
that is right or wrong by a known amount. The same case is built twice: for chainrule (a
`primitive` whose rule is off) and for PyTorch (an `autograd.Function` whose backward is off
by the same amount), so both gradchecks judge the same mistake in the same run.

Families, each drawn from a seeded random.Random:
- wrong, order 1 (should fail): smooth; near-stationary (a steep quadratic or cos near its
  extremum, within 3 eps of it); oscillating (sin(w x), w from 10 to 100). The first
  derivative is off by 5 tolerances: 5 (atol + rtol |f'|), with a random sign.
- wrong, order 2 only (should fail order=2): the first derivative is right in value, but its
  own derivative, under create_graph, is off by 5 (atol + rtol |f''|); some points sit where
  f'' is near zero (f' near-stationary).
- correct at and near kinks (should pass, order 1 and 2): relu, abs, max at a tie, hinge, at
  the kink or within 3 eps of it; log within 10 eps of its domain's edge; and functions with
  a large constant offset (1e5 to 1e8), where rounding swamps the tolerance.
- fast mode: functions of 2 to 8 inputs (one entry 1-5% wrong, or off by an absolute
  offset) and of 40 inputs (one entry off by 5 tolerances). Each is counted where the full
  check catches it; a miss is a fast=True pass there.

`python -m tests.gradcheck_families [cases per family]` prints the rates table of
docs/gradient-tests.md (it needs torch).
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import autograd
from autograd import Value, gradcheck, primitive

EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3


def math_of(module: Any, constant: Callable[[Any], Any]) -> Any:
    """The math a case is written in: module's sin, cos, exp, log and relu, the builtin abs,
    and `constant(x)`, x's value cut out of the graph."""
    names = {name: getattr(module, name) for name in ("sin", "cos", "exp", "log", "relu")}
    return SimpleNamespace(**names, abs=abs, constant=constant)


# For chainrule: the autograd functions take floats and Values.
Floats = math_of(autograd, lambda x: x.data if isinstance(x, Value) else x)


def torch_math() -> Any:
    """The same names for PyTorch tensors."""
    import torch

    return math_of(torch, lambda x: x.detach())


Formula = Callable[[Any, Any], Any]


@dataclass
class Case:
    """f(x) at x; `first` its derivative; the rule sends first + off1, and, under
    create_graph, a term off2 (x - x0) more, whose derivative is off2 (zero in value)."""

    family: str
    f: Formula
    first: Formula
    x: float
    off1: float = 0.0
    off2: float = 0.0
    order: int = 1
    wrong: bool = True

    def chainrule(self) -> Callable[[Value], Value]:
        if not self.wrong:
            return lambda x: self.f(Floats, x)
        ns, off1, off2 = Floats, self.off1, self.off2
        op = primitive(
            "case",
            lambda x: self.f(ns, x),
            lambda g, out, x: (g * (self.first(ns, x) + off1 + off2 * (x - ns.constant(x))),),
        )
        return op

    def passes(self) -> bool:
        return gradcheck(
            self.chainrule(), [self.x], EPS, ATOL, RTOL, order=self.order, raise_exception=False
        )

    def torch_passes(self) -> bool:
        import torch

        torch.manual_seed(0)  # gradgradcheck draws its upstream gradients from torch's generator
        ns = torch_math()
        f = self.f if not self.wrong else torch_wrong(self, ns)
        x = torch.tensor([self.x], dtype=torch.float64, requires_grad=True)
        check = torch.autograd.gradcheck if self.order == 1 else torch.autograd.gradgradcheck
        return bool(
            check(
                (lambda t: f(ns, t)) if not self.wrong else f,
                (x,),
                eps=EPS,
                atol=ATOL,
                rtol=RTOL,
                raise_exception=False,
            )
        )


def torch_wrong(case: Case, ns: Any) -> Callable[[Any], Any]:
    import torch

    class Wrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return case.f(ns, x)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            (x,) = ctx.saved_tensors
            return g * (case.first(ns, x) + case.off1 + case.off2 * (x - ns.constant(x)))

    return Wrong.apply  # type: ignore[no-any-return]


def off_by(rng: random.Random, size: float) -> float:
    """5 tolerances of a derivative of this size, with a random sign."""
    return rng.choice((-1.0, 1.0)) * 5 * (ATOL + RTOL * abs(size))


def near(rng: random.Random, x0: float) -> float:
    """x0 itself one time in five, else within 3 eps of it."""
    return x0 if rng.random() < 0.2 else x0 + rng.uniform(-3, 3) * EPS


# ----- the families ------------------------------------------------------------------------------


def smooth(rng: random.Random) -> Case:
    a, b, c = (rng.uniform(-3, 3) for _ in range(3))
    w, p = rng.uniform(0.5, 3), rng.uniform(-3, 3)

    def f(ns: Any, x: Any) -> Any:
        return a * ns.sin(w * x + p) + b * x * x + c * ns.exp(x / 2)

    def first(ns: Any, x: Any) -> Any:
        return a * w * ns.cos(w * x + p) + 2 * b * x + c / 2 * ns.exp(x / 2)

    x = rng.uniform(-2, 2)
    return Case("smooth", f, first, x, off1=off_by(rng, first(Floats, x)))


def near_stationary(rng: random.Random) -> Case:
    if rng.random() < 0.5:
        c, x0 = 10 ** rng.uniform(0, 4), rng.uniform(-2, 2)

        def f(ns: Any, x: Any) -> Any:
            return c * (x - x0) * (x - x0)

        def first(ns: Any, x: Any) -> Any:
            return 2 * c * (x - x0)

        x = near(rng, x0)
    else:
        a, w = rng.uniform(-3, 3), rng.uniform(1, 20)

        def f(ns: Any, x: Any) -> Any:
            return a * ns.cos(w * x)

        def first(ns: Any, x: Any) -> Any:
            return -a * w * ns.sin(w * x)

        x = near(rng, 0.0)
    return Case("near-stationary", f, first, x, off1=off_by(rng, first(Floats, x)))


def oscillating(rng: random.Random) -> Case:
    a, w, p = rng.uniform(-3, 3), 10 ** rng.uniform(1, 2), rng.uniform(-3, 3)

    def f(ns: Any, x: Any) -> Any:
        return a * ns.sin(w * x + p)

    def first(ns: Any, x: Any) -> Any:
        return a * w * ns.cos(w * x + p)

    # Half the points near an extremum of sin(w x + p), where f' is near zero.
    x = rng.uniform(-2, 2)
    if rng.random() < 0.5:
        x = near(rng, (math.pi / 2 - p + math.pi * round(x * w / math.pi)) / w)
    return Case("oscillating", f, first, x, off1=off_by(rng, first(Floats, x)))


def second_order_only(rng: random.Random) -> Case:
    kind = rng.randrange(3)
    if kind == 0:  # sin near 0: f'' = -a w**2 sin(w x) near zero
        a, w = rng.uniform(-3, 3), rng.uniform(1, 20)
        x = near(rng, 0.0)

        def f(ns: Any, x: Any) -> Any:
            return a * ns.sin(w * x)

        def first(ns: Any, x: Any) -> Any:
            return a * w * ns.cos(w * x)

        second = -a * w * w * math.sin(w * x)
    elif kind == 1:  # a cube near its inflection point: f' = 3 c (x - x0)**2 near-stationary
        c, x0 = 10 ** rng.uniform(0, 3), rng.uniform(-2, 2)
        x = near(rng, x0)

        def f(ns: Any, x: Any) -> Any:
            return c * (x - x0) * (x - x0) * (x - x0)

        def first(ns: Any, x: Any) -> Any:
            return 3 * c * (x - x0) * (x - x0)

        second = 6 * c * (x - x0)
    else:  # smooth
        a, b, w = rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(0.5, 3)
        x = rng.uniform(-2, 2)

        def f(ns: Any, x: Any) -> Any:
            return a * ns.sin(w * x) + b * ns.exp(x / 2)

        def first(ns: Any, x: Any) -> Any:
            return a * w * ns.cos(w * x) + b / 2 * ns.exp(x / 2)

        second = -a * w * w * math.sin(w * x) + b / 4 * math.exp(x / 2)
    return Case("second-order-only", f, first, x, off2=off_by(rng, second), order=2)


def at_kinks(rng: random.Random) -> Case:
    """Correct rules, at or near a kink (or log's edge, or a large offset): must pass."""
    kind = rng.randrange(6)
    a, b, c = rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-2, 2)
    order = rng.choice((1, 2))
    x = near(rng, c)
    f: Formula
    if kind == 0:

        def f(ns: Any, x: Any) -> Any:
            return a * ns.relu(x - c) + b * x

    elif kind == 1:

        def f(ns: Any, x: Any) -> Any:
            return a * ns.abs(x - c) + b * x * x

    elif kind == 2:  # max(x, c) at a tie, as c + relu(x - c), times a smooth factor

        def f(ns: Any, x: Any) -> Any:
            return (c + ns.relu(x - c)) * ns.exp(b * x / 3)

    elif kind == 3:  # hinge relu(1 - x y) at the margin x y = 1

        def f(ns: Any, x: Any) -> Any:
            return ns.relu(1 - x * (1 / c)) * a

    elif kind == 4:  # log within 10 eps of 0
        x = rng.uniform(1.1, 10) * EPS

        def f(ns: Any, x: Any) -> Any:
            return a * ns.log(x)

    else:  # a large offset: rounding of f is larger than the tolerance times eps
        big = 10 ** rng.uniform(5, 8)

        def f(ns: Any, x: Any) -> Any:
            return big + a * ns.relu(x - c) + b * ns.sin(x)

    return Case("at and near kinks", f, f, x, order=order, wrong=False)


FAMILIES: dict[str, Callable[[random.Random], Case]] = {
    "smooth": smooth,
    "near-stationary": near_stationary,
    "oscillating": oscillating,
    "second-order-only": second_order_only,
    "at and near kinks": at_kinks,
}


def cases(family: str, n: int, seed: int = 20) -> list[Case]:
    rng = random.Random(f"{family}/{seed}")
    return [FAMILIES[family](rng) for _ in range(n)]


# ----- fast mode ---------------------------------------------------------------------------------


@dataclass
class ManyInputs:
    """f(x) = sum_i a_i sin(w_i x_i) + tanh(b . x), with the gradient of entry k scaled by
    (1 + scale) and shifted by shift."""

    family: str
    a: list[float]
    w: list[float]
    b: list[float]
    x: list[float]
    k: int
    scale: float
    shift: float

    def chainrule(self) -> Callable[..., Value]:
        scale, shift = self.scale, self.shift
        wrong = primitive("wrong", lambda t: t, lambda g, out, t: (g * (1 + scale) + shift,))

        def f(*xs: Value) -> Value:
            xs_list = list(xs)
            xs_list[self.k] = wrong(xs_list[self.k])
            total = autograd.tanh(sum((b * x for b, x in zip(self.b, xs_list)), Value(0.0)))
            for a, w, x in zip(self.a, self.w, xs_list):
                total = total + a * autograd.sin(w * x)
            return total

        return f

    def passes(self, fast: bool) -> bool:
        return gradcheck(
            self.chainrule(), self.x, EPS, ATOL, RTOL, fast=fast, raise_exception=False
        )

    def torch_passes(self) -> bool:
        """torch's fast mode, with the inputs as one vector (one random projection)."""
        import torch

        scale, shift = self.scale, self.shift

        class Wrong(torch.autograd.Function):
            @staticmethod
            def forward(ctx: Any, t: Any) -> Any:
                return t.clone()

            @staticmethod
            def backward(ctx: Any, g: Any) -> Any:
                return g * (1 + scale) + shift

        a, w, b = (torch.tensor(v, dtype=torch.float64) for v in (self.a, self.w, self.b))
        k = self.k

        def f(x: Any) -> Any:
            x = torch.cat([x[:k], Wrong.apply(x[k : k + 1]), x[k + 1 :]])
            return torch.tanh((b * x).sum()) + (a * torch.sin(w * x)).sum()

        x = torch.tensor(self.x, dtype=torch.float64, requires_grad=True)
        return bool(
            torch.autograd.gradcheck(
                f, (x,), eps=EPS, atol=ATOL, rtol=RTOL, fast_mode=True, raise_exception=False
            )
        )


def many_inputs(family: str, rng: random.Random) -> ManyInputs:
    n = 40 if family == "40 inputs" else rng.randrange(2, 9)
    a = [rng.uniform(-3, 3) for _ in range(n)]
    w = [rng.uniform(0.5, 3) for _ in range(n)]
    b = [rng.uniform(-1, 1) for _ in range(n)]
    x = [rng.uniform(-2, 2) for _ in range(n)]
    k = rng.randrange(n)
    case = ManyInputs(family, a, w, b, x, k, 0.0, 0.0)
    sign = rng.choice((-1.0, 1.0))
    if family == "1-5% wrong":
        case.scale = sign * rng.uniform(0.01, 0.05)
    else:
        # The true entry, to size the error: 5 tolerances of it.
        slope = math.fsum(
            [
                a[k] * w[k] * math.cos(w[k] * x[k]),
                b[k] * (1 - math.tanh(math.fsum(bi * xi for bi, xi in zip(b, x))) ** 2),
            ]
        )
        case.shift = sign * 5 * (ATOL + RTOL * abs(slope))
    return case


FAST_FAMILIES = ["1-5% wrong", "absolute offset", "40 inputs"]


def fast_cases(family: str, n: int, seed: int = 20) -> list[ManyInputs]:
    rng = random.Random(f"{family}/{seed}")
    return [many_inputs(family, rng) for _ in range(n)]


# ----- the table ---------------------------------------------------------------------------------


def rates(n: int, with_torch: bool = True) -> list[str]:
    """The rates table's rows, chainrule and torch judged on the same cases."""
    lines = [
        "| family | cases | chainrule | PyTorch |",
        "|---|---|---|---|",
    ]
    for family in FAMILIES:
        chosen = cases(family, n)
        wrong = chosen[0].wrong
        ours = sum(case.passes() is wrong for case in chosen)
        theirs = sum(case.torch_passes() is wrong for case in chosen) if with_torch else "-"
        what = "false passes" if wrong else "false fails"
        lines.append(f"| {family} ({what}) | {n} | {ours} | {theirs} |")
    for family in FAST_FAMILIES:
        chosen = [case for case in fast_cases(family, n) if not case.passes(fast=False)]
        ours = sum(case.passes(fast=True) for case in chosen)
        theirs = sum(case.torch_passes() for case in chosen) if with_torch else "-"
        lines.append(f"| fast mode, {family} (misses) | {len(chosen)} | {ours} | {theirs} |")
    return lines


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    print("\n".join(rates(n, with_torch="--no-torch" not in sys.argv)))
