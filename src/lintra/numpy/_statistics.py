"""Order statistics and moments: ``quantile``, ``percentile``, ``median`` (and their
NaN-ignoring ``nan*`` forms), ``cov``,
``corrcoef``, ``trapezoid`` (alias ``trapz``).

Quantiles sort the data and interpolate between the two neighbouring order statistics, so the
derivative flows to the selected elements through the interpolation weights (JAX's
convention), and to ``q`` through the interpolation position."""

from __future__ import annotations

import numpy as np

from ..core.trace import Tracer, get_aval
from ..ops import base
from ..ops import complex as C
from ..ops import elementwise as E
from ..ops import extrema as X
from ..ops import structure as S
from ._arraymath import diff
from ._basic import _as_value
from ._basic import sum as _sum
from ._elementwise import isnan
from ._reductions import any as _any
from ._reductions import average
from ._sorting import sort
from ._structure import diagonal
from ._take import take_along_axis
from .linalg import matmul

__all__ = ["quantile", "percentile", "median", "nanquantile", "nanpercentile", "nanmedian",
           "cov", "corrcoef", "trapezoid", "trapz"]

_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _to_last(a, axis):
    """``a`` with the reduced axes merged into one last axis, and the kept shape (keepdims)."""
    shape = get_aval(a).shape
    if axis is None:
        return S.reshape(a, (-1,)), (1,) * len(shape)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = sorted({S.normalize_axis(int(ax), len(shape), "quantile") for ax in axes})
    rest = [d for d in range(len(shape)) if d not in axes]
    a = S.transpose(a, tuple(rest + axes))
    a = S.reshape(a, tuple(shape[d] for d in rest) + (-1,))
    return a, tuple(1 if d in axes else n for d, n in enumerate(shape))


def _positions(q, last, method: str):
    """NumPy's order-statistic indices (int64) of fractions ``q`` of slices whose last index
    is ``last`` (a number, or one per slice), and the weight of the upper one: None for
    the methods that take one order statistic. As NumPy, linear and midpoint interpolate
    between ``floor(v)`` and the next index even where the weight is 0, and past the last
    index between the last value and itself with the weight ``v + 1`` (so an infinity
    there gives NaN, and -0.0 stays -0.0)."""
    def clamp(v):
        return X.minimum(X.maximum(v, 0.0), X.maximum(last, 0.0))
    pos = E.mul(q, last)
    if method in ("lower", "higher", "nearest"):
        pick = {"lower": E.floor, "higher": E.ceil, "nearest": E.round}[method]
        lo, hi, frac = clamp(pick(pos)), None, None         # round: half to even, as NumPy
    else:
        if method == "midpoint":
            pos = E.mul(E.add(E.floor(pos), E.ceil(pos)), 0.5)
        prev = E.floor(pos)
        above = E.ge(pos, last)
        lo = clamp(E.select(above, last, prev))
        hi = clamp(E.select(above, last, E.add(prev, 1.0)))
        if method == "midpoint":
            frac = E.select(E.eq(pos, prev), E.mul(pos, 0.0), E.add(E.mul(pos, 0.0), 0.5))
        else:       # at a whole index the weight is constant in q, as JAX's gradient
            frac = E.sub(pos, prev)
            frac = E.select(above, E.add(pos, 1.0),
                            E.select(E.eq(pos, prev), base.stop_gradient(frac), frac))
    as_int = lambda v: base.convert_element_type(base.stop_gradient(v), np.int64)  # noqa: E731
    return as_int(lo), None if hi is None else as_int(hi), frac


def _is_traced(x) -> bool:
    return isinstance(x, Tracer)


def _check_q(a, q, method, who: str, scale: float):
    if method not in _METHODS:
        raise ValueError(f"{who}: method must be one of {_METHODS}, got {method!r}")
    a = _as_value(a)
    # the methods that take one order statistic keep integers, as NumPy; the others float
    whole = method in ("lower", "higher", "nearest") and get_aval(a).dtype.kind in "iu"
    a = a if whole else base.promote_float(a)[0]
    qdt = np.dtype(np.float64) if whole else get_aval(a).dtype
    scalar_q = isinstance(q, (int, float))               # Python numbers take a's precision
    q = _as_value(q)
    if not _is_traced(q) and (np.any(np.asarray(q) < 0) or np.any(np.asarray(q) > scale)):
        raise ValueError(f"{who}: q must be in the range [0, {scale:g}]")
    if scalar_q:
        q = base.convert_element_type(q, qdt)
    elif get_aval(q).dtype.kind != "f":                  # int arrays promote as in NumPy
        q = base.convert_element_type(q, np.result_type(qdt, get_aval(q).dtype))
    if scale != 1:
        q = E.div(q, scale)
    return a, q


def _quantile(a, q, axis, method, keepdims, ignore_nan: bool):
    flat, kept = _to_last(a, axis)
    n = get_aval(flat).shape[-1]
    if n == 0:
        raise ValueError("quantile: cannot take a quantile of an empty slice")
    srt = sort(flat, axis=-1)                      # NaNs last
    bshape = get_aval(srt).shape[:-1]
    qshape = get_aval(q).shape
    out_shape = qshape + bshape
    nans = isnan(flat)
    dt = get_aval(a).dtype
    if ignore_nan:
        last = E.sub(_sum(E.select(nans, np.zeros((), dt), np.ones((), dt)), -1), 1.0)
    else:
        last = float(n - 1)
    lo, hi, frac = _positions(S.reshape(q, qshape + (1,) * len(bshape)), last, method)

    def pick(i):                                   # (q..., batch...) gathered order stats
        idx = S.broadcast_to(S.reshape(i, get_aval(i).shape + (1,)), out_shape + (1,))
        vals = S.broadcast_to(srt, qshape + get_aval(srt).shape)
        return S.reshape(take_along_axis(vals, idx, -1), out_shape)

    res = pick(lo) if hi is None else _lerp(pick(lo), pick(hi), frac)
    if dt.kind not in "iu":                               # integers hold no NaN
        bad = E.lt(last, 0.0) if ignore_nan else _any(nans, -1)   # all NaN / any NaN
        res = E.select(bad, np.asarray(np.nan, get_aval(res).dtype), res)
    return S.reshape(res, qshape + kept) if keepdims else res


def _lerp(lo, hi, t):
    """NumPy's interpolation between order statistics, from the nearer end: exact at both
    ends, and NaN where an infinity meets the interpolation (``[1, 2, inf]``'s 75th
    percentile is NaN in NumPy, not inf)."""
    diff = E.sub(hi, lo)
    return E.select(E.ge(t, 0.5), E.sub(hi, E.mul(diff, E.sub(1.0, t))),
                    E.add(lo, E.mul(diff, t)))


def _no_out(out, weights, who: str):
    if out is not None:
        raise NotImplementedError(f"{who}: out= is not supported (arrays are immutable)")
    if weights is not None:
        raise NotImplementedError(f"{who}: weights= is not supported")


def quantile(a, q, axis=None, out=None, overwrite_input: bool = False,
             method: str = "linear", keepdims: bool = False, *, weights=None):
    """``q``-th quantiles (``q`` in [0, 1], any shape: its axes come first in the result)
    along ``axis`` (None, int or tuple); NaN where a slice holds a NaN, as NumPy."""
    _no_out(out, weights, "quantile")
    a, q = _check_q(a, q, method, "quantile", 1.0)
    return _quantile(a, q, axis, method, keepdims, False)


def nanquantile(a, q, axis=None, out=None, overwrite_input: bool = False,
                method: str = "linear", keepdims: bool = False, *, weights=None):
    """``quantile`` of the non-NaN entries (NaN for an all-NaN slice)."""
    _no_out(out, weights, "nanquantile")
    a, q = _check_q(a, q, method, "nanquantile", 1.0)
    return _quantile(a, q, axis, method, keepdims, True)


def percentile(a, q, axis=None, out=None, overwrite_input: bool = False,
               method: str = "linear", keepdims: bool = False, *, weights=None):
    """``q``-th percentiles (``q`` in [0, 100]); see ``quantile``."""
    _no_out(out, weights, "percentile")
    a, q = _check_q(a, q, method, "percentile", 100.0)
    return _quantile(a, q, axis, method, keepdims, False)


def nanpercentile(a, q, axis=None, out=None, overwrite_input: bool = False,
                  method: str = "linear", keepdims: bool = False, *, weights=None):
    """``percentile`` of the non-NaN entries."""
    _no_out(out, weights, "nanpercentile")
    a, q = _check_q(a, q, method, "nanpercentile", 100.0)
    return _quantile(a, q, axis, method, keepdims, True)


def median(a, axis=None, out=None, overwrite_input: bool = False, keepdims: bool = False):
    """Median along ``axis``: the middle order statistic, or the mean of the two middle
    ones (the derivative is shared between them)."""
    return quantile(a, 0.5, axis, out, overwrite_input, "linear", keepdims)


def nanmedian(a, axis=None, out=None, overwrite_input: bool = False, keepdims: bool = False):
    """Median of the non-NaN entries (NaN for an all-NaN slice)."""
    return nanquantile(a, 0.5, axis, out, overwrite_input, "linear", keepdims)


def _rows(m, rowvar: bool, dtype):
    m = _as_value(m)
    if get_aval(m).ndim > 2:
        raise ValueError("cov: m has more than 2 dimensions")
    if dtype is None:                   # NumPy: at least float64
        dtype = np.result_type(get_aval(m).dtype, np.float64)
    m = base.convert_element_type(m, dtype)
    if get_aval(m).ndim < 2:
        m = S.reshape(m, (1, -1))
    if not rowvar and get_aval(m).shape[0] != 1:
        m = S.transpose(m, (1, 0))
    return m


def cov(m, y=None, rowvar: bool = True, bias: bool = False, ddof=None, fweights=None,
        aweights=None, *, dtype=None):
    """Covariance matrix of the variables in the rows (``rowvar``) or columns of ``m`` (and
    ``y``); weights as NumPy. A single variable gives a 0-d result."""
    if ddof is not None and ddof != int(ddof):
        raise ValueError("cov: ddof must be an integer")
    x = _rows(m, rowvar, dtype)
    if y is not None:
        x, yy = base.promote_float(x, _rows(y, rowvar, dtype))
        x = S.concatenate([x, yy], 0)
    ddof = (0 if bias else 1) if ddof is None else int(ddof)
    w = None
    for wt in (fweights, aweights):
        if wt is not None:
            wt = base.promote_float(_as_value(wt))[0]
            w = wt if w is None else E.mul(w, wt)
    avg, w_sum = average(x, axis=1, weights=w, returned=True)
    w_sum = S.slice_static(w_sum, (0,), (1,)) if get_aval(w_sum).ndim else w_sum
    w_sum = S.reshape(w_sum, ())
    if w is None:
        fact = float(get_aval(x).shape[1] - ddof)
    elif ddof == 0:
        fact = w_sum
    elif aweights is None:
        fact = E.sub(w_sum, float(ddof))
    else:
        aw = base.promote_float(_as_value(aweights))[0]
        fact = E.sub(w_sum, E.div(E.mul(float(ddof), _sum(E.mul(w, aw))), w_sum))
    xc = E.sub(x, S.reshape(avg, (-1, 1)))
    xw = xc if w is None else E.mul(xc, w)
    xt = S.transpose(xw, (1, 0))
    if get_aval(xt).dtype.kind == "c":
        xt = C.conj(xt)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = E.div(matmul(xc, xt), fact)
    return S.reshape(c, ()) if get_aval(c).shape == (1, 1) else c


def corrcoef(x, y=None, rowvar: bool = True, *, dtype=None):
    """Pearson correlation coefficients, ``cov / (std_i std_j)``, clipped to [-1, 1]."""
    c = cov(x, y, rowvar, dtype=dtype)
    if get_aval(c).ndim == 0:
        return E.div(c, c)
    d = diagonal(c)
    if get_aval(d).dtype.kind == "c":
        d = C.real(d)
    sd = X.safe_sqrt(d)
    c = E.div(E.div(c, S.reshape(sd, (-1, 1))), S.reshape(sd, (1, -1)))
    if get_aval(c).dtype.kind == "c":
        return c
    return X.clip(c, -1.0, 1.0)


def trapezoid(y, x=None, dx=1.0, axis: int = -1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule, at sample points ``x``
    (1-d along ``axis``, or ``y``'s shape) or spacing ``dx``."""
    y = base.promote_float(_as_value(y))[0]
    nd = get_aval(y).ndim
    axis = S.normalize_axis(axis, nd, "trapezoid")
    n = get_aval(y).shape[axis]
    if x is None:
        d = dx if isinstance(dx, (int, float)) else _as_value(dx)
    else:
        x = _as_value(x)
        d = diff(x, axis=-1 if get_aval(x).ndim == 1 else axis)
        if get_aval(x).ndim == 1:
            d = S.reshape(d, tuple(n - 1 if i == axis else 1 for i in range(nd)))
    lo = [0] * nd
    hi = list(get_aval(y).shape)
    hi[axis] = n - 1
    left = S.slice_static(y, tuple(lo), tuple(hi))
    lo[axis], hi[axis] = 1, n
    right = S.slice_static(y, tuple(lo), tuple(hi))
    return _sum(E.mul(d, E.mul(E.add(left, right), 0.5)), axis)


trapz = trapezoid
