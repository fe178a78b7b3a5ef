"""check_by_hand: gradients a person derived (the delta rules, a homework) against backprop.

Imports engine and the report's table only.

    E.backward() tells you the answers; check_by_hand tells you which of *your* answers is wrong,
    and which one went wrong first:

    check_by_hand(E, {"in_o": -delta_o, "in1": -delta_1, w: -a1 * delta_o})
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from autograd.checking.report import GradcheckError, number, table, wrong_type
from autograd.engine import Value, as_float, grad, topological_order


@dataclass(frozen=True)
class WrongClaim:
    """One claimed d(output)/d(node) that backprop does not confirm: a row of the report.

    `step` is the node's place in the backward pass (0 is the output itself): a node's
    gradient is computed from the nodes with smaller steps, so a wrong claim can be a
    consequence of an earlier one.
    """

    node: Value
    name: str
    step: int
    claimed: float
    true: float
    abs_error: float
    rel_error: float


def check_by_hand(
    output: Value,
    claimed: Mapping[Value | str, float],
    atol: float = 1e-8,
    rtol: float = 1e-6,
) -> bool:
    """True when every claimed d(output)/d(node) matches backprop's.

    `claimed` maps nodes of output's graph, as Values or by their labels, to numbers. A claim
    passes when |claimed - true| <= atol + rtol * |true|; where the true gradient is inf, -inf
    or nan (sqrt at 0), only that same value passes. Otherwise raises GradcheckError: the
    first wrong node in backward order from `output`, with its claimed and its true value, then
    every later wrong claim, as a table (`.mismatches` holds the WrongClaim rows). A label or a
    Value not in the graph raises KeyError; a label that names several nodes, ValueError.
    """
    if not isinstance(output, Value):
        raise wrong_type("check_by_hand: output", "must be a Value", output)
    if not isinstance(claimed, Mapping):
        rule = "must be a dict from nodes or labels to numbers"
        raise wrong_type("check_by_hand: claimed", rule, claimed)
    if not claimed:
        raise ValueError("check_by_hand: claimed is empty: nothing to check")
    for name, tolerance in (("atol", atol), ("rtol", rtol)):
        if not as_float(tolerance, f"check_by_hand: {name}") >= 0:
            raise ValueError(f"check_by_hand: {name} must be >= 0, got {tolerance!r}")
    # The backward pass visits the nodes in reverse topological order, output first.
    backward_order = list(reversed(topological_order(output)))
    step = {node: k for k, node in enumerate(backward_order)}
    claims = _claims(claimed, step)
    true = dict(zip(claims, [g.data for g in grad(output, list(claims))]))
    wrong = []
    for node, (key, value) in claims.items():
        error = abs(value - true[node])
        if not _agrees(value, true[node], atol, rtol):
            relative = error / abs(true[node]) if true[node] else math.inf
            name = key if isinstance(key, str) else _name(node)
            wrong.append(WrongClaim(node, name, step[node], value, true[node], error, relative))
    if not wrong:
        return True
    wrong.sort(key=lambda claim: claim.step)
    raise GradcheckError(_report(wrong, len(claims), output, atol, rtol), wrong)


def _agrees(claimed: float, true: float, atol: float, rtol: float) -> bool:
    """|claimed - true| <= atol + rtol * |true| for finite numbers. An infinite or NaN true
    gradient (sqrt'(0) = inf) is matched only by the same value: no tolerance reaches it, and
    inf's tolerance rtol * inf would otherwise accept every finite claim."""
    if not (math.isfinite(claimed) and math.isfinite(true)):
        return claimed == true or (math.isnan(claimed) and math.isnan(true))
    return abs(claimed - true) <= atol + rtol * abs(true)


def _claims(
    claimed: Mapping[Value | str, object], step: dict[Value, int]
) -> dict[Value, tuple[Value | str, float]]:
    """Each claim keyed by its node, with the key it was given and its number."""
    by_label: dict[str, list[Value]] = {}
    for node in step:
        by_label.setdefault(node.label, []).append(node)
    claims: dict[Value, tuple[Value | str, float]] = {}
    for key, value in claimed.items():
        if isinstance(key, Value):
            if key not in step:
                raise KeyError(f"check_by_hand: {key!r} is not in the graph of output")
            node = key
        elif isinstance(key, str):
            nodes = by_label.get(key, []) if key else []
            if not nodes:
                labels = sorted(label for label in by_label if label)
                raise KeyError(
                    f"check_by_hand: no node labelled {key!r} in the graph of output "
                    f"(its labels: {', '.join(labels) or 'none'})"
                )
            if len(nodes) > 1:
                raise ValueError(
                    f"check_by_hand: the label {key!r} names {len(nodes)} nodes of the graph; "
                    f"key the claim by the Value instead"
                )
            node = nodes[0]
        else:
            raise wrong_type("check_by_hand: claimed's keys", "must be Values or labels", key)
        if node in claims:
            raise ValueError(f"check_by_hand: {key!r} and {claims[node][0]!r} name the same node")
        claims[node] = (key, as_float(value, f"check_by_hand: the claim for {key!r}"))
    return claims


def _name(node: Value) -> str:
    if node.label:
        return node.label
    return f"({node._op or 'leaf'}, data {node.data:.6g})"


def _report(wrong: list[WrongClaim], n_claims: int, output: Value, atol: float, rtol: float) -> str:
    first = wrong[0]
    cells = [
        [
            str(c.step),
            c.name,
            number(c.claimed),
            number(c.true),
            number(c.abs_error),
            number(c.rel_error),
        ]
        for c in wrong
    ]
    header = ["step", "node", "claimed", "backprop", "abs error", "rel error"]
    return "\n".join(
        [
            f"check_by_hand: {len(wrong)} of {n_claims} claims are wrong "
            f"(atol={atol!r}, rtol={rtol!r}).",
            f"The first in backward order from {_name(output)}: {first.name}, claimed "
            f"{first.claimed!r}, backprop says {first.true!r}.",
            table(header, cells),
            f"step: the node's place in the backward pass from {_name(output)} (0 is the output "
            "itself). A node's gradient",
            "is made from those of earlier steps, so a later wrong claim may follow from an "
            "earlier one.",
        ]
    )
