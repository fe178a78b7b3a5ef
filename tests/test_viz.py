"""draw_dot: the DOT it writes, escaping, both renderers, errors, limits and Jupyter display."""

from __future__ import annotations

import os
import random
import re
import shutil
import sys
import sysconfig
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from autograd import RendererNotFoundError, Value, draw_dot, find_renderer, save_png, save_svg
from autograd.drawing.layout import OUTPUT_AREA_PX, PAGE_PX
from autograd.drawing.render import png_size
from autograd.drawing.viz import _record_text
from autograd.engine import topological_order
from tests.conftest import run_python

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"
INSTALL_WORDS = ("pip install graphviz-pure", "apt-get install graphviz", "brew", "conda")


def neuron() -> Value:
    """One tanh neuron with two inputs, after backward()."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def records(source: str) -> dict[str, str]:
    """Record node name -> its label, from DOT source."""
    return dict(re.findall(r'^\t+(v\d+) \[label="(.*?)"(?: |\])', source, flags=re.M))


def edges(source: str) -> list[tuple[str, str]]:
    return re.findall(r"^\t(\w+) -> (\w+)$", source, flags=re.M)


def svg_nodes(svg: bytes | str) -> dict[str, list[str]]:
    """Parse SVG as XML: node title -> the texts drawn in that node."""
    tree = ET.fromstring(svg)
    nodes = {}
    for group in tree.iter(SVG + "g"):
        if group.get("class") == "node":
            title = group.find(SVG + "title")
            assert title is not None
            nodes[title.text or ""] = [t.text or "" for t in group.iter(SVG + "text")]
    return nodes


# ----- the DOT source ---------------------------------------------------------------------------


def test_one_record_per_value_and_one_node_per_op() -> None:
    o = neuron()
    source = draw_dot(o).source
    order = topological_order(o)
    labels = records(source)
    assert sorted(labels) == sorted(f"v{i}" for i in range(len(order)))
    for i, node in enumerate(order):
        fields = f"data {node.data:.4g}|grad {node.grad:.4g}"
        # A shallow graph runs left to right, where a record's fields stack without braces.
        assert labels[f"v{i}"] == (f"{node.label}|{fields}" if node.label else fields)
    ops = re.findall(r'^\t(v\d+_op) \[label="?([^" ]+)"?', source, flags=re.M)
    assert sorted(op for _, op in ops) == sorted(["*", "*", "+", "+", "tanh"])
    # Every op node sits between its parents and its result.
    last = f"v{len(order) - 1}"
    assert edges(source)[-2:] == [(f"v{len(order) - 2}", last + "_op"), (last + "_op", last)]
    assert len(edges(source)) == sum(len(v._parents) + 1 for v in order if v._parents)
    assert "rankdir=LR" in source


def test_shows_label_data_and_grad() -> None:
    source = draw_dot(neuron()).source
    assert '"x1|data 2|grad -1.5"' in source
    assert '"w1|data -3|grad 1"' in source
    assert '"o|data 0.7071|grad 1"' in source


def test_rankdir_is_passed_on() -> None:
    source = draw_dot(neuron(), rankdir="TB").source
    assert "rankdir=TB" in source
    # Top to bottom, braces turn the fields so that they still stack.
    assert '"{x1|data 2|grad -1.5}"' in source


def test_the_direction_is_the_one_that_fits_the_page() -> None:
    x = Value(0.5, label="x")
    y = x
    for _ in range(3):
        y = y.tanh()
    assert "rankdir=LR" in draw_dot(y).source  # four values in a row fit left to right
    for _ in range(8):
        y = y.tanh()
    assert "rankdir=TB" in draw_dot(y).source  # twelve do not
    assert "rankdir=LR" in draw_dot(y, rankdir="LR").source  # the user's choice wins
    with pytest.raises(ValueError, match="rankdir must be LR, RL, TB or BT, got 'up'"):
        draw_dot(y, rankdir="up")
    # One sample through MLP(2, [16, 16, 1]) fits neither way: the narrower, with a note that
    # says so where the reader starts, and what to do.
    _, sample = mlp_sample()
    wide = draw_dot(sample).source
    assert "rankdir=LR" in wide and "labelloc=t" in wide
    note = rf"About 1,\d\d\d px wide, wider than a notebook's {PAGE_PX} px: draw a part"
    assert re.search(note, wide)
    assert "collapse=model.layers" in wide


def test_a_node_used_twice_keeps_both_edges() -> None:
    x = Value(3.0, label="x")
    source = draw_dot(x * x).source
    assert edges(source) == [("v0", "v1_op"), ("v0", "v1_op"), ("v1_op", "v1")]


def test_inputs_constants_and_results_look_different() -> None:
    x = Value(3.0, label="x")
    y = x * 2.0 + 1.0
    source = draw_dot(y).source
    lines = {m[0]: m[1] for m in re.findall(r"^\t(v\d+) (\[.*)$", source, flags=re.M)}
    order = topological_order(y)
    kinds = {}
    for i, node in enumerate(order):
        kinds[node.label or node._op or f"{node.data:g}"] = (
            "input"
            if "filled,bold" in lines[f"v{i}"]
            else "constant"
            if "dashed" in lines[f"v{i}"]
            else "result"
        )
    assert kinds == {"x": "input", "2": "constant", "1": "constant", "*": "result", "+": "result"}


def test_same_graph_same_bytes_in_fresh_interpreters() -> None:
    code = (
        "from autograd import Value, draw_dot\n"
        "x = Value(2.0, label='x'); w = Value(-3.0, label='w')\n"
        "y = (x * w + x * 2 + w.exp()).tanh(); y.backward()\n"
        "print(draw_dot(y).source)"
    )
    outputs = set()
    for seed in ("1", "2", "3"):  # different hash seeds: set and dict order must not leak in
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = run_python(code, env=env)
        assert result.returncode == 0, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert "v0" in outputs.pop()


def test_record_text_escapes_everything_records_treat_specially() -> None:
    assert _record_text('<in|put> {"q"}') == r"\<in\|put\>\ \{\"q\"\}"
    assert _record_text("a\\b") == r"a\\b"
    assert _record_text("two\nlines") == r"two\nlines"
    assert _record_text("tab\there") == r"tab\ here"
    assert _record_text("a&amp;") == "a&amp;amp;"
    assert _record_text("") == ""


def test_a_100k_node_graph_builds_without_recursion() -> None:
    x = Value(1.0, label="x")
    y = x
    for _ in range(50_000):
        y = y + 1.0  # each step adds a constant leaf and a result: 100,001 Values
    source = draw_dot(y, max_nodes=None).source
    assert source.count("_op [label") == 50_000
    assert len(records(source)) == 100_001


def test_node_limit_says_how_big_and_what_to_do() -> None:
    x = Value(1.0, label="x")
    y = x
    for _ in range(10):
        y = y * 2.0
    with pytest.raises(ValueError, match=r"21 values, more than max_nodes=20") as caught:
        draw_dot(y, max_nodes=20)
    assert "max_nodes=21" in str(caught.value)
    assert "one neuron" in str(caught.value)
    assert "collapse=model.layers" in str(caught.value)
    assert len(records(draw_dot(y, max_nodes=21).source)) == 21


def test_root_must_be_a_value() -> None:
    with pytest.raises(TypeError, match="float"):
        draw_dot(1.5)  # type: ignore[arg-type]


def test_import_error_says_how_to_install_graphviz() -> None:
    code = (
        "import sys; sys.modules['graphviz'] = None\n"
        "from autograd import Value, draw_dot\n"
        "draw_dot(Value(1.0))"
    )
    result = run_python(code)
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "pip install" in result.stderr


# ----- rendering, with each renderer ------------------------------------------------------------


def renderer_path(name: str) -> str | None:
    return shutil.which(name, path=sysconfig.get_path("scripts") + os.pathsep + os.environ["PATH"])


@pytest.fixture(params=["dot", "graphviz-pure"])
def renderer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Forces one renderer through the CHAINRULE_DOT override."""
    path = renderer_path(request.param)
    if path is None:
        if request.param == "dot" and os.environ.get("CI") != "true":
            pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")
        pytest.fail(f"{request.param} not found, but it is installed in CI and with chainrule")
    monkeypatch.setenv("CHAINRULE_DOT", path)
    assert find_renderer() == path
    return path


def test_one_neuron_renders_to_svg_xml(renderer: str) -> None:
    o = neuron()
    nodes = svg_nodes(draw_dot(o).pipe(format="svg"))
    order = topological_order(o)
    assert {f"v{i}" for i in range(len(order))} <= set(nodes)
    assert ["x1", "data 2", "grad -1.5"] in nodes.values()
    assert ["w1", "data -3", "grad 1"] in nodes.values()
    assert nodes[f"v{len(order) - 1}"] == ["o", "data 0.7071", "grad 1"]
    assert nodes[f"v{len(order) - 1}_op"] == ["tanh"]


def test_awkward_labels_render_as_written(renderer: str) -> None:
    x = Value(2.0, label='<in|put> {"q"}')
    y = x * Value(3.0, label="back\\slash  two spaces\nsecond line")
    y.label = "</svg>&amp;"
    nodes = svg_nodes(draw_dot(y).pipe(format="svg"))
    texts = [t.replace("\xa0", " ") for ts in nodes.values() for t in ts]
    assert '<in|put> {"q"}' in texts
    assert "back\\slash  two spaces" in texts
    assert "second line" in texts
    assert "</svg>&amp;" in texts


def test_random_awkward_labels_render_as_written(renderer: str) -> None:
    # Sixty labels from the characters that records, DOT strings and XML treat specially.
    rng = random.Random(0)
    alphabet = [*'<>{}|"\\ &;#xn/\n', "\u00e9", "\u4e2d", "&amp;", "&#38;", "\\n", "\\l"]
    labels = ["".join(rng.choices(alphabet, k=rng.randint(1, 12))) for _ in range(60)]
    y = Value(0.0, label="start")
    for label in labels:
        y = y + Value(1.0, label=label)
    order = topological_order(y)
    nodes = svg_nodes(draw_dot(y).pipe(format="svg", quiet=True))
    for i, node in enumerate(order):
        if node._parents:
            continue
        texts = [text.replace("\xa0", " ") for text in nodes[f"v{i}"][:-2]]
        # NOTE: Graphviz drops leading spaces and empty lines, which show nothing anyway.
        lines = [line.lstrip(" ") for line in node.label.splitlines()]
        assert [t for t in texts if t.strip()] == [line for line in lines if line], node.label


def test_jupyter_display_gives_svg_and_a_png_beside_it(renderer: str) -> None:
    # An untrusted notebook (a fresh clone) refuses the SVG: JupyterLab then shows the PNG.
    graph = draw_dot(neuron())
    bundle, metadata = graph._repr_mimebundle_()
    assert sorted(bundle) == ["image/png", "image/svg+xml", "text/plain"]
    assert "v0" in svg_nodes(bundle["image/svg+xml"])
    png = bundle["image/png"]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    # Drawn at 192 pixels an inch, shown at half that many CSS pixels: the SVG's size (pt * 4/3).
    width, height = png_size(png)
    svg_width = float(re.search(r'<svg width="([\d.]+)pt"', bundle["image/svg+xml"])[1])
    assert metadata["image/png"] == {"width": round(width / 2), "height": round(height / 2)}
    assert metadata["image/png"]["width"] == pytest.approx(svg_width * 4 / 3, abs=3)
    assert graph.dpi is None  # the graph's own PNG resolution is unchanged


def test_ipython_formats_the_graph_as_svg(renderer: str) -> None:
    formatters = pytest.importorskip("IPython.core.formatters")
    data, _ = formatters.DisplayFormatter().format(draw_dot(neuron()))
    assert "image/svg+xml" in data
    assert "v0" in svg_nodes(data["image/svg+xml"])


def test_save_svg_writes_a_file(renderer: str, tmp_path: Path) -> None:
    path = save_svg(neuron(), tmp_path / "neuron.svg")
    assert path == tmp_path / "neuron.svg"
    assert "v0" in svg_nodes(path.read_bytes())


def test_graphviz_render_uses_the_same_renderer(renderer: str, tmp_path: Path) -> None:
    out = draw_dot(neuron()).render(tmp_path / "neuron")
    assert out.endswith(".svg")
    assert "v0" in svg_nodes(Path(out).read_bytes())


def test_a_layout_past_its_timeout_is_stopped(renderer: str) -> None:
    x = Value(1.0, label="x")
    y = x
    for i in range(200):
        y = y * (x + i)
    graph = draw_dot(y, timeout=0.001)
    with pytest.raises(TimeoutError, match=r"took more than 0.001 s .* larger timeout"):
        graph.pipe(format="svg")
    with pytest.raises(TimeoutError):
        graph._repr_mimebundle_()


# ----- finding a renderer, and living without one -------------------------------------------------


def test_the_system_dot_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")
    monkeypatch.delenv("CHAINRULE_DOT", raising=False)
    assert Path(find_renderer()).name == "dot"


def test_graphviz_pure_is_found_in_the_scripts_folder_without_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # An unactivated venv or a Jupyter kernel: nothing useful on PATH.
    monkeypatch.delenv("CHAINRULE_DOT", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    found = Path(find_renderer())
    assert found.parent == Path(sysconfig.get_path("scripts"))
    assert found.name in ("dot", "graphviz-pure")
    assert "v0" in svg_nodes(draw_dot(neuron()).pipe(format="svg"))


def assert_says_how_to_install(error: BaseException) -> None:
    for words in INSTALL_WORDS:
        assert words in str(error), (words, str(error))


def test_without_a_renderer_building_works_and_rendering_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CHAINRULE_DOT", str(tmp_path / "no-such-dot"))
    monkeypatch.setenv("PATH", str(tmp_path))
    graph = draw_dot(neuron())
    assert "v0" in graph.source
    for render in (
        lambda: graph.pipe(format="svg"),
        lambda: graph._repr_mimebundle_(),
        lambda: graph.render(tmp_path / "g"),
        lambda: save_svg(neuron(), tmp_path / "g.svg"),
    ):
        with pytest.raises(RendererNotFoundError) as caught:
            render()
        assert "CHAINRULE_DOT" in str(caught.value)
        assert_says_how_to_install(caught.value)
    assert not (tmp_path / "g.svg").exists()


def test_with_no_renderer_anywhere_the_error_says_how_to_install(tmp_path: Path) -> None:
    # The base interpreter, outside our venv: its scripts folder has no graphviz-pure, and PATH
    # is empty. graphviz (the Python package) comes from our venv through PYTHONPATH.
    import graphviz

    base_python = str(Path(sys.executable).resolve())
    site_packages = str(Path(graphviz.__file__).resolve().parent.parent)
    env = {
        "PATH": str(tmp_path),
        "PYTHONPATH": os.pathsep.join([str(ROOT), site_packages]),
        "PYTHONNOUSERSITE": "1",
    }
    probe = "import sysconfig; print(sysconfig.get_path('scripts'))"
    scripts = run_python(probe, env=env, python=base_python, check=True).stdout.strip()
    if any(shutil.which(name, path=scripts) for name in ("dot", "graphviz-pure")):
        pytest.skip(f"{base_python} has a renderer in its scripts folder {scripts}")
    code = (
        "from autograd import Value, draw_dot\n"
        "graph = draw_dot(Value(1.0, label='x'))\n"
        "assert 'v0' in graph.source\n"
        "graph._repr_mimebundle_()\n"
    )
    result = run_python(code, env=env, python=base_python)
    assert result.returncode != 0
    assert "RendererNotFoundError: No Graphviz renderer found" in result.stderr
    for words in INSTALL_WORDS:
        assert words in result.stderr


def test_one_neuron_of_a_big_network_draws_from_new_leaves() -> None:
    # README's recipe: a network too big to draw, and one of its second-layer neurons drawn on
    # leaves that hold the first layer's values.
    x = [Value(0.1 * i, label=f"x{i}") for i in range(30)]
    h = [sum((xi * (0.01 * j) for xi in x), Value(0.0)).tanh() for j in range(16)]
    y = sum((hi * 0.5 for hi in h), Value(0.0))
    with pytest.raises(ValueError, match="more than max_nodes=1000"):
        draw_dot(y)
    leaves = [Value(hi.data, label=f"h{i}") for i, hi in enumerate(h)]
    w = [Value(0.5, label=f"w{i}") for i in range(16)]
    out = sum((wi * hi for wi, hi in zip(w, leaves)), Value(0.0, label="b")).relu()
    labels = records(draw_dot(out).source)
    assert len(labels) == len(topological_order(out)) == 16 * 4 + 2
    assert sum(label.lstrip("{").startswith("h") for label in labels.values()) == 16


def test_repr_has_no_memory_address() -> None:
    x = Value(2.0, label="x")
    graph = draw_dot((x * x).tanh())
    assert repr(graph) == "<draw_dot graph of 3 values>"


def test_rendering_changes_no_global_state(renderer: str, tmp_path: Path) -> None:
    import graphviz

    before = graphviz.backend.dot_command.DOT_BINARY
    graph = draw_dot(neuron())
    graph.pipe(format="svg")
    graph._repr_mimebundle_()
    graph.render(tmp_path / "neuron")
    assert graphviz.backend.dot_command.DOT_BINARY == before == Path("dot")


def test_render_takes_graphvizs_outfile_and_cleanup(renderer: str, tmp_path: Path) -> None:
    out = draw_dot(neuron()).render(outfile=tmp_path / "picture.svg", cleanup=True)
    assert out == str(tmp_path / "picture.svg")
    assert "v0" in svg_nodes(Path(out).read_bytes())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["picture.svg"]


def test_greek_labels_render_with_nothing_on_stderr(
    renderer: str, capfd: pytest.CaptureFixture[str]
) -> None:
    # graphviz-pure used to print "no value for width of non-ASCII character 206" here.
    x = Value(0.5, label="θ")
    y = (x * Value(2.0, label="σ")).tanh()
    y.label = "δ = tanh(θσ)"
    nodes = svg_nodes(draw_dot(y).pipe(format="svg"))
    assert any(texts[0] == "δ = tanh(θσ)" for texts in nodes.values())
    draw_dot(y)._repr_mimebundle_()
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_other_graphviz_warnings_still_reach_stderr(
    renderer: str, capfd: pytest.CaptureFixture[str]
) -> None:
    graph = draw_dot(Value(1.0, label="θ"))
    graph.attr(splines="no-such-value")
    graph.pipe(format="svg")
    err = capfd.readouterr().err
    assert "no-such-value" in err
    assert "non-ASCII" not in err


# ----- readable in a notebook, themes and sizes for slides --------------------------------------

# JupyterLab's output area at 1,280 px, with the file browser open, is 833 px wide (96 px: 72 pt).
PAGE_PT = OUTPUT_AREA_PX * 72 / 96


def notebook_01_graph() -> Value:
    """The error of one sigmoid unit, written out as notebook 01 draws it (17 values)."""
    x1, x2 = Value(0.5, label="x1"), Value(-1.0, label="x2")
    w1, w2, b = Value(0.8, label="w1"), Value(0.3, label="w2"), Value(0.2, label="b")
    o = (w1 * x1 + w2 * x2 + b).sigmoid()
    o.label = "o"
    error = 0.5 * (1.0 - o) ** 2
    error.label = "E"
    error.backward()
    return error


def notebook_02_graph() -> Value:
    """Notebook 02's 2-2-1 sigmoid network and its squared error (33 values)."""
    x = [Value(0.6, label="x1"), Value(-0.4, label="x2")]
    a = [
        (
            Value(0.9, label=f"w1{j}") * x[0]
            + Value(-0.8, label=f"w2{j}") * x[1]
            + Value(0.0, label=f"b{j}")
        ).sigmoid()
        for j in (1, 2)
    ]
    out = (
        Value(0.67, label="w1o") * a[0] + Value(0.47, label="w2o") * a[1] + Value(0.0, label="bo")
    ).sigmoid()
    error = 0.5 * (0.9 - out) ** 2
    error.backward()
    return error


def svg_size(svg: bytes | str) -> tuple[float, float]:
    """The width and height of an SVG in pt."""
    root = ET.fromstring(svg)
    return float(root.get("width", "").removesuffix("pt")), float(
        root.get("height", "").removesuffix("pt")
    )


@pytest.mark.parametrize("make", [notebook_01_graph, notebook_02_graph, neuron])
def test_the_lessons_graphs_fit_a_notebook_page(renderer: str, make: Any) -> None:
    root = make()
    graph = draw_dot(root)
    width, _ = svg_size(graph.pipe(format="svg"))
    assert width <= PAGE_PT, (make.__name__, width)
    # At the size they are drawn: 11 pt text, 14.7 px on the page.
    assert "fontsize=11" in graph.source


def test_left_to_right_they_would_not_fit(renderer: str) -> None:
    # The old default, kept as a choice: what the automatic direction saves the reader.
    width, _ = svg_size(draw_dot(notebook_02_graph(), rankdir="LR").pipe(format="svg"))
    assert width > PAGE_PT


@pytest.mark.parametrize(
    ("theme", "background", "ink"),
    [
        ("light", "white", "black"),
        ("dark", "#111827", "#e5e7eb"),
        ("transparent", "transparent", "black"),
        ("transparent-dark", "transparent", "#e5e7eb"),
    ],
)
def test_themes_set_background_and_ink(theme: str, background: str, ink: str) -> None:
    source = draw_dot(neuron(), theme=theme).source
    assert f'bgcolor="{background}"' in source or f"bgcolor={background}" in source
    assert f'color="{ink}"' in source or f"color={ink}" in source
    assert f'fontcolor="{ink}"' in source or f"fontcolor={ink}" in source


def test_a_dark_graph_renders_dark(renderer: str) -> None:
    svg = draw_dot(neuron(), theme="dark").pipe(format="svg").decode()
    # The background polygon Graphviz draws first, then light text.
    assert 'fill="#111827"' in svg
    assert 'fill="#e5e7eb"' in svg
    transparent = draw_dot(neuron(), theme="transparent").pipe(format="svg").decode()
    assert 'fill="white" stroke="none"' not in transparent.split('<g id="node', 1)[0]
    # For a dark slide: no background, and the dark theme's light ink.
    for_dark = draw_dot(neuron(), theme="transparent-dark").pipe(format="svg").decode()
    assert 'fill="#111827" stroke="none"' not in for_dark.split('<g id="node', 1)[0]
    assert 'fill="#e5e7eb"' in for_dark and 'stroke="#e5e7eb"' in for_dark


def test_bad_looks_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"theme must be one of .*'dark'.* got 'neon'"):
        draw_dot(neuron(), theme="neon")
    with pytest.raises(ValueError, match=r"size must be \(width, height\) in inches"):
        draw_dot(neuron(), size=(0, 3))
    with pytest.raises(ValueError, match="dpi must be a positive number, got -1"):
        draw_dot(neuron(), dpi=-1)


def test_a_fixed_size_fills_it(renderer: str) -> None:
    # For a slide: 10 x 5 inches is 720 x 360 pt, the drawing scaled to touch one side.
    width, height = svg_size(draw_dot(notebook_01_graph(), size=(10, 5)).pipe(format="svg"))
    assert (width == pytest.approx(720, abs=1) and height <= 361) or (
        height == pytest.approx(360, abs=1) and width <= 721
    )


def test_png_at_a_chosen_dpi(renderer: str, tmp_path: Path) -> None:
    width_pt, height_pt = svg_size(draw_dot(neuron()).pipe(format="svg"))
    for dpi in (72, 144):
        path = save_png(neuron(), tmp_path / f"neuron-{dpi}.png", dpi=dpi)
        width, height = png_size(path.read_bytes())
        assert width == pytest.approx(width_pt * dpi / 72, abs=3), dpi
        assert height == pytest.approx(height_pt * dpi / 72, abs=3), dpi


def test_a_gradient_never_computed_is_not_drawn_as_zero() -> None:
    # micrograd's most asked question: "why are all grads zero in the graph?"
    x, w = Value(-2.0, label="x"), Value(3.0, label="w")
    y = (x * w).relu()  # relu of -6: every gradient below it is a true 0.0
    y.label = "y"
    before = records(draw_dot(y).source)
    assert all(label.endswith("|grad ?") for label in before.values()), before
    y.backward()
    after = records(draw_dot(y).source)
    assert after["v0"] == "x|data -2|grad 0"
    assert after[f"v{len(after) - 1}"] == "y|data 0|grad 1"
    assert not any("grad ?" in label for label in after.values())
    # The picture says what "grad ?" means, only when it shows one.
    assert "no backward pass has reached this value yet" in draw_dot((x * w).relu()).source
    assert "no backward pass" not in draw_dot(y).source


# ----- big graphs collapsed ----------------------------------------------------------------------


def mlp_sample() -> tuple[Any, Value]:
    """One sample's forward pass through MLP(2, [16, 16, 1]): 404 values."""
    from nn import MLP

    model = MLP(2, [16, 16, 1], seed=0)
    y = model([Value(0.5, label="x0"), Value(-1.0, label="x1")])
    y.backward()
    return model, y


def groups_in(source: str) -> dict[str, str]:
    """Box name -> label, for the boxes of collapsed groups."""
    return dict(re.findall(r'^\t(group\d+) \[label="(.*?)"', source, flags=re.M))


def test_an_mlp_sample_collapses_to_a_box_per_layer() -> None:
    model, y = mlp_sample()
    assert len(topological_order(y)) == 404
    source = draw_dot(y, collapse=model.layers).source
    boxes = {name: label.strip("{}") for name, label in groups_in(source).items()}
    # A neuron is its weights, its bias, its dot node (w . x + b) and its activation: Layer 3's
    # one is linear, and its dot node is the output, the root.
    assert boxes == {
        "group0": r"Layer\ 1|80 values",
        "group1": r"Layer\ 2|304 values",
        "group2": r"Layer\ 3|18 values",
    }
    # Outside the boxes: the two inputs; the root, Layer 3's, is drawn as itself after its box.
    assert sorted(label.strip("{}") for label in records(source).values()) == [
        "data 0.3318|grad 1", "x0|data 0.5|grad 1.094", "x1|data -1|grad 0.2153"
    ]  # fmt: skip
    assert 80 + 304 + 18 + 2 == 404
    assert edges_with_labels(source)[("group0", "group1")] == "16 values"
    assert edges_with_labels(source)[("group2", "v403")] == "1 value"


def edges_with_labels(source: str) -> dict[tuple[str, str], str]:
    found = re.findall(r'^\t(\w+) -> (\w+)(?: \[label=" (.*?)"\])?$', source, flags=re.M)
    return {(a, b): label for a, b, label in found}


def svg_edges(svg: bytes | str) -> dict[tuple[str, str], str]:
    """Parse SVG as XML: (tail, head) -> the edge's label ("" for none), for every edge drawn."""
    drawn = {}
    for group in ET.fromstring(svg).iter(SVG + "g"):
        if group.get("class") == "edge":
            title = group.find(SVG + "title")
            assert title is not None and title.text is not None
            tail, head = title.text.split("->")
            texts = [t.text or "" for t in group.iter(SVG + "text")]
            drawn[(tail.split(":")[0], head.split(":")[0])] = " ".join(texts).strip()
    return drawn


def mlp_losses() -> dict[str, tuple[Any, Value]]:
    """One sample through MLP(2, [16, 16, 1]): its output alone, an mse loss and a BCE loss on
    the logit (whose softplus is the loss's own, not the last layer's)."""
    from nn import MLP, binary_cross_entropy, mse_loss

    made = {}
    for kind in ("output", "mse", "bce"):
        model = MLP(2, [16, 16, 1], seed=0)
        y = model([Value(0.5, label="x0"), Value(-1.0, label="x1")])
        assert isinstance(y, Value)
        loss = {
            "output": y,
            "mse": mse_loss(y, 1.0),
            "bce": binary_cross_entropy(y, 1.0, from_logits=True),
        }[kind]
        loss.label = "loss"
        loss.backward()
        made[kind] = model, loss
    return made


@pytest.mark.parametrize("kind", ["output", "mse", "bce"])
def test_collapsed_layers_draw_the_chain_to_the_loss(renderer: str, kind: str) -> None:
    model, loss = mlp_losses()[kind]
    svg = draw_dot(loss, collapse=model.layers).pipe(format="svg")
    nodes, drawn = svg_nodes(svg), svg_edges(svg)
    # A neuron is its weights, its bias and its dot node (w . x + b); Layer 3's is linear.
    assert nodes["group0"] == ["Layer 1", "80 values"]
    assert nodes["group1"] == ["Layer 2", "304 values"]
    assert nodes["group2"] == ["Layer 3", "18 values"], "the loss's own nodes stay outside"
    # Layer 1 -> Layer 2 -> Layer 3 -> loss, each edge labelled with what it carries.
    assert drawn[("group0", "group1")] == "16 values"
    assert drawn[("group1", "group2")] == "16 values"
    out_of = {box: {head for tail, head in drawn if tail == box} for box in nodes if "group" in box}
    assert out_of == {"group0": {"group1"}, "group1": {"group2"}, "group2": out_of["group2"]}
    assert out_of["group2"] and not any("group" in head for head in out_of["group2"])
    assert all(drawn[("group2", head)] == "1 value" for head in out_of["group2"])
    # The loss is drawn as itself, outside Layer 3's box, downstream of it.
    (loss_node,) = [name for name, texts in nodes.items() if texts and texts[0] == "loss"]
    assert loss_node.startswith("v")
    assert reaches(drawn, "group2", loss_node)
    if kind == "bce":
        assert any(texts == ["softplus"] for texts in nodes.values())


def reaches(drawn: dict[tuple[str, str], str], start: str, goal: str) -> bool:
    """True when a path of drawn edges leads from `start` to `goal`."""
    seen, todo = {start}, [start]
    while todo:
        here = todo.pop()
        for tail, head in drawn:
            if tail == here and head not in seen:
                seen.add(head)
                todo.append(head)
    return goal in seen


def test_a_box_per_neuron_and_names_from_a_dict() -> None:
    model, y = mlp_sample()
    neurons = [n for layer in model.layers for n in layer.neurons]
    assert len(groups_in(draw_dot(y, collapse=neurons).source)) == 33
    named = draw_dot(y, collapse={"hidden": model.layers[0], "out": model.layers[2]}).source
    assert [label.strip("{}").split("|")[0] for label in groups_in(named).values()] == [
        "hidden",
        "out",
    ]
    # Layer 2, not collapsed, is drawn in full: 304 records of its own.
    assert len(records(named)) == 304 + 3


def test_a_loss_after_the_network_stays_outside() -> None:
    model, y = mlp_sample()
    loss = (y - 1.0) ** 2
    loss.label = "loss"
    source = draw_dot(loss, collapse=model.layers).source
    # The network's output is Layer 3's now (it is not the root); the loss is made from it and
    # a target, so it and its constants stay outside.
    assert groups_in(source)["group2"].strip("{}") == r"Layer\ 3|18 values"
    labels = sorted(records(source).values())
    assert len(labels) == len(topological_order(loss)) - (80 + 304 + 18)
    assert any(label.lstrip("{").startswith("loss|") for label in labels)


def test_a_loss_over_a_batch_collapses_to_a_box_per_layer_and_one_for_the_loss(
    renderer: str,
) -> None:
    from nn import MLP, binary_cross_entropy

    model = MLP(2, [16, 16, 1], seed=0)
    rng = random.Random(0)
    points = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(70)]
    labels = [float(a * b > 0) for a, b in points]
    loss = binary_cross_entropy([model(p) for p in points], labels, from_logits=True)
    loss.backward()
    assert len(topological_order(loss)) == 5518
    with pytest.raises(ValueError, match="collapse="):
        draw_dot(loss)
    graph = draw_dot(loss, collapse=model.layers)  # within max_nodes: it draws 5 boxes and one
    svg = graph.pipe(format="svg")
    nodes = svg_nodes(svg)
    assert [nodes[f"group{i}"][0] for i in range(4)] == ["Layer 1", "Layer 2", "Layer 3", "loss"]
    assert len(nodes) == 5  # the four boxes and the loss itself
    drawn = svg_edges(svg)
    assert drawn[("group2", "group3")] == "70 values"
    assert svg_size(svg)[0] <= PAGE_PT


def test_a_group_of_values_collapses_a_hand_written_neuron() -> None:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2, b = Value(-3.0, label="w1"), Value(1.0, label="w2"), Value(6.88, label="b")
    out = (x1 * w1 + x2 * w2 + b).tanh()  # products, sums and the activation: 8 values
    error = (out - 0.5) ** 2
    source = draw_dot(error, collapse=[w1, w2, b]).source
    assert groups_in(source) == {"group0": r"group\ 1|8 values"}
    # x1, x2, the constant -0.5 (made by `- 0.5`), out - 0.5 and its square stay outside.
    assert len(records(source)) == len(topological_order(error)) - 8


def test_a_bad_group_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match=r"draw_dot: a group must be .* got str: 'layer'"):
        draw_dot(neuron(), collapse=["layer"])
    with pytest.raises(TypeError, match="got int"):
        draw_dot(neuron(), clusters=3)


def test_clusters_frame_and_label_each_group() -> None:
    model, y = mlp_sample()
    source = draw_dot(y, clusters={"output layer": model.layers[2]}).source
    assert "subgraph cluster_0 {" in source
    cluster = source.split("subgraph cluster_0 {", 1)[1].split("\t}", 1)[0]
    assert 'label="output\\ layer"' in cluster or "label=output" in cluster
    assert len(records(cluster)) == 18  # the root, Layer 3's dot node, among them
    assert len(records(source)) == 404


def test_a_collapsed_mlp_renders(renderer: str) -> None:
    model, y = mlp_sample()
    svg = draw_dot(y, collapse=model.layers).pipe(format="svg")
    nodes = svg_nodes(svg)
    assert {"group0", "group1", "group2"} <= set(nodes)
    assert nodes["group1"] == ["Layer 2", "304 values"]
    width, _ = svg_size(svg)
    assert width <= PAGE_PT


def test_dpi_is_for_raster_output_only(renderer: str) -> None:
    # Graphviz would scale SVG by dpi / 72 as well; a screen's SVG stays at its size.
    assert svg_size(draw_dot(neuron(), dpi=300).pipe(format="svg")) == svg_size(
        draw_dot(neuron()).pipe(format="svg")
    )
