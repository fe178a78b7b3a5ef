"""From a trace to straight-line code: the forward pass, the guards, then the backward pass.

Imports autograd.engine, autograd.primitives, the compiler's modules and the standard library.
`build` writes one statement per node, in the order f made the nodes (so each guard comes
where f compared), then walks the engine's backward order (`topological_order`, reversed) and
writes each node's rule from its symbolic template. A node's terms are summed exactly as
`backward_pass` sums them, the first term, then `+ term` in the order the terms arrive, written
as one chain `t1 + t2 + ... + tk` (Python adds left to right) once the node's gradient is
complete. Only gradients that reach a parameter are written. The same program renders as
Python floats (vector=False) or numpy arrays over samples (vector=True).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from typing import Any

from autograd.compiling.codetext import Namer, bare, literal, render
from autograd.compiling.matmul import Layers
from autograd.compiling.sums import Sums
from autograd.compiling.symbolic import AND, NOT, Sym, call, const, may_raise, var
from autograd.compiling.templates import GRAD, OUT, forward_template, parent, rule_template
from autograd.compiling.tracing import Trace
from autograd.engine import Value, topological_order
from autograd.primitives import Primitive

_NAME = re.compile(r"\b[vg]\d+\b")  # the names `let` gives
# Terms per statement of a long sum: Python's compiler recurses once per `+` of a chain, and a
# weight read by thousands of samples has a term from each.
_CHAIN = 200
_NOT_BRACKET = re.compile(r"[^()]+")
_STEP = {"(": 1, ")": -1}


@dataclass
class Program:
    """Code replaying one trace. Inputs: d0.. (the flat data) and e0.. (the .data of Values
    made outside f, read at each replay); `lines`; the loss and one gradient per parameter
    f's graph reaches, as expressions."""

    n_data: int
    namer: Namer
    externals: list[Value] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    loss: str = "0.0"
    grads: list[tuple[Value, str]] = field(default_factory=list)
    # numpy programs: weights' gradients written back as whole matrices (matmul's blocks)
    blocks: list[tuple[str, list[Value]]] = field(default_factory=list)


def build(
    trace: Trace,
    seed: str,
    namer: Namer,
    *,
    symbolic: bool = True,
    vector: bool = False,
    on_fail: tuple[str, ...] = ("return None",),
) -> Program:
    """The program of `trace`, its backward pass seeded with the expression `seed`.

    symbolic=False calls every forward and rule on floats (the safe mode). `on_fail` is what a
    failed guard runs (vector programs collect the guards in `ok` instead).
    """
    return _Builder(trace, namer, symbolic, vector, on_fail).program(seed)


class _Builder:
    def __init__(
        self, trace: Trace, namer: Namer, symbolic: bool, vector: bool, on_fail: tuple[str, ...]
    ) -> None:
        self.trace = trace
        self.out = Program(len(trace.data), namer)
        self.symbolic = symbolic
        self.vector = vector
        self.on_fail = on_fail
        self.names: dict[Value, str] = {leaf: f"d{j}" for j, leaf in enumerate(trace.data)}
        self.simple: set[str] = set(self.names.values())  # names and literals: free to repeat
        self.count = 0
        self._forwards: dict[tuple[Primitive, int], tuple[str, bool]] = {}
        self.lets: dict[str, tuple[int, bool]] = {}  # name -> (its line, can it raise)
        self._rules: dict[tuple[Primitive, int], list[tuple[str, bool]] | None] = {}
        # Each node's gradient terms as they arrive: (text, can it raise, already summed over
        # the samples: only a numpy layer's weight gradients are).
        self.terms: dict[Value, list[tuple[str, bool, bool]]] = {}
        self.external_index: dict[Value, int] = {}  # a Value made outside f -> k of its e{k}
        self.layers = (
            Layers(trace.nodes, trace.data, trace.stopped, self.fusable) if vector else None
        )
        guarded = [v for _, _, *sides, _ in trace.guards for v in sides if isinstance(v, Value)]
        self.sums = Sums(trace.nodes, trace.stopped, guarded, trace.root) if vector else None

    def fusable(self, op: Primitive) -> bool:
        """Can op (with one parent) run on whole matrices, forward and backward?"""
        return self.symbolic and self.rule_formats(op, 1) is not None

    def program(self, seed: str) -> Program:
        guards: dict[int, list[Any]] = {}
        for guard in self.trace.guards:
            guards.setdefault(guard[0], []).append(guard)
        for k in range(len(self.trace.nodes) + 1):
            if k:
                self.forward(k, self.trace.nodes[k - 1])
            for _, op, left, right, outcome in guards.get(k, []):
                self.guard(left, op, right, outcome)
        self.out.loss = self.value(self.trace.root)
        self.backward(seed)
        self.inline()
        return self.out

    def value(self, v: Value) -> str:
        """The name (or literal) of v's value in the code."""
        if v not in self.names:  # made outside f: read from .data at the start of each replay
            name = f"e{len(self.out.externals)}"
            self.external_index[v] = len(self.out.externals)
            self.out.externals.append(v)
            self.names[v] = name
            self.simple.add(name)
        return self.names[v]

    def forward(self, k: int, node: Value) -> None:
        if node in self.trace.stopped:
            op, sources = self.trace.stopped[node]
            if op is None:  # detach(): the same value, no gradient
                self.names[node] = self.value(sources[0])
                return
        elif node._primitive is not None:
            op, sources = node._primitive, node._parents
        elif node not in self.names:
            self.names[node] = text = self.literal(node.data)  # a constant f made
            self.simple.add(text)
            return
        else:
            return  # a data leaf
        if self.layers is not None and self.layers.forward(self, k, node):
            return
        if self.sums is not None and self.sums.forward(self, k, node):
            return
        template, risky = self.forward_format(op, len(sources))
        expr = template.format(*map(self.value, sources))
        self.names[node] = self.let(f"v{k}", expr, risky)

    def let(self, name: str, expr: str, risky: bool = False) -> str:
        """A statement `name = expr`, unless expr is a name or literal already. (`inline` may
        write expr where name is used instead, if that is once and expr cannot raise.)"""
        if expr in self.simple:
            return expr
        self.lets[name] = (len(self.out.lines), risky)
        self.emit(f"{name} = {expr}")
        self.simple.add(name)
        return name

    def inline(self) -> None:
        """Write each value used once, that cannot raise, where it is used: fewer stores and
        loads, and a gradient under relu's `0.0 if x <= 0 else ...` is only summed when used.
        The values are the same; only when they are computed moves (never to where an error
        could be skipped: risky values keep their statement)."""
        lines = self.out.lines
        outputs = [self.out.loss, *(g for _, g in self.out.grads)]
        user: dict[str, int] = {}  # name -> the line using it (-1 - i: output i)
        uses: dict[str, int] = {}
        for i, text in enumerate(lines + outputs):
            left, _, right = text.partition(" = ")
            expr = right if i < len(lines) and left in self.lets else text
            for name in _NAME.findall(expr):
                uses[name] = uses.get(name, 0) + 1
                user[name] = i if i < len(lines) else len(lines) - 1 - i
        for name, (i, risky) in self.lets.items():
            if not risky and name not in uses:  # read nowhere (a matrix's unused row, say)
                lines[i] = ""
                continue
            if risky or uses.get(name) != 1:
                continue
            expr = lines[i].partition(" = ")[2]
            j = user[name]
            target = lines[j] if j >= 0 else outputs[-1 - j]
            if len(expr) > 800 or _depth(target) + _depth(expr) > 40:
                continue
            bracketed = expr if " " not in expr or _bracketed(expr) else f"({expr})"
            new = _replace_first(target, name, bracketed)
            if j >= 0:
                lines[j] = new
            else:
                outputs[-1 - j] = new
            lines[i] = ""
        self.out.lines = [line for line in lines if line]
        self.out.loss = outputs[0]
        self.out.grads = [(p, g) for (p, _), g in zip(self.out.grads, outputs[1:])]

    def emit(self, line: str) -> None:
        self.out.lines.append(line)

    def send(self, p: Value, text: str, risky: bool = False, summed: bool = False) -> None:
        """A gradient term for p (added in the order terms are sent)."""
        self.terms.setdefault(p, []).append((text, risky, summed))

    def guard(self, left: Value, op: str, right: Value | float, outcome: bool) -> None:
        a = var(self.value(left))
        b = var(self.value(right)) if isinstance(right, Value) else None
        if op == "is":  # a read: the same float again (nan as nan, a zero with its sign)
            assert isinstance(right, float)
            if right != right:
                test = Sym("!=", (a, a))
            elif right == 0:
                sign = Sym(
                    "==", (call(math.copysign, const(1.0), a), const(math.copysign(1, right)))
                )
                test = Sym(AND, (Sym("==", (a, const(0.0))), sign))
            else:
                test = Sym("==", (a, const(right)))
        else:
            test = Sym(op, (a, b if b is not None else const(right)))
        text = self.render(test if outcome else Sym(NOT, (test,)))
        if self.vector:
            self.emit(f"ok = logical_and(ok, {text})")
        else:
            self.emit(f"if not {text}:")
            for line in self.on_fail:
                self.emit(f"    {line}")

    # ----- backward -------------------------------------------------------------------------

    def backward(self, seed: str) -> None:
        root = self.trace.root
        order = topological_order(root)
        params = set(self.trace.params)
        needed: dict[Value, bool] = {}  # does a gradient from this node reach a parameter?
        for node in order:
            needed[node] = node in params or any(needed[p] for p in node._parents)
        if not needed[root]:
            return
        self.send(root, seed)
        if self.layers is not None:
            self.layers.start_backward(order, needed, root)
        # Nodes a layer (as it goes) or a chain of sums wrote the backward pass of.
        handled = self.layers.handled if self.layers is not None else set()
        inner = self.sums.inner if self.sums is not None else set()
        for node in reversed(order):
            op = node._primitive
            if op is None or not needed[node] or node in handled or node in inner:
                continue
            parents = node._parents
            live = [i for i, p in enumerate(parents) if needed[p]]
            rule = self.rule_formats(op, len(parents))
            g = self.gradient(self.terms.pop(node))
            if self.layers is not None and self.layers.backward(self, node, g):
                continue
            if self.sums is not None and self.sums.backward(self, node, g, needed):
                continue
            args = [g, self.value(node), *(self.value(p) for p in parents)]
            if rule is not None:
                for i in live:
                    text, risky = rule[i]
                    self.send(parents[i], text.format(*args), risky)
                continue
            names = [self.fresh("t") if i in live else "_" for i in range(len(parents))]
            fn = self.out.namer.bind(op.rule, "R")
            if self.vector:
                self.emit(f"{', '.join(names)}, = _each({fn}, n, {', '.join(args)})")
            else:
                self.emit(f"{', '.join(names)}, = {fn}({', '.join(args)})")
            for i in live:
                self.send(parents[i], names[i])
        for p in dict.fromkeys(self.trace.params):
            if p in self.terms:
                self.out.grads.append((p, self.total(self.terms[p])))
        if self.layers is not None and self.sums is not None:
            self.out.blocks = self.layers.blocks + self.sums.blocks

    def total(self, terms: list[tuple[str, bool, bool]]) -> str:
        """A parameter's gradient: its terms' sum (in a numpy program, summed over the samples
        too, as a float)."""
        if not self.vector:
            texts = [text for text, _, _ in terms]
            return " + ".join(texts) if len(texts) <= _CHAIN else self.chain(texts)
        per_sample = [text for text, _, summed in terms if not summed]
        parts = [f"_total({' + '.join(per_sample)}, n)"] if per_sample else []
        parts += [text for text, _, summed in terms if summed]
        return f"float({' + '.join(parts)})"

    def gradient(self, terms: list[tuple[str, bool, bool]]) -> str:
        """The sum of a node's terms (a name, unless it is one name or literal)."""
        if len(terms) == 1 and terms[0][0] in self.simple:
            return terms[0][0]
        risky = any(r for _, r, _ in terms)
        texts = [text for text, _, _ in terms]
        if len(texts) > _CHAIN:
            return self.chain(texts)
        return self.let(self.fresh("g"), " + ".join(texts), risky)

    def chain(self, texts: list[str]) -> str:
        """texts summed left to right, _CHAIN terms a statement: `g = t1 + ... + t200`, then
        `g = g + t201 + ...`, the same additions in the same order as one long chain."""
        name = self.fresh("g")
        self.emit(f"{name} = {' + '.join(texts[:_CHAIN])}")
        for i in range(_CHAIN, len(texts), _CHAIN):
            self.emit(f"{name} = {name} + {' + '.join(texts[i : i + _CHAIN])}")
        self.simple.add(name)
        return name

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    # ----- templates as format strings: {0}.. the parents (forward); {0} g, {1} out, {2}.. the
    # ----- parents (rule)

    def forward_format(self, op: Primitive, arity: int) -> tuple[str, bool]:
        """op's forward as a format string ({0}.. the parents), and whether it can raise."""
        if (op, arity) not in self._forwards:
            template = forward_template(op, arity) if self.symbolic else None
            if template is None:
                template = call(op.forward, *(var(parent(i)) for i in range(arity)))
            fields = {parent(i): f"{{{i}}}" for i in range(arity)}
            text = bare(template, self.render(template, fields))  # only ever right of `=`
            self._forwards[op, arity] = (text, may_raise(template))
        return self._forwards[op, arity]

    def rule_formats(self, op: Primitive, arity: int) -> list[tuple[str, bool]] | None:
        """Per parent: its term's format string and whether it can raise."""
        if (op, arity) not in self._rules:
            terms = rule_template(op, arity) if self.symbolic else None
            fields = {GRAD: "{0}", OUT: "{1}", **{parent(i): f"{{{i + 2}}}" for i in range(arity)}}
            self._rules[op, arity] = None
            if terms is not None:
                # A term is only ever summed, or right of `=` (inline brackets it again).
                self._rules[op, arity] = [
                    (bare(t, self.render(t, fields)), may_raise(t)) for t in terms
                ]
        return self._rules[op, arity]

    def render(self, expr: Sym, fields: dict[str, str] | None = None) -> str:
        return render(expr, self.out.namer, self.vector, fields or {})

    def literal(self, x: Any) -> str:
        return literal(x, self.out.namer)


def _replace_first(text: str, name: str, expr: str) -> str:
    """text with its first use of the name `name` (a name `let` gave) replaced by expr. One
    pattern for all names: a pattern made per name is compiled anew each time (thousands)."""
    for match in _NAME.finditer(text):
        if match.group() == name:
            return text[: match.start()] + expr + text[match.end() :]
    raise AssertionError(f"{name} is not used in {text!r}")


def _bracket_depths(text: str) -> list[int]:
    """The nesting depth after each bracket of text, in order (other characters skipped).
    Counted by re, map and accumulate: these run on every inlined line, thousands of them."""
    return list(itertools.accumulate(map(_STEP.__getitem__, _NOT_BRACKET.sub("", text))))


def _bracketed(text: str) -> bool:
    """Is text one bracketed expression, (...), as a whole?"""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depths = _bracket_depths(text)
    return depths.index(0) == len(depths) - 1  # the first bracket closes at the last


def _depth(text: str) -> int:
    """How deeply text's brackets nest."""
    return max(_bracket_depths(text), default=0)
