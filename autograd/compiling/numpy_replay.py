"""The numpy programs of batched steps: each node an array over the samples.

Imports autograd.engine, codegen, codetext, autograd.primitives, the
standard library, and numpy, only inside `load_numpy` (the `fast` extra; never required).
A program built with vector=True (codegen) is rendered with np.where for its
conditionals, numpy's own exp, log, tanh... for the forwards that have one (any other op's
forward is called on each element), a rule that needs floats called once per sample, and each
layer one matrix product (matmul).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

from autograd.compiling.codegen import Program
from autograd.compiling.codetext import compile_function, unpack
from autograd.engine import Value
from autograd.primitives import COS, EXP, LOG, SIGMOID, SIN, SQRT, TANH

_SMALL = 256  # samples up to which a layer's matrix products use numpy's @


def load_numpy() -> ModuleType | None:
    """numpy, or None where it is not installed."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def vector_function(
    program: Program, externals: list[Value], np: ModuleType
) -> Callable[..., Any] | None:
    """The program on numpy arrays, one element per sample, reading E in the order of
    `externals` (the loop's); None if it reads other Values."""
    if set(program.externals) != set(externals):
        return None
    names = {v: f"e{k}" for k, v in enumerate(program.externals)}
    lines = [
        "def replay(D, E, seed, n):",
        *unpack([f"d{j}" for j in range(program.n_data)], "D"),
        *unpack([names[v] for v in externals], "E"),
    ]
    lines.append("    ok = True")
    lines += [f"    {line}" for line in program.lines]
    grads = "".join(f"{g}, " for _, g in program.grads)
    lines.append(f"    return ok, _total({program.loss}, n), ({grads})")
    namespace = {**_numpy_runtime(np), **program.namer.namespace}
    return compile_function("\n".join(lines) + "\n", namespace, "<batched step, numpy>")


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
        return float(np.sum(x)) if np.ndim(x) else float(x) * n

    def rows(n: int, *xs: Any) -> Any:
        # One row per value (an array over the samples, or a number, the same for each).
        out = np.empty((len(xs), n))
        for i, x in enumerate(xs):
            out[i] = x
        return out

    # NOTE: numpy's @ hands a large product to a multi-threaded BLAS, whose threads wait for
    # each other by spinning: on a busy machine (ours: 2 cores, several processes) that cost up
    # to a hundred times the product's CPU time. Large products go to einsum, single-threaded.
    def product(w: Any, x: Any) -> Any:  # W @ X
        return w @ x if x.shape[1] <= _SMALL else np.einsum("ij,jn->in", w, x)

    def product_nt(g: Any, x: Any) -> Any:  # G @ X.T
        return g @ x.T if x.shape[1] <= _SMALL else np.einsum("in,jn->ij", g, x)

    def product_tn(w: Any, g: Any) -> Any:  # W.T @ G
        return w.T @ g if g.shape[1] <= _SMALL else np.einsum("ji,jn->in", w, g)

    return {
        "_product": product,
        "_product_nt": product_nt,
        "_product_tn": product_tn,
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
    row: tuple[float, ...],
    externals: list[float],
    seed: float,
    expected: list[float],
    np: Any,
) -> bool:
    """Does the numpy program give eager's numbers on this one sample (to 1e-12)?"""
    try:
        with np.errstate(divide="raise", over="raise", invalid="raise", under="ignore"):
            ok, total, got = vector(np.array([row], dtype=float).T, externals, seed, 1)
    except Exception:
        return False
    pairs = zip([total, *got], expected)
    return bool(np.all(ok)) and all(math.isclose(a, b, rel_tol=1e-12) for a, b in pairs)
