"""The layout's rules, checked on folders: imports point one way, nn -> autograd -> standard
library. The engine is the modules at the top of autograd/; each folder of autograd imports the
engine and its own modules, nothing beside it; the engine imports no folder. Nothing here keeps
a hand-written list of modules: a new file or folder is checked by where it stands."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.conftest import run_python

ROOT = Path(__file__).resolve().parent.parent
AUTOGRAD = ROOT / "autograd"
ENGINE = sorted(AUTOGRAD.glob("*.py"))
FOLDERS = sorted(p for p in AUTOGRAD.iterdir() if (p / "__init__.py").exists())
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


def imports(path: Path, top_level_only: bool = False) -> set[str]:
    """The modules a file imports (every import, or only those run when it is imported)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def engine_modules() -> set[str]:
    return {module_name(p) for p in ENGINE if p.name != "__init__.py"}


def test_the_layout_is_an_engine_and_folders_beside_it() -> None:
    assert {"autograd.engine", "autograd.primitives", "autograd.modes"} <= engine_modules()
    assert {p.name for p in FOLDERS} == {"checking", "drawing", "compiling"}


@pytest.mark.parametrize("path", [p for p in ENGINE if p.name != "__init__.py"], ids=str)
def test_the_engine_needs_only_the_standard_library_and_imports_no_folder(path: Path) -> None:
    modules = imports(path)
    ours = {m for m in modules if m.split(".")[0] == "autograd"}
    assert ours <= engine_modules(), (path.name, ours - engine_modules())
    assert {m.split(".")[0] for m in modules - ours} <= STDLIB, path.name


def folder_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_a_folder_imports_the_engine_and_itself_and_nothing_beside_it(folder: Path) -> None:
    allowed = engine_modules()
    own = module_name(folder / "__init__.py")
    for path in folder_files(folder):
        ours = {m for m in imports(path) if m.split(".")[0] == "autograd"}
        outside = {m for m in ours if m not in allowed and not m.startswith(own + ".")}
        assert not outside, (str(path.relative_to(ROOT)), outside)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_a_folder_imports_nothing_outside_the_standard_library_at_import_time(
    folder: Path,
) -> None:
    # graphviz (drawing) and numpy (compiling) are imported inside the functions that need them.
    for path in folder_files(folder):
        modules = imports(path, top_level_only=True)
        third_party = {m.split(".")[0] for m in modules} - STDLIB - {"autograd"}
        assert not third_party, (str(path.relative_to(ROOT)), third_party)


def test_nothing_in_autograd_names_nn() -> None:
    for path in AUTOGRAD.rglob("*.py"):
        assert not any(m == "nn" or m.startswith("nn.") for m in imports(path)), path


def test_nn_imports_autograd_by_its_public_names_only() -> None:
    for path in sorted((ROOT / "nn").rglob("*.py")):
        ours = {m for m in imports(path) if m.split(".")[0] == "autograd"}
        assert ours <= {"autograd"}, (path.name, ours)


@pytest.mark.parametrize("absent", ["nn", "numpy", "graphviz"])
def test_importing_autograd_imports_neither_nn_nor_the_optional_libraries(absent: str) -> None:
    result = run_python(f"import sys, autograd; print({absent!r} in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_nn_refuses_a_foreign_autograd(tmp_path: Path) -> None:
    # A stand-in for HIPS autograd: same import name, no Value.
    fake = tmp_path / "autograd"
    fake.mkdir()
    (fake / "__init__.py").write_text("grad = None\n")
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import nn"
    result = run_python(code, cwd=tmp_path)
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "HIPS" in result.stderr
    assert "autograd" in result.stderr


def test_importing_nn_imports_no_widget_library() -> None:
    # nn.Playground imports anywidget (the `live` extra) when one is made, never before: `make
    # demo` and every other use of nn work without it.
    result = run_python(
        "import sys, nn; print('anywidget' in sys.modules, 'ipywidgets' in sys.modules)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False"
