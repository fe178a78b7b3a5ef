"""How a graph looks: its direction, its theme (light, dark, and for slides transparent and
transparent-dark) and, for slides, a size and a resolution. Imports autograd.engine and layout
(the direction that fits the page).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from autograd.drawing.layout import PAGE_PX, SHRINK_MAX, fitting_rankdir
from autograd.engine import Value


@dataclass(frozen=True)
class Theme:
    """The colours of one look. `background` "transparent" lets a slide's own colour through."""

    background: str
    ink: str  # text, borders and edges
    box: str  # the fill of results of ops (and of op nodes)
    input_fill: str
    constant_fill: str
    constant_ink: str
    group_fill: str  # a collapsed module's box
    # The stepper's: not yet known, a gradient still being summed (amber), final (green), the
    # current node (red) and the nodes it reads or sends to (blue): one meaning per colour.
    muted: str
    partial: str
    final: str
    focus: str
    target: str
    # The slides' (save_frames): a record's fill while its gradient is being summed, and once
    # it is final.
    partial_fill: str
    final_fill: str


LIGHT = Theme(
    "white", "black", "white", "#dbeafe", "#f1f1f1", "#555555", "#ede9fe",
    "#9ca3af", "#b45309", "#15803d", "#dc2626", "#2563eb", "#fef3c7", "#dcfce7",
)  # fmt: skip
DARK = Theme(
    "#111827", "#e5e7eb", "#1f2937", "#1e3a8a", "#374151", "#d1d5db", "#4c1d95",
    "#6b7280", "#fbbf24", "#4ade80", "#f87171", "#60a5fa", "#78350f", "#14532d",
)  # fmt: skip

THEMES = {
    "light": LIGHT,
    "dark": DARK,
    # No background, for slides: the light theme's black ink and light boxes for a light slide
    # (or a mid-tone one), the dark theme's light ink and dark boxes for a dark slide.
    "transparent": replace(LIGHT, background="transparent"),
    "transparent-dark": replace(DARK, background="transparent"),
}


@dataclass(frozen=True)
class Look:
    """How a graph is drawn: the direction, the theme and, for slides, a size and a resolution."""

    rankdir: str
    theme: Theme
    size: tuple[float, float] | None = None  # inches: the drawing is scaled to fill it
    dpi: float | None = None  # pixels per inch of PNG output
    # A direction chosen to fit the page: at most this wide (CSS px), a drawing a little wider
    # is scaled down to fit.
    page_px: float | None = None
    # The estimated width (CSS px) of a drawing that does not fit the page even so.
    too_wide: float | None = None


def make_look(
    order: list[Value],
    rankdir: str | None,
    theme: str,
    size: tuple[float, float] | None,
    dpi: float | None,
    boxed: dict[Value, int] | None = None,
) -> Look:
    """The Look for draw_dot's arguments, refusing bad ones with a ValueError. `boxed` gives
    the nodes drawn as one box per group (draw_dot's collapse). With no `rankdir`, the direction
    is the one that fits the page (layout.fitting_rankdir)."""
    page_px = too_wide = None
    if rankdir is None:
        rankdir, width = fitting_rankdir(order, boxed or {})
        if width > PAGE_PX * SHRINK_MAX:
            too_wide = width
        elif size is None:
            page_px = PAGE_PX
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_dot: rankdir must be LR, RL, TB or BT, got {rankdir!r}")
    if theme not in THEMES:
        raise ValueError(f"draw_dot: theme must be one of {sorted(THEMES)}, got {theme!r}")
    if size is not None and (len(size) != 2 or not all(s > 0 for s in size)):
        raise ValueError(
            f"draw_dot: size must be (width, height) in inches, both > 0, got {size!r}"
        )
    if dpi is not None and not dpi > 0:
        raise ValueError(f"draw_dot: dpi must be a positive number, got {dpi!r}")
    return Look(rankdir, THEMES[theme], size, dpi, page_px, too_wide)


def graph_attrs(look: Look) -> dict[str, str]:
    """The Digraph's graph attributes for `look`."""
    attrs = {
        "rankdir": look.rankdir,
        "bgcolor": look.theme.background,
        "ranksep": "0.25",
        "nodesep": "0.2",
    }
    if look.size is not None:
        # "!" scales the drawing up as well as down, so that it fills the size.
        attrs["size"] = f"{look.size[0]:g},{look.size[1]:g}!"
    elif look.page_px is not None:
        # Without "!" only down: a drawing wider than the page shrinks to its width (inches,
        # 96 CSS px each), however tall it is.
        attrs["size"] = f"{look.page_px / 96:.4g},10000"
    return attrs
