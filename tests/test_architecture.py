"""Imports point one way: nn -> autograd -> standard library. Checked in fresh interpreters."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False
    )


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_importing_autograd_never_imports_nn() -> None:
    result = run_python("import sys, autograd; print('nn' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_autograd_sources_never_name_nn() -> None:
    for path in (ROOT / "autograd").glob("*.py"):
        assert not any(m == "nn" or m.startswith("nn.") for m in imported_modules(path)), path


def test_engine_needs_only_the_standard_library() -> None:
    # The primitives' table needs nothing; the engine needs only the table.
    for name, ours_allowed in (("primitives.py", set()), ("engine.py", {"autograd.primitives"})):
        modules = imported_modules(ROOT / "autograd" / name)
        ours = {m for m in modules if m.startswith("autograd")}
        third_party = {m.split(".")[0] for m in modules - ours}
        assert ours <= ours_allowed, (name, ours)
        assert third_party <= set(sys.stdlib_module_names) | {"__future__"}, (name, third_party)


# The gradient checks: which of autograd's own modules each may import.
GRADCHECK = {
    "gradcheck.py": {"autograd.engine", "autograd.differences", "autograd.gradcheck_report"},
    "differences.py": {"autograd.engine"},
    "gradcheck_report.py": set(),
    "by_hand.py": {"autograd.engine", "autograd.gradcheck_report"},
}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck_imports_only_the_engine(name: str) -> None:
    path = ROOT / "autograd" / name
    ours = {m for m in imported_modules(path) if m.startswith("autograd")}
    assert ours <= GRADCHECK[name], (name, ours)


# The drawing modules: each may import the engine and the other drawing modules, nothing else of
# ours (never nn, never gradcheck).
DRAWING = {"viz", "stepper", "render", "page", "themes", "collapse", "frames"}


def test_drawing_modules_import_only_the_engine_and_each_other() -> None:
    allowed = {"autograd.engine"} | {f"autograd.{name}" for name in DRAWING}
    found = [name for name in DRAWING if (ROOT / "autograd" / f"{name}.py").exists()]
    assert {"viz", "stepper", "render", "page"} <= set(found)
    for name in found:
        ours = {
            m
            for m in imported_modules(ROOT / "autograd" / f"{name}.py")
            if m.startswith("autograd")
        }
        assert ours <= allowed, (name, ours - allowed)


def test_the_renderer_page_themes_and_groups_import_at_most_the_engine() -> None:
    for name in ("render.py", "page.py", "themes.py", "collapse.py"):
        ours = {m for m in imported_modules(ROOT / "autograd" / name) if m.startswith("autograd")}
        assert ours <= {"autograd.engine"}, (name, ours)


def test_nothing_but_the_drawing_modules_imports_them() -> None:
    for path in (ROOT / "autograd").glob("*.py"):
        if path.stem in DRAWING or path.stem == "__init__":
            continue
        ours = {m for m in imported_modules(path) if m.startswith("autograd.")}
        assert not ours & {f"autograd.{name}" for name in DRAWING}, (path.name, ours)


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


# The compiler (compile_grad): each module may import the engine, the primitives' table and the
# other compiler modules, nothing else of ours; numpy only inside batched.load_numpy.
COMPILER = {
    "compiled",
    "batched",
    "numpy_replay",
    "codegen",
    "codetext",
    "matmul",
    "symbolic",
    "templates",
    "tracing",
}


def test_compiler_modules_import_only_the_engine_the_primitives_and_each_other() -> None:
    allowed = {"autograd.engine", "autograd.primitives"}
    allowed |= {f"autograd.{name}" for name in COMPILER}
    for name in COMPILER:
        modules = imported_modules(ROOT / "autograd" / f"{name}.py")
        ours = {m for m in modules if m.startswith("autograd")}
        third_party = {m.split(".")[0] for m in modules - ours}
        assert ours <= allowed, (name, ours - allowed)
        assert third_party <= set(sys.stdlib_module_names) | {"__future__", "numpy"}, name
        top_level = ast.parse((ROOT / "autograd" / f"{name}.py").read_text()).body
        assert not any(
            isinstance(node, ast.Import) and node.names[0].name == "numpy" for node in top_level
        ), f"{name} imports numpy at import time"


def test_importing_autograd_does_not_import_numpy() -> None:
    result = run_python("import sys, autograd; print('numpy' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
