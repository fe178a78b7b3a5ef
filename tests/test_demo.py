"""nn/demo.py: a smoke run of a few steps, its outputs, the float helpers, and Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograd import Value
from nn import MLP
from nn.data import make_moons
from nn.demo import accuracy, logits, main, scores

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--steps", "3", "--samples", "20", "--hidden", "4"]


def test_a_short_run_writes_a_png_an_svg_and_the_stepper(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*SMALL, "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "final loss" in printed
    assert "accuracy" in printed

    png = tmp_path / "out" / "decision_boundary.png"
    svg = tmp_path / "out" / "neuron_graph.svg"
    html = tmp_path / "out" / "backward_stepper.html"
    for path in (png, svg, html):
        assert str(path) in printed
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert ET.fromstring(svg.read_bytes()).tag == "{http://www.w3.org/2000/svg}svg"
    page = html.read_text(encoding="utf-8")
    assert "<html" in page.lower()
    assert "<svg" in page


def test_sgd_runs_too(tmp_path: Path) -> None:
    assert main([*SMALL, "--optimizer", "sgd", "--out", str(tmp_path)]) == 0


@pytest.mark.parametrize(
    "bad",
    [["--hidden", "0"], ["--samples", "0"], ["--steps", "-1"], ["--lr", "0"], ["--lr", "nan"]],
)
def test_bad_options_are_refused_with_the_usage_line(
    bad: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*bad, "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "usage: chainrule-demo" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_scores_on_floats_equal_the_values_forward_pass(activation: str) -> None:
    points, _ = make_moons(15, noise=0.2, seed=1)
    model = MLP(2, [5, 3, 1], activation=activation, seed=2)
    expected = [v.data for v in logits(model, points)]
    assert scores(model, points) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_scores_refuse_a_network_with_several_outputs() -> None:
    with pytest.raises(ValueError, match="one output"):
        scores(MLP(2, [3, 2], seed=0), [[0.0, 0.0]])


def test_accuracy_counts_positive_scores_as_class_1() -> None:
    model = MLP(2, [1], activation="linear", seed=0)
    w1, w2, b = model.parameters()
    w1.data, w2.data, b.data = 1.0, 0.0, 0.0  # score = x1
    points = [[1.0, 0.0], [-1.0, 0.0], [2.0, 5.0], [-3.0, 1.0]]
    assert accuracy(model, points, [1, 0, 1, 0]) == 1.0
    assert accuracy(model, points, [1, 1, 0, 0]) == 0.5
    assert isinstance(logits(model, points)[0], Value)


def test_ctrl_c_exits_with_130_and_no_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "nn.demo", "--steps", "100000", "--out", str(tmp_path)]
    # NOTE: a job started in the background (as CI may run us) inherits SIGINT ignored, and
    # Python then never turns Ctrl-C into KeyboardInterrupt. A user's terminal does not ignore
    # it, so the demo starts here as it would there: with SIGINT at its default.
    with subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    ) as process:
        try:
            assert process.stdout is not None
            first_line = process.stdout.readline()  # printed once training is about to start
            assert "MLP" in first_line
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=60)
        finally:
            process.kill()  # never leave a 100,000-step run behind, whatever failed
    assert process.returncode == 130
    assert "interrupted" in stderr
    assert "Traceback" not in stderr


def test_importing_the_demo_picks_no_matplotlib_backend() -> None:
    code = "import sys, nn.demo; print('matplotlib.pyplot' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
