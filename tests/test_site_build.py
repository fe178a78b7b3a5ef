"""docs/site/build.py's lock file for the site's Pyodide: each shipped wheel's entry points at its
file and hash, and its requirements are the ones that wheel really has (no browser, no network)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BUILD = Path(__file__).resolve().parents[1] / "docs" / "site" / "build.py"


@pytest.fixture(scope="module")
def build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("site_build", BUILD)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wheel(folder: Path, name: str, version: str, files: list[str], requires: list[str]) -> Path:
    """A pure wheel with these top-level files and Requires-Dist lines."""
    path = folder / f"{name}-{version}-py3-none-any.whl"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {line}\n" for line in requires)
    with zipfile.ZipFile(path, "w") as archive:
        for file in files:
            archive.writestr(file, "")
        archive.writestr(f"{name}-{version}.dist-info/METADATA", metadata)
    return path


def upstream(folder: Path, packages: dict[str, Any]) -> Path:
    path = folder / "core-lock.json"
    path.write_text(json.dumps({"info": {"python": "3.14.2"}, "packages": packages}))
    return path


def entry(name: str, version: str, depends: list[str]) -> dict[str, Any]:
    return {"name": name, "version": version, "depends": depends, "imports": [name]}


def test_pytests_requirements_come_from_its_wheel_not_the_upstream_lock(
    build: ModuleType, tmp_path: Path
) -> None:
    core = upstream(
        tmp_path,
        {
            # Pyodide's lock names pytest 6's requirements for pytest 9.
            "pytest": entry("pytest", "9.0.2", ["atomicwrites", "py", "pluggy"]),
            "pluggy": entry("pluggy", "1.6.0", []),
        },
    )
    shipped = [
        wheel(
            tmp_path,
            "pytest",
            "9.0.2",
            ["pytest/__init__.py", "_pytest/main.py", "py.py"],
            [
                "pluggy<2,>=1.5",
                'exceptiongroup>=1; python_version < "3.11"',
                'colorama>=0.4; sys_platform == "win32"',
                "pygments>=2.7.2",
                'argcomplete; extra == "dev"',
            ],
        ),
        wheel(tmp_path, "pluggy", "1.6.0", ["pluggy/__init__.py"], []),
        wheel(tmp_path, "Pygments", "2.20.0", ["pygments/__init__.py"], []),
    ]
    target = tmp_path / "pyodide-lock.json"
    assert build.write_lock(core, shipped, target) == ["pluggy", "pygments", "pytest"]
    lock = json.loads(target.read_text())["packages"]
    # In Pyodide (Python 3.14, emscripten, no extras): pluggy and pygments, nothing else.
    assert lock["pytest"]["depends"] == ["pluggy", "pygments"]
    assert lock["pytest"]["imports"] == ["_pytest", "py", "pytest"]
    # Each entry points at the shipped file, by its hash.
    for path in shipped:
        key = build.canonical(path.name.split("-")[0])
        assert lock[key]["file_name"] == path.name
        assert lock[key]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    # An upstream entry whose requirements all ship is kept as it was.
    assert lock["pluggy"]["imports"] == ["pluggy"] and lock["pluggy"]["depends"] == []


def test_a_requirement_that_does_not_ship_stops_the_build_by_name(
    build: ModuleType, tmp_path: Path
) -> None:
    core = upstream(tmp_path, {})
    shipped = [wheel(tmp_path, "hypothesis", "6.155.7", ["hypothesis/x.py"], ["sortedcontainers"])]
    target = tmp_path / "pyodide-lock.json"
    with pytest.raises(SystemExit, match=r"hypothesis depends on \['sortedcontainers'\]"):
        build.write_lock(core, shipped, target)
    assert not target.exists()


def test_the_widgets_browser_halves_are_not_kernel_requirements(
    build: ModuleType, tmp_path: Path
) -> None:
    ipywidgets = wheel(
        tmp_path,
        "ipywidgets",
        "8.1.9",
        ["ipywidgets/__init__.py"],
        ["comm>=0.1.3", "widgetsnbextension~=4.0.14", "jupyterlab_widgets~=3.0.15"],
    )
    assert build.requirements(ipywidgets) == ["comm"]


def test_a_version_other_than_the_upstream_locks_stops_the_build(
    build: ModuleType, tmp_path: Path
) -> None:
    core = upstream(tmp_path, {"pytest": entry("pytest", "9.0.2", [])})
    shipped = [wheel(tmp_path, "pytest", "9.2.0", ["pytest/__init__.py"], [])]
    with pytest.raises(
        SystemExit, match=re.escape("wheels.txt has pytest 9.2.0, Pyodide's lock 9.0.2")
    ):
        build.write_lock(core, shipped, tmp_path / "pyodide-lock.json")
