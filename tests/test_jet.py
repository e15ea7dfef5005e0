"""Taylor mode (``lintra.jet``) against nested ``jvp``: every elementwise function, products
and quotients, general input series, pytrees, and under ``jit``."""

import math

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
from lintra.ops.elementwise import NUMPY_NAMES

K = 4


def nested_derivatives(g, t0=0.0, order=K):
    """d^k/dt^k g(t) at t0 for k = 1..order, by nested jvp (the independent reference)."""
    out, fn = [], g
    for _ in range(order):
        fn = _derivative(fn)
        out.append(np.asarray(fn(t0)))
    return out


def _derivative(fn):
    return lambda t: lt.jvp(fn, (t,), (1.0,))[1]


POINT = {"arccosh": 1.4, "log": 1.3, "log1p": 0.4, "sqrt": 1.3, "arctanh": 0.3}


@pytest.mark.parametrize("name", sorted(NUMPY_NAMES))
def test_every_elementwise_function_matches_nested_jvp(name):
    f = NUMPY_NAMES[name]
    x = POINT.get(name, 0.3)
    primal, series = lt.jet(f, (x,), ([1.0] + [0.0] * (K - 1),))
    np.testing.assert_allclose(primal, f(x), rtol=1e-14)
    want = nested_derivatives(lambda t: f(x + t))
    np.testing.assert_allclose(np.array(series, float), np.array(want, float),
                               rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("f", [
    lambda x: x * x * x, lambda x: 1.0 / x, lambda x: x ** 5, lambda x: x ** -2,
    lambda x: lnp.sin(lnp.exp(x) * x ** 2) / (1 + x),
    lambda x: lnp.tanh(x) * lnp.log(1 + x * x) - lnp.sqrt(2 + lnp.cos(x)),
    lambda x: lnp.maximum(x, 0.1) * lnp.abs(x)])
def test_compositions_along_a_curve(f):
    """x(t) = x₀ + Σ cₖ tᵏ/k! with every coefficient nonzero."""
    x0, cs = 0.7, [0.9, -0.4, 1.3, 0.25]

    def curve(t):
        return x0 + sum(c * t ** k / math.factorial(k) for k, c in enumerate(cs, start=1))
    primal, series = lt.jet(f, (x0,), (cs,))
    want = nested_derivatives(lambda t: f(curve(t)))
    np.testing.assert_allclose(np.array(series, float), np.array(want, float), rtol=1e-10)


def test_arrays_pytrees_and_jit():
    W = np.array([[1.0, 2.0], [0.5, -1.0]])

    def f(p):
        return {"y": lnp.tanh(W @ p["x"]) * p["s"], "z": lnp.sum(lnp.exp(p["x"]))}
    p = {"x": np.array([0.2, -0.3]), "s": 1.5}
    d = {"x": np.array([1.0, 0.5]), "s": 0.0}
    zero = {"x": np.zeros(2), "s": 0.0}
    primal, series = lt.jet(f, (p,), ([d, zero, zero],))
    for leaf in ("y", "z"):
        want = nested_derivatives(
            lambda t, leaf=leaf: f({"x": p["x"] + t * d["x"], "s": 1.5})[leaf], order=3)
        for got, w in zip(series[leaf], want):
            np.testing.assert_allclose(got, w, rtol=1e-11)
    jitted = lt.jit(lambda x: lt.jet(lnp.sin, (x,), ([1.0, 0.0, 0.0],))[1])(0.3)
    np.testing.assert_allclose(np.array(jitted, float),
                               [np.cos(0.3), -np.sin(0.3), -np.cos(0.3)], rtol=1e-14)


def test_cost_is_polynomial_in_the_order():
    """The jet of a chain of n sines stages O(n·K²) equations, nested jvp 2ᴷ times more."""
    def chain(x):
        for _ in range(6):
            x = lnp.sin(x)
        return x
    def size(k):
        series = ([1.0] + [0.0] * (k - 1),)
        return len(lt.make_program(lambda x: lt.jet(chain, (x,), series)[1])(0.3).eqns)
    sizes = [size(k) for k in (2, 4, 8)]
    assert sizes[2] < 6 * sizes[1], sizes


def test_bad_series_are_errors():
    with pytest.raises(ValueError, match="same length"):
        lt.jet(lambda x, y: x * y, (1.0, 2.0), ([1.0], [1.0, 0.0]))
    with pytest.raises(ValueError, match="primals but"):
        lt.jet(lnp.sin, (1.0,), ())
