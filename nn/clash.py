"""What `import nn` says when `import autograd` did not find chainrule's engine.

Standard library only: it runs exactly when chainrule's autograd cannot be imported. Where
chainrule's files are still in the folder that was found (HIPS autograd installed over it, or
its __init__.py deleted by `pip uninstall autograd`), the reinstall command comes from
chainrule's own autograd.installation, which is then importable from that folder.
autograd/installation.py explains the cases.
"""

from __future__ import annotations

import importlib
import os
import shlex
import sys


def _pip() -> str:
    """`<this python> -m pip`, so the command acts on the environment that failed."""
    return f"{shlex.quote(sys.executable)} -m pip"


def _reinstall_command() -> str:
    """chainrule's reinstall command, from its autograd.installation in the folder found."""
    # NOTE: imported by name here, in the error path only: `autograd` is not chainrule's
    # package at this point, but chainrule's installation.py sits in the folder it came from.
    installation = importlib.import_module("autograd.installation")
    command: str = installation.reinstall_command()
    return command


def foreign_autograd_message(module: object) -> str:
    """What `import nn` says when `import autograd` found something other than chainrule's
    engine, by what it found, with the command that mends it."""
    file = getattr(module, "__file__", None)
    if file is None:
        # A namespace package: chainrule's files without their __init__.py.
        return (
            f"nn needs chainrule's autograd engine, but its autograd/__init__.py is missing "
            f"(`pip uninstall autograd` deletes it when HIPS autograd was installed over "
            f"chainrule: both list that file). Write chainrule's files again:\n"
            f"    {_reinstall_command()}"
        )
    if os.path.basename(file) != "__init__.py":
        renamed = os.path.join(os.path.dirname(file), "my_autograd.py")
        return (
            f"nn needs chainrule's autograd engine, but `import autograd` found {file}, a file "
            f"of yours with the same name, which comes first on sys.path. Rename it:\n"
            f"    mv {shlex.quote(file)} {shlex.quote(renamed)}"
        )
    folder = os.path.dirname(file)
    mixed = os.path.exists(os.path.join(folder, "engine.py"))  # chainrule's files are there too
    what = "HIPS autograd (a different package with the same import name)"
    if mixed:
        return (
            f"nn needs chainrule's autograd engine, but `import autograd` found {file}: "
            f"{what} was installed over chainrule and replaced its autograd/__init__.py. The "
            f"two cannot share an environment. To keep chainrule, run:\n"
            f"    {_pip()} uninstall -y autograd && {_reinstall_command()}\n"
            f"(a plain reinstall would say it is already installed). Install HIPS autograd in "
            f"another virtual environment."
        )
    return (
        f"nn needs chainrule's autograd engine, but `import autograd` found {file}: {what} "
        f"comes before chainrule's on sys.path. The two cannot share an environment. To keep "
        f"chainrule, run:\n"
        f"    {_pip()} uninstall -y autograd\n"
        f"and install HIPS autograd in another virtual environment."
    )
