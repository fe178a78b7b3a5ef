"""compile_grad: a training step traced once, then replayed as generated straight-line Python.

Imports autograd.engine, the compiler's modules and the standard library only. The compiler:
tracing (run f, record), symbolic and templates (ops on symbolic values), codegen and codetext
(the code), step (what a compiled and a batched step share: the cache, the warning), batched,
numpy_replay, matmul and sums (batched steps).

The first call of a step runs f eagerly on its data as Value leaves, recording the graph
(tracing). From that graph and the ops' own forward and rule functions
(symbolic), codegen writes one Python function: a statement per node
forward, the guards, a statement per gradient term backward, summed in the engine's order.
Later calls with data of the same shape call that function: no Value is made, no graph walked.
Each new trace is replayed once on its own data and must give eager's loss and gradients bit
for bit, or the step is generated again with every op called on floats.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograd.compiling.batched import BatchedStep
from autograd.compiling.codegen import Program, build
from autograd.compiling.codetext import Namer, compile_function, unpack
from autograd.compiling.step import DISAGREED, Params, Step, check_root, same
from autograd.compiling.tracing import Trace, backprop, flatten, tracing, unflatten
from autograd.engine import Value

_VARIANTS = 4  # and this many per shape (one per way the guards came out)
_RETRACES = 20  # after this many traces a step warns that its guards keep failing
_LARGE = 20_000  # nodes from which a first call says that generating their code takes a while


def compile_grad(
    f: Callable[..., Value],
    params: Params,
    *,
    batch: str | None = None,
    numpy: bool | None = None,
) -> CompiledStep | BatchedStep:
    """A compiled training step: step(*data) returns f(*data)'s value as a float and adds
    d(loss)/d(p) into each p.grad, the same numbers bit for bit as f(*data).backward().

    batch="mean" or "sum": f is a per-sample loss; step(*columns) runs f on each sample
    (columns[0][i], columns[1][i], ...), replaying one sample's trace over the whole batch, and
    returns the mean (or sum) of the losses, adding the gradient of that into each p.grad (to
    about 1e-15 of eager: sums are added in another order). numpy=None replays with numpy
    arrays where numpy is installed, numpy=False with a generated Python loop.
    """
    if not callable(f):
        raise TypeError(f"compile_grad: f must be callable, got {type(f).__name__}")
    if batch is None:
        if numpy is not None:
            raise ValueError("compile_grad: numpy= is for batched steps (batch='mean' or 'sum')")
        return CompiledStep(f, params)
    if batch not in ("mean", "sum"):
        raise ValueError(f"compile_grad: batch must be None, 'mean' or 'sum', got {batch!r}")
    return BatchedStep(f, params, batch, numpy)


@dataclass
class _Replay:
    """One trace's generated function and what it reads and writes."""

    function: Callable[..., Any]
    externals: list[Value]
    params: list[Value]
    source: str


class CompiledStep(Step):
    """step(*data) -> float: f's loss, with d(loss)/d(p) added into each p.grad.

    `traces` counts how often f has been traced; `source` is the code of the latest trace.
    The cache maps a shape of data to its replays (one per way the guards came out).
    """

    def __repr__(self) -> str:
        return f"CompiledStep({self.name()}, {len(self.params)} params, {self.traces} traces)"

    def __call__(self, *data: Any) -> float:
        self.refresh_params()
        if tracing():  # called by an f being traced: run eagerly, so that its trace sees it all
            return self._eager(data)
        shape, flat = flatten(data)
        if shape in self.cache:
            self.cache.move_to_end(shape)
            replays = self.cache[shape]
            if replays is None:
                return self._eager(data)
            for i, replay in enumerate(replays):
                result = _run(replay, flat)
                if result is not None:
                    if i:
                        replays.insert(0, replays.pop(i))
                    loss, grads = result
                    for p, g in zip(replay.params, grads):
                        p._grad += g  # the slot: a replay runs outside any trace
                    return loss
        return self._trace(shape, data, flat)

    def _eager(self, data: tuple[Any, ...]) -> float:
        root = check_root(self.f(*data))
        self._add(backprop(root, 1.0))
        return root.data

    def _add(self, grads: dict[Value, float]) -> None:
        for p in self.params:
            if p in grads:
                p.grad += grads[p]

    def _trace(self, shape: Any, data: tuple[Any, ...], flat: list[float]) -> float:
        record, root, grads = self.trace_checked(unflatten(shape, flat), data, 1.0)
        if record is None:
            self.cache[shape] = None
        else:
            if len(record.nodes) > _LARGE:
                _warn_large(len(record.nodes))
            replay = _compile(record, flat, root.data, grads)
            if replay is None:
                self.cache[shape] = None
                self.warn(DISAGREED)
            else:
                self.source = replay.source
                replays = self.cache.setdefault(shape, [])  # (an eager shape never comes here)
                replays.insert(0, replay)
                del replays[_VARIANTS:]
        self.forget_old_shapes()
        if self.traces == _RETRACES:
            self.warn(
                f"compile_grad: f has been traced {self.traces} times: its guards keep failing "
                f"(a comparison that comes out differently from call to call?), and each trace "
                f"runs at eager speed plus the cost of generating code"
            )
        self._add(grads)
        return root.data


def _warn_large(nodes: int) -> None:
    """Say, before the wait, that generating and compiling code for a large graph takes time."""
    # NOTE: measured here (Python 3.11, a shared 2-core machine): 0.9 to 1.1 s per 10,000 nodes
    # of the demo's network at load 1 to 2 (1.2 to 1.9 s before sums lost their products'
    # brackets, at load 4 to 8), more than half of it Python's own compile() of the code.
    low, high = max(1, round(nodes / 10_000)), max(2, round(nodes / 5_000))
    warnings.warn(
        f"compile_grad: the first call traced {nodes:,} nodes; generating and compiling code "
        f"for every one of them takes one to two seconds per 10,000 nodes, so about {low} to "
        f"{high} s (later calls replay it fast). If f sums a per-sample loss over a batch, "
        f"compile_grad(loss_of_one_sample, params, batch='mean') traces one sample once and "
        f"replays it over every sample: its first call takes milliseconds.",
        stacklevel=4,
    )


def _run(replay: _Replay, flat: list[float]) -> tuple[float, tuple[float, ...]] | None:
    """The replay's (loss, grads), or None where a guard failed or an op raised (eager code
    decides then, by tracing again)."""
    try:
        result: tuple[float, tuple[float, ...]] | None
        # The slots: a replay runs outside any trace (a step called while f is traced runs
        # eagerly), so no hook needs telling.
        result = replay.function(flat, [v._data for v in replay.externals])
    except Exception:
        return None
    return result


def _compile(
    record: Trace, flat: list[float], loss: float, grads: dict[Value, float]
) -> _Replay | None:
    """The replay of record, checked on its own data against eager's loss and grads. If the
    symbolic program disagrees, the program that calls every op on floats; else None."""
    for symbolic in (True, False):
        try:
            replay = _python_replay(build(record, "1.0", Namer(), symbolic=symbolic))
        except RecursionError:
            # NOTE: a last resort: long sums are already split into statements (codegen), but
            # code Python's compiler cannot take must never fail a step that eager can run.
            return None
        result = _run(replay, flat)
        expected = [grads[p] for p in replay.params]
        if result is not None and same([result[0], *result[1]], [loss, *expected]):
            return replay
    return None


def _python_replay(program: Program) -> _Replay:
    lines = [
        "def replay(D, E):",
        *unpack([f"d{j}" for j in range(program.n_data)], "D"),
        *unpack([f"e{k}" for k in range(len(program.externals))], "E"),
    ]
    lines += [f"    {line}" for line in program.lines]
    grads = "".join(f"{g}, " for _, g in program.grads)
    lines.append(f"    return {program.loss}, ({grads})")
    source = "\n".join(lines) + "\n"
    function = compile_function(source, program.namer.namespace, "<compiled step>")
    return _Replay(function, program.externals, [p for p, _ in program.grads], source)
