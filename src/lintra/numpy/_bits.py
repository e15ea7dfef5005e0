"""Floating-point neighbours (``nextafter``, ``spacing``) and integer bit arithmetic
(``left_shift``, ``right_shift``, ``bitwise_count``, ``packbits``, ``unpackbits``).

Concrete arguments get NumPy's results. Traced ones are compositions: the unit in the last
place of x is 2**(e - p) for x = m·2**e (0.5 <= |m| < 1, ``frexp``) and p mantissa bits, at
least the smallest subnormal; shifts multiply or floor-divide by powers of two. ``nextafter``
has derivative 1 in x (the step is a constant), ``spacing`` 0."""

from __future__ import annotations

import numpy as np

from ..core.trace import Tracer, get_aval
from ..ops import base
from ..ops import elementwise as E
from ..ops import powers as PW
from ..ops import reductions as R
from ..ops import structure as S
from . import _elementwise as L
from ._basic import _as_value, _leaves
from ._misc import frexp
from ._structure import moveaxis

__all__ = ["nextafter", "spacing", "left_shift", "right_shift", "bitwise_left_shift",
           "bitwise_right_shift", "bitwise_count", "packbits", "unpackbits"]


def _concrete(*args) -> bool:
    return not any(isinstance(a, Tracer) for a in _leaves(list(args)))


def _ulp(x, dt, toward_zero):
    """The distance from x to its neighbour away from zero (or toward zero where
    ``toward_zero``: half as far at a power of two)."""
    info = np.finfo(dt)
    tiny = np.asarray(info.smallest_subnormal, dt)
    m, e = frexp(E.abs(x))
    u = PW.pow(np.asarray(2.0, dt), E.sub(base.convert_element_type(e, dt), info.nmant + 1))
    u = E.select(E.bitwise_and(toward_zero, E.eq(m, 0.5)), E.mul(u, 0.5), u)
    return E.select(E.lt(u, tiny), tiny, u)


def nextafter(x1, x2):
    """The next representable float after x1 in the direction of x2."""
    if _concrete(x1, x2):
        return np.nextafter(x1, x2)
    x1, x2 = base.promote_float(_as_value(x1), _as_value(x2))
    dt = get_aval(x1).dtype
    up = E.gt(x2, x1)
    away = E.eq(up, E.gt(x1, 0))
    step = base.stop_gradient(_ulp(x1, dt, L.logical_not(away)))
    out = E.add(x1, E.select(up, step, E.neg(step)))
    tiny = np.asarray(np.finfo(dt).smallest_subnormal, dt)
    out = E.select(E.eq(x1, 0), E.select(up, tiny, -tiny), out)
    big = np.asarray(np.finfo(dt).max, dt)             # from ±inf to the largest finite
    out = E.select(L.isinf(x1), E.select(up, -big, big), out)
    out = E.select(E.eq(x1, x2), x2, out)
    return E.select(L.logical_or(L.isnan(x1), L.isnan(x2)), np.asarray(np.nan, dt), out)


def spacing(x):
    """The distance from x to the next float away from zero, with x's sign (nan at inf,
    inf at the largest finite float)."""
    if _concrete(x):
        return np.spacing(x)
    x = base.promote_float(_as_value(x))[0]
    dt = get_aval(x).dtype
    info = np.finfo(dt)
    u = base.stop_gradient(_ulp(x, dt, np.False_))
    u = E.select(E.eq(x, 0), np.asarray(info.smallest_subnormal, dt), u)
    u = E.select(E.eq(E.abs(x), info.max), np.asarray(np.inf, dt), u)
    u = E.select(E.lt(x, 0), E.neg(u), u)
    return E.select(L.isfinite(x), u, np.asarray(np.nan, dt))


def _int_args(x1, x2, who: str):
    x1, x2 = base.promote(*(a if isinstance(a, int) else _as_value(a) for a in (x1, x2)))
    if get_aval(x1).dtype.kind not in "iu":
        raise TypeError(f"{who}: the operands must be integers, got {get_aval(x1).dtype}")
    return x1, x2


def _pow2(s, dt):
    return base.convert_element_type(PW.pow(2.0, base.convert_element_type(s, np.float64)), dt)


def left_shift(x1, x2):
    """x1 · 2**x2 for integers (bits shifted out are lost, as in NumPy)."""
    if _concrete(x1, x2):
        return np.left_shift(x1, x2)
    x1, x2 = _int_args(x1, x2, "left_shift")
    return E.mul(x1, _pow2(x2, get_aval(x1).dtype))


def right_shift(x1, x2):
    """floor(x1 / 2**x2) for integers (an arithmetic shift)."""
    if _concrete(x1, x2):
        return np.right_shift(x1, x2)
    x1, x2 = _int_args(x1, x2, "right_shift")
    return L.floor_divide(x1, _pow2(x2, get_aval(x1).dtype))


bitwise_left_shift, bitwise_right_shift = left_shift, right_shift


def bitwise_count(x):
    """The number of 1 bits in |x| (uint8, NumPy's)."""
    if _concrete(x):
        return np.bitwise_count(x)
    x = _as_value(x)
    dt = get_aval(x).dtype
    if dt.kind not in "iub":
        raise TypeError(f"bitwise_count: x must be integers, got {dt}")
    a = E.abs(base.convert_element_type(x, np.int64 if dt.kind != "u" else dt))
    total = None
    for k in range(min(8 * dt.itemsize, 63 if dt.kind != "u" else 64)):
        bit = PW.rem(right_shift(a, np.asarray(k, get_aval(a).dtype)), 2)
        total = bit if total is None else E.add(total, bit)
    return base.convert_element_type(total, np.uint8)


def _bit_weights(bitorder: str) -> np.ndarray:
    if bitorder not in ("big", "little"):
        raise ValueError(f"bitorder must be 'big' or 'little', got {bitorder!r}")
    w = 2 ** np.arange(8, dtype=np.int64)
    return w[::-1].copy() if bitorder == "big" else w


def _to_last(a, axis):
    """(``a`` with ``axis`` last, flattened when None; the axis to move back, or None)."""
    if axis is None:
        return S.reshape(a, (-1,)), None
    axis = S.normalize_axis(axis, get_aval(a).ndim, "packbits")
    return moveaxis(a, axis, -1), axis


def packbits(a, axis=None, bitorder: str = "big"):
    """Each run of 8 truth values along ``axis`` (flattened when None; zero-padded) as the
    bits of one uint8."""
    w = _bit_weights(bitorder)
    if _concrete(a):
        return np.packbits(a, axis, bitorder)
    a = _as_value(a)
    if get_aval(a).dtype.kind not in "iub":
        raise TypeError(f"packbits: a must be integers or booleans, got {get_aval(a).dtype}")
    x, axis = _to_last(base.convert_element_type(E.ne(a, 0), np.int64), axis)
    shape = get_aval(x).shape
    k = -(-shape[-1] // 8)
    x = S.pad(x, np.int64(0), [(0, 0, 0)] * (len(shape) - 1) + [(0, 8 * k - shape[-1], 0)])
    x = S.reshape(x, shape[:-1] + (k, 8))
    out = base.convert_element_type(R.reduce_sum(E.mul(x, w), (len(shape),)), np.uint8)
    return out if axis is None else moveaxis(out, -1, axis)


def unpackbits(a, axis=None, count=None, bitorder: str = "big"):
    """The bits of each uint8 of ``a`` along ``axis`` (flattened when None), 8 per byte,
    keeping the first ``count`` (zero-padded beyond)."""
    w = _bit_weights(bitorder)
    if _concrete(a):
        return np.unpackbits(a, axis, count, bitorder)
    a = _as_value(a)
    if get_aval(a).dtype != np.uint8:
        raise TypeError(f"unpackbits: a must be uint8, got {get_aval(a).dtype}")
    x, axis = _to_last(base.convert_element_type(a, np.int64), axis)
    shape = get_aval(x).shape
    bits = PW.rem(L.floor_divide(S.expand_dims(x, -1), w), 2)
    bits = S.reshape(bits, shape[:-1] + (8 * shape[-1],))
    n = 8 * shape[-1]
    if count is not None:
        c = n + int(count) if int(count) < 0 else int(count)
        cfg = [(0, 0, 0)] * (len(shape) - 1)
        bits = S.slice_static(bits, (0,) * len(shape), shape[:-1] + (min(c, n),)) if c <= n \
            else S.pad(bits, np.int64(0), cfg + [(0, c - n, 0)])
    out = base.convert_element_type(bits, np.uint8)
    return out if axis is None else moveaxis(out, -1, axis)
