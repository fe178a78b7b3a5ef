"""micrograd's demo step, three ways, from the same starting weights.

The step of micrograd's demo.ipynb: MLP(2, [16, 16, 1]) scores 100 two-moons points, the loss
is the mean hinge loss plus 1e-4 times the sum of squared parameters, then zero_grad, backward
and an SGD update with micrograd's learning-rate schedule. chainrule runs it with nn, micrograd
0.1.0 with micrograd.nn, and the floor is the same forward and backward written out by hand on
floats. All three start from the same weights, so they follow the same loss trajectory.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
from collections.abc import Callable

import micrograd.engine
import micrograd.nn

import autograd
import nn
from benchmarks.harness import Case, Row, clock, interleave

SIZES = [2, 16, 16, 1]
ALPHA = 1e-4  # the L2 weight

Step = Callable[[int], float]  # step(k) runs step k and returns the loss before the update


def make_moons(
    n: int = 100, noise: float = 0.1, seed: int = 0
) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles, labels -1 and +1, shuffled, with Gaussian noise."""
    rng = random.Random(seed)
    n_out = n // 2
    n_in = n - n_out
    points = [
        [math.cos(math.pi * i / (n_out - 1)), math.sin(math.pi * i / (n_out - 1))]
        for i in range(n_out)
    ]
    points += [
        [1 - math.cos(math.pi * i / (n_in - 1)), 0.5 - math.sin(math.pi * i / (n_in - 1))]
        for i in range(n_in)
    ]
    labels = [-1] * n_out + [1] * n_in
    order = list(range(n))
    rng.shuffle(order)
    xs = [[c + rng.gauss(0.0, noise) for c in points[i]] for i in order]
    return xs, [labels[i] for i in order]


def initial_weights(seed: int = 1, sizes: list[int] = SIZES) -> list[float]:
    """One float per parameter in micrograd's (and nn's) order: layer by layer, neuron by
    neuron, the weights then the bias. Weights uniform in [-1, 1], biases 0, as micrograd."""
    rng = random.Random(seed)
    weights = []
    for nin, nout in itertools.pairwise(sizes):
        for _ in range(nout):
            weights += [rng.uniform(-1.0, 1.0) for _ in range(nin)]
            weights.append(0.0)
    return weights


def learning_rate(k: int) -> float:
    """micrograd's demo schedule."""
    return 1.0 - 0.9 * k / 100


class ChainruleStep:
    """The step as a chainrule user writes it, with nn."""

    def __init__(self, weights: list[float], xs: list[list[float]], ys: list[int]) -> None:
        self.model = nn.MLP(SIZES[0], SIZES[1:])
        self.params = self.model.parameters()
        for p, w in zip(self.params, weights, strict=True):
            p.data = w
        self.optimizer = nn.SGD(self.params, lr=learning_rate(0))
        self.xs, self.ys = xs, ys

    def __call__(self, k: int) -> float:
        scores = [self.model(x) for x in self.xs]
        loss = nn.hinge_loss(scores, self.ys) + ALPHA * sum(p * p for p in self.params)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.lr = learning_rate(k)
        self.optimizer.step()
        return loss.data


class MicrogradStep:
    """The step of micrograd's demo.ipynb, verbatim but for the accuracy it also computes."""

    def __init__(self, weights: list[float], xs: list[list[float]], ys: list[int]) -> None:
        self.model = micrograd.nn.MLP(SIZES[0], SIZES[1:])
        self.params = self.model.parameters()
        for p, w in zip(self.params, weights, strict=True):
            p.data = w
        self.xs, self.ys = xs, ys

    def __call__(self, k: int) -> float:
        Value = micrograd.engine.Value  # noqa: N806 (micrograd's name)
        inputs = [list(map(Value, row)) for row in self.xs]
        scores = list(map(self.model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(self.ys, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in self.params)
        total_loss = data_loss + reg_loss
        self.model.zero_grad()
        total_loss.backward()
        lr = learning_rate(k)
        for p in self.params:
            p.data -= lr * p.grad
        return float(total_loss.data)


class FloatStep:
    """The floor: the same forward and backward by hand, on plain floats, no graph at all."""

    def __init__(self, weights: list[float], xs: list[list[float]], ys: list[int]) -> None:
        # layers[l][j] is neuron j of layer l: [w_0, ..., w_{nin-1}, b], the parameter order.
        self.layers: list[list[list[float]]] = []
        it = iter(weights)
        for nin, nout in itertools.pairwise(SIZES):
            self.layers.append([[next(it) for _ in range(nin + 1)] for _ in range(nout)])
        self.xs, self.ys = xs, ys

    def __call__(self, k: int) -> float:
        layers = self.layers
        last = len(layers) - 1
        grads = [[[0.0] * len(neuron) for neuron in layer] for layer in layers]
        n = len(self.xs)
        data_loss = 0.0
        for x, y in zip(self.xs, self.ys):
            # Forward, keeping every layer's input for the backward pass.
            inputs = []
            h = x
            for l, layer in enumerate(layers):
                inputs.append(h)
                out = []
                for neuron in layer:
                    act = neuron[-1]
                    for wi, xi in zip(neuron, h):
                        act += wi * xi
                    out.append(act if l == last or act > 0 else 0.0)
                h = out
            margin = 1.0 - y * h[0]
            if margin > 0:
                data_loss += margin
            # Backward: d(loss)/d(score), then layer by layer down to the weights.
            g_out = [-y / n if margin > 0 else 0.0]
            for l in range(last, -1, -1):
                h_in = inputs[l]
                g_in = [0.0] * len(h_in)
                for neuron, grad, g in zip(layers[l], grads[l], g_out):
                    for i, xi in enumerate(h_in):
                        grad[i] += g * xi
                        g_in[i] += g * neuron[i]
                    grad[-1] += g
                if l > 0:
                    # relu' of the layer below: its output h_in is > 0 exactly where act > 0.
                    g_out = [gi if hi > 0 else 0.0 for gi, hi in zip(g_in, h_in)]
        reg = 0.0
        lr = learning_rate(k)
        for layer, layer_grads in zip(layers, grads):
            for neuron, grad in zip(layer, layer_grads):
                for i, w in enumerate(neuron):
                    reg += w * w
                    neuron[i] = w - lr * (grad[i] + 2 * ALPHA * w)
        return data_loss / n + ALPHA * reg


def _block(step: Step, losses: list[float], steps: int) -> float:
    """Seconds per step over `steps` consecutive steps, recording each step's loss."""
    start = clock()
    for _ in range(steps):
        losses.append(step(len(losses)))
    return (clock() - start) / steps


IMPLEMENTATIONS: dict[str, Callable[[list[float], list[list[float]], list[int]], Step]] = {
    "chainrule": ChainruleStep,
    "micrograd": MicrogradStep,
    "floor": FloatStep,
}


def _anomaly_block(step: Step, losses: list[float], steps: int) -> float:
    """_block with chainrule's steps inside detect_anomaly(), to show what it costs."""
    with autograd.detect_anomaly():
        return _block(step, losses, steps)


def run(blocks: int, steps_per_block: int, gc_enabled: bool = True, anomaly: bool = False) -> Row:
    """Time blocks of consecutive steps, implementations taking turns block by block.

    Timing a block rather than one step charges each implementation for the garbage its
    previous steps left for the cyclic GC, as in a real training loop. Every implementation
    records its loss at each step; they must agree (same starting weights, same trajectory).
    """
    xs, ys = make_moons()
    weights = initial_weights()
    losses: dict[str, list[float]] = {name: [] for name in IMPLEMENTATIONS}
    cases: dict[str, Case] = {}
    for name, make in IMPLEMENTATIONS.items():
        step = make(weights, xs, ys)
        block = _anomaly_block if anomaly and name == "chainrule" else _block
        cases[name] = functools.partial(block, step, losses[name], steps_per_block)
    samples = interleave(cases, blocks, gc_enabled)
    gc_state = "" if gc_enabled else ", cyclic GC disabled"
    gc_state += ", chainrule inside detect_anomaly()" if anomaly else ""
    row = Row(f"demo step: MLP(2,[16,16,1]), 100 points{gc_state}", "1 step", samples)
    reference = losses["floor"]
    for name, trajectory in losses.items():
        worst = max(abs(a - b) / abs(b) for a, b in zip(trajectory, reference, strict=True))
        if worst > 1e-9:
            raise AssertionError(
                f"{name} left the floor's loss trajectory: {trajectory} vs {reference}"
            )
    row.note = (
        f"{len(reference)} steps, loss {reference[0]:.6f} -> {reference[-1]:.6f}, "
        f"the same in all three (relative difference <= 1e-9)"
    )
    return row
