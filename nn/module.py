"""Module: the base of every network piece. Parameters, zeroing, and saving to JSON.

Imports autograd's public API and the standard library only. No pickle: a state dict is a
plain dict of floats and lists of floats, and saving writes it as JSON.

A module names what it holds once, in `parameter_fields`: the attributes that hold its
parameters (a Value, or a list of Values) and its sub-modules (a Module, or a list of Modules),
in order. Everything else is derived from that one list. Names are dotted paths, as in PyTorch:
a Neuron has "w.0", "w.1", ... (its weights in input order) and "b"; a Layer prefixes its
neurons' names with "neurons.<i>."; an MLP its layers' names with "layers.<l>.". So the bias of
the third neuron of an MLP's first layer is "layers.0.neurons.2.b".
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator

from autograd import Value, as_float, zero_grads

# One entry of a state dict: a scalar parameter, or a list of them (a neuron's weights).
Param = Value | list[Value]


class Module:
    """The base class: a module owns Values and lists them in a fixed order.

    A subclass sets `parameter_fields` to the names of its attributes that hold parameters
    or sub-modules, in the order they are listed (Neuron: ("w", "b"); Layer: ("neurons",)).
    """

    parameter_fields: tuple[str, ...] = ()

    def _entries(self, prefix: str = "") -> Iterator[tuple[str, Param]]:
        """(name, Value or list of Values) for each parameter field, sub-modules' entries
        prefixed with their path: the rows of state_dict()."""
        for field in self.parameter_fields:
            member = getattr(self, field)
            if isinstance(member, Value):
                yield prefix + field, member
            elif isinstance(member, Module):
                yield from member._entries(f"{prefix}{field}.")
            elif not member or isinstance(member[0], Value):  # a list of Values
                yield prefix + field, list(member)
            else:
                for i, m in enumerate(member):
                    yield from m._entries(f"{prefix}{field}.{i}.")

    def _collect(self, params: list[Value], fields: list[tuple[Module, str]]) -> None:
        """Append the parameters to `params` (_entries() without the names) and every
        (module, field) read on the way to `fields`."""
        for field in self.parameter_fields:
            member = getattr(self, field)
            fields.append((self, field))
            if isinstance(member, Value):
                params.append(member)
            elif isinstance(member, Module):
                member._collect(params, fields)
            elif not member or isinstance(member[0], Value):
                params.extend(member)
            else:
                for m in member:
                    m._collect(params, fields)

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        """(name, Value) for every scalar parameter, as PyTorch's named_parameters(): in
        parameters() order, each Value once (a module used twice is listed under its first
        name only). A list's items are numbered: "layers.0.neurons.1.w.0"."""
        seen: set[Value] = set()
        for name, param in self._entries():
            items = [(name, param)] if isinstance(param, Value) else _numbered(name, param)
            for item_name, p in items:
                if p not in seen:
                    seen.add(p)
                    yield item_name, p

    # What parameters() found last: the (module, field) pairs it read, what each held (a list
    # as a copy of it), and the parameters.
    _found: tuple[list[tuple[Module, str]], list[object], list[Value]] | None = None

    def parameters(self) -> list[Value]:
        """Every trainable Value once, in a fixed order: layer by layer, neuron by neuron, a
        neuron's weights in input order, then its bias (named_parameters() without names)."""
        # A training loop asks every step: the list found last is reused while every field it
        # read holds what it held then (the same Value or module; a list with the same items).
        # A field set anew or a list changed in place (tied or replaced parameters) is seen here.
        found = self._found
        if found is None or [getattr(m, field) for m, field in found[0]] != found[1]:
            params: list[Value] = []
            fields: list[tuple[Module, str]] = []
            self._collect(params, fields)
            held = [_copied(getattr(m, field)) for m, field in fields]
            # NOTE: a Value held twice (tied layers) is listed once, so an optimizer updates it
            # once per step; dict.fromkeys keeps first-seen order.
            found = self._found = (fields, held, list(dict.fromkeys(params)))
        return list(found[2])

    def _label_parameters(self) -> None:
        """Give each parameter its name as its label, so pictures tell them apart. Neuron,
        Layer and MLP call it last in __init__: an outer module renames the Values its inner
        modules have just made and named."""
        for name, p in self.named_parameters():
            p.label = name

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.0; backward() adds into .grad, so call this first."""
        zero_grads(self.parameters())

    def state_dict(self) -> dict[str, float | list[float]]:
        """The parameters' current data as plain floats, ready for json.dumps."""
        state: dict[str, float | list[float]] = {}
        for name, param in self._entries():
            if isinstance(param, Value):
                state[name] = param.data
            else:
                state[name] = [p.data for p in param]
        return state

    def load_state_dict(self, state: object) -> None:
        """Copy the numbers in `state` into the parameters.

        Everything is checked before anything is assigned, so on any error (TypeError for a
        wrong type, ValueError for a missing or extra key, a wrong size or a non-finite number)
        the parameters are exactly as they were.
        """
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict: expected a dict, got {type(state).__name__}")
        params = dict(self._entries())
        missing = [name for name in params if name not in state]
        extra = [repr(name) for name in state if name not in params]
        if missing or extra:
            raise ValueError(
                f"load_state_dict: keys do not match {type(self).__name__}: "
                f"missing {missing}, unexpected [{', '.join(extra)}]"
            )
        updates: list[tuple[Value, float]] = []
        for name, param in params.items():
            entry = state[name]
            if isinstance(param, Value):
                updates.append((param, _checked_number(entry, name)))
                continue
            if not isinstance(entry, (list, tuple)):
                raise TypeError(
                    f"load_state_dict: {name!r} must be a list of {len(param)} numbers, "
                    f"got {type(entry).__name__}"
                )
            if len(entry) != len(param):
                raise ValueError(
                    f"load_state_dict: {name!r} has {len(entry)} numbers, expected {len(param)}"
                )
            for i, (p, x) in enumerate(zip(param, entry)):
                updates.append((p, _checked_number(x, f"{name}[{i}]")))
        for p, x in updates:
            p.data = x

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write state_dict() to `path` as JSON."""
        # NOTE: allow_nan=False: NaN and Infinity are not JSON, and load would refuse them, so
        # a diverged model raises here instead of writing a file that cannot be read back.
        text = json.dumps(self.state_dict(), indent=1, allow_nan=False)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text + "\n")

    def load(self, path: str | os.PathLike[str]) -> None:
        """Read a JSON file written by save() and load_state_dict() it.

        A missing file raises FileNotFoundError; a file that is not valid JSON (or is nested
        deeper than json can parse), ValueError; in every error case the parameters are left
        exactly as they were.
        """
        with open(path, encoding="utf-8") as f:
            try:
                state = json.load(f)
            except ValueError as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
                raise ValueError(f"load: {os.fspath(path)!r} is not valid JSON: {e}") from e
            except RecursionError:  # json's parser recurses once per [ or {
                raise ValueError(
                    f"load: {os.fspath(path)!r} is not valid JSON for a state dict: its lists "
                    f"or objects are nested too deep for Python's json parser"
                ) from None
        self.load_state_dict(state)


def _copied(member: object) -> object:
    """A list as a copy of itself (so that a change in place shows), anything else as it is."""
    return list(member) if isinstance(member, list) else member


def _numbered(name: str, values: list[Value]) -> list[tuple[str, Value]]:
    """A list parameter's items, named "<name>.<i>"."""
    return [(f"{name}.{i}", v) for i, v in enumerate(values)]


def _checked_number(x: object, name: str) -> float:
    """x as a float if it is a finite real number; TypeError or ValueError naming `name`."""
    try:
        value = as_float(x, f"load_state_dict: {name!r}")
    except OverflowError:  # an int beyond the largest float, e.g. 1e400 written out in digits
        raise ValueError(
            f"load_state_dict: {name!r} is too large for a float (beyond +-1.8e308)"
        ) from None
    if not math.isfinite(value):
        raise ValueError(f"load_state_dict: {name!r} must be finite, got {value!r}")
    return value
