"""Toy datasets for two-dimensional classification, as plain Python lists.

Standard library only. Each maker returns (points, y): a list of [x1, x2] points and y a list of
int class labels (0 and 1, or 0..k-1 for the spiral). Randomness comes from a private
random.Random(seed); the same seed gives the same data, and the global `random` module is never
touched. Without noise, make_moons and make_circles give exactly scikit-learn's points. As in
scikit-learn, they shuffle the samples by default (shuffle=False keeps them sorted by class)
and add the noise after the shuffle. Our generator is Python's, not numpy's: the same seed
gives another order and other noise than scikit-learn's.

For hinge_loss, which wants labels in {-1, +1}: signed_labels(y).
"""

from __future__ import annotations

import math
import random

Dataset = tuple[list[list[float]], list[int]]


def _check_args(n_samples: int, noise: float) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}")
    if not 0.0 <= noise < math.inf:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")


def _linspace(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    """n evenly spaced numbers, computed as numpy.linspace computes them (start + i * step)."""
    if n == 1:
        return [start]
    step = (stop - start) / (n - 1 if endpoint else n)
    points = [start + i * step for i in range(n)]
    if endpoint:
        points[-1] = stop
    return points


def _shuffled(
    points: list[list[float]], y: list[int], shuffle: bool, rng: random.Random
) -> Dataset:
    """The samples in an order drawn from rng (or as they are, if not shuffle)."""
    if not shuffle:
        return points, y
    order = list(range(len(y)))
    rng.shuffle(order)
    return [points[i] for i in order], [y[i] for i in order]


def _jitter(points: list[list[float]], noise: float, rng: random.Random) -> list[list[float]]:
    """Add independent Gaussian noise with standard deviation `noise` to every coordinate."""
    if noise == 0.0:
        return points
    return [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for a, b in points]


def make_moons(
    n_samples: int = 100, noise: float = 0.0, seed: int | None = None, shuffle: bool = True
) -> Dataset:
    """Two interleaving half circles: class 0 is the upper moon, class 1 the lower one.

    Upper: (cos t, sin t) for t in [0, pi]; lower: (1 - cos t, 1 - sin t - 0.5). The upper moon
    gets n_samples // 2 points, the lower one the rest.
    """
    _check_args(n_samples, noise)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_out)] if n_out else []
    inner = [[1.0 - math.cos(t), 1.0 - math.sin(t) - 0.5] for t in _linspace(0.0, math.pi, n_in)]
    rng = random.Random(seed)
    points, y = _shuffled(outer + inner, [0] * n_out + [1] * n_in, shuffle, rng)
    return _jitter(points, noise, rng), y


def make_circles(
    n_samples: int = 100,
    noise: float = 0.0,
    factor: float = 0.8,
    seed: int | None = None,
    shuffle: bool = True,
) -> Dataset:
    """A large circle (class 0, radius 1) around a small one (class 1, radius `factor`).

    The outer circle gets n_samples // 2 points, the inner one the rest, evenly spaced in angle.
    """
    _check_args(n_samples, noise)
    if not 0.0 <= factor < 1.0:
        raise ValueError(f"factor must be in [0, 1), got {factor!r}")
    n_out = n_samples // 2
    n_in = n_samples - n_out
    angles_out = _linspace(0.0, 2 * math.pi, n_out, endpoint=False) if n_out else []
    angles_in = _linspace(0.0, 2 * math.pi, n_in, endpoint=False)
    outer = [[math.cos(t), math.sin(t)] for t in angles_out]
    inner = [[factor * math.cos(t), factor * math.sin(t)] for t in angles_in]
    rng = random.Random(seed)
    points, y = _shuffled(outer + inner, [0] * n_out + [1] * n_in, shuffle, rng)
    return _jitter(points, noise, rng), y


def make_spiral(
    n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: int | None = None
) -> Dataset:
    """k interleaved spiral arms (CS231n's spiral), one class per arm.

    Arm j: radius r from 0 to 1 and angle 4j + 4r + noise * N(0, 1), at (r sin a, r cos a).
    The first n_samples % k arms get one point more than the others.
    """
    _check_args(n_samples, noise)
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 1:
        raise ValueError(f"n_classes must be a positive int, got {n_classes!r}")
    rng = random.Random(seed)
    points: list[list[float]] = []
    y: list[int] = []
    for j in range(n_classes):
        n = n_samples // n_classes + (1 if j < n_samples % n_classes else 0)
        for r in _linspace(0.0, 1.0, n) if n else []:
            angle = 4.0 * j + 4.0 * r + rng.gauss(0.0, noise)
            points.append([r * math.sin(angle), r * math.cos(angle)])
            y.append(j)
    return points, y


def make_xor(n_samples: int = 100, noise: float = 0.0, seed: int | None = None) -> Dataset:
    """Points uniform in the square [-1, 1]^2, labelled 1 where x1 and x2 differ in sign.

    Labels come from the clean points; `noise` then moves each point, blurring the boundary.
    """
    _check_args(n_samples, noise)
    rng = random.Random(seed)
    points = [[rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)] for _ in range(n_samples)]
    y = [1 if (a > 0) != (b > 0) else 0 for a, b in points]
    return _jitter(points, noise, rng), y


def signed_labels(y: list[int]) -> list[int]:
    """Class labels 0 and 1 as -1 and +1 (2 * t - 1), the labels hinge_loss takes."""
    for i, t in enumerate(y):
        if t not in (0, 1):
            raise ValueError(f"label {i} is {t!r}; signed_labels takes labels 0 and 1")
    return [2 * int(t) - 1 for t in y]
