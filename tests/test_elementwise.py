"""Elementwise primitives: values against NumPy, derivatives against finite differences (to
second order, forward and reverse), eager against staged, gradients against JAX; broadcasting,
dtypes and error paths; known answers derived by hand."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lintra as lt
import lintra.numpy as lnp
from lintra.ops import elementwise as E
from lintra.test_util import check_grads, check_staged

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


def _floats(lo, hi, avoid=None):
    """Floats in [lo, hi]; ``avoid=(a, b)`` leaves out the open interval (a, b)."""
    if avoid is None:
        return st.floats(lo, hi, allow_nan=False, allow_subnormal=False)
    return st.one_of(st.floats(lo, avoid[0], allow_subnormal=False),
                     st.floats(avoid[1], hi, allow_subnormal=False))


def _array(data, shape, elements, dtype=np.float64):
    return data.draw(hnp.arrays(dtype, shape, elements=elements))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# name -> (lintra function, NumPy reference, domain elements)
UNARY = {
    "negative": (lnp.negative, np.negative, _floats(-3, 3)),
    "exp": (lnp.exp, np.exp, _floats(-3, 3)),
    "expm1": (lnp.expm1, np.expm1, _floats(-3, 3)),
    "log": (lnp.log, np.log, _floats(0.1, 5)),
    "log1p": (lnp.log1p, np.log1p, _floats(-0.9, 5)),
    "sqrt": (lnp.sqrt, np.sqrt, _floats(0.1, 5)),
    "sin": (lnp.sin, np.sin, _floats(-3, 3)),
    "cos": (lnp.cos, np.cos, _floats(-3, 3)),
    "tan": (lnp.tan, np.tan, _floats(-1.2, 1.2)),
    "arcsin": (lnp.arcsin, np.arcsin, _floats(-0.9, 0.9)),
    "arccos": (lnp.arccos, np.arccos, _floats(-0.9, 0.9)),
    "arctan": (lnp.arctan, np.arctan, _floats(-5, 5)),
    "sinh": (lnp.sinh, np.sinh, _floats(-3, 3)),
    "cosh": (lnp.cosh, np.cosh, _floats(-3, 3)),
    "tanh": (lnp.tanh, np.tanh, _floats(-3, 3)),
    "arcsinh": (lnp.arcsinh, np.arcsinh, _floats(-5, 5)),
    "arccosh": (lnp.arccosh, np.arccosh, _floats(1.1, 5)),
    "arctanh": (lnp.arctanh, np.arctanh, _floats(-0.9, 0.9)),
    "abs": (lnp.abs, np.abs, _floats(-3, 3, avoid=(-0.1, 0.1))),
    "square": (lnp.square, np.square, _floats(-3, 3)),
    "logistic": (lnp.logistic, _sigmoid, _floats(-6, 6)),
    "erf": (lnp.erf, np.vectorize(math.erf), _floats(-2, 2)),
    "reciprocal": (lnp.reciprocal, np.reciprocal, _floats(-3, 3, avoid=(-0.2, 0.2))),
    "exp2": (lnp.exp2, np.exp2, _floats(-3, 3)),
    "log2": (lnp.log2, np.log2, _floats(0.1, 5)),
    "log10": (lnp.log10, np.log10, _floats(0.1, 5)),
    "cbrt": (lnp.cbrt, np.cbrt, _floats(-3, 3, avoid=(-0.1, 0.1))),
    "sinc": (lnp.sinc, np.sinc, _floats(-2, 2, avoid=(-0.05, 0.05))),
    "x**2.5": (lambda x: x ** 2.5, lambda x: x ** 2.5, _floats(0.1, 3)),
}

JAX_NAMES = {"negative": "negative", "square": "square", "reciprocal": "reciprocal",
             "x**2.5": None, "logistic": None, "erf": None}


def _jax_fn(name):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    if name == "logistic":
        return jax, jax.nn.sigmoid
    if name == "erf":
        import jax.scipy.special as jss
        return jax, jss.erf
    if name == "x**2.5":
        return jax, lambda x: x ** 2.5
    return jax, getattr(jnp, JAX_NAMES.get(name) or name)


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=12)
@given(data=st.data())
def test_unary(name, data):
    f, ref, elements = UNARY[name]
    x = _array(data, data.draw(SHAPES), elements)
    y = f(x)
    assert np.shape(y) == x.shape and np.asarray(y).dtype == np.float64
    np.testing.assert_allclose(y, ref(x), rtol=1e-12, atol=1e-14)
    check_grads(f, (x,), order=2)
    check_staged(f, (x,))


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=3)
@given(data=st.data())
def test_unary_grads_match_jax(name, data):
    f, _, elements = UNARY[name]
    jax, jf = _jax_fn(name)
    x = _array(data, (5,), elements)
    w = np.linspace(-1.0, 2.0, 5)
    g = lt.grad(lambda x: lnp.sum(f(x) * w))(x)
    np.testing.assert_allclose(g, jax.grad(lambda x: (jf(x) * w).sum())(x), rtol=1e-10,
                               atol=1e-12)   # JAX flushes subnormals to zero
    # second derivatives of an elementwise function: the diagonal of its Hessian
    h = lt.grad(lambda x: lnp.sum(lt.grad(lambda x: lnp.sum(f(x)))(x) * w))(x)
    jh = jax.grad(lambda x: (jax.grad(lambda x: jf(x).sum())(x) * w).sum())(x)
    np.testing.assert_allclose(h, jh, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- binary, with broadcasting

_GRID_X = st.integers(-12, 12).map(lambda k: k / 4 + 0.01)
_GRID_Y = st.integers(-12, 12).map(lambda k: k / 4 + 0.13)   # never within 0.12 of _GRID_X
# remainder: x/y stays at least 0.1 away from an integer, so no discontinuity is crossed
_REM_X = st.tuples(st.integers(-5, 4), st.floats(0, 0.2)).map(lambda t: t[0] + 0.25 + t[1])
_REM_Y = st.tuples(st.sampled_from([1.0, -1.0, 2.0, -2.0]), st.floats(0, 0.01)).map(
    lambda t: t[0] + t[1])

BINARY = {
    "add": (lnp.add, np.add, _floats(-3, 3), _floats(-3, 3)),
    "subtract": (lnp.subtract, np.subtract, _floats(-3, 3), _floats(-3, 3)),
    "multiply": (lnp.multiply, np.multiply, _floats(-3, 3), _floats(-3, 3)),
    "divide": (lnp.divide, np.divide, _floats(-3, 3), _floats(-3, 3, avoid=(-0.3, 0.3))),
    "power": (lnp.power, np.power, _floats(0.2, 3), _floats(-2, 2)),
    "arctan2": (lnp.arctan2, np.arctan2, _floats(-2, 2), _floats(0.2, 2)),
    "maximum": (lnp.maximum, np.maximum, _GRID_X, _GRID_Y),
    "minimum": (lnp.minimum, np.minimum, _GRID_X, _GRID_Y),
    "remainder": (lnp.remainder, np.remainder, _REM_X, _REM_Y),
    "hypot": (lnp.hypot, np.hypot, _floats(0.1, 3), _floats(-3, -0.1)),
    "logaddexp": (lnp.logaddexp, np.logaddexp, _floats(-3, 3), _floats(-3, 3)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=12)
@given(data=st.data())
def test_binary_broadcasting(name, data):
    f, ref, ex, ey = BINARY[name]
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                         max_side=4))
    sx, sy = shapes.input_shapes
    x, y = _array(data, sx, ex), _array(data, sy, ey)
    out = f(x, y)
    assert np.shape(out) == shapes.result_shape
    np.testing.assert_allclose(out, ref(x, y), rtol=1e-12, atol=1e-14)
    check_grads(f, (x, y), order=2)
    check_staged(f, (x, y))
    gx, gy = lt.grad(lambda x, y: lnp.sum(f(x, y)), argnums=(0, 1))(x, y)
    assert np.shape(gx) == sx and np.shape(gy) == sy   # cotangents are unbroadcast


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=3)
@given(data=st.data())
def test_binary_grads_match_jax(name, data):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    f, _, ex, ey = BINARY[name]
    jf = getattr(jnp, name)
    x, y = _array(data, (3, 1), ex), _array(data, (1, 4), ey)
    w = np.arange(12.0).reshape(3, 4) / 7 - 0.5
    g = lt.grad(lambda x, y: lnp.sum(f(x, y) * w), argnums=(0, 1))(x, y)
    jg = jax.grad(lambda x, y: (jf(x, y) * w).sum(), argnums=(0, 1))(x, y)
    for a, b in zip(g, jg):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_scalar_with_array_cotangent_is_summed():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    g = lt.grad(lambda s, x: lnp.sum(s * x), argnums=(0, 1))(2.0, x)
    assert np.shape(g[0]) == () and g[0] == 10.0
    np.testing.assert_array_equal(g[1], np.full((2, 2), 2.0))
    # (3,1) * (1,4): each cotangent sums over the other's axis
    a, b = np.array([[1.0], [2.0], [3.0]]), np.array([[1.0, 10.0, 100.0, 1000.0]])
    ga, gb = lt.grad(lambda a, b: lnp.sum(a * b), argnums=(0, 1))(a, b)
    np.testing.assert_array_equal(ga, np.full((3, 1), 1111.0))
    np.testing.assert_array_equal(gb, np.full((1, 4), 6.0))


# ---------------------------------------------------------------- integer_pow

@settings(max_examples=15)
@given(data=st.data(), n=st.integers(-3, 4))
def test_integer_pow(data, n):
    x = _array(data, data.draw(SHAPES), _floats(-2, 2, avoid=(-0.3, 0.3)))
    f = lambda x: x ** n  # noqa: E731
    np.testing.assert_allclose(f(x), np.power(x, float(n)), rtol=1e-12)
    check_grads(f, (x,), order=2)
    check_staged(f, (x,))
    check_grads(lambda x: E.integer_pow(x, n), (x,), order=2)


@pytest.mark.parametrize("n", [-2, 0, 1, 3])
def test_integer_pow_matches_jax(n):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    x = np.array([-1.5, -0.5, 0.7, 2.0])
    g = lt.grad(lambda x: lnp.sum(lnp.sin(x ** n)))(x)
    jg = jax.grad(lambda x: jax.numpy.sum(jax.numpy.sin(x ** n)))(x)
    np.testing.assert_allclose(g, jg, rtol=1e-12)


# ---------------------------------------------------------------- piecewise-constant

# values at least 0.1 from any multiple of 1/2, where floor/ceil/round/trunc jump
_AWAY_FROM_JUMPS = st.tuples(st.integers(-6, 6), st.floats(0.1, 0.4)).map(
    lambda t: t[0] / 2 + t[1] / 2 + 0.05)
PIECEWISE = {"floor": (lnp.floor, np.floor), "ceil": (lnp.ceil, np.ceil),
             "round": (lnp.round, np.round), "trunc": (lnp.trunc, np.trunc),
             "sign": (lnp.sign, np.sign)}


@pytest.mark.parametrize("name", sorted(PIECEWISE))
@settings(max_examples=10)
@given(data=st.data())
def test_piecewise_constant_has_zero_tangent(name, data):
    f, ref = PIECEWISE[name]
    x = _array(data, data.draw(SHAPES), _AWAY_FROM_JUMPS)
    np.testing.assert_array_equal(f(x), ref(x))
    _, t = lt.jvp(f, (x,), (np.ones_like(x),))
    np.testing.assert_array_equal(t, np.zeros_like(x))
    check_grads(lambda x: f(x) * x, (x,), order=2)
    check_staged(f, (x,))


def test_round_half_to_even_and_decimals():
    x = np.array([0.5, 1.5, 2.5, -0.5, 1.234])
    np.testing.assert_array_equal(lnp.round(x), [0.0, 2.0, 2.0, -0.0, 1.0])
    np.testing.assert_allclose(lnp.round(x, 2), np.round(x, 2))


# ---------------------------------------------------------------- comparisons and logic

CMP = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]


@pytest.mark.parametrize("name", CMP)
@settings(max_examples=10)
@given(data=st.data())
def test_comparisons(name, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3,
                                                         max_side=4))
    ints = st.integers(-2, 2).map(float)   # small grid: ties happen
    x, y = (_array(data, s, ints) for s in shapes.input_shapes)
    out = getattr(lnp, name)(x, y)
    assert np.asarray(out).dtype == np.bool_
    np.testing.assert_array_equal(out, getattr(np, name)(x, y))
    check_staged(getattr(lnp, name), (x, y))
    # no tangent: the output of a comparison is boolean
    _, t = lt.jvp(lambda x: getattr(lnp, name)(x, y), (x,), (np.ones_like(x),))
    assert not np.any(t)


@settings(max_examples=10)
@given(data=st.data())
def test_logical_and_bitwise(data):
    shape = data.draw(SHAPES)
    a, b = (_array(data, shape, st.booleans(), np.bool_) for _ in range(2))
    i, j = (_array(data, shape, st.integers(-8, 8), np.int64) for _ in range(2))
    for name in ["logical_and", "logical_or", "logical_xor"]:
        np.testing.assert_array_equal(getattr(lnp, name)(a, b), getattr(np, name)(a, b))
        np.testing.assert_array_equal(getattr(lnp, name)(i, j), getattr(np, name)(i, j))
    np.testing.assert_array_equal(lnp.logical_not(a), np.logical_not(a))
    np.testing.assert_array_equal(lnp.logical_not(i), np.logical_not(i))
    for name in ["bitwise_and", "bitwise_or", "bitwise_xor"]:
        np.testing.assert_array_equal(getattr(lnp, name)(i, j), getattr(np, name)(i, j))
    np.testing.assert_array_equal(lnp.invert(i), np.invert(i))
    check_staged(lnp.logical_and, (a, b))


# ---------------------------------------------------------------- where / select, clip

@settings(max_examples=15)
@given(data=st.data())
def test_where_broadcasts_and_differentiates(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3,
                                                         max_side=4))
    sc, sx, sy = shapes.input_shapes
    c = _array(data, sc, st.booleans(), np.bool_)
    x, y = _array(data, sx, _floats(-2, 2)), _array(data, sy, _floats(-2, 2))
    f = lambda x, y: lnp.where(c, lnp.sin(x), y * y)  # noqa: E731
    np.testing.assert_allclose(f(x, y), np.where(c, np.sin(x), y * y), rtol=1e-14)
    check_grads(f, (x, y), order=2)
    check_staged(f, (x, y))
    # one branch constant: the tangent still has the output's shape
    _, t = lt.jvp(lambda x: lnp.where(c, x, np.zeros(shapes.result_shape)), (x,),
                  (np.ones_like(x),))
    assert np.shape(t) == shapes.result_shape
    np.testing.assert_array_equal(t, np.broadcast_to(c, shapes.result_shape).astype(float))


def test_where_matches_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    x, y = np.array([[-1.0], [0.5], [2.0]]), np.array([[0.3, -0.7, 1.1, 2.0]])
    w = np.arange(12.0).reshape(3, 4)
    g = lt.grad(lambda x, y: lnp.sum(lnp.where(x > y, x * y, lnp.exp(y)) * w),
                argnums=(0, 1))(x, y)
    jg = jax.grad(lambda x, y: (jnp.where(x > y, x * y, jnp.exp(y)) * w).sum(),
                  argnums=(0, 1))(x, y)
    for a, b in zip(g, jg):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@settings(max_examples=15)
@given(data=st.data())
def test_clip(data):
    x = _array(data, data.draw(SHAPES), _GRID_X)     # never on the bounds below
    f = lambda x: lnp.clip(x, -1.12, 0.63)  # noqa: E731
    np.testing.assert_array_equal(f(x), np.clip(x, -1.12, 0.63))
    check_grads(f, (x,), order=2)
    check_staged(f, (x,))
    g = lt.grad(lambda x: lnp.sum(f(x)))(x)
    np.testing.assert_array_equal(g, ((x > -1.12) & (x < 0.63)).astype(float))
    np.testing.assert_array_equal(lnp.clip(x, max=0.5), np.clip(x, None, 0.5))


# ---------------------------------------------------------------- dtypes

def test_float32_stays_float32():
    x = np.array([0.5, 1.5, 2.5], np.float32)
    for f in [lambda x: x * 2.0, lambda x: 2 * x, lambda x: x / 3, lambda x: x ** 2,
              lambda x: x ** 2.5, lambda x: 2.0 ** x, lnp.sin, lnp.exp, lnp.logistic,
              lnp.erf, lambda x: lnp.maximum(x, 1.0), lambda x: lnp.where(x > 1, x, 0.0),
              lambda x: lnp.arctan2(x, 1.0), lambda x: lnp.clip(x, 0.0, 1.0),
              lambda x: x % 0.7, lnp.floor, lnp.abs]:
        assert np.asarray(f(x)).dtype == np.float32
        g = lt.grad(lambda x, f=f: lnp.sum(f(x)))(x)
        assert g.dtype == np.float32
        assert lt.jit(f)(x).dtype == np.float32
    # an explicit float64 array wins, as in NumPy
    assert np.asarray(x * np.ones(3)).dtype == np.float64


def test_integer_dtypes_follow_numpy():
    i = np.array([1, 2, 3], np.int32)
    assert lnp.sin(i).dtype == np.float64 and lnp.sqrt(i).dtype == np.float64
    assert lnp.exp(5).dtype == np.float64
    assert (lnp.asarray(i) / i).dtype == np.float64
    for f in [lambda i: i ** 2, lambda i: lnp.power(i, i), lambda i: i * 3, lambda i: i % 2,
              lnp.floor, lnp.abs, lambda i: lnp.maximum(i, 2)]:
        out = f(i)
        assert out.dtype == np.int32, f
        np.testing.assert_array_equal(out, f(np.asarray(i)))
    assert (i * 2.0).dtype == np.float64 and lnp.multiply(i, 2.0).dtype == np.float64
    assert lnp.power(np.int64(2), np.int64(10)) == 1024


def test_integer_inputs_are_not_differentiable():
    i = np.array([1, 2, 3])
    with pytest.raises(lt.NonDifferentiableError, match="int64"):
        lt.grad(lambda x: lnp.sum(lnp.sin(x)))(i)
    with pytest.raises(lt.NonDifferentiableError):
        lt.grad(lambda x: lnp.sum(x * 1.0))(np.array([True, False]))
    # an integer argument not being differentiated is fine, and has no tangent
    g = lt.grad(lambda x, n: lnp.sum(x ** n), argnums=0)(np.array([1.0, 2.0]), 3)
    np.testing.assert_allclose(g, [3.0, 12.0])


# ---------------------------------------------------------------- errors

def test_error_paths():
    with pytest.raises(ValueError, match="broadcast"):
        lnp.add(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="broadcast"):
        lt.grad(lambda x: lnp.sum(x * np.ones((2, 3))))(np.ones(4))
    with pytest.raises(ValueError, match="broadcast"):
        lnp.where(np.ones(2, bool), np.ones(3), 0.0)
    # primitive shape rules (checked while tracing; eager calls go straight to NumPy)
    staged = lambda p: lt.jit(lambda *a: p.bind(*a))  # noqa: E731
    with pytest.raises(TypeError, match="add: operands must have one dtype"):
        staged(E.add_p)(np.ones(2, np.float32), np.ones(2))
    with pytest.raises(TypeError, match="sin expects a floating-point operand"):
        staged(E.sin_p)(np.ones(2, np.int64))
    with pytest.raises(TypeError, match="div expects a floating-point"):
        staged(E.div_p)(np.ones(2, np.int64), np.ones(2, np.int64))
    with pytest.raises(TypeError, match="sub expects a numeric"):
        staged(E.sub_p)(np.ones(2, bool), np.ones(2, bool))
    with pytest.raises(TypeError, match="and expects a boolean or integer"):
        lnp.bitwise_and(np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="predicate must be boolean"):
        staged(E.select_p)(np.ones(2), np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="branches must have one dtype"):
        staged(E.select_p)(np.ones(2, bool), np.ones(2), np.ones(2, np.float32))
    with pytest.raises(ValueError, match="negative integer powers"):
        np.asarray(lnp.power(np.array([2, 3]), -1))
    with pytest.raises(ValueError, match="at least one of the bounds"):
        lnp.clip(np.ones(2))
    with pytest.raises(TypeError, match="give both x and y"):
        lnp.where(np.ones(2) > 0, 1.0)
    # the same shape errors are raised while staging
    with pytest.raises(ValueError, match="broadcast"):
        lt.jit(lambda x, y: x + y)(np.ones(3), np.ones(2))


# ---------------------------------------------------------------- known answers

def test_known_answers():
    # d/dx x^y = y x^(y-1), d/dy x^y = x^y log x
    gx, gy = lt.grad(lambda x, y: x ** y, argnums=(0, 1))(2.0, 3.0)
    assert np.isclose(gx, 12.0) and np.isclose(gy, 8.0 * math.log(2.0))
    # at x = 0 the exponent derivative is 0 (not nan), and d/dx 0^2.0 = 0
    gx, gy = lt.grad(lambda x, y: x ** y, argnums=(0, 1))(0.0, 2.0)
    assert gx == 0.0 and gy == 0.0
    assert lt.grad(lt.grad(lambda x: x ** 2.0))(0.0) == 2.0
    # y = 0: x^0 = 1 everywhere, so the base derivative is 0 even at x = 0
    assert lt.grad(lambda x: x ** 0.0)(0.0) == 0.0
    # ties in maximum/minimum share the tangent
    assert lt.grad(lambda x, y: lnp.maximum(x, y), argnums=(0, 1))(1.0, 1.0) == (0.5, 0.5)
    assert lt.grad(lambda x, y: lnp.minimum(x, y), argnums=(0, 1))(2.0, 1.0) == (0.0, 1.0)
    # logistic: no overflow, exact limits, finite gradients
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = lnp.logistic(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(s, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(lt.grad(lambda x: lnp.sum(lnp.logistic(x)))(
        np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.25, 0.0])
    assert np.isclose(lt.grad(lnp.erf)(0.0), 2 / math.sqrt(math.pi))
    assert lt.grad(lnp.abs)(-2.0) == -1.0 and lt.grad(lnp.abs)(0.0) == 0.0
    # remainder: d/dy (x mod y) = -floor(x / y); 7.5 mod 2 = 1.5 = 7.5 - 3 * 2
    assert lt.grad(lambda x, y: x % y, argnums=(0, 1))(7.5, 2.0) == (1.0, -3.0)
    assert lnp.remainder(-7.5, 2.0) == 0.5 and lnp.fmod(-7.5, 2.0) == -1.5
    # arctan2: gradient (x, -y) / (x^2 + y^2)
    gy, gx = lt.grad(lnp.arctan2, argnums=(0, 1))(3.0, 4.0)
    assert np.isclose(gy, 4 / 25) and np.isclose(gx, -3 / 25)
    # logaddexp with both -inf is -inf (no nan)
    with np.errstate(divide="ignore"):
        assert lnp.logaddexp(-np.inf, -np.inf) == -np.inf
