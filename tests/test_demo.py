"""nn/demo.py: a smoke run of a few steps, its outputs, its progress bar, without its extra,
and Ctrl-C."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autograd.drawing.render import png_size
from nn import MLP, SGD, binary_cross_entropy, make_moons
from nn.demo import main, train
from nn.evaluation import logits

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
    # Sharp on a HiDPI screen: 192 pixels per inch of a 5.6 x 3.6 inch figure.
    assert png_size(png.read_bytes()) == (1075, 691)
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


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, so that tqdm draws its bar into it."""

    def isatty(self) -> bool:
        return True


def test_the_bar_s_last_loss_is_the_printed_final_loss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main([*SMALL, "--out", str(tmp_path)]) == 0
    bar_losses = re.findall(r"loss=(\d+\.\d+)", terminal.getvalue())
    assert bar_losses, f"no progress bar drawn: {terminal.getvalue()!r}"
    final = re.search(r"final loss (\d+\.\d+)", capsys.readouterr().out)
    assert final is not None
    assert bar_losses[-1] == final.group(1)
    assert "3/3" in terminal.getvalue()


def test_train_returns_the_loss_before_and_after_every_step() -> None:
    points, labels = make_moons(10, noise=0.1, seed=0)
    model = MLP(2, [4, 1], seed=0)
    before = binary_cross_entropy(logits(model, points), labels, from_logits=True).data
    losses = train(model, points, labels, 3, SGD(model.parameters(), lr=0.1))
    after = binary_cross_entropy(logits(model, points), labels, from_logits=True).data
    assert len(losses) == 4
    assert losses[0] == before
    assert losses[-1] == after


# Runs the demo as a user would without the demo extra: importing matplotlib or tqdm fails.
WITHOUT_EXTRA = (
    "import sys; sys.modules['matplotlib'] = None; sys.modules['tqdm'] = None; "
    "from nn.demo import main; sys.exit(main(sys.argv[1:]))"
)


def test_help_works_without_the_demo_extra(fresh_python: Callable[..., Any]) -> None:
    result = fresh_python(WITHOUT_EXTRA, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: chainrule-demo" in result.stdout
    words = " ".join(result.stdout.split())  # argparse wraps the epilog
    assert "pip install matplotlib tqdm (in a clone: pip install -e '.[demo]')" in words


def test_without_the_demo_extra_it_says_what_to_install(
    tmp_path: Path, fresh_python: Callable[..., Any]
) -> None:
    result = fresh_python(WITHOUT_EXTRA, "--out", str(tmp_path))
    assert result.returncode == 1
    assert "pip install matplotlib tqdm" in result.stderr
    assert "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir())


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


def test_importing_the_demo_picks_no_matplotlib_backend(fresh_python: Callable[..., Any]) -> None:
    code = "import sys, nn.demo; print('matplotlib.pyplot' in sys.modules)"
    result = fresh_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
