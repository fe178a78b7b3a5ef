"""The anywidget widget that shows a Playground: its page is playground.js and playground.css.

Imports anywidget (the `live` extra) at the top: only nn.playground.playground imports this
module, inside Playground(), so that `import nn` needs no widget library. The two asset files
are package files, shipped in the wheel; the page fetches nothing.
"""

from __future__ import annotations

from importlib import resources

import anywidget

ASSETS = resources.files("nn.playground")


class PlaygroundWidget(anywidget.AnyWidget):
    """The page's side of a Playground; they talk through custom messages only."""

    _esm = (ASSETS / "playground.js").read_text(encoding="utf-8")
    _css = (ASSETS / "playground.css").read_text(encoding="utf-8")
