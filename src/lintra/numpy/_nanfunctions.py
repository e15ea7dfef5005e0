"""NaN-ignoring reductions (``nansum`` ... ``nancumsum``), ``count_nonzero`` and
``cumulative_sum``.

Each replaces the NaNs by the reduction's neutral element with ``select`` before reducing, so
the NaN entries get a zero gradient (JAX's convention) and every transformation works."""

from __future__ import annotations

import numpy as np

from ..core.trace import get_aval
from ..ops import base
from ..ops import elementwise as E
from ..ops import extrema as X
from ..ops import reductions as R
from ..ops import structure as S
from ._basic import _acc_dtype, _as_value, _no_out
from ._basic import max as _max
from ._basic import min as _min
from ._basic import sum as _sum
from ._elementwise import isnan
from ._reductions import argmax, argmin, cumsum, prod

__all__ = ["nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanstd", "nanvar",
           "nanargmax", "nanargmin", "nancumsum", "count_nonzero", "cumulative_sum"]


def _inexact(a) -> bool:
    return get_aval(a).dtype.kind in "fc"


def _replace_nan(a, value):
    """``a`` with its NaNs replaced by ``value`` (integers have none), and the NaN mask."""
    a = _as_value(a)
    if not _inexact(a):
        return a, None
    mask = isnan(a)
    return E.select(mask, np.asarray(value, get_aval(a).dtype), a), mask


def _valid_count(a, mask, axis, keepdims):
    """Number of non-NaN entries reduced over ``axis`` (float, to divide by)."""
    dt = get_aval(a).dtype
    dt = np.finfo(dt).dtype if dt.kind in "fc" else np.dtype(np.float64)
    one, zero = np.ones((), dt), np.zeros((), dt)
    ones = E.select(mask, zero, one) if mask is not None else \
        S.broadcast_to(one, get_aval(a).shape)
    return _sum(ones, axis, keepdims=keepdims)


def nansum(a, axis=None, dtype=None, out=None, keepdims: bool = False):
    """Sum treating NaNs as zero."""
    _no_out(out, "nansum")
    return _sum(_replace_nan(a, 0)[0], axis, dtype, keepdims=keepdims)


def nanprod(a, axis=None, dtype=None, out=None, keepdims: bool = False):
    """Product treating NaNs as one."""
    _no_out(out, "nanprod")
    return prod(_replace_nan(a, 1)[0], axis, dtype, keepdims=keepdims)


def _float(a, dtype=None):
    a = _as_value(a)
    if dtype is not None:
        return base.convert_element_type(a, dtype)
    return base.promote_float(a)[0]


def nanmean(a, axis=None, dtype=None, out=None, keepdims: bool = False):
    """Mean of the non-NaN entries (NaN where there are none)."""
    _no_out(out, "nanmean")
    a = _float(a, dtype)
    b, mask = _replace_nan(a, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return E.div(_sum(b, axis, keepdims=keepdims), _valid_count(a, mask, axis, keepdims))


def nanvar(a, axis=None, dtype=None, out=None, ddof: int = 0, keepdims: bool = False):
    """Variance of the non-NaN entries, ``sum |a - mean|^2 / (count - ddof)``."""
    _no_out(out, "nanvar")
    a = _float(a, dtype)
    m = nanmean(a, axis, keepdims=True)
    mask = isnan(a)         # a's NaNs only: inf - inf (an infinite entry) stays NaN (NumPy)
    b = E.select(mask, np.zeros((), get_aval(a).dtype), E.sub(a, m))
    sq = E.square(E.abs(b)) if get_aval(b).dtype.kind == "c" else E.square(b)
    cnt = _valid_count(a, mask, axis, keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        den = X.maximum(E.sub(cnt, float(ddof)), 0.0)
        return E.div(_sum(sq, axis, keepdims=keepdims), den)


def nanstd(a, axis=None, dtype=None, out=None, ddof: int = 0, keepdims: bool = False):
    """Standard deviation of the non-NaN entries (zero derivative at zero variance)."""
    return X.safe_sqrt(nanvar(a, axis, dtype, out, ddof, keepdims))


def _nan_select(a, axis, keepdims, fill, reduce, all_nan=None):
    """``reduce`` of ``a`` with NaNs replaced by ``fill``; ``all_nan`` where a slice is all
    NaN (NaN of the result's dtype by default)."""
    a = _as_value(a)
    if not _inexact(a):
        return reduce(a, axis, keepdims=keepdims)
    b, mask = _replace_nan(a, fill)
    out = reduce(b, axis, keepdims=keepdims)
    empty = E.eq(_valid_count(a, mask, axis, keepdims), 0.0)
    if all_nan is None:
        all_nan = np.asarray(np.nan, get_aval(out).dtype)
    return E.select(empty, all_nan, out)


def nanmax(a, axis=None, out=None, keepdims: bool = False):
    """Maximum ignoring NaNs (NaN where a slice is all NaN, as NumPy, without its warning)."""
    _no_out(out, "nanmax")
    return _nan_select(a, axis, keepdims, -np.inf, _max)


def nanmin(a, axis=None, out=None, keepdims: bool = False):
    """Minimum ignoring NaNs (NaN where a slice is all NaN)."""
    _no_out(out, "nanmin")
    return _nan_select(a, axis, keepdims, np.inf, _min)


def nanargmax(a, axis=None, out=None, *, keepdims: bool = False):
    """Index of the first maximum ignoring NaNs; -1 for an all-NaN slice (JAX; NumPy
    raises there)."""
    _no_out(out, "nanargmax")
    return _nan_select(a, axis, keepdims, -np.inf, argmax, np.int64(-1))


def nanargmin(a, axis=None, out=None, *, keepdims: bool = False):
    """Index of the first minimum ignoring NaNs; -1 for an all-NaN slice (JAX)."""
    _no_out(out, "nanargmin")
    return _nan_select(a, axis, keepdims, np.inf, argmin, np.int64(-1))


def nancumsum(a, axis=None, dtype=None):
    """Cumulative sum treating NaNs as zero."""
    return cumsum(_replace_nan(a, 0)[0], axis, dtype)


def count_nonzero(a, axis=None, *, keepdims: bool = False):
    """Number of nonzero entries (int64) over ``axis``."""
    a = _as_value(a)
    nz = a if get_aval(a).dtype == np.bool_ else E.ne(a, 0)
    return _sum(base.convert_element_type(nz, np.int64), axis, keepdims=keepdims)


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial: bool = False):
    """``numpy.cumulative_sum`` (array API): ``axis`` may be omitted only for 1-d input;
    ``include_initial`` prepends a zero along ``axis``."""
    return _cumulative("cumulative_sum", R.cumsum, 0, x, axis, dtype, include_initial)


def _cumulative(name: str, scan, initial, x, axis, dtype, include_initial: bool):
    """The array API's cumulative ``scan`` (``initial``: its identity, prepended along
    ``axis`` with ``include_initial``)."""
    x = _as_value(x)
    nd = get_aval(x).ndim
    if axis is None:
        if nd > 1:
            raise ValueError(f"{name}: axis must be given for arrays of more than one "
                             "dimension")
        x, axis = (S.reshape(x, (1,)) if nd == 0 else x), 0
    axis = S.normalize_axis(axis, get_aval(x).ndim, name)
    x = base.convert_element_type(x, _acc_dtype(get_aval(x).dtype, dtype))
    out = scan(x, axis)
    if include_initial:
        shape = list(get_aval(out).shape)
        shape[axis] = 1
        out = S.concatenate([np.full(shape, initial, get_aval(out).dtype), out], axis)
    return out
