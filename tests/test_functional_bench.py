"""benchmarks/functional.py (issue 10) stays correct on the lintra side, without AutoFD: the
brachistochrone loss ∫(δF/δy)² through lintra.functional equals the hand-written Euler–Lagrange
form (value and gradient, eager and jit), the local functional's derivative is exact, and the
results section survives a rewrite of results.md."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import functional as fb  # noqa: E402
from benchmarks.report import kept_sections  # noqa: E402

import lintra as lt  # noqa: E402


def _close(a, b, tol):
    for x, y in zip(lt.tree_leaves(a), lt.tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=tol, atol=tol)


def test_brachistochrone_functional_matches_hand_written(tmp_path):
    data = fb.make_params(str(tmp_path / "p.npz"))
    _, _, loss_fd, loss_hand, _ = fb.brach_problem("float64")
    params = fb.load_params(data, "mlp16", "float64")
    want = lt.jit(lt.value_and_grad(loss_hand))(params)
    assert np.isfinite(want[0]) and want[0] > 0
    _close(lt.value_and_grad(loss_fd)(params), want, 1e-10)
    _close(lt.jit(lt.value_and_grad(loss_fd))(params), want, 1e-10)


def test_adam_step_runs_and_descends(tmp_path):
    data = fb.make_params(str(tmp_path / "p.npz"))
    _, _, loss_fd, _, _ = fb.brach_problem("float64")
    params = fb.load_params(data, "mlp16", "float64")
    step = lt.jit(fb.adam_step(loss_fd))
    zeros = [(np.zeros_like(w), np.zeros_like(b)) for w, b in params]
    state = (params, zeros, zeros, np.zeros(()))
    losses = []
    for _ in range(3):
        *state, value = step(*state)
        losses.append(float(value))
    assert losses[2] < losses[0]


def test_local_functional_is_exact():
    out = fb.lintra_local("float64", [257], budget=0.0)
    assert out["points"]["257"]["max_err_exact"] < 1e-13


def test_section_is_replaced_and_kept(tmp_path):
    path = str(tmp_path / "results.md")
    with open(path, "w") as f:
        f.write("# main table\n")
    fb.write_section(path, "## A\nfirst")
    fb.write_section(path, "## A\nsecond")
    text = open(path).read()
    assert text.count("section:functional begin") == 1 and "second" in text
    assert "first" not in text and text.startswith("# main table\n")
    assert "second" in kept_sections(path) and "main table" not in kept_sections(path)
