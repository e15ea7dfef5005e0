"""``take``, ``take_along_axis``, ``dynamic_slice`` and ``dynamic_update_slice``: the indexing
functions of NumPy's and JAX's namespaces, on the same ``take`` primitive as ``x[idx]``."""

from __future__ import annotations

import operator

import numpy as np

from ..core.trace import get_aval
from ..ops import elementwise as E
from ..ops import extrema as X
from ..ops import indexing as I
from ..ops import powers as PW
from ..ops import structure as S
from ._basic import _as_value
from ._indexing import _Index, _stack_indices, _traced

__all__ = ["take", "take_along_axis", "dynamic_slice", "dynamic_update_slice"]


def _norm_take(i, n: int, mode: str | None):
    if mode in (None, "raise", "fill", "promise_in_bounds"):
        return _Index._normalize(i, n, 0)
    if mode == "wrap":
        return np.mod(i, n) if not _traced(i) else PW.rem(i, n)
    if mode == "clip":
        return np.clip(i, 0, n - 1) if not _traced(i) else X.clip(i, 0, n - 1)
    raise ValueError(f"take: unknown mode {mode!r} (use 'raise', 'wrap' or 'clip')")


def _int_indices(indices, who: str):
    i = _as_value(indices)
    if get_aval(i).dtype.kind not in "iu":
        raise IndexError(f"{who}: indices must be integers, got {get_aval(i).str_short()}")
    return i


def take(a, indices, axis: int | None = None, mode: str | None = None):
    """``numpy.take``; out-of-bounds indices raise IndexError unless mode is wrap/clip."""
    a = _as_value(a)
    if axis is None:
        a, axis = S.reshape(a, (-1,)), 0
    axis = S.normalize_axis(axis, get_aval(a).ndim, "take")
    i = _norm_take(_int_indices(indices, "take"), get_aval(a).shape[axis], mode)
    return I.take(a, i, axis)


def take_along_axis(arr, indices, axis: int | None):
    """``numpy.take_along_axis``: pick ``arr`` elements along ``axis`` at ``indices``."""
    arr = _as_value(arr)
    i = _int_indices(indices, "take_along_axis")
    if axis is None:
        arr, axis = S.reshape(arr, (-1,)), 0
    shape = get_aval(arr).shape
    ishape = get_aval(i).shape
    if len(ishape) != len(shape):
        raise ValueError(f"take_along_axis: indices must have the same number of dimensions "
                         f"as arr, got {len(ishape)} and {len(shape)}")
    axis = S.normalize_axis(axis, len(shape), "take_along_axis")
    i = _Index._normalize(i, shape[axis], axis)
    bshape = tuple(np.broadcast_shapes(ishape, tuple(1 if d == axis else n
                                                    for d, n in enumerate(shape))))
    comps = [i if d == axis else np.arange(n).reshape((1,) * d + (n,) + (1,) *
                                                      (len(shape) - d - 1))
             for d, n in enumerate(shape)]
    return I.take_p.bind(arr, _stack_indices(comps, bshape), axis=0)


def _starts(x, start_indices, sizes, who: str):
    shape = get_aval(x).shape
    if len(start_indices) != len(shape) or len(sizes) != len(shape):
        raise ValueError(f"{who}: need one start index and one size per axis of "
                         f"{get_aval(x).str_short()}")
    out = []
    for s, size, n in zip(start_indices, sizes, shape):
        size = int(size)
        if not 0 <= size <= n:
            raise ValueError(f"{who}: size {size} does not fit an axis of size {n}")
        if _traced(s):
            if get_aval(s).shape != () or get_aval(s).dtype.kind not in "iu":
                raise TypeError(f"{who}: start indices must be integer scalars")
            s = E.select(E.lt(s, 0), E.add(s, n), s)
            out.append((X.clip(s, 0, n - size), size))
        else:
            s = operator.index(s)
            out.append((min(max(s + n if s < 0 else s, 0), n - size), size))
    return out


def dynamic_slice(x, start_indices, slice_sizes):
    """``x[s0:s0+n0, s1:s1+n1, ...]`` with traced starts and static sizes. As in
    ``jax.lax.dynamic_slice``, a negative start counts from the end, then starts are clamped
    so that the slice fits."""
    x = _as_value(x)
    starts = _starts(x, start_indices, slice_sizes, "dynamic_slice")
    lo = [0 if _traced(s) else s for s, _ in starts]
    hi = [get_aval(x).shape[d] if _traced(s) else s + n for d, (s, n) in enumerate(starts)]
    x = S.slice_static(x, lo, hi)
    for d, (s, n) in enumerate(starts):
        if _traced(s):
            x = I.take(x, E.add(s, np.arange(n, dtype=get_aval(s).dtype)), d)
    return x


def dynamic_update_slice(x, update, start_indices):
    """``x`` with the box at ``start_indices`` (clamped) replaced by ``update``."""
    x = _as_value(x)
    update = _as_value(update, get_aval(x).dtype)
    sizes = get_aval(update).shape
    starts = _starts(x, start_indices, sizes, "dynamic_update_slice")
    comps = [E.add(s, np.arange(n).reshape((1,) * d + (n,) + (1,) * (len(sizes) - d - 1)))
             if _traced(s) else np.arange(s, s + n).reshape((1,) * d + (n,) + (1,) *
                                                            (len(sizes) - d - 1))
             for d, (s, n) in enumerate(starts)]
    if not sizes:
        return update
    return I.scatter(x, _stack_indices(comps, sizes), update, 0)
