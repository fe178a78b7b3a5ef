"""Neuron, Layer and MLP: micrograd's fully connected network, with checked inputs.

Imports autograd's public API and nn.module only.

A neuron computes act(w . x + b). Weights start uniform in [-1, 1] and biases at 0, as in
micrograd. With a `seed` (MLP) or an `rng` (a random.Random passed to a Neuron or Layer) the
weights come from that private generator, the same every time. With neither they come from the
global `random` module, drawn in micrograd's order (layer by layer, neuron by neuron, weight by
weight), so `random.seed(1337)` followed by micrograd's constructor calls gives micrograd's
network, number for number.
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Callable, Iterable, Mapping, Sequence, Set

from autograd import Number, Value, as_value, dot
from nn.activations import ACTIVATIONS, get_activation
from nn.module import Module

Inputs = Sequence[Value | Number] | Value | Number


def _uniform(rng: random.Random | None) -> Callable[[float, float], float]:
    """rng's uniform, or the global random module's when there is no rng (micrograd's)."""
    return rng.uniform if rng is not None else random.uniform


def _activation_name(activation: object, nonlin: object, who: str) -> str:
    """The activation's name, from chainrule's `activation` or micrograd's `nonlin` (True is
    relu, False linear; a bool in activation's place is micrograd's positional nonlin)."""
    if isinstance(activation, bool):
        activation, nonlin = "relu", activation if nonlin is None else nonlin
    if nonlin is not None:
        if not isinstance(nonlin, bool):
            raise TypeError(f"{who} nonlin must be True or False, got {nonlin!r}")
        if activation != "relu":
            raise TypeError(
                f"{who} got activation={activation!r} and nonlin={nonlin!r}: give one of them"
            )
        activation = "relu" if nonlin else "linear"
    return get_activation(activation).name


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
        inputs = [x]
    elif isinstance(x, (str, bytes, Mapping, Set)) or not isinstance(x, Iterable):
        raise TypeError(f"{who} expects a list of {nin} numbers or Values, got {type(x).__name__}")
    else:
        inputs = list(x)
    first = inputs[0] if inputs else 0.0
    if type(first) is not Value and type(first) is not float and _is_sequence(first):
        # NOTE: a batch (a list of samples) is the usual mistake of PyTorch habits; a module
        # here computes one sample at a time, as micrograd's.
        raise TypeError(
            f"{who} takes one sample (a list of {nin} numbers), got a batch of {len(inputs)} "
            f"{type(first).__name__}s: call it on each sample, [model(x) for x in batch]"
        )
    if len(inputs) != nin:
        raise ValueError(f"{who} expects {nin} inputs, got {len(inputs)}")
    return inputs


def _is_sequence(x: object) -> bool:
    """True for a list, a tuple, a numpy row: anything iterable but a string."""
    return isinstance(x, Iterable) and not isinstance(x, (str, bytes))


class Neuron(Module):
    """One unit: act(sum_i w_i * x_i + b), with act one of relu, tanh, sigmoid, linear."""

    parameter_fields = ("w", "b")

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        *,
        rng: random.Random | None = None,
        nonlin: bool | None = None,
    ) -> None:
        self.nin = _check_size(nin, "Neuron nin")
        self.activation = _activation_name(activation, nonlin, "Neuron")
        uniform = _uniform(rng)
        self.w = [Value(uniform(-1.0, 1.0)) for _ in range(nin)]
        self.b = Value(0.0)
        # Labelled so that draw_dot shows them as the parameters they are, not as constants.
        self._label_parameters()

    def __call__(self, x: Inputs) -> Value:
        return self._fire(_as_inputs(x, self.nin, "Neuron"))

    def _fire(self, x: Sequence[Value | Number]) -> Value:
        """The unit on nin inputs already checked (a Layer checks them once for all its units)."""
        # One dot node for b + w . x, rather than a * and a + per input: the same numbers (the
        # sum starts from the bias, as micrograd's) with 2n times fewer nodes to build and walk.
        return ACTIVATIONS[self.activation].on_value(dot(self.w, x, self.b))

    def __repr__(self) -> str:
        return f"Neuron(nin={self.nin}, activation={self.activation!r})"


class Layer(Module):
    """nout neurons reading the same nin inputs. Returns a list of Values, or one Value if
    nout == 1."""

    parameter_fields = ("neurons",)

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        *,
        rng: random.Random | None = None,
        nonlin: bool | None = None,
    ) -> None:
        self.nin = _check_size(nin, "Layer nin")
        self.nout = _check_size(nout, "Layer nout")
        self.activation = _activation_name(activation, nonlin, "Layer")
        self.neurons = [Neuron(nin, self.activation, rng=rng) for _ in range(nout)]
        self._label_parameters()

    def __call__(self, x: Inputs) -> Value | list[Value]:
        # Numbers become constant leaves once here, not once per neuron.
        x = [as_value(xi) for xi in _as_inputs(x, self.nin, "Layer")]
        out = [n._fire(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer(nin={self.nin}, nout={self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: hidden layers use `activation`, the last layer is linear.

    MLP(2, [16, 16, 1]) maps 2 inputs through two hidden layers of 16 units to 1 output. The
    same `seed` gives the same initial weights; seed=None draws them from the global `random`
    module, as micrograd does.
    """

    parameter_fields = ("layers",)

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
        rng = random.Random(seed) if seed is not None else None
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < last else "linear", rng=rng)
            for i in range(len(self.nouts))
        ]
        self._label_parameters()

    def __call__(self, x: Inputs) -> Value | list[Value]:
        out = self.layers[0](_as_inputs(x, self.nin, "MLP"))
        for layer in self.layers[1:]:
            out = layer(out)
        return out

    def __repr__(self) -> str:
        units = [f"{self.nin} in"]
        units += [f"{layer.nout} {layer.activation}" for layer in self.layers]
        return f"MLP({' -> '.join(units)}; {len(self.parameters())} parameters)"
