"""``numpy.pad``, every mode: 'constant' and 'empty' (zeros) bind the pad primitive;
'edge', 'reflect', 'symmetric' and 'wrap' gather positions that NumPy's own ``pad`` computes
from an index array (``reflect_type='odd'`` mirrors the values through the edge, chunk by
chunk as NumPy does); the
statistic modes ('maximum', 'minimum', 'mean', 'median', with ``stat_length``) and
'linear_ramp' (``end_values``) concatenate computed blocks. Axes are padded one after
another, as NumPy does, so each derivative follows from the pieces."""

from __future__ import annotations

import numpy as np

from ..core.trace import Tracer, get_aval
from ..ops import base
from ..ops import elementwise as E
from ..ops import indexing as I
from ..ops import structure as S
from ._basic import _as_value
from ._basic import max as _max
from ._basic import mean as _mean
from ._basic import min as _min
from ._elementwise import round as _round
from ._statistics import median as _median

__all__ = ["pad"]

_POSITION_MODES = ("edge", "reflect", "symmetric", "wrap")
_STATS = {"maximum": _max, "minimum": _min, "mean": _mean, "median": _median}


def _pairs(v, nd: int, what: str) -> np.ndarray:
    try:
        return np.broadcast_to(np.asarray(v), (nd, 2))
    except ValueError:
        raise ValueError(f"pad: {what} {v!r} cannot be broadcast to shape ({nd}, 2)") from None


def _sl(x, ax: int, start: int, stop: int):
    shape = get_aval(x).shape
    return S.slice_static(x, tuple(start if d == ax else 0 for d in range(len(shape))),
                          tuple(stop if d == ax else n for d, n in enumerate(shape)))


def _width(v, x, ax: int, k: int, rounded: bool = True):
    """``v`` (kept as a length-1 axis ``ax``) repeated ``k`` times along ``ax``, in x's dtype
    (float statistics of integers rounded, ramps floored: NumPy 2's casts)."""
    dt = get_aval(x).dtype
    if dt.kind in "iub" and get_aval(v).dtype.kind in "fc":
        v = _round(v) if rounded else E.floor(v)
    v = base.convert_element_type(v, dt)
    shape = list(get_aval(x).shape)
    shape[ax] = k
    return S.broadcast_to(v, tuple(shape))


def _constant(x, widths, constant_values):
    nd = len(get_aval(x).shape)
    if isinstance(constant_values, Tracer) or np.ndim(constant_values) == 0:
        return S.pad(x, constant_values, [(int(lo), int(hi), 0) for lo, hi in widths])
    values = _pairs(constant_values, nd, "constant_values")
    for ax in range(nd):
        for side in (0, 1):
            cfg = [(0, 0, 0)] * nd
            cfg[ax] = (int(widths[ax, 0]), 0, 0) if side == 0 else (0, int(widths[ax, 1]), 0)
            if cfg[ax] != (0, 0, 0):
                x = S.pad(x, values[ax, side].item(), cfg)
    return x


def _positions(x, ax: int, lo: int, hi: int, mode: str, reflect_type: str):
    if reflect_type == "odd" and mode in ("reflect", "symmetric"):
        return _odd_reflection(x, ax, lo, hi, mode == "symmetric")
    n = get_aval(x).shape[ax]
    return I.take(x, np.pad(np.arange(n), (lo, hi), mode=mode), ax)


def _odd_reflection(x, ax: int, lo: int, hi: int, include_edge: bool):
    """``reflect_type='odd'``: values mirrored through the edge (2 edge - v), in NumPy's
    chunks: a pad wider than the axis reflects the padded values again, each chunk a whole
    number of periods of the original axis. A length-1 axis in 'reflect' mode repeats its
    edge (NumPy's legacy behaviour)."""
    n0 = get_aval(x).shape[ax]
    if n0 == 1 and not include_edge:
        return I.take(x, np.zeros(lo + 1 + hi, np.int64), ax)
    off = 1 if include_edge else 0
    while lo or hi:
        n = get_aval(x).shape[ax]
        period = n // n0 * n0 if include_edge else (n - 1) // (n0 - 1) * (n0 - 1)
        parts = []
        if lo:
            k = min(period, lo)
            chunk = I.take(x, np.arange(k - off, -off, -1), ax)
            parts.append(E.sub(E.mul(2, _sl(x, ax, 0, 1)), chunk))
            lo -= k
        parts.append(x)
        if hi:
            k = min(period, hi)
            chunk = I.take(x, np.arange(n - 2 + off, n - 2 + off - k, -1), ax)
            parts.append(E.sub(E.mul(2, _sl(x, ax, n - 1, n)), chunk))
            hi -= k
        x = S.concatenate(parts, ax)
    return x


def _stat(x, ax: int, lo: int, hi: int, mode: str, stat_length):
    n = get_aval(x).shape[ax]
    sl_lo, sl_hi = (n, n) if stat_length is None else (int(stat_length[0]),
                                                       int(stat_length[1]))
    f = _STATS[mode]
    left = f(_sl(x, ax, 0, max(1, min(sl_lo, n))), axis=ax, keepdims=True)
    right = f(_sl(x, ax, n - max(1, min(sl_hi, n)), n), axis=ax, keepdims=True)
    return S.concatenate([_width(left, x, ax, lo), x, _width(right, x, ax, hi)], ax)


def _ramp(x, ax: int, lo: int, hi: int, ends):
    """NumPy's linspace from each end value toward the edge (the edge itself excluded)."""
    n = get_aval(x).shape[ax]
    nd = len(get_aval(x).shape)
    edge_l, edge_r = _sl(x, ax, 0, 1), _sl(x, ax, n - 1, n)
    shape = [1] * nd
    parts = []
    for edge, end, k, rev in ((edge_l, ends[0], lo, False), (edge_r, ends[1], hi, True)):
        shape[ax] = k
        t = (np.arange(k, dtype=np.float64) / max(k, 1)).reshape(shape)
        if rev:
            t = t[tuple(slice(None, None, -1) if d == ax else slice(None) for d in range(nd))]
        ramp = E.add(float(end), E.mul(E.sub(edge, float(end)), t))
        parts.append(_width(ramp, x, ax, k, rounded=False))
    return S.concatenate([parts[0], x, parts[1]], ax)


def pad(array, pad_width, mode="constant", *, constant_values=0, stat_length=None,
        end_values=0, reflect_type: str = "even"):
    """``numpy.pad``: every string mode (``'empty'`` pads with zeros)."""
    x = _as_value(array)
    nd = len(get_aval(x).shape)
    widths = _pairs(pad_width, nd, "pad_width")
    if widths.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must be integers, got {pad_width!r}")
    if (widths < 0).any():
        raise ValueError("pad: index can't contain negative values")
    if mode in ("constant", "empty"):
        return _constant(x, widths, constant_values if mode == "constant" else 0)
    if mode not in _POSITION_MODES + tuple(_STATS) + ("linear_ramp",):
        raise NotImplementedError(f"pad: mode {mode!r} is not supported")
    stats = None if stat_length is None else _pairs(stat_length, nd, "stat_length")
    ends = _pairs(end_values, nd, "end_values")
    for ax in range(nd):
        lo, hi = int(widths[ax, 0]), int(widths[ax, 1])
        if not (lo or hi):
            continue
        if get_aval(x).shape[ax] == 0:
            raise ValueError(f"pad: can't extend empty axis {ax} using modes other than "
                             "'constant' or 'empty'")
        if mode in _POSITION_MODES:
            x = _positions(x, ax, lo, hi, mode, reflect_type)
        elif mode in _STATS:
            x = _stat(x, ax, lo, hi, mode, None if stats is None else stats[ax])
        else:
            x = _ramp(x, ax, lo, hi, ends[ax])
    return x
