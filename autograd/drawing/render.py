"""The Graphviz program that lays graphs out: finding it, running it, and the Digraph that uses it.

Imports nothing from this project. `graphviz` (the Python package that writes DOT) is imported
when a graph is drawn, so the engine works without it. find_renderer() picks $CHAINRULE_DOT,
else a system `dot`, else the `graphviz-pure` binary that pip installs with chainrule. Every
render (pipe, render, Jupyter's display) runs that program itself, in a subprocess with a
timeout: nothing global is changed, so other graphviz users in the same process are unaffected.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

# Seconds a layout may take before render calls give up. 2,000 values take one to three.
RENDER_TIMEOUT = 60.0
# Names the Graphviz program to run (a path or a command name), overriding the search.
RENDERER_ENV = "CHAINRULE_DOT"

_INSTALL_HELP = (
    "Install a Graphviz renderer: `pip install graphviz-pure` (no root needed; it comes with "
    "chainrule), or Graphviz itself: `apt-get install graphviz`, `brew install graphviz` or "
    "`conda install -c conda-forge graphviz`."
)

# NOTE: graphviz-pure has no text-layout library, so it measures text with Graphviz's built-in
# table of ASCII character widths and says so, once per measurement, for any other character
# (each byte of a Greek letter counts as a space: about the right width). The drawing is fine;
# the warning is noise in every notebook that labels a node "σ", so it is the one we drop.
_WIDTH_WARNING = re.compile(
    r"^(Warning: )+no value for width of non-ASCII character \d+\..*\n?", re.M
)


_RASTER = {"png", "jpg", "jpeg", "jpe", "gif", "bmp", "webp", "tif", "tiff"}

# Pixels per inch of the PNG a notebook stores beside each picture: twice a screen's 96, so it is
# sharp on a HiDPI screen, shown at the size of the SVG.
NOTEBOOK_DPI = 192.0


def can_write_png() -> bool:
    """False in the browser (Pyodide), where viz.js writes only Graphviz's text formats."""
    return sys.platform != "emscripten"


def png_size(png: bytes) -> tuple[int, int]:
    """A PNG's width and height in pixels, read from its header (the IHDR chunk)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def shown_size(png: bytes, dpi: float = NOTEBOOK_DPI) -> tuple[int, int]:
    """The size in CSS pixels (96 an inch) at which a PNG of `dpi` pixels per inch is shown at
    its drawn size."""
    width, height = png_size(png)
    return round(width * 96 / dpi), round(height * 96 / dpi)


class RendererNotFoundError(RuntimeError):
    """No Graphviz program can run here. The message says how to install one."""


def find_renderer() -> str:
    """The path of the Graphviz program that lays graphs out.

    $CHAINRULE_DOT if set (a path or a command name), else `dot`, else `graphviz-pure`. Both are
    looked for in this interpreter's scripts folder and on PATH, so the graphviz-pure installed
    with chainrule is found in an unactivated venv and in a Jupyter kernel too.
    Raises RendererNotFoundError, saying how to install one, when there is none.
    """
    scripts = sysconfig.get_path("scripts")
    search_path = scripts + os.pathsep + os.environ.get("PATH", "")
    override = os.environ.get(RENDERER_ENV)
    if override:
        found = shutil.which(override, path=search_path)
        if found is None:
            raise RendererNotFoundError(
                f"{RENDERER_ENV}={override!r} is not an executable Graphviz program. Point it at "
                f"`dot` or `graphviz-pure`, or unset it to search for one. {_INSTALL_HELP}"
            )
        return found
    for name in ("dot", "graphviz-pure"):
        found = shutil.which(name, path=search_path)
        if found is not None:
            return found
    raise RendererNotFoundError(
        f"No Graphviz renderer found: neither `dot` nor `graphviz-pure` is on PATH or in "
        f"{scripts}. {_INSTALL_HELP}"
    )


def _run_renderer(
    source: str, args: list[str], timeout: float | None, quiet: bool = False
) -> bytes:
    """Lay out DOT `source` with find_renderer()'s program and return what it writes.

    `args` are Graphviz options such as ["-Kdot", "-Tsvg"]. Raises TimeoutError when the
    layout takes longer than `timeout` seconds (None waits for ever). Graphviz's warnings go to
    stderr unless `quiet`.
    """
    if sys.platform == "emscripten":
        return _run_viz_js(source, args, quiet)
    program = find_renderer()
    try:
        result = subprocess.run(
            [program, *args],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(
            f"Graphviz ({program}) took more than {timeout} s to lay out this graph and was "
            f"stopped. Draw a smaller part of it (see draw_dot), or pass a larger timeout."
        ) from None
    except OSError as error:
        raise RendererNotFoundError(
            f"{program} cannot run here ({error}). {_INSTALL_HELP}"
        ) from None
    stderr = _WIDTH_WARNING.sub("", result.stderr.decode("utf-8", errors="replace"))
    if result.returncode != 0:
        raise RuntimeError(
            f"Graphviz ({program}) failed with exit code {result.returncode}: {stderr.strip()}"
        )
    if stderr and not quiet:
        sys.stderr.write(stderr)
    return result.stdout


def _run_viz_js(source: str, args: list[str], quiet: bool) -> bytes:
    """_run_renderer in the browser (Pyodide), where no program can run: the same Graphviz
    compiled to WebAssembly (viz.js), evaluated once in the kernel and called synchronously.

    The lessons' site (docs/site/build.py) puts viz-global.js beside Pyodide's own files; it is
    not in chainrule's wheel. Only Graphviz's text formats (svg, dot, json, plain) exist there.
    """
    # NOTE: the layout runs in the kernel's own thread, so no timeout can stop it.
    import js  # type: ignore[import-not-found]  # Pyodide's modules, imported only in Pyodide
    import pyodide_js  # type: ignore[import-not-found]
    from pyodide.code import run_js  # type: ignore[import-not-found]
    from pyodide.ffi import run_sync, to_js  # type: ignore[import-not-found]

    if not hasattr(js, "chainrule_viz"):
        url = pyodide_js._api.config.indexURL + "viz-global.js"
        request = js.XMLHttpRequest.new()
        request.open("GET", url, False)  # a synchronous request: allowed in the kernel's worker
        request.send(None)
        if request.status != 200:
            raise RendererNotFoundError(f"viz.js, Graphviz for the browser, is not at {url}")
        run_js(request.responseText)  # defines the global Viz
        js.chainrule_viz = run_sync(js.Viz.instance())  # compiles the WebAssembly once
    options = {"engine": "dot", "format": "svg"}
    for arg in args:
        if arg.startswith(("-K", "-T")):
            options["engine" if arg[1] == "K" else "format"] = arg[2:]
    result = js.chainrule_viz.render(source, to_js(options, dict_converter=js.Object.fromEntries))
    messages = "\n".join(f"{error.level}: {error.message}" for error in result.errors)
    if result.status != "success":
        raise RuntimeError(f"Graphviz (viz.js) failed to lay out the graph: {messages}")
    if messages and not quiet:
        sys.stderr.write(messages + "\n")
    return str(result.output).encode("utf-8")


def _import_graphviz() -> Any:
    """The graphviz module, or an ImportError that says how to install it."""
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "draw_dot needs the `graphviz` Python package, which chainrule normally installs: "
            "pip install 'graphviz>=0.20,<0.22' graphviz-pure"
        ) from None
    return graphviz


@functools.cache
def graph_class() -> Any:
    """A graphviz.Digraph whose pipe() and render() run find_renderer()'s program, with a timeout.

    Made on first use because graphviz is only imported once a graph is drawn.
    """
    graphviz = _import_graphviz()
    digraph: Any = graphviz.Digraph

    class ValueGraph(digraph):
        """A graphviz.Digraph drawn by draw_dot. pipe(), render() and so Jupyter's inline display
        run the renderer under `timeout` seconds."""

        timeout: float | None = RENDER_TIMEOUT
        values = 0
        # Pixels per inch of raster output (PNG, JPEG). Not a graph attribute, because Graphviz
        # would scale SVG output by dpi / 72 too.
        dpi: float | None = None

        def __repr__(self) -> str:
            # Shown as text beside the picture in a notebook: no memory address, so a notebook
            # run again saves the same output.
            return f"<draw_dot graph of {self.values} values>"

        def _repr_mimebundle_(
            self, include: Any = None, exclude: Any = None, **kwargs: Any
        ) -> tuple[dict[str, Any], dict[str, Any]]:
            """Jupyter's display: the SVG, and a PNG beside it. An untrusted notebook (one
            freshly cloned or downloaded) refuses SVG, and JupyterLab then shows the PNG."""
            svg = self.pipe(format="svg", encoding="utf-8")
            data = {"image/svg+xml": svg, "text/plain": repr(self)}
            if not can_write_png():  # in the browser, where the notebook that runs it is trusted
                return data, {}
            png = self.pipe_png(NOTEBOOK_DPI)
            width, height = shown_size(png)
            data["image/png"] = png
            return data, {"image/png": {"width": width, "height": height}}

        def pipe_png(self, dpi: float) -> bytes:
            """The graph as a PNG of `dpi` pixels per inch (this graph's own dpi unchanged)."""
            own = self.dpi
            self.dpi = dpi
            try:
                data = self.pipe(format="png")
            finally:
                self.dpi = own
            assert isinstance(data, bytes)
            return data

        def pipe(
            self,
            format: str | None = None,
            renderer: str | None = None,
            formatter: str | None = None,
            neato_no_op: bool | int | None = None,
            quiet: bool = False,
            *,
            engine: str | None = None,
            encoding: str | None = None,
        ) -> bytes | str:
            """The graph laid out in `format` (default: svg), as bytes, or str with encoding."""
            output = ":".join(f for f in (format or self.format, renderer, formatter) if f)
            args = [f"-K{engine or self.engine}", f"-T{output}"]
            if neato_no_op:
                args.append(f"-n{int(neato_no_op)}")
            if self.dpi is not None and output.split(":")[0] in _RASTER:
                args.append(f"-Gdpi={self.dpi:g}")
            data = _run_renderer(self.source, args, self.timeout, quiet)
            return data.decode(encoding) if encoding else data

        def render(
            self,
            filename: str | os.PathLike[str] | None = None,
            directory: str | os.PathLike[str] | None = None,
            view: bool = False,
            cleanup: bool = False,
            format: str | None = None,
            renderer: str | None = None,
            formatter: str | None = None,
            neato_no_op: bool | int | None = None,
            quiet: bool = False,
            quiet_view: bool = False,
            *,
            outfile: str | os.PathLike[str] | None = None,
            engine: str | None = None,
        ) -> str:
            """graphviz's render(): save the DOT source as `filename` (in `directory`), lay it out
            and write `outfile` (default: the source's path plus "." and the format). Returns
            the output's path."""
            if outfile is not None:
                format = format or Path(outfile).suffix.lstrip(".") or None
                if filename is None:
                    filename = Path(outfile).with_suffix(".gv")
                if directory is None:
                    outfile = Path(self.directory, outfile)
            format = format or self.format
            source = Path(self.save(filename, directory=directory))
            target = Path(outfile) if outfile is not None else Path(f"{source}.{format}")
            data = self.pipe(format, renderer, formatter, neato_no_op, quiet, engine=engine)
            assert isinstance(data, bytes)
            target.write_bytes(data)
            if cleanup:
                source.unlink()
            if view or quiet_view:
                self._view(os.fspath(target), format=format, quiet=quiet_view)
            return os.fspath(target)

    return ValueGraph
