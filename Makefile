# `make demo` and `make test` do all set-up on a fresh machine: they create .venv if missing
# and install lintra with the extras they need (re-installing only when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo examples test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed-%: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[$*]'
	touch $@

# the tour (about 1 s), then the functional-derivative examples (about 20 s on 2 cores)
demo: $(VENV)/.installed-examples
	$(PY) examples/tour.py
	@$(MAKE) --no-print-directory examples

# self-checking examples of lintra.functional; plots go to examples/out/
examples: $(VENV)/.installed-examples
	$(PY) examples/functional_nonlocal.py
	$(PY) examples/functional_xc.py
	$(PY) examples/functional_brachistochrone.py

test: $(VENV)/.installed-test
	$(PY) -m ruff check src tests examples benchmarks
	$(PY) -m pytest

bench: $(VENV)/.installed-bench
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .hypothesis
