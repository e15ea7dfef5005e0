"""The native backend (LLVM via llvmlite) against the interpreter: every primitive family and
transformation gives the interpreter's values (NaN/inf included), programs it cannot lower
fall back to the interpreter, its entry checks arguments, compiled objects are reused from
the disk cache by a second process, and lintra works with llvmlite blocked."""

import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import lintra as lt
import lintra.functional as lf
import lintra.numpy as lnp
from lintra.backends import get_backend
from lintra.backends import native as nat
from lintra.core import config

pytestmark = pytest.mark.skipif(not nat.available, reason="llvmlite is not installed")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))
Y = RNG.standard_normal((3, 4))
V = RNG.standard_normal(4)
P = RNG.uniform(0.1, 0.9, (3, 4))
I = np.array([2, 0, 1, 2])


def both(f, *args, **kw):
    """f jitted on each backend; natively compiled without falling back; equal values."""
    before = len(nat.fallbacks)
    nat_out = lt.jit(f, backend="native", **kw)(*args)
    assert len(nat.fallbacks) == before, list(nat.fallbacks)[before:]
    ref = lt.jit(f, backend="interpret", **kw)(*args)
    for a, b in zip(lt.tree_leaves(nat_out), lt.tree_leaves(ref)):
        assert np.shape(a) == np.shape(b) and np.asarray(a).dtype == np.asarray(b).dtype
        b = np.asarray(b)
        if b.dtype == np.float32:       # libm vs NumPy's SIMD; products summed in other orders
            finite = np.abs(b[np.isfinite(b)])
            scale = float(finite.max()) if finite.size else 1.0
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * scale, equal_nan=True)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14, equal_nan=True)
    return nat_out


UNARY = ["exp", "expm1", "log", "log1p", "sqrt", "sin", "cos", "tan", "arcsin", "arccos",
         "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "abs", "sign",
         "floor", "ceil", "round", "negative"]


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_unary(name, dtype):
    f = getattr(lnp, name)
    x = np.concatenate([X.ravel(), P.ravel() * 5, [0.0, -0.0, np.inf, -np.inf, np.nan, 2.5,
                                                   -2.5, 0.5, 1.5]]).astype(dtype)
    with np.errstate(all="ignore"):
        both(f, x)


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "maximum",
                                  "minimum", "power", "arctan2", "remainder"])
def test_binary_with_broadcasting(name):
    f = getattr(lnp, name)
    y = np.array([0.0, np.nan, np.inf, -2.0])
    with np.errstate(all="ignore"):
        both(f, X, V)
        both(f, V, y)
        both(lambda a: f(a, 2.0), X)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_and_boolean(dtype):
    a = np.array([5, -3, 0, 7, 2, -8]).astype(dtype)
    b = np.array([2, 3, 0, -7, 5, 1]).astype(dtype)

    def f(a, b):
        out = [a + b, a * b, a == b, a < b, lnp.maximum(a, b), lnp.where(a > b, a, b),
               a.astype(np.float64), lnp.sum(a)]
        if dtype != "bool":
            out += [a - b, a % b, lnp.abs(a), a & b, a | b, a ^ b]
        return out
    with np.errstate(all="ignore"):
        both(f, a, b)


def test_conversions_nan_and_inf():
    x = np.array([1.7, -1.7, 0.0, np.nan, np.inf, 3e9])
    with np.errstate(all="ignore"):
        both(lambda x: [x.astype(np.float32), x != 0, x.astype(bool),
                        lnp.log(x - 2), 1.0 / (x - 1.7), lnp.sqrt(x - 2)], x)


def test_reductions_and_shapes():
    def f(x, v):
        return [lnp.sum(x), lnp.sum(x, axis=0), lnp.prod(x, axis=1), lnp.max(x, axis=1),
                lnp.min(x), lnp.argmax(x, axis=1), lnp.argmin(x, axis=0), lnp.cumsum(x, 1),
                lnp.cumprod(v), x.T, x.reshape(4, 3), x[1:, ::2], x[::-1], lnp.flip(x, 1),
                lnp.concatenate([x, x * 2], axis=1), lnp.pad(x, ((1, 2), (0, 1))),
                lnp.broadcast_to(v, (3, 4)) * x, lnp.stack([v, v]), lnp.mean(x, axis=0)]
    both(f, X, V)


def test_nan_in_extrema():
    x = np.array([[1.0, np.nan, 3.0], [2.0, 0.0, -1.0]])
    both(lambda x: [lnp.max(x, axis=1), lnp.argmax(x, axis=1), lnp.min(x), lnp.maximum(x, 1.0)],
         x)


def test_indexing_and_scatter():
    def f(x, i):
        y = x[i] * 2.0 + x[:, i].sum()
        z = x.at[i, 1].add(1.0)
        w = x.at[0].set(5.0)
        return y, z, w
    both(f, X, I[:3])
    both(lt.grad(lambda x: lnp.sum(lnp.sin(x[I]) * x[I[::-1]])), V)


def test_dot_general():
    a, b = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 4, 5))
    both(lambda x, y: [x @ y, lnp.einsum("bij,bjk->bik", x, y), lnp.dot(x[0], y[1]),
                       lnp.tensordot(x, y, axes=([0, 2], [0, 1]))], a, b)


@pytest.mark.parametrize("shapes", [((25, 300, 10), (25, 10, 10)), ((3, 7, 16), (3, 16, 2)),
                                    ((4, 5, 0), (4, 0, 3)), ((0, 5, 3), (0, 3, 4)),
                                    ((9,), (9, 6)), ((6, 1), (1, 16))])
def test_products_with_short_rows_are_vector_rows(shapes):
    """Thin products (y's free axis and the contraction at most 16 long: GMM's batched
    (K, N, D) @ (K, D, D)) are emitted as vector rows; y transposed, fused into the
    product or a sum of them, gradients included, against NumPy and the interpreter."""
    xs, ys = shapes
    a, b = RNG.standard_normal(xs), RNG.standard_normal(ys)
    bt = np.swapaxes(b, -1, -2).copy()
    f = lambda x, y, yt: [x @ y, x @ lnp.swapaxes(yt, -1, -2), x @ (y * 2.0 + 1.0),  # noqa: E731
                          lnp.exp(x) @ y]
    before = len(nat.fallbacks)
    outs = lt.jit(f, backend="native")(a, b, bt)
    assert len(nat.fallbacks) == before
    refs = lt.jit(f, backend="interpret")(a, b, bt)
    wants = [a @ b, a @ b, a @ (b * 2.0 + 1.0), np.exp(a) @ b]
    for got, ref, want in zip(outs, refs, wants):   # sums of products in another order
        scale = float(np.abs(want).max()) if want.size else 1.0
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13 * scale)
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-13 * scale)
    loss = lambda x, y: lnp.sum(lnp.sin(x @ y) * (x @ y))  # noqa: E731
    grads = lt.jit(lt.grad(loss, (0, 1)), backend="native")(a, b)
    for got, ref in zip(grads, lt.jit(lt.grad(loss, (0, 1)), backend="interpret")(a, b)):
        scale = float(np.abs(ref).max()) if ref.size else 1.0
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12 * scale)
    n = ys[-1]
    if n >= 2 and xs[-1] <= 16:
        _, text = nat.backend._whole(lt.make_program(lambda x, y: x @ y)(a, b))
        assert f"<{n} x double>" in text


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_large_products_call_blas(dtype):
    a = RNG.standard_normal((48, 64)).astype(dtype)
    b = RNG.standard_normal((40, 48)).astype(dtype)
    both(lambda a, b: [a.T @ b.T, (a.T @ b.T).T @ a.T,
                       lnp.tensordot(a.reshape(4, 12, 64), a.T, ([2], [0])) * 2.0], a, b)


def scalar_loop(x):
    def body(i, s):
        return s + lnp.sin(x[i]) * lnp.cos(x[i + 1])
    return lt.fori_loop(0, x.shape[0] - 1, body, 0.0)


def test_control_flow():
    x = RNG.standard_normal(50)
    both(scalar_loop, x)
    both(lt.grad(scalar_loop), x)
    both(lambda x: lt.scan(lambda c, xi: (c * 0.9 + xi, c * xi), 0.0, x), x)
    both(lambda x: lt.scan(lambda c, xi: (c + xi, lnp.sin(c)), lnp.zeros(3),
                           x.reshape(-1, 5, 2)[:, :3, 0]), x)
    both(lambda x: lt.scan(lambda c, xi: (c + xi, c), 0.0, x, reverse=True), x)
    both(lambda x: lt.while_loop(lambda c: c[0] < 10.0, lambda c: (c[0] + lnp.abs(c[1]) + 0.5,
                                                                   c[1] * 0.5), (x[0], x[1])), x)
    both(lambda x, k: lt.switch(k, [lambda v: v * 2.0, lambda v: lnp.sin(v), lambda v: -v], x),
         x, 1)
    both(lambda x: lt.cond(x[0] > 0, lambda v: v.sum(), lambda v: v.prod(), x), x)


def test_transformations():
    f = lambda x: lnp.sum(lnp.tanh(x @ x.T) * lnp.exp(-x[:, :3] ** 2).sum())  # noqa: E731
    both(lt.grad(f), X)
    both(lambda x, t: lt.vjp(f, x)[1](t), X, 1.5)
    both(lt.hessian(lambda v: lnp.sum(lnp.sin(v) * v[::-1])), V)
    both(lt.vmap(lt.grad(lambda v: lnp.sum(lnp.sin(v) ** 2))), X)
    both(lt.grad(lt.checkpoint(lambda v: lnp.sum(lnp.cos(lnp.sin(v))))), V)
    both(lt.jacfwd(lambda v: lnp.cumsum(lnp.sin(v))), V)
    both(lt.grad(lambda x: lt.scan(lambda c, xi: (lnp.sin(c) * xi, c), 1.0, x)[0]), V)


def test_custom_rules_and_nested_fn():
    @lt.custom_jvp
    def sq(x):
        return x * x
    sq.defjvp(lambda p, t: (p[0] * p[0], 2.0 * p[0] * t[0]))

    @lt.custom_vjp
    def cube(x):
        return x ** 3
    cube.defvjp(lambda x: (x ** 3, x), lambda r, g: (3.0 * r * r * g,))

    @lt.fn
    def inner(a, b):
        return lnp.sin(a) * b

    @lt.fn
    def outer(a):
        return inner(a, 2.0) + inner(a * 0.5, a)

    g = lambda v: lnp.sum(sq(v) + cube(v) + outer(v))  # noqa: E731
    both(g, V)
    both(lt.grad(g), V)
    both(lt.grad(lambda x: lt.fori_loop(0, 3, lambda i, c: outer(c), x).sum()), V)


def test_entry_checks_arguments():
    prog = lt.make_program(lambda x, y: x * y)(np.ones(3), np.ones(3))
    exe = nat.compile_native(prog)
    out = exe.entry(np.arange(3.0), np.ones(3) * 2)
    np.testing.assert_array_equal(out[0], [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(exe.entry(np.arange(6.0)[::2], [1.0, 1.0, 1.0] and
                                            np.ones(3))[0], [0.0, 2.0, 4.0])
    with pytest.raises(TypeError, match="argument 1 must be a float64\\[3\\]"):
        exe.entry(np.ones(3), np.ones(3, np.float32))
    with pytest.raises(TypeError, match="argument 0 must be a float64\\[3\\]"):
        exe.entry(np.ones(4), np.ones(3))
    with pytest.raises(TypeError, match="takes 2 arguments"):
        exe.entry(np.ones(3))
    with pytest.raises(TypeError, match="argument 0"):
        exe.entry("x", np.ones(3))


def test_out_of_bounds_index_raises_like_the_interpreter():
    f = lt.jit(lambda x, i: x[i], backend="native")
    assert float(f(V, np.array(1))) == V[1]
    with pytest.raises(IndexError):
        f(V, np.array(7))


def _warm(f, *args):
    """Past the tier-up start: ``jit``'s calls then go through the strict entry first."""
    for _ in range(nat.backend.HOT_CALLS + 1):
        f(*args)
    nat.wait_for_tier_up()


def test_quick_path_retraces_for_other_types():
    """A jitted function settles on one executable's strict entry; arguments of any other
    type, shape, dtype or kind (Python scalars, 0-d arrays, non-contiguous views) still get
    the program traced for them, and alternating types give each its own result."""
    f = lt.jit(lambda x, y: x * y + 1, backend="native")
    a, b = np.arange(3.0), np.full(3, 2.0)
    _warm(f, a, b)
    quick = _quick_of(f)
    assert quick.exe is not None
    np.testing.assert_array_equal(f(a, b), [1.0, 3.0, 5.0])
    r32 = f(a.astype(np.float32), np.float32(2.0))
    assert r32.dtype == np.float32 and list(r32) == [1.0, 3.0, 5.0]
    weak = f(a.astype(np.float32), 2.0)                 # a Python float stays weak
    assert weak.dtype == np.float32
    assert f(np.array(2.0), np.array(3.0)).shape == ()
    np.testing.assert_array_equal(f(np.arange(6.0)[::2], b), [1.0, 5.0, 9.0])
    for k in range(12):                                 # alternating shapes
        n = 3 if k % 2 else 4
        np.testing.assert_array_equal(f(np.arange(float(n)), np.ones(n)), np.arange(n) + 1.0)
    for _ in range(nat.backend.HOT_CALLS + 6):          # a new steady type takes the place
        np.testing.assert_array_equal(f(np.ones(5), np.ones(5)), np.full(5, 2.0))
    nat.wait_for_tier_up()
    np.testing.assert_array_equal(f(np.ones(5), np.ones(5)), np.full(5, 2.0))
    assert quick.exe.program.in_avals[0].shape == (5,)
    np.testing.assert_array_equal(f(a, b), [1.0, 3.0, 5.0])


def test_quick_path_results_are_fresh_and_checks_still_run():
    ident = lt.jit(lambda x: x, backend="native")
    x = np.arange(4.0)
    _warm(ident, x)
    out = ident(x)
    out[0] = 99.0                                       # the caller's own array
    assert x[0] == 0.0 and ident(x)[0] == 0.0
    take = lt.jit(lambda x, i: x[i], backend="native")
    _warm(take, V, np.array(1))
    assert float(take(V, np.array(2))) == V[2]
    with pytest.raises(IndexError):
        take(V, np.array(7))


def _quick_of(f):
    return next(c.cell_contents for c in f.__closure__
                if type(c.cell_contents).__name__ == "_Quick")


def test_quick_path_follows_the_default_backend():
    g = lt.jit(lambda x: x + 1)
    x = np.arange(4.0)
    _warm(g, x)
    quick = _quick_of(g)
    assert quick.exe is not None

    def boom(*args):
        raise AssertionError("the native entry ran")
    quick.exe.strict = boom
    prev = config.default_backend                       # read per call
    try:
        config.default_backend = "interpret"
        np.testing.assert_array_equal(g(x), x + 1)
    finally:
        config.default_backend = prev
    with pytest.raises(AssertionError, match="native entry ran"):
        g(x)


def test_programs_over_large_arrays_start_vectorized(monkeypatch, tmp_path):
    """A small program over 2^19 elements starts at O1 (vectorized), over 1000 at O0; both
    tier up to O2 once hot, and every level computes the same values."""
    monkeypatch.setenv("LINTRA_CACHE_DIR", str(tmp_path))
    f = lambda x: lnp.sum(lnp.sin(x[:-1]) * lnp.cos(x[1:]))  # noqa: E731
    for n, first in [(1 << 19, 1), (1000, 0)]:
        x = RNG.standard_normal(n)
        want = np.cos(x[:-1]) * np.cos(x[1:])
        want = np.append(want, 0.0) - np.append(0.0, np.sin(x[:-1]) * np.sin(x[1:]))
        exe = nat.compile_native(lt.make_program(lt.grad(f))(x))
        assert exe.opt == first
        np.testing.assert_allclose(exe([x])[0], want, rtol=1e-12, atol=1e-12)
        exe.start_tier_up()
        nat.wait_for_tier_up()
        assert exe.opt == 2
        np.testing.assert_allclose(exe([x])[0], want, rtol=1e-12, atol=1e-12)


def test_unlowerable_programs_run_on_the_interpreter():
    # primitives without a native lowering (cholesky, ...) call back into Python from native
    # code (test_native_callback.py); values that are not arrays cannot be passed to native
    # code at all: such a program runs on the interpreter
    f = lambda g, x: g(x).sum() * 2.0  # noqa: E731
    out = lt.jit(f, backend="native")(lf.function(lnp.sin), V)
    assert np.isclose(out, np.sin(V).sum() * 2)
    assert "not an array" in nat.fallbacks[-1][1]


def test_very_long_straight_line_programs_are_interpreted(monkeypatch):
    monkeypatch.setattr(nat.backend, "MAX_EQNS", 5)
    f = lt.jit(lambda x: lnp.sin(x) * 2.0 + lnp.cos(x) * x - 1.0, backend="native")
    np.testing.assert_allclose(f(V), np.sin(V) * 2 + np.cos(V) * V - 1)
    assert "equations" in nat.fallbacks[-1][1]


def _run(code: str, env: dict) -> str:
    src = pathlib.Path(lt.__file__).parents[1]
    env = {**os.environ, "PYTHONPATH": str(src), **env}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, check=True,
                          capture_output=True, text=True).stdout


def test_disk_cache_is_reused_by_a_second_process(tmp_path):
    code = """
        import numpy as np, lintra as lt, lintra.numpy as lnp
        from lintra.backends.native import stats
        print(lt.jit(lambda x: lnp.sum(lnp.sin(x) ** 2), backend="native")(np.ones(7)))
        print(stats["compiled"], stats["cache_hits"])
    """
    env = {"LINTRA_CACHE_DIR": str(tmp_path)}
    first = _run(code, env).split("\n")
    second = _run(code, env).split("\n")
    assert first[0] == second[0]
    assert first[1] == "1 0" and second[1] == "0 1"
    assert list(tmp_path.glob("*.o"))


def test_code_and_data_of_an_object_stay_within_reach(tmp_path):
    """In a fragmented address space (a long test run: thousands of objects, GBs of arrays)
    an object's code and its constants must stay within 32-bit PC-relative reach. With
    RuntimeDyld, whose memory manager maps code and data separately, this layout put them
    3 GiB apart (an LLVM assertion aborted the process, as it did once in CI); JITLink keeps
    an object in one block."""
    code = """
        import ctypes, mmap
        import numpy as np
        libc = ctypes.CDLL(None)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                              ctypes.c_int, ctypes.c_long]
        libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        gap, hole = 3 << 30, 16 * 4096
        for _ in range(64):       # 3 GiB reserved (no memory), a 16-page hole above each
            p = libc.mmap(None, gap + hole, 0, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | 0x4000,
                          -1, 0)
            libc.munmap(p + gap, hole)
        import lintra as lt, lintra.numpy as lnp
        x = np.linspace(0.0, 1.0, 37)
        for k in range(40):
            c = 1.0 + k / 7.0
            f = lt.jit(lambda x, c=c: lnp.sin(x) * c + 0.3125 * x - c, backend="native")
            np.testing.assert_allclose(f(x), np.sin(x) * c + 0.3125 * x - c, rtol=1e-14)
        print("ok")
    """
    assert _run(code, {"LINTRA_CACHE_DIR": str(tmp_path)}).strip() == "ok"


def test_without_llvmlite_jit_interprets():
    code = """
        import sys
        sys.modules["llvmlite"] = None
        import numpy as np, lintra as lt, lintra.numpy as lnp
        from lintra.core import config
        print(config.default_backend)
        print(config.backend_note)
        print(lt.jit(lt.grad(lambda x: lnp.sum(lnp.sin(x))), backend="native")(np.zeros(2)))
    """
    out = _run(code, {"LINTRA_BACKEND": ""}).split("\n")
    assert out[0] == "interpret"
    assert "llvmlite" in out[1]
    assert out[2] == "[1. 1.]"


def test_native_is_the_default_backend():
    if os.environ.get("LINTRA_BACKEND"):
        pytest.skip("LINTRA_BACKEND chooses the default")
    assert config.default_backend == "native" and config.backend_note == ""
    assert get_backend().name == "native"
