"""The NumPy gaps of issue 13: sorting, differences, products, index tricks, NaN-aware
functions, casts, differentiable ``linspace``/``arange``, ``ravel_pytree`` and the API
conveniences. Values against NumPy, derivatives by ``check_grads`` (order 2, both modes),
gradients against JAX, eager against ``jit``, ``vmap`` against a loop, and each error."""

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
from lintra.flatten_util import ravel_pytree
from lintra.ops import sorting as O
from lintra.test_util import check_grads, check_staged

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _fresh_rng():
    """Each test draws the same values however the tests are selected."""
    global RNG
    RNG = np.random.default_rng(0)


def _jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def _distinct(*shape):
    """Values 1/8 apart, no two equal (sort is smooth there)."""
    n = int(np.prod(shape))
    return (RNG.permutation(n) / 8.0 - n / 16).reshape(shape)


def _weights(shape):
    return RNG.standard_normal(shape)


# ---------------------------------------------------------------- sort and friends

@pytest.mark.parametrize("axis", [-1, 0, 1, None])
def test_sort_argsort_values_match_numpy(axis):
    x = _distinct(3, 4)
    np.testing.assert_array_equal(lnp.sort(x, axis), np.sort(x, axis))
    np.testing.assert_array_equal(lnp.argsort(x, axis), np.argsort(x, axis))
    check_staged(lambda x: lnp.sort(x, axis), (x,))
    check_staged(lambda x: lnp.argsort(x, axis), (x,))


def test_sort_is_stable_and_puts_nans_last():
    x = np.array([2.0, np.nan, 1.0, 2.0, -np.inf, 1.0, np.nan])
    np.testing.assert_array_equal(lnp.sort(x), np.sort(x))
    np.testing.assert_array_equal(lnp.argsort(x), np.argsort(x, kind="stable"))
    i = np.array([3, 1, 3, 2, 1])
    np.testing.assert_array_equal(lnp.argsort(i), np.argsort(i, kind="stable"))
    np.testing.assert_array_equal(lnp.sort(np.array([True, False, True])), [False, True, True])


def test_descending_matches_jax():
    jax = _jax()
    x = np.array([3.0, 1.0, 3.0, 2.0, 1.0])
    np.testing.assert_array_equal(lnp.sort(x, descending=True),
                                  jax.numpy.sort(x, descending=True))
    np.testing.assert_array_equal(lnp.argsort(x, descending=True),
                                  jax.numpy.argsort(x, descending=True))


@pytest.mark.parametrize("axis", [-1, 0])
def test_sort_grads(axis):
    x = _distinct(3, 4)
    check_grads(lambda x: lnp.sort(x, axis) ** 2, (x,), order=2)
    jax = _jax()
    w = _weights((3, 4))
    g = lt.grad(lambda x: (lnp.sort(x, axis) ** 3 * w).sum())(x)
    gj = jax.grad(lambda x: (jax.numpy.sort(x, axis=axis) ** 3 * w).sum())(x)
    np.testing.assert_allclose(g, gj, rtol=1e-12)
    np.testing.assert_allclose(lt.jit(lt.grad(lambda x: (lnp.sort(x, axis) ** 3 * w).sum()))(x),
                               gj, rtol=1e-12)


def test_sort_tangents_at_ties_follow_jax():
    """At tied values the stable order decides: the tangent of the first of equal elements
    goes to the first of their sorted positions (JAX's convention)."""
    jax = _jax()
    x = np.array([1.0, 0.0, 1.0, 0.0])
    t = np.array([1.0, 2.0, 3.0, 4.0])
    _, tl = lt.jvp(lnp.sort, (x,), (t,))
    _, tj = jax.jvp(jax.numpy.sort, (x,), (t,))
    np.testing.assert_array_equal(tl, tj)
    np.testing.assert_array_equal(tl, [2.0, 4.0, 1.0, 3.0])
    w = np.array([1.0, 10.0, 100.0, 1000.0])
    np.testing.assert_array_equal(lt.grad(lambda x: (lnp.sort(x) * w).sum())(x),
                                  jax.grad(lambda x: (jax.numpy.sort(x) * w).sum())(x))


def test_sort_vmap_matches_loop():
    x = _distinct(3, 5)
    for fn in (lnp.sort, lnp.argsort, lambda v: lnp.partition(v, 2)):
        np.testing.assert_array_equal(lt.vmap(fn)(x), np.stack([fn(r) for r in x]))
        np.testing.assert_array_equal(lt.vmap(fn, in_axes=1, out_axes=1)(x.T),
                                      np.stack([fn(r) for r in x]).T)
    np.testing.assert_array_equal(lt.vmap(lambda v: O.argsort(v, 0))(x.T), np.argsort(x.T, 1))


def test_sort_under_jet_matches_nested_jvp():
    """Integer results (the permutation) carry no Taylor series; the values' series are
    gathered with them."""
    x = _distinct(5)
    c1, c2 = RNG.standard_normal(5), RNG.standard_normal(5)
    f = lambda x: lnp.sort(x) ** 3  # noqa: E731
    _, (d1, d2) = lt.jet(f, (x,), ([c1, c2],))
    s = np.argsort(x)
    xs, a, b = x[s], c1[s], c2[s]
    np.testing.assert_allclose(d1, 3 * xs ** 2 * a, rtol=1e-12)
    np.testing.assert_allclose(d2, 6 * xs * a ** 2 + 3 * xs ** 2 * b, rtol=1e-12)
    _, (e1,) = lt.jet(lambda x: x[lnp.argmax(x)] * 2.0, (x,), ([c1],))
    np.testing.assert_allclose(e1, 2 * c1[np.argmax(x)])


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")
def test_compositions_under_vmap_match_a_loop():
    X, Y = RNG.standard_normal((4, 3, 5)), RNG.standard_normal((4, 3, 5))
    cases = [lambda x, y: lnp.diff(x, 2, append=y[:, :1]),
             lambda x, y: lnp.gradient(x, y[0] ** 2 + np.arange(5.0) * 3, axis=1),
             lambda x, y: lnp.cross(x[:, :3], y[:, 2:]),
             lambda x, y: lnp.kron(x[:2, :2], y[0]),
             lambda x, y: lnp.select([x > 0.5, y < 0], [x, y * 2], 1.0),
             lambda x, y: lnp.fmax(x, y) + lnp.nan_to_num(lnp.log(x)),
             lambda x, y: lnp.logaddexp2(x, y),
             lambda x, y: lnp.linspace(x[0, 0], y[0, :2], 3, axis=1),
             lambda x, y: lnp.r_[x[0], y[1]],
             lambda x, y: lnp.sort(x * y, axis=0),
             lambda x, y: lnp.partition(x, 1, axis=None)]
    for f in cases:
        ref = np.stack([np.asarray(f(x, y)) for x, y in zip(X, Y)])
        np.testing.assert_allclose(lt.vmap(f)(X, Y), ref, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(lt.vmap(f, in_axes=(2, 2))(X.transpose(1, 2, 0),
                                                               Y.transpose(1, 2, 0)),
                                   ref, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("kth", [0, 2, -1, (1, 3)])
def test_partition_values_and_grads(kth):
    x = _distinct(2, 5)
    p = np.asarray(lnp.partition(x, kth))
    np.testing.assert_array_equal(p, np.partition(x, kth))
    np.testing.assert_array_equal(lnp.argpartition(x, kth), np.argpartition(x, kth))
    s = np.sort(x, -1)
    for k in np.atleast_1d(kth):
        np.testing.assert_array_equal(p[:, k], s[:, k])        # the kth in sorted position
    check_grads(lambda x: lnp.partition(x, kth) ** 2, (x,), order=2)
    check_staged(lambda x: lnp.partition(x, kth), (x,))
    # partition's kth element is sort's: the same derivative (JAX as oracle)
    jax = _jax()
    k = np.atleast_1d(kth)[0]
    g = lt.grad(lambda x: (lnp.partition(x, kth)[:, k] ** 3).sum())(x)
    gj = jax.grad(lambda x: (jax.numpy.sort(x)[:, k] ** 3).sum())(x)
    np.testing.assert_allclose(g, gj, rtol=1e-12)


def test_sorting_errors():
    with pytest.raises(ValueError, match="sort: axis 2 is out of bounds"):
        lnp.sort(np.ones((2, 2)), 2)
    with pytest.raises(ValueError, match="argpartition: kth 5 is out of bounds"):
        lnp.partition(np.ones(3), 5)
    with pytest.raises(NotImplementedError, match="order"):
        lnp.sort(np.ones(3), order="f")
    with pytest.raises(ValueError, match="unknown kind"):
        lnp.argsort(np.ones(3), kind="bogo")
    with pytest.raises(lt.NonDifferentiableError):
        lt.grad(lambda x: lnp.argsort(x).sum())(np.ones(3))


# ---------------------------------------------------------------- diff, gradient

DIFF_CASES = [dict(), dict(n=2), dict(axis=0), dict(n=0), dict(prepend=0.5),
              dict(append=np.ones((3, 1))), dict(n=3, prepend=1.0, append=np.full((3, 1), 2.0))]


@pytest.mark.parametrize("kw", DIFF_CASES)
def test_diff_matches_numpy_and_jax(kw):
    x = RNG.standard_normal((3, 4))
    np.testing.assert_allclose(lnp.diff(x, **kw), np.diff(x, **kw), rtol=1e-14)
    check_grads(lambda x: lnp.diff(x, **kw), (x,), order=2)
    check_staged(lambda x: lnp.diff(x, **kw), (x,))
    jax = _jax()
    w = _weights(np.diff(x, **kw).shape)
    np.testing.assert_allclose(lt.grad(lambda x: (lnp.diff(x, **kw) ** 2 * w).sum())(x),
                               jax.grad(lambda x: (jax.numpy.diff(x, **kw) ** 2 * w).sum())(x),
                               rtol=1e-12, atol=1e-14)


def test_diff_in_prepend_and_append_and_booleans():
    x, p, a = RNG.standard_normal(4), np.array([0.3]), np.array([0.7, -1.0])
    check_grads(lambda x, p, a: lnp.diff(x, 2, prepend=p, append=a), (x, p, a), order=2)
    b = np.array([True, False, False, True])
    np.testing.assert_array_equal(lnp.diff(b), np.diff(b))
    np.testing.assert_allclose(lnp.ediff1d(x, to_begin=[9.0], to_end=1.0),
                               np.ediff1d(x, to_begin=[9.0], to_end=1.0))
    with pytest.raises(ValueError, match="diff: order n must be non-negative"):
        lnp.diff(x, -1)
    with pytest.raises(ValueError, match="at least one dimensional"):
        lnp.diff(np.float64(1.0))


def test_diff_is_linear_dot_product():
    x = RNG.standard_normal((3, 5))
    f = lambda v: lnp.diff(v, 2, axis=1)  # noqa: E731
    ct = RNG.standard_normal((3, 3))
    t = RNG.standard_normal((3, 5))
    (back,) = lt.linear_transpose(f, x)(ct)
    np.testing.assert_allclose(np.sum(ct * np.asarray(f(t))), np.sum(np.asarray(back) * t),
                               rtol=1e-12)


GRADIENT_CASES = [((), {}), ((0.5,), {}), ((0.5, 2.0), {}), ((), {"axis": 1}),
                  ((), {"edge_order": 2}), ((0.3,), {"edge_order": 2, "axis": 0}),
                  (("coords0", "coords1"), {}), (("coords0", 0.25), {"edge_order": 2})]


def _gradient_args(spec):
    coords = {"coords0": np.array([0.0, 0.4, 1.1, 1.5, 2.6]),
              "coords1": np.array([-1.0, 0.0, 0.5, 2.0])}
    return tuple(coords.get(s, s) if isinstance(s, str) else s for s in spec)


@pytest.mark.parametrize("spec,kw", GRADIENT_CASES)
def test_gradient_matches_numpy(spec, kw):
    f = RNG.standard_normal((5, 4))
    args = _gradient_args(spec)
    if "axis" in kw and len(args) > 1:
        args = args[:1]
    out, ref = lnp.gradient(f, *args, **kw), np.gradient(f, *args, **kw)
    if isinstance(ref, tuple):
        assert isinstance(out, tuple) and len(out) == len(ref)
    else:
        out, ref = (out,), (ref,)
    for o, r in zip(out, ref):
        np.testing.assert_allclose(o, r, rtol=1e-12, atol=1e-12)
    check_staged(lambda f: lnp.gradient(f, *args, **kw), (f,))
    check_grads(lambda f: lnp.gradient(f, *args, **kw), (f,), order=2)


def test_gradient_in_its_spacings():
    f = RNG.standard_normal((5, 4))
    x0 = np.array([0.0, 0.4, 1.1, 1.5, 2.6])
    for eo in (1, 2):
        check_grads(lambda f, x, eo=eo: lnp.gradient(f, x, axis=0, edge_order=eo), (f, x0),
                    order=2)
        check_grads(lambda f, h, eo=eo: lnp.gradient(f, h, edge_order=eo), (f, 0.7), order=2)
    jax = _jax()
    w = _weights((5, 4))
    g = lt.grad(lambda f, x: (lnp.gradient(f, x, axis=0) ** 2 * w).sum(), (0, 1))(f, x0)
    gj = jax.grad(lambda f, x: (jax.numpy.gradient(f, x, axis=0) ** 2 * w).sum(), (0, 1))(f, x0)
    for a, b in zip(g, gj):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_gradient_small_axes_ints_and_errors():
    np.testing.assert_allclose(lnp.gradient(np.array([1.0, 4.0])),
                               np.gradient(np.array([1.0, 4.0])))
    np.testing.assert_allclose(lnp.gradient(np.array([1, 4, 9, 16])),
                               np.gradient(np.array([1, 4, 9, 16])))
    with pytest.raises(ValueError, match="too short for edge_order 2"):
        lnp.gradient(np.ones(2), edge_order=2)
    with pytest.raises(ValueError, match="edge_order must be 1 or 2"):
        lnp.gradient(np.ones(4), edge_order=3)
    with pytest.raises(ValueError, match="do not match an axis of size 4"):
        lnp.gradient(np.ones(4), np.arange(3.0))
    with pytest.raises(TypeError, match="expected 0, 1 or 2 spacings"):
        lnp.gradient(np.ones((3, 3)), 1.0, 2.0, 3.0)


# ---------------------------------------------------------------- cross, kron, rollaxis

CROSS_CASES = [((3,), (3,), {}), ((4, 3), (3,), {}), ((3, 2), (2, 3), {"axisa": 0}),
               ((2,), (3,), {}), ((5, 3), (5, 2), {}), ((2, 3, 4), (4, 3), {"axisa": 1}),
               ((4, 3), (4, 3), {"axisc": 0})]


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors are deprecated")
@pytest.mark.parametrize("sa,sb,kw", CROSS_CASES)
def test_cross_matches_numpy_and_jax(sa, sb, kw):
    a, b = RNG.standard_normal(sa), RNG.standard_normal(sb)
    np.testing.assert_allclose(lnp.cross(a, b, **kw), np.cross(a, b, **kw), rtol=1e-13)
    check_grads(lambda a, b: lnp.cross(a, b, **kw), (a, b), order=2)
    check_staged(lambda a, b: lnp.cross(a, b, **kw), (a, b))
    jax = _jax()
    w = _weights(np.cross(a, b, **kw).shape)
    g = lt.grad(lambda a, b: (lnp.cross(a, b, **kw) ** 2 * w).sum(), (0, 1))(a, b)
    gj = jax.grad(lambda a, b: (jax.numpy.cross(a, b, **kw) ** 2 * w).sum(), (0, 1))(a, b)
    for x, y in zip(g, gj):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-13)


def test_cross_two_vectors_and_errors():
    a, b = RNG.standard_normal((4, 2)), RNG.standard_normal((4, 2))
    with pytest.warns(DeprecationWarning):
        ref = np.cross(a, b)
    np.testing.assert_allclose(lnp.cross(a, b), ref)
    with pytest.raises(ValueError, match="dimension must be 2 or 3"):
        lnp.cross(np.ones(4), np.ones(3))
    with pytest.raises(ValueError, match="at least 1-d"):
        lnp.cross(1.0, np.ones(3))


@pytest.mark.parametrize("sa,sb", [((2, 3), (4, 2)), ((3,), (2, 2)), ((2, 1, 2), (3,)), ((), (3,))])
def test_kron_matches_numpy_and_jax(sa, sb):
    a, b = RNG.standard_normal(sa), RNG.standard_normal(sb)
    np.testing.assert_allclose(lnp.kron(a, b), np.kron(a, b), rtol=1e-14)
    check_grads(lambda a, b: lnp.kron(a, b), (a, b), order=2)
    check_staged(lnp.kron, (a, b))
    jax = _jax()
    w = _weights(np.kron(a, b).shape)
    g = lt.grad(lambda a, b: (lnp.kron(a, b) ** 2 * w).sum(), (0, 1))(a, b)
    gj = jax.grad(lambda a, b: (jax.numpy.kron(a, b) ** 2 * w).sum(), (0, 1))(a, b)
    for x, y in zip(g, gj):
        np.testing.assert_allclose(x, y, rtol=1e-12)


@pytest.mark.parametrize("axis,start", [(0, 0), (2, 0), (0, 3), (-1, 1), (1, -1), (3, 4)])
def test_rollaxis_matches_numpy(axis, start):
    x = RNG.standard_normal((2, 3, 4, 5))
    np.testing.assert_array_equal(lnp.rollaxis(x, axis, start), np.rollaxis(x, axis, start))
    check_staged(lambda x: lnp.rollaxis(x, axis, start), (x,))
    with pytest.raises(ValueError, match="rollaxis: start 6"):
        lnp.rollaxis(x, 0, 6)


def test_select_matches_numpy_and_jax():
    x = RNG.standard_normal((3, 4))
    conds = lambda x: [x < -0.5, x > 0.5]  # noqa: E731
    choices = lambda x: [x ** 2, lnp.sin(x)]  # noqa: E731
    ref = np.select([x < -0.5, x > 0.5], [x ** 2, np.sin(x)], default=-1.0)
    np.testing.assert_allclose(lnp.select(conds(x), choices(x), -1.0), ref)
    f = lambda x: lnp.select(conds(x), choices(x), x * 3)  # noqa: E731
    check_grads(f, (x,), order=2)
    check_staged(f, (x,))
    jax = _jax()
    jnp = jax.numpy
    gj = jax.grad(lambda x: jnp.select([x < -0.5, x > 0.5], [x ** 2, jnp.sin(x)], x * 3).sum())
    np.testing.assert_allclose(lt.grad(lambda x: f(x).sum())(x), gj(x), rtol=1e-12)
    np.testing.assert_array_equal(lnp.select([np.array([True, False])], [1], 0), [1, 0])
    with pytest.raises(ValueError, match="same length"):
        lnp.select([x > 0], [x, x])
    with pytest.raises(TypeError, match="invalid entry 0 in condlist"):
        lnp.select([x], [x])


# ---------------------------------------------------------------- NaN-aware functions

def test_fmax_fmin_nan_semantics():
    a = np.array([1.0, np.nan, 2.0, np.nan, 3.0, -0.0])
    b = np.array([np.nan, 3.0, 5.0, np.nan, 3.0, 0.0])
    np.testing.assert_array_equal(lnp.fmax(a, b), np.fmax(a, b))
    np.testing.assert_array_equal(lnp.fmin(a, b), np.fmin(a, b))
    np.testing.assert_array_equal(lnp.fmax(np.array([1, 5]), 3), [3, 5])
    jax = _jax()
    for f, fj in ((lnp.fmax, jax.numpy.fmax), (lnp.fmin, jax.numpy.fmin)):
        g = lt.grad(lambda a, b, f=f: lnp.sum(f(a, b) * np.arange(6.0)), (0, 1))(a, b)
        gj = jax.grad(lambda a, b, fj=fj: (fj(a, b) * np.arange(6.0)).sum(), (0, 1))(a, b)
        for x, y in zip(g, gj):                        # ties (3, 3) included
            np.testing.assert_array_equal(x, y)
        x = _distinct(4)
        y = x[::-1] + 1 / 16                          # no ties: fmax is smooth there
        check_grads(lambda x, y, f=f: f(x, y) ** 2, (x, y), order=2)
        check_staged(f, (a, b))


@pytest.mark.filterwarnings("ignore:overflow encountered", "ignore:divide by zero")
def test_fabs_nan_to_num_logaddexp2():
    x = np.array([-2, 3])
    assert lnp.fabs(x).dtype == np.float64
    np.testing.assert_array_equal(lnp.fabs(x), np.fabs(x))
    v = np.array([np.nan, np.inf, -np.inf, 1.5, -2.0])
    np.testing.assert_array_equal(lnp.nan_to_num(v), np.nan_to_num(v))
    np.testing.assert_array_equal(lnp.nan_to_num(v, nan=1.0, posinf=2.0, neginf=-3.0),
                                  np.nan_to_num(v, nan=1.0, posinf=2.0, neginf=-3.0))
    v32 = v.astype(np.float32)
    np.testing.assert_array_equal(lnp.nan_to_num(v32), np.nan_to_num(v32))
    assert lnp.nan_to_num(v32).dtype == np.float32
    np.testing.assert_array_equal(lnp.nan_to_num(np.array([1, 2])), [1, 2])
    jax = _jax()
    g = lt.grad(lambda v: lnp.sum(lnp.nan_to_num(v) * np.arange(5.0)))(v)
    np.testing.assert_array_equal(g, jax.grad(
        lambda v: (jax.numpy.nan_to_num(v) * np.arange(5.0)).sum())(v))
    a, b = RNG.standard_normal(5) * 3, RNG.standard_normal(5) * 3
    np.testing.assert_allclose(lnp.logaddexp2(a, b), np.logaddexp2(a, b), rtol=1e-12, atol=1e-14)
    big = np.array([1e4, -np.inf, np.inf])
    np.testing.assert_array_equal(lnp.logaddexp2(big, np.array([1e4, -np.inf, 1.0])),
                                  np.logaddexp2(big, np.array([1e4, -np.inf, 1.0])))
    for f in (lnp.fabs, lambda x: lnp.nan_to_num(x * 2.0)):
        check_grads(f, (_distinct(5),), order=2)
    check_grads(lnp.logaddexp2, (a, b), order=2)
    gj = jax.grad(lambda a, b: (jax.numpy.logaddexp2(a, b) ** 2).sum(), (0, 1))(a, b)
    gl = lt.grad(lambda a, b: lnp.sum(lnp.logaddexp2(a, b) ** 2), (0, 1))(a, b)
    for x, y in zip(gl, gj):
        np.testing.assert_allclose(x, y, rtol=1e-12)


# ---------------------------------------------------------------- where(cond), nonzero, r_, c_

def test_where_one_argument_and_nonzero():
    x = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    for a, b in zip(lnp.where(x != 0), np.where(x != 0)):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(lnp.nonzero(x), np.nonzero(x)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(lnp.argwhere(x), np.argwhere(x))
    np.testing.assert_array_equal(lnp.flatnonzero(x), np.flatnonzero(x))
    # eager reverse mode knows the value: where(cond) works inside grad
    g = lt.grad(lambda v: lnp.sum(v[lnp.where(v > 0)] ** 2))(x)
    np.testing.assert_array_equal(g, np.where(x > 0, 2 * x, 0.0))


def test_nonzero_with_size_matches_jax_and_stages():
    jax = _jax()
    x = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    for size, fill in ((2, None), (5, None), (5, -1), (4, (7, 8))):
        ref = jax.numpy.nonzero(x, size=size, fill_value=fill)
        for f in (lambda v, s=size, fv=fill: lnp.nonzero(v, size=s, fill_value=fv),
                  lt.jit(lambda v, s=size, fv=fill: lnp.where(v, size=s, fill_value=fv))):
            for a, b in zip(f(x), ref):
                np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(lt.jit(lambda v: lnp.argwhere(v > 0, size=4))(x),
                                  jax.numpy.argwhere(x > 0, size=4))
    np.testing.assert_array_equal(lt.vmap(lambda v: lnp.flatnonzero(v, size=2))(x),
                                  [[1, 0], [0, 2]])


def test_where_one_argument_traced_is_a_clear_error():
    with pytest.raises(lt.ConcretizationError, match="`nonzero` has a data-dependent shape"):
        lt.jit(lambda v: lnp.where(v > 0))(np.ones(3))
    with pytest.raises(TypeError, match="give both x and y"):
        lnp.where(np.ones(2) > 0, y=1.0)
    with pytest.raises(ValueError, match="fill_value has 1 entries for 2 axes"):
        lnp.nonzero(np.ones((2, 2)), size=2, fill_value=(1,))


R_CASES = ["1:4, 0, arr", "arr, 2.5, arr", "0:1:5j, arr", "'0,2', [1, 2], [3, 4]",
           "'1,2,0', [1, 2], [3, 4]", "'-1', m, m", "'0,2,0', arr, arr", "m, m"]


@pytest.mark.parametrize("expr", R_CASES)
def test_r_matches_numpy(expr):
    env = {"arr": np.array([7.0, 8.0]), "m": np.arange(6.0).reshape(2, 3)}
    np.testing.assert_array_equal(eval(f"lnp.r_[{expr}]", {"lnp": lnp, **env}),
                                  eval(f"np.r_[{expr}]", {"np": np, **env}))


@pytest.mark.parametrize("expr", ["arr, arr", "m, m", "arr, 1:3", "'0', arr, arr", "arr, 3 * arr"])
def test_c_matches_numpy(expr):
    env = {"arr": np.array([7.0, 8.0]), "m": np.arange(6.0).reshape(2, 3)}
    np.testing.assert_array_equal(eval(f"lnp.c_[{expr}]", {"lnp": lnp, **env}),
                                  eval(f"np.c_[{expr}]", {"np": np, **env}))


def test_r_c_of_traced_values():
    x = RNG.standard_normal(3)
    check_grads(lambda x: lnp.r_[x, 0.5, x ** 2], (x,), order=2)
    check_grads(lambda x: lnp.c_[x, lnp.sin(x)], (x,), order=2)
    check_staged(lambda x: lnp.r_["0,2", x, x], (x,))
    with pytest.raises(NotImplementedError, match="matrix"):
        lnp.r_["r", x]
    with pytest.raises(ValueError, match="special directives must be the first"):
        lnp.r_[x, "0"]
    with pytest.raises(ValueError, match="unknown special directive"):
        lnp.r_["a,b", x]


def test_einsum_sublist_form():
    a, b, c = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    cases = [(a, [0, 1], b, [1, 2], [0, 2]), (a, [0, 1], b, [1, 2]), (a, [0, 1], [1]),
             (a, [Ellipsis, 1], b, [1, 2]), (a, [0, 1], b, [1, 2], c, [2], [0])]
    for args in cases:
        np.testing.assert_allclose(lnp.einsum(*args), np.einsum(*args), rtol=1e-12, atol=1e-13)
    check_grads(lambda a, b: lnp.einsum(a, [0, 1], b, [1, 2], [0, 2]), (a, b), order=2)
    with pytest.raises(TypeError, match="sublist entries must be integers"):
        lnp.einsum(a, ["i", "j"])
    with pytest.raises(ValueError, match=r"in \[0, 52\)"):
        lnp.einsum(a, [0, 60])


# ---------------------------------------------------------------- linspace, arange, isclose

@pytest.mark.parametrize("kw", [dict(), dict(endpoint=False), dict(num=1), dict(num=0),
                                dict(retstep=True), dict(axis=1)])
def test_linspace_traced_endpoints_match_numpy_and_jax(kw):
    start, stop = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    kw = {"num": 5, **kw}
    ref = np.linspace(start, stop, **kw)
    out = lt.jit(lambda a, b: lnp.linspace(a, b, **kw))(start, stop)
    for o, r in zip(out if kw.get("retstep") else (out,), ref if kw.get("retstep") else (ref,)):
        np.testing.assert_allclose(o, r, rtol=1e-14, atol=1e-15)
    if kw.get("retstep") or kw["num"] == 0:
        return
    check_grads(lambda a, b: lnp.linspace(a, b, **kw), (start, stop), order=2)
    jax = _jax()
    w = _weights(ref.shape)
    g = lt.grad(lambda a, b: lnp.sum(lnp.linspace(a, b, **kw) ** 2 * w), (0, 1))(start, stop)
    gj = jax.grad(lambda a, b: (jax.numpy.linspace(a, b, **kw) ** 2 * w).sum(), (0, 1))(
        start, stop)
    for x, y in zip(g, gj):
        np.testing.assert_allclose(x, y, rtol=1e-12)


def test_linspace_scalar_endpoint_and_dtype():
    np.testing.assert_allclose(lt.grad(lambda s: lnp.linspace(0.0, s, 4).sum())(2.0), 2.0)
    y = lt.jit(lambda s: lnp.linspace(0.0, s, 4, dtype=np.float32))(3.0)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(lt.jit(lambda s: lnp.linspace(0.0, s, 4, dtype=int))(3.5),
                                  np.linspace(0.0, 3.5, 4, dtype=int))
    with pytest.raises(ValueError, match="must be non-negative"):
        lnp.linspace(0.0, 1.0, -1)


def test_arange_differentiable_in_start_and_step_eagerly():
    np.testing.assert_array_equal(lnp.arange(1.0, 5.0, 0.5), np.arange(1.0, 5.0, 0.5))
    f = lambda a, h: lnp.sum(lnp.arange(a, 5.0, h) ** 2)  # noqa: E731
    g = lt.grad(f, (0, 1))(1.0, 0.5)
    n = len(np.arange(1.0, 5.0, 0.5))
    i = np.arange(n)
    ref = (2 * (1.0 + 0.5 * i)).sum(), (2 * (1.0 + 0.5 * i) * i).sum()
    np.testing.assert_allclose(g, ref)
    np.testing.assert_allclose(lt.grad(lambda s: lnp.sum(lnp.arange(s)))(3.5), 0.0)
    np.testing.assert_allclose(lt.jvp(lambda a: lnp.arange(a, 3.0), (0.5,), (1.0,))[1],
                               np.ones(3))
    with pytest.raises(lt.ConcretizationError, match="`arange`'s length depends on `start`"):
        lt.jit(lambda a: lnp.arange(a, 3.0))(0.5)
    with pytest.raises(ValueError, match="step must not be zero"):
        lt.grad(lambda h: lnp.sum(lnp.arange(0.0, 1.0, h)))(0.0)


@pytest.mark.filterwarnings("ignore:invalid value encountered in subtract")
def test_isclose_allclose_match_numpy():
    a = np.array([1.0, 1.0 + 1e-9, np.nan, np.inf, 2.0])
    b = np.array([1.0, 1.0, np.nan, np.inf, 2.1])
    for kw in (dict(), dict(equal_nan=True), dict(rtol=0.1)):
        np.testing.assert_array_equal(lnp.isclose(a, b, **kw), np.isclose(a, b, **kw))
        assert bool(lnp.allclose(a, b, **kw)) == np.allclose(a, b, **kw)
    np.testing.assert_array_equal(lt.jit(lambda a, b: lnp.isclose(a, b))(a, b),
                                  np.isclose(a, b))


# ---------------------------------------------------------------- dtypes and float16

def test_scalar_types_cast_and_act_as_dtypes():
    assert type(lnp.float32(1.5)) is np.float32 and lnp.float32(1.5) == 1.5
    assert lnp.int32(np.array([1.7, -2.2])).dtype == np.int32
    assert lnp.zeros(2, lnp.float32).dtype == np.float32
    assert np.ones(2, dtype=lnp.float16).dtype == np.float16
    assert np.asarray([1.0]).astype(lnp.float32).dtype == np.float32
    assert np.dtype("float32") == lnp.float32 and lnp.float32 == np.float32
    assert lnp.float64 != lnp.float32 and hash(lnp.float64) == hash(np.float64)
    assert isinstance(np.float32(1), lnp.float32) and not isinstance(1.0, lnp.float32)
    assert np.issubdtype(lnp.float32, np.floating) and lnp.issubdtype(np.int8, lnp.integer)
    assert lnp.bool_(np.array([0.0, 2.0])).tolist() == [False, True]
    assert lnp.result_type(lnp.float32, 1.0) == np.float32
    assert repr(lnp.float32) == "lintra.numpy.float32"
    # traced: a differentiable cast between float types, no tangent through integers
    g = lt.grad(lambda x: lnp.sum(lnp.float32(x) ** 2).astype(np.float64))(np.array([1.0, 2.0]))
    np.testing.assert_allclose(g, [2.0, 4.0])
    y = lt.jit(lambda x: lnp.float32(x) * 2)(np.ones(2))
    assert y.dtype == np.float32
    assert lt.jit(lambda x: lnp.int64(x))(np.array([2.7])).dtype == np.int64
    assert lt.jit(lambda x: lnp.float32([x, x]))(1.0).dtype == np.float32
    assert lt.grad(lambda x: lnp.float64(lnp.int32(x)) * x)(2.5) == 2.0
    check_grads(lambda x: lnp.float64(lnp.float32(x)) ** 2, (np.array([0.5, 1.5]),), order=2,
                rtol=1e-4, atol=1e-4, eps=1e-3)


def test_float16_grads_are_float16_like_jax():
    jax = _jax()
    x = np.array([0.5, 1.0, 2.0], np.float16)
    f = lambda x: lnp.sum(lnp.sin(x) * x)  # noqa: E731
    fj = lambda x: (jax.numpy.sin(x) * x).sum()  # noqa: E731
    for g in (lt.grad(f)(x), lt.jit(lt.grad(f))(x)):
        assert g.dtype == np.float16
        np.testing.assert_allclose(np.asarray(g, np.float64),
                                   np.asarray(jax.grad(fj)(x), np.float64), rtol=2e-3)
    s = lt.grad(lambda x: lnp.sin(x) * x)(np.float16(1.0))
    assert np.asarray(s).dtype == np.float16
    h = lt.hessian(f)(x)
    assert h.dtype == np.float16


# ---------------------------------------------------------------- ravel_pytree and conveniences

def test_ravel_pytree_matches_jax():
    _jax()
    from jax.flatten_util import ravel_pytree as jax_ravel
    tree = {"w": RNG.standard_normal((2, 3)), "b": (RNG.standard_normal(2), 0.5),
            "n": np.arange(3)}
    flat, unravel = ravel_pytree(tree)
    fj, _ = jax_ravel(tree)
    np.testing.assert_allclose(flat, fj)
    assert flat.dtype == fj.dtype == np.float64
    back = unravel(flat)
    assert back["n"].dtype == np.int64 and lt.tree_structure(back) == lt.tree_structure(tree)
    for a, b in zip(lt.tree_leaves(back), lt.tree_leaves(tree)):
        np.testing.assert_array_equal(a, b)
    # differentiable both ways, eager and staged
    loss = lambda v: lnp.sum(unravel(v)["w"] ** 2) + unravel(v)["b"][1] * 3  # noqa: E731
    g = lt.grad(loss)(flat)
    np.testing.assert_allclose(g, np.concatenate([[0, 0, 3.0], [0] * 3, 2 * tree["w"].ravel()]))
    np.testing.assert_allclose(lt.jit(lt.grad(loss))(flat), g)
    gt = lt.grad(lambda t: lnp.sum(ravel_pytree(t)[0] ** 2))({"a": np.ones(2), "b": 2.0})
    np.testing.assert_allclose(gt["a"], [2.0, 2.0]) and np.testing.assert_allclose(gt["b"], 4.0)
    empty, un = ravel_pytree({})
    assert empty.shape == (0,) and un(empty) == {}
    with pytest.raises(ValueError, match=r"expected an array of shape \(12,\)"):
        unravel(np.ones(3))
    with pytest.raises(TypeError, match="expected an array of dtype float64"):
        unravel(np.ones(12, np.float32))


def test_elementwise_grad_hvp_jacobian():
    x = RNG.standard_normal(4)
    np.testing.assert_allclose(lt.elementwise_grad(lnp.tanh)(x), 1 - np.tanh(x) ** 2)
    np.testing.assert_allclose(lt.elementwise_grad(lambda a, b: a * b, 1)(2.0, x),
                               np.full(4, 2.0))
    jax = _jax()
    jnp = jax.numpy
    f = lambda x: lnp.sum(lnp.sin(x) * x ** 2) + lnp.prod(x[:2])  # noqa: E731
    fj = lambda x: jnp.sum(jnp.sin(x) * x ** 2) + jnp.prod(x[:2])  # noqa: E731
    v = RNG.standard_normal(4)
    np.testing.assert_allclose(lt.hvp(f, (x,), (v,)), jax.hessian(fj)(x) @ v, rtol=1e-12)
    np.testing.assert_allclose(lt.jit(lambda x, v: lt.hvp(f, (x,), (v,)))(x, v),
                               jax.hessian(fj)(x) @ v, rtol=1e-12)
    g2 = lambda a, b: lnp.sum(a ** 2 * lnp.exp(b))  # noqa: E731
    a, b, ta, tb = (RNG.standard_normal(3) for _ in range(4))
    ha, hb = lt.hvp(g2, (a, b), (ta, tb))
    H = jax.hessian(lambda a, b: jnp.sum(a ** 2 * jnp.exp(b)), (0, 1))(a, b)
    np.testing.assert_allclose(ha, H[0][0] @ ta + H[0][1] @ tb, rtol=1e-12)
    np.testing.assert_allclose(hb, H[1][0] @ ta + H[1][1] @ tb, rtol=1e-12)
    assert lt.jacobian is lt.jacrev
    np.testing.assert_allclose(lt.jacobian(lnp.sin)(x), np.diag(np.cos(x)))
    with pytest.raises(ValueError, match="1 primals but 2 tangents"):
        lt.hvp(f, (x,), (v, v))
    with pytest.raises(lt.NonDifferentiableError, match="elementwise_grad"):
        lt.elementwise_grad(lnp.tanh)(np.arange(3))
