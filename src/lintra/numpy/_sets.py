"""Set routines: ``isin``, ``intersect1d``, ``union1d``, ``setdiff1d``, ``setxor1d`` and the
array-API ``unique_values``/``unique_counts``/``unique_inverse``/``unique_all``.

``isin`` is a broadcast comparison, fine under any transformation. The others have a
data-dependent length: without ``size=`` they need concrete inputs (NumPy computes them);
with ``size=`` (JAX's convention) they are sorted distinct values selected by a mask and
padded with ``fill_value`` (default: the smallest result), which also works under ``jit``.
Values gathered from a traced input carry its derivative."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..core.trace import Tracer, get_aval
from ..ops import base
from ..ops import elementwise as E
from ..ops import indexing as I
from ..ops import reductions as R
from ..ops import structure as S
from ._basic import _as_value
from ._elementwise import isnan, logical_and, logical_not
from ._index_tricks import nonzero
from ._reductions import any as _any
from ._searching import unique
from ._sorting import argsort

__all__ = ["isin", "intersect1d", "union1d", "setdiff1d", "setxor1d", "unique_values",
           "unique_counts", "unique_inverse", "unique_all", "UniqueAllResult",
           "UniqueCountsResult", "UniqueInverseResult"]


def _flat(a):
    return S.reshape(_as_value(a), (-1,))


def isin(element, test_elements, assume_unique: bool = False, invert: bool = False, *,
         kind=None, method=None):
    """Whether each element of ``element`` is in ``test_elements`` (shape of ``element``)."""
    del assume_unique, kind, method
    e, t = base.promote(_as_value(element), _flat(test_elements))
    shape = get_aval(e).shape
    if get_aval(t).shape[0] == 0:
        hit = S.broadcast_to(np.bool_(False), shape)
    else:
        eq = E.eq(S.reshape(e, shape + (1,)), S.reshape(t, (1,) * len(shape) + (-1,)))
        hit = _any(eq, axis=len(shape))
    return logical_not(hit) if invert else hit


def _traced(*xs) -> bool:
    return any(isinstance(x, Tracer) for x in xs)


def _distinct(a):
    """(sorted values of 1-d ``a``, mask of the first of each run of equal values)."""
    srt = I.take(a, argsort(a), 0)
    n = get_aval(srt).shape[0]
    if n == 0:
        return srt, np.zeros(0, bool)
    prev, cur = S.slice_static(srt, (0,), (n - 1,)), S.slice_static(srt, (1,), (n,))
    new = E.ne(cur, prev)
    if get_aval(srt).dtype.kind in "fc":
        new = logical_and(new, logical_not(logical_and(isnan(cur), isnan(prev))))
    return srt, S.concatenate([np.ones(1, bool), new], 0)


def _sized(vals, mask, size: int, fill_value, who: str):
    """The entries of ``vals`` where ``mask`` holds, the first ``size`` of them, padded."""
    size = int(size)
    if get_aval(vals).shape[0] == 0:
        if fill_value is None:
            raise ValueError(f"{who}: size= with empty inputs needs a fill_value")
        return S.broadcast_to(base.convert_element_type(_as_value(fill_value),
                                                        get_aval(vals).dtype), (size,))
    (pos,) = nonzero(mask, size=size, fill_value=0)
    count = R.reduce_sum(base.convert_element_type(mask, np.int64), (0,))
    valid = E.lt(np.arange(size), count)
    picked = I.take(vals, pos, 0)
    if fill_value is None:           # the smallest selected value (JAX)
        fill = R.reduce_min(E.select(valid, picked, I.take(picked, np.int64(0), 0)), (0,))
    else:
        fill = base.convert_element_type(_as_value(fill_value), get_aval(vals).dtype)
    return E.select(valid, picked, fill)


def _numpy(fn, *arrays):
    """NumPy's ``fn`` of concrete ``arrays`` (a clear error for traced ones)."""
    if _traced(*arrays):
        name = fn.__name__
        raise ValueError(f"{name}: the result has a data-dependent length, which needs "
                         f"concrete inputs; under a trace pass size= to fix it")
    return fn(*(np.asarray(a) for a in arrays))


def union1d(ar1, ar2, *, size: int | None = None, fill_value=None):
    """The sorted distinct values of both arrays."""
    if size is None:
        return _numpy(np.union1d, ar1, ar2)
    a, b = base.promote(_flat(ar1), _flat(ar2))
    vals, mask = _distinct(S.concatenate([a, b], 0))
    return _sized(vals, mask, size, fill_value, "union1d")


def setdiff1d(ar1, ar2, assume_unique: bool = False, *, size: int | None = None,
              fill_value=None):
    """The sorted distinct values of ``ar1`` that are not in ``ar2`` (padding: 0, JAX)."""
    if size is None:
        return _numpy(np.setdiff1d, ar1, ar2)
    vals, mask = _distinct(_flat(ar1))
    mask = logical_and(mask, isin(vals, ar2, invert=True))
    return _sized(vals, mask, size, 0 if fill_value is None else fill_value, "setdiff1d")


def intersect1d(ar1, ar2, assume_unique: bool = False, return_indices: bool = False, *,
                size: int | None = None, fill_value=None):
    """The sorted distinct values in both arrays (and, concretely, their first indices)."""
    if size is None:
        if _traced(ar1, ar2):
            _numpy(np.intersect1d, ar1, ar2)
        return np.intersect1d(np.asarray(ar1), np.asarray(ar2), assume_unique, return_indices)
    if return_indices:
        raise NotImplementedError("intersect1d: return_indices=True together with size=")
    vals, mask = _distinct(_flat(ar1))
    mask = logical_and(mask, isin(vals, ar2))
    return _sized(vals, mask, size, fill_value, "intersect1d")


def setxor1d(ar1, ar2, assume_unique: bool = False, *, size: int | None = None,
             fill_value=None):
    """The sorted distinct values in exactly one of the arrays."""
    if size is None:
        return _numpy(np.setxor1d, ar1, ar2)
    a, b = base.promote(_flat(ar1), _flat(ar2))
    vals, mask = _distinct(S.concatenate([a, b], 0))
    mask = logical_and(mask, E.ne(isin(vals, a), isin(vals, b)))
    return _sized(vals, mask, size, fill_value, "setxor1d")


class UniqueAllResult(NamedTuple):
    values: object
    indices: object
    inverse_indices: object
    counts: object


class UniqueCountsResult(NamedTuple):
    values: object
    counts: object


class UniqueInverseResult(NamedTuple):
    values: object
    inverse_indices: object


def unique_values(x, *, size: int | None = None, fill_value=None):
    """The sorted distinct values (NaNs distinct, as in the array API)."""
    return unique(x, equal_nan=False, size=size, fill_value=fill_value)


def unique_counts(x, *, size: int | None = None, fill_value=None) -> UniqueCountsResult:
    """The sorted distinct values and how often each occurs."""
    return UniqueCountsResult(*unique(x, return_counts=True, equal_nan=False, size=size,
                                      fill_value=fill_value))


def unique_inverse(x, *, size: int | None = None, fill_value=None) -> UniqueInverseResult:
    """The sorted distinct values and, for each element of ``x``, its value's position
    (in ``x``'s shape)."""
    vals, inv = unique(x, return_inverse=True, equal_nan=False, size=size,
                       fill_value=fill_value)
    return UniqueInverseResult(vals, S.reshape(inv, get_aval(_as_value(x)).shape))


def unique_all(x, *, size: int | None = None, fill_value=None) -> UniqueAllResult:
    """Values, first indices, inverse indices (in ``x``'s shape) and counts."""
    vals, idx, inv, cnt = unique(x, return_index=True, return_inverse=True,
                                 return_counts=True, equal_nan=False, size=size,
                                 fill_value=fill_value)
    return UniqueAllResult(vals, idx, S.reshape(inv, get_aval(_as_value(x)).shape), cnt)
