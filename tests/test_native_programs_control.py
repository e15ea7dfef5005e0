"""Realistic programs with control flow and functions on the native backend (integrators,
optimizers with ``while_loop`` convergence, recurrences, piecewise functions, ``@fn`` reused
across loops, shapes and dtypes), each compared with the interpreter (and closed forms) over
several calls, through the background O2 tier-up, with ``gc.collect()`` between calls; plus
the regressions these programs found: code shared between ``@fn`` functions of one name
that call different functions or close over different constants, and in-place updates of
buffers that a loop, a branch or an alias still reads."""

import gc

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
import lintra.scipy.special as lss
from lintra.backends import native as nat
from test_native import _run

pytestmark = [pytest.mark.skipif(not nat.available, reason="llvmlite is not installed"),
              pytest.mark.usefixtures("fresh_native_cache")]


def _close(got, want, rtol):
    for a, b in zip(lt.tree_leaves(got), lt.tree_leaves(want)):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12)


def native_matches(f, *args, rtol=1e-10, calls=6, compiled=True):
    """``f`` jitted natively equals the interpreter on every call, before and after the
    tier-up; compiled (no fallback) when ``compiled``."""
    before = nat.fallbacks[-1] if nat.fallbacks else None     # (a bounded deque)
    fn = lt.jit(f, backend="native")
    want = lt.jit(f, backend="interpret")(*args)
    for _ in range(calls):
        _close(fn(*args), want, rtol)
        gc.collect(1)   # young objects: a full collection takes seconds in a long test run
    nat.wait_for_tier_up()
    _close(fn(*args), want, rtol)
    if compiled:
        assert (nat.fallbacks[-1] if nat.fallbacks else None) is before, nat.fallbacks[-1]
    return want


# ---------------------------------------------------------------- realistic programs

@lt.fn
def _force(q):
    return -q - 0.1 * q ** 3


def _leapfrog(q, p, dt):
    def body(i, s):
        q, p = s
        p = p + 0.5 * dt * _force(q)
        q = q + dt * p
        return q, p + 0.5 * dt * _force(q)
    return lt.fori_loop(0, 50, body, (q, p))


Q0, P0 = np.linspace(-1.0, 1.0, 4), np.zeros(4)


def test_leapfrog_and_its_gradient():
    native_matches(_leapfrog, Q0, P0, 0.01)
    native_matches(_leapfrog, Q0.astype(np.float32), P0.astype(np.float32), np.float32(0.01),
                   rtol=1e-5)
    native_matches(lt.grad(lambda q, p: lnp.sum(_leapfrog(q, p, 0.01)[0] ** 2)), Q0, P0)


@lt.fn
def _rhs(t, y, k):
    return lnp.stack([y[1], -k * y[0] - 0.1 * y[1] + lnp.sin(t)])


@lt.fn
def _rk4_step(t, y, h, k):
    k1 = _rhs(t, y, k)
    k2 = _rhs(t + h / 2, y + h / 2 * k1, k)
    k3 = _rhs(t + h / 2, y + h / 2 * k2, k)
    k4 = _rhs(t + h, y + h * k3, k)
    return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def _integrate(y0, k, reverse=False):
    def body(y, t):
        y2 = _rk4_step(t, y, -0.1 if reverse else 0.1, k)
        return y2, y2[0]
    return lt.scan(body, y0, lnp.linspace(0.0, 2.0, 21), reverse=reverse)


def test_rk4_scan_derivatives():
    y0 = np.array([1.0, 0.0])
    native_matches(_integrate, y0, 2.0)
    native_matches(lambda y0, k: _integrate(y0, k, reverse=True), y0, 2.0)
    native_matches(lt.grad(lambda y0, k: lnp.sum(_integrate(y0, k)[1]), argnums=(0, 1)),
                   y0, 2.0)
    jf = native_matches(lt.jacfwd(lambda y0: _integrate(y0, 2.0)[0]), y0)
    jr = native_matches(lt.jacrev(lambda y0: _integrate(y0, 2.0)[0]), y0)
    np.testing.assert_allclose(jf, jr, rtol=1e-10)


def _newton_sqrt(a):
    def cond(s):
        return (lnp.abs(s[0] * s[0] - a) > 1e-12) & (s[1] < 50)
    return lt.while_loop(cond, lambda s: (s[0] - (s[0] * s[0] - a) / (2 * s[0]), s[1] + 1),
                         (a, 0))


def test_newton_while_loop_forward_and_reverse_error():
    x, _ = native_matches(_newton_sqrt, 2.0)
    np.testing.assert_allclose(x, np.sqrt(2.0))
    native_matches(lt.vmap(_newton_sqrt), np.array([2.0, 3.0, 9.0]))
    native_matches(lambda a: lt.jvp(lambda a: _newton_sqrt(a)[0], (a,), (1.0,)), 2.0)
    with pytest.raises(lt.MissingRuleError, match="while_loop"):
        lt.jit(lt.grad(lambda a: _newton_sqrt(a)[0]))(2.0)


def _rosen(p):
    return (1 - p[0]) ** 2 + 10 * (p[1] - p[0] ** 2) ** 2


def _descend(p0):
    g = lt.grad(_rosen)

    def cond(s):
        return (lnp.linalg.norm(g(s[0])) > 1e-6) & (s[1] < 2000)
    return lt.while_loop(cond, lambda s: (s[0] - 0.01 * g(s[0]), s[1] + 1), (p0, 0))


def test_gradient_descent_converges_like_the_interpreter():
    native_matches(_descend, np.array([-1.0, 1.0]))
    native_matches(lt.vmap(_descend), np.array([[-1.0, 1.0], [0.5, 0.5], [1.0, 1.0]]))


@lt.fn
def _collatz_step(n):
    return lnp.where(n % 2 == 0, n // 2, 3 * n + 1)


def _collatz(n):
    return lt.while_loop(lambda s: s[0] != 1, lambda s: (_collatz_step(s[0]), s[1] + 1), (n, 0))


def test_integer_while_loop():
    assert int(native_matches(_collatz, 27)[1]) == 111
    native_matches(_collatz, np.int32(97))
    native_matches(lt.vmap(_collatz), np.array([6, 27, 97, 1]))


def _piece(x):
    return lt.cond(x > 0, lambda x: lnp.sin(x) * x, lambda x: x ** 3, x)


def test_piecewise_cond_and_switch():
    for x in (0.7, -0.7):
        native_matches(_piece, x)
        native_matches(lt.grad(_piece), x)
    native_matches(lt.vmap(_piece), np.array([-1.0, 0.5, 2.0]))

    def sw(i, x):
        return lt.switch(i, [lambda x: x + 1, lambda x: x * 2, lambda x: lnp.exp(x)], x)
    for i in (-1, 0, 1, 2, 5):
        native_matches(sw, i, 0.3)
    native_matches(lt.grad(sw, argnums=1), 2, 0.3)


def _spring_sim(state, params):
    def body(i, s):
        a = -params["k"] * s["x"] - params["c"] * s["v"]
        v = s["v"] + params["dt"] * a
        x = s["x"] + params["dt"] * v
        hit = s["hit"] | (x < -0.5)
        return {"x": x, "v": v, "hit": hit, "n": s["n"] + hit.astype(np.int32)}
    return lt.fori_loop(0, 100, body, state)


def test_dict_state_with_bool_and_int_carries():
    st = {"x": np.array([1.0, 0.2]), "v": np.zeros(2), "hit": np.array([False, False]),
          "n": np.zeros(2, np.int32)}
    pr = {"k": 3.0, "c": 0.1, "dt": 0.05}
    native_matches(_spring_sim, st, pr)
    native_matches(lt.grad(lambda p: lnp.sum(_spring_sim(st, p)["x"])), pr)


@lt.fn
def _sq(x):
    return x * x


@lt.fn
def _poly(x):
    return _sq(x) + _sq(_sq(x)) * 0.5 + x


@lt.fn
def _outer(x, y):
    return _poly(x) * _poly(y) + _sq(x + y)


def test_nested_fns_at_several_shapes_and_dtypes():
    def f(a, b, c):
        return _outer(a, a) + lnp.sum(_outer(b, b)), _outer(c, c), _poly(a.astype(np.float32))
    native_matches(f, 0.3, np.arange(3.0), np.ones((2, 2)), rtol=1e-6)
    native_matches(lt.hessian(lambda x: lnp.sum(_outer(x, x[::-1]))), np.array([0.2, 0.5, -0.3]))


def test_checkpointed_scan_and_custom_rules_in_loops():
    W = np.random.default_rng(1).standard_normal((3, 3)) * 0.5
    x = np.array([0.1, -0.2, 0.3])

    def net(x, W):
        @lt.checkpoint
        def layer(h, w):
            return lnp.tanh(W @ h + w), lnp.sum(h)
        return lt.scan(layer, x, lnp.stack([x * 0.1, x * 0.2, x * 0.3]))
    native_matches(lt.grad(lambda x, W: lnp.sum(net(x, W)[0]) + lnp.sum(net(x, W)[1]),
                           argnums=(0, 1)), x, W)

    @lt.custom_jvp
    def softplus(x):
        return lnp.log1p(lnp.exp(x))
    softplus.defjvp(lambda p, t: (softplus(p[0]), t[0] / (1 + lnp.exp(-p[0]))))
    native_matches(lt.hessian(lambda x: lt.fori_loop(0, 10, lambda i, c: softplus(c) - 1.0, x)),
                   0.3)

    @lt.custom_vjp
    def clip_grad(x):
        return x
    clip_grad.defvjp(lambda x: (x, None), lambda _, g: (lnp.clip(g, -1.0, 1.0),))
    native_matches(lt.grad(lambda x: lt.scan(lambda c, xi: (clip_grad(c * xi) * 3.0, c), x,
                                             np.array([2.0, 3.0, 0.5]))[0]), 0.4)


def test_callbacks_in_fn_in_scan_and_errors_mid_loop():
    @lt.fn
    def lg(x):
        return lss.gammaln(x) + lss.erfc(x)

    def f(x):
        return lt.scan(lambda c, xi: (c + lg(xi + c * 0.01), lg(xi)), 0.0, x)
    x = np.linspace(0.5, 3.0, 7)
    native_matches(f, x)
    native_matches(lt.grad(lambda x: f(x)[0]), x)

    def solve_loop(A, b):
        return lt.fori_loop(0, 5, lambda i, x: lnp.linalg.solve(A, x) + b, b)
    rng = np.random.default_rng(0)
    A, b = rng.standard_normal((10, 10)), rng.standard_normal(10)
    fn = lt.jit(solve_loop)
    want = lt.jit(solve_loop, backend="interpret")(A, b)
    for k in range(7):
        if k == 5:
            nat.wait_for_tier_up()
        with pytest.raises(np.linalg.LinAlgError):
            fn(np.zeros((10, 10)), b)
        gc.collect(1)
        np.testing.assert_allclose(fn(A, b), want, rtol=1e-10)


# ---------------------------------------------------------------- regressions

def _wrap(h):
    @lt.fn
    def g(x):                   # one name for every wrapper: the same IR text
        return h(x) + 1.0
    return g


def test_same_named_fns_calling_different_functions():
    ga, gb = _wrap(lt.fn(lnp.sin)), _wrap(lt.fn(lnp.cos))
    got = lt.jit(lambda x: (ga(x), gb(x)))(0.5)
    np.testing.assert_allclose(got, (np.sin(0.5) + 1, np.cos(0.5) + 1), rtol=1e-12)
    np.testing.assert_allclose(lt.jit(gb)(0.5), np.cos(0.5) + 1, rtol=1e-12)


def test_same_named_fns_with_different_callbacks_and_constants():
    a, b = _wrap(lss.erfc), _wrap(lss.gammaln)
    native_matches(lambda x: (a(x), b(x)), 0.5)
    c1, c2 = (_wrap(lambda x, C=C: lnp.sum(x * C)) for C in
              (np.linspace(0, 1, 200), np.linspace(0, 2, 200)))
    native_matches(lambda x: (c1(x), c2(x)), np.ones(200))

    @lt.fn(static_argnums=(1,))
    def weighted(x, k):         # one function, a table per static argument
        return lnp.sum(x * np.linspace(0.0, k, 100))
    got = native_matches(lambda x: (weighted(x, 1), lt.fori_loop(
        0, 3, lambda i, c: c + weighted(x, 2), 0.0)), np.ones(100))
    np.testing.assert_allclose(got, (50.0, 300.0), rtol=1e-12)


def test_nested_fn_factories_compile():
    def make(d):
        @lt.fn
        def f(x):
            if d == 0:
                return lnp.sin(x)
            return make(d - 1)(x) * 0.5 + make(d - 1)(x * 2)
        return f
    native_matches(lambda x: make(4)(x), np.array([0.1, 0.2]))


def test_updates_in_place_never_touch_a_buffer_still_read():
    def in_branch(a, i):
        x = lnp.exp(a)
        return lt.cond(i > 0, lambda x: x.at[1].set(100.0), lambda x: x * 2, x), x
    native_matches(in_branch, np.arange(4.0), 1)

    def scan_const(a):
        x = lnp.exp(a)
        return lt.scan(lambda c, k: (c + x.at[0].add(c)[0], k), 0.0, np.arange(3.0))
    native_matches(scan_const, np.arange(4.0))

    def fori_const(a):
        x = lnp.exp(a)
        return lt.fori_loop(0, 3, lambda i, c: c + x.at[i].add(1.0), lnp.zeros(4)), x
    native_matches(fori_const, np.arange(4.0))

    def while_const(a):
        x = lnp.exp(a)
        body = lambda s: (s[0] + x.at[s[1]].set(-1.0), s[1] + 1)  # noqa: E731
        return lt.while_loop(lambda s: s[1] < 3, body, (lnp.zeros(4), 0)), x
    native_matches(while_const, np.arange(4.0))

    def while_pred(a):
        def cond(s):
            return (s[1] < 3) & (lnp.sum(s[0].at[0].set(-100.0)) < 1e9)
        return lt.while_loop(cond, lambda s: (s[0] + 1.0, s[1] + 1), (lnp.exp(a), 0))
    native_matches(while_pred, np.arange(4.0))


def test_aliases_are_not_updated_in_place():
    def aliased(a):
        x = lnp.exp(a)
        return (lt.stop_gradient(x).at[0].set(-1.0),
                lt.checkpoint_name(x, "h").at[1].set(-1.0), x)
    native_matches(aliased, np.arange(4.0))

    @lt.custom_jvp
    def zero_first(x):
        return x.at[0].set(0.0)
    zero_first.defjvp(lambda p, t: (zero_first(p[0]), zero_first(t[0])))
    native_matches(lambda a: (zero_first(lnp.exp(a)), lnp.exp(a) * 1.0), np.arange(4.0))
    native_matches(lambda a: (zero_first(x := lnp.exp(a)), x), np.arange(4.0))


# ---------------------------------------------------------------- the same programs in JAX

def _programs(np_, ctl, grad):
    """Programs written once against a NumPy-like module and a lax-like control module."""
    def leapfrog(q, p):
        def body(i, s):
            q, p = s
            p = p + 0.005 * (-q - 0.1 * q ** 3)
            q = q + 0.01 * p
            return q, p + 0.005 * (-q - 0.1 * q ** 3)
        return ctl.fori_loop(0, 40, body, (q, p))

    def newton(a):
        return ctl.while_loop(lambda s: (np_.abs(s[0] ** 2 - a) > 1e-12) & (s[1] < 50),
                              lambda s: (s[0] - (s[0] ** 2 - a) / (2 * s[0]), s[1] + 1), (a, 0))

    def decay(y0, ts):
        return ctl.scan(lambda y, t: (y + 0.1 * (np_.sin(t) - y * y), y), y0, ts, reverse=True)

    def piece(x):
        return ctl.cond(x > 0, lambda x: np_.sin(x) * x, lambda x: x ** 3, x)
    return {
        "leapfrog": (leapfrog, (Q0 + 0.1, P0 + 0.2)),
        "leapfrog_grad": (grad(lambda q: np_.sum(leapfrog(q, q * 0.5)[0] ** 2)), (Q0 + 0.1,)),
        "newton": (newton, (3.0,)),
        "decay": (decay, (np.array([0.5, -0.2]), np.linspace(0.0, 1.0, 9))),
        "decay_grad": (grad(lambda y: np_.sum(decay(y, np.linspace(0.0, 1.0, 9))[1])),
                       (np.array([0.5, -0.2]),)),
        "piece_grad": (grad(piece), (-0.7,)),
    }


def test_programs_agree_with_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    ours = _programs(lnp, lt, lt.grad)
    theirs = _programs(jax.numpy, jax.lax, jax.grad)
    for name, (f, args) in ours.items():
        got = native_matches(f, *args)
        want = jax.jit(theirs[name][0])(*args)
        for a, b in zip(lt.tree_leaves(got), jax.tree_util.tree_leaves(want)):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=1e-12,
                                       err_msg=name)


_THREADS = """
    import threading
    import numpy as np, lintra as lt, lintra.numpy as lnp, lintra.scipy.special as lss

    def round_():
        @lt.fn
        def heavy(x):       # a loop, a callback site and an arena: its own code per emission
            return lt.fori_loop(0, 5, lambda i, c: lnp.tanh(c * 1.01) + lss.erfc(c) * 0.01, x)

        def prog(x):
            return heavy(x) + heavy(x * 2)
        x = np.linspace(-1.0, 1.0, 5000)
        want = lt.jit(prog, backend="interpret")(x)
        f, g = lt.jit(prog), lt.jit(lt.grad(lambda x: lnp.sum(prog(x))))
        bad = []

        def work():
            for _ in range(4):
                bad.append(not np.allclose(f(x), want))
                g(x)
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sum(bad)
    print(sum(round_() for _ in range(4)))
"""


def test_first_calls_from_several_threads(tmp_path):
    """Threads making the first calls of programs that share an ``@fn`` (a second thread
    emitted the function again and replaced the code the first was running: a crash)."""
    assert _run(_THREADS, {"LINTRA_CACHE_DIR": str(tmp_path)}).split() == ["0"]
