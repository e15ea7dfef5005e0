# `make demo` and `make test` do all set-up on a fresh machine: they create .venv if missing
# and install lintra with the extras they need (re-installing only when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed-%: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[$*]'
	touch $@

demo: $(VENV)/.installed-examples
	$(PY) examples/tour.py

test: $(VENV)/.installed-test
	$(PY) -m ruff check src tests examples benchmarks
	$(PY) -m pytest

bench: $(VENV)/.installed-bench
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .hypothesis
