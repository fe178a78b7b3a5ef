"""The textbook delta rules: backpropagation by hand, in plain floats, on an MLP's own weights.

Imports nn.layers, nn.activations (each g' below is the table's g_prime) and nn.evaluation (its
forward pass on floats) only, and never builds a
graph: it reads and writes the weights' .data. The tests prove that one delta_rule_step equals
one SGD(lr=alpha) step on the half squared error E = 0.5 * sum_k (y_k - a_k)**2 computed
through the engine. That is the point of this file: the rules below are not a separate
algorithm, they are what the chain rule gives.

Notation (AIMA / the Monash notes): unit j has input in_j = sum_i w_ij a_i + b_j and activation
a_j = g(in_j); the network's inputs are the a_i of the first layer.

    output unit k:  Delta_k = (y_k - a_k) g'(in_k)
    hidden unit j:  Delta_j = g'(in_j) sum_k w_jk Delta_k
    every weight:   w_ij <- w_ij + alpha a_i Delta_j      (and b_j <- b_j + alpha Delta_j)

Why it is gradient descent: dE/da_k = -(y_k - a_k), so Delta_j = -dE/din_j for every unit
(the chain rule through a_j = g(in_j), then through in_k = sum_j w_jk a_j + b_k for hidden
units). And din_j/dw_ij = a_i, so dE/dw_ij = -a_i Delta_j, and the update is w - alpha dE/dw.
"""

from __future__ import annotations

from collections.abc import Sequence

from nn.activations import get_activation
from nn.evaluation import forward
from nn.layers import MLP


def delta_rule_step(
    mlp: MLP,
    x: Sequence[float],
    y: Sequence[float],
    alpha: float,
    output_activation: str = "linear",
) -> float:
    """One delta-rule update of `mlp`'s weights for the example (x, y); returns E before it.

    The hidden units use the MLP's own activation (the textbook's is "sigmoid"). The output
    units apply `output_activation` to the MLP's last, linear layer: "linear" (a_k = in_k) or
    "sigmoid" (a_k = sigmoid(in_k)). E = 0.5 * sum_k (y_k - a_k)**2.
    """
    if output_activation not in ("linear", "sigmoid"):
        raise ValueError(
            f"output_activation must be 'linear' or 'sigmoid', got {output_activation!r}"
        )
    if len(x) != mlp.nin or len(y) != mlp.nouts[-1]:
        raise ValueError(
            f"delta_rule_step: the MLP takes {mlp.nin} inputs and gives {mlp.nouts[-1]} "
            f"outputs, got {len(x)} inputs and {len(y)} targets"
        )
    last = len(mlp.layers) - 1
    acts = [mlp.activation] * last + [output_activation]
    in_layers, a_layers = forward(mlp, x, output_activation)

    a_out = a_layers[-1]
    error = 0.5 * sum((yk - ak) ** 2 for yk, ak in zip(y, a_out))

    # Output units: Delta_k = (y_k - a_k) g'(in_k), which is -dE/din_k.
    g_prime = get_activation(acts[-1]).g_prime
    deltas = [(yk - ak) * g_prime(ik, ak) for yk, ak, ik in zip(y, a_out, in_layers[-1])]

    # From the output layer back to the first hidden layer. In layer l the units k hold their
    # Delta_k; the units j below (the inputs, for l = 0) feed them through the weights w_jk.
    for l in range(last, -1, -1):
        units = mlp.layers[l].neurons
        a_below = a_layers[l]
        # Propagate: Delta_j = g'(in_j) sum_k w_jk Delta_k, for the hidden units j below.
        # NOTE: this reads the weights w_jk *before* the update below changes them. Updating
        # first and propagating through the new weights is a classic slip, and the result is
        # then no longer the gradient.
        deltas_below: list[float] = []
        if l > 0:
            g_prime = get_activation(acts[l - 1]).g_prime
            deltas_below = [
                g_prime(in_layers[l - 1][j], a_below[j])
                * sum(unit.w[j].data * delta_k for unit, delta_k in zip(units, deltas))
                for j in range(len(a_below))
            ]
        # Update: w_jk <- w_jk + alpha a_j Delta_k. The bias b_k is the weight from a constant
        # unit a_0 = 1, so b_k <- b_k + alpha Delta_k.
        for unit, delta_k in zip(units, deltas):
            for j, w_jk in enumerate(unit.w):
                w_jk.data += alpha * a_below[j] * delta_k
            unit.b.data += alpha * delta_k
        deltas = deltas_below
    return error
