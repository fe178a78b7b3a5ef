"""The package as a new user meets it: version, types, licence, the index page's description, and
the `autograd` name clash, each case in a real interpreter and its advice followed literally.

The fast tests run the clone's packages in subprocesses. The slow ones build a wheel from the
clone, install it in fresh virtual environments outside it (with HIPS autograd from PyPI where
the case needs it), and run what a user runs: the README's ten lines, draw_dot, the stepper
page, `chainrule-demo --help`, and mypy on a file that imports chainrule.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import autograd
import nn
from tests.test_readme import blocks, expected_output

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT_TEXT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def project_field(name: str) -> str:
    """A `name = "..."` line of pyproject.toml's [project] table (tomllib is 3.11+)."""
    match = re.search(rf'^{name} = "([^"]+)"$', PYPROJECT_TEXT, re.MULTILINE)
    assert match, name
    return match.group(1)


def run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def clean_env() -> dict[str, str]:
    """This process's environment without PYTHONPATH, and warnings shown."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONWARNINGS")}
    env["PYTHONWARNINGS"] = "default"
    return env


def advice(message: str) -> str:
    """The command a message tells the user to run: its one indented line (in an error's
    traceback, the line of the error's own message)."""
    message = message.split("ImportError: ")[-1]
    commands = [line.strip() for line in message.splitlines() if line.startswith("    ")]
    assert len(commands) == 1, message
    return commands[0]


def follow(message: str, cwd: Path) -> None:
    """Run the advice of `message` in a shell, as the user would paste it."""
    result = subprocess.run(
        advice(message), shell=True, cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# ----- what the packages carry ----------------------------------------------------------------


def test_version_is_the_distributions_in_both_packages() -> None:
    version = project_field("version")
    assert autograd.__version__ == nn.__version__ == version
    assert importlib.metadata.version("chainrule") == version


@pytest.mark.parametrize("package", ["autograd", "nn"])
def test_both_packages_are_typed(package: str) -> None:
    assert (ROOT / package / "py.typed").exists()


def test_the_licence_file_is_the_licence_pyproject_names() -> None:
    assert 'license = { text = "MIT" }' in PYPROJECT_TEXT
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in text


def test_the_changelog_has_the_current_version() -> None:
    version = project_field("version")
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(version)}\b", text, re.MULTILINE)


def test_the_index_page_description_has_no_link_that_breaks_off_the_repository() -> None:
    page = ROOT / project_field("readme")
    assert page != ROOT / "README.md"
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"!\[", text), "an image path relative to the repository"
    targets = re.findall(r"\]\(([^)]+)\)", text)
    assert all(re.match(r"https?://", t) for t in targets), targets
    # Its ten lines are the README's, and tests/test_readme.py runs them as docs/*.md.
    ten_lines = [source for _, source in blocks(page) if "tanh(-0.5)" in source]
    assert ten_lines and ten_lines[0] in [source for _, source in blocks(ROOT / "README.md")]


# ----- a learner's own autograd.py or nn.py next to their script ------------------------------


def test_own_autograd_py_is_named_and_renaming_it_mends(tmp_path: Path) -> None:
    (tmp_path / "autograd.py").write_text("def grad(f):\n    return f\n")
    script = tmp_path / "train.py"
    script.write_text("from nn import MLP\nprint(MLP(2, [1], seed=0)([1.0, 2.0]).data)\n")
    failed = run([sys.executable, str(script)], tmp_path, clean_env())
    assert failed.returncode != 0
    assert "ImportError" in failed.stderr
    assert f"found {tmp_path / 'autograd.py'}, a file of yours" in failed.stderr
    assert "HIPS" not in failed.stderr
    follow(failed.stderr, tmp_path)
    assert not (tmp_path / "autograd.py").exists() and (tmp_path / "my_autograd.py").exists()
    mended = run([sys.executable, str(script)], tmp_path, clean_env())
    assert mended.returncode == 0, mended.stderr
    assert mended.stderr == ""


def test_own_nn_py_is_named_and_renaming_it_mends(tmp_path: Path) -> None:
    (tmp_path / "nn.py").write_text("from autograd import Value\n\nW = Value(1.0)\n")
    script = tmp_path / "train.py"
    script.write_text("import autograd\nfrom nn import MLP\nprint(type(MLP).__name__)\n")
    failed = run([sys.executable, str(script)], tmp_path, clean_env())
    assert failed.returncode != 0  # Python's ImportError: its nn has no MLP
    assert "RuntimeWarning" in failed.stderr
    assert f"`import nn` finds {tmp_path / 'nn.py'}, not chainrule's nn" in failed.stderr
    follow(failed.stderr.split("Traceback")[0], tmp_path)
    mended = run([sys.executable, str(script)], tmp_path, clean_env())
    assert mended.returncode == 0, mended.stderr
    assert (mended.stdout, mended.stderr) == ("type\n", "")


def test_no_warning_where_chainrule_is_alone(tmp_path: Path) -> None:
    result = run(
        [sys.executable, "-W", "error", "-c", "import autograd, nn"], tmp_path, clean_env()
    )
    assert result.returncode == 0, result.stderr


# ----- real virtual environments, outside the clone ---------------------------------------------


def pip(python: Path | str, cwd: Path, *args: str) -> None:
    """`<python> -m pip <args>`, quietly, in `cwd`; fails the test with pip's error."""
    result = run([str(python), "-m", "pip", *args, "--disable-pip-version-check", "-q"], cwd)
    assert result.returncode == 0, result.stderr[-3000:]


def pip_install(python: Path, *args: str) -> None:
    pip(python, python.parent, "install", *args)


def new_venv(folder: Path) -> Path:
    result = run([sys.executable, "-m", "venv", str(folder)], folder.parent)
    assert result.returncode == 0, result.stderr
    return folder / "bin" / "python"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from the clone, as `pip wheel --no-deps -w dist .` builds it."""
    out = tmp_path_factory.mktemp("dist")
    pip(sys.executable, out, "wheel", "--no-deps", "-w", str(out), str(ROOT))
    (built,) = out.glob("chainrule-*.whl")
    return built


@pytest.fixture(scope="module")
def hips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """HIPS autograd's wheel and its numpy, downloaded once from PyPI."""
    out = tmp_path_factory.mktemp("hips")
    pip(sys.executable, out, "download", "-d", str(out), "autograd")
    return out


def import_nn(python: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([str(python), "-c", "import nn; print(nn.MLP.__module__)"], cwd, clean_env())


SMOKE = """
import autograd, nn
from autograd import Value, draw_dot, draw_steps

print(autograd.__version__ == nn.__version__, autograd.__file__.startswith({clone!r}))
x = Value(2.0, label="x")
y = (x * x + x).tanh()
y.label = "y"
y.backward()
svg = draw_dot(y).pipe(format="svg")
print(svg.startswith(b"<?xml") or b"<svg" in svg[:200])
draw_steps(y).save("steps.html")
print(open("steps.html", encoding="utf-8").read().count("<svg") > 0)
"""

USER_FILE = """from autograd import Value, no_grad
from nn import MLP, SGD


def train(model: MLP, x: list[float]) -> float:
    out = model(x)
    assert isinstance(out, Value)
    out.backward()
    with no_grad():
        SGD(model.parameters(), lr=0.1).step()
    return out.data


print(train(MLP(2, [4, 1], seed=0), [1.0, 2.0]))
"""

WRONG_USER_FILE = "from autograd import Value\n\nv: Value = Value(1.0)\nn: int = v.data\n"


@pytest.mark.slow
def test_the_wheel_works_in_a_fresh_venv_outside_the_clone(wheel: Path, tmp_path: Path) -> None:
    python = new_venv(tmp_path / "venv")
    pip_install(python, str(wheel), "mypy==2.4.1")
    work = tmp_path / "work"
    work.mkdir()
    # The README's ten lines print what they say.
    ten_lines = next(s for _, s in blocks(ROOT / "README.md") if "tanh(-0.5)" in s)
    result = run([str(python), "-c", ten_lines], work, clean_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == expected_output(ten_lines)
    # draw_dot renders, the stepper page is written, from the installed wheel (not the clone).
    result = run([str(python), "-c", SMOKE.format(clone=str(ROOT))], work, clean_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "True", "True"]
    # The console script.
    result = run([str(python.parent / "chainrule-demo"), "--help"], work, clean_env())
    assert result.returncode == 0, result.stderr
    assert "usage: chainrule-demo" in result.stdout
    # mypy reads the packages' types (py.typed): a right file passes, a wrong one fails.
    (work / "user.py").write_text(USER_FILE)
    (work / "wrong.py").write_text(WRONG_USER_FILE)
    mypy = [str(python), "-m", "mypy", "--strict", "--no-incremental"]
    result = run([*mypy, "user.py"], work, clean_env())
    assert result.returncode == 0, result.stdout
    result = run([*mypy, "wrong.py"], work, clean_env())
    assert 'Incompatible types in assignment (expression has type "float"' in result.stdout
    result = run([str(python), "user.py"], work, clean_env())
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_hips_installed_over_the_wheel_and_the_other_way_round(
    wheel: Path, hips: Path, tmp_path: Path
) -> None:
    python = new_venv(tmp_path / "venv")
    work = tmp_path / "work"
    work.mkdir()
    pip_install(python, str(wheel))
    # 1. HIPS autograd installed over chainrule: its __init__.py replaces chainrule's.
    pip_install(python, "--no-index", "--find-links", str(hips), "autograd")
    failed = import_nn(python, work)
    assert failed.returncode != 0
    assert "HIPS autograd (a different package with the same import name) was installed over" in (
        failed.stderr
    )
    assert "--force-reinstall --no-deps" in advice(failed.stderr)
    assert shlex.quote(str(wheel)) in advice(failed.stderr)
    follow(failed.stderr, work)
    mended = import_nn(python, work)
    assert (mended.returncode, mended.stdout, mended.stderr) == (0, "nn.layers\n", ""), mended
    # 2. chainrule installed over HIPS: chainrule works, and says that HIPS is broken.
    pip_install(python, "--no-index", "--find-links", str(hips), "autograd")
    pip_install(python, "--force-reinstall", "--no-deps", str(wheel))
    warned = import_nn(python, work)
    assert warned.returncode == 0, warned.stderr
    assert "chainrule's autograd/__init__.py has replaced HIPS's" in warned.stderr
    follow(warned.stderr, work)
    mended = import_nn(python, work)
    assert (mended.returncode, mended.stdout, mended.stderr) == (0, "nn.layers\n", ""), mended


@pytest.mark.slow
def test_hips_beside_an_editable_install(hips: Path, tmp_path: Path) -> None:
    python = new_venv(tmp_path / "venv")
    work = tmp_path / "work"
    work.mkdir()
    pip_install(python, "-e", str(ROOT))
    pip_install(python, "--no-index", "--find-links", str(hips), "autograd")
    failed = import_nn(python, work)
    assert failed.returncode != 0
    assert "comes before chainrule's on sys.path" in failed.stderr
    assert advice(failed.stderr).endswith("-m pip uninstall -y autograd")
    follow(failed.stderr, work)
    mended = import_nn(python, work)
    assert (mended.returncode, mended.stdout, mended.stderr) == (0, "nn.layers\n", ""), mended
