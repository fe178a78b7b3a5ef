"""nn/plotting.py: the decision boundary drawn on a real matplotlib Figure, and bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from nn import MLP, make_moons
from nn.plotting import CLASS_COLOURS, plot_decision_boundary

ROOT = Path(__file__).resolve().parent.parent


def test_the_boundary_and_both_classes_are_drawn(tmp_path: Path) -> None:
    points, labels = make_moons(20, noise=0.1, seed=0)
    model = MLP(2, [1], activation="linear", seed=0)
    w1, w2, b = model.parameters()
    w1.data, w2.data, b.data = 0.0, 1.0, -0.25  # the boundary is the line x2 = 0.25
    figure = Figure()
    ax = figure.subplots()
    plot_decision_boundary(ax, model, points, labels, resolution=30)

    scatter = ax.collections[-2:]
    assert [len(c.get_offsets()) for c in scatter] == [labels.count(0), labels.count(1)]
    assert ax.get_legend_handles_labels()[1] == ["class 0", "class 1"]
    assert len(CLASS_COLOURS) == 2
    # The 0-level contour of x2 - 0.25 is a horizontal line at x2 = 0.25.
    boundary = ax.collections[-3]
    vertices = [v for path in boundary.get_paths() for v in path.vertices]
    assert vertices
    assert all(abs(y - 0.25) < 1e-9 for _, y in vertices)
    figure.savefig(tmp_path / "boundary.png")
    assert (tmp_path / "boundary.png").read_bytes().startswith(b"\x89PNG")
    # The legend stands beside the axes, so it hides nothing inside them (the boundary).
    renderer = FigureCanvasAgg(figure).get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    assert legend.x0 > ax.get_window_extent(renderer).x1


@pytest.mark.parametrize(
    ("points", "labels", "resolution", "message"),
    [
        ([[0.0, 0.0]], [0, 1], 10, "1 points and 2 labels"),
        ([], [], 10, "0 points"),
        ([[0.0, 0.0]], [0], 1, "resolution must be an int of 2 or more, got 1"),
    ],
)
def test_bad_input_is_refused(
    points: list[list[float]], labels: list[int], resolution: int, message: str
) -> None:
    ax = Figure().subplots()
    with pytest.raises(ValueError, match=message):
        plot_decision_boundary(ax, MLP(2, [1], seed=0), points, labels, resolution=resolution)


def test_importing_it_picks_no_matplotlib_backend(fresh_python: Callable[..., Any]) -> None:
    code = "import sys, nn.plotting; print('matplotlib.pyplot' in sys.modules)"
    result = fresh_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
