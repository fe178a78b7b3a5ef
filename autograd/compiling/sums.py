"""Long sums of products of parameters as one dot product, in the numpy programs of batched steps.

Imports autograd.engine, autograd.primitives and the standard library only.

An L2 penalty written as a user writes it, `sum(p * p for p in params)`, is a chain of nodes:
m_k = a_k * b_k, then s_k = s_(k-1) + m_k, each read only by the next. Its value is the same
for every sample, so a numpy program computes it once; but node by node it is thousands of
statements on floats, and each parameter's gradient g * b_k is summed over the samples on its
own. The chain is one dot product instead: s = start + A @ B, A and B the values of a_1..a_K
and b_1..b_K (slices of Ea, the Values made outside f), and backward (the rules of + and *)
d(s)/d(start) = 1, d(s)/d(a_k) = b_k, d(s)/d(b_k) = a_k: with T the chain's gradient summed
over the samples, the a's gradients are the array T * B and the b's T * A (2 T A for squares,
where a_k is b_k and its two terms g * a_k add up to exactly 2 g a_k). Those arrays go back
as blocks, as a layer's weight gradients do (matmul).

# NOTE: the dot product adds its terms in another order than the chain, as numpy's sums do
# elsewhere in these programs (they agree with eager to about 1e-15, not bit for bit).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from autograd.engine import Value
from autograd.primitives import ADD, MUL

SHORTEST = 8  # terms: a shorter sum stays node by node


@dataclass
class _Chain:
    index: int
    start: Value  # what the first product is added to (the 0 that sum() starts from)
    tail: Value  # the last sum: the chain's value
    a: list[Value] = field(default_factory=list)
    b: list[Value] = field(default_factory=list)


class Sums:
    """The chains of `made` (f's nodes, in order): sums of products of Values made outside f.
    `inner` holds the nodes a chain replaces (its products and all sums but its last)."""

    def __init__(
        self, made: list[Value], stopped: dict[Value, Any], guarded: list[Value], root: Value
    ) -> None:
        made_here = set(made)
        uses = Counter(guarded)  # a compared node is read by the guard's code too
        for node in made:
            uses.update(stopped[node][1] if node in stopped else node._parents)
        uses[root] += 1

        def product(m: Value) -> bool:  # a * b of two Values made outside f, read once
            return (
                m._primitive is MUL
                and m not in stopped
                and uses[m] == 1
                and not any(p in made_here for p in m._parents)
            )

        open_chains: dict[Value, _Chain] = {}  # the last sum of a chain -> its chain
        for node in made:
            if node._primitive is not ADD or node in stopped or not product(node._parents[1]):
                continue
            left, m = node._parents
            chain = open_chains.pop(left, None) if uses[left] == 1 else None
            if chain is None:
                chain = _Chain(0, left, node)
            chain.tail = node
            chain.a.append(m._parents[0])
            chain.b.append(m._parents[1])
            open_chains[node] = chain
        self.chains: dict[Value, _Chain] = {}  # the last sum of a chain -> its chain
        self.inner: set[Value] = set()
        for i, chain in enumerate(c for c in open_chains.values() if len(c.a) >= SHORTEST):
            chain.index = i
            self.chains[chain.tail] = chain
            self.inner.update(_members(chain))
        self.blocks: list[tuple[str, list[Value]]] = []  # (GS{i}, the Values, in order)

    def forward(self, code: Any, k: int, node: Value) -> bool:
        """Write a chain's value at its last sum; nothing for the nodes it replaces. False if
        node is in no chain."""
        if node in self.chains:
            chain = self.chains[node]
            i = chain.index
            code.emit(f"S{i}a = Ea[{_slice(code, chain.a)}]")
            if chain.a == chain.b:  # (a Value's == is identity)
                code.emit(f"S{i}b = S{i}a")
            else:
                code.emit(f"S{i}b = Ea[{_slice(code, chain.b)}]")
            dot = f"float(S{i}a @ S{i}b)"
            code.names[node] = code.let(f"v{k}", f"({code.value(chain.start)} + {dot})")
            return True
        return node in self.inner

    def backward(self, code: Any, node: Value, g: str, needed: dict[Value, bool]) -> bool:
        """The chain's backward pass from g, its last sum's gradient. False if node ends no
        chain."""
        chain = self.chains.get(node)
        if chain is None:
            return False
        i = chain.index
        if needed[chain.start]:
            code.send(chain.start, g)
        code.emit(f"T{i} = _total({g}, n)")
        if chain.a == chain.b:  # squares: each a_k's two terms, added
            parts = [(chain.a, f"(2.0 * T{i}) * S{i}a")]
        else:
            parts = [(chain.a, f"T{i} * S{i}b"), (chain.b, f"T{i} * S{i}a")]
        for side, (values, expr) in zip("ab", parts):
            name = f"GS{i}{side}"
            code.emit(f"{name} = {expr}")
            if all(needed[v] for v in values):
                self.blocks.append((name, values))
            else:
                for c, v in enumerate(values):
                    if needed[v]:
                        code.send(v, f"{name}[{c}]", summed=True)
        return True


def _members(chain: _Chain) -> list[Value]:
    """The nodes the chain replaces: every sum from its first to the one before its tail, and
    every product."""
    out = []
    node = chain.tail
    for _ in chain.a:
        left, m = node._parents
        out.append(m)
        if node is not chain.tail:
            out.append(node)
        node = left
    return out


def _slice(code: Any, values: list[Value]) -> str:
    """Where values lie in Ea: a slice (start:stop:step) where their positions are evenly
    spaced, else an index array."""
    for v in values:
        code.value(v)  # each gets its e{k}, and so its place in Ea, at its first use
    where = [code.external_index[v] for v in values]
    step = where[1] - where[0]
    if step > 0 and where == list(range(where[0], where[-1] + 1, step)):
        return f"{where[0]}:{where[-1] + 1}:{step}" if step != 1 else f"{where[0]}:{where[-1] + 1}"
    return code.out.namer.bind(where, "K")
