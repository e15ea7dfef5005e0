"""Short programs written the way scientists write them (physics loops, small networks, ODE
integrators, likelihoods, Python loops over ``x[i]``, ``.at`` updates, control flow inside
transformations), compiled natively and compared with the interpreter and with JAX running
the same source (values, dtypes, shapes and gradients). Plus the regressions such programs
found: ``<<`` / ``>>`` on traced arrays, shifts of small integer types by a Python int, and
``x ** 0.5`` at -0.0 and -inf (NumPy computes it as ``sqrt``)."""

import types
import warnings

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
import lintra.scipy as lsp
from lintra.backends import native as nat
from native_util import native

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import jax.scipy as jsp  # noqa: E402

pytestmark = pytest.mark.skipif(not nat.available, reason="llvmlite is not installed")

RNG = np.random.default_rng(11)
LT = types.SimpleNamespace(np=lnp, sp=lsp, fori_loop=lt.fori_loop, scan=lt.scan, cond=lt.cond,
                           while_loop=lt.while_loop, grad=lt.grad, vmap=lt.vmap, jvp=lt.jvp,
                           hessian=lt.hessian, jacfwd=lt.jacfwd, jacrev=lt.jacrev)
JX = types.SimpleNamespace(np=jnp, sp=jsp, fori_loop=jax.lax.fori_loop, scan=jax.lax.scan,
                           cond=jax.lax.cond, while_loop=jax.lax.while_loop, grad=jax.grad,
                           vmap=jax.vmap, jvp=jax.jvp, hessian=jax.hessian, jacfwd=jax.jacfwd,
                           jacrev=jax.jacrev)


def interpret(f, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return lt.jit(f, backend="interpret")(*args)


def same(got, want, rtol, dtypes=True):
    got, want = lt.tree_leaves(got), jax.tree_util.tree_leaves(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, (g.shape, w.shape)
        if dtypes:
            assert g.dtype == w.dtype, (g.dtype, w.dtype)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * 1e-2, equal_nan=True)


# ---------------------------------------------------------------- programs (M: lintra or JAX)


def mlp_loss(M, p, X, y):
    h = M.np.maximum(X @ p["W1"].T + p["b1"], 0.0)
    logits = M.np.tanh(h @ p["W2"].T + p["b2"])
    lse = M.sp.special.logsumexp(logits, axis=1)
    onehot = (y[:, None] == M.np.arange(2)[None, :]).astype(logits.dtype)
    return M.np.mean(lse - M.np.sum(onehot * logits, axis=1))


def pendulum(M, th0):
    def body(i, s):
        th, w = s
        w = w - 0.01 * M.np.sin(th)
        return th + 0.01 * w, w
    th, w = M.fori_loop(0, 100, body, (th0, 0.0 * th0))
    return th * w


def rk4(M, k):
    def f(y):
        return -k * y + M.np.sin(y)

    def step(y, _):
        h = 0.05
        k1 = f(y)
        k2 = f(y + h / 2 * k1)
        k3 = f(y + h / 2 * k2)
        k4 = f(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return y, y
    y, ys = M.scan(step, 1.0 + 0 * k, None, length=40)
    return y + M.np.sum(ys ** 2)


def nbody(M, x0):
    def force(x):
        d = x[:, None, :] - x[None, :, :]
        r2 = M.np.sum(d ** 2, axis=-1) + 0.1
        return -M.np.sum(d / r2[..., None] ** 1.5, axis=1)

    def body(i, s):
        x, v = s
        v = v + 0.005 * force(x)
        x = x + 0.01 * v
        return x, v + 0.005 * force(x)
    x, v = M.fori_loop(0, 20, body, (x0, M.np.zeros_like(x0)))
    return M.np.sum(v ** 2) + M.np.sum(x[0])


def gauss_loglik(M, x):
    mu, s2 = M.np.mean(x), M.np.var(x)
    return (-0.5 * M.np.sum((x - mu) ** 2 / s2)
            - 0.5 * x.shape[0] * M.np.log(2 * M.np.pi * s2))


def python_loop(M, x):
    acc = 0.0
    for i in range(30):                 # long enough to be rerolled into a scan
        acc = acc + (1.0 / (i + 1)) * M.np.sin(x[i] * acc + 0.5)
    return acc


def python_loop_at_set(M, x):
    y = x
    for i in range(38, 0, -1):
        y = y.at[i].set(y[i + 1] * 0.5 + y[i - 1] * 0.25 + M.np.cos(y[i]))
    return M.np.sum(y ** 2)


def at_updates(M, x):
    y = x.at[1].set(x[0] * 3.0)
    y = y.at[2].add(x[4] ** 2)
    y = y.at[M.np.array([0, 0, 3])].add(1.5 * x[1])
    return M.np.sum(y * y) + M.np.sum(x * 1.5)


def where_clip_reduce(M, X):
    y = M.np.where(X > 0, X ** 2, -X)
    a = M.np.sum(X, axis=1, keepdims=True)
    return (M.np.sum(M.np.clip(y, 0.1, 0.9) + M.np.minimum(X, 0.3) * a)
            + M.np.sum(M.np.prod(X, axis=-1)) + M.np.sum(M.np.max(X, axis=0)))


def einsum_lstsq(M, A, b):
    x = M.np.linalg.solve(A.T @ A, A.T @ b)
    return M.np.sum((A @ x - b) ** 2) + M.np.einsum("ij,ij->", A, A) + M.np.vdot(b, b)


def gauss_seidel(M, A):
    A = A + 8 * M.np.eye(4)
    b = M.np.arange(4.0)

    def sweep(k, x):
        for i in range(4):
            x = x.at[i].set((b[i] - A[i] @ x + A[i, i] * x[i]) / A[i, i])
        return x
    return M.np.sum(M.fori_loop(0, 30, sweep, M.np.zeros(4)) * b)


def scan_carry_as_ys(M, x):
    def step(c, i):
        c = c.at[i].set(c[i] * 2.0 + 1.0)
        return c, c                     # the stacked ys must not alias the carry
    c, ys = M.scan(step, x, M.np.arange(5))
    return M.np.sum(ys * M.np.arange(25.0).reshape(5, 5)) + M.np.sum(c)


def nested_control(M, x):
    def step(c, xi):
        def body(j, a):
            return M.cond(a > 0, lambda t: t * 0.9 - xi, lambda t: t * 1.1 + xi ** 2, a)
        c = M.fori_loop(0, 3, body, c)
        return c, c * xi
    c, ys = M.scan(step, 0.3, x)
    return c + M.np.sum(ys)


def f32_loss(M, x):
    return M.np.sum(M.np.tanh(x) * 2.0 + M.np.exp(-x * x)) + M.np.mean(M.np.log1p(x ** 2))


PARAMS = {"W1": RNG.normal(size=(4, 3)), "b1": RNG.normal(size=4),
          "W2": RNG.normal(size=(2, 4)), "b2": RNG.normal(size=2)}
PROGRAMS = [
    (mlp_loss, (PARAMS, RNG.normal(size=(6, 3)), np.array([0, 1, 1, 0, 1, 0])), 1e-10),
    (pendulum, (1.3,), 1e-10),
    (rk4, (0.7,), 1e-10),
    (nbody, (RNG.normal(size=(5, 3)),), 1e-10),
    (gauss_loglik, (RNG.normal(size=6),), 1e-10),
    (python_loop, (RNG.normal(size=30),), 1e-10),
    (at_updates, (RNG.normal(size=5),), 1e-10),
    (where_clip_reduce, (RNG.normal(size=(3, 4)),), 1e-10),
    (einsum_lstsq, (RNG.normal(size=(4, 3)), RNG.normal(size=4)), 1e-10),
    (gauss_seidel, (RNG.normal(size=(4, 4)),), 1e-10),
    (scan_carry_as_ys, (RNG.normal(size=5),), 1e-10),
    (nested_control, (RNG.normal(size=4),), 1e-10),
    (f32_loss, (RNG.normal(size=5).astype(np.float32),), 1e-5),
]


@pytest.mark.parametrize("prog,args,rtol", PROGRAMS, ids=[p[0].__name__ for p in PROGRAMS])
def test_value_and_grad_match_interpreter_and_jax(prog, args, rtol):
    def f(*a):
        return prog(LT, *a)

    def jf(*a):
        return prog(JX, *a)
    argnums = tuple(i for i, a in enumerate(args)
                    if np.asarray(lt.tree_leaves(a)[0]).dtype.kind == "f")
    got = native(f, *args)
    same(got, interpret(f, *args), rtol)
    same(got, jax.jit(jf)(*args), rtol)
    g = native(lt.grad(f, argnums=argnums), *args)
    same(g, jax.jit(jax.grad(jf, argnums=argnums))(*args), rtol)


def test_python_loop_of_at_updates():
    """A Python loop of 38 ``.at[i].set`` (rerolled into a scan): against the same loop in
    NumPy, its gradient against central differences of that (JAX takes seconds to compile
    it)."""
    def numpy_loop(x):
        y = x.copy()
        for i in range(38, 0, -1):
            y[i] = y[i + 1] * 0.5 + y[i - 1] * 0.25 + np.cos(y[i])
        return np.sum(y ** 2)
    x = RNG.normal(size=40)
    f = lambda x: python_loop_at_set(LT, x)  # noqa: E731
    same(native(f, x), numpy_loop(x), 1e-12)
    same(interpret(f, x), numpy_loop(x), 1e-12)
    eps = 1e-6
    fd = [(numpy_loop(x + eps * e) - numpy_loop(x - eps * e)) / (2 * eps) for e in np.eye(40)]
    np.testing.assert_allclose(native(lt.grad(f), x), fd, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(native(lt.grad(f), x), interpret(lt.grad(f), x), rtol=1e-12)


# ---------------------------------------------------------------- transformations in programs


def test_forward_mode_through_cond_and_while():
    def sqrt_newton(M, c):
        def body(s):
            return s[0] + 1, 0.5 * (s[1] + c / s[1])
        return M.while_loop(lambda s: s[0] < 30, body, (0, M.np.ones_like(c)))[1]

    def f(M, x):
        g = lambda t: M.cond(t[0] > 0.0, lambda u: M.np.sin(u) * u, lambda u: u ** 3, t)
        c = x ** 2 + 1.0
        return (M.jvp(g, (x,), (M.np.ones(3),)),
                M.jvp(lambda c: sqrt_newton(M, c), (c,), (M.np.ones(3),)))
    x = RNG.normal(size=3)
    same(native(lambda x: f(LT, x), x), jax.jit(lambda x: f(JX, x))(x), 1e-10)


def test_vmap_hessian_jacobians():
    def f(M, x, X):
        rosen = lambda v: M.np.sum(100.0 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2)
        g = lambda v: M.np.stack([v[0] * v[1], M.np.sin(v[2]), M.np.exp(v).sum()])
        W = M.np.arange(6.0).reshape(2, 3) / 7
        net = lambda v: M.np.sum(M.np.tanh(W @ v))
        return (M.hessian(rosen)(x), M.jacfwd(g)(x), M.jacrev(g)(x), M.vmap(M.grad(net))(X),
                M.vmap(lambda v: M.cond(v[0] > 0, M.np.log1p, M.np.square, v))(X ** 2))
    x, X = RNG.normal(size=3), RNG.normal(size=(4, 3))
    same(native(lambda *a: f(LT, *a), x, X), jax.jit(lambda *a: f(JX, *a))(x, X), 1e-10)


def test_fn_in_loops_matches_inline():
    @lt.fn
    def cell(h, W):
        return lnp.tanh(W @ h), lnp.sum(h ** 2)

    def f(M, cell_fn, x, W):
        def step(c, _):
            h, s = cell_fn(c, W)
            return h, s
        c, ss = M.scan(step, x, None, length=4)
        c = M.fori_loop(0, 3, lambda i, h: cell_fn(h, W)[0], c)
        return M.np.sum(c) + M.np.sum(ss)

    def cell_jax(h, W):
        return jnp.tanh(W @ h), jnp.sum(h ** 2)
    x, W = RNG.normal(size=3), RNG.normal(size=(3, 3))
    same(native(lambda *a: f(LT, cell, *a), x, W),
         jax.jit(lambda *a: f(JX, cell_jax, *a))(x, W), 1e-10)
    same(native(lt.grad(lambda *a: f(LT, cell, *a), argnums=(0, 1)), x, W),
         jax.jit(jax.grad(lambda *a: f(JX, cell_jax, *a), argnums=(0, 1)))(x, W), 1e-10)


# ---------------------------------------------------------------- regressions


def test_shift_operators_on_traced_integers():
    n = np.array([-7, 5, 3, -2, 0, 9], dtype=np.int64)

    def f(n):
        return n >> 1, n << 2, 1 << n[1:3], 100 >> n[2], n >> np.int64(2)
    same(native(f, n), f(n), 0)
    same(interpret(f, n), f(n), 0)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "uint32"])
def test_shift_by_python_int_keeps_small_integer_dtype(dtype):
    u = np.array([1, 100, 127, 3], dtype=dtype)

    def f(u):
        return lnp.left_shift(u, 1), u << 2, lnp.right_shift(u, 1), u >> 3

    def ref(u):
        return np.left_shift(u, 1), u << 2, np.right_shift(u, 1), u >> 3
    same(native(f, u), ref(u), 0)       # wrapping as NumPy's (uint8: 200 << 1 is 144)
    same(interpret(f, u), ref(u), 0)


def test_square_root_power_is_numpy_sqrt():
    """NumPy computes x ** 0.5 (a scalar exponent) as sqrt: (-0.0) ** 0.5 is -0.0 and
    (-inf) ** 0.5 nan, where C's pow gives 0.0 and inf (an array of exponents: pow)."""
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e-40, 2.0, -3.5])
    for dtype in (np.float64, np.float32):
        xs, half = x.astype(dtype), dtype(0.5)
        with np.errstate(all="ignore"):
            want = (xs ** 0.5, np.power(xs, half), xs ** 1.5)
        for run in (native, interpret):
            got = run(lambda x, h=half: (x ** 0.5, lnp.power(x, h), x ** 1.5), xs)
            for g, w in zip(got, want):
                assert g.dtype == w.dtype
                np.testing.assert_array_equal(g, w)
                np.testing.assert_array_equal(np.signbit(g), np.signbit(w))
    g = native(lt.grad(lambda x: lnp.sum(x ** 0.5 + lnp.power(x, half))), np.array([0.25, 4.0]))
    np.testing.assert_allclose(g, [2.0, 0.5])


def test_nanvar_of_an_infinite_entry_is_nan():
    """NaNs of the input are skipped, not those of a - mean: inf - inf stays NaN (NumPy)."""
    a = np.array([[np.nan, 2.0, np.inf, 1.0], [1.0, np.nan, 3.0, 2.0], [np.nan] * 4])
    z = np.array([1 + 2j, np.nan, 3 - 1j, 0.5j])

    def f(a, z):
        return (lnp.nanvar(a), lnp.nanstd(a, axis=1), lnp.nanvar(a, axis=0, ddof=1),
                lnp.nanvar(z))

    def ref(a, z):
        return np.nanvar(a), np.nanstd(a, axis=1), np.nanvar(a, axis=0, ddof=1), np.nanvar(z)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        want = ref(a, z)
    same(native(f, a, z), want, 1e-12)
    same(interpret(f, a, z), want, 1e-12)
    g = native(lt.grad(lambda a: lnp.nanvar(a[:2, :2])), a)    # of (2 - 1)**2 / 4
    want = np.zeros_like(a)
    want[0, 1], want[1, 0] = 0.5, -0.5
    np.testing.assert_allclose(g, want, atol=1e-12)


def test_maximum_minimum_clip_signed_zeros_as_numpy():
    """Of equal operands maximum/minimum give the second (NumPy's maximum(-0.0, 0.0) is 0.0,
    so relu of -0.0 is 0.0); clip keeps x (clip(-0.0, 0.0, 1.0) is -0.0)."""
    z = np.array([-0.0, 0.0, -0.0, 1.0, -1.0, np.nan])
    w = np.array([0.0, -0.0, -0.0, 1.0, np.nan, 2.0])

    def f(M, x, y):
        return (M.maximum(x, y), M.maximum(y, x), M.minimum(x, y), M.minimum(y, x),
                M.maximum(x, 0.0), M.minimum(0.0, x), M.clip(x, -0.0, 0.0),
                M.clip(x, 0.0, 1.0), M.clip(y, -1.0, -0.0))
    with np.errstate(all="ignore"):
        want = f(np, z, w)
    for run in (native, interpret):
        for g, v in zip(run(lambda x, y: f(lnp, x, y), z, w), want):
            np.testing.assert_array_equal(g, v)
            np.testing.assert_array_equal(np.signbit(g), np.signbit(v))


def test_power_by_a_traced_scalar_half_is_sqrt_as_numpy():
    """NumPy's loop computes x ** p with a scalar p of 0.5 as sqrt ((-0.0) ** 0.5 is -0.0,
    (-inf) ** 0.5 nan) and with an array of exponents as C's pow (0.0 and inf): native code
    decides by the exponent's shape as NumPy does, whatever value p has at run time."""
    x = np.array([-0.0, -np.inf, 4.0, -1.0, 2.0, np.inf])
    cases = [np.float64(0.5), np.float64(1.5), np.float64(-0.5), np.full(6, 0.5),
             np.array([0.5, 1.5, 0.5, 2.0, 0.5, 0.5])]
    for p in cases:
        with np.errstate(all="ignore"):
            want = np.power(x, p)
        for run in (native, interpret):
            got = run(lnp.power, x, p)
            np.testing.assert_array_equal(got, want)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    # the gradient in the exponent is log(x) x**p, at p = 0.5 as elsewhere
    g = native(lt.grad(lambda x, p: lnp.sum(x ** p), argnums=(0, 1)), np.array([4.0, 9.0]),
               np.float64(0.5))
    np.testing.assert_allclose(g[0], [0.25, 1 / 6], rtol=1e-14)
    np.testing.assert_allclose(g[1], 2 * np.log(4.0) + 3 * np.log(9.0), rtol=1e-14)
