"""NumPy/SciPy parity found by a bug hunt: each case runs the same call on NumPy (or SciPy)
and on lintra and compares value, dtype and shape."""

import numpy as np
import pytest

import lintra
import lintra as lt
import lintra.numpy as lnp
import lintra.scipy.linalg as lsla
import lintra.scipy.special as lsp
import lintra.scipy.stats as lst

sp = pytest.importorskip("scipy")
import scipy.linalg as sla  # noqa: E402
import scipy.special as ssp  # noqa: E402
import scipy.stats as sst  # noqa: E402

A = np.arange(24.0).reshape(2, 3, 4) - 7
NANS = np.array([[1.0, np.nan, 3.0], [np.nan, 5.0, -2.0]])
W = np.array([[True, False, True], [False, True, True]])
RNG = np.random.default_rng(0)
M = RNG.standard_normal((3, 3))
R = RNG.standard_normal((4, 3))


def _same(want, got):
    if isinstance(want, (tuple, list)):
        assert len(want) == len(got)
        for w, g in zip(want, got):
            _same(w, g)
        return
    want, got = np.asarray(want), np.asarray(got)
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


NUMPY_CASES = {
    # layout and creation keywords NumPy has
    "reshape_order_F": lambda m: m.reshape(m.asarray(A), (4, -1), order="F"),
    "ravel_order_F": lambda m: m.ravel(m.asarray(A), order="F"),
    "full_like_shape": lambda m: m.full_like(m.arange(3), 2.7, shape=(2, 2)),
    "zeros_like_shape": lambda m: m.zeros_like(m.arange(3.0), shape=(2,)),
    "ones_like_shape_dtype": lambda m: m.ones_like(m.arange(3.0), dtype=int, shape=4),
    "concatenate_dtype": lambda m: m.concatenate([m.ones(2), m.arange(3)], dtype=m.float32),
    "stack_dtype": lambda m: m.stack([m.ones(2), m.arange(2)], axis=1, dtype=m.float32),
    "stack_dtype_unsafe": lambda m: m.stack([m.ones(2), m.arange(2)], dtype=int, casting="unsafe"),
    # reductions
    "any_where": lambda m: m.any(m.asarray(W), axis=1, where=m.array([False, True, True])),
    "all_where": lambda m: m.all(m.asarray(W), axis=0, where=m.array([[True], [False]])),
    "all_where_keepdims": lambda m: m.all(m.asarray(W), None, None, True, where=m.asarray(W)),
    "nanmax_int": lambda m: m.nanmax(m.arange(6).reshape(2, 3), axis=1),
    "nanmin_int_keepdims": lambda m: m.nanmin(m.arange(6).reshape(2, 3), 0, keepdims=True),
    "var_mean": lambda m: m.var(m.asarray(A), axis=1, mean=m.mean(m.asarray(A), 1, keepdims=True)),
    "std_correction": lambda m: m.std(m.asarray(A), axis=(0, 2), correction=1),
    "var_correction_where": lambda m: m.var(m.asarray(NANS), 1, where=m.asarray(W) & ~m.isnan(
        m.asarray(NANS)), correction=0.5),
    # elementwise: integers stay integers
    "round_int_negative_decimals": lambda m: m.round(m.array([1250, 1350, -1250, 1251]), -2),
    "round_int8_positive_decimals": lambda m: m.round(m.array([15, -35], m.int8), 2),
    "around_int_minus1": lambda m: m.around(m.array([15, 25, -35]), -1),
    "reciprocal_int": lambda m: m.reciprocal(m.array([1, 2, -1, -3], m.int8)),
    # linalg
    "eigh_UPLO_U": lambda m: m.linalg.eigh(m.asarray(M), UPLO="U")[0],
    "eigh_UPLO_L_vectors": lambda m: m.abs(m.linalg.eigh(m.asarray(M), UPLO="L")[1]),
    "lstsq_rank_dtype": lambda m: m.linalg.lstsq(m.asarray(R), m.arange(4.0), rcond=None)[2],
}


@pytest.mark.parametrize("name", list(NUMPY_CASES))
def test_numpy_parity(name):
    f = NUMPY_CASES[name]
    _same(f(np), f(lnp))


def test_var_ddof_and_correction_raise():
    with pytest.raises(ValueError, match="simultaneously"):
        np.var(A, ddof=1, correction=1)
    with pytest.raises(ValueError, match="simultaneously"):
        lnp.var(A, ddof=1, correction=1)


def test_join_dtype_refused_as_numpy():
    with pytest.raises(TypeError):
        np.concatenate([np.ones(2)], dtype=np.int32)
    with pytest.raises(TypeError, match="same_kind"):
        lnp.concatenate([np.ones(2)], dtype=np.int32)


def test_nanfunctions_out_is_a_clear_error():
    with pytest.raises(TypeError, match="out="):
        lnp.nanmax(A, 0, np.zeros(4))


XS = np.array([-1.0, 0.0, 0.5, 2.0, np.inf, -np.inf, np.nan])
KS = np.array([-1.0, 0.0, 1.0, 3.0, np.nan])
QS = np.array([0.0, 0.3, 1.0, -0.1, 1.2, np.nan])

# (scipy.stats or lintra.scipy.stats) -> values: NaN in gives NaN out, q outside [0, 1]
# gives NaN, as SciPy
STATS_CASES = {
    "expon_logpdf_nan": lambda st: st.expon.logpdf(XS),
    "expon_cdf_nan": lambda st: st.expon.cdf(XS, loc=0.5, scale=2.0),
    "expon_ppf_outside": lambda st: st.expon.ppf(QS),
    "uniform_cdf_nan": lambda st: st.uniform.cdf(XS),
    "gamma_logpdf_nan": lambda st: st.gamma.logpdf(XS, 2.0),
    "gamma_sf_nan": lambda st: st.gamma.sf(XS, 2.0),
    "chi2_logcdf_nan": lambda st: st.chi2.logcdf(XS, 3.0),
    "beta_cdf_nan": lambda st: st.beta.cdf(XS, 2.0, 3.0),
    "truncnorm_logpdf_nan": lambda st: st.truncnorm.logpdf(XS, -1.0, 2.0),
    "truncnorm_sf_nan": lambda st: st.truncnorm.sf(XS, -1.0, 2.0),
    "pareto_logcdf_nan": lambda st: st.pareto.logcdf(XS, 2.0),
    "pareto_ppf_outside": lambda st: st.pareto.ppf(QS, 2.0),
    "pareto_isf_outside": lambda st: st.pareto.isf(QS, 2.0),
    "cauchy_ppf_ends": lambda st: st.cauchy.ppf(QS),
    "cauchy_isf_ends": lambda st: st.cauchy.isf(QS, loc=1.0),
    "wrapcauchy_cdf_nan": lambda st: st.wrapcauchy.cdf(np.array([0.5, 3.0, np.nan]), 0.5),
    "wrapcauchy_ppf_outside": lambda st: st.wrapcauchy.ppf(QS, 0.5),
    "logistic_logpdf_minus_inf": lambda st: st.logistic.logpdf(XS),
    "poisson_logpmf_nan": lambda st: st.poisson.logpmf(KS, 3.0),
    "poisson_cdf_nan": lambda st: st.poisson.cdf(KS, 3.0),
    "bernoulli_pmf_nan": lambda st: st.bernoulli.pmf(KS, 0.3),
    "binom_logpmf_nan": lambda st: st.binom.logpmf(KS, 5, 0.3),
    "geom_cdf_nan_and_zero": lambda st: st.geom.cdf(KS, 0.3),
    "nbinom_logsf_nan": lambda st: st.nbinom.logsf(KS, 3, 0.4),
    "betabinom_pmf_nan": lambda st: st.betabinom.pmf(KS, 5, 2.0, 3.0),
    "mvn_logpdf_1d_cov": lambda st: st.multivariate_normal.logpdf(
        np.ones((2, 3)), np.zeros(3), np.array([1.0, 2.0, 3.0])),
    "mvn_logpdf_allow_singular_false": lambda st: st.multivariate_normal.logpdf(
        np.ones(2), np.zeros(2), np.eye(2), allow_singular=False),
}


@pytest.mark.parametrize("name", list(STATS_CASES))
def test_scipy_stats_parity(name):
    f = STATS_CASES[name]
    with np.errstate(all="ignore"):
        want = f(sst)
    got = np.asarray(f(lst))
    _same(want, got)
    assert (np.signbit(got) == np.signbit(want))[want == 0].all()


def test_boxcox_at_zero():
    x = np.array([0.0, 0.0, 0.0, 1.0, 2.5])
    lam = np.array([0.0, -1.0, 0.5, 0.5, 3.0])
    with np.errstate(all="ignore"):
        _same(ssp.boxcox(x, lam), lsp.boxcox(x, lam))
        _same(ssp.boxcox1p(x - 1, lam), lsp.boxcox1p(x - 1, lam))


LINALG_CASES = {
    "norm_fro": lambda la: la.norm(M),
    "norm_ord_axis": lambda la: la.norm(R, 1, axis=0, keepdims=True),
    "toeplitz": lambda la: la.toeplitz(np.array([1.0, 2.0, 3.0]), np.array([9.0, 8.0])),
    "toeplitz_complex": lambda la: la.toeplitz(np.array([1 + 2j, 3.0, 4 - 1j])),
    "hankel": lambda la: la.hankel(np.array([1, 2, 3]), np.array([3, 4, 5, 6])),
    "hankel_default_r": lambda la: la.hankel(np.array([1.0, 2.0])),
    "circulant": lambda la: la.circulant(np.array([1.0, 2.0, 3.0])),
    "block_diag": lambda la: la.block_diag(np.array([[1]]), np.array([[2.5, 3.0]]), 7),
}


@pytest.mark.parametrize("name", list(LINALG_CASES))
def test_scipy_linalg_parity(name):
    f = LINALG_CASES[name]
    _same(f(sla), f(lsla))


def test_scipy_linalg_constructors_jit_grad():
    """The constructors are linear in v, so the gradient of sum(ctor(v) * W) is SciPy's
    value of that sum at each unit vector."""
    w = RNG.standard_normal((4, 3, 4))

    def f(la):
        return lambda v: ((la.toeplitz(v, v[:2] * 2) * w[0, :, :2]).sum()
                          + (la.hankel(v) * w[1, :, :3]).sum()
                          + (la.circulant(v) * w[2, :, :3]).sum()
                          + (la.block_diag(v, v[:1]) * w[3, :2, :]).sum())
    want = [f(sla)(e) for e in np.eye(3)]
    got = lintra.jit(lintra.grad(f(lsla)))(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_traced_array_methods_as_jax():
    """Methods an eager array has work on traced arrays too (round, any, all, diagonal,
    trace, take, argsort, sort (a copy, as JAX), searchsorted, compress, copy, divmod,
    itemsize, nbytes), on both backends, with gradients as JAX's."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    a = np.array([[3.0, -1.25, 2.5], [0.5, 7.0, -2.0]])

    def f(x):
        q, r = divmod(x, 0.75)
        return (x.round(1), x.any(), x.all(axis=1), x.diagonal(), x.trace(),
                x.take(np.array([0, 4])), x.argsort(axis=1), x.sort(axis=0),
                x.compress(np.array([True, False]), axis=0), q, r, divmod(2.0, x)[1], x.copy())
    want = f(jnp.asarray(a))
    for backend in ("native", "interpret"):
        got = lt.jit(f, backend=backend)(a)
        for g, w in zip(got, want):       # JAX's round is a ulp off NumPy's at -1.25
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-15, atol=0)
            assert np.asarray(g).dtype == np.asarray(w).dtype
        assert lt.jit(lambda x: x[0].searchsorted(1.0), backend=backend)(a) == \
            np.searchsorted(a[0], 1.0)
    assert lt.jit(lambda x: lnp.asarray(x.nbytes + 100 * x.itemsize))(a) == a.nbytes + 800

    def loss(m, x):
        return ((x.round(1) * x).sum() + x.trace() + m.sort(x, axis=0)[1].sum()
                + x.take(np.array([1, 2])).sum())
    np.testing.assert_allclose(lt.jit(lt.grad(lambda x: loss(lnp, x)))(a),
                               jax.grad(lambda x: loss(jnp, x))(a), rtol=1e-14)
