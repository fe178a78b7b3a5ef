"""Pictures of a trained classifier: the decision boundary of a one-output MLP.

Imports nn.evaluation and matplotlib (the `demo` extra, which the `notebooks` extra includes).
It draws on an Axes you give it and never picks a matplotlib backend, so it works inline in
Jupyter and in the headless demo alike.
"""

from __future__ import annotations

from collections.abc import Sequence

try:
    import numpy as np
    from matplotlib.axes import Axes
except ImportError as error:  # pragma: no cover - the demo extra is missing
    raise ImportError(
        f"nn.plotting needs matplotlib ({error}); install it with: pip install matplotlib",
        name=error.name,
    ) from error

from nn.evaluation import scores
from nn.layers import MLP

__all__ = ["CLASS_COLOURS", "plot_decision_boundary"]

# Points of class 0 and class 1, and the regions the network gives each class (lighter).
CLASS_COLOURS = ("#d95f02", "#1f5fa8")
REGION_COLOURS = ("#f4c7a1", "#a9c8e8")


def plot_decision_boundary(
    ax: Axes,
    model: MLP,
    points: Sequence[Sequence[float]],
    labels: Sequence[int],
    resolution: int = 100,
) -> None:
    """Draw on the matplotlib Axes `ax` the points, coloured by label, over the two regions
    the model gives class 0 (score < 0) and class 1, and the boundary score = 0 between them.

    The scores of the resolution x resolution grid come from nn.evaluation.scores, on plain
    floats: 10,000 points take a fraction of a second.
    """
    if len(points) != len(labels) or not points:
        raise ValueError(
            f"plot_decision_boundary: needs one label per point, got {len(points)} points "
            f"and {len(labels)} labels"
        )
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(
            f"plot_decision_boundary: resolution must be an int of 2 or more, got {resolution!r}"
        )
    x1s = [p[0] for p in points]
    x2s = [p[1] for p in points]
    grid1 = np.linspace(min(x1s) - 0.5, max(x1s) + 0.5, resolution)
    grid2 = np.linspace(min(x2s) - 0.5, max(x2s) + 0.5, resolution)
    flat = scores(model, [[a, b] for b in grid2 for a in grid1])
    rows = np.array(flat).reshape(resolution, resolution)
    ax.contourf(grid1, grid2, rows, levels=[-np.inf, 0.0, np.inf], colors=list(REGION_COLOURS))
    ax.contour(grid1, grid2, rows, levels=[0.0], colors="black", linewidths=1.0)
    for cls, colour in enumerate(CLASS_COLOURS):
        xs = [p for p, t in zip(points, labels) if t == cls]
        ax.scatter(
            [p[0] for p in xs],
            [p[1] for p in xs],
            color=colour,
            s=18,
            edgecolors="white",
            linewidths=0.5,
            label=f"class {cls}",
        )
    # Beside the axes, not on them: inside, wherever it went, it could hide the boundary.
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize="small")
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
