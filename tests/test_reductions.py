"""Reductions, arg-extrema and cumulative ops: every ``axis`` form (None, int, negative,
tuple) and ``keepdims``; values against NumPy, derivatives to second order (forward and
reverse, finite differences and the dot-product test), eager against staged, gradients and
Hessians against JAX; exactness with zeros; dtypes; errors; known answers derived by hand."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lintra as lt
import lintra.numpy as lnp
from lintra.ad.linearity import check_linear
from lintra.ops import reductions as R
from lintra.test_util import check_grads, check_staged

FLOATS = st.floats(-2, 2, allow_nan=False, allow_subnormal=False)
WITH_ZEROS = st.one_of(st.just(0.0), FLOATS)
DISTINCT = st.integers(-40, 40).map(lambda k: k / 8)    # drawn unique: no ties, 1/8 apart


@st.composite
def array_and_axis(draw, elements, unique=False, tuples=True):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
    nd = len(shape)
    choices = [st.none()]
    if nd:
        choices.append(st.integers(-nd, nd - 1))
        if tuples:   # a tuple of distinct axes, some written negatively
            choices.append(st.lists(st.integers(0, nd - 1), unique=True, max_size=nd).map(
                lambda axes: tuple(a - nd if i % 2 else a for i, a in enumerate(axes))))
    axis = draw(st.one_of(choices))
    x = draw(hnp.arrays(np.float64, shape, elements=elements, unique=unique))
    return x, axis


def _count(shape, axis):
    axes = R.normalize_axes(axis, len(shape))
    return int(np.prod([shape[a] for a in axes]))


def _np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


# name -> (lintra f(x, axis, keepdims), NumPy reference, elements, unique values?)
REDUCTIONS = {
    "sum": (lnp.sum, np.sum, FLOATS, False),
    "prod": (lnp.prod, np.prod, WITH_ZEROS, False),
    "max": (lnp.max, np.max, DISTINCT, True),
    "min": (lnp.min, np.min, DISTINCT, True),
    "mean": (lnp.mean, np.mean, FLOATS, False),
    "var": (lnp.var, np.var, FLOATS, False),
    "std": (lnp.std, np.std, DISTINCT, True),
    "logsumexp": (lnp.logsumexp, _np_logsumexp, FLOATS, False),
    "ptp": (lnp.ptp, np.ptp, DISTINCT, True),
}


def _call(f, x, axis, keepdims):
    return f(x, axis=axis, keepdims=keepdims)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@settings(max_examples=15)
@given(data=st.data(), keepdims=st.booleans())
def test_reduction(name, data, keepdims):
    f, ref, elements, unique = REDUCTIONS[name]
    x, axis = data.draw(array_and_axis(elements, unique))
    if name == "std":
        assume(_count(x.shape, axis) > 1)     # sqrt is not differentiable at var == 0
    if name == "prod":   # with 3+ zeros in a product, central differences are off by O(eps^2 c)
        assume(np.count_nonzero(x == 0) <= 2)
    g = lambda x: _call(f, x, axis, keepdims)  # noqa: E731
    out, expected = g(x), ref(x, axis=axis, keepdims=keepdims)
    assert np.shape(out) == np.shape(expected)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-13)
    check_grads(g, (x,), order=2)
    check_staged(g, (x,))


def _jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


@pytest.mark.parametrize("name,axis", [(n, (0, -1)) for n in sorted(REDUCTIONS)]
                         + [("prod", None), ("max", None)])
def test_reduction_grads_match_jax(name, axis):
    jax = _jax()
    import jax.numpy as jnp
    import jax.scipy.special as jss
    jf = jss.logsumexp if name == "logsumexp" else getattr(jnp, name)
    f, _, elements, unique = REDUCTIONS[name]
    rng = np.random.default_rng(0)
    x = rng.permutation(np.arange(24.0)).reshape(2, 3, 4) / 10 - 1.0   # distinct
    if name == "prod":
        x[0, 1, 2] = x[1, 0, 0] = 0.0                                  # zeros: exact rule
    w = rng.standard_normal(np.shape(np.sum(x, axis=axis)))
    g = lt.grad(lambda x: lnp.sum(f(x, axis=axis) * w))(x)
    np.testing.assert_allclose(g, jax.grad(lambda x: (jf(x, axis=axis) * w).sum())(x),
                               rtol=1e-10, atol=1e-12)


def test_logsumexp_hessian_is_softmax_jacobian():
    # d2 lse / dx dx^T = diag(s) - s s^T with s = softmax(x)
    x = np.array([0.5, 0.25, -1.5, 2.0, 1.0])
    s = np.exp(x - _np_logsumexp(x))
    np.testing.assert_allclose(lt.hessian(lnp.logsumexp)(x), np.diag(s) - np.outer(s, s),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["prod", "var", "max"])
def test_reduction_hessians_match_jax(name):
    jax = _jax()
    import jax.numpy as jnp
    import jax.scipy.special as jss
    jf = jss.logsumexp if name == "logsumexp" else getattr(jnp, name)
    f = REDUCTIONS[name][0]
    x = np.array([0.5, 0.0, -1.5, 2.0, 0.0]) if name == "prod" else \
        np.array([0.5, 0.25, -1.5, 2.0, 1.0])
    np.testing.assert_allclose(lt.hessian(f)(x), jax.hessian(jf)(x), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- cumulative ops

CUMULATIVE = {"cumsum": (lnp.cumsum, np.cumsum, FLOATS),
              "cumprod": (lnp.cumprod, np.cumprod, WITH_ZEROS)}


@pytest.mark.parametrize("name", sorted(CUMULATIVE))
@settings(max_examples=15)
@given(data=st.data())
def test_cumulative(name, data):
    f, ref, elements = CUMULATIVE[name]
    x, axis = data.draw(array_and_axis(elements, tuples=False))
    if x.ndim == 0:
        axis = None
    if name == "cumprod":   # 3+ zeros: central differences are off by O(eps^2 c)
        assume(np.count_nonzero(x == 0) <= 2)
    g = lambda x: f(x, axis=axis)  # noqa: E731
    np.testing.assert_allclose(g(x), ref(x, axis=axis), rtol=1e-12, atol=1e-14)
    check_grads(g, (x,), order=2)
    check_staged(g, (x,))
    rev = lambda x: R.cumprod(x, -1, reverse=True) if name == "cumprod" else \
        R.cumsum(x, -1, reverse=True)  # noqa: E731
    if x.ndim:
        np.testing.assert_allclose(rev(x), np.flip(ref(np.flip(x, -1), axis=-1), -1),
                                   rtol=1e-12, atol=1e-14)
        check_grads(rev, (x,), order=2)


@pytest.mark.parametrize("name", sorted(CUMULATIVE))
def test_cumulative_matches_jax(name):
    jax = _jax()
    f = CUMULATIVE[name][0]
    jf = getattr(jax.numpy, name)
    x = np.array([[0.5, 0.0, -1.5, 2.0, 0.7], [1.1, -0.4, 0.0, 0.0, 3.0]])
    w = np.arange(10.0).reshape(2, 5) - 4.0
    for axis in (1, 0):
        np.testing.assert_allclose(
            lt.grad(lambda x, axis=axis: lnp.sum(f(x, axis=axis) * w))(x),
            jax.grad(lambda x, axis=axis: (jf(x, axis=axis) * w).sum())(x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(lt.jacfwd(lambda x: f(x, axis=None))(x[1]),
                               jax.jacfwd(lambda x: jf(x, axis=None))(x[1]), atol=1e-14)
    np.testing.assert_allclose(lt.hessian(lambda x: lnp.sum(f(x) * w[0]))(x[0]),
                               jax.hessian(lambda x: (jf(x) * w[0]).sum())(x[0]),
                               atol=1e-12)


# ---------------------------------------------------------------- arg-extrema, softmax, ...

@pytest.mark.parametrize("name", ["argmax", "argmin"])
@settings(max_examples=15)
@given(data=st.data(), keepdims=st.booleans())
def test_argextrema(name, data, keepdims):
    x, axis = data.draw(array_and_axis(DISTINCT, unique=True, tuples=False))
    out = getattr(lnp, name)(x, axis=axis, keepdims=keepdims)
    expected = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    assert np.asarray(out).dtype == np.int64 and np.shape(out) == np.shape(expected)
    np.testing.assert_array_equal(out, expected)
    check_staged(lambda x: getattr(lnp, name)(x, axis=axis), (x,))
    _, t = lt.jvp(lambda x: getattr(lnp, name)(x, axis=axis), (x,), (np.ones_like(x),))
    assert not np.any(t)     # integer output: no tangent


def test_argmax_first_of_ties_and_use_in_gradient():
    x = np.array([[1.0, 3.0, 3.0], [5.0, 0.0, 5.0]])
    np.testing.assert_array_equal(lnp.argmax(x, axis=1), [1, 0])
    np.testing.assert_array_equal(lnp.argmin(x, axis=-1), [0, 1])
    assert lnp.argmax(x) == 3 and lnp.argmax(np.float64(2.0)) == 0


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@settings(max_examples=15)
@given(data=st.data())
def test_softmax(name, data):
    x, axis = data.draw(array_and_axis(FLOATS, tuples=False))
    f = lambda x: getattr(lnp, name)(x, axis=axis)  # noqa: E731
    lse = _np_logsumexp(x, axis=axis, keepdims=True)
    expected = np.exp(x - lse) if name == "softmax" else x - lse
    np.testing.assert_allclose(f(x), expected, rtol=1e-12, atol=1e-14)
    check_grads(f, (x,), order=2)
    check_staged(f, (x,))


def test_softmax_matches_jax():
    jax = _jax()
    x = np.array([[0.5, -1.0, 2.0], [1000.0, 999.0, -5.0]])
    w = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, 1.0]])
    for name in ["softmax", "log_softmax"]:
        f, jf = getattr(lnp, name), getattr(jax.nn, name)
        np.testing.assert_allclose(f(x), jf(x), rtol=1e-12)
        g = lt.grad(lambda x, f=f: lnp.sum(f(x) * w))(x)
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g, jax.grad(lambda x, jf=jf: (jf(x) * w).sum())(x), rtol=1e-10,
                                   atol=1e-14)


@settings(max_examples=15)
@given(data=st.data(), keepdims=st.booleans())
def test_average(data, keepdims):
    x, axis = data.draw(array_and_axis(FLOATS))
    w = data.draw(hnp.arrays(np.float64, x.shape, elements=st.floats(0.5, 2)))
    f = lambda x, w: lnp.average(x, axis=axis, weights=w, keepdims=keepdims)  # noqa: E731
    np.testing.assert_allclose(f(x, w), np.average(x, axis=axis, weights=w,
                                                   keepdims=keepdims), rtol=1e-12)
    check_grads(f, (x, w), order=2)
    check_staged(f, (x, w))
    if x.ndim:   # 1-D weights along one axis
        w1 = np.linspace(0.5, 2.0, x.shape[-1])
        avg, scl = lnp.average(x, axis=-1, weights=w1, returned=True)
        e_avg, e_scl = np.average(x, axis=-1, weights=w1, returned=True)
        np.testing.assert_allclose(avg, e_avg, rtol=1e-12)
        np.testing.assert_allclose(scl, e_scl, rtol=1e-12)
        check_grads(lambda x: lnp.average(x, axis=-1, weights=w1), (x,), order=2)


@settings(max_examples=15)
@given(data=st.data(), keepdims=st.booleans())
def test_any_all(data, keepdims):
    x, axis = data.draw(array_and_axis(st.integers(-1, 1).map(float)))
    for name in ["any", "all"]:
        out = getattr(lnp, name)(x, axis=axis, keepdims=keepdims)
        np.testing.assert_array_equal(out, getattr(np, name)(x, axis=axis, keepdims=keepdims))
        check_staged(lambda x, name=name: getattr(lnp, name)(x, axis=axis), (x,))


@pytest.mark.parametrize("name", ["sum", "prod", "max", "mean", "var", "logsumexp", "cumsum",
                                  "cumprod", "softmax"])
def test_linear_programs_are_linear(name):
    f = getattr(lnp, name)
    x = np.array([[0.5, 0.0, -1.5], [2.0, 0.7, 1.1]])
    _, f_lin = lt.linearize(lambda x: f(x, axis=-1), x)
    lin = f_lin.linear_function
    lt.typecheck(lin.program)
    n_res = len(lin.residuals)
    check_linear(lin.program, [False] * n_res + [True] * (len(lin.program.params) - n_res))


def test_array_methods():
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])

    def f(x):
        return x.sum(axis=0).prod() + x.cumsum(1).max() + x.var() + x.mean(-1).std() \
            + x.cumprod(0).min()

    def f_np(x):
        return x.sum(axis=0).prod() + x.cumsum(1).max() + x.var() + x.mean(-1).std() \
            + x.cumprod(0).min()

    assert np.isclose(lt.jit(f)(x), f_np(x))
    check_grads(f, (x,), order=2)


# ---------------------------------------------------------------- dtypes

def test_dtypes_follow_numpy():
    x32 = np.array([[0.5, 1.5], [2.5, -1.0]], np.float32)
    for name in ["sum", "prod", "max", "min", "mean", "var", "std", "logsumexp", "cumsum",
                 "cumprod", "softmax", "log_softmax", "ptp"]:
        f = getattr(lnp, name)
        assert np.asarray(f(x32)).dtype == np.float32, name
        assert lt.grad(lambda x, f=f: lnp.sum(f(x)))(x32).dtype == np.float32, name
    i32 = np.array([[1, 2], [3, 4]], np.int32)
    for name in ["sum", "prod", "cumsum", "cumprod", "max", "argmax", "mean", "var"]:
        assert np.asarray(getattr(lnp, name)(i32)).dtype == getattr(np, name)(i32).dtype, name
    assert lnp.sum(np.array([True, True, False])) == 2
    assert lnp.cumsum(np.array([True, True])).dtype == np.int64
    assert lnp.sum(i32, dtype=np.float32).dtype == np.float32
    assert lnp.logsumexp(i32).dtype == np.float64


def test_integer_inputs_are_not_differentiable():
    for f in [lnp.sum, lnp.prod, lnp.max, lnp.cumsum]:
        with pytest.raises(lt.NonDifferentiableError, match="int"):
            lt.grad(lambda x, f=f: f(x) * 1.0)(np.array([1, 2, 3]))


# ---------------------------------------------------------------- errors

def test_error_paths():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match="out of bounds"):
        lnp.sum(x, axis=2)
    with pytest.raises(ValueError, match="out of bounds"):
        lnp.max(x, axis=-3)
    with pytest.raises(ValueError, match="repeated axis"):
        lnp.prod(x, axis=(0, -2))
    with pytest.raises(TypeError, match="int or a tuple of ints"):
        lnp.sum(x, axis=1.0)
    with pytest.raises(TypeError, match="not a tuple"):
        lnp.argmax(x, axis=(0, 1))
    with pytest.raises(ValueError, match="out of bounds"):
        lnp.cumsum(x, axis=2)
    with pytest.raises(ValueError, match="zero-size"):
        lnp.max(np.ones((0, 3)), axis=0)
    with pytest.raises(ValueError, match="zero-size"):
        lt.jit(lambda x: lnp.argmin(x, axis=0))(np.ones((0, 3)))
    with pytest.raises(ValueError, match="do not match"):
        lnp.average(x, axis=1, weights=np.ones(2))
    with pytest.raises(TypeError, match="axis must be given"):
        lnp.average(x, weights=np.ones(3))
    staged = lambda p, **kw: lt.jit(lambda a: p.bind(a, **kw))  # noqa: E731
    with pytest.raises(TypeError, match="reduce_sum does not take booleans"):
        staged(R.reduce_sum_p, axes=(0,))(np.ones(2, bool))
    with pytest.raises(ValueError, match="reduce_max: axes .* must be sorted"):
        staged(R.reduce_max_p, axes=(1, 0))(x)
    with pytest.raises(ValueError, match="cumprod: axis 2 is out of bounds"):
        staged(R.cumprod_p, axis=2, reverse=False)(x)


# ---------------------------------------------------------------- known answers

def test_known_answers():
    # d/dx prod = products of the others: exact with zeros
    np.testing.assert_array_equal(lt.grad(lnp.prod)(np.array([2.0, 0.0, 3.0])), [0, 6, 0])
    np.testing.assert_array_equal(lt.grad(lnp.prod)(np.array([0.0, 0.0, 3.0])), [0, 0, 0])
    # d2 prod / dxi dxj = product of the entries other than i and j
    np.testing.assert_array_equal(lt.hessian(lnp.prod)(np.array([0.0, 0.0, 3.0])),
                                  [[0, 3, 0], [3, 0, 0], [0, 0, 0]])
    # cumprod([x0, x1, x2]) = [x0, x0 x1, x0 x1 x2]
    np.testing.assert_array_equal(lt.jacrev(lnp.cumprod)(np.array([2.0, 0.0, 3.0])),
                                  [[1, 0, 0], [0, 2, 0], [0, 6, 0]])
    # logsumexp at large inputs: 1000 + log 2, gradient (1/2, 1/2) = softmax
    x = np.array([1000.0, 1000.0])
    assert lnp.logsumexp(x) == 1000.0 + math.log(2.0)
    np.testing.assert_array_equal(lt.grad(lnp.logsumexp)(x), [0.5, 0.5])
    np.testing.assert_array_equal(lt.grad(lnp.logsumexp)(np.array([1000.0, 0.0])), [1, 0])
    with np.errstate(divide="ignore"):
        assert lnp.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf
    assert lnp.logsumexp(np.array([np.inf, 1.0])) == np.inf
    # the transpose of cumsum is the reversed cumsum
    _, f_vjp = lt.vjp(lnp.cumsum, np.zeros(3))
    np.testing.assert_array_equal(f_vjp(np.ones(3))[0], [3, 2, 1])
    # var(ddof=1) of [1,2,3,4] = 5/3; its gradient 2 (x - mean) / (n - 1)
    v = np.array([1.0, 2.0, 3.0, 4.0])
    assert np.isclose(lnp.var(v, ddof=1), 5 / 3)
    np.testing.assert_allclose(lt.grad(lambda v: lnp.var(v, ddof=1))(v), [-1, -1 / 3, 1 / 3, 1])
    # ties in max share the tangent; mean's gradient is 1/n
    np.testing.assert_array_equal(lt.grad(lnp.max)(np.array([1.0, 3.0, 3.0])), [0, 0.5, 0.5])
    np.testing.assert_array_equal(lt.grad(lnp.min)(np.array([[2.0, 2.0], [2.0, 5.0]])),
                                  [[1 / 3, 1 / 3], [1 / 3, 0]])
    np.testing.assert_array_equal(lt.grad(lnp.mean)(np.ones((2, 2))), np.full((2, 2), 0.25))
    # weighted average: d/da = w / sum(w)
    np.testing.assert_allclose(
        lt.grad(lambda a: lnp.average(a, weights=np.array([1.0, 3.0])))(np.zeros(2)),
        [0.25, 0.75])


_RNG = np.random.default_rng(7)
_A = _RNG.standard_normal((3, 4))
_W = _RNG.random((3, 4)) > 0.4
_WROW = np.array([True, False, True, True])
WHERE_CASES = [("sum", dict(where=_W)), ("sum", dict(where=_WROW, axis=0)),
               ("sum", dict(initial=2.5, axis=1)), ("max", dict(where=_W, initial=-1.0)),
               ("min", dict(where=_WROW, initial=5.0, axis=1, keepdims=True)),
               ("max", dict(initial=0.3)), ("amin", dict(initial=-0.2, axis=0)),
               ("prod", dict(where=_W)), ("prod", dict(initial=2.0, axis=0)),
               ("mean", dict(where=_W)), ("mean", dict(where=_WROW, axis=1)),
               ("var", dict(where=_W)), ("var", dict(where=_WROW, axis=1, ddof=1)),
               ("std", dict(where=_W, axis=0, keepdims=True)),
               ("std", dict(where=_WROW, axis=1, ddof=1))]


@pytest.mark.parametrize("name,kw", WHERE_CASES,
                         ids=[f"{n}-{'-'.join(k)}" for n, k in WHERE_CASES])
def test_reductions_take_numpys_where_and_initial(name, kw):
    """NumPy's ``where=`` and ``initial=``: values on every backend, derivatives to order 2."""
    ref = getattr(np, name)(_A, **kw)

    def f(x):
        return getattr(lnp, name)(x, **kw)
    for run in (f, lt.jit(f), lt.jit(f, backend="interpret")):
        np.testing.assert_allclose(run(_A), ref, rtol=1e-13)
    check_grads(f, (_A,), order=2)


def test_where_and_initial_edge_cases_and_errors():
    empty = np.zeros((0, 3))
    np.testing.assert_array_equal(lnp.max(empty, axis=0, initial=1.5),
                                  np.max(empty, axis=0, initial=1.5))
    assert float(lnp.sum(empty, initial=2.0)) == 2.0
    with pytest.raises(ValueError, match="max: where= needs initial="):
        lnp.max(_A, where=_W)
    with pytest.raises(TypeError, match="sum: out= is not supported"):
        lnp.sum(_A, out=np.zeros(()))
    with pytest.raises(ValueError, match=r"where= of shape \(2, 3, 4\)"):
        lnp.sum(_A, where=np.ones((2, 3, 4), bool))


def test_scan_accepts_jaxs_unroll_hint():
    xs = np.arange(5.0)
    for unroll in (1, 2, True, 0):
        carry, ys = lt.scan(lambda c, x: (c + x, c), 0.0, xs, unroll=unroll)
        assert float(carry) == 10.0
        np.testing.assert_array_equal(ys, [0.0, 0.0, 1.0, 3.0, 6.0])
    with pytest.raises(ValueError, match="unroll must be"):
        lt.scan(lambda c, x: (c, c), 0.0, xs, unroll=-1)


def test_var_std_nanvar_follow_numpys_positional_order():
    """``(a, axis, dtype, out, ddof)``: ddof is the fifth argument, as in NumPy."""
    np.testing.assert_allclose(lnp.var(_A, 1, None, None, 1), np.var(_A, 1, None, None, 1))
    np.testing.assert_allclose(lnp.nanstd(_A, 0, None, None, 1),
                               np.nanstd(_A, 0, None, None, 1))
    with pytest.raises(TypeError, match="var: out= is not supported"):
        lnp.var(_A, out=np.zeros(()))
