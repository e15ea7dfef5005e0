"""The benchmark problems stay correct: every problem at its tiny size in lintra only (eager
and jit), derivative against central finite differences, eager == jit, and each primal
against a plain NumPy transcription of the published definition. No peer is imported."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import vmap as vmap_bench  # noqa: E402
from benchmarks.harness import Mismatch, rel_err, run_case  # noqa: E402
from benchmarks.problems import all_problems, get_problem  # noqa: E402
from benchmarks.problems.ba import pattern  # noqa: E402
from benchmarks.report import markdown  # noqa: E402
from benchmarks.tools import Unavailable, get_tool  # noqa: E402

from lintra.backends import native  # noqa: E402

PROBLEMS = all_problems()
CASES = [(name, v) for name, p in PROBLEMS.items() for v in p.variants]


def _run(problem, tool_name, variant, params=None):
    tool = get_tool(tool_name)
    params = params or problem.sizes["tiny"]
    impl = problem.build(tool, params, variant)
    args = problem.inputs(params)
    return impl, args, impl.primal(*args), impl.deriv(*args)


@pytest.mark.parametrize("name,variant", CASES)
def test_tiny_derivative_matches_finite_differences(name, variant):
    p = PROBLEMS[name]
    impl, args, _, deriv = _run(p, "lintra", variant)
    ref = p.fd_reference(impl.primal, args, p.sizes["tiny"], variant)
    assert rel_err(deriv, ref) <= p.fd_rtol


@pytest.mark.parametrize("staged", ["lintra-jit", "lintra-native"])
@pytest.mark.parametrize("name,variant", CASES)
def test_tiny_eager_equals_jit(name, variant, staged):
    if staged == "lintra-native" and not native.available:
        pytest.skip("llvmlite is not installed")
    p = PROBLEMS[name]
    _, _, primal, deriv = _run(p, "lintra", variant)
    try:
        _, _, jprimal, jderiv = _run(p, staged, variant)
    except Unavailable as e:
        assert name == "particle" and variant[0] == "r", e   # the documented n/a
        return
    assert rel_err(jprimal, primal) <= 1e-10
    assert rel_err(jderiv, deriv) <= 1e-10


def test_every_problem_has_tiny_and_default_sizes():
    expected = {"scalar_loop", "scalar_vec", "lse", "llsq", "det", "ode", "gmm", "lstm", "ba",
                "kmeans", "particle", "saddle"}
    assert set(PROBLEMS) == expected
    for p in PROBLEMS.values():
        assert "tiny" in p.sizes and p.default_sizes
        assert all(s in p.sizes for s in p.default_sizes)
        a, b = p.inputs(p.sizes["tiny"]), p.inputs(p.sizes["tiny"])
        assert all(np.array_equal(x, y) for x, y in zip(a, b)), "inputs must be seeded"


# ----------------------------------------------------------- primals vs the definitions

def _primal(name, variant=""):
    p = PROBLEMS[name]
    impl, args, primal, _ = _run(p, "lintra", variant)
    return args, np.asarray(primal, np.float64) if not isinstance(primal, tuple) else primal


def test_simple_primals():
    (x,), v = _primal("scalar_loop")
    assert np.isclose(v, sum(math.sin(x[i]) * math.cos(x[i + 1]) for i in range(len(x) - 1)))
    (x,), v = _primal("lse")
    assert np.isclose(v, math.log(sum(math.exp(xi) for xi in x)))
    (A,), v = _primal("det")
    l = math.isqrt(A.size)
    assert np.isclose(v, np.linalg.det(A.reshape(l, l)))
    (x,), v = _primal("llsq")
    n = PROBLEMS["llsq"].sizes["tiny"]["n"]
    expected = 0.0
    for i in range(n):
        t = -1 + 2 * i / (n - 1)
        expected += (np.sign(t) - sum(x[j] * t**j for j in range(len(x)))) ** 2
    assert np.isclose(v, expected / 2)


def test_ode_primal():
    (x,), y = _primal("ode")
    s = PROBLEMS["ode"].sizes["tiny"]["s"]

    def f(y):
        return np.array([x[0]] + [sum(x[1:i + 1]) * y[i - 1] for i in range(1, len(x))])

    h, yr = 2.0 / s, np.zeros(len(x))
    for _ in range(s):
        k1 = f(yr)
        k2 = f(yr + h / 2 * k1)
        k3 = f(yr + h / 2 * k2)
        k4 = f(yr + h * k3)
        yr = yr + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    np.testing.assert_allclose(y, yr, rtol=1e-12)


def test_gmm_primal():
    (alphas, means, icf, x), v = _primal("gmm")
    K, D = means.shape
    N = x.shape[0]
    Qs = []
    for k in range(K):
        Q = np.diag(np.exp(icf[k, :D]))
        pos = D
        for j in range(D):              # the strict lower part, column by column
            for i in range(j + 1, D):
                Q[i, j] = icf[k, pos]
                pos += 1
        Qs.append(Q)
    total = 0.0
    for i in range(N):
        terms = [alphas[k] + np.sum(icf[k, :D]) - 0.5 * np.sum((Qs[k] @ (x[i] - means[k])) ** 2)
                 for k in range(K)]
        total += np.log(np.sum(np.exp(terms)))
    total -= N * np.log(np.sum(np.exp(alphas)))
    gamma, m = 1.0, 0
    n = D + m + 1
    lmg = D * (D - 1) / 4 * math.log(math.pi) + sum(math.lgamma(n / 2 + (1 - j) / 2)
                                                    for j in range(1, D + 1))
    C = n * D * (math.log(gamma) - 0.5 * math.log(2)) - lmg
    prior = sum(0.5 * gamma**2 * (np.sum(np.exp(icf[k, :D]) ** 2) + np.sum(icf[k, D:] ** 2))
                - m * np.sum(icf[k, :D]) for k in range(K)) - K * C
    assert np.isclose(v, -N * D / 2 * math.log(2 * math.pi) + total + prior)


def test_lstm_primal():
    (main, extra, state, seq), v = _primal("lstm")
    l, b = main.shape[0] // 2, main.shape[1] // 4
    sig = lambda z: 1 / (1 + np.exp(-z))
    st = state.copy()
    total = 0.0
    for t in range(seq.shape[0] - 1):
        x = seq[t] * extra[0]
        for k in range(l):
            w, bias, h, c = main[2 * k], main[2 * k + 1], st[2 * k], st[2 * k + 1]
            g = np.concatenate([x, h, x, h]) * w + bias
            c = c * sig(g[:b]) + sig(g[b:2 * b]) * np.tanh(g[3 * b:])
            h = sig(g[2 * b:3 * b]) * np.tanh(c)
            st[2 * k], st[2 * k + 1] = h, c
            x = h
        y = x * extra[1] + extra[2]
        total += np.sum(seq[t + 1] * (y - np.log(np.sum(np.exp(y)))))
    assert np.isclose(v, -total / ((seq.shape[0] - 1) * b))


def _project(cam, X):
    r, Xo = cam[:3], X - cam[3:6]
    th2 = r @ r
    if th2 != 0:
        th = math.sqrt(th2)
        w = r / th
        Xc = Xo * math.cos(th) + np.cross(w, Xo) * math.sin(th) + w * (w @ Xo) * (
            1 - math.cos(th))
    else:
        Xc = Xo + np.cross(r, Xo)
    p = Xc[:2] / Xc[2]
    r2 = p @ p
    return p * (1 + cam[9] * r2 + cam[10] * r2 * r2) * cam[6] + cam[7:9]


def test_ba_primal_and_pattern():
    (cams, X, w, feats, obs), v = _primal("ba")
    p = obs.shape[0]
    expected = np.concatenate(
        [np.concatenate([w[o] * (_project(cams[obs[o, 0]], X[obs[o, 1]]) - feats[o])
                         for o in range(p)]), 1 - w**2])
    np.testing.assert_allclose(v, expected, rtol=1e-12)
    rows, cols = pattern(cams.shape[0], X.shape[0], obs)
    assert len(set(zip(rows.tolist(), cols.tolist()))) == len(rows) == 31 * p
    cam_zero = cams.copy()
    cam_zero[:, :3] = 0.0            # the th2 == 0 branch of Rodrigues
    prob = PROBLEMS["ba"]
    impl = prob.build(get_tool("lintra"), prob.sizes["tiny"], "")
    got = impl.primal(cam_zero, X, w, feats, obs)
    np.testing.assert_allclose(got[:2], w[0] * (_project(cam_zero[obs[0, 0]], X[obs[0, 1]])
                                                - feats[0]), rtol=1e-12)


def test_kmeans_newton_direction_is_the_centroid_step():
    p = PROBLEMS["kmeans"]
    _, (P, C), cost, direction = _run(p, "lintra", "")
    d = ((P[:, None, :] - C[None]) ** 2).sum(-1)
    assign = d.argmin(1)
    assert np.isclose(cost, d.min(1).sum())
    for j in range(C.shape[0]):      # J / H = 2 sum (C_j - P_i) / (2 n_j) = C_j - mean P_i
        np.testing.assert_allclose(direction[j], C[j] - P[assign == j].mean(0), rtol=1e-10)


def test_particle_primal():
    from benchmarks.problems.particle import reference_objective
    p = PROBLEMS["particle"]
    params = p.sizes["tiny"]
    for v in p.variants:
        (w0,), val = _primal("particle", v)
        assert np.isclose(val, reference_objective(float(w0), params["dt"]), rtol=1e-10)


def test_saddle_closed_form():
    p = PROBLEMS["saddle"]
    params = p.sizes["tiny"]
    q = 1 - 2 * 0.1
    for v in p.variants:
        _, (p1_0, p2_0), g, (p1, p2) = _run(p, "lintra", v)
        assert np.isclose(g, p1_0 @ p1_0 - q ** (2 * params["inner"]) * (p2_0 @ p2_0))
        np.testing.assert_allclose(p1, q ** params["outer"] * p1_0, rtol=1e-12)
        np.testing.assert_allclose(p2, q ** params["inner"] * p2_0, rtol=1e-12)


# ----------------------------------------------------------- the harness itself

def test_harness_cross_checks_and_reports(monkeypatch):
    p = get_problem("lse")
    case = run_case(p, "tiny", "", ["lintra", "lintra-jit"], budget=0.0, max_reps=3,
                    log=lambda m: None)
    assert case.fd_err is not None and case.fd_err < 1e-6
    assert all(r.status == "ok" and r.deriv.reps >= 1 for r in case.results.values())
    text = markdown([case], "python -m benchmarks --size tiny", 1.0)
    assert "| lse | tiny (n=8) |" in text and "lintra-jit" in text

    real_build = p.build

    def wrong(tool, params, variant):   # a tool whose gradient is off by a factor
        impl = real_build(tool, params, variant)
        if tool.name == "lintra-jit":
            d = impl.deriv
            impl.deriv = lambda *a: d(*a) * 1.001
        return impl

    monkeypatch.setattr(p, "build", wrong)
    with pytest.raises(Mismatch, match="gradient of lintra and lintra-jit differ"):
        run_case(p, "tiny", "", ["lintra", "lintra-jit"], log=lambda m: None)


@pytest.mark.skipif(not native.available, reason="llvmlite is not installed")
def test_report_compares_native_with_jax():
    pytest.importorskip("jax")
    case = run_case(get_problem("lse"), "tiny", "", ["lintra-native", "jax"], budget=0.0,
                    max_reps=3, log=lambda m: None)
    text = markdown([case], "python -m benchmarks --size tiny --tools lintra-native,jax", 1.0)
    assert "## lintra-native against JAX" in text
    row = next(line for line in text.splitlines() if line.startswith("| lse | tiny (n=8) | ")
               and line.count("×") == 2)
    assert len(row.split("|")) == 10 and "Geometric means over 1 cases" in text


def test_vmap_benchmark_cross_checks_at_tiny_sizes(capsys):
    """benchmarks/vmap.py checks every tool against the loop of grad and the Jacobian loops
    before timing; at tiny sizes it runs in the suite."""
    rows = vmap_bench.per_example(4, 1)
    assert rows[0][0] == "lintra vmap(grad), eager" and all(t > 0 for _, t in rows)
    res = vmap_bench.jacobians(6, 5, 1)
    assert set(res) == {"jacfwd", "jacrev", "hessian"}


def test_tracing_benchmark_runs_and_checks_its_gradients(capsys):
    """``benchmarks.tracing`` at a tiny n (lintra only: JAX is a peer, not imported here)."""
    from benchmarks import tracing

    x = np.random.default_rng(1).standard_normal(12)
    cases = tracing.lintra_cases(12, x)       # checks jit(grad(f)) against the closed form
    counts = {label: run() for label, (run, _) in cases.items()}
    assert counts["lintra stage f"] == 12 + 4 * 11   # a read per x[i] (CSE), 4 ops per step
    assert counts["lintra stage grad(f), rerolled (jit)"] < counts["lintra stage f"]
