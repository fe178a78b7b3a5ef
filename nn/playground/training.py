"""What the playground trains: its settings, checked; the data, the network and the compiled step.

Imports autograd's public API and nn only; no widget library, so training runs (and is tested)
without a page. The widget (nn.playground.widget) draws what this holds.

One step is full-batch gradient descent on the mean per-sample loss, through
compile_grad(..., batch="mean"): the step is traced once for one sample and replayed over every
point, so a point added by a click is one more item of the batch, never a new trace.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from autograd import Value, compile_grad
from nn.activations import ACTIVATIONS
from nn.data import Dataset, make_circles, make_moons, make_spiral, make_xor
from nn.layers import MLP
from nn.losses import binary_cross_entropy
from nn.optim import SGD, Adam

DATASETS: dict[str, Callable[[int, float, int], Dataset]] = {
    "moons": lambda n, noise, seed: make_moons(n, noise=noise, seed=seed),
    "circles": lambda n, noise, seed: make_circles(n, noise=noise, factor=0.5, seed=seed),
    "spiral": lambda n, noise, seed: make_spiral(n, n_classes=2, noise=noise, seed=seed),
    "xor": lambda n, noise, seed: make_xor(n, noise=noise, seed=seed),
}
OPTIMIZERS = ("adam", "sgd")
HIDDEN_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name != "linear")
# The page redraws the network's regions every frame, in the browser: these keep a frame short.
MAX_UNITS = 64
MAX_LAYERS = 4
MAX_POINTS = 1000
MAX_LR = 10.0

Loss = Callable[[Value, Value], Value]


def bce_from_logits(score: Value, label: Value) -> Value:
    """The default per-sample loss: binary cross-entropy of sigmoid(score) against a 0/1 label,
    softplus(s) - y s, written stably."""
    return binary_cross_entropy(score, label, from_logits=True)


@dataclass(frozen=True)
class Settings:
    """Everything a learner can change from the page; checked() is the only way to make one."""

    data: str
    noise: float
    points: int
    hidden: tuple[int, ...]
    activation: str
    optimizer: str
    lr: float

    def checked(self) -> Settings:
        """These settings, or ValueError naming the first bad one and its value."""
        if self.data not in DATASETS:
            raise ValueError(f"unknown dataset {self.data!r}; choose one of {tuple(DATASETS)}")
        noise = _number(self.noise, "noise")
        if not 0.0 <= noise <= 1.0:
            raise ValueError(f"noise must be between 0 and 1, got {noise!r}")
        points = self.points
        if isinstance(points, bool) or not isinstance(points, int) or not 2 <= points <= MAX_POINTS:
            raise ValueError(
                f"points must be a whole number from 2 to {MAX_POINTS}, got {points!r}"
            )
        hidden = _hidden(self.hidden)
        if self.activation not in HIDDEN_ACTIVATIONS:
            raise ValueError(
                f"unknown activation {self.activation!r}; choose one of {HIDDEN_ACTIVATIONS}"
            )
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose one of {OPTIMIZERS}")
        lr = _number(self.lr, "learning rate")
        if not 0.0 < lr <= MAX_LR:  # nan fails every comparison, so it is refused here too
            raise ValueError(f"learning rate must be above 0 and at most {MAX_LR}, got {lr!r}")
        return replace(self, noise=noise, hidden=hidden, lr=lr)


def _number(x: object, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError(f"{what} must be a number, got {x!r}")
    return float(x)


def _hidden(sizes: object) -> tuple[int, ...]:
    """Hidden layer sizes as a tuple of ints, each from 1 to MAX_UNITS, at most MAX_LAYERS."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise ValueError(f"hidden sizes must be a list of whole numbers, got {sizes!r}")
    if len(sizes) > MAX_LAYERS:
        raise ValueError(f"at most {MAX_LAYERS} hidden layers, got {len(sizes)}: {list(sizes)}")
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_UNITS:
            raise ValueError(
                f"hidden size {n!r} is not allowed: each layer has 1 to {MAX_UNITS} units"
            )
    return tuple(sizes)


class Training:
    """The state the playground trains: points and labels, a one-output MLP, its optimizer and
    compiled step, the losses so far, and a generation number that changes whenever the
    weights stop following from the previous ones (a reset, new data, a new architecture)."""

    def __init__(self, settings: Settings, model: MLP | None, loss: Loss | None, seed: int) -> None:
        if model is not None:
            if not isinstance(model, MLP) or model.nin != 2 or model.nouts[-1] != 1:
                raise ValueError(
                    f"the playground trains an MLP with 2 inputs and 1 output, got {model!r}"
                )
            settings = replace(
                settings, hidden=tuple(model.nouts[:-1]), activation=model.activation
            )
        self.settings = settings.checked()
        self.seed = seed
        self.loss = loss if loss is not None else bce_from_logits
        self.given_model = model
        # The given model's weights as they came, so that reset() starts it again from them.
        self.given_weights = [p.data for p in model.parameters()] if model is not None else []
        self.generation = 0
        self._draw_data()
        self._build_model()
        self.restart()

    # ----- what starts a new generation ----------------------------------------------------------

    def _draw_data(self) -> None:
        s = self.settings
        points, labels = DATASETS[s.data](s.points, s.noise, self.seed)
        self.points = [[float(a), float(b)] for a, b in points]
        self.labels = list(labels)

    def _build_model(self) -> None:
        """A network of the settings' architecture (the given model, if it is one), its initial
        weights, and its compiled step."""
        s = self.settings
        given = self.given_model
        if given is not None and (tuple(given.nouts[:-1]), given.activation) == (
            s.hidden,
            s.activation,
        ):
            self.model = given
            self.initial = self.given_weights
        else:
            self.model = MLP(2, [*s.hidden, 1], s.activation, seed=self.seed)
            self.initial = [p.data for p in self.model.parameters()]
        model, loss = self.model, self.loss

        def sample_loss(x: list[float], y: Value) -> Value:
            score = model(x)
            assert isinstance(score, Value)  # one output unit: a Value, not a list
            return loss(score, y)

        self.compiled = compile_grad(sample_loss, model.parameters(), batch="mean")

    def restart(self) -> None:
        """Initial weights, step 0, no losses, a fresh optimizer: a new generation."""
        for p, x in zip(self.model.parameters(), self.initial):
            p.data = x
        self.losses: list[float] = []
        self.step = 0
        self.diverged = ""
        self.new_optimizer()
        self.generation += 1

    def new_optimizer(self) -> None:
        s = self.settings
        params = self.model.parameters()
        self.optimizer = Adam(params, lr=s.lr) if s.optimizer == "adam" else SGD(params, lr=s.lr)

    def configure(self, **changes: object) -> None:
        """Change some settings; ValueError, with nothing changed, if any is bad.

        New data or a new architecture start a new generation; a new optimizer or learning rate
        goes on training the same weights (the optimizer's running averages start afresh).
        """
        unknown = sorted(set(changes) - set(Settings.__dataclass_fields__))
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r}")
        old = self.settings
        new = replace(old, **changes).checked()  # type: ignore[arg-type]
        self.settings = new
        new_data = (new.data, new.noise, new.points) != (old.data, old.noise, old.points)
        new_model = (new.hidden, new.activation) != (old.hidden, old.activation)
        if new_data:
            self._draw_data()  # the points clicked in are dropped with the old data
        if new_model:
            self._build_model()
        if new_data or new_model:
            self.restart()
        elif (new.optimizer, new.lr) != (old.optimizer, old.lr):
            self.new_optimizer()

    # ----- training ----------------------------------------------------------------------------

    def add_point(self, x: object, y: object, label: object) -> None:
        """One more point of class 0 or 1; ValueError if the point or the label is not one."""
        for name, v in (("x", x), ("y", y)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"a point's {name} must be a finite number, got {v!r}")
        if label not in (0, 1) or isinstance(label, bool):
            raise ValueError(f"a point's label must be 0 or 1, got {label!r}")
        if len(self.points) >= MAX_POINTS:
            raise ValueError(f"at most {MAX_POINTS} points: reset the data to add more")
        self.points.append([float(x), float(y)])  # type: ignore[arg-type]
        self.labels.append(int(label))

    def train_step(self) -> float | None:
        """One step: the mean loss over all points and its gradient, then the optimizer's update.

        Returns the loss the step started from, or None when the run has diverged: a loss that
        is nan or infinite (or an overflow computing it) leaves the weights as they were and
        sets `diverged` to a message saying so; only reset() or new settings clear it.
        """
        if self.diverged:
            return None
        self.optimizer.zero_grad()
        try:
            with warnings.catch_warnings():
                # NOTE: numpy warns on overflow and on inf - inf; a non-finite loss says more.
                warnings.simplefilter("ignore", RuntimeWarning)
                loss = self.compiled(self.points, self.labels)
        except (OverflowError, ValueError, ZeroDivisionError) as error:
            self.diverged = f"training diverged at step {self.step + 1} ({error}): paused"
            return None
        grads_finite = all(math.isfinite(p.grad) for p in self.optimizer.params)
        if not (math.isfinite(loss) and grads_finite):
            self.diverged = (
                f"training diverged at step {self.step + 1}: the loss is {loss}"
                f"{'' if grads_finite else ' and a gradient is not finite'}; paused. "
                f"Lower the learning rate and reset."
            )
            return None
        before = [p.data for p in self.optimizer.params]
        self.optimizer.step()
        if not all(math.isfinite(p.data) for p in self.optimizer.params):
            for p, x in zip(self.optimizer.params, before):
                p.data = x
            self.diverged = (
                f"training diverged at step {self.step + 1}: a weight overflowed; paused. "
                f"Lower the learning rate and reset."
            )
            return None
        self.losses.append(loss)
        self.step += 1
        return loss

    def weights(self) -> list[list[list[float]]]:
        """The network as plain floats, layer by layer and unit by unit: [w_1, ..., w_n, b]."""
        return [
            [[w.data for w in n.w] + [n.b.data] for n in layer.neurons]
            for layer in self.model.layers
        ]

    def view(self) -> list[float]:
        """The square [x0, x1, y0, y1] the page draws: the points with a margin of 0.5."""
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
        half = max(max(xs) - min(xs), max(ys) - min(ys)) / 2 + 0.5
        return [cx - half, cx + half, cy - half, cy + half]
