"""How chainrule is installed: its version, and what to say when its import names clash.

Standard library only. chainrule installs two import packages, `autograd` and `nn`. The first
is also the import name of HIPS autograd, an unrelated package on PyPI (which libraries such as
lifelines pull in), and a learner's own `autograd.py` or `nn.py` next to their script shadows
either. Python then imports the other one without a word; these functions name what happened
and the exact command that mends it.

What pip does in each case (tested in real virtual environments by tests/test_installation.py):
- HIPS installed after chainrule's wheel writes its files into the same `autograd/` folder and
  its `__init__.py` over chainrule's. `pip uninstall autograd` then deletes that `__init__.py`
  (both packages list it), so chainrule must be reinstalled with --force-reinstall: a plain
  install says it is already installed.
- chainrule's wheel installed after HIPS does the same the other way round: chainrule works,
  HIPS does not.
- With chainrule installed editable (`pip install -e .`), HIPS's folder comes first on sys.path
  and shadows the clone's; uninstalling HIPS is enough.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shlex
import sys
from urllib.parse import unquote, urlparse

DISTRIBUTION = "chainrule"


def version() -> str:
    """The installed distribution's version (pyproject.toml's, the one place it is written);
    "0+unknown" when the packages run from a folder that was never installed."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def pip() -> str:
    """`<this python> -m pip`, so the command acts on the environment that failed."""
    return f"{shlex.quote(sys.executable)} -m pip"


def reinstall_command() -> str:
    """The pip command that writes chainrule's files again from where they came from: the
    wheel or folder recorded in its direct_url.json (PEP 610), or the package index."""
    source, editable = DISTRIBUTION, False
    try:
        recorded = importlib.metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        recorded = None
    if recorded:
        info = json.loads(recorded)
        url = urlparse(info.get("url", ""))
        if url.scheme == "file":
            source = unquote(url.path)
            editable = bool(info.get("dir_info", {}).get("editable", False))
    flags = "--force-reinstall --no-deps" + (" -e" if editable else "")
    return f"{pip()} install {flags} {shlex.quote(source)}"


def hips_beside_warning(folder: str) -> str | None:
    """The warning for HIPS autograd's files in chainrule's own `autograd/` folder (chainrule
    installed over HIPS), or None when the folder is chainrule's alone."""
    if not os.path.exists(os.path.join(folder, "differential_operators.py")):
        return None
    return (
        f"HIPS autograd, a different package with the same import name, is installed in the "
        f"same folder as chainrule's autograd ({folder}): chainrule's autograd/__init__.py "
        f"has replaced HIPS's, so `import autograd` is chainrule's, and HIPS autograd (with "
        f"libraries that need it, such as lifelines) no longer works in this environment. The "
        f"two cannot share one. To keep chainrule alone, run:\n"
        f"    {pip()} uninstall -y autograd && {reinstall_command()}\n"
        f"(the uninstall also deletes the __init__.py both list; the reinstall writes "
        f"chainrule's back). Install HIPS autograd in another virtual environment."
    )


def shadowed_nn_warning(folder: str) -> str | None:
    """The warning for an `nn` that is not chainrule's (a learner's own nn.py next to their
    script) found first by `import nn`, or None when `import nn` finds chainrule's."""
    ours = os.path.join(os.path.dirname(folder), "nn", "__init__.py")
    try:
        spec = importlib.util.find_spec("nn")
    except (ImportError, ValueError):  # a half-imported or broken nn: not ours to judge
        return None
    origin = spec.origin if spec is not None else None
    if origin is None or not os.path.exists(ours) or os.path.samefile(origin, ours):
        return None
    renamed = os.path.join(os.path.dirname(origin), "my_nn.py")
    return (
        f"`import nn` finds {origin}, not chainrule's nn ({ours}): a file of yours with the "
        f"same name comes first on sys.path, so `from nn import MLP` would import it. If you "
        f"meant chainrule's, rename yours:\n"
        f"    mv {shlex.quote(origin)} {shlex.quote(renamed)}"
    )
