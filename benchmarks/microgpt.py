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
import random
from typing import Any

import autograd
from benchmarks import minimal
from benchmarks.harness import Case, Row, clock, interleave

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

    def step(self, k: int) -> float:
        """One Adam step on name k: returns the loss before the update."""
        name = NAMES[k % len(NAMES)]
        tokens = [BOS, *(CHARS.index(c) for c in name), BOS]
        n = min(BLOCK, len(tokens) - 1)
        keys: list[Any] = []
        values: list[Any] = []
        losses = []
        for pos in range(n):
            probs = softmax(self.forward(tokens[pos], pos, keys, values))
            losses.append(-probs[tokens[pos + 1]].log())
        loss = (1 / n) * sum(losses)
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


ENGINES: dict[str, Any] = {"chainrule": autograd.Value, "minimal": minimal.Value}


def _block(model: Gpt, losses: list[float], steps: int) -> float:
    start = clock()
    for _ in range(steps):
        losses.append(model.step(len(losses)))
    return (clock() - start) / steps


def run(blocks: int, steps_per_block: int) -> Row:
    """Blocks of consecutive steps, the engines taking turns; their losses must agree."""
    losses: dict[str, list[float]] = {name: [] for name in ENGINES}
    cases: dict[str, Case] = {
        name: functools.partial(_block, Gpt(value_type), losses[name], steps_per_block)
        for name, value_type in ENGINES.items()
    }
    row = Row(
        "microgpt-style step: 1 layer, 16 wide, 4 heads, Adam", "1 step", interleave(cases, blocks)
    )
    ours, theirs = losses["chainrule"], losses["minimal"]
    worst = max(abs(a - b) / abs(b) for a, b in zip(ours, theirs, strict=True))
    # NOTE: not bit for bit: the minimal engine divides as x * y**-1, chainrule rounds x / y once.
    if worst > 1e-9:
        raise AssertionError(f"chainrule left the minimal engine's losses: {ours} vs {theirs}")
    row.note = (
        f"{len(ours)} steps of {len(Gpt(minimal.Value).params):,} parameters, loss "
        f"{ours[0]:.4f} -> {ours[-1]:.4f} on both engines (relative difference {worst:.0e})"
    )
    return row
