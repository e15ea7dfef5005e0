"""Grids, polynomials, floating-point pieces, selection and mapping helpers of lintra.numpy and
scipy.special's softmax/entropies/huber: values against NumPy/SciPy eagerly, under jit (the
default native backend) and on the interpreter; gradients against JAX or finite differences;
vmap against a Python loop."""

# ruff: noqa: B023  (the loops call their lambdas at once, with the current variables)
import numpy as np
import pytest
import scipy.special as sc

import lintra as lt
import lintra.numpy as lnp
import lintra.scipy.special as S
from lintra.test_util import check_grads

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

RNG = np.random.default_rng(0)
EDGE = np.array([-2.5, -1.5, -0.5, -0.0, 0.0, 0.5, 1.5, 2.5, 3.7, np.inf, -np.inf, np.nan])
SIGNS = np.array([1.0, -1.0, -0.0, 0.0, -2.0, 3.0, np.inf, -np.inf, -1.0, 1.0, -0.0, 2.0])


def _runs(f, *args):
    """f's results eagerly, jitted natively and jitted on the interpreter."""
    return [f(*args), lt.jit(f)(*args), lt.jit(f, backend="interpret")(*args)]


def _same(got, want, exact=True, rtol=1e-12):
    if isinstance(want, (tuple, list)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w, exact, rtol)
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    if exact:
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype, (got.dtype, want.dtype)
        assert np.array_equal(np.signbit(got[got == 0]), np.signbit(want[want == 0]))
    else:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-12)


def _check(f, want, *args, exact=True, rtol=1e-12):
    for r in _runs(f, *args):
        _same(r, want, exact, rtol)


# ---------------------------------------------------------------- grids


@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
def test_meshgrid(indexing, sparse):
    xs = [np.arange(3.0), np.linspace(0, 1, 4), np.array([5.0, 6.0])]
    for k in (1, 2, 3):
        want = np.meshgrid(*xs[:k], indexing=indexing, sparse=sparse)
        _check(lambda *a: lnp.meshgrid(*a, indexing=indexing, sparse=sparse), want, *xs[:k])


def test_grid_makers():
    np.testing.assert_array_equal(lnp.mgrid[0:3, 0:4], np.mgrid[0:3, 0:4])
    _same(lnp.ogrid[0:1:5j, 0:2], np.ogrid[0:1:5j, 0:2])
    _same(lnp.indices((2, 3)), np.indices((2, 3)))
    _same(lnp.indices((2, 3), sparse=True), np.indices((2, 3), sparse=True))
    _same(lnp.tri(3, 4, 1), np.tri(3, 4, 1))
    _same(lnp.tri(3, dtype=int), np.tri(3, dtype=int))
    assert lnp.empty((2, 3)).shape == (2, 3) and lnp.empty_like(np.ones((2, 1), int)).dtype \
        == np.int64
    a, b = np.array([0, 2]), np.array([1, 3, 4])
    _check(lambda a, b: lnp.ix_(a, b), np.ix_(a, b), a, b)
    m = np.arange(20.0).reshape(4, 5)
    _check(lambda m: m[lnp.ix_(a, b)], m[np.ix_(a, b)], m)


def test_logspace_geomspace():
    _check(lambda a, b: lnp.logspace(a, b, 7), np.logspace(1.0, 3.0, 7), 1.0, 3.0,
           exact=False)
    _check(lambda a: lnp.logspace(a, 2.0, 5, base=2.0, endpoint=False),
           np.logspace(0.5, 2.0, 5, base=2.0, endpoint=False), 0.5, exact=False)
    for lo, hi, n, ep in [(1.0, 1000.0, 4, True), (-1.0, -100.0, 5, True), (2.0, 8.0, 3, False)]:
        want = np.geomspace(lo, hi, n, ep)
        _check(lambda a, b: lnp.geomspace(a, b, n, ep), want, lo, hi, exact=False)
        assert lt.jit(lambda a, b: lnp.geomspace(a, b, n, ep))(lo, hi)[0] == lo
    g = lt.grad(lambda a: lnp.logspace(a, 2.0, 4).sum())(1.0)
    gj = jax.grad(lambda a: jnp.logspace(a, 2.0, 4).sum())(1.0)
    np.testing.assert_allclose(g, gj, rtol=1e-12)


def test_vander_diagflat_block():
    x = np.array([0.0, 1.5, -2.0, 3.0])
    for n, inc in [(None, False), (3, True), (5, False), (1, True)]:
        _check(lambda x: lnp.vander(x, n, inc), np.vander(x, n, inc), x)
    xn = x[1:]                       # JAX's vander (a power) has a nan derivative at 0
    gj = jax.jacfwd(lambda x: jnp.vander(x, 4))(xn)
    np.testing.assert_allclose(lt.jacobian(lambda x: lnp.vander(x, 4))(xn), gj, rtol=1e-12)
    d0 = lt.grad(lambda x: lnp.vander(x, 4, True).sum())(np.zeros(1))
    np.testing.assert_array_equal(d0, [1.0])           # d/dx (1 + x + x² + x³) at 0
    for v, k in [(np.arange(4.0).reshape(2, 2), 0), (np.arange(3.0), -1), (np.ones(2), 2)]:
        _check(lambda v: lnp.diagflat(v, k), np.diagflat(v, k), v)
    a, b = np.eye(2), np.arange(6.0).reshape(2, 3)
    c, d = np.ones((1, 2)), np.zeros((1, 3))
    _check(lambda a, b, c, d: lnp.block([[a, b], [c, d]]), np.block([[a, b], [c, d]]),
           a, b, c, d)
    _check(lambda a, b: lnp.block([a, b]), np.block([a, b]), a, b)
    _check(lambda x: lnp.block([[x], [x]]), np.block([[x], [x]]), x)
    _check(lambda x: lnp.block([[[x]]]), np.block([[[x]]]), x)
    with pytest.raises(ValueError):
        lt.jit(lambda a: lnp.block([[a], a]))(a)


# ---------------------------------------------------------------- polynomials


def test_polyval_polyder_polyint_poly():
    p = np.array([2.0, -3.0, 0.5, 1.0])
    x = np.linspace(-2, 2, 7).reshape(7, 1) + np.zeros(3)
    _check(lnp.polyval, np.polyval(p, x), p, x, exact=False)
    _check(lnp.polyval, np.polyval(p, 1.5), p, 1.5, exact=False)
    for m in (0, 1, 2, 5):
        _check(lambda q: lnp.polyder(q, m), np.polyder(p, m), p)
    for m, k in [(1, None), (2, [1.0, 2.0]), (3, 0.5)]:
        _check(lambda q: lnp.polyint(q, m, k), np.polyint(p, m, k), p, exact=False)
    r = np.array([1.0, -2.0, 3.0])
    _check(lnp.poly, np.poly(r), r, exact=False)
    _check(lambda q: lnp.polyint(q, 2, k=q[:2]), np.polyint(p, 2, k=p[:2]), p, exact=False)
    gj = jax.grad(lambda p, x: jnp.polyval(p, x).sum(), argnums=(0, 1))(p, x[:, 0])
    gl = lt.grad(lambda p, x: lnp.polyval(p, x).sum(), argnums=(0, 1))(p, x[:, 0])
    np.testing.assert_allclose(gl[0], gj[0], rtol=1e-12)
    np.testing.assert_allclose(gl[1], gj[1], rtol=1e-12)
    check_grads(lambda q: lnp.polyint(lnp.polyder(q), 1, 0.3), (p,), order=1)


def test_polyfit():
    x = np.linspace(0, 2, 12)
    y = np.stack([np.sin(x), np.cos(x)], 1)
    w = np.linspace(1.0, 2.0, 12)
    for deg in (0, 1, 3):
        _check(lambda a, b: lnp.polyfit(a, b, deg), np.polyfit(x, y[:, 0], deg), x, y[:, 0],
               exact=False, rtol=1e-9)
        _check(lambda a, b: lnp.polyfit(a, b, deg, w=w), np.polyfit(x, y, deg, w=w), x, y,
               exact=False, rtol=1e-9)
    gj = jax.grad(lambda y: jnp.polyfit(x, y, 2)[0])(y[:, 0])
    np.testing.assert_allclose(lt.grad(lambda y: lnp.polyfit(x, y, 2)[0])(y[:, 0]), gj,
                               rtol=1e-8, atol=1e-10)


def test_roots():
    p = np.array([1.0, -6.0, 11.0, -6.0])
    for q in (p, np.array([1.0, 0.0, 1.0]), np.array([2.0, 3.0])):
        want = np.sort_complex(np.roots(q))
        for r in _runs(lnp.roots, q):
            np.testing.assert_allclose(np.sort_complex(np.asarray(r)), want, atol=1e-10)
    np.testing.assert_array_equal(lnp.roots([0.0, 0.0, 1.0, -2.0]), np.roots([0, 0, 1, -2]))
    g = lt.grad(lambda c: lnp.real(lnp.roots(c)).sum())(np.array([1.0, -3.0, 2.0]))
    np.testing.assert_allclose(g, [-3.0, -1.0, 0.0], atol=1e-10)   # sum of roots = -b/a


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_convolve_correlate(mode):
    pairs = [(np.arange(5.0), np.array([1.0, 2.0, -1.0])), (np.arange(2.0), np.arange(1.0, 6)),
             (np.array([3.0]), np.array([2.0, 1.0])),
             (np.array([1 + 2j, 3 - 1j]), np.array([1j, 2, 3 + 1j, 4.0]))]
    for a, v in pairs:
        _check(lambda a, v: lnp.convolve(a, v, mode), np.convolve(a, v, mode), a, v,
               exact=False)
        _check(lambda a, v: lnp.correlate(a, v, mode), np.correlate(a, v, mode), a, v,
               exact=False)
    a, v = RNG.normal(size=6), RNG.normal(size=3)
    for fl, fj in [(lnp.convolve, jnp.convolve), (lnp.correlate, jnp.correlate)]:
        gl = lt.grad(lambda a, v: (fl(a, v, mode) ** 2).sum(), argnums=(0, 1))(a, v)
        gj = jax.grad(lambda a, v: (fj(a, v, mode) ** 2).sum(), argnums=(0, 1))(a, v)
        np.testing.assert_allclose(gl[0], gj[0], rtol=1e-12)
        np.testing.assert_allclose(gl[1], gj[1], rtol=1e-12)


# ---------------------------------------------------------------- floating-point pieces


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_float_pieces_edge_values(dtype):
    x, y = EDGE.astype(dtype), SIGNS.astype(dtype)
    _check(lnp.copysign, np.copysign(x, y), x, y)
    _check(lnp.signbit, np.signbit(x[~np.isnan(x)]), x[~np.isnan(x)])
    _check(lnp.rint, np.rint(x), x)
    _check(lnp.heaviside, np.heaviside(x, y), x, y)
    _check(lnp.modf, np.modf(x), x)
    _check(lnp.frexp, np.frexp(x), x)
    e = np.arange(12) - 5
    _check(lnp.ldexp, np.ldexp(x, e), x, e)
    with np.errstate(all="ignore"):
        _check(lnp.divmod, np.divmod(x[:9], y[4:6].repeat(5)[:9]), x[:9],
               y[4:6].repeat(5)[:9])
    tiny = np.array([1e-30, 3.0e30, 6.0, 0.75, 2.0 ** -100], dtype)
    _check(lnp.frexp, np.frexp(tiny), tiny)


def test_float_pieces_ints_and_grads():
    i = np.array([3, -4, 0, 7])
    _check(lnp.rint, np.rint(i), i)
    _check(lnp.copysign, np.copysign(i, -1.0), i, -1.0)
    x = np.array([-2.3, -0.4, 0.6, 1.7])
    for fl, fj in [(lambda a: lnp.copysign(a, -1.0), lambda a: jnp.copysign(a, -1.0)),
                   (lambda a: lnp.ldexp(a, 3), lambda a: jnp.ldexp(a, 3)),
                   (lambda a: lnp.modf(a)[0], lambda a: jnp.modf(a)[0]),
                   (lambda a: lnp.frexp(a)[0], lambda a: jnp.frexp(a)[0])]:
        np.testing.assert_allclose(lt.grad(lambda a: fl(a).sum())(x),
                                   jax.grad(lambda a: fj(a).sum())(x), rtol=1e-12)


def test_gcd_lcm():
    a = np.array([12, -18, 0, 7, 0, 2 ** 40, 35])
    b = np.array([8, 12, 5, 0, 0, 6 * 2 ** 20, -21])
    _check(lnp.gcd, np.gcd(a, b), a, b)
    _check(lnp.lcm, np.lcm(a, b), a, b)
    _check(lnp.gcd, np.gcd(a[:, None], b), a[:, None], b)
    vm = lt.vmap(lnp.gcd)(a, b)
    np.testing.assert_array_equal(vm, [np.gcd(u, v) for u, v in zip(a, b)])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_unwrap(axis):
    p = np.cumsum(RNG.normal(size=(3, 20)) * 2.5, axis=1)
    _check(lambda q: lnp.unwrap(q, axis=axis), np.unwrap(p, axis=axis), p, exact=False)
    _check(lambda q: lnp.unwrap(q, discont=4.0, axis=axis, period=5.0),
           np.unwrap(p, discont=4.0, axis=axis, period=5.0), p, exact=False)
    g = lt.grad(lambda q: (lnp.unwrap(q, axis=axis) ** 2).sum())(p)
    np.testing.assert_allclose(g, jax.grad(lambda q: (jnp.unwrap(q, axis=axis) ** 2).sum())(p),
                               rtol=1e-12)


# ---------------------------------------------------------------- selection


def test_piecewise():
    x = np.linspace(-2, 2, 9)

    def f(x):
        return lnp.piecewise(x, [x < 0, x > 1], [lambda t: -t, lambda t: t ** 2, 7.0])
    want = np.piecewise(x, [x < 0, x > 1], [lambda t: -t, lambda t: t ** 2, 7.0])
    _check(f, want, x, exact=False)
    _check(lambda x: lnp.piecewise(x, [x < 0], [lambda t: -t]),
           np.piecewise(x, [x < 0], [lambda t: -t]), x, exact=False)
    xi = np.arange(-3, 4)
    _check(lambda x: lnp.piecewise(x, [x < 0, x >= 2], [0, lambda t: t * 10, 1]),
           np.piecewise(xi, [xi < 0, xi >= 2], [0, lambda t: t * 10, 1]), xi)
    gj = jax.grad(lambda x: jnp.piecewise(x, [x < 0, x > 1], [lambda t: -t,
                                                              lambda t: t ** 2, 7.0]).sum())
    np.testing.assert_allclose(lt.grad(lambda x: f(x).sum())(x), gj(x), rtol=1e-12)


def test_choose_compress_extract():
    a = np.array([[0, 1, 2], [2, 1, 0]])
    ch = [np.arange(3.0), np.ones((2, 3)), 5.0]
    _check(lambda a: lnp.choose(a, ch), np.choose(a, ch), a)
    _check(lambda a: lnp.choose(a, ch, mode="wrap"), np.choose(a + 4, ch, mode="wrap"), a + 4)
    _check(lambda a: lnp.choose(a, ch, mode="clip"), np.choose(a - 1, ch, mode="clip"), a - 1)
    with pytest.raises(ValueError):
        lnp.choose(a + 1, ch)
    m = np.arange(12.0).reshape(3, 4)
    for cond, axis in [([True, False, True], 0), ([False, True], 1), ([1, 0, 1, 1, 0], None)]:
        _check(lambda m: lnp.compress(cond, m, axis=axis), np.compress(cond, m, axis=axis), m)
    cond = np.arange(12).reshape(3, 4) % 3 == 0
    _check(lambda m: lnp.extract(cond, m), np.extract(cond, m), m)
    g = lt.grad(lambda m: (lnp.compress([True, False, True], m, axis=0) ** 2).sum())(m)
    np.testing.assert_allclose(g, 2 * m * np.array([[1.0], [0.0], [1.0]]))
    gc = lt.grad(lambda c: lnp.choose(a, [c, 2 * c, 3 * c]).sum())(np.ones(3))
    np.testing.assert_allclose(gc, np.choose(a, [1, 2, 3]).sum(0))


@pytest.mark.parametrize("axis", [0, 1, None])
def test_put_along_axis(axis):
    m = np.arange(12.0).reshape(3, 4)
    ind = np.array([[1], [0], [3]]) if axis == 1 else np.array([[2, 0, 1, 2]])
    if axis is None:
        ind = np.array([5, 0, 11])
    vals = -np.arange(1.0, ind.size + 1).reshape(ind.shape)
    want = m.copy()
    np.put_along_axis(want, ind, vals, axis)
    _check(lambda m, v: lnp.put_along_axis(m, ind, v, axis), want, m, vals)
    with pytest.raises(ValueError):
        lnp.put_along_axis(m, ind, vals, axis, inplace=True)
    g = lt.grad(lambda m, v: (lnp.put_along_axis(m, ind, v, axis) ** 2).sum(),
                argnums=(0, 1))(m, vals)
    gj = jax.grad(lambda m, v: (jnp.put_along_axis(m, ind, v, axis, inplace=False) ** 2).sum(),
                  argnums=(0, 1))(m, vals)
    np.testing.assert_allclose(g[0], gj[0])
    np.testing.assert_allclose(g[1], gj[1])


# ---------------------------------------------------------------- mapping


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_apply_along_axis(axis):
    m = RNG.normal(size=(2, 3, 4))
    _check(lambda m: lnp.apply_along_axis(lambda v: lnp.stack([v.sum(), v.max()]), axis, m),
           np.apply_along_axis(lambda v: np.array([v.sum(), v.max()]), axis, m), m,
           exact=False)
    _check(lambda m: lnp.apply_along_axis(lambda v, s: (v * s).sum(), axis, m, 2.0),
           np.apply_along_axis(lambda v, s: (v * s).sum(), axis, m, 2.0), m, exact=False)
    _check(lambda m: lnp.apply_along_axis(lnp.outer, axis, m, np.ones(2)),
           np.apply_along_axis(np.outer, axis, m, np.ones(2)), m, exact=False)
    gl = lt.grad(lambda m: lnp.apply_along_axis(lambda v: lnp.sin(v).prod(), axis, m).sum())(m)
    gj = jax.grad(lambda m: jnp.apply_along_axis(lambda v: jnp.sin(v).prod(), axis, m).sum())(m)
    np.testing.assert_allclose(gl, gj, rtol=1e-12)


def test_vectorize():
    m = RNG.normal(size=(3, 4))
    v = np.arange(4.0)
    vf = lnp.vectorize(lambda a, b: lnp.where(a > b, a - b, a + b))
    _check(vf, np.vectorize(lambda a, b: a - b if a > b else a + b)(m, v), m, v, exact=False)
    m3 = RNG.normal(size=(2, 3, 4))
    vs = lnp.vectorize(lambda a, b: lnp.dot(a, b), signature="(n),(n)->()")
    _check(vs, np.einsum("ijk,k->ij", m3, v), m3, v, exact=False)
    two = lnp.vectorize(lambda a: (a.sum(), a * 2), signature="(n)->(),(n)")
    _check(two, (m3.sum(-1), m3 * 2), m3, exact=False)
    vk = lnp.vectorize(lambda a, s=1.0, mode="x": a * s if mode == "x" else a,
                       excluded={"mode"})
    np.testing.assert_allclose(vk(v, s=np.array([[1.0], [2.0]]), mode="x"), v * [[1.0], [2.0]])
    vp = lnp.vectorize(lambda a, n: a ** n, excluded={1})
    np.testing.assert_allclose(vp(v, 3), v ** 3)
    g = lt.grad(lambda x: vs(x, v).sum())(m3)
    np.testing.assert_allclose(g, np.broadcast_to(v, m3.shape))
    loop = np.stack([vs(row, v) for row in m3])
    np.testing.assert_allclose(lt.vmap(lambda r: vs(r, v))(m3), loop)


# ---------------------------------------------------------------- scipy.special


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1), -1])
def test_softmax_log_softmax(axis):
    x = RNG.normal(size=(3, 4)) * 5
    x[0, 0] = 800.0                           # overflows exp without the max shift
    _check(lambda x: S.softmax(x, axis=axis), sc.softmax(x, axis=axis), x, exact=False)
    _check(lambda x: S.log_softmax(x, axis=axis), sc.log_softmax(x, axis=axis), x,
           exact=False)
    w = RNG.normal(size=(3, 4))
    for fl, fj in [(S.softmax, jax.nn.softmax), (S.log_softmax, jax.nn.log_softmax)]:
        ax = axis if axis is not None else (0, 1)
        gl = lt.grad(lambda x: (fl(x, axis=axis) * w).sum())(x / 5)
        gj = jax.grad(lambda x: (fj(x, axis=ax) * w).sum())(x / 5)
        np.testing.assert_allclose(gl, gj, rtol=1e-10, atol=1e-12)
    assert S.softmax(np.ones(3, np.float32)).dtype == np.float32


def test_entropies_and_huber():
    x = np.array([0.0, 0.0, 1.0, 2.0, -1.0, 0.5, np.nan, np.inf, 0.0])
    y = np.array([0.0, 1.0, 0.0, 3.0, 1.0, -1.0, 1.0, 2.0, -1.0])
    _check(S.rel_entr, sc.rel_entr(x, y), x, y, exact=False)
    _check(S.kl_div, sc.kl_div(x, y), x, y, exact=False)
    d = np.array([1.0, 1.0, -1.0, 0.0, 2.0, 2.0])
    r = np.array([0.5, 3.0, 1.0, 0.0, -5.0, -1.0])
    _check(S.huber, sc.huber(d, r), d, r, exact=False)
    xp, yp = np.array([0.3, 1.2, 2.0]), np.array([0.7, 0.4, 2.0])
    jsp = jax.scipy.special
    for fl, fj in [(S.rel_entr, jsp.rel_entr), (S.kl_div, jsp.kl_div)]:
        gl = lt.grad(lambda a, b: fl(a, b).sum(), argnums=(0, 1))(xp, yp)
        gj = jax.grad(lambda a, b: fj(a, b).sum(), argnums=(0, 1))(xp, yp)
        np.testing.assert_allclose(gl[0], gj[0], rtol=1e-12)
        np.testing.assert_allclose(gl[1], gj[1], rtol=1e-12)
    g = lt.grad(lambda a: S.rel_entr(a, 2.0).sum())(np.array([0.0, 1.0]))
    assert np.all(np.isfinite(g[1:]))
    check_grads(lambda r: S.huber(1.0, r), (np.array([0.3, -2.0, 1.5]),), order=2)
    np.testing.assert_allclose(lt.vmap(lambda a: S.kl_div(a, 2.0))(xp),
                               [sc.kl_div(a, 2.0) for a in xp])


def test_float32_stays_float32_with_python_numbers():
    x = np.array([1.0, 0.0, -3.0, 2.5], np.float32)
    pairs = [(lambda x: lnp.copysign(x, -1.0), lambda x: np.copysign(x, -1.0)),
             (lambda x: lnp.heaviside(x, 0.5), lambda x: np.heaviside(x, 0.5)),
             (lambda x: lnp.ldexp(x, 2), lambda x: np.ldexp(x, 2)),
             (lambda x: lnp.modf(x), np.modf), (lnp.frexp, np.frexp),
             (lambda x: S.huber(1.0, x), lambda x: sc.huber(1.0, x)),
             (lambda x: S.rel_entr(x, 2.0), lambda x: sc.rel_entr(x, 2.0)),
             (lambda x: S.kl_div(x, 2.0), lambda x: sc.kl_div(x, 2.0))]
    for fl, fn in pairs:
        _check(fl, fn(x), x, exact=False, rtol=1e-5)   # kl_div cancels: 1 ulp of 20
        for r in _runs(fl, x):
            for a, b in zip(r if isinstance(r, tuple) else [r],
                            fn(x) if isinstance(fn(x), tuple) else [fn(x)]):
                assert np.asarray(a).dtype == b.dtype


def test_vmap_matches_a_loop():
    m = RNG.normal(size=(4, 6))
    t = np.arange(6.0)
    cases = [(lambda r: lnp.convolve(r, np.array([1.0, 2.0, 3.0]), "same"),
              lambda r: np.convolve(r, [1.0, 2.0, 3.0], "same")),
             (lambda r: lnp.correlate(r, r[:3], "full"), lambda r: np.correlate(r, r[:3], "full")),
             (lambda r: lnp.polyval(r, 2.0), lambda r: np.polyval(r, 2.0)),
             (lambda r: lnp.polyfit(t, r, 2), lambda r: np.polyfit(t, r, 2)),
             (lambda r: lnp.unwrap(3 * r), lambda r: np.unwrap(3 * r)),
             (lambda r: lnp.meshgrid(r, r[:2])[0], lambda r: np.meshgrid(r, r[:2])[0]),
             (lambda r: lnp.vander(r, 3), lambda r: np.vander(r, 3)),
             (lambda r: lnp.block([[r], [r]]), lambda r: np.block([[r], [r]])),
             (lambda r: lnp.copysign(1.0, r), lambda r: np.copysign(1.0, r)),
             (lambda r: lnp.piecewise(r, [r < 0], [lambda u: u * u, lambda u: -u]),
              lambda r: np.piecewise(r, [r < 0], [lambda u: u * u, lambda u: -u])),
             (lambda r: S.softmax(r), sc.softmax)]
    for fl, fn in cases:
        np.testing.assert_allclose(lt.vmap(fl)(m), np.stack([fn(r) for r in m]),
                                   rtol=1e-10, atol=1e-12)
