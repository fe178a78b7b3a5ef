"""Execute every notebook afresh, top to bottom, in a real Jupyter kernel: one test per notebook.

A notebook fails its test on any error in any cell, and when it shows no picture (every lesson
draws at least one computation graph or plot). The same function regenerates the committed
outputs: `make notebooks` runs this file as a script, which executes each notebook and writes it
back in place.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
IMAGE_TYPES = ("image/svg+xml", "image/png")


def execute(path: Path) -> nbformat.NotebookNode:
    """Run the notebook at path in a fresh python3 kernel, in its own folder; return it run."""
    nb = nbformat.read(path, as_version=4)
    # The widgets' state is the last run's (nbclient writes it anew when a run makes widgets):
    # a stale one would keep, say, an old progress bar's timings in the file.
    nb.metadata.pop("widgets", None)
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        # No timestamps in the cells' metadata, so regenerating leaves a small diff.
        record_timing=False,
        # One block of text per cell and stream, as Jupyter shows it, not one per print.
        coalesce_streams=True,
        extra_arguments=["--InteractiveShell.colors=nocolor"],
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return nb


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def stable_widget_ids(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The notebook with its widgets' model ids numbered, the same on every run.

    The kernel names each widget model with a random id, which the saved widget state, its
    references (`IPY_MODEL_<id>`) and the outputs that show the widget all carry: so a re-run
    would change the file. Each id becomes one made from the notebook's name and the model's place
    in the saved state (the order the run made them), everywhere it appears.
    """
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    shown = [
        output["data"][WIDGET_VIEW]["model_id"]
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if WIDGET_VIEW in output.get("data", {})
    ]
    ids = list(dict.fromkeys([*state, *shown]))
    text = nbformat.writes(nb)
    for place, old in enumerate(ids):
        text = text.replace(old, uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/widget/{place}").hex)
    return nbformat.reads(text, as_version=4)


def widget_ids(nb: nbformat.NotebookNode) -> list[str]:
    """The model ids of the notebook's saved widget state."""
    return sorted(nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {}))


def images(nb: nbformat.NotebookNode) -> list[str]:
    """The MIME type of every SVG or PNG output in the notebook."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            found.extend(kind for kind in IMAGE_TYPES if kind in output.get("data", {}))
    return found


def test_notebooks_are_numbered_lessons() -> None:
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"
    for path in NOTEBOOKS:
        assert path.name[:2].isdigit() and path.name[2] == "_", path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_committed_notebook_has_its_outputs(path: Path) -> None:
    # Learners browsing the repository see the stored outputs: `make notebooks` writes them.
    nb = nbformat.read(path, as_version=4)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.get("execution_count") for cell in code_cells), f"run make notebooks: {path}"
    assert images(nb), f"{path.name} is stored without its pictures: run make notebooks"


# What a viewer without widgets or JavaScript shows (GitHub, a terminal) is the text of each
# output: it must be the finished result, and the same on every run.
UNCLEAN_TEXT = {
    "a progress bar stuck at its start": re.compile(r"\b0%\|"),
    "a memory address": re.compile(r" at 0x[0-9a-fA-F]+"),
    # tqdm's elapsed and remaining time and rate change on every run, and so would the file.
    "a progress bar's timing": re.compile(r"\[\d\d:\d\d<|\d(it|step)/s\]"),
}


def output_texts(nb: nbformat.NotebookNode) -> list[str]:
    """The text of every stream output and the text/plain fallback of every other output."""
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                texts.append(output["text"])
            texts.append(output.get("data", {}).get("text/plain", ""))
    return texts


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_committed_text_fallbacks_are_clean(path: Path) -> None:
    texts = output_texts(nbformat.read(path, as_version=4))
    for what, pattern in UNCLEAN_TEXT.items():
        found = [m.group(0) for text in texts for m in pattern.finditer(text)]
        assert not found, f"{path.name} shows {what} in its text outputs: {found}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_committed_widget_ids_are_the_stable_ones(path: Path) -> None:
    # make notebooks writes them (a run's random ids would change the file on every run).
    nb = nbformat.read(path, as_version=4)
    assert nbformat.writes(stable_widget_ids(nb, path.name)) == nbformat.writes(nb)


def test_stable_widget_ids_rename_a_model_everywhere_it_appears() -> None:
    def run(model: str, layout: str) -> nbformat.NotebookNode:
        """A notebook as a run saves one widget (a model and its layout's model)."""
        nb = nbformat.v4.new_notebook()
        view = {WIDGET_VIEW: {"model_id": model, "version_major": 2, "version_minor": 1}}
        output = nbformat.v4.new_output("display_data", data=view)
        nb.cells.append(nbformat.v4.new_code_cell("w", id="cell", outputs=[output]))
        state = {layout: {"state": {}}, model: {"state": {"layout": f"IPY_MODEL_{layout}"}}}
        nb.metadata["widgets"] = {WIDGET_STATE: {"state": state}}
        return nb

    first = stable_widget_ids(run("a1" * 16, "b2" * 16), "lesson.ipynb")
    second = stable_widget_ids(run("c3" * 16, "d4" * 16), "lesson.ipynb")
    assert nbformat.writes(first) == nbformat.writes(second)
    model = first.cells[0].outputs[0].data[WIDGET_VIEW]["model_id"]
    (layout,) = set(widget_ids(first)) - {model}
    state = first.metadata.widgets[WIDGET_STATE]["state"]
    assert state[model]["state"]["layout"] == f"IPY_MODEL_{layout}"
    assert "a1a1" not in nbformat.writes(first) and "b2b2" not in nbformat.writes(first)


# Lessons that need an optional extra (import name, extra): without it, their run is skipped
# and says why. CI installs torch, so there they run like the others.
NEEDS = {"05_from_scalars_to_tensors.ipynb": ("torch", "torch")}


def skip_without_extra(path: Path) -> None:
    if path.name in NEEDS:
        module, extra = NEEDS[path.name]
        pytest.importorskip(module, reason=f"{path.name} needs pip install 'chainrule[{extra}]'")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_notebook_runs_and_shows_a_picture(path: Path) -> None:
    skip_without_extra(path)
    nb = execute(path)
    assert images(nb), f"{path.name} shows no SVG or PNG image"
    # A re-run writes the committed widget ids again, so `make notebooks` leaves them as they are.
    committed = nbformat.read(path, as_version=4)
    assert widget_ids(stable_widget_ids(nb, path.name)) == widget_ids(committed)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            # Every graph fits a 1,400 px page (1,050 pt) at the size it is drawn.
            svg = output.get("data", {}).get("image/svg+xml")
            if svg is not None:
                size = re.search(r'<svg width="([\d.]+)pt"', svg)
                assert size is not None, (path.name, cell.source[:60])
                assert float(size.group(1)) <= 1050, (path.name, cell.source[:60], size.group(1))
            # Graphviz's warnings (non-ASCII labels) would show in the notebook.
            assert "Warning" not in output.get("text", ""), (path.name, output["text"])


def main() -> None:
    """Regenerate the committed outputs of every notebook (`make notebooks`)."""
    total = 0.0
    for path in NOTEBOOKS:
        if path.name in NEEDS and importlib.util.find_spec(NEEDS[path.name][0]) is None:
            print(
                f"{path.name}: skipped, it needs the {NEEDS[path.name][1]} extra", file=sys.stderr
            )
            continue
        start = time.perf_counter()
        nb = stable_widget_ids(execute(path), path.name)
        seconds = time.perf_counter() - start
        total += seconds
        nbformat.write(nb, path)
        print(f"{path.relative_to(NOTEBOOK_DIR.parent)}: {seconds:.1f} s", file=sys.stderr)
    print(f"all notebooks: {total:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
