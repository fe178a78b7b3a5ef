"""Layers as matrix products, in the numpy programs of batched steps.

Imports autograd.engine, autograd.primitives and the standard library only.

In a numpy program every value is an array over the samples, and each `dot` node costs one
numpy call per product: slow when a layer has many inputs. But the dot nodes of one layer read
the same inputs x_1..x_k (one array each) with weights that are the same for every sample.
Stacked, the layer's m outputs are one product W @ X (W: m x k weights, X: k x n samples), and
its backward pass two more: G @ X.T, the weights' gradients already summed over the samples,
and W.T @ G, each input's gradient summed over the layer's neurons (G: m x n, the outputs'
gradients). Neurons with a bias (dot(w, x, b)) carry it as one more weight, read against an
input that is 1.0 for every sample, so G @ X.T sums the bias's gradient over the samples too.
The sums come out in another order than eager code adds them, which the numpy programs allow
(they agree with eager to about 1e-15, not bit for bit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autograd.engine import Value
from autograd.primitives import DOT, dot_parts


def _split(node: Value) -> tuple[tuple[Value, ...], tuple[Value, ...]]:
    """A dot node's weights (its bias last, if it has one) and its inputs."""
    ws, xs, bias = dot_parts(node._parents)
    return (*ws, *bias), tuple(xs)


@dataclass
class _Layer:
    members: list[Value]  # the dot nodes, in the order f made them
    xs: tuple[Value, ...]
    biased: bool  # do the members have a bias (read against a row of ones in X)?
    grads: dict[int, str] = field(default_factory=dict)  # row -> its gradient's expression
    waiting: int = 0  # rows whose gradient is still to come


class Layers:
    """The layers found in a trace: which dot nodes become rows of a matrix product."""

    def __init__(self, made: list[Value], data: list[Value], stopped: dict[Value, Any]) -> None:
        made_here = set(made)
        varies = dict.fromkeys(data, True)  # does the value differ from sample to sample?
        for node in made:
            sources = stopped[node][1] if node in stopped else node._parents
            varies[node] = varies.get(node, False) or any(varies.get(p, False) for p in sources)

        def fixed(w: Value) -> bool:  # the same for every sample, and known from the start
            return not varies.get(w, False) and (w not in made_here or not w._parents)

        by_inputs: dict[tuple[tuple[Value, ...], bool], list[Value]] = {}
        for node in made:
            op = node._primitive
            if node in stopped or op is None or op.forward is not DOT.forward:
                continue
            ws, xs = _split(node)
            if all(varies.get(x, False) for x in xs) and all(fixed(w) for w in ws):
                by_inputs.setdefault((xs, len(ws) > len(xs)), []).append(node)
        self.layers = [_Layer(members, *key) for key, members in by_inputs.items()]
        self.row: dict[Value, tuple[int, int]] = {
            node: (i, j)
            for i, layer in enumerate(self.layers)
            for j, node in enumerate(layer.members)
        }

    def forward(self, code: Any, k: int, node: Value) -> bool:
        """Write node's value as a row of its layer's product (the whole product at the first
        row). False if node is not in a layer."""
        if node not in self.row:
            return False
        i, j = self.row[node]
        layer = self.layers[i]
        if j == 0:
            xs = ", ".join([code.value(x) for x in layer.xs] + ["1.0"] * layer.biased)
            weights = [", ".join(code.value(w) for w in _split(m)[0]) for m in layer.members]
            code.emit(f"X{i} = _rows(n, {xs})")
            code.emit(f"W{i} = array((" + "".join(f"({w},), " for w in weights) + "))")
            code.emit(f"M{i} = _product(W{i}, X{i})")
        code.names[node] = code.let(f"v{k}", f"M{i}[{j}]")
        return True

    def start_backward(self, needed: dict[Value, bool]) -> None:
        for layer in self.layers:
            layer.waiting = sum(needed[m] for m in layer.members)

    def backward(self, code: Any, node: Value, g: str, needed: dict[Value, bool]) -> bool:
        """Record node's gradient g; at the layer's last row, write the layer's backward pass
        and send its terms. False if node is not in a layer."""
        if node not in self.row:
            return False
        i, j = self.row[node]
        layer = self.layers[i]
        layer.grads[j] = g
        layer.waiting -= 1
        if layer.waiting:
            return True
        rows = ", ".join(layer.grads.get(r, "0.0") for r in range(len(layer.members)))
        code.emit(f"G{i} = _rows(n, {rows})")
        if any(needed[w] for m in layer.members for w in _split(m)[0]):
            code.emit(f"GW{i} = _product_nt(G{i}, X{i})")
        if any(needed[x] for x in layer.xs):
            code.emit(f"GX{i} = _product_tn(W{i}, G{i})")
        for r, m in enumerate(layer.members):
            for c, w in enumerate(_split(m)[0]):
                if needed[w]:
                    code.send(w, f"GW{i}[{r}, {c}]", summed=True)
        for c, x in enumerate(layer.xs):
            if needed[x]:
                code.send(x, f"GX{i}[{c}]")
        return True
