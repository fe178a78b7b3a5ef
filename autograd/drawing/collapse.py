"""Which nodes of a graph were made inside a module call: the groups that draw_dot collapses.

A Value does not know which neuron or layer made it, and the engine keeps no such record (it
would cost every op a field). What a drawing can see is enough: a group is named by its
parameters (an object with `.parameters()`, such as an nn Module, or a collection of Values),
and a node belongs to the group when
  - it is one of the group's parameters,
  - or it is computed directly from one of them (the first op on the weights: w * x, dot(w, x),
    + b),
  - or all its parents belong to the group and it is what a layer computes from them: a sum
    (of the products) or an activation (relu, tanh, sigmoid),
  - or it is a constant (an unlabelled leaf) used only inside the group.
A node that qualifies for two groups goes to the first one given. Inputs, and whatever combines
several groups or a group with outside values (a loss, its targets), stay outside, and so does
any other op on a group's output alone: a loss's own log or softplus of a network's output is
the loss's, not the last layer's. What is computed after the groups is drawn in full when it
is small (one sample's loss) and is one box of its own when it is big (a loss over a batch).
Imports only autograd.engine: never nn, which is why a group is found by duck typing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from autograd.engine import Value

# The ops that join a node to the group of its parents: what a layer does after its weights.
LAYER_OPS = frozenset({"+", "relu", "tanh", "sigmoid"})


# What follows the groups is drawn in full up to this many values (one sample's loss, to read),
# and as one box beyond (a loss over a batch: hundreds of values that would swamp the layers).
AFTER_MAX = 40


@dataclass(frozen=True)
class Groups:
    """The groups of one drawing: their names, and the group (an index) of each member."""

    names: tuple[str, ...]
    member: dict[Value, int]


def _named_groups(groups: object, caller: str) -> list[tuple[str, list[Value]]]:
    """(name, parameters) of each group in `groups`: a mapping from names to groups, one group,
    or a collection of groups. A group is an object with .parameters() or a collection of
    Values."""
    if isinstance(groups, Mapping):
        return [(str(name), _parameters(group, caller)) for name, group in groups.items()]
    if hasattr(groups, "parameters") or _all_values(groups):
        groups = [groups]
    if not isinstance(groups, Iterable):
        raise TypeError(_group_error(caller, groups))
    named = []
    for i, group in enumerate(groups, start=1):
        name = f"{type(group).__name__} {i}" if hasattr(group, "parameters") else f"group {i}"
        named.append((name, _parameters(group, caller)))
    return named


def _all_values(group: object) -> bool:
    """True for a non-empty list, tuple or set of Values only."""
    return (
        isinstance(group, list | tuple | set | frozenset)
        and bool(group)
        and all(isinstance(v, Value) for v in group)
    )


def _parameters(group: object, caller: str) -> list[Value]:
    """The Values that name `group`: its .parameters(), or the group itself."""
    values = group.parameters() if hasattr(group, "parameters") else group
    if not isinstance(values, Iterable):
        raise TypeError(_group_error(caller, group))
    values = list(values)
    if not all(isinstance(v, Value) for v in values):
        raise TypeError(_group_error(caller, group))
    return values


def _join(member: dict[Value, int], node: Value, others: list[Value] | tuple[Value, ...]) -> None:
    """Put `node` in the group of `others` when they all belong to one group."""
    owners = [member.get(other) for other in others]
    if owners and owners[0] is not None and all(owner == owners[0] for owner in owners):
        member[node] = owners[0]


def _after_groups(order: list[Value], member: dict[Value, int]) -> list[Value]:
    """The results computed from a group's nodes, or from these, that belong to no group."""
    rest: dict[Value, None] = {}
    for node in order:
        if node not in member and any(p in member or p in rest for p in node._parents):
            rest[node] = None
    return list(rest)


def _group_error(caller: str, group: object) -> str:
    return (
        f"{caller}: a group must be an object with .parameters() (a Module) or a collection of "
        f"Values, got {type(group).__name__}: {group!r:.80}"
    )


def assign_groups(order: list[Value], groups: object, caller: str, after: bool = False) -> Groups:
    """The group of each node of `order` (a topological order) by the rules above. With `after`,
    what is computed after the groups (a loss over a batch) becomes one group too when it holds
    more than AFTER_MAX values, named after the root's label (else "loss")."""
    named = _named_groups(groups, caller)
    member: dict[Value, int] = {}
    parameter: set[Value] = set()
    for i, (_, values) in enumerate(named):
        for v in values:
            member.setdefault(v, i)
            parameter.add(v)
    users: dict[Value, list[Value]] = {}
    for node in order:
        for p in node._parents:
            users.setdefault(p, []).append(node)
        if node in member or not node._parents:
            continue
        direct = [member[p] for p in node._parents if p in parameter]
        if direct:
            member[node] = direct[0]
        elif node._op in LAYER_OPS:
            _join(member, node, node._parents)
    if after and order:
        rest = _after_groups(order, member)
        if len(rest) > AFTER_MAX:
            named.append((order[-1].label or "loss", []))
            member.update(dict.fromkeys(rest, len(named) - 1))
    for node in order:
        if not node._parents and not node.label and node not in member:
            _join(member, node, users.get(node, []))
    in_graph = set(order)
    member = {node: i for node, i in member.items() if node in in_graph}
    return Groups(tuple(name for name, _ in named), member)
