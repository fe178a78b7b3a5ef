"""nn.playground: watch a network learn, live in Jupyter.

    from nn import Playground
    Playground()                      # in a notebook: play, pause, step, reset, click to add
    Playground().train(100)           # without a page: returns the 100 losses

training.py holds what is trained (no widget library); playground.py the Playground and the
messages it exchanges with its page; widget.py the anywidget widget (the `live` extra), imported
only when a Playground is made; playground.js and playground.css the page.
"""

from __future__ import annotations

from nn.playground.playground import Playground

__all__ = ["Playground"]
