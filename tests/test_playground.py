"""nn.Playground without a front end: training, the messages the page exchanges with the kernel,
bad input, divergence; and the page's scorer, run in Chromium against nn.evaluation.scores.

tests/test_playground_lab.py plays the widget in a real JupyterLab.
"""

from __future__ import annotations

import base64
import json
import math
import sys
from importlib import resources
from typing import Any

import pytest

pytest.importorskip("anywidget", reason="nn.Playground needs pip install -e '.[live]'")

from nn import MLP, Adam, Playground, binary_cross_entropy
from nn.evaluation import logits, scores


def reply(pg: Playground, message: dict[str, Any]) -> dict[str, Any]:
    """The kernel's one reply to a message from the page, checked to be valid JSON."""
    (answer,) = pg._receive(message)
    json.dumps(answer, allow_nan=False)  # the page reads JSON: no nan, no infinity
    return answer


def test_train_without_a_page_returns_the_losses_and_they_fall() -> None:
    pg = Playground(seed=0)
    losses = pg.train(40)
    assert len(losses) == 40 and pg.step == 40 and pg.losses == losses
    assert all(math.isfinite(loss) for loss in losses)
    assert losses[-1] < losses[0] / 4
    assert len(pg.points) == len(pg.labels) == 100 and set(pg.labels) == {0, 1}
    assert pg.train(0) == [] and pg.step == 40


def test_the_compiled_step_trains_as_the_eager_loop_does() -> None:
    pg = Playground(hidden=(8, 8), seed=3)
    model = MLP(2, [8, 8, 1], seed=3)
    optimizer = Adam(model.parameters(), lr=0.05)
    eager = []
    for _ in range(15):
        optimizer.zero_grad()
        loss = binary_cross_entropy(logits(model, pg.points), pg.labels, from_logits=True)
        loss.backward()
        optimizer.step()
        eager.append(loss.data)
    assert pg.train(15) == pytest.approx(eager, rel=1e-12)
    for p, q in zip(pg.model.parameters(), model.parameters()):
        assert p.data == pytest.approx(q.data, rel=1e-9, abs=1e-12)


def test_a_clicked_point_joins_training_without_a_new_trace() -> None:
    pg = Playground(seed=0)
    pg.train(2)
    traces = pg._training.compiled.traces
    answer = reply(pg, {"type": "add", "x": 0.25, "y": -0.5, "label": 1, "viewer": "v", "id": 7})
    assert answer["type"] == "points" and answer["click"] == 7 and answer["viewer"] == "v"
    assert len(pg.points) == 101 and pg.points[-1] == [0.25, -0.5] and pg.labels[-1] == 1
    assert answer["points"] == pg.points and answer["labels"] == pg.labels
    frame = reply(pg, {"type": "step", "viewer": "v"})
    assert frame["type"] == "frame" and frame["step"] == 3 and frame["viewer"] == "v"
    assert pg._training.compiled.traces == traces


def test_a_step_from_the_page_is_one_step_and_carries_the_weights() -> None:
    pg = Playground(hidden=(3,), seed=1)
    state = reply(pg, {"type": "hello"})
    assert state["type"] == "state" and state["step"] == 0 and state["losses"] == []
    assert [len(layer) for layer in state["weights"]] == [3, 1]
    frame = reply(pg, {"type": "step", "viewer": "a"})
    assert frame["gen"] == state["gen"] and frame["step"] == 1 == pg.step
    assert frame["loss"] == pg.losses[-1]
    unit = pg.model.layers[0].neurons[2]
    assert frame["weights"][0][2] == [w.data for w in unit.w] + [unit.b.data]


def test_reset_and_new_architecture_start_a_new_generation() -> None:
    pg = Playground(seed=0)
    first = [p.data for p in pg.model.parameters()]
    pg.train(5)
    gen = pg.generation
    state = reply(pg, {"type": "reset"})
    assert state["gen"] == pg.generation == gen + 1
    assert pg.step == 0 and pg.losses == [] and [p.data for p in pg.model.parameters()] == first
    assert reply(pg, {"type": "step", "viewer": "a"})["gen"] == gen + 1
    # A new learning rate goes on with the same weights: the same generation.
    reply(pg, {"type": "configure", "settings": {"lr": "0.01"}})
    assert pg.generation == gen + 1 and pg.step == 1 and pg.settings["lr"] == 0.01
    state = reply(pg, {"type": "configure", "settings": {"hidden": "4, 3"}})
    assert state["gen"] == pg.generation == gen + 2
    assert pg.model.nouts == [4, 3, 1] and pg.step == 0
    state = reply(pg, {"type": "configure", "settings": {"data": "xor", "noise": "0"}})
    assert state["gen"] == gen + 3 and state["settings"]["data"] == "xor"
    assert all((a > 0) != (b > 0) for (a, b), t in zip(pg.points, pg.labels) if t == 1)


def snapshot(pg: Playground) -> tuple[Any, ...]:
    return (pg.settings, pg.generation, pg.step, pg.points, [p.data for p in pg.model.parameters()])


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"hidden": "0"}, "hidden size 0 is not allowed"),
        ({"hidden": "10000"}, "hidden size 10000 is not allowed"),
        ({"hidden": "16, x"}, "hidden sizes are whole numbers"),
        ({"lr": "-1"}, "learning rate must be above 0 and at most 10.0, got -1.0"),
        ({"lr": "nan"}, "learning rate must be above 0 and at most 10.0, got nan"),
        ({"lr": "fast"}, "learning rate must be a number, got 'fast'"),
        ({"data": "moon"}, "unknown dataset 'moon'"),
        ({"noise": "2"}, "noise must be between 0 and 1, got 2.0"),
        ({"activation": "gelu"}, "unknown activation 'gelu'"),
        ({"optimizer": "rmsprop"}, "unknown optimizer 'rmsprop'"),
        ({"lr": "0.1", "hidden": "0"}, "hidden size 0"),  # nothing changes, not even lr
    ],
)
def test_bad_input_from_the_page_is_said_on_the_page_and_changes_nothing(
    settings: dict[str, str], message: str
) -> None:
    pg = Playground(seed=0)
    pg.train(3)
    before = snapshot(pg)
    state = reply(pg, {"type": "configure", "settings": settings})
    assert message in state["message"] and state["level"] == "error"
    assert pg.message == state["message"]
    assert snapshot(pg) == before
    assert state["settings"]["hidden"] == [16, 16] and state["settings"]["lr"] == 0.05
    # The next good change clears the message.
    assert reply(pg, {"type": "configure", "settings": {"lr": "0.02"}})["message"] == ""


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hidden": (0,)}, "hidden size 0 is not allowed"),
        ({"hidden": (16, 10_000)}, "hidden size 10000 is not allowed"),
        ({"lr": -1}, "learning rate must be above 0"),
        ({"lr": math.nan}, "got nan"),
        ({"data": "spirals"}, "unknown dataset 'spirals'"),
        ({"points": 0}, "points must be a whole number from 2 to 1000, got 0"),
    ],
)
def test_bad_input_from_python_raises_value_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        Playground(**kwargs)
    pg = Playground(seed=0)
    pg.train(2)
    before = (pg.settings, pg.generation, pg.step)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        pg.configure(**kwargs)
    assert (pg.settings, pg.generation, pg.step) == before
    assert message.split(",")[0] in pg.message


@pytest.mark.parametrize(
    "point",
    [
        {"x": math.inf, "y": 0.0, "label": 0},
        {"x": 0.0, "y": "1", "label": 0},
        {"x": 0.0, "y": 0.0, "label": 2},
    ],
)
def test_a_bad_point_from_the_page_is_refused(point: dict[str, Any]) -> None:
    pg = Playground(seed=0)
    answer = pg._receive({"type": "add", "viewer": "v", "id": 1, **point})[0]
    assert answer["level"] == "error" and "point" in answer["message"]
    assert len(pg.points) == 100 and answer["click"] == 1


def test_a_diverging_run_pauses_and_says_so() -> None:
    # Squared error with a learning rate far too large: every step overshoots further.
    pg = Playground(hidden=(4,), optimizer="sgd", lr=10.0, loss=lambda s, y: (s - y) ** 2 * 100)
    with pytest.warns(RuntimeWarning, match="training diverged at step"):
        losses = pg.train(1000)
    assert 0 < len(losses) < 1000 and all(math.isfinite(loss) for loss in losses)
    assert "diverged" in pg.message and "paused" in pg.message
    weights = [p.data for p in pg.model.parameters()]
    assert all(math.isfinite(w) for w in weights)
    frame = reply(pg, {"type": "step", "viewer": "v"})
    assert frame["level"] == "diverged" and frame["loss"] is None and frame["step"] == pg.step
    assert [p.data for p in pg.model.parameters()] == weights  # no step was taken
    state = reply(pg, {"type": "reset"})
    assert state["level"] == "" and pg.train(1)


def test_a_given_model_is_trained_and_reset_to_its_own_weights() -> None:
    model = MLP(2, [5, 1], activation="tanh", seed=4)
    start = [p.data for p in model.parameters()]
    pg = Playground(model, data="circles")
    assert pg.model is model and pg.settings["hidden"] == (5,)
    assert pg.settings["activation"] == "tanh"
    pg.train(3)
    assert [p.data for p in model.parameters()] != start
    pg.reset()
    assert [p.data for p in model.parameters()] == start
    with pytest.raises(ValueError, match="an MLP with 2 inputs and 1 output"):
        Playground(MLP(3, [2, 1]))


def test_it_shows_as_a_widget_with_a_plain_text_fallback() -> None:
    pg = Playground(seed=0)
    data, _ = pg._repr_mimebundle_()
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == pg.widget.model_id
    assert data["text/plain"] == repr(pg) and " at 0x" not in repr(pg)
    assert repr(pg) == (
        "Playground(moons, 100 points, MLP(2, [16, 16, 1], 'relu'), adam lr=0.05, step 0)"
    )


def test_without_the_extra_it_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "anywidget", None)  # import anywidget raises ImportError
    monkeypatch.delitem(sys.modules, "nn.playground.widget", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[live\]'") as error:
        Playground()
    assert "-e '.[live]'" in str(error.value)


def test_the_page_is_made_from_the_package_files() -> None:
    from nn.playground.widget import PlaygroundWidget

    assets = resources.files("nn.playground")
    assert PlaygroundWidget._esm == (assets / "playground.js").read_text(encoding="utf-8")
    assert PlaygroundWidget._css == (assets / "playground.css").read_text(encoding="utf-8")
    # Nothing is fetched: it works offline and in JupyterLite.
    assert "http" not in PlaygroundWidget._esm and "import " not in PlaygroundWidget._esm


# ----- the page's scorer, in Chromium -------------------------------------------------------------


def run_page_scorer(browser: Any, net: dict[str, Any], points: list[list[float]]) -> list[float]:
    """scores(net, points) computed by playground.js, imported as a module in the browser."""
    source = (resources.files("nn.playground") / "playground.js").read_bytes()
    url = "data:text/javascript;base64," + base64.b64encode(source).decode()
    browser.get("about:blank")
    return browser.execute_async_script(
        "const [url, net, points, done] = arguments;"
        "import(url).then((m) => done(m.scores(net, points)), (e) => done(String(e)));",
        url,
        net,
        points,
    )


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_the_pages_scores_are_nn_evaluation_scores(browser: Any, activation: str) -> None:
    pg = Playground(hidden=(16, 16), activation=activation, seed=2)
    pg.train(25)
    state = reply(pg, {"type": "hello"})
    net = {"weights": state["weights"], "activation": state["settings"]["activation"]}
    x0, x1, y0, y1 = state["view"]
    grid = [
        [x0 + (x1 - x0) * i / 29, y0 + (y1 - y0) * j / 29] for i in range(30) for j in range(30)
    ]
    points = grid + pg.points
    expected = scores(pg.model, points)
    got = run_page_scorer(browser, net, points)
    assert isinstance(got, list) and len(got) == len(expected), got
    for a, b in zip(got, expected):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12)
    # The classes agree everywhere, and the check can fail: other weights give other scores.
    assert [s > 0 for s in got] == [s > 0 for s in expected]
    net["weights"][0][0][0] += 0.5
    assert run_page_scorer(browser, net, points) != got
