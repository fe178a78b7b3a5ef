"""Every committed picture fits a notebook's page, or says why not.

JupyterLab at a 1,280 px window, with its file browser open, leaves 833 CSS px for a cell's
output (autograd.drawing.layout.OUTPUT_AREA_PX). This measures, without a browser, the width at
which each committed picture is shown: the SVGs and PNGs in the notebooks' outputs (a PNG at
the width its metadata gives, else at its pixel width), the graphs in the stepper pages they
hold, and the graph the README shows.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from autograd.drawing.layout import OUTPUT_AREA_PX
from autograd.drawing.render import png_size

ROOT = Path(__file__).resolve().parent.parent

# Pictures that may be wider than the page, and why: (file, what) -> reason.
WIDER_AND_WHY: dict[tuple[str, str], str] = {}


def svg_width(svg: str) -> float:
    """The width of an SVG in CSS px (Graphviz writes pt, 72 to 96 px)."""
    found = re.search(r'<svg width="([\d.]+)(pt|px)?"', svg)
    assert found, svg[:200]
    return float(found.group(1)) * (96 / 72 if found.group(2) == "pt" else 1)


def shown_widths(path: Path) -> Iterator[tuple[str, float]]:
    """(what, its width as shown in CSS px) for each picture in a notebook's outputs."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/svg+xml" in data:
                yield f"cell {i} svg", svg_width(data["image/svg+xml"])
            if "image/png" in data:
                metadata = output.get("metadata", {}).get("image/png", {})
                width = metadata.get("width")
                if width is None:
                    width = png_size(base64.b64decode(data["image/png"]))[0]
                yield f"cell {i} png", float(width)
            html = data.get("text/html", "")
            for found in re.finditer(r"<svg width=\"[^\"]+\"", html):
                yield f"cell {i} page's graph", svg_width(found.group(0))
            for found in re.finditer(r'<img [^>]*width="(\d+)"', html):
                yield f"cell {i} page's still", float(found.group(1))


def committed_pictures() -> Iterator[tuple[str, str, float]]:
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for what, width in shown_widths(path):
            yield path.name, what, width
    for path in sorted((ROOT / "notebooks" / "images").glob("*.svg")):
        yield path.name, "svg", svg_width(path.read_text())


def test_the_notebooks_hold_pictures_to_measure() -> None:
    found = list(committed_pictures())
    assert len({name for name, _, _ in found}) >= 6
    assert any(what.endswith("page's graph") for _, what, _ in found)


@pytest.mark.parametrize(
    ("name", "what", "width"),
    list(committed_pictures()),
    ids=lambda value: str(value) if not isinstance(value, float) else "",
)
def test_each_picture_fits_the_page_or_says_why(name: str, what: str, width: float) -> None:
    if (name, what) in WIDER_AND_WHY:
        assert width > OUTPUT_AREA_PX, f"{name} {what} fits now: drop its reason"
        return
    assert width <= OUTPUT_AREA_PX, f"{name} {what} is {width:.0f} px wide"
