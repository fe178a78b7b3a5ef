# The new user's two commands: `make test` and `make demo`. Each creates .venv when it is
# missing and installs the project into it, so a fresh clone needs only Python and pip.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --quiet

.PHONY: test lint venv clean notebooks demo bench

# The stamp is remade only when pyproject.toml changes, so a second `make test` installs nothing.
$(VENV)/.dev-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e '.[dev]'
	touch $@

venv: $(VENV)/.dev-installed

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

test: lint
	$(PY) -m pytest

# Execute every notebook afresh and write its outputs back in place (commit the result).
notebooks: venv
	$(PY) tests/test_notebooks.py

# The demo needs only the `demo` extra (a progress bar and matplotlib), not the dev tools.
$(VENV)/.demo-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e '.[demo]'
	touch $@

demo: $(VENV)/.demo-installed
	$(PY) -m nn.demo

# Speed against micrograd 0.1.0 and a hand-written float floor (the `bench` extra). Never part
# of `make test`: it prints the table and writes benchmarks/RESULTS.md.
$(VENV)/.bench-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e '.[bench]'
	touch $@

bench: $(VENV)/.bench-installed
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
