"""The report of a failed gradient check: GradcheckError, its rows, and the table they print as.

Imports the standard library only. gradcheck (gradcheck) and check_by_hand
(by_hand) both raise GradcheckError; `.mismatches` holds the rows of the table as
data, so a test can assert on them. Both say what they refuse in one style (wrong_type).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# The most rows a message shows; .mismatches always holds all of them.
MAX_ROWS = 20


def wrong_type(what: str, rule: str, got: object) -> TypeError:
    """The TypeError for an argument the checks cannot take: what it is, the rule it breaks
    and what it got, "gradcheck: inputs must be a list of numbers or Values, got str: 'x'"."""
    return TypeError(f"{what} {rule}, got {type(got).__name__}: {got!r}")


class GradcheckError(RuntimeError):
    """Backprop disagrees with finite differences, or with a claimed gradient.

    The message is a table, worst (or first) row first; `.mismatches` lists the same rows.
    """

    def __init__(self, message: str, mismatches: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.mismatches = list(mismatches)


@dataclass(frozen=True)
class Mismatch:
    """One derivative where backprop and finite differences disagree: a row of gradcheck's table.

    `inputs` is (i,) for d y / d x_i and (i, j) for the second derivative d/dx_j (d y / d x_i).
    `left` and
    `right` are the one-sided slopes, given where they decided the row: at a kink (`kink` is
    True) the check passes anywhere between them, and `abs_error` is how far outside that
    interval backprop's value lies; elsewhere it is |analytic - numeric|. `rel_error` divides it
    by the size of the numeric slope, and `tolerance` is the error that would have passed.
    """

    output: int
    inputs: tuple[int, ...]
    order: int
    analytic: float
    numeric: float
    left: float | None
    right: float | None
    abs_error: float
    rel_error: float
    tolerance: float
    kink: bool

    def badness(self) -> tuple[float, float]:
        """How many tolerances the error is (NaN counts as the worst), then its size."""
        if math.isnan(self.abs_error):
            return (math.inf, math.inf)
        if self.tolerance > 0:
            return (self.abs_error / self.tolerance, self.abs_error)
        return (math.inf, self.abs_error)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns right-aligned under their headers, two spaces apart."""
    widths = [max(len(line[c]) for line in [header, *rows]) for c in range(len(header))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(line, widths)) for line in [header, *rows]]
    return "\n".join(line.rstrip() for line in lines)


def number(x: float | None) -> str:
    """A table cell: 7 significant digits, blank for a number that does not apply."""
    return "" if x is None else f"{x:.7g}"


def mismatch_report(
    rows: list[Mismatch], checked: int, labels: Sequence[str], settings: str, notes: list[str]
) -> str:
    """gradcheck's message: a count, the table (sorted worst first, in place), a legend."""
    rows.sort(key=Mismatch.badness, reverse=True)
    shown = rows[:MAX_ROWS]
    cells = [
        [
            str(m.output),
            _input_cell(m, labels),
            number(m.analytic),
            number(m.numeric),
            number(m.left),
            number(m.right),
            number(m.abs_error),
            number(m.rel_error),
            "kink" if m.kink else "no",
        ]
        for m in shown
    ]
    header = ["output", "input", "analytic", "numeric", "left", "right", "abs error", "rel error"]
    lines = [
        f"gradcheck: {len(rows)} of {checked} derivatives "
        f"{'disagrees' if len(rows) == 1 else 'disagree'} with finite differences, worst first",
        f"({settings}):",
        table([*header, "kink"], cells),
        *(
            [f"... and {len(rows) - len(shown)} more, all in .mismatches"]
            if rows[MAX_ROWS:]
            else []
        ),
        "analytic: backprop. numeric: the central difference. left, right: the one-sided slopes,",
        "shown at a kink, where any value between them passes and abs error is the distance",
        "outside them.",
    ]
    if any(m.order == 2 for m in rows):
        lines.append("input i, j: the second derivative d/d input j of (d output / d input i).")
    return "\n".join(lines + notes)


def _input_cell(m: Mismatch, labels: Sequence[str]) -> str:
    cell = ", ".join(str(i) for i in m.inputs)
    names = [labels[i] or "-" for i in m.inputs]
    return f"{cell} ({', '.join(names)})" if any(labels[i] for i in m.inputs) else cell
