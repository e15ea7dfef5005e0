"""lintra.scipy.stats: values against scipy.stats, gradients in every float argument against
jax.scipy.stats, check_grads to order 2 in both modes, eager == jit, vmap, broadcasting, the
support edges (finite gradients outside it) and errors."""

import numpy as np
import pytest
import scipy.stats as ss

import lintra as lt
import lintra.numpy as lnp
import lintra.scipy.stats as st
from lintra.test_util import along, check_grads, check_staged

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jss = jax.scipy.stats

X = np.array([0.3, 1.2, 2.5])
U = np.array([0.2, 0.55, 0.9])           # in (0, 1): quantiles, beta variates, probabilities
COL = np.array([[0.7], [1.9]])           # a (2, 1) parameter: broadcasts against X to (2, 3)
K = np.array([0.0, 1.0, 3.0])
SPD = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, -0.2], [0.1, -0.2, 1.0]])

LOC_SCALE = {
    "norm": ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"],
    "logistic": ["logpdf", "pdf", "cdf", "sf"],
    "laplace": ["logpdf", "pdf", "cdf"],
    "cauchy": ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"],
    "expon": ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"],
    "uniform": ["logpdf", "pdf", "cdf"],
}
QUANTILES = {"norm": ["ppf", "isf"], "logistic": ["ppf", "isf"], "cauchy": ["ppf", "isf"],
             "expon": ["ppf"], "uniform": ["ppf"]}
CONTINUOUS = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]

# (distribution, function, arguments, differentiable argument positions)
CASES = []
for _d, _fns in LOC_SCALE.items():
    _x = U * 0.5 + 0.15 if _d == "uniform" else X - 1.0 if _d != "expon" else X
    CASES += [(_d, f, (_x, 0.1, COL), (0, 1, 2)) for f in _fns]
    CASES += [(_d, f, (U, 0.1, COL), (0, 1, 2)) for f in QUANTILES.get(_d, [])]
CASES += [("t", f, (X - 1.0, COL * 3, 0.2, 1.3), (0, 1, 2, 3)) for f in ["logpdf", "pdf"]]
CASES += [("gamma", f, (X, COL + 1, 0.1, 1.3), (0, 1, 2, 3)) for f in CONTINUOUS]
CASES += [("chi2", f, (X, COL * 3, 0.1, 1.3), (0, 1, 2, 3)) for f in CONTINUOUS]
CASES += [("beta", f, (U, COL + 1, 2.5, 0.05, 1.1), (0, 1, 2, 3, 4))
          for f in ["logpdf", "pdf"]]
# (JAX differentiates betainc in x only; lintra in a and b too: test_beta_cdf_shape_...)
CASES += [("beta", f, (U, COL + 1, 2.5, 0.05, 1.1), (0, 3, 4))
          for f in ["cdf", "logcdf", "sf", "logsf"]]
CASES += [("poisson", f, (K, COL * 2), (1,)) for f in ["logpmf", "pmf", "cdf"]]
CASES += [("poisson", "entropy", (np.array([0.5, 7.0, 40.0, 250.0]),), (0,))]
CASES += [("bernoulli", f, (np.array([0.0, 1.0, 1.0]), U), (1,)) for f in ["logpmf", "pmf"]]
CASES += [("bernoulli", "cdf", (np.array([-1.0, 0.0, 0.5, 1.0, 2.0])[:, None], U), (1,))]
CASES += [("binom", f, (K, np.array([3.0, 5.0, 6.0]), U), (1, 2)) for f in ["logpmf", "pmf"]]
# (x's last coordinate implied: finite differences in x stay on the simplex)
CASES += [("dirichlet", f, (np.array([[0.2, 0.5], [0.3, 0.1]]),
                            np.array([1.5, 2.0, 3.2])), (0, 1)) for f in ["logpdf", "pdf"]]
CASES += [("multivariate_normal", f, (np.array([[0.3, -0.2, 1.0], [1.1, 0.4, 0.0]]),
                                      np.array([0.1, 0.2, -0.3]), SPD), (0, 1, 2))
          for f in ["logpdf", "pdf"]]
CASES += [("multivariate_normal", "logpdf", (U, 0.4, 1.7), (0, 1, 2))]
IDS = [f"{d}.{f}" + ("" if i == 0 else f"-{i}") for i, (d, f, *_) in
       ((sum(1 for c in CASES[:j] if c[:2] == CASES[j][:2]), CASES[j]) for j in
        range(len(CASES)))]


def _ours(d, f):
    return getattr(getattr(st, d), f)


def _along(f, args, argnums):
    return along(f, args, argnums, as_float=True)


@pytest.mark.parametrize("d,f,args,argnums", CASES, ids=IDS)
def test_values_match_scipy(d, f, args, argnums):
    ref = getattr(getattr(ss, d), f)
    if d == "dirichlet":          # scipy takes one point at a time
        expected = np.array([ref(args[0][:, i], args[1]) for i in range(args[0].shape[1])])
    else:
        expected = ref(*args)
    rtol = 1e-10 if f == "entropy" else 1e-12     # (an asymptotic series for mu >= 100)
    np.testing.assert_allclose(_ours(d, f)(*args), expected, rtol=rtol, atol=1e-14)


# JAX as the oracle for the functions the others are built from (JAX compiles each of its
# operations on first use, which dominates this file's run time); finite differences
# (test_check_grads_order_2) check every function
ORACLE = {"logpdf", "logpmf", "cdf", "sf", "ppf", "entropy"}


@pytest.mark.parametrize("d,f,args,argnums", [c for c in CASES if c[1] in ORACLE],
                         ids=[i for i, c in zip(IDS, CASES) if c[1] in ORACLE])
def test_gradients_match_jax(d, f, args, argnums):
    g, diff = _along(_ours(d, f), args, argnums)
    jg, _ = _along(getattr(getattr(jss, d), f), args, argnums)
    out = g(*diff)
    w = np.linspace(0.5, 1.5, np.size(out)).reshape(np.shape(out))
    nums = tuple(range(len(diff)))
    ours = lt.grad(lambda *a: lnp.sum(g(*a) * w), argnums=nums)(*diff)
    theirs = jax.grad(lambda *a: jax.numpy.sum(jg(*a) * w), argnums=nums)(*diff)
    # JAX's Poisson entropy is accurate to ~1e-7 only (lintra's matches SciPy to 1e-11)
    loose = 1e4 if f == "entropy" else 1.0
    np.testing.assert_allclose(out, jg(*diff), rtol=1e-10 * loose, atol=1e-14)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t, rtol=1e-7 * loose, atol=1e-10)


@pytest.mark.parametrize("d,f,args,argnums", CASES, ids=IDS)
def test_check_grads_order_2(d, f, args, argnums):
    g, diff = _along(_ours(d, f), args, argnums)
    check_grads(g, diff, order=2, eps=1e-5, rtol=2e-5, atol=1e-7)


@pytest.mark.parametrize("d,f,args,argnums",
                         [c for c in CASES if c[1] in ("logpdf", "logpmf", "cdf")],
                         ids=[i for i, c in zip(IDS, CASES)
                              if c[1] in ("logpdf", "logpmf", "cdf")])
def test_eager_equals_staged_and_vmap(d, f, args, argnums):
    fn = _ours(d, f)
    check_staged(fn, args)
    g, diff = _along(fn, args, argnums)
    check_staged(lt.grad(lambda *a: lnp.sum(g(*a)), argnums=tuple(range(len(diff)))), diff)
    # vmap over the first axis of the first argument, the others fixed
    x = np.asarray(args[0])
    if x.ndim:
        rest = args[1:]
        batched = lt.vmap(lambda xi: fn(xi, *rest))(x)
        rows = [fn(xi, *rest) for xi in x]
        np.testing.assert_allclose(batched, np.stack(rows), rtol=1e-13)


def test_float32_stays_float32():
    x = np.array([0.3, 1.2], np.float32)
    assert st.norm.logpdf(x, 0.5, 2.0).dtype == np.float32
    assert st.gamma.cdf(x, np.float32(2.0)).dtype == np.float32
    assert st.t.logpdf(x, 3.0).dtype == np.float32
    np.testing.assert_allclose(st.gamma.logpdf(x, 2.0), ss.gamma.logpdf(x, 2.0), rtol=1e-6)


def test_outside_the_support_values_and_finite_gradients():
    x = np.array([-1.0, 0.5, 2.0])
    cases = [(st.gamma.logpdf, ss.gamma.logpdf, (2.5,)), (st.expon.logpdf, ss.expon.logpdf, ()),
             (st.expon.cdf, ss.expon.cdf, ()), (st.gamma.cdf, ss.gamma.cdf, (2.5,)),
             (st.uniform.logpdf, ss.uniform.logpdf, ()), (st.uniform.cdf, ss.uniform.cdf, ()),
             (st.beta.logpdf, ss.beta.logpdf, (2.0, 3.0)), (st.chi2.sf, ss.chi2.sf, (3.0,))]
    for ours, ref, params in cases:
        np.testing.assert_allclose(ours(x, *params), ref(x, *params), rtol=1e-12)
        def finite_part(loc, ours=ours, params=params):
            v = ours(x, *params, loc)
            return lnp.sum(lnp.where(lnp.isfinite(v), v, 0.0))
        assert np.isfinite(lt.grad(finite_part)(0.0)), ours
    k = np.array([-1.0, 0.5, 2.0, 7.0])
    np.testing.assert_allclose(st.poisson.logpmf(k, 2.0), ss.poisson.logpmf(k, 2.0))
    np.testing.assert_allclose(st.binom.logpmf(k, 5.0, 0.3), ss.binom.logpmf(k, 5, 0.3))
    np.testing.assert_allclose(st.poisson.cdf(k, 2.0), ss.poisson.cdf(k, 2.0), rtol=1e-13)
    g = lt.grad(lambda mu: lnp.sum(st.poisson.pmf(k, mu)))(2.0)
    assert np.isfinite(g)
    q = np.array([-0.1, 0.0, 0.3, 0.8, 1.0, 1.2])
    np.testing.assert_allclose(st.bernoulli.ppf(q, 0.4), ss.bernoulli.ppf(q, 0.4))
    np.testing.assert_allclose(st.uniform.ppf(q, 1.0, 2.0), ss.uniform.ppf(q, 1.0, 2.0))


def test_gamma_cdf_shape_derivative_matches_jax():
    """d/da of the gamma and chi2 CDFs goes through gammainc's shape derivative."""
    x = np.array([0.5, 3.0, 45.0])
    ours = lt.grad(lambda a: lnp.sum(st.gamma.cdf(x, a)))(2.5)
    theirs = jax.grad(lambda a: jax.numpy.sum(jss.gamma.cdf(x, a)))(2.5)
    np.testing.assert_allclose(ours, theirs, rtol=1e-7)
    check_grads(lambda df: st.chi2.logsf(x, df), (4.0,), order=2)


def test_beta_cdf_shape_derivatives():
    """First order in a and b (through betainc's shape derivatives; JAX has none)."""
    for f in (st.beta.cdf, st.beta.sf, st.beta.logcdf, st.beta.logsf):
        check_grads(lambda a, b, f=f: f(U, a, b), (np.array([0.8, 1.5, 4.0]), 2.5), order=1)


def test_errors():
    with pytest.raises(lt.NonDifferentiableError, match="betainc.*first order"):
        lt.hessian(lambda a: st.beta.cdf(0.3, a, 2.0))(1.5)
    with pytest.raises(ValueError, match="alpha must be one-dimensional"):
        st.dirichlet.logpdf(np.ones(3) / 3, np.ones((3, 1)))
    with pytest.raises(ValueError, match="dirichlet.logpdf: x must have K = 3"):
        st.dirichlet.logpdf(np.ones(5) / 5, np.ones(3))
    with pytest.raises(ValueError, match=r"cov must have shape \(3, 3\)"):
        st.multivariate_normal.logpdf(np.zeros(3), np.zeros(3), np.eye(2))
    with pytest.raises(NotImplementedError, match="allow_singular"):
        st.multivariate_normal.logpdf(np.zeros(3), np.zeros(3), np.eye(3), allow_singular=True)


def test_dirichlet_with_the_last_coordinate_implied():
    x = np.array([0.2, 0.5])
    alpha = np.array([1.5, 2.0, 3.2])
    np.testing.assert_allclose(st.dirichlet.logpdf(x, alpha), ss.dirichlet.logpdf(x, alpha))
    np.testing.assert_allclose(lt.grad(st.dirichlet.logpdf)(x, alpha),
                               jax.grad(jss.dirichlet.logpdf)(x, alpha), rtol=1e-10)
    assert st.dirichlet.logpdf(np.array([0.7, 0.5]), alpha) == -np.inf


def test_multivariate_normal_matches_a_jitted_vmapped_scipy_loop():
    xs = np.random.default_rng(0).standard_normal((5, 3))
    f = lt.jit(lt.vmap(st.multivariate_normal.logpdf, in_axes=(0, None, None)))
    np.testing.assert_allclose(f(xs, np.zeros(3), SPD),
                               ss.multivariate_normal.logpdf(xs, np.zeros(3), SPD), rtol=1e-12)
