"""Build the lessons' static site: `make site` writes site/, a JupyterLite site of notebooks/ and
docs/ whose Python kernel (Pyodide) runs in the browser with chainrule already loaded.

Everything comes from pinned inputs beside this file, and the built site fetches nothing from
any CDN when it runs (a classroom behind a firewall has no internet, and neither has CI):
- package.json / package-lock.json: the Pyodide core (npm `pyodide`) and Graphviz compiled to
  WebAssembly (npm `@viz-js/viz`), installed with `npm ci`;
- wheels.txt: the pure wheels the kernel starts with, downloaded from PyPI by pip with their
  hashes checked;
- chainrule's own wheel, built from this checkout.

Pyodide's npm package holds its core only; its lock file names some 350 packages that would come
from the CDN. We keep the entries of the wheels we ship, point them at our files and hashes, and
add chainrule (so `import autograd` loads it, and the kernel preloads it). Anything else is not
in the lock, so importing it fails at once with ModuleNotFoundError instead of a network error.

Run with the `site` extra installed: `python docs/site/build.py` (or `make site`).
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORK = ROOT / "build" / "site"  # git-ignored scratch: npm packages, wheels, the lite folder
OUTPUT = ROOT / "site"

# The Pyodide core files the kernel loads (the npm package also has consoles and type stubs).
PYODIDE_CORE = [
    "pyodide.mjs",
    "pyodide.js",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "package.json",
]
# Pyodide's own files are MPL-2.0 and viz.js is MIT (with Graphviz's EPL): their licences go with
# them into the site.
VIZ_JS = "viz-global.js"  # the build that defines a global `Viz` when evaluated as a script

KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
# Loaded as the kernel starts. The kernel loads a package when a cell imports it by name, but not
# when a module imports it later: chainrule for the lessons' own imports (`import autograd` names
# no package), Hypothesis for lesson 04's test file, which pytest imports, and anywidget for
# nn.Playground, which imports it as lesson 03 makes one.
PRELOADED = ["chainrule", "hypothesis", "anywidget"]


def run(*command: str | Path, cwd: Path = ROOT) -> None:
    """Run a command, echoing it, and stop the build if it fails."""
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], cwd=cwd, check=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def canonical(name: str) -> str:
    """A project name as Pyodide's lock keys it (PEP 503, lower case with dashes)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def npm_packages() -> Path:
    """node_modules with the exact versions of package-lock.json (`npm ci`)."""
    npm = WORK / "npm"
    npm.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(HERE / name, npm / name)
    run("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", cwd=npm)
    return npm / "node_modules"


def wheels() -> list[Path]:
    """The pinned kernel wheels (hashes checked by pip) and chainrule's wheel from this checkout."""
    folder = WORK / "wheels"
    shutil.rmtree(folder, ignore_errors=True)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    run(
        *pip,
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--python-version",
        "3.14",
        "--platform",
        "any",  # pure wheels only: a wheel compiled for Linux cannot load in Pyodide
        "--require-hashes",
        "-r",
        HERE / "wheels.txt",
        "-d",
        folder,
    )
    run(*pip, "wheel", "--no-deps", "-w", folder, ROOT)
    return sorted(folder.glob("*.whl"))


def wheel_metadata(wheel: Path) -> tuple[str, str]:
    """(project name, version) read from a wheel's file name."""
    name, version = wheel.name.split("-")[:2]
    return name, version


# The widgets' browser halves, which ipywidgets requires but the kernel never imports: the site
# serves them as JupyterLab extensions (the `site` extra's jupyterlab_widgets and anywidget).
BROWSER_HALVES = {"widgetsnbextension", "jupyterlab-widgets"}

# Where Pyodide runs: what a wheel's requirement markers are evaluated against.
PYODIDE = {
    "python_version": "3.14",
    "python_full_version": "3.14.2",
    "sys_platform": "emscripten",
    "platform_system": "Emscripten",
    "platform_machine": "wasm32",
    "implementation_name": "cpython",
    "os_name": "posix",
    "extra": "",
}


def requirements(wheel: Path) -> list[str]:
    """The projects `wheel` requires in Pyodide (its METADATA's Requires-Dist, markers evaluated
    there), less the widgets' browser halves."""
    from packaging.requirements import Requirement

    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        lines = archive.read(metadata).decode().splitlines()
    needed = []
    for line in lines:
        if line.startswith("Requires-Dist:"):
            requirement = Requirement(line.removeprefix("Requires-Dist:").strip())
            if requirement.marker is None or requirement.marker.evaluate(PYODIDE):
                needed.append(canonical(requirement.name))
    return [name for name in needed if name not in BROWSER_HALVES]


def top_level(wheel: Path) -> list[str]:
    """The modules `wheel` installs at the top (what `import` names), from its file list."""
    with zipfile.ZipFile(wheel) as archive:
        heads = {name.split("/")[0] for name in archive.namelist()}
    return sorted(
        head.removesuffix(".py")
        for head in heads
        if not head.endswith((".dist-info", ".data", ".pth")) and not head.endswith(".pyi")
    )


def write_lock(core_lock: Path, shipped: list[Path], target: Path) -> list[str]:
    """Pyodide's lock file cut down to the wheels we ship, each pointed at its file and hash.

    An entry keeps the upstream lock's imports and depends where that lock knows the package and
    everything it depends on ships here. Otherwise they come from the wheel itself: chainrule,
    comm, graphviz, Hypothesis and the widgets are not in the upstream lock, and its pytest entry
    names pytest 6's requirements (atomicwrites, py, ...), which pytest 9 no longer has.
    Returns the names of the packages in the new lock.
    """
    lock = json.loads(core_lock.read_text())
    names = {canonical(wheel_metadata(wheel)[0]) for wheel in shipped}
    packages: dict[str, Any] = {}
    for wheel in shipped:
        name, version = wheel_metadata(wheel)
        key = canonical(name)
        entry = dict(lock["packages"].get(key) or {})
        if entry.get("version", version) != version:
            raise SystemExit(f"wheels.txt has {name} {version}, Pyodide's lock {entry['version']}")
        if not entry or not {canonical(dep) for dep in entry["depends"]} <= names:
            entry = {
                "name": name,
                "imports": top_level(wheel),
                "depends": requirements(wheel),
                "install_dir": "site",
                "package_type": "package",
                "unvendored_tests": False,
            }
        entry.update(version=version, file_name=wheel.name, sha256=sha256(wheel))
        packages[key] = entry
    for key, entry in packages.items():
        missing = [dep for dep in entry["depends"] if canonical(dep) not in packages]
        if missing:
            raise SystemExit(f"{key} depends on {missing}, which docs/site/wheels.txt lacks")
    lock["packages"] = packages
    target.write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n")
    return sorted(packages)


# Modules the site cannot load (no offline Pyodide build), and why, for the notes in the lessons.
DESKTOP_ONLY = {
    "matplotlib": "matplotlib has no offline build for the browser",
    "nn.plotting": "nn.plotting draws with matplotlib, which has no offline build for the browser",
    "numpy": "numpy has no offline build for the browser",
    "torch": "PyTorch does not run in the browser",
}


# Lessons that need a desktop-only module throughout, shown as they are with a note.
DESKTOP_LESSONS = {"05_from_scalars_to_tensors.ipynb"}


def joined(text: Any) -> Any:
    """A notebook string stored as a list of lines, as one string.

    JupyterLite 0.8.6 shows a multi-line output kept as a list with a comma between the lines,
    so the site's notebooks keep every multi-line string whole.
    """
    return "".join(text) if isinstance(text, list) else text


def desktop_only(module: str | None) -> str | None:
    """Why `module` cannot be imported in the site, or None when it can."""
    for name, reason in DESKTOP_ONLY.items():
        if module is not None and (module == name or module.startswith(name + ".")):
            return reason
    return None


def split_cell(source: str, tainted: dict[str, str]) -> tuple[str, str, set[str]]:
    """(the code that runs in the browser, the code left out, the reasons), by statement.

    A statement is left out when it imports a desktop-only module or uses a name that such a
    statement bound; the names it binds are then left out too (`fig, ax = plt.subplots()` takes
    `ax` with it). `tainted` maps those names to their reason and grows as the lesson goes on.
    """
    lines = source.splitlines(keepends=True)
    kept: list[str] = []
    left: list[str] = []
    reasons: set[str] = set()
    start = 0
    for statement in ast.parse(source).body:
        text = "".join(lines[statement.lineno - 1 : statement.end_lineno])
        comments = "".join(lines[start : statement.lineno - 1])
        start = statement.end_lineno or statement.lineno
        why = None
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            modules = [alias.name for alias in statement.names]
            if isinstance(statement, ast.ImportFrom):
                modules = [statement.module or ""]
            why = next((desktop_only(m) for m in modules if desktop_only(m)), None)
        if why is None:
            used = {node.id for node in ast.walk(statement) if isinstance(node, ast.Name)}
            why = next((tainted[name] for name in sorted(used & tainted.keys())), None)
        # A comprehension's own variable is bound inside it only.
        local = {
            node.id
            for comprehension in ast.walk(statement)
            if isinstance(comprehension, ast.comprehension)
            for node in ast.walk(comprehension.target)
            if isinstance(node, ast.Name)
        }
        bound = {
            node.id
            for node in ast.walk(statement)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
        } - local
        if why is None:
            kept.append(comments + text)
            for name in bound:  # bound again by code that runs: usable from here on
                tainted.pop(name, None)
            continue
        reasons.add(why)
        left.append(comments + text)
        tainted.update(dict.fromkeys(bound, why))
        for node in ast.walk(statement):
            if isinstance(node, ast.alias):
                tainted[(node.asname or node.name).split(".")[0]] = why
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                tainted[node.name] = why
    return "".join(kept).strip("\n"), "".join(left).strip("\n"), reasons


def desktop_note(left: str, reasons: set[str], outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """A markdown cell standing for the code left out: why, the code, and what it showed on the
    desktop (the notebook's saved pictures and text)."""
    parts = [
        f"**Desktop only:** {'; '.join(sorted(reasons))}, so this code runs in the lessons on "
        "your computer (`make lab`), not here. What it does and showed there:",
        f"```python\n{left}\n```",
    ]
    attachments: dict[str, Any] = {}
    for output in outputs:
        data = output.get("data", {})
        if "image/png" in data:
            name = f"desktop-{len(attachments)}.png"
            attachments[name] = {"image/png": joined(data["image/png"]).strip()}
            parts.append(f"![the picture drawn on the desktop](attachment:{name})")
        elif output.get("output_type") == "stream":
            parts.append(f"```\n{joined(output['text']).rstrip()}\n```")
    cell: dict[str, Any] = {"cell_type": "markdown", "metadata": {}, "source": "\n\n".join(parts)}
    if attachments:
        cell["attachments"] = attachments
    return cell


def for_the_browser(notebook: dict[str, Any]) -> dict[str, Any]:
    """The notebook as the site shows it: every string whole, and the code that needs a
    desktop-only module moved out of the code cells into notes that show what it drew."""
    cells: list[dict[str, Any]] = []
    tainted: dict[str, str] = {}
    every_reason: set[str] = set()
    for cell in notebook["cells"]:
        cell["source"] = joined(cell["source"])
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = joined(output["text"])
            for mime, value in output.get("data", {}).items():
                if not mime.endswith("json"):
                    output["data"][mime] = joined(value)
        if cell["cell_type"] != "code":
            cells.append(cell)
            continue
        kept, left, reasons = split_cell(cell["source"], tainted)
        if not left:
            cells.append(cell)
            continue
        if kept:
            cells.append({**cell, "source": kept, "outputs": [], "execution_count": None})
        if any(not isinstance(s, (ast.Import, ast.ImportFrom)) for s in ast.parse(left).body):
            cells.append(desktop_note(left, reasons, cell.get("outputs", [])))
        every_reason |= reasons
    if every_reason:
        intro = (
            f"**In the browser:** {'; '.join(sorted(every_reason))}. The code that needs it is "
            "moved into notes that show what it drew on the desktop; everything else runs here."
        )
        cells.insert(0, {"cell_type": "markdown", "metadata": {}, "source": intro})
    notebook["cells"] = cells
    return notebook


def desktop_lesson(notebook: dict[str, Any]) -> dict[str, Any]:
    """A lesson that needs PyTorch throughout: shown with its saved outputs and a note."""
    for cell in notebook["cells"]:
        cell["source"] = joined(cell["source"])
    note = (
        "**Desktop only:** this lesson trains in PyTorch, which does not run in the browser. "
        "Read it here with the outputs of a desktop run; run it on your computer with "
        "`make lab` and `pip install 'torch==2.13.0'`."
    )
    notebook["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": note})
    return notebook


def contents(folder: Path) -> None:
    """The lessons and the docs that git tracks (not the outputs of local runs), side by side as
    the site's files, so lesson 04 finds ../docs/. The notebooks as for_the_browser() makes them."""
    shutil.rmtree(folder, ignore_errors=True)
    listing = subprocess.run(
        ["git", "ls-files", "notebooks", "docs"], cwd=ROOT, check=True, capture_output=True
    )
    for name in listing.stdout.decode().splitlines():
        if name.startswith("docs/site/"):
            continue
        source, target = ROOT / name, folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == ".ipynb":
            notebook = json.loads(source.read_text())
            if source.name in DESKTOP_LESSONS:
                notebook = desktop_lesson(notebook)
            else:
                notebook = for_the_browser(notebook)
            target.write_text(json.dumps(notebook, indent=1) + "\n")
        else:
            shutil.copy2(source, target)


def main() -> None:
    node_modules = npm_packages()
    shipped = wheels()

    lite = WORK / "lite"
    shutil.rmtree(lite, ignore_errors=True)
    pyodide = lite / "static" / "pyodide"
    pyodide.mkdir(parents=True)
    for name in PYODIDE_CORE:
        shutil.copy2(node_modules / "pyodide" / name, pyodide / name)
    for wheel in shipped:
        shutil.copy2(wheel, pyodide / wheel.name)
    shutil.copy2(node_modules / "@viz-js" / "viz" / "dist" / VIZ_JS, pyodide / VIZ_JS)
    names = write_lock(
        node_modules / "pyodide" / "pyodide-lock.json", shipped, pyodide / "pyodide-lock.json"
    )
    print(f"pyodide-lock.json: {len(names)} packages: {', '.join(names)}")

    settings = {
        # No PyPI at run time: a package the site lacks fails at once, by name.
        "disablePyPIFallback": True,
        "loadPyodideOptions": {"packages": PRELOADED},
    }
    config = {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "chainrule lessons",
            # window.jupyterapp, through which tests/test_site.py runs the lessons' cells.
            "exposeAppInBrowser": True,
            "litePluginSettings": {KERNEL_PLUGIN: settings},
        },
    }
    (lite / "jupyter-lite.json").write_text(json.dumps(config, indent=1) + "\n")
    contents(WORK / "contents")

    shutil.rmtree(OUTPUT, ignore_errors=True)
    run(
        sys.executable,
        "-m",
        "jupyter",
        "lite",
        "build",
        "--lite-dir",
        lite,
        "--contents",
        WORK / "contents",
        "--output-dir",
        OUTPUT,
        "--no-sourcemaps",
        cwd=lite,  # where jupyter lite keeps its build database
    )
    print(f"built {OUTPUT}: serve it with `python -m http.server -d site` and open the address")


if __name__ == "__main__":
    main()
