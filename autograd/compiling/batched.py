"""Batched steps: one sample's trace replayed over a whole batch, the gradients summed.

Imports autograd.engine, the compiler's modules and the standard library; numpy only through
numpy_replay, where it is installed (the `fast` extra; never required).

A per-sample loss has the same graph for every sample, up to its guards: trace it on one
sample, then run the generated program on all of them. With numpy each node is an array over
the samples (an op is one numpy call for the whole batch); without, the program is the body
of a generated Python loop over the samples. Samples whose guards come out otherwise (a branch
on the label, say) are traced again and replayed by their own program.

# NOTE: the numpy replay agrees with eager to about 1e-15 relative, not bit for bit: numpy's
# exp, log, tanh and sum are not math's. Where numpy meets a floating-point error (a division
# by zero, an overflow, a nan) the batch is replayed again by the Python loop, which raises, or
# not, exactly as eager code does.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from types import ModuleType
from typing import Any

from autograd.compiling.codegen import Program, build
from autograd.compiling.codetext import Namer, compile_function, unpack
from autograd.compiling.numpy_replay import (
    agrees,
    load_numpy,
    numpy_function,
    vector_function,
    vector_params,
)
from autograd.compiling.step import DISAGREED, Params, Step, check_root
from autograd.compiling.tracing import Trace, backprop, flatten, unflatten
from autograd.engine import Held, Value, held_class, hold, unhold

_INSTALL = "pip install 'chainrule[fast]' (or numpy)"
_DATA = attrgetter("_data")  # the slot (see _replay), read for many Values in one pass
_GRAD = attrgetter("_grad")


@dataclass
class _Variant:
    """One trace's programs: a Python loop over samples, and (with numpy) an array program.
    Each reads the .data of its own externals, and returns gradients for its own params."""

    loop: Callable[..., Any]
    externals: list[Value]
    params: list[Value]
    source: str
    vector: Callable[..., Any] | None = None
    vector_externals: list[Value] = field(default_factory=list)
    vector_params: list[Value] = field(default_factory=list)
    why_loop: str = ""  # with numpy installed: why this variant has no numpy program


class BatchedStep(Step):
    """step(*columns) -> float: the mean (or sum) of f over the samples, its gradient added
    into each p.grad. `traces` counts f's traces, `source` is the latest loop's code. The
    cache maps a shape of one sample to its variants (one per way the guards came out)."""

    warn_depth = 4  # warn, _trace, _group, __call__
    eagerly = "this batched step runs eagerly, sample by sample, for samples of this shape"

    def __init__(
        self, f: Callable[..., Value], params: Params, reduction: str, numpy: bool | None
    ) -> None:
        super().__init__(f, params)
        self.reduction = reduction
        self.np = load_numpy() if numpy is not False else None
        if numpy is True and self.np is None:
            raise ImportError(f"compile_grad(numpy=True) needs numpy: {_INSTALL}")
        self._said_loop = False
        self.holding = _Holding(self.np) if self.np is not None else None

    def __repr__(self) -> str:
        mode = "numpy" if self.np is not None else "Python loop"
        return f"BatchedStep({self.name()}, {self.reduction}, {mode}, {self.traces} traces)"

    def __call__(self, *columns: Any) -> float:
        self.refresh_params()
        n, groups = _samples(columns, self.np)
        seed = 1.0 / n if self.reduction == "mean" else 1.0
        loss = self._replay_held(groups, seed)
        if loss is None:
            totals = _Totals()
            for shape, samples in groups.items():
                self._group(shape, samples, seed, totals)
            totals.write()
            loss = totals.loss
            self._hold(totals)
        return loss * (1.0 / n) if self.reduction == "mean" else loss

    def _replay_held(self, groups: dict[Any, _Samples], seed: float) -> float | None:
        """The batch through the program whose parameters this step holds, where all of it
        is of that program's shape and passes its guards: the loss summed over the samples,
        the gradients added into the held grads. Else None, and the parameters released."""
        holding = self.holding
        if holding is None or not holding.values:
            return None
        samples = groups.get(holding.shape)
        if len(groups) != 1 or samples is None or holding.values is not self.params:
            holding.release()
            return None
        assert self.np is not None and holding.variant.vector is not None
        try:
            with self.np.errstate(divide="raise", over="raise", invalid="raise", under="ignore"):
                ok, loss, grads = holding.variant.vector(
                    samples.array, holding.data, seed, samples.count
                )
        except Exception:  # the whole step again, parameters released: it decides
            holding.release()
            return None
        if ok is not True and not ok.all():  # some samples take another variant
            holding.release()
            return None
        holding.grads += grads
        holding.lasted()
        return loss

    def _hold(self, totals: _Totals) -> None:
        """Hold the parameters in arrays until they are next used (engine's Held) where the
        whole batch ran one numpy program that reads exactly them, in order, and returns their
        gradients in that order: then the next call replays it on the arrays."""
        if self.holding is None or totals.vector is None or len(totals.parts) != 1:
            return
        if not self.holding.may_take():
            return
        shape, variant = totals.vector
        params = self.params
        reads = variant.vector_externals == params and variant.vector_params == params
        if reads and all(type(p) is Value for p in params):  # (not a user's subclass of Value)
            self.holding.take(params, shape, variant)

    def _group(self, shape: Any, samples: _Samples, seed: float, t: _Totals) -> None:
        """Every sample of one shape: through the cached variants, tracing where none fits."""
        variants = self.cache.setdefault(shape, [])
        self.cache.move_to_end(shape)
        todo: Sequence[int] = range(samples.count)
        tried = 0
        while todo:
            if variants is None:
                for i in todo:
                    self._eager(shape, samples.rows[i], seed, t)
                return
            if tried < len(variants):
                todo = self._replay(variants[tried], todo, samples, shape, seed, t)
                tried += 1
                continue
            variant = self._trace(shape, samples.rows[todo[0]], seed, t)
            todo = todo[1:]
            if variant is None:
                variants = self.cache[shape] = None
            else:
                variants.append(variant)
        self.forget_old_shapes()

    def _replay(
        self,
        variant: _Variant,
        todo: Sequence[int],
        samples: _Samples,
        shape: Any,
        seed: float,
        t: _Totals,
    ) -> list[int]:
        """Replay `todo` (sample positions) through variant; the positions its guards refused."""
        # The slots, not the properties: a replay runs outside any trace (a step called
        # while f is traced runs eagerly), so no hook needs telling, and a step reads and
        # writes every parameter.
        if variant.vector is not None and samples.array is not None:
            try:
                refused = self._vectorized(variant, todo, samples.array, seed, t)
            except Exception as error:  # the Python loop decides, as eager code would
                self._say_loop(f"numpy met {type(error).__name__} ({error})")
            else:
                t.vector = (shape, variant)
                return refused
        externals = [v._data for v in variant.externals]
        rows = samples.rows
        try:
            loss, grads, failed = variant.loop([rows[i] for i in todo], externals, seed)
        except Exception:
            for i in todo:
                self._eager(shape, rows[i], seed, t)
            return []
        t.add(loss, variant.params, grads)
        return [todo[j] for j in failed]

    def _vectorized(
        self,
        variant: _Variant,
        todo: Sequence[int],
        array: Any,
        seed: float,
        t: _Totals,
    ) -> list[int]:
        """The numpy replay of `todo`: all at once, then again without the samples whose guards
        failed (which are returned). Raises on any floating-point error."""
        np = self.np
        assert np is not None and variant.vector is not None
        count = len(variant.vector_externals)
        externals = np.fromiter(map(_DATA, variant.vector_externals), float, count)
        refused: list[int] = []
        with np.errstate(divide="raise", over="raise", invalid="raise", under="ignore"):
            columns = array if len(todo) == array.shape[1] else array[:, todo]
            ok, loss, grads = variant.vector(columns, externals, seed, len(todo))
            if ok is not True and not ok.all():  # ok: True, or an array of booleans
                passed = np.broadcast_to(ok, (len(todo),))
                refused = [i for i, good in zip(todo, passed) if not good]
                todo = [i for i, good in zip(todo, passed) if good]
                if not todo:
                    return refused
                ok, loss, grads = variant.vector(array[:, todo], externals, seed, len(todo))
        t.add(loss, variant.vector_params, grads.tolist())
        return refused

    def _eager(self, shape: Any, row: tuple[float, ...], seed: float, t: _Totals) -> None:
        root = check_root(self.f(*unflatten(shape, row)))
        grads = backprop(root, seed)
        t.add_eager(root.data, self.params, grads)

    def _trace(
        self, shape: Any, row: tuple[float, ...], seed: float, t: _Totals
    ) -> _Variant | None:
        """Trace one sample (its eager result goes into t), and compile its variant."""
        sample = unflatten(shape, row)
        record, root, grads = self.trace_checked(sample, sample, seed)
        t.add_eager(root.data, self.params, grads)
        if record is None:
            return None
        variant = _compile(record, row, seed, root.data, grads, self.np)
        if variant is None:
            self.warn(DISAGREED)
        else:
            self.source = variant.source
            if variant.why_loop:
                self._say_loop(variant.why_loop)
        return variant

    def _say_loop(self, reason: str) -> None:
        """Never fall back from numpy silently: say so once per step, with the reason."""
        if not self._said_loop:
            self._said_loop = True
            warnings.warn(
                f"compile_grad: this batched step runs the generated Python loop, not numpy: "
                f"{reason}",
                RuntimeWarning,
                stacklevel=5,
            )


class _Totals:
    """The batch's sum of losses, and the gradients of its parts, to be added into .grad."""

    def __init__(self) -> None:
        self.loss = 0.0
        self.parts: list[tuple[Sequence[Value], Sequence[float]]] = []
        self.vector: tuple[Any, _Variant] | None = None  # (shape, variant) of a numpy part

    def add(self, loss: float, params: Sequence[Value], grads: Sequence[float]) -> None:
        self.loss += loss
        self.parts.append((params, grads))

    def add_eager(self, loss: float, params: list[Value], grads: dict[Value, float]) -> None:
        """An eager sample's loss and gradients (for the parameters its graph reaches)."""
        reached = [p for p in params if p in grads]
        self.add(loss, reached, [grads[p] for p in reached])

    def write(self) -> None:
        """Add the gradients into the parameters' .grad (the slot: no trace runs here, see
        _replay). A batch replayed in one part is added as it came, else summed first."""
        if len(self.parts) == 1:
            pairs: Any = zip(*self.parts[0])
        else:
            totals: dict[Value, float] = {}
            for params, grads in self.parts:
                for p, g in zip(params, grads):
                    totals[p] = totals.get(p, 0.0) + g
            pairs = totals.items()
        for p, g in pairs:
            p._grad += g


class _Holding:
    """A batched step's parameters' data and grads in two arrays, from one call to the next
    (engine's Held): the step's numpy program reads the data array as its Ea and adds into
    the grads; an optimizer updates both in place (autograd.held_arrays). Used in any other
    way, a parameter releases them: release() writes the numbers back into every Value.

    Taking and releasing cost more than one step's work per parameter. A loop that uses a
    parameter between every two calls (to draw it, or to check it is finite) would pay both
    every call: so a hold let go before the step's next call makes the step wait that many
    calls more before it holds again (1, 2, 4, ... up to 64), and one that lasted, none."""

    def __init__(self, np: ModuleType) -> None:
        self.np = np
        self.held: type[Held] = held_class(self)
        self.values: list[Value] = []  # none while nothing is held
        self.data: Any = None
        self.grads: Any = None
        self.shape: Any = None  # the shape of a sample, and its program, that reads them
        self.variant: _Variant
        self.wait = 0  # calls to let pass before taking them again
        self.patience = 1  # what wait becomes at the next release

    def lasted(self) -> None:
        """The hold lasted until the step's next call."""
        self.patience = 1

    def may_take(self) -> bool:
        if self.wait:
            self.wait -= 1
            return False
        return True

    def take(self, values: list[Value], shape: Any, variant: _Variant) -> None:
        self.data = self.np.fromiter(map(_DATA, values), float, len(values))
        self.grads = self.np.fromiter(map(_GRAD, values), float, len(values))
        self.shape, self.variant = shape, variant
        self.values = values
        hold(values, self.held)

    def arrays(self) -> tuple[Any, Any]:
        return self.data, self.grads

    def zero_grads(self) -> None:
        self.grads.fill(0.0)

    def release(self) -> None:
        self.wait, self.patience = self.patience, min(2 * self.patience, 64)
        values, self.values = self.values, []
        unhold(values)
        for v, data, grad in zip(values, self.data.tolist(), self.grads.tolist()):
            v._data = data
            v._grad = grad


class _Samples:
    """The samples of one shape, as one tuple of numbers per sample (for tracing, the loop and
    eager code) and, with numpy, as an array with a row per number of a sample (for the numpy
    programs); each made from the other when first asked for."""

    def __init__(self, np: ModuleType | None, rows: Any = None, array: Any = None) -> None:
        self.np = np
        self._rows: list[tuple[float, ...]] | None = rows
        self._array = array
        self.count: int = len(rows) if rows is not None else array.shape[1]

    @property
    def rows(self) -> list[tuple[float, ...]]:
        if self._rows is None:
            self._rows = [tuple(row) for row in self._array.T.tolist()]
        return self._rows

    @property
    def array(self) -> Any:
        """The array (None without numpy)."""
        if self._array is None and self.np is not None:
            self._array = self.np.array(self._rows, dtype=float).T
        return self._array


def _samples(columns: tuple[Any, ...], np: ModuleType | None) -> tuple[int, dict[Any, _Samples]]:
    """(n, {shape of a sample: its samples})."""
    if not columns:
        raise TypeError("a batched step takes one or more columns of data, one item per sample")
    sizes = set()
    for i, column in enumerate(columns):
        # NOTE: a dict or a set has a length too, but no order of samples: zip() would read
        # a dict's keys, a set in hash order.
        if isinstance(column, (str, bytes)) or not (
            hasattr(column, "tolist") or isinstance(column, Sequence)
        ):
            raise TypeError(
                f"compile_grad: a batched step's columns are sequences (lists, tuples or numpy "
                f"arrays) with one item per sample; column {i} is a {type(column).__name__}"
            )
        sizes.add(len(column))
    if len(sizes) != 1:
        raise ValueError(f"a batched step's columns differ in length: {sorted(sizes)}")
    (n,) = sizes
    if n == 0:
        raise ValueError("a batched step needs at least one sample")
    fast = [f for f in (_regular(column, np) for column in columns) if f is not None]
    if len(fast) == len(columns):
        shape = tuple(f[0] for f in fast)
        if np is not None:  # each column converted in one call
            return n, {shape: _Samples(np, array=np.concatenate([f[1] for f in fast]))}
        slots = [slot for f in fast for slot in f[1]]
        return n, {shape: _Samples(np, rows=list(zip(*slots)))}
    groups: dict[Any, list[tuple[float, ...]]] = {}
    for sample in zip(*columns):
        shape, flat = flatten(sample)
        groups.setdefault(shape, []).append(tuple(flat))
    return n, {shape: _Samples(np, rows=rows) for shape, rows in groups.items()}


def _regular(column: Any, np: ModuleType | None) -> tuple[Any, Any] | None:
    """A column of plain numbers, or of equal-length lists of them, as (the shape of one item,
    its numbers with one row per number of an item: a numpy array, or lists without numpy);
    None for anything else (read sample by sample)."""
    if np is not None and isinstance(column, np.ndarray) and column.dtype.kind in "fi":
        if column.ndim == 1:  # numbers, as they are (float or int, never bool: kind "b")
            return None, column.astype(float, copy=False)[None, :]
        if column.ndim == 2 and column.shape[1]:  # equal-length lists of numbers
            return (False, (None,) * column.shape[1]), column.astype(float, copy=False).T
    if hasattr(column, "tolist") and hasattr(column, "shape"):
        column = column.tolist()  # a numpy array of anything else
    if not isinstance(column, (list, tuple)) or not column:
        return None
    first = column[0]
    if type(first) in (float, int):
        if not set(map(type, column)) <= {float, int}:
            return None
        if np is not None:
            return None, np.array(column, dtype=float)[None, :]
        return None, [[float(x) for x in column]]
    if type(first) not in (list, tuple) or set(map(type, column)) != {type(first)}:
        return None
    if len(set(map(len, column))) != 1 or not first:
        return None
    flat = list(itertools.chain.from_iterable(column))
    if not set(map(type, flat)) <= {float, int}:
        return None
    k = len(first)
    shape = (type(first) is tuple, (None,) * k)
    if np is not None:
        return shape, np.array(flat, dtype=float).reshape(len(column), k).T
    return shape, [[float(x) for x in flat[j::k]] for j in range(k)]


# ----- the generated programs ---------------------------------------------------------------------


def _compile(
    record: Trace,
    row: tuple[float, ...],
    seed: float,
    loss: float,
    grads: dict[Value, float],
    np: ModuleType | None,
) -> _Variant | None:
    """The variant of one sample's trace, checked on that sample against eager."""
    for symbolic in (True, False):
        fail = ("failed.append(i)", "continue")
        program = build(record, "seed", Namer(), symbolic=symbolic, on_fail=fail)
        params = [p for p, _ in program.grads]
        expected = [loss, *(grads[p] for p in params)]
        loop, source = _loop(program)
        externals = [v.data for v in program.externals]
        try:
            total, got, failed = loop([row], externals, seed)
        except Exception:
            continue
        if failed or not all(_equal(a, b) for a, b in zip([total, *got], expected)):
            continue
        variant = _Variant(loop, program.externals, params, source)
        if np is not None:
            namer = Namer(lambda fn: numpy_function(fn, np))
            arrays = build(record, "seed", namer, symbolic=symbolic, vector=True)
            vector = vector_function(arrays, np)
            reads = [v.data for v in arrays.externals]
            if set(vector_params(arrays)) != set(params):
                variant.why_loop = "the numpy program's parameters are not the loop's"
            elif not agrees(vector, vector_params(arrays), row, reads, seed, loss, grads, np):
                variant.why_loop = "the numpy program disagreed with eager on the traced sample"
            else:
                variant.vector = vector
                variant.vector_externals = arrays.externals
                variant.vector_params = vector_params(arrays)
        return variant
    return None


def _equal(a: float, b: float) -> bool:
    """Equal, counting nan as equal to nan (the loop's sums start at 0.0, so -0.0 is 0.0)."""
    return a == b or (a != a and b != b)


def _loop(program: Program) -> tuple[Callable[..., Any], str]:
    """The program as the body of a Python loop over the samples' rows."""
    n = len(program.grads)
    lines = ["def replay(rows, E, seed):"]
    lines += unpack([f"e{k}" for k in range(len(program.externals))], "E")
    lines.append("    total = 0.0")
    lines += [f"    G{j} = 0.0" for j in range(n)]
    lines.append("    failed = []")
    lines.append("    for i, row in enumerate(rows):")
    lines += unpack([f"d{j}" for j in range(program.n_data)], "row", indent="        ")
    lines += [f"        {line}" for line in program.lines]
    lines.append(f"        total += {program.loss}")
    lines += [f"        G{j} += {g}" for j, (_, g) in enumerate(program.grads)]
    grads = "".join(f"G{j}, " for j in range(n))
    lines.append(f"    return total, ({grads}), failed")
    source = "\n".join(lines) + "\n"
    return compile_function(source, program.namer.namespace, "<batched step>"), source
