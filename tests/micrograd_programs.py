"""Two programs of the micrograd family, each written once against whatever Value class it is given.

A user's program, not library code: its own Neuron, Layer and MLP written on `Value` as
micrograd's nn.py writes them, `sum()` starting at 0 (or at the bias), and a hand-written AdamW
that keeps its moments on the parameters (`p.m`, `p.v`) and tags them for drawing
(`setattr(p, "_vis_color", ...)`), as EurekaLabsAI/micrograd's micrograd.py does.

- `moons_program`: micrograd 0.1.0's nn.py and the hinge loss of its demo, with that AdamW. It
  runs on micrograd 0.1.0 itself (which has only + * ** and relu) and on chainrule.
- `yinyang_program`: the 2024 rework's training program, reconstructed (not copied): yin-yang
  data, MLP(2, [8, 3]) with tanh, a max-shifted cross-entropy, AdamW, a validation loss every
  few steps. It needs exp, log and tanh, which micrograd 0.1.0 lacks, so its reference is
  `ClosureValue`, that program's own engine in micrograd's idiom.

The programs take the Value class as an argument, so the name `Value` is capitalised there.
"""

from __future__ import annotations

import math
import random
from typing import Any


class ClosureValue:
    """DELIBERATELY micrograd's idiom, the reference engine: each op stores a closure that
    writes `self.grad += ...`, and backward() calls them in reverse topological order.

    This is the habit chainrule refuses (its nodes hold rules); here it is the oracle.
    """

    def __init__(self, data: float, _children: tuple[Any, ...] = (), _op: str = "") -> None:
        self.data = data
        self.grad: float = 0
        self._backward: Any = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other: Any) -> ClosureValue:
        other = other if isinstance(other, ClosureValue) else ClosureValue(other)
        out = ClosureValue(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Any) -> ClosureValue:
        other = other if isinstance(other, ClosureValue) else ClosureValue(other)
        out = ClosureValue(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other: float) -> ClosureValue:
        out = ClosureValue(self.data**other, (self,), f"**{other}")

        def _backward() -> None:
            self.grad += (other * self.data ** (other - 1)) * out.grad

        out._backward = _backward
        return out

    def _unary(self, data: float, op: str, local: float) -> ClosureValue:
        out = ClosureValue(data, (self,), op)

        def _backward() -> None:
            self.grad += local * out.grad

        out._backward = _backward
        return out

    def relu(self) -> ClosureValue:
        data = 0 if self.data < 0 else self.data
        return self._unary(data, "ReLU", float(data > 0))

    def tanh(self) -> ClosureValue:
        t = math.tanh(self.data)
        return self._unary(t, "tanh", 1 - t**2)

    def exp(self) -> ClosureValue:
        return self._unary(math.exp(self.data), "exp", math.exp(self.data))

    def log(self) -> ClosureValue:
        return self._unary(math.log(self.data), "log", 1 / self.data)

    def backward(self) -> None:
        backprop_by_hand(self)

    def __neg__(self) -> ClosureValue:
        return self * -1

    def __radd__(self, other: Any) -> ClosureValue:
        return self + other

    def __sub__(self, other: Any) -> ClosureValue:
        return self + (-other)

    def __rsub__(self, other: Any) -> ClosureValue:
        return other + (-self)

    def __rmul__(self, other: Any) -> ClosureValue:
        return self * other

    def __truediv__(self, other: Any) -> ClosureValue:
        return self * other**-1

    def __rtruediv__(self, other: Any) -> ClosureValue:
        return other * self**-1


def mlp_class(Layer: Any) -> Any:  # noqa: N803
    """micrograd's MLP class, on the Layer class given: hidden layers nonlin, the last linear."""

    class MLP:
        def __init__(self, nin: int, nouts: list[int]) -> None:
            sz = [nin, *nouts]
            self.layers = [
                Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))
            ]

        def __call__(self, x: Any) -> Any:
            for layer in self.layers:
                x = layer(x)
            return x

        def parameters(self) -> list[Any]:
            return [p for layer in self.layers for p in layer.parameters()]

        def zero_grad(self) -> None:
            for p in self.parameters():
                p.grad = 0

    return MLP


def backprop_by_hand(root: Any) -> None:
    """micrograd's backward(), as lecture 1 writes it out: the topological order built from
    `_prev`, the root's grad set to 1, then each node's `_backward()` in reverse order."""
    topo: list[Any] = []
    visited = set()

    def build_topo(v: Any) -> None:
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(root)
    root.grad = 1
    for v in reversed(topo):
        v._backward()


def network(Value: Any, rng: random.Random, activation: str, scale: bool) -> Any:  # noqa: N803
    """micrograd's Module, Neuron, Layer and MLP classes, written on `Value`.

    `scale` starts the weights at uniform(-1, 1) / sqrt(nin), as the 2024 rework does (micrograd
    0.1.0 does not). The 0.1.0 Layer returns a bare Value when it has one neuron.
    """

    def vis_color(nodes: list[Any], color: str) -> None:
        for n in nodes:
            setattr(n, "_vis_color", color)  # noqa: B010 (the program's own idiom)

    class Module:
        def zero_grad(self) -> None:
            for p in self.parameters():
                p.grad = 0

        def parameters(self) -> list[Any]:
            return []

    class Neuron(Module):
        def __init__(self, nin: int, nonlin: bool = True) -> None:
            factor = nin**-0.5 if scale else 1
            self.w = [Value(rng.uniform(-1, 1) * factor) for _ in range(nin)]
            self.b = Value(0)
            self.nonlin = nonlin
            vis_color([self.b, *self.w], "lightgreen")

        def __call__(self, x: list[Any]) -> Any:
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
            return getattr(act, activation)() if self.nonlin else act

        def parameters(self) -> list[Any]:
            return [*self.w, self.b]

    class Layer(Module):
        def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
            self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

        def __call__(self, x: list[Any]) -> Any:
            out = [n(x) for n in self.neurons]
            return out[0] if len(out) == 1 else out

        def parameters(self) -> list[Any]:
            return [p for n in self.neurons for p in n.parameters()]

    return mlp_class(Layer)


def adamw_init(params: list[Any]) -> None:
    for p in params:
        p.m = 0.0
        p.v = 0.0


def adamw_step(params: list[Any], step: int, lr: float = 1e-1, wd: float = 1e-4) -> None:
    """AdamW on floats, its state kept on the parameters themselves."""
    beta1, beta2 = 0.9, 0.95
    for p in params:
        p.m = beta1 * p.m + (1 - beta1) * p.grad
        p.v = beta2 * p.v + (1 - beta2) * p.grad**2
        m_hat = p.m / (1 - beta1 ** (step + 1))
        v_hat = p.v / (1 - beta2 ** (step + 1))
        p.data -= lr * (m_hat / (v_hat**0.5 + 1e-8) + wd * p.data)


def moons(rng: random.Random, n: int) -> list[tuple[list[float], int]]:
    """n noisy two-moons points with labels -1 and +1, alternating."""
    points = []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            x, y = 1 - math.cos(t), 0.5 - math.sin(t)
        else:
            x, y = math.cos(t), math.sin(t)
        points.append(([x + rng.gauss(0, 0.1), y + rng.gauss(0, 0.1)], 1 if i % 2 else -1))
    return points


def moons_program(Value: Any, steps: int, seed: int = 0) -> list[list[float]]:  # noqa: N803
    """micrograd 0.1.0's MLP(2, [16, 16, 1]) with its demo's hinge loss, trained with AdamW.

    Returns, per step, the loss and then every parameter's data after the update.
    """
    rng = random.Random(seed)
    data = moons(rng, 40)
    model = network(Value, rng, "relu", scale=False)(2, [16, 16, 1])
    adamw_init(model.parameters())
    history = []
    for step in range(steps):
        scores = [model([Value(x[0]), Value(x[1])]) for x, _ in data]
        losses = [(1 + -y * s).relu() for (_, y), s in zip(data, scores)]
        loss = sum(losses) * (1.0 / len(losses))
        model.zero_grad()
        loss.backward()
        adamw_step(model.parameters(), step, lr=0.05)
        history.append([loss.data, *[p.data for p in model.parameters()]])
    return history


def yinyang(rng: random.Random, n: int, r_small: float = 0.1, r_big: float = 0.5) -> list[Any]:
    """n points of the yin-yang: class 0 yin, 1 yang, 2 the two dots, in turn, scaled to [-2, 2]."""

    def which_class(x: float, y: float) -> int:
        d_right = math.hypot(x - 1.5 * r_big, y - r_big)
        d_left = math.hypot(x - 0.5 * r_big, y - r_big)
        if d_right < r_small or d_left < r_small:
            return 2
        is_yin = d_right <= r_small or r_small < d_left <= 0.5 * r_big
        is_yin = is_yin or (y > r_big and d_right > 0.5 * r_big)
        return 0 if is_yin else 1

    points = []
    while len(points) < n:
        x, y = rng.uniform(0, 2 * r_big), rng.uniform(0, 2 * r_big)
        if math.hypot(x - r_big, y - r_big) > r_big or which_class(x, y) != len(points) % 3:
            continue
        points.append(([(x / r_big - 1) * 2, (y / r_big - 1) * 2], which_class(x, y)))
    return points


def cross_entropy(logits: list[Any], target: int) -> Any:
    max_val = max(val.data for val in logits)  # subtracted for numerical stability
    logits = [val - max_val for val in logits]
    ex = [x.exp() for x in logits]
    denom = sum(ex)
    probs = [x / denom for x in ex]
    return -probs[target].log()


def yinyang_program(Value: Any, steps: int, seed: int = 42) -> list[tuple[str, float]]:  # noqa: N803
    """The 2024 rework's training loop: the losses it prints, ("train" or "val", loss)."""
    rng = random.Random(seed)
    points = yinyang(rng, 60)
    train_split, val_split = points[:48], points[48:54]
    model = network(Value, rng, "tanh", scale=True)(2, [8, 3])

    def loss_of(split: list[Any]) -> Any:
        loss = Value(0)
        for x, y in split:
            logits = model([Value(x[0]), Value(x[1])])
            loss += cross_entropy(logits, y)
        return loss * (1.0 / len(split))

    adamw_init(model.parameters())
    printed = []
    for step in range(steps):
        if step % 5 == 0:
            printed.append(("val", loss_of(val_split).data))
        loss = loss_of(train_split)
        loss.backward()
        adamw_step(model.parameters(), step)
        model.zero_grad()
        printed.append(("train", loss.data))
    return printed


def nonlin_program(Layer: Any, steps: int) -> list[list[float]]:  # noqa: N803
    """micrograd's demo.ipynb, on its MLP written with a library's Layer and `nonlin=`.

    The weights come from the global `random` after random.seed(1337), as the demo seeds them;
    the loss is the demo's hinge loss plus its L2 term, and the update its decaying-lr SGD.
    Returns, per step, the loss and then every parameter's data after the update.
    """
    random.seed(1337)

    MLP = mlp_class(Layer)  # noqa: N806
    model = MLP(2, [16, 16, 1])
    data = moons(random.Random(0), 30)
    history = []
    for k in range(steps):
        scores = [model(x) for x, _ in data]
        losses = [(1 + -y * s).relu() for (_, y), s in zip(data, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= lr * p.grad
        history.append([total.data, *[p.data for p in model.parameters()]])
    return history
