"""The activations a unit can apply, listed once: the table Neuron, the float forward pass, the
delta rules and the torch bridge all read.

Imports autograd's public API only. Each entry has the function g twice, as the Value method
that records the op (what Neuron calls) and as autograd's function on floats (the float forward
pass, the delta rules), which computes the same number; g' written with in and a = g(in), the
form the delta rules use; and the name of the torch.nn layer that computes the same g (None for
the identity, which needs no layer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograd import Value, relu, sigmoid, tanh


@dataclass(frozen=True)
class Activation:
    """One activation a = g(in): on Values, on floats, its derivative g'(in) from (in, a), and
    its torch.nn layer."""

    name: str
    on_value: Callable[[Value], Value]
    on_float: Callable[[float], float]
    g_prime: Callable[[float, float], float]
    torch_layer: str | None


def _identity(x: Any) -> Any:
    return x


ACTIVATIONS: dict[str, Activation] = {
    # NOTE: relu'(0) = 0, the engine's (and PyTorch's) subgradient at the kink.
    "relu": Activation("relu", Value.relu, relu, lambda x, a: 1.0 if x > 0 else 0.0, "ReLU"),
    "tanh": Activation("tanh", Value.tanh, tanh, lambda x, a: 1.0 - a * a, "Tanh"),
    "sigmoid": Activation("sigmoid", Value.sigmoid, sigmoid, lambda x, a: a * (1.0 - a), "Sigmoid"),
    "linear": Activation("linear", _identity, _identity, lambda x, a: 1.0, None),
}


def get_activation(name: object) -> Activation:
    """The table's entry for `name`; ValueError naming the choices for any other name."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {tuple(ACTIVATIONS)}")
    return ACTIVATIONS[name]
