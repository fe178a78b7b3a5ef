"""Toy datasets: shapes, labels, scikit-learn's noise-free points, seeds and noise."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable

import pytest

from nn import make_circles, make_moons, make_spiral, make_xor, signed_labels

MAKERS: list[Callable[..., tuple[list[list[float]], list[int]]]] = [
    make_moons,
    make_circles,
    make_spiral,
    make_xor,
]


@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", [1, 2, 7, 100])
def test_plain_lists_of_points_and_int_labels(make: Callable, n: int) -> None:
    points, y = make(n, noise=0.1, seed=0)
    assert type(points) is list and type(y) is list
    assert len(points) == len(y) == n
    assert all(type(p) is list and len(p) == 2 for p in points)
    assert all(type(c) is float and math.isfinite(c) for p in points for c in p)
    assert all(type(t) is int for t in y)


@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__)
def test_same_seed_same_data_different_seed_different_data(make: Callable) -> None:
    assert make(50, noise=0.2, seed=3) == make(50, noise=0.2, seed=3)
    assert make(50, noise=0.2, seed=3)[0] != make(50, noise=0.2, seed=4)[0]


@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__)
def test_global_random_is_never_touched(make: Callable) -> None:
    random.seed(5)
    state = random.getstate()
    a = make(30, noise=0.3, seed=1)
    make(30, noise=0.3)  # unseeded uses a private generator too
    assert random.getstate() == state
    random.seed(6)
    assert make(30, noise=0.3, seed=1) == a


def numpy_linspace(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    np = pytest.importorskip("numpy")
    return [float(v) for v in np.linspace(start, stop, n, endpoint=endpoint)]


def sklearn_moons(n: int) -> list[list[float]]:
    """scikit-learn's make_moons points before its shuffle, written out with numpy's linspace."""
    n_out, n_in = n // 2, n - n // 2
    upper = [[math.cos(t), math.sin(t)] for t in numpy_linspace(0, math.pi, n_out)]
    lower = [[1 - math.cos(t), 1 - math.sin(t) - 0.5] for t in numpy_linspace(0, math.pi, n_in)]
    return upper + lower


def sklearn_circles(n: int, factor: float) -> list[list[float]]:
    n_out, n_in = n // 2, n - n // 2
    outer = numpy_linspace(0, 2 * math.pi, n_out, endpoint=False)
    inner = numpy_linspace(0, 2 * math.pi, n_in, endpoint=False)
    points = [[math.cos(t), math.sin(t)] for t in outer]
    return points + [[factor * math.cos(t), factor * math.sin(t)] for t in inner]


@pytest.mark.parametrize("n", [2, 9, 100, 101])
def test_noise_free_moons_are_scikit_learns_points(n: int) -> None:
    n_out, n_in = n // 2, n - n // 2
    points, y = make_moons(n, shuffle=False)
    assert points == sklearn_moons(n)
    assert y == [0] * n_out + [1] * n_in
    # Shuffled (the default, as in scikit-learn): the same labelled points in another order.
    shuffled, y_shuffled = make_moons(n, seed=0)
    assert sorted(zip(shuffled, y_shuffled)) == sorted(zip(points, y))


@pytest.mark.parametrize("n", [2, 9, 100, 101])
def test_noise_free_circles_are_scikit_learns_points(n: int) -> None:
    n_out, n_in = n // 2, n - n // 2
    points, y = make_circles(n, factor=0.5, shuffle=False)
    assert points == sklearn_circles(n, 0.5)
    assert y == [0] * n_out + [1] * n_in
    radii = [math.hypot(*p) for p in points]
    assert all(abs(r - (1.0 if t == 0 else 0.5)) < 1e-15 for r, t in zip(radii, y))
    shuffled, y_shuffled = make_circles(n, factor=0.5, seed=0)
    assert sorted(zip(shuffled, y_shuffled)) == sorted(zip(points, y))


@pytest.mark.parametrize("make", [make_moons, make_circles], ids=lambda f: f.__name__)
def test_samples_are_shuffled_by_the_seed(make: Callable) -> None:
    # Sorted by class, the first half of the labels would all be 0: a mini-batch or a
    # train/test split taken from the front would then see one class only.
    _, y = make(100, noise=0.1, seed=0)
    assert y != sorted(y)
    assert 15 < sum(y[:50]) < 35
    assert y.count(0) == y.count(1) == 50
    assert make(100, noise=0.1, seed=0) == make(100, noise=0.1, seed=0)
    assert make(100, noise=0.1, seed=1)[1] != y
    assert make(100, noise=0.1, seed=0, shuffle=False)[1] == [0] * 50 + [1] * 50


@pytest.mark.parametrize("make", [make_moons, make_circles], ids=lambda f: f.__name__)
def test_noise_is_added_after_the_shuffle(make: Callable) -> None:
    # As in scikit-learn: the seed fixes the order first, so the noise-free data with the
    # same seed lists the same points in the same order, and the noise moves each one.
    clean, y_clean = make(4000, seed=0)
    noisy, y_noisy = make(4000, noise=0.1, seed=0)
    assert y_noisy == y_clean
    shifts = [a - b for p, q in zip(noisy, clean) for a, b in zip(p, q)]
    assert abs(statistics.fmean(shifts)) < 0.005
    assert statistics.stdev(shifts) == pytest.approx(0.1, rel=0.03)


def test_signed_labels_turn_0_1_into_minus_one_plus_one_for_hinge_loss() -> None:
    _, y = make_moons(10, seed=0)
    signs = signed_labels(y)
    assert signs == [2 * t - 1 for t in y]
    assert all(type(s) is int for s in signs)
    with pytest.raises(ValueError, match="label 2 is 2; signed_labels takes labels 0 and 1"):
        signed_labels([0, 1, 2])
    with pytest.raises(ValueError, match="label 0 is -1"):
        signed_labels([-1, 1])


def test_spiral_has_k_arms_of_growing_radius() -> None:
    points, y = make_spiral(301, n_classes=4, noise=0.0)
    assert [y.count(j) for j in range(4)] == [76, 75, 75, 75]
    for j in range(4):
        radii = [math.hypot(*p) for p, t in zip(points, y) if t == j]
        assert radii == sorted(radii)
        assert radii[0] == 0.0 and radii[-1] == pytest.approx(1.0)
        # Without noise the angle of arm j at radius r is 4j + 4r: (r sin a, r cos a).
        for (a, b), r in zip([p for p, t in zip(points, y) if t == j], radii):
            angle = 4 * j + 4 * r
            assert a == pytest.approx(r * math.sin(angle), abs=1e-12)
            assert b == pytest.approx(r * math.cos(angle), abs=1e-12)


def test_noise_free_xor_labels_follow_the_quadrants() -> None:
    points, y = make_xor(500, seed=2)
    assert all(-1 <= c <= 1 for p in points for c in p)
    assert y == [int((a > 0) != (b > 0)) for a, b in points]
    assert 200 < sum(y) < 300


def test_noisy_xor_keeps_the_clean_labels() -> None:
    clean, y_clean = make_xor(200, seed=4)
    noisy, y_noisy = make_xor(200, noise=0.5, seed=4)
    assert y_noisy == y_clean
    assert noisy != clean


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_moons(0), "n_samples must be a positive int, got 0"),
        (lambda: make_moons(10.0), "n_samples must be a positive int, got 10.0"),
        (lambda: make_circles(10, noise=-0.1), "noise must be a finite number >= 0"),
        (lambda: make_xor(10, noise=math.nan), "noise must be a finite number >= 0"),
        (lambda: make_circles(10, factor=1.0), "factor must be in \\[0, 1\\)"),
        (lambda: make_spiral(10, n_classes=0), "n_classes must be a positive int"),
    ],
)
def test_bad_arguments_raise_value_error(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
