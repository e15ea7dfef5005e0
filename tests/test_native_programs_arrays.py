"""Array programs written the way NumPy/JAX users write them (``lintra.numpy``,
``lintra.scipy``), compiled natively and compared with the interpreter and NumPy: indexing
and ``.at`` updates with repeated indices, reductions along axes, matrix products around the
BLAS threshold, linear algebra (native loops and host callbacks), loops updating arrays in
place, ``@fn`` functions with large results called twice, threads, views as inputs. Plus the
regressions found that way (signed zeros and remainders that differed from NumPy)."""

import gc
import threading
import warnings

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
import lintra.scipy as lsp
from lintra.backends import native as nat
from lintra.ops.native_dot import GEMM_FLOPS
from native_util import native

pytestmark = pytest.mark.skipif(not nat.available, reason="llvmlite is not installed")

RNG = np.random.default_rng(2026)
L = lnp.linalg


def interpret(f, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return lt.jit(f, backend="interpret")(*args)


def close(got, want, rtol=1e-9, atol=1e-12):
    got_l = list(got) if isinstance(got, (tuple, list)) else [got]
    want_l = list(want) if isinstance(want, (tuple, list)) else [want]
    assert len(got_l) == len(want_l)
    for g, w in zip(got_l, want_l):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, (g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True)


def identical(got, want):
    """Equal bit for bit where it matters: values, nan positions and the signs of zeros."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_array_equal(got, want)
    if got.dtype.kind == "f":       # (a nan's sign means nothing)
        keep = ~np.isnan(want)
        np.testing.assert_array_equal(np.signbit(got[keep]), np.signbit(want[keep]))


def against_both(f, *args, ref=None, rtol=1e-9, atol=1e-12):
    got = native(f, *args)
    close(got, interpret(f, *args), rtol, atol)
    if ref is not None:
        with np.errstate(all="ignore"):
            close(got, ref(*args), rtol, atol)
    return got


# ---- regressions: signed zeros and remainders (NumPy's, on both backends)

def test_float_remainder_zero_has_the_divisor_sign():
    """Native ``%`` gave -6.0 % 3.0 == -0.0 (the dividend's sign, from ``frem``); NumPy's
    remainder gives a zero result the divisor's sign, as the interpreter does."""
    a = np.array([-6.0, 6.0, -6.0, 6.0, -0.0, 0.0, 5.0, -5.0, -1e-20, 4.0])
    b = np.array([3.0, 3.0, -3.0, -3.0, 2.0, -2.0, -3.0, 3.0, 3.0, np.inf])
    for dt in (np.float64, np.float32):
        x, y = a.astype(dt), b.astype(dt)
        identical(native(lambda p, q: p % q, x, y), x % y)
        identical(native(lnp.remainder, x, y), interpret(lnp.remainder, x, y))


def test_sign_of_negative_zero_is_positive_zero():
    """Native ``sign(-0.0)`` was -0.0 (JAX's); NumPy's, and the interpreter's, is 0.0."""
    x = np.array([-0.0, 0.0, np.nan, -2.0, 3.0])
    for dt in (np.float64, np.float32):
        identical(native(lnp.sign, x.astype(dt)), np.sign(x.astype(dt)))


def test_fmod_is_exact_and_keeps_the_dividend_sign():
    """``fmod`` was x - y * trunc(x / y): fmod(1e17, 3) gave 0, fmod(7, inf) nan,
    fmod(-6, 3) +0.0."""
    a = np.array([1e17, -1e17, 5.5, -5.5, -6.0, 6.0, -0.0, 0.0, -1e-20, 1e300, 7.0, np.inf, 3.0])
    b = np.array([3.0, 3.0, -2.0, 2.0, 3.0, -3.0, 2.0, -2.0, 3.0, 1e-300, np.inf, 2.0, 0.0])
    with np.errstate(all="ignore"):
        want = np.fmod(a, b)
    identical(native(lnp.fmod, a, b), want)
    identical(interpret(lnp.fmod, a, b), want)
    x, y = np.array([5.5, -5.5, 7.0, -7.5]), np.array([2.0, 2.0, -3.0, -2.0])
    dx, dy = native(lt.grad(lambda p, q: lnp.fmod(p, q).sum(), argnums=(0, 1)), x, y)
    close(dx, np.ones(4))
    close(dy, -np.trunc(x / y))


def test_float_floor_divide_like_numpy():
    """Float ``//`` was floor(x / y): 1 // 0.1 gave 10.0 (NumPy: 9.0, as x - fmod(x, y)
    is 9 * 0.1 and a bit), inf // 2 inf (NumPy: nan)."""
    a = np.concatenate([[1.0, -1.0, 0.0, -0.0, np.inf, 1e-20, -1e-20, 7.0, 0.3, 1.0, 0.0],
                        RNG.standard_normal(30) * 10])
    b = np.concatenate([[0.1, 0.1, 2.0, 2.0, 2.0, 3.0, 3.0, -np.inf, -0.1, 0.0, 0.0],
                        RNG.standard_normal(30)])
    for dt in (np.float64, np.float32):
        x, y = a.astype(dt), b.astype(dt)
        with np.errstate(all="ignore"):
            want = x // y
        identical(native(lambda p, q: p // q, x, y), want)
        identical(interpret(lambda p, q: p // q, x, y), want)
    close(native(lt.grad(lambda p: (p // 0.3).sum() + p.sum()), a[:5]), np.ones(5))


def test_hypot_and_cbrt_at_the_extremes():
    """``hypot`` was sqrt(x**2 + y**2): inf for 1e200, 0 for 1e-200, nan for (inf, nan);
    ``cbrt(-0.0)`` was 0.0, cbrt(1e308) 1e-14 off."""
    x = np.array([1e200, 1e-200, 3.0, 0.0, -0.0, np.inf, np.nan, np.inf, -5.0, 1e308])
    y = np.array([1e200, 1e-200, -4.0, 0.0, 0.0, np.nan, 1.0, -np.inf, 0.0, 1e308])
    for run in (native, interpret):
        close(run(lnp.hypot, x, y), np.hypot(x, y), rtol=1e-15, atol=0)
        got = run(lnp.cbrt, x)
        close(got, np.cbrt(x), rtol=5e-16, atol=0)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(np.cbrt(x)))
    u8 = np.array([200, 3], np.uint8)
    close(native(lnp.hypot, u8, u8), np.hypot(200.0, 200.0) * np.array([1.0, 0.015]))
    dx, dy = native(lt.grad(lambda a, b: lnp.hypot(a, b).sum(), argnums=(0, 1)),
                    np.array([3.0, 1.0, -2.0]), np.array([4.0, 1.0, 0.0]))
    close(dx, np.array([0.6, 2 ** -0.5, -1.0]))
    close(dy, np.array([0.8, 2 ** -0.5, 0.0]))


def _native_o2(f, *args):
    """``f`` natively after the tier-up to O2 (vectorized loops, libmvec's vector math: its
    pow was an ulp off at 10**-4, and log10(1e-4) gave -3.999999999999999)."""
    fn = lt.jit(f, backend="native")
    for _ in range(4):
        native(f, *args)
        with np.errstate(all="ignore"):
            fn(*args)
    nat.wait_for_tier_up()
    with np.errstate(all="ignore"):
        return fn(*args)


def test_exp2_log2_log10_exact_at_powers():
    """exp(x log 2) and log(x) / log(10) missed the exact results NumPy (C's libm) gives:
    exp2(3) was 7.999999999999998, floor(log10(1000)) 2. After the tier-up to O2 the
    exactness test of log10 compared with a vectorized pow(10, k), an ulp off at k = -4: the
    full suite (where the program was hot) gave log10(1e-4) = -3.999999999999999."""
    e2 = np.arange(-1074.0, 1024.0)     # subnormal powers of two included
    p10 = np.array([float(f"1e{k}") for k in range(-307, 309)])   # as written: 1e23
    z = np.array([0.0, -0.0, -1.0, np.inf, np.nan, 1000.0])
    for run in (native, _native_o2, interpret):
        identical(run(lnp.exp2, e2), np.exp2(e2))
        identical(run(lnp.log2, np.exp2(e2)), e2)
        identical(run(lnp.log10, p10), np.log10(p10))
        identical(run(lambda a: lnp.floor(lnp.log10(a)), np.array([1000.0])), np.array([3.0]))
        identical(run(lnp.log10, z), np.log10(z))
        identical(run(lnp.log2, z.astype(np.float32)), np.log2(z.astype(np.float32)))
    x = np.array([8.0, 3.0, 100.0])
    close(native(lt.grad(lambda a: (lnp.log10(a) + lnp.log2(a) + lnp.exp2(a)).sum()), x),
          1 / (x * np.log(10)) + 1 / (x * np.log(2)) + np.log(2) * 2 ** x)


def test_std_and_norm_of_data_with_nan_are_nan():
    """``std`` and ``norm`` (``sqrt`` with a zero derivative at 0) turned a nan variance
    into 0.0 on every backend; NumPy's is nan."""
    z = np.array([[0.0, 0.0], [1.0, np.nan], [np.inf, 1.0]])
    f = lambda a: (lnp.std(a, axis=1), L.norm(a, axis=1), lnp.std(a), L.norm(a))  # noqa: E731
    with np.errstate(all="ignore"):
        want = (np.std(z, axis=1), np.linalg.norm(z, axis=1), np.std(z), np.linalg.norm(z))
    for got in (native(f, z), interpret(f, z)):
        for g, w in zip(got, want):
            identical(np.asarray(g, dtype=np.float64), np.asarray(w))
    close(native(lt.grad(lambda a: lnp.std(a[0]) + L.norm(a[0])), z), np.zeros((3, 2)))


def test_float32_sums_as_accurate_as_numpy():
    """Full float32 sums and dot products accumulated in a few float32 partial sums: a
    2*10^6-term sum was off by 3e-5, its variance by 1e-3 (NumPy's pairwise sum: 1e-7).
    They accumulate in float64 now; the result stays float32."""
    a = (RNG.random(2_000_000) + 0.1).astype(np.float32)
    w = a.astype(np.float64)
    got = native(lambda x: (lnp.sum(x), lnp.var(x), x @ x, lnp.sum(x.reshape(1000, 2000), 1)), a)
    want = (w.sum(), w.var(), w @ w, w.reshape(1000, 2000).sum(1))
    for g, v in zip(got, want):
        assert np.asarray(g).dtype == np.float32
        close(g, v, rtol=3e-7, atol=0)


# ---- realistic programs, native against the interpreter and NumPy

X = RNG.standard_normal((6, 5))
V = RNG.standard_normal(10)
IDX = np.array([0, 3, 3, -1, 2, 3])


def _np_at(op, a, idx, val):
    b = a.copy()
    op.at(b, idx, val)
    return b


def test_indexing_and_repeated_index_updates():
    u = RNG.standard_normal(6)
    against_both(lambda a: (a[::2, 1::2], a[4:0:-2, -1], a[IDX], a[:, np.array([4, 0, 0])],
                            lnp.take(a, IDX, axis=1)),
                 X, ref=lambda a: (a[::2, 1::2], a[4:0:-2, -1], a[IDX], a[:, [4, 0, 0]],
                                   np.take(a, IDX, axis=1)))
    against_both(lambda a, w: (a.at[IDX].add(w), a.at[IDX].mul(2.0), a.at[IDX].min(w),
                               a.at[IDX].max(w)), V, u,
                 ref=lambda a, w: (_np_at(np.add, a, IDX, w), _np_at(np.multiply, a, IDX, 2.0),
                                   _np_at(np.minimum, a, IDX, w), _np_at(np.maximum, a, IDX, w)))
    ii = RNG.integers(0, 5, (6, 3))
    against_both(lambda a: lnp.take_along_axis(a, ii, axis=1), X,
                 ref=lambda a: np.take_along_axis(a, ii, axis=1))
    # an update reading the array it overwrites (shifted, reversed)
    against_both(lambda a: (a.at[1:].set(a[:-1]), a.at[:].set(a[::-1]), a.at[1:].add(a[:-1])),
                 V, ref=lambda a: (np.concatenate([a[:1], a[:-1]]), a[::-1],
                                   a + np.concatenate([[0.0], a[:-1]])))
    against_both(lambda a, i, w: a.at[i].add(w), V, np.array([1, 1, 1, 9]), np.ones(4),
                 ref=lambda a, i, w: _np_at(np.add, a, i, w))


def test_gradients_through_indexing():
    against_both(lambda a: lt.grad(lambda b: (b.at[IDX].add(b[IDX] * 2) ** 2).sum())(a), V)
    ii = RNG.integers(0, 5, (6, 3))
    against_both(lambda a: lt.grad(lambda b: (lnp.take_along_axis(b, ii, axis=1) ** 2).sum())(a),
                 X)
    against_both(lambda a, i: lt.vmap(lambda r, j: r[j])(a, i), X, np.array([0, 4, -1, 2, 3, 1]),
                 ref=lambda a, i: a[np.arange(6), i])


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "argmax", "mean", "var", "std"])
def test_reductions_along_axes(name):
    x = RNG.standard_normal((4, 5, 3))
    x[0, 1, 2] = np.nan
    for axis in (None, 0, -1, (0, 2)):
        if name == "argmax" and isinstance(axis, tuple):
            continue
        for keepdims in (False, True):
            kw = {"axis": axis, "keepdims": keepdims}
            against_both(lambda a, kw=kw: getattr(lnp, name)(a, **kw), x,
                         ref=lambda a, kw=kw: getattr(np, name)(a, **kw))


def test_integer_and_bool_reductions_and_promotion():
    i32 = RNG.integers(-5, 5, (4, 5)).astype(np.int32)
    u8 = RNG.integers(0, 255, (4, 5)).astype(np.uint8)
    b = RNG.random((4, 5)) > 0.5
    for a in (i32, u8, b):
        f = lambda p: (lnp.sum(p, axis=0), lnp.cumsum(p, axis=1), lnp.max(p), lnp.mean(p, 0))  # noqa: E731
        got = against_both(f, a, ref=lambda p: (np.sum(p, 0), np.cumsum(p, 1), np.max(p),
                                                np.mean(p, 0)))
        assert [np.asarray(g).dtype for g in got] == [np.sum(a, 0).dtype, np.cumsum(a, 1).dtype,
                                                      a.dtype, np.float64]
    against_both(lambda p, q, c: (p + q, p * c, lnp.where(c, p, q), q - 7), i32,
                 u8.astype(np.float32), b, ref=lambda p, q, c: (p + q, p * c, np.where(c, p, q),
                                                                q - 7), rtol=1e-6)


def test_softmax_and_logsumexp_with_infinities():
    x = RNG.standard_normal((4, 5))
    x[0, :] = -np.inf
    x[1, 0] = np.inf
    x[2, :] = np.inf
    sp = pytest.importorskip("scipy.special")
    against_both(lambda a: (lnp.softmax(a, axis=-1), lnp.log_softmax(a, axis=0),
                            lsp.special.logsumexp(a, axis=1)), x,
                 ref=lambda a: (sp.softmax(a, axis=-1), sp.log_softmax(a, axis=0),
                                sp.logsumexp(a, axis=1)))
    against_both(lambda a: lt.grad(lambda b: lsp.special.logsumexp(b, axis=-1).sum())(a), x[:2])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matmul_shapes_around_the_blas_threshold(dtype):
    tol = 1e-9 if dtype == np.float64 else 3e-4
    edge = round(GEMM_FLOPS ** (1 / 3))
    for m, k, n in [(1, 5, 1), (3, 4, 5), (edge, edge, edge), (edge - 1, edge + 1, edge),
                    (1, 200, 300), (300, 200, 1), (40, 1, 40)]:
        a = RNG.standard_normal((m, k)).astype(dtype)
        b = RNG.standard_normal((k, n)).astype(dtype)
        against_both(lambda p, q: (p @ q, (q.T @ p.T).T, p[:, ::-1] @ q[::-1, :]), a, b,
                     ref=lambda p, q: (p @ q, p @ q, p[:, ::-1] @ q[::-1, :]), rtol=tol, atol=tol)
    A = RNG.standard_normal((4, 20, 30)).astype(dtype)
    B = RNG.standard_normal((4, 30, 70)).astype(dtype)
    against_both(lambda p, q: (p @ q, lnp.einsum("bij,bjk->ikb", p, q), p @ q[0],
                               lnp.swapaxes(q, 1, 2) @ lnp.swapaxes(p, 1, 2),
                               lnp.tensordot(p, q, axes=([0, 2], [0, 1]))), A, B,
                 ref=lambda p, q: (p @ q, np.einsum("bij,bjk->ikb", p, q), p @ q[0],
                                   np.swapaxes(q, 1, 2) @ np.swapaxes(p, 1, 2),
                                   np.tensordot(p, q, axes=([0, 2], [0, 1]))), rtol=tol, atol=tol)


@pytest.mark.parametrize("n", [3, 16, 24])
def test_linear_algebra_small_native_and_large_callback(n):
    a = RNG.standard_normal((n, n)) + n * np.eye(n)
    spd = a @ a.T + np.eye(n)
    b = RNG.standard_normal((n, 2))
    against_both(lambda p, q: (L.solve(p, q), L.inv(p), L.det(p), L.slogdet(-p)[1],
                               L.cholesky(q @ q.T + lnp.eye(n))), a, spd[:, :n],
                 ref=lambda p, q: (np.linalg.solve(p, q), np.linalg.inv(p), np.linalg.det(p),
                                   np.linalg.slogdet(-p)[1],
                                   np.linalg.cholesky(q @ q.T + np.eye(n))), rtol=1e-7, atol=1e-9)
    against_both(lambda p: (L.eigh(p)[0], L.svd(p, compute_uv=False), L.norm(p, 2)), spd,
                 ref=lambda p: (np.linalg.eigh(p)[0], np.linalg.svd(p, compute_uv=False),
                                np.linalg.norm(p, 2)), rtol=1e-8, atol=1e-9)
    against_both(lambda p, q: lt.grad(lambda u, w: (L.solve(u, w) ** 2).sum() + L.slogdet(u)[1],
                                      argnums=(0, 1))(p, q), a, b, rtol=1e-7, atol=1e-10)
    against_both(lambda p, q: lt.vmap(L.solve)(p, q), np.stack([a, a.T]), b.T,
                 ref=lambda p, q: np.linalg.solve(p, q[..., None])[..., 0], rtol=1e-8, atol=1e-10)


def test_shape_chains_and_their_gradient():
    x = RNG.standard_normal((4, 5))
    against_both(lambda a: (lnp.concatenate([a, a[:, ::-1], a[::2].repeat(2, axis=0)], axis=1),
                            lnp.pad(a, ((1, 2), (2, 2)), mode="reflect"),
                            lnp.roll(lnp.flip(a, axis=1), 2, axis=0) + lnp.roll(a, -3),
                            a.reshape(2, 10).T.reshape(5, 4).T[::-1, 1:] @ a[:, :3]), x,
                 ref=lambda a: (np.concatenate([a, a[:, ::-1], a[::2].repeat(2, axis=0)], axis=1),
                                np.pad(a, ((1, 2), (2, 2)), mode="reflect"),
                                np.roll(np.flip(a, axis=1), 2, axis=0) + np.roll(a, -3),
                                a.reshape(2, 10).T.reshape(5, 4).T[::-1, 1:] @ a[:, :3]))
    against_both(lambda a: lt.grad(lambda q: (lnp.roll(lnp.pad(q, 1)[::-1], 3, axis=1) ** 2
                                              * lnp.arange(7.0)).sum())(a), x)


def test_loops_updating_arrays_in_place():
    def jacobi(u):
        def step(i, u):
            return u.at[1:-1, 1:-1].set(0.25 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2]
                                                + u[1:-1, 2:]))
        return lt.fori_loop(0, 20, step, u)

    def np_jacobi(u):
        u = u.copy()
        for _ in range(20):
            u[1:-1, 1:-1] = 0.25 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:])
        return u

    u = np.zeros((40, 40))
    u[0] = 1.0
    against_both(jacobi, u, ref=np_jacobi)

    def bubble(a):
        def inner(j, d):
            lo, hi = lnp.minimum(d[j], d[j + 1]), lnp.maximum(d[j], d[j + 1])
            return d.at[j].set(lo).at[j + 1].set(hi)
        return lt.fori_loop(0, a.shape[0], lambda i, c: lt.fori_loop(0, a.shape[0] - 1, inner,
                                                                     c), a)
    against_both(lambda a: lt.vmap(bubble)(a), RNG.standard_normal((5, 8)),
                 ref=lambda a: np.sort(a, axis=1))
    against_both(lambda a: lt.scan(lambda c, r: ((c[1], c[0] + r), c[0]), (a[0], a[1]), a),
                 X)


def test_fn_with_large_results_called_twice():
    """Results of an ``@fn`` function living in its arena must survive its next call."""
    @lt.fn
    def big(a):
        t = lnp.exp(a * 0.1)
        return t.T @ t, lnp.sort(t, axis=0) + lnp.cumsum(a, axis=1)

    x, y = RNG.standard_normal((80, 80)), RNG.standard_normal((80, 80))
    against_both(lambda p, q: (lambda r, s: (r[0] - s[0], r[1] + s[1]))(big(p), big(q)), x, y)
    against_both(lambda p: lt.fori_loop(0, 3, lambda i, c: big(c)[0] * 1e-3 + c, p), x)
    g = lt.jit(lambda a: (lnp.sort(a, axis=1) * 2, a @ a.T))
    first = g(x)
    kept = [np.array(r) for r in first]
    g(y)
    for r, k in zip(first, kept):
        np.testing.assert_array_equal(r, k)


def test_callbacks_inside_fn_loops_and_threads():
    """Host callbacks (eigh, gammaln, argsort) inside ``@fn`` functions in loops, run from
    several threads at once: every thread gets its own numbers."""
    @lt.fn
    def spec(m):
        e, _ = L.eigh(m @ m.T + lnp.eye(m.shape[0]))
        return e, lnp.argsort(m[0]), lsp.special.gammaln(lnp.abs(m) + 1)

    def prog(a):
        return lt.fori_loop(0, 3, lambda i, c: c + spec(a + i)[0].sum() + spec(a)[2].sum()
                            + spec(a)[1][0], 0.0)

    ms = [RNG.standard_normal((20, 20)) for _ in range(4)]
    refs = [interpret(prog, m) for m in ms]
    g = lt.jit(prog)
    out: dict = {}

    def work(i):
        out[i] = [g(ms[i]) for _ in range(10)]
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(4):
        for r in out[i]:
            close(r, refs[i])


def test_one_jitted_function_many_kinds_of_inputs():
    def prog(x, w):
        h = lnp.tanh(x @ w)
        h = h.at[:, 0].add(lnp.sum(h, axis=1))
        return lnp.concatenate([h, lnp.cumsum(h, axis=0)], axis=1).mean(axis=0), lnp.max(h)

    g = lt.jit(prog)
    x, w = RNG.standard_normal((64, 40)), RNG.standard_normal((40, 50))
    big = RNG.standard_normal((128, 80))
    for arg in (x, np.asfortranarray(x), big[::2, ::2], big[::-2, 1::2], x.tolist(),
                x.astype(np.float32), x.astype(np.int64)):
        want = prog(np.asarray(arg, dtype=np.result_type(np.asarray(arg).dtype, w.dtype)), w)
        close(g(arg, w), want)
        gc.collect(1)   # young objects: a full collection takes seconds in a long test run
    with pytest.raises(TypeError, match="str"):
        g("a", w)


def test_many_jitted_functions_in_one_process():
    a = RNG.standard_normal((7, 3))
    fs = [lt.jit(lambda p, k=k: lnp.sum(lnp.sin(p * k) ** 2, axis=0) + p[k % 5])
          for k in range(120)]
    for _ in range(2):
        for k, f in enumerate(fs):
            close(f(a), np.sum(np.sin(a * k) ** 2, axis=0) + a[k % 5])
        gc.collect(1)
