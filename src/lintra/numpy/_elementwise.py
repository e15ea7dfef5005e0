"""Elementwise functions with NumPy names; they promote dtypes and bind primitives."""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np

from ..core.trace import get_aval
from ..ops import base
from ..ops import complex as C
from ..ops import elementwise as E
from ..ops import extrema as X
from ..ops import indexing as I
from ..ops import powers as PW
from ._basic import _as_value

add = E.add
subtract = E.sub
multiply = E.mul
divide = true_divide = E.div
negative = E.neg
power = PW.pow
arctan2 = PW.atan2
maximum = X.maximum
minimum = X.minimum
remainder = mod = PW.rem
abs = absolute = E.abs  # noqa: A001
sign = E.sign
floor, ceil = E.floor, E.ceil
equal, not_equal, less, less_equal, greater, greater_equal = E.eq, E.ne, E.lt, E.le, E.gt, E.ge
square = E.square
stop_gradient = base.stop_gradient
# the unary float functions (exp, sin, arcsinh, logistic, ...) under the NumPy names that
# ops/elementwise.py gives them beside their primitives
globals().update(E.NUMPY_NAMES)


def round(x, decimals: int = 0):  # noqa: A001
    """Half to even; complex values round their real and imaginary parts (NumPy)."""
    dt = get_aval(_as_value(x)).dtype
    if dt.kind == "c":
        return C.complex(round(C.real(x), decimals), round(C.imag(x), decimals))
    if dt.kind in "iu":         # integers stay integers: NumPy rounds them to 10**-decimals
        if decimals >= 0:
            return _as_value(x)
        scale = 10.0 ** -decimals
        y = E.mul(E.round(E.div(base.convert_element_type(x, np.float64), scale)), scale)
        return base.convert_element_type(y, dt)
    if decimals:
        scale = 10.0 ** decimals
        return E.div(E.round(E.mul(x, scale)), scale)
    return E.round(x)


around = round


def clip(a, a_min=None, a_max=None, *, min=None, max=None):  # noqa: A002
    """``minimum(maximum(a, a_min), a_max)``; NumPy 2 also spells the bounds min/max."""
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    return X.clip(a, lo, hi)


def positive(x):
    return _as_value(x)


def trunc(x):
    """Round towards zero (a zero derivative, like floor/ceil)."""
    return E.select(E.lt(x, 0), E.ceil(x), E.floor(x))


fix = trunc


def fmod(x, y):
    """C's remainder: the sign of ``x`` (NumPy's fmod)."""
    x, y = base.promote(x, y)
    kind = get_aval(x).dtype.kind
    if kind in "iub":
        r = PW.rem(x, y)           # the divisor's sign (no abs: |INT_MIN| wraps); x % 0 is 0
        if kind != "i":
            return r
        differ = E.bitwise_and(E.ne(r, 0), E.ne(E.lt(x, 0), E.lt(y, 0)))
        return E.select(differ, E.sub(r, y), r)
    # remainders of magnitudes are exact (x - y * trunc(x / y) is not: fmod(1e17, 3) gave 0,
    # fmod(7, inf) nan); zeros keep the sign of x (fmod(-6, 3) and fmod(-0, 2) are -0.0)
    r = PW.rem(E.abs(x), E.abs(y))
    r = E.select(E.lt(x, 0), E.neg(r), r)
    return E.select(E.bitwise_and(E.eq(x, 0), E.eq(r, 0)), x, r)


def reciprocal(x):
    """``1/x``; integers stay integers as in NumPy (C division: 1 at 1, -1 at -1, else 0)."""
    x = _as_value(x)
    dt = get_aval(x).dtype
    if dt.kind in "iu":
        return E.select(E.eq(E.abs(x), 1), x, np.zeros((), dt))
    return E.div(1.0, x)


def exp2(x):
    """``pow(2, x)``: exact at integers (exp(x * log 2) gave exp2(3) = 7.999999999999998)."""
    return PW.pow(2.0, x)


@functools.cache
def _powers(b: int, dtype: np.dtype) -> tuple[np.ndarray, int]:
    """Every power b**k of ``dtype``'s range, correctly rounded (from exact rationals, not
    ``pow``: a vectorized pow may be an ulp off, and then log10(1e-4) missed -4), and the
    offset of k = 0."""
    lo, hi = (-1075, 1025) if b == 2 else (-324, 310)
    table = np.array([_rounded(Fraction(b) ** k) for k in range(lo, hi)]).astype(dtype)
    return table, -lo


def _rounded(q: Fraction) -> float:
    try:
        return float(q)
    except OverflowError:
        return float("inf")


def _log_base(x, b: int):
    """log(x) / log(b), made exact where x is a power of ``b`` (as C's log2/log10:
    floor(log10(1000)) was 2); the derivative stays 1 / (x log(b))."""
    r = E.div(E.log(x), float(np.log(b)))
    dtype = get_aval(r).dtype
    if dtype.kind == "c":
        return r
    table, offset = _powers(b, dtype)
    finite = E.lt(E.abs(r), np.inf)
    k = base.stop_gradient(E.select(finite, E.round(r), 0.0))
    at = X.clip(E.add(k, float(offset)), 0.0, float(table.size - 1))
    power = I.take(table, base.convert_element_type(at, np.dtype("int64")))
    exact = E.bitwise_and(E.eq(power, x), finite)
    return E.select(exact, E.add(r, base.stop_gradient(E.sub(k, r))), r)


def log2(x):
    return _log_base(x, 2)


def log10(x):
    return _log_base(x, 10)


def cbrt(x):
    """The real cube root; zeros keep their sign, as in NumPy. One Newton step corrects
    pow(|x|, 1/3) (1/3 is inexact: 1e-14 off at 1e308) and keeps the derivative exact."""
    a = E.abs(x)
    y = PW.pow(a, 1.0 / 3.0)
    fine = E.bitwise_and(E.gt(y, 0), E.lt(y, np.inf))
    safe = E.select(fine, y, 1.0)
    y = E.select(fine, E.sub(safe, E.div(E.sub(safe, E.div(a, E.square(safe))), 3.0)), y)
    return E.select(E.eq(x, 0), x, E.mul(E.sign(x), y))


def hypot(x, y):
    """sqrt(x**2 + y**2) scaled by the larger magnitude, so that it neither overflows
    (hypot(1e200, 1e200) was inf) nor underflows; inf wherever either is infinite (nan too,
    as C's hypot)."""
    x, y = base.promote(x, y)
    if get_aval(x).dtype.kind in "iub":
        x = base.convert_element_type(x, np.dtype("float64"))
        y = base.convert_element_type(y, np.dtype("float64"))
    ax, ay = E.abs(x), E.abs(y)
    # the scale is a constant to the derivative: (x dx + y dy) / h everywhere, also where
    # |x| = |y| (a maximum's derivative there would split between them: a wrong 2nd order)
    m = base.stop_gradient(X.maximum(ax, ay))
    big = E.gt(m, 0)
    s = E.select(E.bitwise_and(big, E.lt(m, np.inf)), m, 1.0)
    h = E.mul(s, E.sqrt(E.add(E.square(E.div(x, s)), E.square(E.div(y, s)))))
    h = E.select(big, h, E.add(ax, ay))
    inf = E.bitwise_or(E.eq(ax, np.inf), E.eq(ay, np.inf))
    return E.select(inf, np.inf, h)


def logaddexp(x, y):
    """log(exp(x) + exp(y)), stable; the shift is 0 where the maximum is infinite."""
    x, y = base.promote_float(x, y)
    m = base.stop_gradient(X.maximum(x, y))
    m = E.select(E.lt(E.abs(m), float("inf")), m, 0.0)
    return E.add(m, E.log(E.add(E.exp(E.sub(x, m)), E.exp(E.sub(y, m)))))


def float_power(x, y):
    """``x ** y`` in float64 (complex128 for complex operands)."""
    x, y = _as_value(x), _as_value(y)
    complex_ = "c" in (get_aval(x).dtype.kind, get_aval(y).dtype.kind)
    return PW.pow(_as_value(x, np.dtype("complex128" if complex_ else "float64")), y)


def logical_and(x, y):
    return E.bitwise_and(_bool(x), _bool(y))


def logical_or(x, y):
    return E.bitwise_or(_bool(x), _bool(y))


def logical_xor(x, y):
    return E.bitwise_xor(_bool(x), _bool(y))


def logical_not(x):
    return E.bitwise_not(_bool(x))


def _bool(x):
    return x if get_aval(x).dtype == np.bool_ and not isinstance(x, bool) \
        else E.ne(x, 0) if not isinstance(x, bool) else np.asarray(x)


bitwise_and, bitwise_or, bitwise_xor = E.bitwise_and, E.bitwise_or, E.bitwise_xor
invert = bitwise_not = E.bitwise_not


def floor_divide(x, y):
    """NumPy's ``//``. Integers divide in float64 and round down (exact up to 32 bits); 64-bit
    quotients are then corrected with the exact remainder. As in NumPy, x // 0 is 0 and
    x // -1 is -x, wrapping (INT_MIN // -1 == INT_MIN), on every backend: the float
    quotient there would be cast from inf, nan or just out of range, which platforms
    cast differently."""
    x, y = base.promote(x, y)
    dtype = get_aval(x).dtype
    if dtype.kind not in "iu":
        return _float_floor_divide(base.stop_gradient(x), base.stop_gradient(y))
    q = base.convert_element_type(E.floor(E.div(x, y)), dtype)
    if dtype.itemsize == 8:
        q = _exact_quotient(x, y, q, dtype)
    if dtype.kind == "i":
        q = E.select(E.eq(y, -1), E.neg(x), q)
    return E.select(E.eq(y, 0), np.zeros((), dtype), q)


def _float_floor_divide(x, y):
    """NumPy's float ``//`` (its ``divmod``): the quotient of ``x - fmod(x, y)``, an exact
    multiple of ``y``, rounded; floor(x / y) is off where x / y rounds up to an integer
    (1 // 0.1 is 9.0) and is inf for inf // 2 (nan in NumPy). x // 0 is x / 0."""
    r = fmod(x, y)
    q = E.div(E.sub(x, r), y)
    q = E.select(E.bitwise_and(E.ne(r, 0), E.ne(E.lt(y, 0), E.lt(r, 0))), E.sub(q, 1.0), q)
    f = E.floor(q)
    f = E.select(E.gt(E.sub(q, f), 0.5), E.add(f, 1.0), f)
    f = E.select(E.eq(q, 0), E.mul(0.0, E.div(x, y)), f)     # the zero of x / y's sign
    return E.select(E.eq(y, 0), E.div(x, y), f)


def _exact_quotient(x, y, q0, dtype):
    """floor(x / y) from ``q0``, its float64 estimate (a few ulps off at most, modulo 2**64
    however the platform casts out-of-range floats): q0 + (x - x % y - q0 * y) / y in
    wrapping int64, where the numerator is a small exact multiple of y (|y| <= 2**12), or
    0 or ±y (larger y: then q0 is off by one at most). A numerator of -2**63 is -y for
    y = 2**63 mod 2**64, where q0 can only be one too high."""
    i64 = np.dtype("int64")
    s = lambda v: base.convert_element_type(v, i64)  # noqa: E731  (wrapping for uint64)
    d = E.sub(E.sub(s(x), s(PW.rem(x, y))), E.mul(s(q0), s(y)))
    e = base.convert_element_type(E.div(d, s(y)), i64)
    e = E.select(E.eq(d, np.iinfo(i64).min), np.int64(-1), e)
    return base.convert_element_type(E.add(s(q0), e), dtype)


def sinc(x):
    pix = E.mul(float(np.pi), x)
    safe = E.select(E.eq(x, 0.0), 1.0, pix)
    return E.select(E.eq(x, 0.0), 1.0, E.div(E.sin(safe), safe))


def deg2rad(x):
    return E.mul(x, float(np.pi / 180))


def rad2deg(x):
    return E.mul(x, float(180 / np.pi))


radians, degrees = deg2rad, rad2deg


def isfinite(x):
    return E.lt(E.abs(x), float("inf"))


def isnan(x):
    return E.ne(x, x)


def isinf(x):
    return E.eq(E.abs(x), float("inf"))
