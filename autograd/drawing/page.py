"""StepperPage: the stepper's self-contained HTML page, and the steps it shows.

The page's markup, style and script are package files (assets/stepper.html, .css and
.js), read with importlib.resources and put together here with string.Template: the markup
names its slots ($page_id, $svg, ...); the script is a function of the page's <div>, which the
markup calls, so the script itself needs no substitution. The page opens on a still PNG of its
first step, which the script replaces by the live page: a notebook that runs no scripts (an
untrusted one, or a viewer) still shows the graph. Imports only render (a PNG's size).
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import html
import itertools
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from autograd.drawing.render import shown_size


@dataclass(frozen=True)
class Change:
    """One text of the picture that a step changes: node `node`'s data or grad field."""

    node: str  # the node's DOT name, e.g. "v3"
    field: str  # "data" or "grad"
    text: str  # what it shows from this step on, e.g. "grad 0.4256"
    look: str  # its CSS class: cr-value, cr-unknown, cr-partial or cr-final


@dataclass(frozen=True)
class PageStep:
    """One step of the page: the sentence under the controls, the nodes drawn as the current
    one (`focus`) and as the ones it sends to (`targets`), and the texts it changes."""

    text: str
    focus: tuple[str, ...]
    targets: tuple[str, ...]
    changes: tuple[Change, ...]


@functools.cache
def _asset(name: str) -> str:
    """The text of one of the page's package files."""
    return (resources.files("autograd.drawing") / "assets" / name).read_text(encoding="utf-8")


_page_numbers = itertools.count()


class StepperPage:
    """An HTML page that steps through the forward and backward pass of a graph.

    Shows inline in Jupyter (`_repr_html_`); save(path) writes a standalone .html file that
    needs no network and no other file. `still` is a PNG of the first step (at NOTEBOOK_DPI),
    shown until the page's script runs, and where it never does; None where no PNG can be
    drawn (in the browser, whose notebooks run the script).
    """

    def __init__(
        self,
        svg: str,
        steps: list[PageStep],
        colors: dict[str, str],
        still: bytes | None,
        autoplay: bool = False,
    ) -> None:
        self.steps = steps
        self.fragment = _fragment(svg, steps, colors, still, autoplay)

    def __repr__(self) -> str:
        # A notebook saves this beside the HTML: no memory address, so a rerun saves the same.
        return f"<draw_steps page of {len(self.steps)} steps>"

    def _repr_html_(self) -> str:
        return self.fragment

    def html(self) -> str:
        """The whole standalone page."""
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            "<title>chainrule: stepping through backprop</title>\n</head>\n<body>\n"
            f"{self.fragment}\n</body>\n</html>\n"
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the standalone page to `path`. Returns the path."""
        path = Path(path)
        path.write_text(self.html(), encoding="utf-8")
        return path


def _fragment(
    svg: str, steps: list[PageStep], colors: dict[str, str], still: bytes | None, autoplay: bool
) -> str:
    """The page's body: the still picture, the live page's markup (controls and the SVG), the
    steps as JSON and the script, in one <div>."""
    # "<" escaped, so no label can close the <script> element early.
    data = json.dumps([dataclasses.asdict(step) for step in steps]).replace("<", "\\u003c")
    # An id made from the content and a count, not at random: a notebook that is run again
    # saves the same page, and two pages in one notebook still get ids of their own.
    digest = hashlib.sha1((svg + data).encode("utf-8")).hexdigest()[:10]
    page_id = f"cr-stepper-{digest}-{next(_page_numbers)}"
    picture = ""
    if still is not None:
        width, height = shown_size(still)
        picture = (
            f'<img src="data:image/png;base64,{base64.b64encode(still).decode("ascii")}" '
            f'width="{width}" height="{height}" style="max-width: 100%; height: auto" '
            f'alt="the graph at step 1 of {len(steps)}">'
        )
    return Template(_asset("stepper.html")).substitute(
        page_id=page_id,
        autoplay="true" if autoplay else "false",
        colors=html.escape("; ".join(f"--cr-{k}: {v}" for k, v in colors.items()), quote=True),
        style=_asset("stepper.css"),
        still=picture,
        count=len(steps),
        last=len(steps) - 1,
        first_text=html.escape(steps[0].text),
        svg=svg[svg.index("<svg") :],
        steps=data,
        script=_asset("stepper.js").strip(),
    )
