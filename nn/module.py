"""Module: the base of every network piece. Parameters, zeroing, and saving to JSON.

Imports autograd's public API and the standard library only. No pickle: a state dict is a
plain dict of floats and lists of floats, and saving writes it as JSON.

Parameter names are dotted paths, as in PyTorch: a Neuron has "w" (a list of floats, one per
input) and "b" (a float); a Layer prefixes its neurons' names with "neurons.<i>."; an MLP
prefixes its layers' names with "layers.<l>.". So the bias of the third neuron of an MLP's first
layer is "layers.0.neurons.2.b".
"""

from __future__ import annotations

import json
import math
import os

from autograd import Value, as_float

# One entry of a state dict: a scalar parameter, or a list of them (a neuron's weights).
Param = Value | list[Value]


class Module:
    """The base class: a module owns Values and lists them in a fixed order."""

    def named_parameters(self) -> dict[str, Param]:
        """Parameter names mapped to a Value or a list of Values, in the module's documented
        order. The one place a module lists its parameters: a subclass writes only this."""
        return {}

    def parameters(self) -> list[Value]:
        """Every trainable Value, in named_parameters() order (a list entry's Values in turn)."""
        params: list[Value] = []
        for param in self.named_parameters().values():
            if isinstance(param, Value):
                params.append(param)
            else:
                params.extend(param)
        return params

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.0; backward() adds into .grad, so call this first."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float | list[float]]:
        """The parameters' current data as plain floats, ready for json.dumps."""
        state: dict[str, float | list[float]] = {}
        for name, param in self.named_parameters().items():
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
        params = self.named_parameters()
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

        A missing file raises FileNotFoundError; a file that is not valid JSON, ValueError; in
        every error case the parameters are left exactly as they were.
        """
        with open(path, encoding="utf-8") as f:
            try:
                state = json.load(f)
            except ValueError as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
                raise ValueError(f"load: {os.fspath(path)!r} is not valid JSON: {e}") from e
        self.load_state_dict(state)


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
