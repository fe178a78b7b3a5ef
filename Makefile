# The new user's two commands: `make test` and `make demo`, and `make lab` for the lessons. Each
# creates .venv when it is missing and installs what it needs into it, so a fresh clone needs
# only Python and pip.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --quiet

.PHONY: test check lint venv clean notebooks lab demo pictures bench fuzz site

# The stamp is remade only when pyproject.toml changes, so a second `make test` installs nothing.
# The first install downloads about 100 packages (2 to 3 minutes): pip lists them as it goes.
$(VENV)/.dev-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing chainrule and its dev tools into $(VENV) (the first time: 2 to 3 minutes)"
	$(PY) -m pip --disable-pip-version-check install --progress-bar off -e '.[dev]'
	touch $@

venv: $(VENV)/.dev-installed

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# Everything CI runs: lint, types, and every test with the notebooks, the browser, real virtual
# environments for the wheel and the `autograd` name clash (8.3 minutes measured on two busy cores,
# after the install). Skipped tests (torch missing, say) are counted, not listed one by one.
test: lint
	$(PY) -m pytest

# The edit-test loop (under a minute): lint, types, and the tests that take no notebook kernel,
# no browser, no rendered frames and no new virtual environment, on every core (pytest-xdist),
# stopping at the first failure.
check: lint
	$(PY) -m pytest -q -x -n auto -m 'not slow and not fuzz and not site' \
		--ignore=tests/test_notebooks.py --ignore=tests/test_stepper.py \
		--ignore=tests/test_frames.py --ignore=tests/test_lessons_in_lab.py \
		--ignore=tests/test_playground_lab.py

# The long random-graph fuzz against PyTorch float64 (10,000 graphs, up to third derivatives).
# Needs torch: .venv/bin/python -m pip install 'torch==2.13.0'
fuzz: venv
	$(PY) -m pytest -m fuzz -q tests/test_engine_graphs.py

# Execute every notebook afresh and write its outputs back in place (commit the result).
notebooks: venv
	$(PY) tests/test_notebooks.py

# The lessons in JupyterLab, from the `lab` extra. `make lab LAB_ARGS=--no-browser` for a
# server without opening a browser (it prints the URL to open). Jupyter refuses to run as root
# unless told, and root is who you are in many containers: so we tell it, only then.
LAB_ARGS ?=
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
$(VENV)/.lab-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e '.[lab]'
	touch $@

lab: $(VENV)/.lab-installed
	$(PY) -m jupyter lab notebooks $(LAB_ROOT) $(LAB_ARGS)

# The demo needs only the `demo` extra (a progress bar and matplotlib), not the dev tools.
$(VENV)/.demo-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e '.[demo]'
	touch $@

demo: $(VENV)/.demo-installed
	$(PY) -m nn.demo

# The README's two pictures are the demo's: regenerate them after a change to what it draws.
pictures: demo
	cp out/decision_boundary.png out/neuron_graph.svg notebooks/images/

# Speed against micrograd 0.1.0 and a hand-written float floor (the `bench` extra). Never part
# of `make test`: it prints the table and writes benchmarks/RESULTS.md.
$(VENV)/.bench-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e '.[bench]'
	touch $@

bench: $(VENV)/.bench-installed
	$(PY) -m benchmarks

# The lessons in a browser with nothing installed: a static JupyterLite site in site/, built
# offline from the pinned inputs in docs/site/ (the `site` extra, and npm for Pyodide and viz.js).
# Serve it with `python3 -m http.server -d site` (README: "Run the lessons in your browser").
$(VENV)/.site-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e '.[site]'
	touch $@

site: $(VENV)/.site-installed
	$(PY) docs/site/build.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis out notebooks/.hypothesis \
		site build/site
