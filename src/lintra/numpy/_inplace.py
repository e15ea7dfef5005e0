"""Routines that NumPy runs in place (``place``, ``put``, ``fill_diagonal``) and the ones that
rebuild an array along an axis (``insert``, ``delete``, ``resize``, ``trim_zeros``).

In-place updates follow both conventions: a concrete NumPy array is modified as NumPy does
(``inplace=True``, the default, returns None); a traced value cannot be (arrays are
immutable), so it raises as JAX does, and ``inplace=False`` returns the updated copy.
``insert``/``delete``/``resize`` apply NumPy to an array of element numbers (the shapes are
static) and gather, so values keep their derivatives."""

from __future__ import annotations

import numpy as np

from ..core.trace import Tracer, get_aval
from ..ops import base
from ..ops import elementwise as E
from ..ops import indexing as I
from ..ops import powers as PW
from ..ops import structure as S
from ._basic import _as_value
from ._indexing import at_property
from ._reductions import cumsum

__all__ = ["place", "put", "fill_diagonal", "insert", "delete", "resize", "trim_zeros"]


def _in_place(who: str, arr, inplace: bool, *others) -> bool:
    """Whether to run NumPy's in-place routine on ``arr`` (else return a new array); a
    traced value can neither be modified nor written into a NumPy array."""
    if not inplace:
        return False
    if isinstance(arr, np.ndarray) and arr.flags.writeable and \
            not any(isinstance(o, Tracer) for o in others):
        return True
    raise ValueError(f"lintra.numpy.{who} cannot modify an array in place here (lintra "
                     f"arrays are immutable, and traced values cannot be written into a NumPy "
                     f"array); pass inplace=False to get the updated array")


def _cycled(v, n: int):
    """``v`` flattened and repeated cyclically to length ``n`` (NumPy's put/place)."""
    v = S.reshape(_as_value(v), (-1,))
    k = get_aval(v).shape[0]
    if k == n:
        return v
    if k == 0:
        raise ValueError("cannot insert from an empty array of values")
    return I.take(v, np.arange(n) % k, 0)


def place(arr, mask, vals, *, inplace: bool = True):
    """``arr`` with its elements where ``mask`` holds replaced by ``vals`` in order (repeated
    cyclically)."""
    if _in_place("place", arr, inplace, mask, vals):
        return np.place(arr, mask, vals)
    arr = _as_value(arr)
    shape, dt = get_aval(arr).shape, get_aval(arr).dtype
    m = S.broadcast_to(E.ne(_as_value(mask), 0), shape)
    v = S.reshape(base.convert_element_type(_as_value(vals), dt), (-1,))
    k = get_aval(v).shape[0]
    if k == 0:
        return arr
    pos = PW.rem(E.sub(cumsum(S.reshape(base.convert_element_type(m, np.int64), (-1,))), 1), k)
    picked = S.reshape(I.take(v, E.select(E.lt(pos, 0), pos + k, pos), 0), shape)
    return E.select(m, picked, arr)


def _put_indices(ind, n: int, mode):
    """Flat positions for ``put``: negative ones count from the end; out-of-range ones clip
    (mode None, JAX's default, or 'clip'), wrap, raise (NumPy's 'raise', for concrete
    indices) or go to the spare slot ``n`` ('fill': dropped)."""
    p = S.reshape(base.convert_element_type(_as_value(ind), np.int64), (-1,))
    if mode == "wrap":
        return PW.rem(E.add(PW.rem(p, n), n), n)
    if mode == "raise" and not isinstance(p, Tracer):
        bad = np.asarray(p)[(np.asarray(p) < -n) | (np.asarray(p) >= n)]
        if bad.size:
            raise IndexError(f"index {int(bad[0])} is out of bounds for axis 0 with size {n}")
    elif mode not in (None, "raise", "fill", "clip"):
        raise ValueError(f"put: mode must be 'raise', 'wrap', 'clip', 'fill' or None, got "
                         f"{mode!r}")
    if mode in (None, "clip"):
        return E.select(E.lt(p, 0), np.int64(0), E.select(E.ge(p, n), np.int64(n - 1), p))
    ok = E.bitwise_and(E.ge(p, -n), E.lt(p, n))
    return E.select(ok, E.select(E.lt(p, 0), E.add(p, n), p), np.int64(n))


def put(a, ind, v, mode=None, *, inplace: bool = True):
    """``a`` with the flat positions ``ind`` set to ``v`` (repeated cyclically); the last
    write to a position wins."""
    if _in_place("put", a, inplace, ind, v):
        return np.put(a, ind, v, mode="raise" if mode is None else mode)
    a = _as_value(a)
    shape, dt = get_aval(a).shape, get_aval(a).dtype
    n = int(np.prod(shape, dtype=np.int64))
    p = _put_indices(ind, n, mode)
    vals = _cycled(base.convert_element_type(_as_value(v), dt), get_aval(p).shape[0])
    flat = S.concatenate([S.reshape(a, (-1,)), np.zeros(1, dt)], 0)
    out = at_property(flat)[p].set(vals)
    return S.reshape(S.slice_static(out, (0,), (n,)), shape)


def fill_diagonal(a, val, wrap: bool = False, *, inplace: bool = True):
    """``a`` with its main diagonal (all indices equal) set to ``val`` (repeated); a tall
    2-d ``a`` restarts the diagonal after a blank row when ``wrap`` (NumPy)."""
    if _in_place("fill_diagonal", a, inplace, val):
        return np.fill_diagonal(a, val, wrap)
    a = _as_value(a)
    shape = get_aval(a).shape
    if len(shape) < 2 or (len(shape) > 2 and len(set(shape)) != 1):
        raise ValueError("fill_diagonal: a must be at least 2-d, with all dimensions equal "
                         "beyond 2-d")
    if len(shape) == 2:
        step = shape[1] + 1
        end = shape[0] * shape[1] if wrap else min(shape[0], shape[1]) * shape[1]
    else:
        step = int(np.sum(np.cumprod((1,) + shape[:0:-1])))
        end = int(np.prod(shape))
    return put(a, np.arange(0, end, step), val, inplace=False)


def _numbered(a):
    return np.arange(int(np.prod(get_aval(a).shape, dtype=np.int64))).reshape(
        get_aval(a).shape)


def _static(obj, who: str):
    if isinstance(obj, slice):
        return obj
    if isinstance(obj, Tracer):
        return np.asarray(obj._concrete(f"concrete indices: the shape of `{who}`'s result "
                                        f"depends on them"))
    return obj if isinstance(obj, (int, np.integer)) else np.asarray(obj)


def delete(arr, obj, axis: int | None = None, *, assume_unique_indices: bool = False):
    """``arr`` without the entries ``obj`` (ints, a slice or a boolean mask) along ``axis``
    (of the flattened array when None)."""
    del assume_unique_indices
    a = _as_value(arr)
    keep = np.delete(_numbered(a), _static(obj, "delete"), axis)
    return I.take(S.reshape(a, (-1,)), keep, 0)


def insert(arr, obj, values, axis: int | None = None):
    """``arr`` with ``values`` inserted before the positions ``obj`` along ``axis`` (of the
    flattened array when None), NumPy's rules for broadcasting ``values``."""
    a = _as_value(arr)
    v = base.convert_element_type(_as_value(values), get_aval(a).dtype)
    marks = -1 - _numbered(v)
    where = np.insert(_numbered(a), _static(obj, "insert"), marks, axis)
    src = S.concatenate([S.reshape(a, (-1,)), S.reshape(v, (-1,))], 0)
    na = int(np.prod(get_aval(a).shape, dtype=np.int64))
    return I.take(src, np.where(where >= 0, where, na - 1 - where), 0)


def resize(a, new_shape):
    """An array of ``new_shape`` filled with ``a``'s elements in order, repeated."""
    a = _as_value(a)
    new_shape = (int(new_shape),) if np.ndim(new_shape) == 0 else tuple(map(int, new_shape))
    if not get_aval(a).size:
        return S.broadcast_to(np.zeros((), get_aval(a).dtype), new_shape)
    return I.take(S.reshape(a, (-1,)), np.resize(_numbered(a), new_shape), 0)


def trim_zeros(filt, trim: str = "fb", axis=None):
    """``filt`` without its leading ('f') and/or trailing ('b') zeros; the length depends on
    the data, so a traced ``filt`` needs a concrete value."""
    a = _as_value(filt)
    v = _static(a, "trim_zeros") if isinstance(a, Tracer) else np.asarray(a)
    nz = np.nonzero(v)[0]
    lo = int(nz[0]) if nz.size and "f" in trim.lower() else (v.shape[0] if not nz.size else 0)
    hi = int(nz[-1]) + 1 if nz.size and "b" in trim.lower() else (v.shape[0] if nz.size
                                                                  else lo)
    del axis
    return S.slice_static(a, (lo,), (max(lo, hi),))
