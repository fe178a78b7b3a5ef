"""Optimizers: SGD with momentum and Adam, with PyTorch's exact update rules.

Imports autograd's public API only (and numpy where a step holds the parameters in arrays, so
numpy is installed). An optimizer holds a list of parameters and per-parameter state as lists
of floats. step() reads the parameters' data and grads as two lists of floats
(autograd.data_and_grads), computes the new data from them and writes it back
(autograd.set_data), inside no_grad(): an update never becomes part of a graph. (One read of
the grad mode each way, where `p.data -= lr * p.grad` is three property calls per parameter.)
zero_grad() sets every grad back to 0.0, because backward() adds into .grad.

Where a batched numpy step holds the parameters' data and grads in two arrays between its
calls (autograd.held_arrays), step() updates those arrays in place with the same expressions,
element by element the same floats, and keeps its state as arrays too until a step on floats
makes lists of them again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from autograd import Value, as_float, data_and_grads, held_arrays, no_grad, set_data, zero_grads


def _check_hyper(x: object, name: str, lo: float, hi: float = math.inf) -> float:
    """A hyperparameter as a float, checked to be a real number in [lo, hi)."""
    value = as_float(x, name)
    if not lo <= value < hi:
        raise ValueError(f"invalid {name} {value!r}: must be in [{lo}, {hi})")
    return value


def lerp(start: float, end: float, weight: float) -> float:
    """start + weight * (end - start), rounded as torch.lerp rounds it.

    NOTE: for weight >= 0.5 torch computes end - (end - start) * (1 - weight) instead, which is
    exact at weight 1 and smaller in error near it. Both are the same number in exact
    arithmetic, not in floats: Adam's m with beta1 = 0.3 drifts from torch's without this.
    """
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def _quotient(x: float, y: float) -> float:
    """x / y, with IEEE's (and torch's) answers where y is 0: nan for 0 / 0, +-inf otherwise.

    NOTE: Python's / raises ZeroDivisionError instead. Adam with eps = 0 divides by 0 where a
    gradient is 0 (and its v with it); raising there would leave a step half done, some
    parameters moved and some not. torch moves them all, to nan where it divides 0 by 0.
    """
    if y != 0:
        return x / y
    if x == 0 or x != x:
        return math.nan
    return math.copysign(math.inf, x) * math.copysign(1.0, y)


def _floats(state: Any) -> list[float]:
    """A per-parameter state as a list of floats (from an array, where a step on held arrays
    left one)."""
    return state.tolist() if hasattr(state, "tolist") else state


def _numpy() -> Any:
    """numpy, installed wherever a step holds the parameters in numpy arrays."""
    import numpy

    return numpy


def _array(state: list[float] | Any) -> Any:
    """A per-parameter state as a numpy array of floats (a list, where a step on floats left
    one)."""
    return _numpy().asarray(state, dtype=float)


class Optimizer:
    """What SGD and Adam share: the checked parameter list, zero_grad(), and step(), which
    runs a subclass's update() on floats or its update_arrays() on held arrays."""

    def __init__(self, params: Iterable[Value]) -> None:
        name = type(self).__name__
        if hasattr(params, "parameters") or callable(params):
            # SGD(model) or SGD(model.parameters): the module, or its method uncalled.
            raise TypeError(
                f"{name} takes a list of Values: pass model.parameters(), with the "
                f"parentheses, got {type(params).__name__}: {params!r}"
            )
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{name} got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"params[{i}] must be a Value, got {type(p).__name__}")
            if p._parents:
                # NOTE: a computed Value is rebuilt by the next forward pass, so a step would
                # change a number nobody reads again: PyTorch refuses it too.
                raise ValueError(
                    f"{name}: params[{i}] is not a leaf (it was computed by {p._op!r}, "
                    f"data {p.data!r}); an optimizer updates leaves such as model.parameters()"
                )
        if len(set(self.params)) != len(self.params):
            # NOTE: a Value listed twice would be updated twice per step.
            raise ValueError(f"{type(self).__name__}: a parameter is listed more than once")

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.0."""
        zero_grads(self.params)

    def step(self) -> None:
        """One update of every parameter from its current grad: on the arrays a batched step
        holds them in, or on floats."""
        arrays = held_arrays(self.params)
        if arrays is None:
            with no_grad():
                data, grads = data_and_grads(self.params)
                set_data(self.params, self.update(data, grads))
        else:
            data, grads = arrays
            # As Python's floats: an overflow is inf, inf - inf is nan, without a word.
            with _numpy().errstate(all="ignore"):
                data[:] = self.update_arrays(data, grads)

    def update(self, data: list[float], grads: list[float]) -> list[float]:
        """The parameters' new data, from their data and grads as lists of floats."""
        raise NotImplementedError

    def update_arrays(self, data: Any, grads: Any) -> Any:
        """The same on numpy arrays, element by element the same floats (here, update() on
        them as lists: an optimizer of your own that defines only update() works on both)."""
        return _array(self.update(data.tolist(), grads.tolist()))


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum, as torch.optim.SGD.

    Without momentum:  p <- p - lr * g.
    With momentum mu:  b <- g on the first step, then b <- mu * b + g;  p <- p - lr * b.
    (PyTorch's form, with dampening 0: the velocity b is in gradient units and lr scales it.)
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params)
        self.lr = _check_hyper(lr, "SGD lr", 0.0)
        self.momentum = _check_hyper(momentum, "SGD momentum", 0.0)
        # The velocities b, from the first step on: a list of floats (a numpy array after a
        # step on held arrays).
        self.buffers: Any = None

    def update(self, data: list[float], grads: list[float]) -> list[float]:
        if self.momentum != 0.0:
            if self.buffers is None:
                # NOTE: the first step takes the gradient itself, as PyTorch does (not
                # (1 - mu) * g, and not mu * 0 + g by accident of initialisation).
                self.buffers = grads
            else:
                buffers = _floats(self.buffers)
                self.buffers = [self.momentum * b + g for b, g in zip(buffers, grads)]
            grads = self.buffers
        return [p - self.lr * g for p, g in zip(data, grads)]

    def update_arrays(self, data: Any, grads: Any) -> Any:
        if self.momentum != 0.0:
            if self.buffers is None:
                self.buffers = grads.copy()
            else:
                self.buffers = self.momentum * _array(self.buffers) + grads
            grads = self.buffers
        return data - self.lr * grads

    def __repr__(self) -> str:
        return f"SGD({len(self.params)} parameters, lr={self.lr}, momentum={self.momentum})"


class Adam(Optimizer):
    """Adam (Kingma and Ba), as torch.optim.Adam. At step t, for each parameter:

    m <- lerp(m, g, 1 - beta1)              (= beta1 * m + (1 - beta1) * g)
    v <- beta2 * v + (1 - beta2) * g * g
    p <- p - (lr / (1 - beta1**t)) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    m and v start at 0; the two bias corrections undo that start. eps is added after the
    square root and the bias correction, where PyTorch adds it. Every line is rounded the way
    PyTorch's single-tensor Adam rounds it, so m and v are PyTorch's floats bit for bit.

    NOTE: bit for bit against torch's portable CPU kernels. Its AVX2 kernels fuse each
    multiply-add of the lerp and of v's update into one rounding (an FMA), which Python's
    floats cannot express before 3.13; and its float64 sqrt is 1 ulp off for about 1% of inputs.
    Against those the numbers differ in the last bits (measured: below 1e-13 relative).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params)
        self.lr = _check_hyper(lr, "Adam lr", 0.0)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"Adam betas must be a pair of numbers, got {betas!r}")
        self.betas = (
            _check_hyper(betas[0], "Adam beta1", 0.0, 1.0),
            _check_hyper(betas[1], "Adam beta2", 0.0, 1.0),
        )
        self.eps = _check_hyper(eps, "Adam eps", 0.0)
        self.t = 0
        # m and v: lists of floats (numpy arrays after a step on held arrays)
        self.m: Any = [0.0] * len(self.params)
        self.v: Any = [0.0] * len(self.params)

    def _corrections(self) -> tuple[float, float]:
        """This step's count in t; its step size and the square root of v's correction."""
        self.t += 1
        beta1, beta2 = self.betas
        step_size = self.lr / (1.0 - beta1**self.t)
        return step_size, (1.0 - beta2**self.t) ** 0.5  # ** 0.5, as torch: not math.sqrt

    def update(self, data: list[float], grads: list[float]) -> list[float]:
        beta1, beta2 = self.betas
        step_size, bias_correction2_sqrt = self._corrections()
        self.m, self.v = _floats(self.m), _floats(self.v)
        m, v = self.m, self.v
        for i, g in enumerate(grads):
            m[i] = lerp(m[i], g, 1.0 - beta1)
            v[i] = v[i] * beta2 + (1.0 - beta2) * g * g
            denom = math.sqrt(v[i]) / bias_correction2_sqrt + self.eps
            # (-step_size * m) / denom, in this order: torch's addcdiv multiplies first.
            data[i] += _quotient(-step_size * m[i], denom)
        return data

    def update_arrays(self, data: Any, grads: Any) -> Any:
        beta1, beta2 = self.betas
        step_size, bias_correction2_sqrt = self._corrections()
        self.m = lerp(_array(self.m), grads, 1.0 - beta1)
        self.v = _array(self.v) * beta2 + (1.0 - beta2) * grads * grads
        denom = _numpy().sqrt(self.v) / bias_correction2_sqrt + self.eps
        return data + (-step_size * self.m) / denom  # IEEE's x / 0, as _quotient

    def __repr__(self) -> str:
        return (
            f"Adam({len(self.params)} parameters, lr={self.lr}, betas={self.betas}, eps={self.eps})"
        )
