"""Backprop for slides: one picture per step of the stepper, and one self-playing SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

# The stepper tests' graph and draw_dot's tests' choice of renderer (headless Chromium, the
# `browser` fixture, comes from conftest.py).
from test_stepper import classic_neuron as neuron
from test_viz import renderer  # noqa: F401

from autograd import draw_steps, save_animation, save_frames
from autograd.engine import topological_order

SVG = "{http://www.w3.org/2000/svg}"


def nodes(svg: ET.Element) -> dict[str, tuple[list[str], str, str]]:
    """Node name -> (its texts, its outline's points, its fill), from a frame."""
    found = {}
    for group in svg.iter(SVG + "g"):
        if group.get("class") == "node":
            title = group.find(SVG + "title")
            outline = group.find(SVG + "polygon")
            if title is None or outline is None:
                continue  # an op's ellipse
            texts = [t.text or "" for t in group.iter(SVG + "text")]
            found[title.text or ""] = (texts, outline.get("points", ""), outline.get("fill", ""))
    return found


@pytest.mark.usefixtures("renderer")
def test_one_valid_svg_per_step_laid_out_alike(tmp_path: Path) -> None:
    o = neuron()
    page = draw_steps(o)
    paths = save_frames(o, tmp_path / "frames")
    assert [p.name for p in paths] == [f"step-{k:03d}.svg" for k in range(1, len(page.steps) + 1)]
    frames = [ET.parse(p).getroot() for p in paths]  # each one parses as XML, as SVG
    assert all(frame.tag == SVG + "svg" for frame in frames)
    assert len({(f.get("width"), f.get("height"), f.get("viewBox")) for f in frames}) == 1
    drawn = [nodes(frame) for frame in frames]
    # Nothing moves between slides: every record has the same outline in every frame.
    for name in drawn[0]:
        assert len({frame[name][1] for frame in drawn}) == 1, name
    captions = (tmp_path / "frames" / "captions.txt").read_text(encoding="utf-8").splitlines()
    assert captions == [step.text for step in page.steps]
    # The first frame knows only the inputs; the last shows the engine's gradients.
    order = topological_order(o)
    names = {node: f"v{i}" for i, node in enumerate(order)}
    assert all(drawn[0][names[n]][0][-1] == "grad ?" for n in order)
    o.backward()
    for node in order:
        assert drawn[-1][names[node]][0][-2:] == [f"data {node.data:.4g}", f"grad {node.grad:.4g}"]
        assert drawn[-1][names[node]][2] == "#dcfce7"  # final: green


@pytest.mark.usefixtures("renderer")
def test_each_frame_outlines_the_current_node_and_its_op_as_the_page_does(tmp_path: Path) -> None:
    o = neuron()
    page = draw_steps(o)
    paths = save_frames(o, tmp_path / "frames")
    checked = 0
    for step, path in zip(page.steps, paths):
        outlines = {}
        for group in ET.parse(path).getroot().iter(SVG + "g"):
            title = group.find(SVG + "title")
            shape = group.find(SVG + "polygon")
            shape = group.find(SVG + "ellipse") if shape is None else shape
            if group.get("class") == "node" and title is not None and shape is not None:
                outlines[title.text] = (shape.get("stroke"), shape.get("stroke-width"))
        red = {name for name, (stroke, _) in outlines.items() if stroke == "#dc2626"}
        assert red == set(step.focus), step.text
        for name in step.focus:
            assert outlines[name][1] == "3", (name, step.text)
        checked += any(name.endswith("_op") for name in step.focus)
    assert checked >= len(topological_order(o)) - 5  # every step that runs an op's rule


@pytest.mark.usefixtures("renderer")
def test_png_frames_at_a_chosen_dpi(tmp_path: Path) -> None:
    o = neuron()
    svg = ET.parse(save_frames(o, tmp_path / "svg")[0]).getroot()
    width_pt = float(svg.get("width", "").removesuffix("pt"))
    paths = save_frames(o, tmp_path / "png", "png", dpi=150)
    assert len(paths) == len(draw_steps(o).steps)
    for path in paths:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(data[16:20], "big") == pytest.approx(width_pt * 150 / 72, abs=3)


def test_frames_refuse_a_format_they_cannot_write(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format must be 'svg' or 'png', got 'gif'"):
        save_frames(neuron(), tmp_path, "gif")
    assert not any(tmp_path.iterdir())


@pytest.mark.usefixtures("renderer")
def test_the_animation_is_one_svg_with_every_frame(tmp_path: Path) -> None:
    o = neuron()
    path = save_animation(o, tmp_path / "backprop.svg", seconds_per_step=0.5)
    svg = ET.parse(path).getroot()
    assert svg.tag == SVG + "svg"
    animations = list(svg.iter(SVG + "animate"))
    assert animations and all(a.get("repeatCount") == "indefinite" for a in animations)
    captions = [t for t in svg.iter(SVG + "text") if t.get("class") == "cr-caption"]
    assert len(captions) == len(draw_steps(o).steps)
    # Smaller than the frames side by side: what never changes is kept once.
    frames = save_frames(o, tmp_path / "frames")
    assert path.stat().st_size < sum(p.stat().st_size for p in frames) / 2
    with pytest.raises(ValueError, match="seconds_per_step must be > 0"):
        save_animation(o, tmp_path / "x.svg", seconds_per_step=0)


# ----- the animation, played in a real browser ------------------------------------------------

SHOWN_AT = """
const svg = document.documentElement;
svg.pauseAnimations();
svg.setCurrentTime(arguments[0]);
const out = {};
for (const g of document.querySelectorAll('g.node')) {
  if (getComputedStyle(g).visibility !== 'visible') continue;
  const name = g.querySelector('title').textContent;
  if (name.endsWith('_op')) continue;
  out[name] = Array.from(g.querySelectorAll('text')).map(t => t.textContent);
}
const caption = Array.from(document.querySelectorAll('text.cr-caption'))
  .filter(t => getComputedStyle(t).visibility === 'visible')
  .map(t => Array.from(t.querySelectorAll('tspan')).map(s => s.textContent).join(' '));
return {nodes: out, caption: caption};
"""


@pytest.mark.usefixtures("renderer")
def test_each_moment_of_the_animation_shows_its_frame(browser: Any, tmp_path: Path) -> None:
    o = neuron()
    step = 0.5
    path = save_animation(o, tmp_path / "backprop.svg", seconds_per_step=step)
    frames = [nodes(ET.parse(p).getroot()) for p in save_frames(o, tmp_path / "frames")]
    captions = [s.text for s in draw_steps(o).steps]
    browser.get(path.as_uri())
    for k in range(len(frames)):
        shown = browser.execute_script(SHOWN_AT, step * k + step / 2)
        assert shown["nodes"] == {name: texts for name, (texts, _, _) in frames[k].items()}, k
        assert " ".join(shown["caption"]).split() == captions[k].split(), k
    assert browser.get_log("browser") == []
