"""A microgpt-style training step: a one-layer transformer on scalar Values, trained with Adam.

The program people now write with a micrograd-style engine: token and position embeddings,
rmsnorm, one attention layer (4 heads, a growing key/value cache, softmax), a relu MLP and a
language-model head, every weighted sum a generator expression of products, the loss the mean
negative log-likelihood of the next character of a name. It is written once against a Value
class and its `log`, `exp` and `relu` methods, then run on chainrule's Value and on
benchmarks.minimal's (the forty-line slotted engine), from the same starting weights.
"""

from __future__ import annotations

import functools
import math
import random
from typing import Any

import autograd
from benchmarks import minimal
from benchmarks.harness import Case, Row, clock, interleave, median

# Names to learn, written for this benchmark (no data set is downloaded).
NAMES = [
    "ada",
    "alma",
    "anna",
    "ari",
    "bea",
    "cleo",
    "dora",
    "eli",
    "emma",
    "eva",
    "finn",
    "gus",
    "ida",
    "ivo",
    "jana",
    "kai",
    "lea",
    "leo",
    "lina",
    "luca",
    "mara",
    "mia",
    "milo",
    "nora",
    "otto",
    "pia",
    "rosa",
    "sam",
    "tara",
    "theo",
    "uma",
    "vera",
    "wim",
    "yara",
    "zoe",
]
CHARS = sorted(set("".join(NAMES)))
BOS = len(CHARS)  # the token that starts and ends a name
VOCAB = len(CHARS) + 1
N_EMBD, N_HEAD, BLOCK = 16, 4, 8
HEAD_DIM = N_EMBD // N_HEAD
LR, BETA1, BETA2, EPS = 0.01, 0.85, 0.99, 1e-8

Matrix = list[list[Any]]


def linear(x: list[Any], w: Matrix) -> list[Any]:
    return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]


def softmax(logits: list[Any]) -> list[Any]:
    top = max(v.data for v in logits)
    exps = [(v - top).exp() for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def rmsnorm(x: list[Any]) -> list[Any]:
    ms = sum(xi * xi for xi in x) / len(x)
    scale = (ms + 1e-5) ** -0.5
    return [xi * scale for xi in x]


class Gpt:
    """The model's weights as Values of one engine, its forward pass, and its Adam step."""

    def __init__(self, value_type: Any, seed: int = 0) -> None:
        rng = random.Random(seed)

        def matrix(nout: int, nin: int) -> Matrix:
            return [[value_type(rng.gauss(0.0, 0.08)) for _ in range(nin)] for _ in range(nout)]

        self.wte, self.wpe = matrix(VOCAB, N_EMBD), matrix(BLOCK, N_EMBD)
        self.wq, self.wk = matrix(N_EMBD, N_EMBD), matrix(N_EMBD, N_EMBD)
        self.wv, self.wo = matrix(N_EMBD, N_EMBD), matrix(N_EMBD, N_EMBD)
        self.fc1, self.fc2 = matrix(4 * N_EMBD, N_EMBD), matrix(N_EMBD, 4 * N_EMBD)
        self.head = matrix(VOCAB, N_EMBD)
        matrices = [self.wte, self.wpe, self.wq, self.wk, self.wv, self.wo, self.fc1, self.fc2]
        self.params = [p for m in [*matrices, self.head] for row in m for p in row]
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def forward(self, token: int, pos: int, keys: list[Any], values: list[Any]) -> list[Any]:
        """The next token's logits, given this token and the cache of earlier keys and values."""
        x = rmsnorm([t + p for t, p in zip(self.wte[token], self.wpe[pos])])
        residual = x
        x = rmsnorm(x)
        q, k, v = linear(x, self.wq), linear(x, self.wk), linear(x, self.wv)
        keys.append(k)
        values.append(v)
        heads: list[Any] = []
        for h in range(0, N_EMBD, HEAD_DIM):
            q_h = q[h : h + HEAD_DIM]
            scores = [
                sum(qj * kj for qj, kj in zip(q_h, key[h : h + HEAD_DIM])) / HEAD_DIM**0.5
                for key in keys
            ]
            weights = softmax(scores)
            heads += [
                sum(wt * value[j] for wt, value in zip(weights, values))
                for j in range(h, h + HEAD_DIM)
            ]
        x = [a + b for a, b in zip(linear(heads, self.wo), residual)]
        residual = x
        hidden = [xi.relu() for xi in linear(rmsnorm(x), self.fc1)]
        x = [a + b for a, b in zip(linear(hidden, self.fc2), residual)]
        return linear(x, self.head)

    def loss(self, k: int) -> Any:
        """The forward pass on name k: the mean loss over its next characters."""
        name = NAMES[k % len(NAMES)]
        tokens = [BOS, *(CHARS.index(c) for c in name), BOS]
        n = min(BLOCK, len(tokens) - 1)
        keys: list[Any] = []
        values: list[Any] = []
        losses = []
        for pos in range(n):
            probs = softmax(self.forward(tokens[pos], pos, keys, values))
            losses.append(-probs[tokens[pos + 1]].log())
        return (1 / n) * sum(losses)

    def step(self, k: int) -> float:
        """One Adam step on name k: returns the loss before the update."""
        loss = self.loss(k)
        loss.backward()
        lr = LR * (1 - k / 1000)
        for i, p in enumerate(self.params):
            self.m[i] = BETA1 * self.m[i] + (1 - BETA1) * p.grad
            self.v[i] = BETA2 * self.v[i] + (1 - BETA2) * p.grad**2
            m_hat = self.m[i] / (1 - BETA1 ** (k + 1))
            v_hat = self.v[i] / (1 - BETA2 ** (k + 1))
            p.data -= lr * m_hat / (v_hat**0.5 + EPS)
            p.grad = 0.0
        return float(loss.data)


class Recorded:
    """The least a Value can do and still record the graph: its data, its grad and its
    parents, with no derivatives, checks or modes, and a backward() that does nothing. A step
    on it (the forward pass and the Adam loop, which read and write data and grad) is a floor
    for any engine that makes a Python object per op: its backward pass comes on top."""

    __slots__ = ("data", "grad", "_parents")

    def __init__(self, data: float, parents: tuple[Recorded, ...] = ()) -> None:
        self.data = data
        self.grad = 0.0
        self._parents = parents

    def backward(self) -> None:
        pass

    # Each op spelled out (no helper to call): the floor is the least work, not the least code.
    def __add__(self, other: Any) -> Recorded:
        other = other if type(other) is Recorded else Recorded(other)
        return Recorded(self.data + other.data, (self, other))

    def __mul__(self, other: Any) -> Recorded:
        other = other if type(other) is Recorded else Recorded(other)
        return Recorded(self.data * other.data, (self, other))

    def __sub__(self, other: Any) -> Recorded:
        other = other if type(other) is Recorded else Recorded(other)
        return Recorded(self.data - other.data, (self, other))

    def __truediv__(self, other: Any) -> Recorded:
        other = other if type(other) is Recorded else Recorded(other)
        return Recorded(self.data / other.data, (self, other))

    __radd__, __rmul__ = __add__, __mul__

    def __rtruediv__(self, other: Any) -> Recorded:
        return Recorded(other) / self

    def __neg__(self) -> Recorded:
        return Recorded(-self.data, (self,))

    def __pow__(self, n: float) -> Recorded:
        return Recorded(self.data**n, (self,))

    def exp(self) -> Recorded:
        return Recorded(math.exp(self.data), (self,))

    def log(self) -> Recorded:
        return Recorded(math.log(self.data), (self,))

    def relu(self) -> Recorded:
        return Recorded(max(0.0, self.data), (self,))


ENGINES: dict[str, Any] = {"chainrule": autograd.Value, "minimal": minimal.Value}


def _block(model: Gpt, losses: list[float], steps: int) -> float:
    start = clock()
    for _ in range(steps):
        losses.append(model.step(len(losses)))
    return (clock() - start) / steps


def run(blocks: int, steps_per_block: int) -> Row:
    """Blocks of consecutive steps, the engines taking turns; their losses must agree. The
    floor column is the same step on `Recorded`, whose backward pass does nothing: an engine 2x
    the minimal one would have to do its whole step, backward pass included, in half the
    minimal engine's time, and the floor shows how much of that half is left for backward."""
    losses: dict[str, list[float]] = {name: [] for name in ENGINES}
    cases: dict[str, Case] = {
        name: functools.partial(_block, Gpt(value_type), losses[name], steps_per_block)
        for name, value_type in ENGINES.items()
    }
    floor_losses: list[float] = []  # its weights never move (all grads stay 0.0)
    cases["floor"] = functools.partial(_block, Gpt(Recorded), floor_losses, steps_per_block)
    row = Row(
        "microgpt-style step: 1 layer, 16 wide, 4 heads, Adam (floor column: the same step on "
        "a Value that records only data, grad and parents, with no backward pass)",
        "1 step",
        interleave(cases, blocks),
    )
    ours, theirs = losses["chainrule"], losses["minimal"]
    worst = max(abs(a - b) / abs(b) for a, b in zip(ours, theirs, strict=True))
    # NOTE: not bit for bit: the minimal engine divides as x * y**-1, chainrule rounds x / y once.
    if worst > 1e-9:
        raise AssertionError(f"chainrule left the minimal engine's losses: {ours} vs {theirs}")
    if abs(floor_losses[0] - theirs[0]) > 1e-9 * abs(theirs[0]):
        raise AssertionError(f"the floor's forward left the engines': {floor_losses[0]}")
    share = median(row.samples["floor"]) / median(row.samples["minimal"])
    row.note = (
        f"{len(ours)} steps of {len(Gpt(minimal.Value).params):,} parameters, loss "
        f"{ours[0]:.4f} -> {ours[-1]:.4f} on both engines (relative difference {worst:.0e}). "
        f"The floor's step, with no backward pass, takes {share:.2f} of the minimal engine's "
        "step; 2x that engine means a whole step, backward pass included, in 0.50 of it"
    )
    return row
