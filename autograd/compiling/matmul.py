"""Layers as matrix products, in the numpy programs of batched steps.

Imports autograd.engine, autograd.primitives and the standard library only.

In a numpy program every value is an array over the samples, and each `dot` node costs one
numpy call per product: slow when a layer has many inputs. But the dot nodes of one layer read
the same inputs x_1..x_k (one array each) with weights that are the same for every sample.
Stacked, the layer's m outputs are one product W @ X (W: m x k weights, X: k x n samples), and
its backward pass two more: G @ X.T, the weights' gradients already summed over the samples,
and W.T @ G, each input's gradient summed over the layer's neurons (G: m x n, the outputs'
gradients). Neurons with a bias (dot(w, x, b)) carry it as one more column of W, the weight
of one more row of X whose every entry is 1: W @ X adds it to every sample's output, and G @ X.T
sums its gradient over the samples, with no step of its own.
The sums come out in another order than eager code adds them, which the numpy programs allow
(they agree with eager to about 1e-15, not bit for bit).

A layer's outputs then usually each go through the same op (relu, tanh...), and all of those
into the next layer. That op is one numpy call on the whole matrix M (a *map*: A = relu(M)),
and the next layer's X is A itself. Backward, where nothing else reads those rows, the next
layer's W.T @ G is the map's gradient as a matrix, the op's rule on whole matrices turns it
into this layer's G, and so on down: a few numpy calls per layer, however wide it is. Each
layer's weights are one slice of Ea (the .data of the Values made outside f, read in one
pass), and their gradients go back as the whole matrix G @ X.T (a *block*), not number by
number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from autograd.engine import Value
from autograd.primitives import DOT, Primitive, dot_parts


def _split(node: Value) -> tuple[tuple[Value, ...], tuple[Value, ...]]:
    """A dot node's weights (its bias last, if it has one) and its inputs."""
    ws, xs, bias = dot_parts(node._parents)
    return (*ws, *bias), tuple(xs)


@dataclass
class _Rows:
    """A matrix of the program whose rows are nodes of the trace: a layer's product M{i}, a
    map A{j} (op applied to each row of `source`), or the data D."""

    name: str
    nodes: list[Value]
    layer: _Layer | None = None
    op: Primitive | None = None
    source: _Rows | None = None


@dataclass
class _Layer:
    index: int
    members: list[Value]  # the dot nodes, in the order f made them
    xs: tuple[Value, ...]
    biased: bool  # do the members have a bias (W's last column)?
    x_rows: _Rows | None = None  # a matrix whose rows are exactly xs, if there is one
    grads: dict[int, str] = field(default_factory=dict)  # row -> its gradient's expression
    waiting: int = 0  # rows whose gradient is still to come


class Layers:
    """The layers found in a trace (which dot nodes become rows of a matrix product) and the
    maps over them. `fusable(op)`: can op's forward and rule run on whole matrices?"""

    def __init__(
        self,
        made: list[Value],
        data: list[Value],
        stopped: dict[Value, Any],
        fusable: Callable[[Primitive], bool],
    ) -> None:
        made_here = set(made)
        varies = dict.fromkeys(data, True)  # does the value differ from sample to sample?
        for node in made:
            sources = stopped[node][1] if node in stopped else node._parents
            varies[node] = varies.get(node, False) or any(varies.get(p, False) for p in sources)

        def fixed(w: Value) -> bool:  # the same for every sample, and known from the start
            return not varies.get(w, False) and (w not in made_here or not w._parents)

        by_inputs: dict[tuple[tuple[Value, ...], bool], list[Value]] = {}
        children: dict[Value, list[Value]] = {}  # node -> the fusable one-parent ops on it
        for node in made:
            op = node._primitive
            if node in stopped or op is None:
                continue
            if op.forward is DOT.forward:
                ws, xs = _split(node)
                if all(varies.get(x, False) for x in xs) and all(fixed(w) for w in ws):
                    by_inputs.setdefault((xs, len(ws) > len(xs)), []).append(node)
            elif len(node._parents) == 1 and fusable(op):
                children.setdefault(node._parents[0], []).append(node)
        self.layers = [
            _Layer(i, members, *key) for i, (key, members) in enumerate(by_inputs.items())
        ]
        matrices = [_Rows(f"M{layer.index}", layer.members, layer) for layer in self.layers]
        for rows in matrices:  # the maps, and maps of maps (the list grows as it is read)
            for first in children.get(rows.nodes[0], []):
                op = first._primitive
                mapped = [_only(children.get(v, []), op) for v in rows.nodes]
                nodes = [v for v in mapped if v is not None]
                if len(nodes) == len(mapped):
                    name = f"A{len(matrices) - len(self.layers)}"
                    matrices.append(_Rows(name, nodes, op=op, source=rows))
        self.place = {v: (rows, j) for rows in matrices for j, v in enumerate(rows.nodes)}
        by_nodes = {tuple(rows.nodes): rows for rows in [*matrices, _Rows("D", data)]}
        for layer in self.layers:
            layer.x_rows = by_nodes.get(layer.xs)
        self.written: set[str] = set()
        self.blocks: list[tuple[str, list[Value]]] = []  # (GW{i}, its weights, row by row)
        self.handled: set[Value] = set()  # nodes whose gradients are whole matrices
        self.readers: dict[Value, list[Value]] = {}
        self.needed: dict[Value, bool] = {}
        self.root: Value | None = None

    # ----- forward --------------------------------------------------------------------------

    def forward(self, code: Any, k: int, node: Value) -> bool:
        """Write node's value as a row of its matrix (the whole matrix at its first row made).
        False if node is in no matrix."""
        if node not in self.place:
            return False
        rows, j = self.place[node]
        if rows.name not in self.written:
            self.written.add(rows.name)
            self._write(code, rows)
        code.names[node] = code.let(f"v{k}", f"{rows.name}[{j}]")
        return True

    def _write(self, code: Any, rows: _Rows) -> None:
        if rows.layer is None:  # a map: the op's forward on the whole matrix
            assert rows.op is not None and rows.source is not None
            template, _ = code.forward_format(rows.op, 1)
            code.emit(f"{rows.name} = {template.format(rows.source.name)}")
            return
        layer, i = rows.layer, rows.layer.index
        # With a bias, X has a last row of ones: the bias is the weight of an input that is
        # always 1, so W @ X adds it, and G @ X.T sums its gradient over the samples.
        ones = ", 1.0" if layer.biased else ""
        k = len(layer.xs) + layer.biased
        if layer.x_rows is None:
            xs = ", ".join(code.value(x) for x in layer.xs)
            code.emit(f"X{i} = _rows(n, {xs}{ones}, {_kept(f'X{i}', k)})")
        elif layer.biased:
            code.emit(f"X{i} = _with_ones({layer.x_rows.name}, {_kept(f'X{i}', k)})")
        else:
            code.emit(f"X{i} = {layer.x_rows.name}")
        weights = [_split(m)[0] for m in layer.members]
        names = [[code.value(w) for w in ws] for ws in weights]
        where = [code.external_index.get(w, -1) for ws in weights for w in ws]
        if where[0] >= 0 and where == list(range(where[0], where[0] + len(where))):
            shape = f"{len(weights)}, {len(weights[0])}"
            code.emit(f"W{i} = Ea[{where[0]}:{where[-1] + 1}].reshape({shape})")
        else:
            rows_text = "".join("(" + ", ".join(ws) + ",), " for ws in names)
            code.emit(f"W{i} = array(({rows_text}))")
        code.emit(f"M{i} = _product(W{i}, X{i}, {_kept(f'M{i}', len(weights))})")

    # ----- backward -------------------------------------------------------------------------

    def start_backward(self, order: list[Value], needed: dict[Value, bool], root: Value) -> None:
        self.needed, self.root = needed, root
        for node in order:
            if needed[node]:
                for p in node._parents:
                    self.readers.setdefault(p, []).append(node)
        for layer in self.layers:
            layer.waiting = sum(needed[m] for m in layer.members)

    def backward(self, code: Any, node: Value, g: str) -> bool:
        """Record node's gradient g; at the layer's last row, write the layer's backward pass
        (and those below it that it fuses with). False if node is not in a layer."""
        rows = self.place.get(node, (None, 0))[0]
        if rows is None or rows.layer is None:
            return False
        layer = rows.layer
        layer.grads[self.place[node][1]] = g
        layer.waiting -= 1
        if not layer.waiting:
            grads = ", ".join(layer.grads.get(r, "0.0") for r in range(len(layer.members)))
            kept = _kept(f"G{layer.index}", len(layer.members))
            code.emit(f"G{layer.index} = _rows(n, {grads}, {kept})")
            self._layer_backward(code, layer, f"G{layer.index}")
        return True

    def _layer_backward(self, code: Any, layer: _Layer, g: str) -> None:
        """The layer's backward pass from G (g: its outputs' gradients, a row each)."""
        i, needed = layer.index, self.needed
        weights = [_split(m)[0] for m in layer.members]
        flat = [w for ws in weights for w in ws]
        if any(needed[w] for w in flat):
            code.emit(f"GW{i} = _product_nt({g}, X{i})")
            if all(needed[w] for w in flat):
                self.blocks.append((f"GW{i}", flat))
            else:
                for r, ws in enumerate(weights):
                    for c, w in enumerate(ws):
                        if needed[w]:
                            code.send(w, f"GW{i}[{r}, {c}]", summed=True)
        if not any(needed[x] for x in layer.xs):
            return
        k = len(layer.xs)
        w_inputs = f"W{i}{f'[:, :{k}]' * layer.biased}"  # W without its bias column
        code.emit(f"GX{i} = _product_tn({w_inputs}, {g}, {_kept(f'GX{i}', k)})")
        if layer.x_rows is not None and self._read_only_by(layer.x_rows, layer.members):
            self._rows_backward(code, layer.x_rows, f"GX{i}")
        else:
            for c, x in enumerate(layer.xs):
                if needed[x]:
                    code.send(x, f"GX{i}[{c}]")

    def _rows_backward(self, code: Any, rows: _Rows, g: str) -> None:
        """The backward pass of a matrix whose rows' gradients are the matrix g."""
        self.handled.update(rows.nodes)
        if rows.layer is not None:
            self._layer_backward(code, rows.layer, g)
            return
        assert rows.op is not None and rows.source is not None
        ((rule, _),) = code.rule_formats(rows.op, 1)
        code.emit(f"G{rows.name} = {rule.format(g, rows.name, rows.source.name)}")
        if self._read_only_by(rows.source, rows.nodes):
            self._rows_backward(code, rows.source, f"G{rows.name}")
        else:
            for j, v in enumerate(rows.source.nodes):
                if self.needed[v]:
                    code.send(v, f"G{rows.name}[{j}]")

    def _read_only_by(self, rows: _Rows, readers: list[Value]) -> bool:
        """Do the rows' nodes get gradients from `readers` only (so as a matrix)?"""
        allowed = set(readers)
        return all(
            v is not self.root and all(r in allowed for r in self.readers.get(v, []))
            for v in rows.nodes
        )


def _kept(name: str, rows: int) -> str:
    """The `out=` argument of the helper that makes the matrix `name` (rows x n): the array
    that the call's buffers keep under that name, from one call to the next (see
    numpy_replay.Buffers)."""
    return f'out=B.matrix("{name}", {rows}, n)'


def _only(nodes: list[Value], op: Primitive | None) -> Value | None:
    """The one node of `nodes` made by op, or None if there is none or more than one."""
    found = [v for v in nodes if v._primitive is op]
    return found[0] if len(found) == 1 else None
