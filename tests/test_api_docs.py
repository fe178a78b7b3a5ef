"""docs/api.md cannot drift from the code: every public name has an entry, and every entry is real.

The page has one `## module` section per public module and, inside it, one `### ` heading per
name in that module's __all__. A heading with a call, such as ### `name(a, b=1, *, c=None)`,
must spell the parameters of inspect.signature(name): the same names, order, kinds and
defaults. Any `Name.attribute` the page mentions in backticks must exist.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path
from types import ModuleType

import pytest

API_DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
# How a parameter without a default is written in the (name, kind, default) triples below.
REQUIRED = "<required>"
HEADING = re.compile(r"^### `([A-Za-z_]\w*)(\(.*\))?`$")


def sections() -> dict[str, dict[str, str | None]]:
    """{module name: {documented name: its heading's "(...)" text, or None}}."""
    found: dict[str, dict[str, str | None]] = {}
    module = None
    for line in API_DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            module = line[3:].strip()
            found[module] = {}
        elif line.startswith("### "):
            match = HEADING.match(line)
            assert match, f"docs/api.md: a ### heading must be `name` or `name(...)`: {line!r}"
            assert module is not None, f"docs/api.md: {line!r} is outside a ## module section"
            name, params = match.groups()
            assert name not in found[module], f"docs/api.md documents {module}.{name} twice"
            found[module][name] = params
    return found


DOCUMENTED = sections()


def public_names(module: ModuleType) -> list[str]:
    return list(module.__all__)


def documented_parameters(params: str) -> list[tuple[str, str, object]]:
    """(name, kind, default) for each parameter in a heading's "(a, b=1, *, c=None)"."""
    tree = ast.parse(f"def f{params}: pass")
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef)
    args = func.args
    out: list[tuple[str, str, object]] = []
    positional = args.posonlyargs + args.args
    defaults: list[object] = [REQUIRED] * (len(positional) - len(args.defaults))
    defaults += [ast.literal_eval(d) for d in args.defaults]
    for arg, default in zip(positional, defaults):
        out.append((arg.arg, "positional", default))
    if args.vararg:
        out.append((args.vararg.arg, "*args", REQUIRED))
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults):
        value = REQUIRED if kw_default is None else ast.literal_eval(kw_default)
        out.append((arg.arg, "keyword", value))
    if args.kwarg:
        out.append((args.kwarg.arg, "**kwargs", REQUIRED))
    return out


def actual_parameters(obj: object) -> list[tuple[str, str, object]]:
    kinds = {
        inspect.Parameter.POSITIONAL_ONLY: "positional",
        inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
        inspect.Parameter.VAR_POSITIONAL: "*args",
        inspect.Parameter.KEYWORD_ONLY: "keyword",
        inspect.Parameter.VAR_KEYWORD: "**kwargs",
    }
    signature = inspect.signature(obj)  # type: ignore[arg-type]
    return [
        (p.name, kinds[p.kind], REQUIRED if p.default is inspect.Parameter.empty else p.default)
        for p in signature.parameters.values()
    ]


def test_the_page_documents_the_public_modules() -> None:
    assert {"autograd", "nn"} <= set(DOCUMENTED), "docs/api.md needs ## autograd and ## nn"


@pytest.mark.parametrize("module_name", sorted(DOCUMENTED))
def test_every_public_name_is_documented_and_nothing_else(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = set(public_names(module))
    documented = set(DOCUMENTED[module_name])
    undocumented = sorted(exported - documented)
    unknown = sorted(documented - exported)
    assert not undocumented, (
        f"{module_name}.__all__ has names docs/api.md does not document: {undocumented}. "
        f"Add a `### name(...)` entry for each under '## {module_name}'."
    )
    assert not unknown, (
        f"docs/api.md documents names {module_name}.__all__ does not export: {unknown}"
    )


CALLS = [
    (module, name, params)
    for module, names in sorted(DOCUMENTED.items())
    for name, params in sorted(names.items())
    if params is not None
]


@pytest.mark.parametrize(
    ("module_name", "name", "params"), CALLS, ids=[f"{m}.{n}" for m, n, _ in CALLS]
)
def test_a_documented_signature_is_the_code_s(module_name: str, name: str, params: str) -> None:
    obj = getattr(importlib.import_module(module_name), name)
    assert documented_parameters(params) == actual_parameters(obj), (
        f"docs/api.md spells {module_name}.{name}{params}, but the code has "
        f"{name}{inspect.signature(obj)}"
    )


def test_every_attribute_the_page_mentions_exists() -> None:
    text = API_DOC.read_text(encoding="utf-8")
    mentioned = set(re.findall(r"`([A-Z]\w*)\.(\w+)\(", text))
    names = {
        name: getattr(importlib.import_module(module_name), name)
        for module_name, documented in DOCUMENTED.items()
        for name in documented
    }
    assert mentioned, "no `Name.method(` mention found: nothing was checked"
    missing = [
        f"{cls}.{attr}"
        for cls, attr in sorted(mentioned)
        if cls in names and not hasattr(names[cls], attr)
    ]
    assert not missing, f"docs/api.md mentions attributes that do not exist: {missing}"


def test_the_parser_catches_a_wrong_signature() -> None:
    # The check above could pass by comparing nothing: show it tells these apart.
    assert documented_parameters("(x, y=1.0, *, z=None)") == [
        ("x", "positional", REQUIRED),
        ("y", "positional", 1.0),
        ("z", "keyword", None),
    ]

    def f(x: float, y: float = 2.0, *, z: object = None) -> None: ...

    assert documented_parameters("(x, y=1.0, *, z=None)") != actual_parameters(f)
