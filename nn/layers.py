"""Neuron, Layer and MLP: micrograd's fully connected network, with checked inputs.

Imports autograd's public API and nn.module only.

A neuron computes act(w . x + b). Weights start uniform in [-1, 1] and biases at 0, as in
micrograd. Randomness comes from a private random.Random (MLP's `seed`, or the `rng` passed to
a Neuron or Layer); the global `random` module is never read or seeded.
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Iterable, Mapping, Sequence, Set

from autograd import Number, Value, as_value, dot
from nn.activations import ACTIVATIONS, get_activation
from nn.module import Module, Param

Inputs = Sequence[Value | Number] | Value | Number


def _check_size(n: object, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what} must be an int, got {type(n).__name__}: {n!r}")
    if n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")
    return n


def _as_inputs(x: Inputs, nin: int, who: str) -> list[Value | Number]:
    """x as a list of nin inputs.

    A lone Value or real number (a numpy scalar too) is one input: that is how a one-unit
    layer, which returns a single Value, feeds the next layer. Anything else must be an ordered
    collection of inputs (a list, a tuple, a 1-D numpy array); a dict, a set or a string is
    refused rather than read through its keys, in no fixed order, or letter by letter.
    """
    if type(x) is list:  # the usual case, first: this runs for every neuron of every sample
        inputs = x
    elif isinstance(x, (Value, numbers.Number)):
        return [x]
    elif isinstance(x, (str, bytes, Mapping, Set)) or not isinstance(x, Iterable):
        raise TypeError(f"{who} expects a list of {nin} numbers or Values, got {type(x).__name__}")
    else:
        inputs = list(x)
    if len(inputs) != nin:
        raise ValueError(f"{who} expects {nin} inputs, got {len(inputs)}")
    return inputs


class Neuron(Module):
    """One unit: act(sum_i w_i * x_i + b), with act one of relu, tanh, sigmoid, linear."""

    def __init__(
        self, nin: int, activation: str = "relu", *, rng: random.Random | None = None
    ) -> None:
        self.nin = _check_size(nin, "Neuron nin")
        self.activation = get_activation(activation).name
        rng = rng if rng is not None else random.Random()
        # Labelled so that draw_dot shows them as the parameters they are, not as constants.
        self.w = [Value(rng.uniform(-1.0, 1.0), label=f"w{i}") for i in range(nin)]
        self.b = Value(0.0, label="b")

    def __call__(self, x: Inputs) -> Value:
        return self._fire(_as_inputs(x, self.nin, "Neuron"))

    def _fire(self, x: Sequence[Value | Number]) -> Value:
        """The unit on nin inputs already checked (a Layer checks them once for all its units)."""
        # One dot node for b + w . x, rather than a * and a + per input: the same numbers (the
        # sum starts from the bias, as micrograd's) with 2n times fewer nodes to build and walk.
        return ACTIVATIONS[self.activation].on_value(dot(self.w, x, self.b))

    def named_parameters(self) -> dict[str, Param]:
        """The weights "w" (in input order), then the bias "b"."""
        return {"w": self.w, "b": self.b}

    def __repr__(self) -> str:
        return f"Neuron(nin={self.nin}, activation={self.activation!r})"


class Layer(Module):
    """nout neurons reading the same nin inputs. Returns a list of Values, or one Value if
    nout == 1."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.nin = _check_size(nin, "Layer nin")
        self.nout = _check_size(nout, "Layer nout")
        self.activation = get_activation(activation).name
        rng = rng if rng is not None else random.Random()
        self.neurons = [Neuron(nin, activation, rng=rng) for _ in range(nout)]

    def __call__(self, x: Inputs) -> Value | list[Value]:
        # Numbers become constant leaves once here, not once per neuron.
        x = [as_value(xi) for xi in _as_inputs(x, self.nin, "Layer")]
        out = [n._fire(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def named_parameters(self) -> dict[str, Param]:
        """Neuron by neuron ("neurons.<i>."): each neuron's weights, then its bias."""
        return {
            f"neurons.{i}.{name}": p
            for i, n in enumerate(self.neurons)
            for name, p in n.named_parameters().items()
        }

    def __repr__(self) -> str:
        return f"Layer(nin={self.nin}, nout={self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: hidden layers use `activation`, the last layer is linear.

    MLP(2, [16, 16, 1]) maps 2 inputs through two hidden layers of 16 units to 1 output. The
    same `seed` gives the same initial weights; seed=None draws fresh ones.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        seed: int | None = None,
    ) -> None:
        self.nin = _check_size(nin, "MLP nin")
        if not isinstance(nouts, Sequence):
            raise TypeError(
                f"MLP nouts must be a list of layer sizes such as [16, 16, 1], "
                f"got {type(nouts).__name__}"
            )
        self.nouts = [_check_size(n, "each MLP layer size") for n in nouts]
        if not self.nouts:
            raise ValueError("MLP needs at least one layer size in nouts, got []")
        self.activation = get_activation(activation).name
        rng = random.Random(seed)
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < last else "linear", rng=rng)
            for i in range(len(self.nouts))
        ]

    def __call__(self, x: Inputs) -> Value | list[Value]:
        out = self.layers[0](_as_inputs(x, self.nin, "MLP"))
        for layer in self.layers[1:]:
            out = layer(out)
        return out

    def named_parameters(self) -> dict[str, Param]:
        """Layer by layer ("layers.<l>."), each in the order of Layer.named_parameters()."""
        return {
            f"layers.{i}.{name}": p
            for i, layer in enumerate(self.layers)
            for name, p in layer.named_parameters().items()
        }

    def __repr__(self) -> str:
        units = [f"{self.nin} in"]
        units += [f"{layer.nout} {layer.activation}" for layer in self.layers]
        return f"MLP({' -> '.join(units)}; {len(self.parameters())} parameters)"
