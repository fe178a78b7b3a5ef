"""The numpy programs of batched steps: each node an array over the samples.

Imports autograd.engine, codegen, codetext, autograd.primitives, the
standard library, and numpy, only inside `load_numpy` (the `fast` extra; never required).
A program built with vector=True (codegen) is rendered with np.where for its
conditionals, numpy's own exp, log, tanh... for the forwards that have one (any other op's
forward is called on each element), a rule that needs floats called once per sample, and each
layer one matrix product (matmul), its big matrices written into buffers kept from call to call
(Buffers).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from types import ModuleType
from typing import Any

from autograd.compiling.codegen import Program
from autograd.compiling.codetext import compile_function, unpack
from autograd.engine import Value
from autograd.primitives import COS, EXP, LOG, SIGMOID, SIN, SQRT, TANH

_EXTERNAL = re.compile(r"\be\d+\b")  # the names of E's numbers in generated code
# A comparison in generated code, such as (M0 <= 0): a name against a name or a number.
_TEST = re.compile(r"\(\w+ (?:<=|<|>=|>|==|!=) -?[\w.]+\)")
_NAMES = re.compile(r"\b[A-Za-z_]\w*")
_SLICE = 200_000  # multiply-adds per matrix product, at most (see _numpy_runtime)


def load_numpy() -> ModuleType | None:
    """numpy, or None where it is not installed."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def vector_function(program: Program, np: ModuleType) -> Callable[..., Any]:
    """The program on numpy arrays, one element per sample, reading Ea (the .data of
    program.externals as one array, read in one pass). It returns (ok, the loss summed over
    the samples, the gradients as an array in the order of `vector_params(program)`)."""
    places = _places(program)
    picked = "" if places == list(range(len(program.externals))) else f"[{_bind(program, places)}]"
    lines, loss = _shared_tests(program.lines, program.loss)
    body = [
        "    ok = True",
        *(f"    {line}" for line in lines + _gradients(program)),
        f"    return ok, _total({loss}, n), GE{picked}",
    ]
    # Ea's numbers one by one only if the body reads them so (not only as layers' weights)
    reads_e = any(_EXTERNAL.search(line) for line in body)
    externals = [f"e{k}" for k in range(len(program.externals))] if reads_e else []
    lines = [
        "def replay(D, Ea, seed, n, B):",
        *unpack([f"d{j}" for j in range(program.n_data)], "D"),
        *unpack(externals, "Ea.tolist()"),
        *body,
    ]
    namespace = {**_numpy_runtime(np), **program.namer.namespace}
    replay = compile_function("\n".join(lines) + "\n", namespace, "<batched step, numpy>")
    # Each call has buffers of its own (B): those of an earlier call, or new ones when every
    # earlier call's are in use (a call from inside a call, or from another thread).
    idle: list[Buffers] = []

    def with_buffers(data: Any, externals: Any, seed: float, n: int) -> Any:
        buffers = idle.pop() if idle else Buffers(np)
        try:
            return replay(data, externals, seed, n, buffers)
        finally:
            idle.append(buffers)

    return with_buffers


class Buffers:
    """The big matrices of a numpy program (a layer's X, its product M, their gradients G and
    GX), kept from one call to the next under their names in the program.

    NOTE: at 10,000 samples each is about 1.3 MB, a block that glibc maps afresh (or, once it
    has raised its threshold for that, grows its heap for, and trims off again when the call's
    matrices are freed). A program that made its matrices anew paid a page fault per 4 KB of
    each, every call: about half the step's time in a fresh process. Kept, they cost nothing
    after the first call, and the memory stays with the step (for MLP(2,[16,16,1]), 103 rows
    of n floats: 8 MB at 10,000 samples). A buffer is only ever written by the helper that
    makes its matrix (`out=`), which overwrites all of it before anything reads it; and what
    a program returns (the loss, which samples passed the guards, the gradients) is made
    anew by each call, never a buffer.
    """

    def __init__(self, np: ModuleType) -> None:
        self.np = np
        self.arrays: dict[str, Any] = {}

    def matrix(self, name: str, rows: int, n: int) -> Any:
        """The array kept as `name`, rows x n: made at its first use, and again when the batch
        has another size."""
        array = self.arrays.get(name)
        if array is None or array.shape != (rows, n):
            array = self.np.empty((rows, n))
            self.arrays[name] = array
        return array


def _shared_tests(lines: list[str], loss: str) -> tuple[list[str], str]:
    """The lines and the loss with each comparison that comes more than once, such as relu's
    `(M0 <= 0)` forward and again in its rule backward, made once (`C0 = (M0 <= 0)`, before
    its first use) and read as C0 wherever it came: on arrays each comparison is a numpy call
    and a new array of booleans. Only comparisons of names that are assigned once (and so mean
    the same everywhere) and literals are shared."""
    assigned = Counter(line.partition(" = ")[0] for line in lines)
    texts = [*lines, loss]
    found = Counter(m.group() for text in texts for m in _TEST.finditer(text))
    shared: dict[str, str] = {}
    for test, count in found.items():
        names = _NAMES.findall(test)
        if count > 1 and all(assigned[name] <= 1 for name in names):
            shared[test] = f"C{len(shared)}"
    out: list[str] = []
    made: set[str] = set()
    for i, text in enumerate(texts):
        for test, name in shared.items():
            if test in text:
                if name not in made:
                    made.add(name)
                    out.append(f"{name} = {test}")
                text = text.replace(test, name)
        if i < len(lines):
            out.append(text)
        else:
            loss = text
    return out, loss


def vector_params(program: Program) -> list[Value]:
    """The parameter of each gradient a numpy program returns, each once, in Ea's order."""
    return [program.externals[k] for k in _places(program)]


def _places(program: Program) -> list[int]:
    """Where in Ea (program.externals) the Values with gradients lie, in order. (Every
    parameter is a Value made outside f, and each one the program reads has a place.)"""
    at = {v: k for k, v in enumerate(program.externals)}
    blocks = {at[v] for _, values in program.blocks for v in values}
    return sorted(blocks | {at[p] for p, _ in program.grads})


def _gradients(program: Program) -> list[str]:
    """The lines that add every gradient into GE, an array with one element per Value of Ea,
    so that the step adds each parameter's gradient into its .grad once: each block (a layer's
    weights, a sum's factors) as one slice where its Values lie side by side in Ea, and the
    other parameters' gradients in one indexed add (each of those parameters comes once)."""
    at = {v: k for k, v in enumerate(program.externals)}
    size = len(program.externals)
    spans: dict[str, tuple[int, int]] = {}  # the blocks whose Values lie side by side in Ea
    for name, values in program.blocks:
        where = [at[v] for v in values]
        if where == list(range(where[0], where[0] + len(where))):
            spans[name] = (where[0], where[-1] + 1)
    # Where blocks, each the first to reach its places, cover Ea exactly (a network's layers),
    # GE starts as them side by side, and only the blocks after them are added.
    firsts: dict[str, tuple[int, int]] = {}
    for name, (start, end) in spans.items():
        if all(end <= a or b <= start for a, b in firsts.values()):
            firsts[name] = (start, end)
    if sum(end - start for start, end in firsts.values()) == size:
        tiles = sorted(firsts, key=firsts.__getitem__)
        lines = [f"GE = concatenate(({''.join(f'{name}.ravel(), ' for name in tiles)}))"]
    else:
        firsts = {}
        lines = [f"GE = zeros({size})"]
    for name, values in program.blocks:
        if name in firsts:
            continue
        if spans.get(name) == (0, size):  # the whole of Ea (an L2 term over every parameter)
            lines.append(f"GE += {name}.ravel()")
        elif name in spans:
            start, end = spans[name]
            lines.append(f"GE[{start}:{end}] += {name}.ravel()")
        else:  # add.at adds each element, also for a Value that comes twice (a tied weight)
            where = [at[v] for v in values]
            lines.append(f"_add_at(GE, {_bind(program, where)}, {name}.ravel())")
    if program.grads:
        where = [at[p] for p, _ in program.grads]
        grads = "".join(f"{g}, " for _, g in program.grads)
        lines.append(f"GE[{_bind(program, where)}] += array(({grads}), float)")
    return lines


def _bind(program: Program, places: list[int]) -> str:
    """The name under which the code reads a list of places in Ea."""
    return program.namer.bind(places, "K")


def numpy_function(fn: Any, np: ModuleType) -> Any:
    """fn (a forward on floats) on arrays: numpy's own function where there is one, else fn
    called on each element."""
    if fn is SIGMOID.forward:
        return lambda x: _sigmoid(x, np)
    same = {
        EXP.forward: np.exp,
        LOG.forward: np.log,
        SQRT.forward: np.sqrt,
        TANH.forward: np.tanh,
        SIN.forward: np.sin,
        COS.forward: np.cos,
        math.copysign: np.copysign,
    }
    return same.get(fn) or np.vectorize(fn, otypes=[float])


def _sigmoid(x: Any, np: ModuleType) -> Any:
    # The stable form of autograd.primitives' sigmoid, both sides at once: exp(-|x|) <= 1.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _numpy_runtime(np: ModuleType) -> dict[str, Any]:
    """The helpers numpy programs call."""

    def unless(test: Any, value: Any) -> Any:
        if np.any(test):
            raise FloatingPointError("a replayed op took a path on which it raises")
        return value

    def each(rule: Callable[..., Any], n: int, *args: Any) -> tuple[Any, ...]:
        # A rule that needs floats, called once per sample, as eager code calls it.
        columns = [a.tolist() if np.ndim(a) else [float(a)] * n for a in args]
        terms = [rule(*xs) for xs in zip(*columns)]
        return tuple(np.array(term, dtype=float) for term in zip(*terms))

    def total(x: Any, n: int) -> float:
        # (Not np.ndim(x): on a Python float it makes an array first, and costs 2 us.)
        return float(x.sum()) if getattr(x, "ndim", 0) else float(x) * n

    # The helpers that make a matrix write it into `out`, the call's buffer for it (Buffers).

    def rows(n: int, *xs: Any, out: Any) -> Any:
        # One row per value (an array over the samples, or a number, the same for each).
        if len(xs) == 1 and getattr(xs[0], "shape", None) == (n,) and xs[0].dtype == float:
            return xs[0].reshape(1, n)  # one array of floats: itself as a row (out unused)
        for i, x in enumerate(xs):
            out[i] = x
        return out

    def with_ones(x: Any, out: Any) -> Any:  # [X; a row of ones], for a layer with biases
        out[:-1] = x
        out[-1] = 1.0
        return out

    # NOTE: numpy's @ hands a large product to a multi-threaded BLAS, whose threads wait for
    # each other by spinning: on a busy machine (ours: 2 cores, several processes) that cost up
    # to a hundred times the product's CPU time. OpenBLAS runs a product on one thread below
    # about 260,000 multiply-adds (m * n * k), so large products are made of such slices, each
    # one `@` (einsum, the other single-threaded way, is 3-5 times slower than BLAS).
    # Below that size each product is np.dot: for these 2-d arrays the same BLAS call as `@`,
    # with less overhead per call, and an outer product (W's one row, as the last layer's)
    # in a fraction of the time matmul takes for it.
    def columns(a: Any, b: Any, out: Any) -> Any:  # A @ B, B's columns a slice at a time
        width = max(1, _SLICE // (a.shape[0] * a.shape[1]))
        if b.shape[1] <= width:
            return np.dot(a, b, out=out)
        for i in range(0, b.shape[1], width):
            np.matmul(a, b[:, i : i + width], out=out[:, i : i + width])
        return out

    def product_nt(g: Any, x: Any) -> Any:  # G @ X.T, summed over the samples a slice at a time
        width = max(1, _SLICE // (g.shape[0] * x.shape[0]))
        if x.shape[1] <= width:
            return np.dot(g, x.T)
        slices = range(0, x.shape[1], width)
        return sum(g[:, i : i + width] @ x[:, i : i + width].T for i in slices)

    return {
        "_with_ones": with_ones,
        "zeros": np.zeros,
        "concatenate": np.concatenate,
        "_add_at": np.add.at,
        "_product": columns,
        "_product_nt": product_nt,
        "_product_tn": lambda w, g, out: columns(w.T, g, out),
        "array": np.array,
        "_rows": rows,
        "where": np.where,
        "logical_not": np.logical_not,
        "logical_and": np.logical_and,
        "_unless": unless,
        "_each": each,
        "_total": total,
    }


def agrees(
    vector: Callable[..., Any],
    params: list[Value],
    row: tuple[float, ...],
    externals: list[float],
    seed: float,
    loss: float,
    grads: dict[Value, float],
    np: Any,
) -> bool:
    """Does the numpy program give eager's loss and gradients on this one sample (to 1e-12)?"""
    try:
        with np.errstate(divide="raise", over="raise", invalid="raise", under="ignore"):
            columns = np.array([row], dtype=float).T
            ok, total, got = vector(columns, np.array(externals, dtype=float), seed, 1)
    except Exception:
        return False
    summed: dict[Value, float] = {}
    for p, g in zip(params, got):
        summed[p] = summed.get(p, 0.0) + g
    pairs = [(total, loss), *((summed[p], grads[p]) for p in summed)]
    return bool(np.all(ok)) and all(math.isclose(a, b, rel_tol=1e-12) for a, b in pairs)
