"""Every ```python block of README.md and docs/*.md runs alone, as written, and prints what it says.

Each block runs in a fresh interpreter whose working directory is an empty temporary folder, so
it can rely on nothing an earlier block defined, and a file it writes lands there, not in the
repository. A block may state its output, and then must print exactly that:

    print(round(y.data, 4))  # -> -0.4621          one printed line, after the arrow

    # Output:                                      or, for several lines, a comment block
    # first line
    # second line

A block may leave files behind only if it names each one, extension included, as a string: so
graphviz's `.render("neuron", format="svg")`, which leaves the DOT source in a file named
`neuron` beside `neuron.svg`, fails.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import run_python

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
ARROW = re.compile(r"#\s*->\s?(.*)$")
# Folders a test run itself may create or change in the repository.
RUN_DIRS = {".git", ".venv", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"}


def blocks(page: Path) -> list[tuple[int, str]]:
    """(line number, source) of each fenced python block of `page`."""
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in FENCE.finditer(text)]


def expected_output(source: str) -> list[str] | None:
    """The lines the block says it prints, or None when it does not say."""
    lines = source.splitlines()
    expected = [m.group(1).rstrip() for line in lines if (m := ARROW.search(line))]
    if "# Output:" in lines:
        for line in lines[lines.index("# Output:") + 1 :]:
            if not line.startswith("#"):
                break
            expected.append(line[2:].rstrip())
    return expected or None


def repo_files() -> set[Path]:
    files = set()
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in RUN_DIRS and d != "__pycache__"]
        files.update(Path(folder, name) for name in names)
    return files


CASES = [(page, line, source) for page in PAGES for line, source in blocks(page)]


def test_the_readme_has_python_blocks() -> None:
    assert blocks(ROOT / "README.md"), "no ```python block found in README.md"
    assert expected_output("print(1)  # -> 1\n# Output:\n# 2\nx = 3\n") == ["1", "2"]


@pytest.mark.parametrize(
    ("page", "line", "source"),
    CASES,
    ids=[f"{page.relative_to(ROOT)}:{line}" for page, line, _ in CASES],
)
def test_block_runs_alone(page: Path, line: int, source: str, tmp_path: Path) -> None:
    if re.search(r"^import torch$", source, re.MULTILINE):
        pytest.importorskip("torch", reason="the block needs the torch extra")
    before = repo_files()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["MPLBACKEND"] = "Agg"
    result = run_python(source, cwd=tmp_path, env=env, timeout=120)
    where = f"{page.relative_to(ROOT)}, the block at line {line}"
    assert result.returncode == 0, f"{where} fails when run alone:\n{result.stderr}"
    expected = expected_output(source)
    if expected is not None:
        assert result.stdout.splitlines() == expected, f"{where} prints something else"

    left = [p.name for p in tmp_path.rglob("*") if p.is_file()]
    stray = [name for name in left if "." not in name or f'"{name}"' not in source]
    assert not stray, f"{where} leaves files it does not name: {stray}"
    assert repo_files() == before, f"{where} changed files in the repository"
