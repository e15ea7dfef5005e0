"""Statistics, NaN-ignoring reductions and searching in ``lintra.numpy``: values against NumPy
(eager, ``jit`` native and ``backend="interpret"``), gradients against JAX, ``vmap`` against a
Python loop, and clear errors where a traced value would need a data-dependent shape."""

import warnings

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

from jax_oracle import check_vs_jax  # noqa: E402

RNG = np.random.default_rng(0)
A = RNG.normal(size=(4, 5))
A3 = RNG.normal(size=(3, 4, 6)).astype(np.float32)
B = A.copy()
B[1, 2] = B[3, 0] = np.nan
BN = B.copy()
BN[2] = np.nan                      # an all-NaN row
XP = np.sort(RNG.uniform(0, 10, 8))
FP = RNG.normal(size=8)
XX = np.concatenate([RNG.uniform(-1, 11, 10), XP[[0, 3, 7]], [np.nan]])
INTS = RNG.integers(0, 7, 12)
W = RNG.random(12)
D = RNG.normal(size=60)


def _quiet(f):
    def g(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return f(*args)
    return g


# name -> (lintra-or-numpy function of (module, *args), args); NumPy gives the expected values
VALUE_CASES = {
    "median": (lambda m, a: m.median(a), (A,)),
    "median_axis": (lambda m, a: m.median(a, axis=1, keepdims=True), (A,)),
    "median_nan": (lambda m, a: m.median(a, axis=0), (B,)),
    "median_f32_tuple": (lambda m, a: m.median(a, axis=(0, 2)), (A3,)),
    "quantile_q_vector": (lambda m, a: m.quantile(a, np.array([0.0, 0.25, 0.9, 1.0]), axis=-1),
                          (A3,)),
    "quantile_lower": (lambda m, a: m.quantile(a, 0.3, axis=0, method="lower"), (A,)),
    "quantile_higher": (lambda m, a: m.quantile(a, 0.3, axis=0, method="higher"), (A,)),
    "quantile_nearest": (lambda m, a: m.quantile(a, 0.6, axis=1, method="nearest"), (A,)),
    "quantile_midpoint": (lambda m, a: m.quantile(a, 0.3, method="midpoint"), (A,)),
    "quantile_int": (lambda m, a: m.quantile(a, 0.4), (INTS,)),
    "percentile": (lambda m, a: m.percentile(a, [10, 50, 95], axis=1, keepdims=True), (A3,)),
    "nanmedian": (lambda m, a: m.nanmedian(a, axis=1), (BN,)),
    "nanquantile": (lambda m, a: m.nanquantile(a, [0.2, 0.5, 1.0], axis=0, method="nearest"),
                    (B,)),
    "nanpercentile": (lambda m, a: m.nanpercentile(a, 35, keepdims=True), (B,)),
    "nansum": (lambda m, a: m.nansum(a, axis=0), (B,)),
    "nansum_int": (lambda m, a: m.nansum(a), (INTS,)),
    "nanmean": (lambda m, a: m.nanmean(a, axis=1), (BN,)),
    "nanmean_all": (lambda m, a: m.nanmean(a), (B,)),
    "nanmax": (lambda m, a: m.nanmax(a, axis=1, keepdims=True), (BN,)),
    "nanmin": (lambda m, a: m.nanmin(a, axis=0), (B,)),
    "nanmin_f32": (lambda m, a: m.nanmin(a, axis=2), (A3,)),
    "nanprod": (lambda m, a: m.nanprod(a, axis=1), (B,)),
    "nanvar": (lambda m, a: m.nanvar(a, axis=1, ddof=1), (B,)),
    "nanstd": (lambda m, a: m.nanstd(a, axis=(0, 1)), (B,)),
    "nanargmax": (lambda m, a: m.nanargmax(a, axis=1), (B,)),
    "nanargmin": (lambda m, a: m.nanargmin(a), (B,)),
    "nancumsum": (lambda m, a: m.nancumsum(a, axis=0), (B,)),
    "nancumsum_flat": (lambda m, a: m.nancumsum(a), (B,)),
    "count_nonzero": (lambda m, a: m.count_nonzero(a > 0, axis=1), (A3,)),
    "count_nonzero_all": (lambda m, a: m.count_nonzero(a), (INTS,)),
    "cumulative_sum": (lambda m, a: m.cumulative_sum(a, axis=1, include_initial=True), (A,)),
    "cov": (lambda m, a: m.cov(a), (A,)),
    "cov_cols_y": (lambda m, a: m.cov(a, a[::-1] ** 2, rowvar=False, bias=True), (A,)),
    "cov_weights": (lambda m, a: m.cov(a, fweights=np.array([1, 2, 1, 3, 2]),
                                       aweights=np.linspace(0.5, 1, 5)), (A,)),
    "cov_1d": (lambda m, a: m.cov(a[0]), (A,)),
    "corrcoef": (lambda m, a: m.corrcoef(a), (A,)),
    "corrcoef_y": (lambda m, a: m.corrcoef(a[0], a[1]), (A,)),
    "trapezoid_dx": (lambda m, a: m.trapezoid(a, dx=0.3, axis=0), (A,)),
    "trapezoid_x": (lambda m, a: m.trapezoid(a, x=np.linspace(0, 2, 6)), (A3,)),
    "trapezoid_xnd": (lambda m, a: m.trapezoid(a, x=m.cumsum(a ** 2, 1)), (A,)),
    "searchsorted_left": (lambda m, v: m.searchsorted(XP, v), (XX,)),
    "searchsorted_right": (lambda m, v: m.searchsorted(np.repeat(XP, 2), v, side="right"),
                           (XX,)),
    "searchsorted_2d": (lambda m, v: m.searchsorted(XP[:5], v), (A * 5 + 5,)),
    "digitize": (lambda m, v: m.digitize(v, XP), (XX,)),
    "digitize_right_dec": (lambda m, v: m.digitize(v, XP[::-1], right=True), (XX,)),
    "bincount": (lambda m, i: m.bincount(i, minlength=9), (INTS,)),
    "bincount_w": (lambda m, i, w: m.bincount(i, w), (INTS, W)),
    "histogram": (lambda m, d: m.histogram(d), (D,)),
    "histogram_range": (lambda m, d: m.histogram(d, 7, range=(-1, 1.5)), (D,)),
    "histogram_edges_w": (lambda m, d, w: m.histogram(d, [-2, -0.5, 0, 0.3, 3], weights=w,
                                                      density=True), (D[:12], W)),
    "unique": (lambda m, a: m.unique(a, return_index=True, return_inverse=True,
                                     return_counts=True), (INTS,)),
    "unique_nan": (lambda m, a: m.unique(a), (np.round(B),)),
    "interp": (lambda m, x: m.interp(x, XP, FP), (XX,)),
    "interp_lr": (lambda m, x: m.interp(x, XP, FP, left=-3.0, right=4.0), (XX,)),
    "interp_period": (lambda m, x: m.interp(x, XP, FP, period=4.0), (XX,)),
    "interp_f32": (lambda m, x: m.interp(x, XP, FP), (XX.astype(np.float32),)),
    "quantile_f32_list": (lambda m, a: m.quantile(a, [0.5, 0.75], axis=1), (A3,)),
    "cov_f32": (lambda m, a: m.cov(a[0]), (A3,)),
    "trapezoid_f32": (lambda m, a: m.trapezoid(a, dx=0.5), (A3,)),
}
EAGER_ONLY = {"bincount", "bincount_w", "unique", "unique_nan", "histogram_edges_w"}


def _assert_same(out, expected, exact_dtype=True):
    outs = out if isinstance(out, tuple) else (out,)
    exps = expected if isinstance(expected, tuple) else (expected,)
    assert len(outs) == len(exps)
    for o, e in zip(outs, exps):
        e = np.asarray(e)
        assert np.shape(o) == e.shape
        assert np.asarray(o).dtype == e.dtype if exact_dtype else \
            np.asarray(o).dtype.kind == e.dtype.kind
        np.testing.assert_allclose(np.asarray(o, float), e.astype(float), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(VALUE_CASES))
def test_values_match_numpy(name):
    f, args = VALUE_CASES[name]
    expected = _quiet(f)(np, *args)
    exact = not name.startswith("interp")    # float32 interpolation stays float32 (JAX)
    _assert_same(_quiet(f)(lnp, *args), expected, exact)
    if name in EAGER_ONLY:
        return
    for backend in ("interpret", None):
        jf = lt.jit(lambda *a: f(lnp, *a), **({"backend": backend} if backend else {}))
        _assert_same(_quiet(jf)(*args), expected, exact)


# name -> (function of (module, *args), args); gradients of a summary compared with JAX's
GRAD_CASES = {
    "median_odd": (lambda m, a: m.median(a, axis=1), (A,)),
    "median_even": (lambda m, a: m.median(a, axis=0, keepdims=True), (A,)),
    "quantile_q": (lambda m, a, q: m.quantile(a, q, axis=1), (A, np.array([0.15, 0.5, 0.8]))),
    "percentile_tuple": (lambda m, a: m.percentile(a, 37.0, axis=(0, 1)), (A,)),
    "nansum": (lambda m, a: m.nansum(a, axis=0), (B,)),
    "nanmedian": (lambda m, a: m.nanmedian(a, axis=1), (B,)),
    "nanquantile": (lambda m, a: m.nanquantile(a, np.array([0.3, 0.7]), axis=0), (B,)),
    "nanmean": (lambda m, a: m.nanmean(a, axis=1), (B,)),
    "nanvar": (lambda m, a: m.nanvar(a, axis=1, ddof=1), (B,)),
    "nanstd": (lambda m, a: m.nanstd(a, axis=0), (B,)),
    "nanmax": (lambda m, a: m.nanmax(a, axis=1), (B,)),
    "nanmin": (lambda m, a: m.nanmin(a), (B,)),
    "nanprod": (lambda m, a: m.nanprod(a, axis=0), (B,)),
    "nancumsum": (lambda m, a: m.nancumsum(a, axis=1), (B,)),
    "cumulative_sum": (lambda m, a: m.cumulative_sum(a, axis=0, include_initial=True), (A,)),
    "cov": (lambda m, a: m.cov(a), (A,)),
    "cov_aweights": (lambda m, a, w: m.cov(a, aweights=w), (A, np.linspace(0.5, 1, 5))),
    "corrcoef": (lambda m, a: m.corrcoef(a), (A,)),
    "trapezoid": (lambda m, y, x: m.trapezoid(y, x=x), (A, np.linspace(0, 1, 5) ** 2)),
    "interp": (lambda m, x, xp, fp: m.interp(x, xp, fp), (XX[:-1], XP, FP)),
    "interp_period": (lambda m, x, fp: m.interp(x, XP, fp, period=4.0), (XX[:-1], FP)),
    "bincount_w": (lambda m, w: m.bincount(INTS, w, length=8), (W,)),
    "unique_size": (lambda m, a: m.unique(a, size=9), (np.array([2.0, 1, 2, 3, 1, 0.5, 3]),)),
    "histogram_w": (lambda m, w: m.histogram(D[:12], 4, range=(-2, 2), weights=w)[0], (W,)),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradients_match_jax(name):
    f, args = GRAD_CASES[name]
    check_vs_jax(lambda *a: f(lnp, *a), lambda *a: f(jnp, *a), args, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", ["median_even", "nanvar", "interp", "corrcoef"])
def test_jitted_gradients_match_eager(name):
    f, args = GRAD_CASES[name]

    def loss(*a):
        return lnp.sum(lnp.sin(f(lnp, *a)))

    argnums = tuple(range(len(args)))
    eager = lt.grad(loss, argnums)(*args)
    for backend in ("interpret", None):
        opts = {"backend": backend} if backend else {}
        for g, e in zip(lt.jit(lt.grad(loss, argnums), **opts)(*args), eager):
            np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


VMAP_CASES = {
    "median": lambda a: lnp.median(a, axis=0),
    "quantile": lambda a: lnp.quantile(a, np.array([0.1, 0.6])),
    "nanmean": lambda a: lnp.nanmean(a),
    "nanargmax": lambda a: lnp.nanargmax(a),
    "cov": lambda a: lnp.cov(lnp.stack([a, a ** 2])),
    "searchsorted": lambda a: lnp.searchsorted(lnp.sort(a), 0.1),
    "interp": lambda a: lnp.interp(np.array([0.5, 2.0, 3.3]), np.arange(5.0), a),
    "histogram": lambda a: lnp.histogram(a, 3, range=(-1, 1))[0],
    "bincount": lambda a: lnp.bincount(lnp.digitize(a, np.array([-1.0, 0.0, 1.0])), length=4),
    "unique_size": lambda a: lnp.unique(lnp.round(a), size=4),
    "trapezoid": lambda a: lnp.trapezoid(a),
}


@pytest.mark.parametrize("name", sorted(VMAP_CASES))
def test_vmap_matches_loop(name):
    f = VMAP_CASES[name]
    xs = np.where(np.isnan(B), np.nan, A)
    if name != "nanmean" and name != "nanargmax":
        xs = A
    out = lt.vmap(f)(xs)
    loop = np.stack([np.asarray(f(x)) for x in xs])
    np.testing.assert_allclose(out, loop, rtol=1e-12, atol=1e-12)


def test_unique_eager_gradient_reaches_first_occurrences():
    v = np.array([2.0, 1.0, 2.0, 3.0, 1.0])
    g = lt.grad(lambda v: lnp.sum(lnp.unique(v) ** 3))(v)
    np.testing.assert_allclose(g, [12.0, 3.0, 0.0, 27.0, 0.0])


def test_unique_size_under_jit_matches_numpy():
    x = np.array([3, 1, 1, 2, 5, 3, 3, 0])
    vals, idx, inv, cnt = np.unique(x, True, True, True)
    out = lt.jit(lambda x: lnp.unique(x, True, True, True, size=7, fill_value=-1))(x)
    np.testing.assert_array_equal(out[0], np.r_[vals, [-1, -1]])
    # indices are padded with the first one (JAX: jnp.unique(x, True, True, True, size=7,
    # fill_value=-1)[1] is [7 1 3 0 4 7 7])
    np.testing.assert_array_equal(out[1], np.r_[idx, [idx[0], idx[0]]])
    np.testing.assert_array_equal(out[2], inv)
    np.testing.assert_array_equal(out[3], np.r_[cnt, [0, 0]])
    short = lt.jit(lambda x: lnp.unique(x, size=3), backend="interpret")(x)
    np.testing.assert_array_equal(short, vals[:3])


@pytest.mark.parametrize("fn, fix", [
    (lambda x: lnp.unique(x), "size="),
    (lambda x: lnp.bincount(x), "length="),
])
def test_data_dependent_shapes_raise_under_jit(fn, fix):
    with pytest.raises(Exception) as info:
        lt.jit(fn)(INTS)
    msg = str(info.value)
    assert ("unique" in msg or "bincount" in msg) and fix in msg


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="quantile"):
        lnp.quantile(A, 1.5)
    with pytest.raises(ValueError, match="percentile"):
        lnp.percentile(A, -1)
    with pytest.raises(ValueError, match="method"):
        lnp.quantile(A, 0.5, method="bogus")
    with pytest.raises(ValueError, match="side"):
        lnp.searchsorted(XP, 1.0, side="middle")
    with pytest.raises(ValueError, match="non-negative"):
        lnp.bincount(np.array([1, -1]))
    with pytest.raises(ValueError, match="axis"):
        lnp.cumulative_sum(A)
    assert lnp.trapz is lnp.trapezoid or lnp.trapz(A).shape == (4,)


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "nearest", "midpoint"])
def test_quantiles_with_infinities_and_signed_zeros_as_numpy(method):
    """NumPy interpolates from the nearer end between floor(v) and the next order statistic
    (even at weight 0), and past the last index between the last value and itself: an
    infinity there is NaN ([1, 2, inf]'s 75th percentile, an all--inf slice), -0.0 stays
    -0.0; lower/higher/nearest take one order statistic (-inf stays -inf)."""
    rows = np.array([[1.0, 2.0, np.inf], [-np.inf, -np.inf, -np.inf], [-np.inf, 1.0, 2.0],
                     [1.0, 3.0, np.inf], [-0.0, -0.0, -0.0], [np.inf, np.inf, 5.0]])
    nanrows = np.array([[np.nan, -np.inf, 1.0, np.inf], [np.nan, np.nan, -0.0, -0.0],
                        [2.0, np.nan, np.inf, np.inf]])
    q = np.array([0.0, 10.0, 25.0, 50.0, 70.0, 75.0, 100.0])
    for a, fns in ((rows, ("percentile",)), (nanrows, ("nanpercentile",)),
                   (np.array([-0.0]), ("percentile", "nanpercentile"))):
        for name in fns:
            def f(m, a, name=name):
                return getattr(m, name)(a, q, axis=-1, method=method)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                want = f(np, a)
                got = [f(lnp, a), lt.jit(lambda a: f(lnp, a))(a),
                       lt.jit(lambda a: f(lnp, a), backend="interpret")(a)]
            for g in got:
                np.testing.assert_array_equal(g, want)
                np.testing.assert_array_equal(np.signbit(g), np.signbit(want))


def test_quantiles_of_integers_keep_their_dtype_where_numpy_does():
    """lower/higher/nearest take an order statistic: of an int array, an int (NumPy); the
    interpolating methods and the medians give float64."""
    a = np.array([[5, 1, 9, 3], [2, 8, 4, 7]])
    q = np.array([0.2, 0.5, 1.0])
    for method in ("lower", "higher", "nearest", "linear", "midpoint"):
        for name in ("quantile", "nanquantile"):
            def f(m, a, name=name, method=method):
                return getattr(m, name)(a, q, axis=1, method=method)
            want = f(np, a)
            for got in (f(lnp, a), lt.jit(lambda a, f=f: f(lnp, a))(a)):
                assert np.asarray(got).dtype == want.dtype
                np.testing.assert_array_equal(got, want)
    assert lnp.percentile(a, 50.0, method="lower").dtype == np.int64
    assert lnp.median(a).dtype == np.float64
