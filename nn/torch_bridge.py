"""From scalars to tensors: to_torch and from_torch, the same network as a torch.nn.Sequential.

Imports nn.layers and nn.activations (whose table names each activation's torch layer); torch
is an optional dependency, imported inside to_torch and from_torch only, so nn works without it.

A chainrule Layer of nout neurons on nin inputs is one torch.nn.Linear(nin, nout): neuron j's
weights are row j of the Linear's weight matrix W (shape nout x nin) and its bias is b[j], so
for a batch X of shape (N, nin) the Linear computes X @ W.T + b, every neuron's dot node at
once. The activation follows as its own layer (ReLU, Tanh or Sigmoid; none for "linear").
"""

from __future__ import annotations

from typing import Any

from nn.activations import ACTIVATIONS
from nn.layers import MLP, Layer, Neuron

# A Linear layer as numbers: the weight rows (one per unit) and the biases, then the activation.
Dense = tuple[list[list[float]], list[float], str]


def _import_torch(who: str) -> Any:
    try:
        import torch
    except ImportError as error:
        raise ImportError(f"{who} needs PyTorch: pip install torch") from error
    return torch


def to_torch(model: Neuron | Layer | MLP, dtype: Any = None) -> Any:
    """A torch.nn.Sequential computing what `model` computes, holding copies of its weights.

    It maps a batch of shape (N, nin) to (N, nout), nout being 1 for a Neuron. dtype is
    torch.float64 by default, in which outputs and gradients agree with chainrule's to 1e-12.
    """
    torch = _import_torch("to_torch")
    dtype = torch.float64 if dtype is None else dtype
    modules = []
    for rows, biases, activation in _dense_layers(model):
        # NOTE: skip_init: no random initialisation (which would draw from torch's global
        # generator, shifting a user's seeded torch run) of weights about to be overwritten.
        linear = torch.nn.utils.skip_init(
            torch.nn.Linear, len(rows[0]), len(rows), bias=True, dtype=dtype
        )
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(rows, dtype=dtype))
            linear.bias.copy_(torch.tensor(biases, dtype=dtype))
        modules.append(linear)
        torch_layer = ACTIVATIONS[activation].torch_layer
        if torch_layer is not None:
            modules.append(getattr(torch.nn, torch_layer)())
    return torch.nn.Sequential(*modules)


def _dense_layers(model: object) -> list[Dense]:
    """The model's layers as numbers, first to last."""
    if isinstance(model, Neuron):
        return [([[w.data for w in model.w]], [model.b.data], model.activation)]
    if isinstance(model, Layer):
        return [_dense(model)]
    if isinstance(model, MLP):
        return [_dense(layer) for layer in model.layers]
    raise TypeError(f"to_torch takes a Neuron, a Layer or an MLP, got {type(model).__name__}")


def _dense(layer: Layer) -> Dense:
    activations = {n.activation for n in layer.neurons}
    if len(activations) != 1:
        raise ValueError(
            f"to_torch: {layer!r} has neurons with different activations {sorted(activations)}; "
            f"one torch layer applies one activation"
        )
    rows = [[w.data for w in n.w] for n in layer.neurons]
    return rows, [n.b.data for n in layer.neurons], activations.pop()


def from_torch(module: Any) -> MLP:
    """The chainrule MLP for a torch.nn.Sequential of Linear layers with one activation (ReLU,
    Tanh or Sigmoid) between them and none after the last: what to_torch makes of an MLP.

    Anything else raises ValueError naming the layer: another kind of layer (Conv, Dropout,
    BatchNorm, ...), a subclass of Linear or of Sequential (its forward could compute anything),
    a complex Linear, a Linear without bias, mixed activations, sizes that do not chain.
    from_torch(to_torch(m)) has m's state dict exactly.
    """
    torch = _import_torch("from_torch")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch takes a torch.nn.Sequential, got {type(module).__name__}")
    if not isinstance(module, torch.nn.Sequential):
        raise ValueError(
            f"from_torch takes a torch.nn.Sequential of Linear and activation layers, "
            f"got {type(module).__name__}"
        )
    if type(module) is not torch.nn.Sequential:
        raise ValueError(
            f"from_torch takes a torch.nn.Sequential, got {type(module).__name__}, a subclass "
            f"of Sequential: its forward may do anything, so from_torch cannot know the network"
        )
    linears, activation = _read_layers(list(module), torch)
    nouts = [linear.out_features for linear in linears]
    # A single Linear has no hidden layer, so no activation to read: MLP's default stands in.
    model = MLP(linears[0].in_features, nouts, activation=activation or "relu", seed=0)
    state: dict[str, float | list[float]] = {}
    for l, linear in enumerate(linears):
        weights = linear.weight.detach().tolist()
        biases = linear.bias.detach().tolist()
        for j, (row, b) in enumerate(zip(weights, biases)):
            state[f"layers.{l}.neurons.{j}.w"] = row
            state[f"layers.{l}.neurons.{j}.b"] = b
    model.load_state_dict(state)  # checks every number is finite
    return model


def _read_layers(layers: list[Any], torch: Any) -> tuple[list[Any], str | None]:
    """The Linear layers, checked to chain, and the one activation between them: "linear" where
    there is no activation layer, None if there is a single Linear."""
    names = {
        getattr(torch.nn, a.torch_layer): a.name for a in ACTIVATIONS.values() if a.torch_layer
    }
    if not layers:
        raise ValueError("from_torch: an empty Sequential has no layers to read")
    linears: list[tuple[int, Any]] = []  # (index in the Sequential, the Linear)
    between: tuple[str, str] | None = None  # (where, name) of an activation since the last Linear
    activation = None
    for i, layer in enumerate(layers):
        where = f"from_torch: layer {i} ({type(layer).__name__})"
        if isinstance(layer, torch.nn.Linear) and type(layer) is not torch.nn.Linear:
            raise ValueError(
                f"{where}: a subclass of Linear, whose forward may compute anything; from_torch "
                f"reads torch.nn.Linear itself, x @ weight.T + bias"
            )
        if type(layer) is torch.nn.Linear:
            nin, nout = layer.in_features, layer.out_features
            where = f"from_torch: layer {i} (Linear({nin} -> {nout}))"
            if layer.bias is None:
                raise ValueError(f"{where} has no bias; every chainrule neuron has one")
            for tensor in (layer.weight, layer.bias):
                if not tensor.dtype.is_floating_point:
                    raise ValueError(
                        f"{where} holds {tensor.dtype}; a chainrule Value is a real number, so "
                        f"from_torch reads Linear layers of a real floating-point dtype"
                    )
            if linears:
                j, last = linears[-1]
                if nin != last.out_features:
                    raise ValueError(
                        f"{where} takes {nin} inputs but layer {j} gives {last.out_features}"
                    )
                this = between[1] if between else "linear"
                if activation is not None and this != activation:
                    raise ValueError(
                        f"{between[0] if between else where}: mixed activations ({activation} "
                        f"before, {this} here); an MLP's hidden layers all use one"
                    )
                activation = this
            linears.append((i, layer))
            between = None
        elif type(layer) in names:
            if not linears:
                raise ValueError(f"{where}: an activation before the first Linear")
            if between:
                raise ValueError(f"{where}: two activations in a row")
            between = (where, names[type(layer)])
        else:
            raise ValueError(
                f"{where}: not a Linear or one of {', '.join(t.__name__ for t in names)}; "
                f"from_torch reads Linear layers with one activation between them"
            )
    if between:
        raise ValueError(
            f"{between[0]}: an activation after the last Linear; an MLP's last layer is linear"
        )
    return [linear for _, linear in linears], activation
