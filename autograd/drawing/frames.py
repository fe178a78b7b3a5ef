"""Backprop for slides: draw_steps's steps as one picture per step, or as one self-playing SVG.

save_frames(root, folder) writes step-001.svg (or .png), step-002.svg, ..., one per step of the
page draw_steps makes, and captions.txt with each step's sentence. Every record has the same
fixed size in every frame, so Graphviz lays every frame out alike and nothing moves between
slides. A frame shows what the page shows, in fills rather than text colours (they read from
the back of a room): a gradient being summed is amber, a final one green, the current node and
its op have a red border and the nodes it reads or sends to a blue one.
save_animation(root, path) puts the frames into one SVG that plays them by itself, with the
captions under the graph (SVG's own animation, SMIL: it plays in browsers, also in an <img>).
Imports only autograd.engine and the other drawing modules.
"""

from __future__ import annotations

import os
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd.drawing.page import PageStep
from autograd.drawing.render import RENDER_TIMEOUT
from autograd.drawing.stepper import STEPPER_MAX_NODES, page_steps, record_titles
from autograd.drawing.themes import Look, make_look
from autograd.drawing.viz import build_graph, node_names
from autograd.engine import Value

SVG_NS = "http://www.w3.org/2000/svg"


@dataclass(frozen=True)
class _Frame:
    """What one step shows: each record's data and grad lines and the look of its gradient
    (cr-unknown, cr-partial or cr-final), the current node and the ones it sends to."""

    lines: dict[str, tuple[str, str, str]]  # node name -> (data line, grad line, grad look)
    focus: frozenset[str]
    targets: frozenset[str]
    caption: str


def _frames(steps: list[PageStep]) -> list[_Frame]:
    """Replay the page's steps (each changes some texts) into what every step shows."""
    fields: dict[tuple[str, str], tuple[str, str]] = {}
    frames = []
    for step in steps:
        for change in step.changes:
            fields[change.node, change.field] = (change.text, change.look)
        lines = {}
        for (name, field), (text, _) in fields.items():
            if field == "data":
                grad_text, grad_look = fields[name, "grad"]
                lines[name] = (text, grad_text, grad_look)
        frames.append(_Frame(lines, frozenset(step.focus), frozenset(step.targets), step.text))
    return frames


def _frame_graph(
    order: list[Value],
    look: Look,
    frame: _Frame,
    sizes: dict[str, tuple[str, str]] | None,
    timeout: float | None,
) -> Any:
    """The Digraph of one frame; `sizes` (width, height in inches) fixes every record's size."""
    names = node_names(order)
    texts = {node: frame.lines[names[node]][:2] for node in order}
    extra: dict[str, dict[str, str]] = {}
    for name, (_, _, grad_look) in frame.lines.items():
        attrs = {}
        if grad_look == "cr-partial":
            attrs["fillcolor"] = look.theme.partial_fill
        elif grad_look == "cr-final":
            attrs["fillcolor"] = look.theme.final_fill
        if name in frame.targets:
            attrs |= {"color": look.theme.target, "penwidth": "2"}
        if sizes is not None:
            attrs |= {"width": sizes[name][0], "height": sizes[name][1], "fixedsize": "true"}
        extra[name] = attrs
    # The current node and its op, outlined as the page outlines them.
    for name in frame.focus:
        extra.setdefault(name, {}).update(color=look.theme.focus, penwidth="3")
    return build_graph(order, look, timeout, texts=texts, extra=extra, titles=record_titles(order))


def _record_sizes(
    order: list[Value], look: Look, frames: list[_Frame], timeout: float | None
) -> dict[str, tuple[str, str]]:
    """Each record's size (inches, as Graphviz writes it) when it shows the longest data and
    grad lines of any frame: a size that fits every frame."""
    longest = {}
    for name in frames[0].lines:
        data = max((frame.lines[name][0] for frame in frames), key=len)
        grad = max((frame.lines[name][1] for frame in frames), key=len)
        longest[name] = (data, grad, "cr-final")
    widest = _Frame(longest, frozenset(), frozenset(), "")
    plain = _frame_graph(order, look, widest, None, timeout).pipe(format="plain", encoding="utf-8")
    sizes = {}
    for line in plain.splitlines():
        # node NAME X Y WIDTH HEIGHT LABEL ...: our names are plain words (v3, v3_op).
        parts = line.split()
        if parts[0] == "node" and parts[1] in longest:
            sizes[parts[1]] = (parts[4], parts[5])
    return sizes


def _rendered_frames(
    root: Value,
    rankdir: str | None,
    theme: str,
    size: tuple[float, float] | None,
    dpi: float | None,
    max_nodes: int | None,
    timeout: float | None,
    caller: str,
) -> tuple[Look, list[_Frame], list[Any]]:
    """The look, the frames and each frame's Digraph, every record sized to fit all frames."""
    order, steps = page_steps(root, max_nodes, caller)
    look = make_look(order, rankdir, theme, size, dpi)
    frames = _frames(steps)
    sizes = _record_sizes(order, look, frames, timeout)
    return look, frames, [_frame_graph(order, look, frame, sizes, timeout) for frame in frames]


def save_frames(
    root: Value,
    folder: str | os.PathLike[str],
    format: str = "svg",
    *,
    rankdir: str | None = None,
    theme: str = "light",
    size: tuple[float, float] | None = None,
    dpi: float = 144,
    max_nodes: int | None = STEPPER_MAX_NODES,
    timeout: float | None = RENDER_TIMEOUT,
) -> list[Path]:
    """Write one picture per step of draw_steps(root) into `folder` (made if missing):
    step-001.svg, step-002.svg, ... (`format` "svg" or "png", PNG at `dpi` pixels per inch),
    and captions.txt, one line per step. `rankdir`, `theme` and `size` are draw_dot's.
    Returns the pictures' paths, in order. Leaves every .grad untouched."""
    if format not in ("svg", "png"):
        raise ValueError(f"save_frames: format must be 'svg' or 'png', got {format!r}")
    _, frames, graphs = _rendered_frames(
        root, rankdir, theme, size, dpi, max_nodes, timeout, "save_frames"
    )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    digits = max(3, len(str(len(frames))))
    paths = []
    for k, graph in enumerate(graphs, start=1):
        path = folder / f"step-{k:0{digits}d}.{format}"
        path.write_bytes(graph.pipe(format=format))
        paths.append(path)
    captions = "".join(frame.caption + "\n" for frame in frames)
    (folder / "captions.txt").write_text(captions, encoding="utf-8")
    return paths


def save_animation(
    root: Value,
    path: str | os.PathLike[str],
    *,
    seconds_per_step: float = 1.5,
    rankdir: str | None = None,
    theme: str = "light",
    size: tuple[float, float] | None = None,
    max_nodes: int | None = STEPPER_MAX_NODES,
    timeout: float | None = RENDER_TIMEOUT,
) -> Path:
    """Write one SVG that plays the steps of draw_steps(root) by itself, `seconds_per_step`
    each (the last held three times as long), over and over, with each step's sentence under
    the graph. `rankdir`, `theme` and `size` are draw_dot's. Returns the path."""
    if not seconds_per_step > 0:
        raise ValueError(f"save_animation: seconds_per_step must be > 0, got {seconds_per_step!r}")
    look, frames, graphs = _rendered_frames(
        root, rankdir, theme, size, None, max_nodes, timeout, "save_animation"
    )
    svgs = [graph.pipe(format="svg", encoding="utf-8") for graph in graphs]
    starts = [seconds_per_step * k for k in range(len(frames))]
    total = seconds_per_step * (len(frames) + 2)
    animation = _animate(svgs, [frame.caption for frame in frames], starts, total, look)
    path = Path(path)
    path.write_text(animation, encoding="utf-8")
    return path


def _animate(
    svgs: list[str], captions: list[str], starts: list[float], total: float, look: Look
) -> str:
    """One SVG from frames laid out alike: an element that is the same in every frame is kept
    once; one that changes is kept once per version, visible only while its frames are shown."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    trees = [ET.fromstring(svg[svg.index("<svg") :]) for svg in svgs]
    first = trees[0]
    groups = [tree.find(f"{{{SVG_NS}}}g") for tree in trees]
    assert all(g is not None for g in groups)
    merged = groups[0]
    versions: list[dict[bytes, list[int]]] = [{} for _ in merged]  # type: ignore[union-attr]
    for k, group in enumerate(groups):
        children = list(group)  # type: ignore[arg-type]
        assert len(children) == len(versions), "frames must be laid out alike"
        for i, child in enumerate(children):
            versions[i].setdefault(ET.tostring(child), []).append(k)
    for child in list(merged):  # type: ignore[arg-type]
        merged.remove(child)  # type: ignore[union-attr]
    for element_versions in versions:
        for data, shown in element_versions.items():
            element = ET.fromstring(data)
            if len(element_versions) > 1:
                _show_only(element, shown, starts, total)
            merged.append(element)  # type: ignore[union-attr]
    _add_captions(first, captions, starts, total, look)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(first, encoding="unicode")


def _show_only(element: ET.Element, shown: list[int], starts: list[float], total: float) -> None:
    """Make `element` visible only during the frames in `shown` (SMIL, discrete steps)."""
    values: list[str] = []
    times: list[str] = []
    on = set(shown)
    for k, start in enumerate(starts):
        value = "visible" if k in on else "hidden"
        if not values or values[-1] != value:
            values.append(value)
            times.append(f"{start / total:.6f}")
    element.set("visibility", "hidden")
    ET.SubElement(
        element,
        f"{{{SVG_NS}}}animate",
        attributeName="visibility",
        values=";".join(values),
        keyTimes=";".join(times),
        calcMode="discrete",
        dur=f"{total:g}s",
        repeatCount="indefinite",
    )


def _add_captions(
    svg: ET.Element, captions: list[str], starts: list[float], total: float, look: Look
) -> None:
    """Grow the picture by a band below the graph and show each frame's caption in it."""
    _, _, width, height = (float(v) for v in svg.get("viewBox", "0 0 0 0").split())
    chars = max(30, int(width / 6))  # about 6 pt a character at 12 pt
    wrapped = [textwrap.wrap(caption, chars) or [""] for caption in captions]
    band = 16 * max(len(lines) for lines in wrapped) + 12
    # The band in the picture's own units; its size on the page grows in the same proportion.
    shown = float(svg.get("height", "0pt").removesuffix("pt"))
    svg.set("height", f"{shown * (height + band) / height:.2f}pt")
    svg.set("viewBox", f"0 0 {width:g} {height + band:g}")
    if look.theme.background != "transparent":
        ET.SubElement(
            svg, f"{{{SVG_NS}}}rect", x="0", y=f"{height:g}", width=f"{width:g}",
            height=f"{band:g}", fill=look.theme.background,
        )  # fmt: skip
    for k, lines in enumerate(wrapped):
        text = ET.SubElement(
            svg, f"{{{SVG_NS}}}text", x="8", y=f"{height + 16:g}", fill=look.theme.ink,
            attrib={"font-family": "Times,serif", "font-size": "12.00", "class": "cr-caption"},
        )  # fmt: skip
        for j, line in enumerate(lines):
            span = ET.SubElement(text, f"{{{SVG_NS}}}tspan", x="8", dy="0" if j == 0 else "16")
            span.text = line
        _show_only(text, [k], starts, total)
