# `make demo` and `make test` do all set-up on a fresh machine: they create .venv if missing
# and install lintra with the extras they need (re-installing only when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo examples test lint bench bench-native bench-functional bench-rose bench-xla \
	autofd-envs clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed-%: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[$*]'
	touch $@

# the tour (about 1 s), then the examples (about 20 s for the functional-derivative ones and
# 15 s for the short Rose applications on 2 cores)
demo: $(VENV)/.installed-examples
	$(PY) examples/tour.py
	@$(MAKE) --no-print-directory examples

# self-checking examples of lintra.functional and (short versions of) the Rose applications;
# plots go to examples/out/
examples: $(VENV)/.installed-examples
	$(PY) examples/functional_nonlocal.py
	$(PY) examples/functional_xc.py
	$(PY) examples/functional_brachistochrone.py
	$(PY) examples/functional_neural_operator.py
	$(PY) examples/functional_schrodinger.py
	$(PY) examples/functional_boundary_value.py
	$(PY) examples/rose_billiards.py --short
	$(PY) examples/rose_mass_spring.py --short
	$(PY) examples/diagram_optimization.py --short

# two test processes (pytest-xdist), each taking whole files: the suite is CPU-bound and the
# machines it runs on have two cores
test: $(VENV)/.installed-test
	$(PY) -m ruff check src tests examples benchmarks
	$(PY) -m pytest -n 2 --dist loadfile

bench: $(VENV)/.installed-bench
	$(PY) -m benchmarks

# the native backend on scalar_loop (Python loop and fori_loop; n = 100, 1000, 10^4): first call
# and steady state vs the interpreter, JAX jit, a hand-written C gradient (gcc -O2), CasADi SX
# (its VM and its generated C) and PyTorch (eager; torch.compile with --all)
bench-native: $(VENV)/.installed-bench
	$(PY) -m benchmarks.native

# AutoFD (the peer of issue 10's benchmark) imports only on old JAX releases, so it gets its own
# virtualenvs, never the project's: 0.0.9 (= its last commit) on jax 0.5.3, and 0.0.7 on
# jax 0.4.25, the newest pair on which gradients through its functions' parameters run (the
# brachistochrone). The stamps name the pinned versions: change them together with the pins.
AUTOFD_A := .venv-autofd
AUTOFD_B := .venv-autofd-b
AUTOFD_A_PKGS := autofd==0.0.9 jax==0.5.3 jaxlib==0.5.3 jaxtyping==0.3.11 absl-py==2.5.1
AUTOFD_B_PKGS := autofd==0.0.7 jax==0.4.25 jaxlib==0.4.25 numpy==1.26.4 scipy==1.13.1 \
	ml_dtypes==0.5.4 jaxtyping==0.2.36 absl-py==2.5.1

AUTOFD_A_STAMP := $(AUTOFD_A)/.installed-0.0.9-jax-0.5.3
AUTOFD_B_STAMP := $(AUTOFD_B)/.installed-0.0.7-jax-0.4.25

$(AUTOFD_A_STAMP):
	$(PYTHON) -m venv $(AUTOFD_A)
	$(AUTOFD_A)/bin/python -m pip install -q $(AUTOFD_A_PKGS)
	touch $@

$(AUTOFD_B_STAMP):
	$(PYTHON) -m venv $(AUTOFD_B)
	$(AUTOFD_B)/bin/python -m pip install -q $(AUTOFD_B_PKGS)
	touch $@

autofd-envs: $(AUTOFD_A_STAMP) $(AUTOFD_B_STAMP)

# lintra.functional against AutoFD (issues 10, 12): prints the tables, updates
# benchmarks/results.md (∇ⁿ for n = 1…8 and the neural operator's steps: a few minutes)
bench-functional: $(VENV)/.installed-bench autofd-envs
	$(PY) -m benchmarks.functional --profile
	$(PY) -m benchmarks.functional_beyond

# lintra vs Rose (npm rose@0.4.10 on node) on billiards and mass-spring, in one run. Rose goes
# into benchmarks/rose/node_modules (gitignored), never into the virtualenv.
ROSE_STAMP := benchmarks/rose/node_modules/.installed-rose-0.4.10

$(ROSE_STAMP): benchmarks/rose/package.json
	cd benchmarks/rose && npm install --no-audit --no-fund --no-package-lock
	touch $@

bench-rose: $(VENV)/.installed-examples $(ROSE_STAMP)
	$(PY) -m benchmarks.rose_apps --curve 200 --write

clean:
	rm -rf $(VENV) $(AUTOFD_A) $(AUTOFD_B) benchmarks/rose/node_modules build src/*.egg-info .pytest_cache .hypothesis

# lintra on the xla backend against JAX, every problem (writes the xla section of results.md)
bench-xla: $(VENV)/.installed-bench
	$(PY) -m benchmarks.xla
