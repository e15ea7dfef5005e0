"""Host callbacks in native code: programs with equations the native backend cannot compute
(linalg, FFT, special functions, complex and float16 arithmetic, sorting, debug_print) compile
natively, only those equations calling back into their interpreter ``impl``; inside loops and
``@fn`` functions, under grad and vmap; errors propagate as the original exception; programs
with function values still run on the interpreter."""

import os
import pathlib
import subprocess
import sys
import textwrap
import threading

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as ss

import lintra as lt
import lintra.functional as lf
import lintra.numpy as lnp
import lintra.scipy  # noqa: F401  (its primitives join the coverage check)
import lintra.scipy.special as lss
from lintra.backends import native as nat
from lintra.core.primitive import registry

pytestmark = pytest.mark.skipif(not nat.available, reason="llvmlite is not installed")
if nat.available:
    from lintra.backends.native import callback as cb
    from lintra.ops import native_linalg

jax.config.update("jax_enable_x64", True)
RNG = np.random.default_rng(1)
A = RNG.standard_normal((3, 3))
SPD = A @ A.T + 3 * np.eye(3)
B = RNG.standard_normal(3)
X = RNG.uniform(0.2, 0.9, (2, 3))


def native(f, *args, calls: int | None = None, rtol: float = 1e-12, **kw):
    """``f`` jitted natively: compiled without falling back, at least one (or exactly
    ``calls``) callback taken, the interpreter's values; returns the native result."""
    before_fb, before = len(nat.fallbacks), sum(cb.calls.values())
    out = lt.jit(f, backend="native", **kw)(*args)
    assert len(nat.fallbacks) == before_fb, list(nat.fallbacks)[before_fb:]
    taken = sum(cb.calls.values()) - before
    assert taken == calls if calls is not None else taken > 0
    ref = lt.jit(f, backend="interpret", **kw)(*args)
    for a, b in zip(lt.tree_leaves(out), lt.tree_leaves(ref), strict=True):
        assert np.shape(a) == np.shape(b) and np.asarray(a).dtype == np.asarray(b).dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol / 10)
    return out


def close(a, b, rtol=1e-10, atol=1e-11):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


# ---------------------------------------------------------------- values


LINALG = [
    ("solve", lambda a, b: lnp.linalg.solve(a, b) * 2.0 + b,
     lambda a, b: np.linalg.solve(a, b) * 2 + b),
    ("cholesky", lambda a, b: lnp.sum(lnp.linalg.cholesky(a) * lnp.sin(b)),
     lambda a, b: np.sum(np.linalg.cholesky(a) * np.sin(b))),
    ("eigh", lambda a, b: lnp.linalg.eigh(a)[0] + b,
     lambda a, b: np.linalg.eigh(a)[0] + b),
    ("svd", lambda a, b: lnp.linalg.svd(a + b, compute_uv=False) ** 2,
     lambda a, b: np.linalg.svd(a + b, compute_uv=False) ** 2),
    ("det", lambda a, b: lnp.linalg.det(a * b) - 1.0, lambda a, b: np.linalg.det(a * b) - 1),
    ("inv", lambda a, b: lnp.linalg.inv(a) @ b, lambda a, b: np.linalg.inv(a) @ b),
    ("triangular", lambda a, b: lnp.linalg.solve_triangular(a, b, lower=True, trans=1),
     lambda a, b: np.linalg.solve(np.tril(a).T, b)),
]
NATIVE_LINALG = ("solve", "cholesky", "det", "inv", "triangular")


@pytest.mark.parametrize("n", [3, 20])
@pytest.mark.parametrize("name, f, ref", LINALG)
def test_linalg_mixed_with_native_ops(name, f, ref, n):
    """Small real solves/factorizations are native loops, larger ones call back."""
    a = RNG.standard_normal((n, n))
    a = a @ a.T + n * np.eye(n)
    b = RNG.standard_normal(n)
    small = n <= native_linalg.SMALL_N and name in NATIVE_LINALG
    close(native(f, a, b, calls=0 if small else None), ref(a, b), rtol=1e-9)


def test_native_small_linalg_edge_cases():
    batch = RNG.standard_normal((4, 3, 3))
    native(lambda a: lnp.linalg.slogdet(a), batch, calls=0)
    native(lambda a: lnp.linalg.det(a), np.array([[1.0, 2.0], [2.0, 4.0]]), calls=0)
    native(lambda a: lnp.linalg.det(a), np.zeros((3, 3)), calls=0)
    native(lambda a, b: lnp.linalg.solve(a, b), batch.astype(np.float32),
           batch[..., :2].astype(np.float32), calls=0, rtol=1e-5)
    for unit in (False, True):
        native(lambda a, b, u=unit: lnp.linalg.solve_triangular(a, b, unit_diagonal=u), SPD, B,
               calls=0)
    close(native(lt.grad(lambda a: lnp.linalg.det(a)), A, calls=0),
          np.linalg.det(A) * np.linalg.inv(A).T)
    for f, a in [(lambda a: lnp.linalg.solve(a, a), np.zeros((2, 2))),
                 (lambda a: lnp.linalg.cholesky(a), -np.eye(2)),
                 (lambda a: lnp.linalg.solve_triangular(a, a[:, 0]), np.zeros((2, 2)))]:
        with pytest.raises(np.linalg.LinAlgError):
            lt.jit(f, backend="native")(a)


def test_fft_and_complex_arithmetic():
    def f(x):
        z = lnp.fft.fft(x)
        w = z * (1.0 + 2.0j) + lnp.conj(z)
        return lnp.real(lnp.fft.ifft(w)), lnp.abs(w), w

    re, ab, w = native(f, B)
    z = np.fft.fft(B)
    wr = z * (1 + 2j) + np.conj(z)
    close(re, np.real(np.fft.ifft(wr)))
    close(ab, np.abs(wr))
    close(w, wr)
    assert w.dtype == np.complex128


def test_complex_inputs_outputs_and_data_movement():
    z = (RNG.standard_normal((2, 3)) + 1j * RNG.standard_normal((2, 3))).astype(np.complex64)

    def f(z, x):
        t = lnp.concatenate([z.T, z.T[::-1]], axis=0)[1:4]    # moved natively
        return t * t + x.T, lnp.where(x.T > 0.5, t, 0)

    x = X.astype(np.float32)
    out = native(f, z, x)
    t = np.concatenate([z.T, z.T[::-1]], axis=0)[1:4]
    close(out[0], t * t + x.T, rtol=1e-6)
    close(out[1], np.where(x.T > 0.5, t, 0), rtol=1e-6)
    assert out[0].dtype == np.complex64


def test_float16_and_bool():
    def f(x, m):
        h = (x * 3.0).astype(np.float16)
        return (h * h).astype(np.float32), lnp.argsort(m, stable=True), lnp.sort(m)

    m = np.array([True, False, True, False])
    h, idx, s = native(f, X, m)
    hx = (X * 3).astype(np.float16)
    close(h, (hx * hx).astype(np.float32), rtol=1e-3)
    np.testing.assert_array_equal(idx, np.argsort(m, stable=True))
    np.testing.assert_array_equal(s, np.sort(m))


def test_special_functions():
    def f(x):
        return lss.erfc(x) + lss.gammaln(x + 1.0) * lss.digamma(x) + lnp.sin(lss.ndtri(x))

    close(native(f, X), ss.erfc(X) + ss.gammaln(X + 1) * ss.digamma(X) + np.sin(ss.ndtri(X)))


# ---------------------------------------------------------------- loops, calls, transforms


def test_in_fori_loop_one_callback_per_step():
    def f(a, x):
        return lt.fori_loop(0, 7, lambda i, c: 0.5 * c + lnp.linalg.solve(a, c)
                            + 1e-3 * lnp.linalg.eigh(a * c[0])[0], x)

    out = native(f, SPD, B, calls=7)            # eigh by callback, solve native
    c = B
    for _ in range(7):
        c = 0.5 * c + np.linalg.solve(SPD, c) + 1e-3 * np.linalg.eigh(SPD * c[0])[0]
    close(out, c)


def test_in_scan_with_complex_carry():
    def f(x):
        def step(c, xi):
            c = c * lnp.exp(1j * xi)
            return c, lnp.abs(lnp.fft.fft(c * xi))
        return lt.scan(step, lnp.ones(3, dtype=np.complex128), x)

    carry, ys = native(f, X)
    c, ref = np.ones(3, complex), []
    for xi in X:
        c = c * np.exp(1j * xi)
        ref.append(np.abs(np.fft.fft(c * xi)))
    close(carry, c)
    close(ys, np.stack(ref))


def test_in_fn_called_from_a_loop():
    @lt.fn
    def step(a, c):
        ch = lnp.linalg.cholesky(a + lnp.outer(c, c))
        return lnp.linalg.solve_triangular(ch, c, lower=True) + lnp.linalg.svd(
            ch, compute_uv=False)

    def f(a, x):
        return lt.fori_loop(0, 3, lambda i, c: step(a, c) + 0.1, x)

    out = native(f, SPD, B, calls=3)
    c = B
    for _ in range(3):
        ch = np.linalg.cholesky(SPD + np.outer(c, c))
        c = np.linalg.solve(ch, c) + np.linalg.svd(ch, compute_uv=False) + 0.1
    close(out, c)


def test_grad_and_vmap():
    def f(a, b):
        x = lnp.linalg.solve(a, b)
        w, v = lnp.linalg.eigh(a)
        return lnp.sum(x * x) + lnp.sum(w * lnp.abs(v[0])) + lnp.log(lnp.linalg.det(a))

    def jf(a, b):
        x = jnp.linalg.solve(a, b)
        w, v = jnp.linalg.eigh(a)
        return jnp.sum(x * x) + jnp.sum(w * jnp.abs(v[0])) + jnp.log(jnp.linalg.det(a))

    ga, gb = native(lt.grad(f, (0, 1)), SPD, B)
    ja, jb = jax.grad(jf, (0, 1))(SPD, B)
    close(ga, ja, rtol=1e-8, atol=1e-9)
    close(gb, jb, rtol=1e-8, atol=1e-9)
    m = RNG.standard_normal((4, 3, 3))
    spds = m @ np.swapaxes(m, 1, 2) + 3 * np.eye(3)
    close(native(lt.vmap(lambda a: f(a, B)), spds), jax.vmap(lambda a: jf(a, B))(spds))
    close(native(lt.grad(lambda x: lnp.sum(lss.erfc(x) ** 2)), X),
          -4 / np.sqrt(np.pi) * ss.erfc(X) * np.exp(-X ** 2))


def test_tiered_up_code_calls_back_too():
    f = lambda a, x: lt.fori_loop(0, 4, lambda i, c: lnp.fft.ifft(  # noqa: E731
        lnp.fft.fft(c) * a).real, x)
    exe = nat.NativeBackend().compile(lt.make_program(f)(B, B))
    ref = lt.jit(f, backend="interpret")(B, B)
    close(exe([B, B])[0], ref)
    nat.wait_for_tier_up(start=True)
    assert exe.opt == 2
    before = cb.calls["fft"]
    close(exe([B, B])[0], ref)
    assert cb.calls["fft"] - before == 8


# ---------------------------------------------------------------- errors, fallbacks


def test_errors_propagate_as_the_original_exception():
    f = lt.jit(lambda a, b: lnp.linalg.solve(a, b) + 1.0, backend="native")
    b = np.ones(20)
    with pytest.raises(np.linalg.LinAlgError, match="Singular"):
        f(np.zeros((20, 20)), b)
    close(f(np.eye(20) * 2, b), b / 2 + 1)            # still usable

    calls = {"n": 0}

    big = np.kron(SPD, np.eye(7))       # 21x21: cholesky by callback

    @lt.fn
    def step(a, c):
        return lnp.linalg.cholesky(a - c[0] * lnp.eye(21))[:, 0]

    def g(a, x):
        return lt.fori_loop(0, 50, lambda i, c: c + step(a, c) * 0.0 + 1.0, x)

    before = sum(cb.calls.values())
    h = lt.jit(g, backend="native")
    with pytest.raises(np.linalg.LinAlgError):   # a - c0 I stops being positive definite
        h(big, np.zeros(21))
    calls["n"] = sum(cb.calls.values()) - before
    assert 1 < calls["n"] < 50
    with pytest.raises(np.linalg.LinAlgError):
        lt.jit(g, backend="interpret")(big, np.zeros(21))


def test_callback_sites_of_called_functions_stay_alive(monkeypatch, fresh_native_cache):
    """A shared function's code holds its callback sites by address: they must live as long
    as the code (a freed site was called once the emitter was collected: a crash in CI). An
    empty disk cache: a program noted hot by an earlier run emits a whole module to look
    up first, whose sites die with it when its object is not there."""
    import gc
    import weakref

    sites: list = []
    make = cb.make_site

    def recording(eqn):
        site = make(eqn)
        sites.append(weakref.ref(site))
        return site
    monkeypatch.setattr(cb, "make_site", recording)

    @lt.fn
    def inner(a, c):
        return lnp.linalg.eigh(a + c[0] * lnp.eye(3))[0]

    def g(a, x):
        return lt.fori_loop(0, 3, lambda i, c: c + inner(a, c) * 0.01, x)

    h = lt.jit(g, backend="native")
    x = np.array([0.5, 0.25, 0.125])
    first = h(SPD, x)
    gc.collect(1)
    junk = [(lambda k=k: k) for k in range(20000)]      # reuse freed memory, if any
    assert sites and all(r() is not None for r in sites)
    before = cb.calls["eigh"]
    close(h(SPD, x), first)
    close(first, lt.jit(g, backend="interpret")(SPD, x))
    assert cb.calls["eigh"] - before == 3
    del junk


def test_debug_print_runs_per_iteration(capsys):
    def f(x):
        def body(i, c):
            lt.debug_print("step {} {}", i, c)
            return c * 2.0
        return lt.fori_loop(0, 3, body, x)

    assert float(native(f, np.array(1.0), calls=3)) == 8.0
    out = capsys.readouterr().out        # native run, then the interpreter's
    assert out.count("step 0 1.0") == 2 and out.count("step 2 4.0") == 2


def test_debug_print_before_a_failed_check_prints_once(capsys):
    def f(x, i):
        lt.debug_print("before {}", x[0])
        return lnp.take(x, i)

    g = lt.jit(f, backend="native")
    assert float(g(np.arange(3.0), 1)) == 1.0
    capsys.readouterr()
    with pytest.raises(IndexError, match="out of bounds"):
        g(np.arange(3.0), 7)     # the kernel's check fails; the interpreter raises NumPy's
    assert capsys.readouterr().out.count("before 0.0") == 1


def test_callback_programs_no_longer_fall_back():
    f = lambda m: lnp.linalg.eigh(m)[1].sum() * 2.0  # noqa: E731
    before = len(nat.fallbacks)
    exe = nat.NativeBackend().compile(lt.make_program(f)(SPD))
    assert isinstance(exe, nat.NativeExecutable) and len(nat.fallbacks) == before
    assert cb.compiled[-1][1] == "eigh"


def test_callbacks_can_be_turned_off(monkeypatch):
    monkeypatch.setattr(cb, "ENABLED", False)
    f = lambda m: lnp.linalg.eigh(m)[0] * 2.0  # noqa: E731
    close(lt.jit(f, backend="native")(SPD), np.linalg.eigh(SPD)[0] * 2)
    assert "eigh" in nat.fallbacks[-1][1] and "CALLBACKS" in nat.fallbacks[-1][1]


def test_function_values_still_fall_back():
    F = lt.jit(lambda f, x: f(x).sum(), backend="native")
    close(F(lf.function(lnp.sin), 0.3), np.sin(0.3))
    assert "not an array" in nat.fallbacks[-1][1]


def test_declined_elementwise_rules_call_back():
    i = np.arange(5)
    out = native(lambda i, j: i ** j + i, i, i[::-1].copy())      # integer pow: no rule
    np.testing.assert_array_equal(out, i ** i[::-1] + i)
    before = sum(cb.calls.values())
    x = np.array([1.7, -2.5, 3.0, 250.9])                          # in range: native
    np.testing.assert_array_equal(lt.jit(lambda x: x.astype(np.int32) * 2, backend="native")(x),
                                  x.astype(np.int32) * 2)
    assert sum(cb.calls.values()) == before


# the primitives without a native lowering: each runs by host callback (the README's list);
# the function-valued ones (fn_*) cannot be passed to native code at all
CALLED_BACK = [
    "argpartition", "argsort", "bessel_dv", "beta", "betainc", "betainc_d", "betaln", "binom",
    "cbrt", "ci", "complex", "conj", "custom_lin", "dawsn", "debug_print", "digamma", "eig",
    "eigh", "ellipe", "ellipk", "ellipkm1", "entr", "erfc", "erfcinv", "erfcx", "erfi", "erfinv",
    "exp1", "expi", "expm", "expm_frechet", "expn", "exprel", "fft", "fresnel_c", "fresnel_s",
    "gamma", "gammainc", "gammainc_da", "gammaincc", "gammainccinv", "gammaincinv", "gammaln",
    "gammasgn", "hyp1f1", "hyp2f1", "i0", "i0e", "i1", "i1e", "imag", "index_winners", "iv",
    "ive", "j0", "j1", "jn", "jv", "k0", "k0e", "k1", "k1e", "kn", "kv", "kve", "log_expit",
    "log_ndtr", "logit", "lu", "lu_pivots_to_permutation", "ndtr", "ndtri", "owens_t", "pinv",
    "poch", "polygamma", "qr", "real", "rgamma", "si", "spence", "sph_harm_y", "spherical_jn",
    "spherical_jn_d", "spherical_yn", "spherical_yn_d", "sqrtm", "stdtr", "svd", "sylvester",
    "voigt_profile", "wofz", "xlog1py", "xlogy", "y0", "y1", "yn", "yv", "zeta"]


def test_every_primitive_lowers_or_calls_back():
    # less the primitives that tests make when run in one process
    missing = sorted(p.name for p in registry.values() if not nat.has_lowering(p)
                     and not p.name.startswith(("test_", "bench_")))
    assert [m for m in missing if not m.startswith("fn_")] == CALLED_BACK


def test_callbacks_from_threads():
    f = lt.jit(lambda a, x: lt.fori_loop(0, 20, lambda i, c: 0.5 * c + 1e-3 * lnp.linalg.eigh(
        a * c[0])[0], x), backend="native")
    want = lt.jit(f, backend="interpret")(SPD, B)
    threads_out: list = []
    ts = [threading.Thread(target=lambda: threads_out.append(f(SPD, B))) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(threads_out) == 4
    for out in threads_out:
        close(out, want)


def test_cached_object_code_calls_back_in_a_new_process(tmp_path):
    code = textwrap.dedent("""
        import numpy as np, lintra as lt, lintra.numpy as lnp
        from lintra.backends.native import stats, callback
        f = lambda x: lnp.sum(lnp.abs(lnp.fft.fft(lnp.sin(x))))
        print(float(lt.jit(f, backend="native")(np.arange(5.0))), callback.calls["fft"])
        print(stats["compiled"], stats["cache_hits"])
    """)
    env = {**os.environ, "PYTHONPATH": str(pathlib.Path(lt.__file__).parents[1]),
           "LINTRA_CACHE_DIR": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", code], env=env, check=True,
                           capture_output=True, text=True).stdout.split("\n")
            for _ in range(2)]
    want = np.sum(np.abs(np.fft.fft(np.sin(np.arange(5.0)))))
    for out in runs:
        value, calls = out[0].split()
        close(float(value), want)
        assert calls == "1"
    assert runs[0][1] == "1 0" and runs[1][1] == "0 1"
