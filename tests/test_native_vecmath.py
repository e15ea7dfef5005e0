"""Vectorized loops of the native backend: elementwise math through libmvec (x86-64 + AVX2)
or scalar libm (forced here through ``vecmath.enabled`` and a library that does not load),
and reductions (sum, max, min, dot) vectorized by LLVM. Every case runs the O2 code (where
the loop vectorizer runs) at lengths that leave every possible remainder, in float32 and
float64, against NumPy: within a few ulp for math, to rounding for sums (NumPy's sum is
pairwise, the native one keeps several partial sums), exactly for max/min (NaN included)."""

import re

import numpy as np
import pytest
import scipy.special

import lintra as lt
import lintra.numpy as lnp
import lintra.scipy.special as lsp
from lintra.backends import native as nat
from lintra.jit import make_program

pytestmark = pytest.mark.skipif(not nat.available, reason="llvmlite is not installed")

if nat.available:
    from lintra.backends.native import backend, engine, vecmath
    from lintra.backends.native.entry import emit_entry
    from lintra.backends.native.module import ModuleEmitter

LENGTHS = [0, 1, 3, 4, 5, 7, 8, 9, 17, 1000]
DTYPES = ["float64", "float32"]
RTOL = {"float64": 1e-13, "float32": 4e-6}

# lintra.numpy name -> (libm name, input maker)
TINY = {"float64": [5e-324, -5e-324, 1e-310, -2.2e-308], "float32": [1e-45, -1e-45, 1e-39]}
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan]


def _mixed(lo, hi, big=()):
    def make(n, dtype, rng):
        base = rng.uniform(lo, hi, n)
        extra = list(SPECIAL) + TINY[dtype] + list(big)
        base[:min(n, len(extra))] = extra[:n]      # specials land in the vector and tail
        with np.errstate(over="ignore"):        # 1e300 as float32 is inf
            return rng.permutation(base).astype(dtype)
    return make


UNARY = {
    "sin": _mixed(-10, 10, [1e22, -1e300, 3e5, 710.0]),
    "cos": _mixed(-10, 10, [1e22, -1e300, 3e5, 710.0]),
    "tan": _mixed(-1.5, 1.5, [1e22, 1e10, -3e5]),
    "exp": _mixed(-50, 50, [709.0, 710.0, -745.0, -1000.0, 88.0, -103.0]),
    "expm1": _mixed(-20, 20, [1e-20, -1e-20, 709.0, 710.0, -800.0]),
    "log": _mixed(1e-3, 1e3, [1e300, 1e-300, -1.0, 1.0]),
    "log1p": _mixed(-0.99, 10, [1e-20, -1.0, -2.0, 1e300]),
    "arcsin": _mixed(-1, 1, [1.0, -1.0, 1.5]),
    "arccos": _mixed(-1, 1, [1.0, -1.0, -1.5]),
    "arctan": _mixed(-20, 20, [1e300, -1e300, 1e-300]),
    "sinh": _mixed(-20, 20, [710.0, -711.0, 1e-20, 89.0]),
    "cosh": _mixed(-20, 20, [710.0, -711.0, 89.0]),
    "tanh": _mixed(-20, 20, [1e-20, 30.0, -30.0, 1e300]),
    "arcsinh": _mixed(-20, 20, [1e300, -1e300, 1e-20]),
    "arccosh": _mixed(1, 30, [1.0, 1e300, 0.5]),
    "arctanh": _mixed(-0.99, 0.99, [1.0, -1.0, 1e-20, 2.0]),
}


@pytest.fixture(autouse=True)
def o2(monkeypatch, tmp_path):
    """Compile at O2 before the first call (the vectorizer runs at O2), into a fresh cache."""
    monkeypatch.setattr(backend, "TIER_UP", False)
    monkeypatch.setenv("LINTRA_CACHE_DIR", str(tmp_path))


def native(f, *args):
    """f compiled natively at O2 and run; fails if the program would be interpreted."""
    exe = nat.compile_native(make_program(f)(*args))
    assert exe.opt == 2
    return [np.asarray(o) for o in exe(list(args))]


def optimized_ir(f, *args) -> str:
    """The program's IR after LLVM's O2 pipeline (what the loop vectorizer made of it)."""
    program = make_program(f)(*args)
    mod = ModuleEmitter(program.name)
    emit_entry(mod, program, mod.kernel(program), {})
    vecmath.finish(mod.module)
    return engine.optimized_ir(str(mod.module), 2)


def called(ir_text: str) -> set:
    return set(re.findall(r"call [^@]*@\"?([\w.]+)", ir_text))


def close(got, want, dtype, rtol=None):
    """Within ``rtol`` (a few ulp), NaN, infinities and signed zeros where NumPy has them."""
    rtol = RTOL[dtype] if rtol is None else rtol
    tiny = float(np.finfo(dtype).smallest_subnormal) * 8
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=rtol, atol=tiny, equal_nan=True)
    zero = want == 0
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]))


@pytest.fixture(params=["libmvec", "scalar"])
def mode(request, monkeypatch):
    if request.param == "libmvec":
        if not vecmath.active():
            pytest.skip(f"no libmvec here: {vecmath.status()}")
    else:
        monkeypatch.setattr(vecmath, "enabled", False)
    return request.param


# ---------------------------------------------------------------- elementwise math


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", DTYPES)
def test_unary_vs_numpy(name, dtype, mode):
    rng = np.random.default_rng(len(name))
    f = getattr(lnp, name)
    for n in LENGTHS:
        x = UNARY[name](n, dtype, rng)
        with np.errstate(all="ignore"):
            want = getattr(np, name)(x)
        (got,) = native(f, x)
        close(got, want, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_erf_pow_arctan2(dtype, mode):
    rng = np.random.default_rng(1)
    with np.errstate(over="ignore"):
        special = np.array(SPECIAL + [1e300, -1e-300, 2.0, 0.5, -3.0], dtype)
    for n in LENGTHS:
        x = _mixed(-4, 4, [6.0, -6.0])(n, dtype, rng)
        (got,) = native(lsp.erf, x)
        close(got, scipy.special.erf(x), dtype)
        b = rng.uniform(0.01, 5, n).astype(dtype)
        e = rng.uniform(-3, 3, n).astype(dtype)
        b[:min(n, special.size)] = np.abs(special[:n])
        e[-min(n, special.size):] = special[:min(n, special.size)]
        with np.errstate(all="ignore"):
            (got,) = native(lnp.power, b, e)
            close(got, np.power(b, e), dtype)
            (got,) = native(lnp.arctan2, x, e)
            close(got, np.arctan2(x, e), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_fused_chain_and_its_gradient(dtype, mode):
    def chain(x):
        return lnp.sin(x) * lnp.exp(-x * x) + lnp.log1p(x * x)

    rng = np.random.default_rng(2)
    for n in LENGTHS:
        x = rng.uniform(-3, 3, n).astype(dtype)
        (got,) = native(chain, x)
        with np.errstate(all="ignore"):
            want = np.sin(x) * np.exp(-x * x) + np.log1p(x * x)
        close(got, want, dtype, rtol=RTOL[dtype] * 10)
        g = lt.grad(lambda x: lnp.sum(chain(x)))
        (got,) = native(g, x)
        close(got, lt.jit(g, backend="interpret")(x), dtype, rtol=RTOL[dtype] * 10)


def test_ir_calls_libmvec_when_active():
    if not vecmath.active():
        pytest.skip(f"no libmvec here: {vecmath.status()}")
    x64, x32 = np.ones(100), np.ones(100, np.float32)
    calls = called(optimized_ir(lambda x: lnp.sin(x) * lnp.exp(x) + lnp.log1p(x), x64))
    assert {"_ZGVdN4v_sin", "_ZGVdN4v_exp", "_ZGVdN4v_log1p"} <= calls
    calls = called(optimized_ir(lambda x: lnp.cos(x) ** x, x32))
    assert {"_ZGVdN8v_cosf", "_ZGVdN8vv_powf"} <= calls


def test_disabled_flag_gives_scalar_calls(monkeypatch):
    monkeypatch.setattr(vecmath, "enabled", False)
    assert not vecmath.active() and "scalar libm" in vecmath.status()
    text = optimized_ir(lambda x: lnp.sin(x) + lnp.log1p(x), np.ones(100))
    assert "_ZGV" not in text and "log1p" in called(text)


def test_fallback_when_libmvec_does_not_load(monkeypatch):
    monkeypatch.setattr(vecmath, "LIBRARY", "lintra_no_such_library")
    assert not vecmath.active()
    assert "libintra_no_such_library not found" in vecmath.status() or \
        "scalar libm" in vecmath.status()
    x = np.linspace(-2, 2, 37)
    assert "_ZGV" not in optimized_ir(lnp.sin, x)
    (got,) = native(lambda x: lnp.sin(x) * lnp.exp(x), x)
    close(got, np.sin(x) * np.exp(x), "float64")


def test_fallback_without_avx2(monkeypatch):
    monkeypatch.setattr(vecmath, "_host_reason", lambda: "the CPU has no AVX2")
    assert not vecmath.active() and "no AVX2" in vecmath.status()
    assert "_ZGV" not in optimized_ir(lnp.exp, np.ones(9))


def test_env_var_turns_it_off():
    import subprocess
    import sys
    code = ("from lintra.backends.native import vecmath; "
            "print(vecmath.active(), vecmath.status())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**__import__("os").environ, vecmath.ENV: "0"}, check=True)
    assert out.stdout.startswith("False scalar libm")


# ---------------------------------------------------------------- reductions


def _with_nans(x, where):
    x = x.copy()
    for k in where:
        if x.size:
            x[k % x.size] = np.nan
    return x


@pytest.mark.parametrize("dtype", DTYPES)
def test_sum_dot_vectorized_within_rounding(dtype):
    rng = np.random.default_rng(3)
    for n in LENGTHS:
        x, y = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
        scale = float(np.sum(np.abs(x))) + 1.0
        eps = float(np.finfo(dtype).eps)
        (s,) = native(lnp.sum, x)
        assert s.dtype == x.dtype and abs(float(s) - float(np.sum(x))) <= 4 * eps * scale
        (d,) = native(lnp.dot, x, y)
        assert abs(float(d) - float(np.dot(x, y))) <= 4 * eps * (float(np.abs(x) @ np.abs(y))
                                                                + 1.0)
        m = rng.standard_normal((3, n)).astype(dtype)
        (mv,) = native(lambda m, y: m @ y, m, y)
        close(mv, m @ y, dtype, rtol=1e-12 if dtype == "float64" else 1e-4)
        (rows,) = native(lambda m: lnp.sum(m, axis=1), m)
        close(rows, np.sum(m, axis=1), dtype, rtol=1e-12 if dtype == "float64" else 1e-4)
    x = np.array([1.0, np.inf, 2.0, -1.0, 3.0], dtype)
    assert native(lnp.sum, x)[0] == np.inf
    assert np.isnan(native(lnp.sum, np.append(x, -np.inf).astype(dtype))[0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("red", ["max", "min"])
def test_max_min_exact_with_numpys_nans(dtype, red):
    rng = np.random.default_rng(4)
    f, ref = getattr(lnp, red), getattr(np, red)
    for n in LENGTHS[1:]:
        x = rng.standard_normal(n).astype(dtype)
        for nans in ([], [0], [n - 1], [n // 2], [3, 5]):
            v = _with_nans(x, nans)
            (got,) = native(f, v)
            want = ref(v)
            assert got.dtype == want.dtype
            assert (np.isnan(got) and np.isnan(want)) or got == want, (n, nans, got, want)
        inf = x.copy()
        inf[n // 2] = np.inf if red == "max" else -np.inf
        assert native(f, inf)[0] == ref(inf)
        m = rng.standard_normal((n, 3)).astype(dtype)
        m[n // 2, 1] = np.nan
        for axis in (0, 1):
            (got,) = native(lambda m, axis=axis: f(m, axis=axis), m)
            np.testing.assert_array_equal(got, ref(m, axis=axis))


@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_integer_reductions_exact(dtype):
    rng = np.random.default_rng(5)
    for n in LENGTHS[1:]:
        x = rng.integers(-1000, 1000, n).astype(dtype)
        for f, ref in ((lnp.sum, np.sum), (lnp.max, np.max), (lnp.min, np.min)):
            (got,) = native(f, x)
            assert got == ref(x) and got.dtype == ref(x).dtype


def test_reductions_are_vectorized():
    x = np.ones(1000)
    for f in (lnp.sum, lnp.max, lnp.min, lambda x: lnp.dot(x, x)):
        assert "<4 x double>" in optimized_ir(f, x) or "<8 x double>" in optimized_ir(f, x)


# ---------------------------------------------------------------- memory order, BLAS, literals


@pytest.mark.parametrize("red", ["sum", "max", "min"])
def test_reductions_over_leading_and_middle_axes(red):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((37, 5, 9))
    x[3, 2, 4] = np.nan
    f, ref = getattr(lnp, red), getattr(np, red)
    for axes in ((0,), (1,), (0, 2), (0, 1), (1, 2), (0, 1, 2)):
        (got,) = native(lambda x, axes=axes: f(x, axis=axes), x)
        want = ref(x, axis=axes)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
        assert (np.isnan(got) == np.isnan(want)).all()


@pytest.mark.parametrize("spec", ["bik,bkj->bij", "bki,bkj->bij", "bik,bjk->bij",
                                  "bki,bjk->bij"])
def test_batched_products_through_blas(spec):
    rng = np.random.default_rng(7)
    b, m, k, n = 5, 300, 12, 11
    dims = dict(b=b, i=m, k=k, j=n)
    ins, outs = spec.split("->")
    x, y = (rng.standard_normal([dims[c] for c in s]) for s in ins.split(","))
    (got,) = native(lambda x, y: lnp.einsum(spec, x, y), x, y)
    np.testing.assert_allclose(got, np.einsum(spec, x, y), rtol=1e-12, atol=1e-12)
    g = lt.grad(lambda x, y: lnp.sum(lnp.sin(lnp.einsum(spec, x, y))), (0, 1))
    for a, w in zip(native(g, x, y), lt.jit(g, backend="interpret")(x, y)):
        np.testing.assert_allclose(a, w, rtol=1e-11, atol=1e-11)


def test_uniform_literals_are_constants():
    from lintra.backends.native.function import _uniform
    from lintra.core.avals import ShapedArray
    aval = ShapedArray((100,), np.dtype("float64"))
    assert _uniform(np.ones(100), aval) == 1.0
    v = _uniform(np.full(100, -0.0), aval)
    assert v == 0.0 and np.signbit(v)
    assert _uniform(np.r_[np.zeros(50), -np.zeros(50)], aval) is None
    assert np.isnan(_uniform(np.full(100, np.nan), aval))
    assert _uniform(np.arange(100.0), aval) is None
    # the ones a sum's cotangent is made of, in a program: values as the interpreter's
    x = np.linspace(-1, 1, 1000)
    g = lt.grad(lambda x: lnp.sum(lnp.exp(x) * 3.0))
    np.testing.assert_allclose(native(g, x)[0], 3.0 * np.exp(x), rtol=1e-15)


def test_large_temporaries_live_in_an_arena_kept_between_calls():
    import gc
    x = np.linspace(-1, 1, 50_000)

    def f(x):
        e = lnp.exp(x)                       # read twice: a 400 kB buffer
        return lnp.sum(e * e[::-1]), e[3] + 1.0
    exe = nat.compile_native(make_program(f)(x))
    held = exe.entry.__self__[1].arenas
    assert len(held) == 1 and not held[0][0][0]
    want = (np.sum(np.exp(x) * np.exp(x)[::-1]), np.exp(x[3]) + 1.0)
    for _ in range(3):
        got = exe([x])
        np.testing.assert_allclose(got[0], want[0], rtol=1e-13)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-15)
        assert held[0][0][0]                 # kept for the next call
    del exe, got
    gc.collect()
    assert not held[0][0][0]                 # freed with the code


def test_elementwise_fused_into_reductions_slices_and_reshapes():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((6, 7, 5))
    e = np.exp(x) * 2.0
    cases = [
        (lambda x: lnp.sum(lnp.exp(x) * 2.0, axis=(0, 2)), lambda: np.sum(e, axis=(0, 2))),
        (lambda x: lnp.max(lnp.exp(x) * 2.0, axis=1), lambda: np.max(e, axis=1)),
        (lambda x: lnp.argmin(lnp.exp(x) * 2.0, axis=2), lambda: np.argmin(e, axis=2)),
        (lambda x: lnp.cumsum(lnp.exp(x) * 2.0, axis=1), lambda: np.cumsum(e, axis=1)),
        (lambda x: lnp.transpose(lnp.exp(x) * 2.0, (2, 0, 1)), lambda: e.transpose(2, 0, 1)),
        (lambda x: (lnp.exp(x) * 2.0)[1:5:2, ::-1], lambda: e[1:5:2, ::-1]),
        (lambda x: lnp.concatenate([lnp.exp(x) * 2.0, x], 1), lambda: np.concatenate([e, x], 1)),
        (lambda x: lnp.pad(lnp.exp(x) * 2.0, 1), lambda: np.pad(e, 1)),
        # a reshape of an unmaterialized value: fused into one reader, materialized for two
        (lambda x: lnp.sum(lnp.reshape(lnp.exp(x) * 2.0, (42, 5)), 0),
         lambda: np.sum(e.reshape(42, 5), 0)),
        (lambda x: (lambda r: (r + 1.0, r[:, None] * r[None, :3]))(
            lnp.reshape(lnp.exp(x) * 2.0, (210,))),
         lambda: (lambda r: (r + 1.0, r[:, None] * r[None, :3]))(e.reshape(210))),
    ]
    for f, ref in cases:
        for got, want in zip(native(f, x), lt.tree_leaves(ref())):
            np.testing.assert_allclose(got, want, rtol=1e-13)


def test_values_read_several_times_in_one_loop_stay_unmaterialized():
    from lintra.backends.native.fusion import shared_lazy
    x = np.linspace(-2, 2, 999)

    def one_loop(x):                  # e read by three products, all summed in one loop
        e = lnp.exp(-x * x)
        return lnp.sum(e * lnp.sin(x) + e * e + x * e)

    def two_loops(x):                 # e read in two loops (two reductions)
        e = lnp.exp(-x * x)
        return lnp.sum(e * 2.0), lnp.max(e + x)

    def names(f):
        p = make_program(f)(x)
        ids = shared_lazy(p)
        return {e.prim.name for e in p.eqns if id(e.outputs[0]) in ids}

    assert names(one_loop) == {"exp"} and names(two_loops) == set()
    e = np.exp(-x * x)
    np.testing.assert_allclose(native(one_loop, x)[0], np.sum(e * np.sin(x) + e * e + x * e),
                               rtol=1e-13)
    got = native(two_loops, x)
    np.testing.assert_allclose(got[0], np.sum(e * 2.0), rtol=1e-13)
    np.testing.assert_allclose(got[1], np.max(e + x), rtol=1e-15)
    g = lt.grad(lambda x: lnp.sum(lnp.sin(x) * lnp.exp(-x * x) + lnp.log1p(x * x)))
    np.testing.assert_allclose(native(g, x)[0], lt.jit(g, backend="interpret")(x),
                               rtol=1e-13)


def test_arenas_held_between_calls_stay_under_the_budget(monkeypatch):
    from lintra.backends.native import arena
    monkeypatch.setattr(arena, "BUDGET", 0)       # (read when the code is emitted)
    x = np.linspace(-1, 1, 40_000)

    def f(x):
        e = lnp.exp(x * 0.5)
        return lnp.sum(e * e[::-1])
    exe = nat.compile_native(make_program(f)(x))
    held = exe.entry.__self__[1].arenas
    before = arena.held_bytes.value
    for _ in range(3):
        np.testing.assert_allclose(exe([x])[0], np.sum(np.exp(x / 2) * np.exp(x / 2)[::-1]),
                                   rtol=1e-13)
        assert len(held) == 1 and not held[0][0][0]     # freed at exit, not kept
    assert arena.held_bytes.value == before


def test_long_elementwise_chains_compile_in_bounded_loops():
    """A chain longer than ``MAX_FUSED`` is fused a block at a time (one 300-level lazy
    value exceeded Python's recursion limit while emitting: interpreted, not compiled)."""
    from lintra.backends.native.function import MAX_FUSED

    def chain(x):
        for _ in range(300):
            x = lnp.sin(x) * 0.5 + 0.1
        return lnp.sum(x)

    x = np.linspace(-1, 1, 1000)
    ref = x.copy()
    for _ in range(300):
        ref = np.sin(ref) * 0.5 + 0.1
    assert 300 > MAX_FUSED
    np.testing.assert_allclose(native(chain, x)[0], ref.sum(), rtol=1e-12)
    g = lt.grad(lambda x: chain(x[:50]))
    np.testing.assert_allclose(native(g, x)[0], lt.jit(g, backend="interpret")(x),
                               rtol=1e-12)
