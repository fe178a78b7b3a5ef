"""Imports point one way: nn -> autograd -> standard library. Checked in fresh interpreters."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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
    third_party = {m.split(".")[0] for m in imported_modules(ROOT / "autograd" / "engine.py")}
    assert third_party <= set(sys.stdlib_module_names) | {"__future__"}


def test_gradcheck_and_viz_import_only_the_engine() -> None:
    for name in ("gradcheck.py", "viz.py"):
        path = ROOT / "autograd" / name
        if not path.exists():
            continue
        ours = {m for m in imported_modules(path) if m.startswith("autograd")}
        assert ours <= {"autograd.engine"}, (name, ours)


def test_stepper_imports_only_the_engine_and_viz() -> None:
    path = ROOT / "autograd" / "stepper.py"
    ours = {m for m in imported_modules(path) if m.startswith("autograd")}
    assert ours == {"autograd.engine", "autograd.viz"}


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
