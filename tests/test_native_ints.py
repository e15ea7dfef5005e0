"""Integer semantics of the native backend against NumPy: wraparound on overflow, floor
division and remainder with negative operands, division by zero and INT_MIN // -1 (which
would trap with SIGFPE in x86's idiv: never emitted), float -> int casts of NaN, inf and
out-of-range values (saturating, as JAX on the CPU; NumPy's result there is the platform's),
booleans and unsigned types. The README's "Integer semantics" paragraph says the same."""

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
from lintra.backends import native as nat
from native_util import native

pytestmark = pytest.mark.skipif(not nat.available, reason="llvmlite is not installed")

SIGNED = ["int8", "int16", "int32", "int64"]
UNSIGNED = ["uint8", "uint32", "uint64"]
RNG = np.random.default_rng(7)


def numpy(f, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return f(*args)


def equal(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_array_equal(got, want)


def operands(dtype):
    """Extremes, small values of both signs and zero, every pair of them, plus random
    values over the whole range."""
    info = np.iinfo(dtype)
    vals = {info.min, info.min + 1, info.max, info.max - 1, 0, 1, 2, 3, 7, 100}
    if info.min < 0:
        vals |= {-1, -2, -3, -7, -100}
    vals = np.array(sorted(v for v in vals if info.min <= v <= info.max), dtype)
    a, b = np.meshgrid(vals, vals, indexing="ij")
    ra = RNG.integers(info.min, info.max, 300, dtype=dtype, endpoint=True)
    rb = RNG.integers(info.min, info.max, 300, dtype=dtype, endpoint=True)
    small = RNG.integers(max(info.min, -300), min(info.max, 300), 300, dtype=dtype,
                         endpoint=True)
    return (np.concatenate([a.ravel(), ra, ra, small]).astype(dtype),
            np.concatenate([b.ravel(), rb, small, rb]).astype(dtype))


# ---------------------------------------------------------------- wraparound


@pytest.mark.parametrize("dtype", SIGNED + UNSIGNED)
def test_add_sub_mul_neg_abs_wrap_like_numpy(dtype):
    a, b = operands(dtype)
    f = lambda a, b: (a + b, a - b, a * b, -a, lnp.abs(a), a * a * a, lnp.sum(a), a ** 3,
                      lnp.cumsum(a), lnp.prod(a[:5]))
    want = numpy(lambda a, b: (a + b, a - b, a * b, -a, np.abs(a), a * a * a,
                               np.sum(a), a ** 3, np.cumsum(a), np.prod(a[:5])), a, b)
    for g, w in zip(native(f, a, b), want, strict=True):
        equal(g, w)


def test_abs_and_neg_of_int_min_are_int_min():
    for dtype in SIGNED:
        m = np.array([np.iinfo(dtype).min], dtype)
        neg, ab = native(lambda x: (-x, lnp.abs(x)), m)
        equal(neg, m)
        equal(ab, m)


@pytest.mark.parametrize("dtype", SIGNED + UNSIGNED)
def test_bitwise_and_comparisons(dtype):
    a, b = operands(dtype)
    f = lambda a, b: (a & b, a | b, a ^ b, ~a, a < b, a >= b, a == b, lnp.maximum(a, b),
                      lnp.minimum(a, b), lnp.max(a), lnp.argmin(a))
    want = (a & b, a | b, a ^ b, ~a, a < b, a >= b, a == b, np.maximum(a, b),
            np.minimum(a, b), np.max(a), np.argmin(a))
    for g, w in zip(native(f, a, b), want, strict=True):
        equal(g, w)


# ---------------------------------------------------------------- division


@pytest.mark.parametrize("dtype", SIGNED + UNSIGNED)
def test_floor_divide_and_remainder_like_numpy(dtype):
    """Negative operands round down (remainder takes the divisor's sign); x // 0 and x % 0
    are 0; INT_MIN // -1 wraps to INT_MIN and INT_MIN % -1 is 0; 64-bit quotients exact."""
    a, b = operands(dtype)
    f = lambda a, b: (a // b, a % b, lnp.fmod(a, b))
    want = numpy(lambda a, b: (a // b, a % b, np.fmod(a, b)), a, b)
    for g, w in zip(native(f, a, b), want, strict=True):
        equal(g, w)
    for g, w in zip(lt.jit(f, backend="interpret")(a, b), want, strict=True):
        equal(g, w)
    for g, w in zip(numpy(f, lnp.asarray(a), lnp.asarray(b)), want, strict=True):   # eager
        equal(g, w)


def test_division_by_zero_and_int_min_by_minus_one_examples():
    for dtype in SIGNED:
        lo = np.iinfo(dtype).min
        a = np.array([7, -7, 0, lo, lo, -7, 7], dtype)
        b = np.array([0, 0, 0, -1, 0, 2, -2], dtype)
        q, r = native(lambda a, b: (a // b, a % b), a, b)
        equal(q, np.array([0, 0, 0, lo, 0, -4, -4], dtype))
        equal(r, np.array([0, 0, 0, 0, 0, 1, -1], dtype))


def test_integer_division_never_crashes_the_process():
    """Run in a child process first: a trapping idiv (SIGFPE) would kill the test runner."""
    code = textwrap.dedent("""
        import warnings, numpy as np, lintra as lt
        warnings.simplefilter("ignore")
        for dt in ("int32", "int64", "int8"):
            lo = np.iinfo(dt).min
            a = np.array([lo, lo, 5, lo], dt)
            b = np.array([-1, 0, 0, lo], dt)
            q, r = lt.jit(lambda a, b: (a // b, a % b), backend="native")(a, b)
            assert list(q) == [lo, 0, 0, 1] and list(r) == [0, 0, 0, 0], (q, r)
        print("ok")
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", (out.returncode, out.stderr)


def test_true_divide_of_integers_is_float64():
    a, b = operands("int32")
    equal(native(lambda a, b: a / b, a, b), numpy(np.true_divide, a, b))


# ---------------------------------------------------------------- casts


def test_int_casts_wrap_like_numpy():
    a, _ = operands("int64")
    for to in SIGNED + UNSIGNED + ["float32", "float64", "bool"]:
        equal(native(lambda x, to=to: x.astype(to), a), a.astype(to))
    u, _ = operands("uint64")
    for to in SIGNED + ["float64", "bool"]:
        equal(native(lambda x, to=to: x.astype(to), u), u.astype(to))


def test_float_to_int_casts_truncate_in_range():
    x = np.array([1.7, -1.7, 0.5, -0.5, 0.0, -0.0, 126.9, -127.9, 2.0 ** 31 - 1.5])
    for to in SIGNED:
        info = np.iinfo(to)
        ok = x[(x > info.min - 1) & (x < info.max + 1)]
        equal(native(lambda x, to=to: x.astype(to), ok), ok.astype(to))
    pos = np.array([0.0, 0.9, 1.5, 254.7, 2.0 ** 31 + 0.5])
    for to in UNSIGNED:
        ok = pos[pos < np.iinfo(to).max + 1]
        equal(native(lambda x, to=to: x.astype(to), ok), ok.astype(to))
    x32 = x[:-1].astype("float32")             # 2**31 - 1.5 rounds to 2**31 in float32
    equal(native(lambda x: x.astype("int32"), x32), x32.astype("int32"))


def test_float_to_int_casts_saturate_out_of_range():
    """NaN -> 0, inf and out-of-range values -> the nearest bound (JAX's CPU semantics;
    NumPy returns the platform's value, e.g. INT_MIN on x86)."""
    x = np.array([np.nan, np.inf, -np.inf, 1e20, -1e20, 300.0, -1.0])
    for to in SIGNED + UNSIGNED:
        info = np.iinfo(to)
        want = np.array([0, info.max, info.min, info.max, info.min, min(300, info.max),
                         max(-1, info.min)], to)
        equal(native(lambda x, to=to: x.astype(to), x), want)
        equal(native(lambda x, to=to: x.astype(to), x.astype(np.float32)), want)


def test_float_to_int_casts_agree_with_jax():
    jnp = pytest.importorskip("jax.numpy")
    import jax
    x = np.array([np.nan, np.inf, -np.inf, 1e20, -1e20, 300.0, -1.0, 2.5, -2.5])
    with jax.enable_x64(True):
        for to in SIGNED + UNSIGNED:
            equal(native(lambda x, to=to: x.astype(to), x), np.asarray(jnp.asarray(x).astype(to)))


# ---------------------------------------------------------------- booleans


def test_bool_arithmetic_like_numpy():
    a = np.array([True, True, False, False])
    b = np.array([True, False, True, False])
    f = lambda a, b: (a + b, a * b, a & b, a | b, a ^ b, ~a, lnp.sum(a), a == b, a < b,
                      lnp.maximum(a, b), lnp.minimum(a, b), lnp.max(a), lnp.argmax(b),
                      a.astype(np.int8) - b.astype(np.int8), a.astype(np.float64), a + 1,
                      a * 2.5, lnp.where(a, b, ~b))
    want = (a + b, a * b, a & b, a | b, a ^ b, ~a, np.sum(a), a == b, a < b,
            np.maximum(a, b), np.minimum(a, b), np.max(a), np.argmax(b),
            a.astype(np.int8) - b.astype(np.int8), a.astype(np.float64), a + 1, a * 2.5,
            np.where(a, b, ~b))
    for g, w in zip(native(f, a, b), want, strict=True):
        equal(g, w)


def test_bool_subtract_and_negative_are_errors_as_in_numpy():
    a = np.array([True, False])
    for f in (lambda a: a - a, lambda a: -a):
        with pytest.raises(TypeError):
            numpy(f, a)
        with pytest.raises(TypeError):
            lt.jit(f, backend="native")(a)
