"""Playground: a network training in the kernel while its page, in the notebook, draws it.

Imports nn.playground.training, and nn.playground.widget (anywidget) inside Playground() only.

The page and the kernel talk through messages, each answered at once; the kernel never loops:

    page -> kernel                          kernel -> page
    {"type": "hello"}                       state: everything the page draws
    {"type": "step", "viewer": v}           frame: one step's weights and loss (for viewer v)
    {"type": "add", "x", "y", "label", ...} points: the points and labels, the click acknowledged
    {"type": "reset"}                       state
    {"type": "configure", "settings": {}}   state (with a message if a setting was refused)

Every message the kernel sends carries the generation number of its weights. A reset, new data
or a new architecture start a new generation, and the page drops frames of an older one, so it
never draws weights that no longer exist. Messages from one page are handled in the order sent:
a click made while playing is handled between two steps, and never lost.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from autograd import Value
from nn.layers import MLP
from nn.playground.training import (
    DATASETS,
    HIDDEN_ACTIVATIONS,
    OPTIMIZERS,
    Settings,
    Training,
)

INSTALL_HELP = "pip install 'chainrule[live]' (in a clone of chainrule: pip install -e '.[live]')"
Message = dict[str, Any]


class Playground:
    """Watch a network learn: a one-output MLP trained on 2-D points, shown as a Jupyter widget.

    In a notebook, the cell's result is the widget: play/pause, one step, reset; the decision
    regions and the loss curve follow the training; a click adds a point of class 0, a
    shift-click one of class 1; the data, noise, hidden sizes, activation, optimizer and
    learning rate can be changed on the page. train(steps) trains without a page.

    The model is trained on the mean of loss(score, label) over the points (by default binary
    cross-entropy from logits), one full-batch step at a time. `model`, if given, must be an MLP
    with 2 inputs and 1 output; reset() starts it again from the weights it came with.
    """

    def __init__(
        self,
        model: MLP | None = None,
        data: str = "moons",
        *,
        points: int = 100,
        hidden: Sequence[int] = (16, 16),
        activation: str = "relu",
        optimizer: str = "adam",
        lr: float = 0.05,
        loss: Callable[[Value, Value], Value] | None = None,
        seed: int = 0,
        noise: float = 0.1,
    ) -> None:
        try:
            from nn.playground.widget import PlaygroundWidget
        except ImportError as error:
            raise ImportError(
                f"nn.Playground needs the `live` extra ({error}): {INSTALL_HELP}",
                name=error.name,
            ) from error
        settings = Settings(data, noise, points, tuple(hidden), activation, optimizer, lr)
        self._training = Training(settings, model, loss, seed)
        self.message = ""
        self._level = ""
        self.widget = PlaygroundWidget()
        self.widget.on_msg(self._on_page_message)

    # ----- reading the state -------------------------------------------------------------------

    @property
    def model(self) -> MLP:
        """The network being trained (a new one after a change of architecture)."""
        return self._training.model

    @property
    def points(self) -> list[list[float]]:
        """The training points, [x, y] each: the dataset's, then those added by clicks."""
        return [list(p) for p in self._training.points]

    @property
    def labels(self) -> list[int]:
        """The class, 0 or 1, of each point."""
        return list(self._training.labels)

    @property
    def losses(self) -> list[float]:
        """The loss each step of this generation started from, in order."""
        return list(self._training.losses)

    @property
    def step(self) -> int:
        """How many steps the current weights have taken since their start."""
        return self._training.step

    @property
    def generation(self) -> int:
        """Changes whenever the weights start afresh (reset, new data, new architecture)."""
        return self._training.generation

    @property
    def settings(self) -> dict[str, Any]:
        """The data, noise, points, hidden sizes, activation, optimizer and learning rate."""
        s = self._training.settings
        return {name: getattr(s, name) for name in Settings.__dataclass_fields__}

    def __repr__(self) -> str:
        s = self._training.settings
        return (
            f"Playground({s.data}, {len(self._training.points)} points, "
            f"MLP(2, {[*s.hidden, 1]}, {s.activation!r}), {s.optimizer} lr={s.lr}, "
            f"step {self.step})"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """The widget, with this object's repr as the text a viewer without widgets shows."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        assert bundle is not None  # a widget with a view always has one
        data, metadata = bundle
        data["text/plain"] = repr(self)
        return data, metadata

    # ----- acting from Python ------------------------------------------------------------------

    def train(self, steps: int) -> list[float]:
        """Take `steps` training steps; return the loss each one started from.

        A step whose loss is nan or infinite is not taken: training stops there, the page says
        so, and a RuntimeWarning names the step (reset() or new settings start again).
        """
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"train: steps must be a whole number >= 0, got {steps!r}")
        losses = []
        for _ in range(steps):
            loss = self._training.train_step()
            if loss is None:
                break
            losses.append(loss)
        self._note_divergence()
        if self._training.diverged:
            warnings.warn(self._training.diverged, RuntimeWarning, stacklevel=2)
        self._send(self._state())
        return losses

    def reset(self) -> None:
        """Start again: the initial weights, step 0, no losses (the points stay)."""
        self._training.restart()
        self._say("")
        self._send(self._state())

    def configure(self, **settings: Any) -> None:
        """Change settings by name (data, noise, points, hidden, activation, optimizer, lr).

        A bad value raises ValueError, shows the message on the page, and changes nothing.
        """
        try:
            self._training.configure(**settings)
        except ValueError as error:
            self._say(str(error), "error")
            self._send(self._state())
            raise
        self._say("")
        self._send(self._state())

    # ----- the messages ------------------------------------------------------------------------

    def _on_page_message(self, widget: Any, content: Any, buffers: Any) -> None:
        for reply in self._receive(content):
            self._send(reply)

    def _send(self, message: Message) -> None:
        self.widget.send(message)

    def _receive(self, message: Any) -> list[Message]:
        """The kernel's replies to one message from the page."""
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "hello":
            return [self._state()]
        if kind == "step":
            self._training.train_step()
            self._note_divergence()
            return [self._frame(message.get("viewer"))]
        if kind == "add":
            return [self._add(message)]
        if kind == "reset":
            self._training.restart()
            self._say("")
            return [self._state()]
        if kind == "configure":
            try:
                self._training.configure(**read_page_settings(message.get("settings")))
            except ValueError as error:
                self._say(str(error), "error")  # nothing changed: the page shows the old values
            else:
                self._say("")
            return [self._state()]
        self._say(f"the page sent a message the kernel does not know: {message!r}", "error")
        return [self._state()]

    def _add(self, message: Message) -> Message:
        try:
            self._training.add_point(message.get("x"), message.get("y"), message.get("label"))
        except ValueError as error:
            self._say(str(error), "error")
        else:
            if self._level == "error":
                self._say("")
        return {
            "type": "points",
            "gen": self._training.generation,
            "points": self._training.points,
            "labels": self._training.labels,
            "viewer": message.get("viewer"),
            "click": message.get("id"),
            "message": self.message,
            "level": self._level,
        }

    def _say(self, message: str, level: str = "") -> None:
        self.message = message
        self._level = level

    def _note_divergence(self) -> None:
        if self._training.diverged:
            self._say(self._training.diverged, "diverged")

    def _frame(self, viewer: object) -> Message:
        # NOTE: JSON has no nan or infinity, and the page could not read a message with one: a
        # step whose loss or new weights are not finite is not taken (Training.train_step).
        t = self._training
        return {
            "type": "frame",
            "gen": t.generation,
            "viewer": viewer,
            "step": t.step,
            # The loss of the step just taken; None if none was (the run has diverged).
            "loss": t.losses[-1] if t.losses and not t.diverged else None,
            "weights": t.weights(),
            "message": self.message,
            "level": self._level,
        }

    def _state(self) -> Message:
        t = self._training
        return {
            "type": "state",
            "gen": t.generation,
            "settings": self.settings | {"hidden": list(t.settings.hidden)},
            "choices": {
                "data": list(DATASETS),
                "activation": list(HIDDEN_ACTIVATIONS),
                "optimizer": list(OPTIMIZERS),
            },
            "points": t.points,
            "labels": t.labels,
            "view": t.view(),
            "weights": t.weights(),
            "losses": t.losses,
            "step": t.step,
            "message": self.message,
            "level": self._level,
        }


def read_page_settings(settings: object) -> dict[str, Any]:
    """The page's settings, sent as typed, as Python values: numbers and hidden sizes parsed.

    ValueError for text that is not what its setting takes ("abc" as a learning rate).
    """
    if not isinstance(settings, dict):
        raise ValueError(f"the page's settings must be a dict, got {settings!r}")
    out: dict[str, Any] = {}
    for name, text in settings.items():
        if name in ("noise", "lr"):
            out[name] = _parse_float(text, "learning rate" if name == "lr" else name)
        elif name == "hidden":
            out[name] = _parse_sizes(text)
        elif name == "points":
            out[name] = _parse_int(text, "points")
        else:
            out[name] = text
    return out


def _parse_float(text: object, what: str) -> float:
    try:
        return float(str(text))
    except ValueError:
        raise ValueError(f"{what} must be a number, got {text!r}") from None


def _parse_int(text: object, what: str) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        raise ValueError(f"{what} must be a whole number, got {text!r}") from None


def _parse_sizes(text: object) -> tuple[int, ...]:
    """'16, 16' as (16, 16); '' as () (no hidden layer)."""
    parts = [part.strip() for part in str(text).replace(";", ",").split(",")]
    if parts == [""]:
        return ()
    try:
        return tuple(int(part) for part in parts)
    except ValueError:
        raise ValueError(
            f"hidden sizes are whole numbers separated by commas, such as 16, 16; got {text!r}"
        ) from None
