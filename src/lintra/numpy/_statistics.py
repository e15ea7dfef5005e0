"""Order statistics and moments: ``quantile``, ``percentile``, ``median``, ``cov``,
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

__all__ = ["quantile", "percentile", "median", "cov", "corrcoef", "trapezoid", "trapz"]

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


def _positions(q, n: int, method: str):
    """Lower/upper order-statistic indices (int64) and the weight of the upper one."""
    pos = E.mul(q, float(n - 1))
    lo = X.clip(E.floor(pos), 0.0, float(n - 1))
    hi = X.clip(E.ceil(pos), 0.0, float(n - 1))
    frac = E.sub(pos, lo)
    if method == "lower":
        hi, frac = lo, E.mul(frac, 0.0)
    elif method == "higher":
        lo, frac = hi, E.mul(frac, 0.0)
    elif method == "nearest":
        lo = hi = X.clip(E.round(pos), 0.0, float(n - 1))   # half to even, as NumPy
        frac = E.mul(frac, 0.0)
    elif method == "midpoint":
        frac = E.select(E.eq(lo, hi), 0.0, 0.5)
    as_int = lambda v: base.convert_element_type(base.stop_gradient(v), np.int64)  # noqa: E731
    return as_int(lo), as_int(hi), frac


def quantile(a, q, axis=None, out=None, overwrite_input: bool = False,
             method: str = "linear", keepdims: bool = False, *, weights=None):
    """``q``-th quantiles (``q`` in [0, 1], any shape: its axes come first in the result)
    along ``axis`` (None, int or tuple); NaN where a slice holds a NaN, as NumPy."""
    if out is not None:
        raise NotImplementedError("quantile: out= is not supported (arrays are immutable)")
    if weights is not None:
        raise NotImplementedError("quantile: weights= is not supported")
    if method not in _METHODS:
        raise ValueError(f"quantile: method must be one of {_METHODS}, got {method!r}")
    a = base.promote_float(_as_value(a))[0]
    scalar_q = isinstance(q, (int, float))               # Python numbers take a's precision
    q = _as_value(q)
    qa = None if _is_traced(q) else np.asarray(q)
    if scalar_q or get_aval(q).dtype.kind != "f":
        q = base.convert_element_type(q, get_aval(a).dtype)
    if qa is not None and (np.any(qa < 0) or np.any(qa > 1)):
        raise ValueError("quantile: q must be in the range [0, 1]")
    flat, kept = _to_last(a, axis)
    n = get_aval(flat).shape[-1]
    if n == 0:
        raise ValueError("quantile: cannot take a quantile of an empty slice")
    srt = sort(flat, axis=-1)
    bshape = get_aval(srt).shape[:-1]
    qshape = get_aval(q).shape
    lo, hi, frac = _positions(q, n, method)

    def pick(i):                                   # (q..., batch...) gathered order stats
        idx = S.broadcast_to(S.reshape(i, qshape + (1,) * len(bshape) + (1,)),
                             qshape + bshape + (1,))
        vals = S.broadcast_to(srt, qshape + get_aval(srt).shape)
        return S.reshape(take_along_axis(vals, idx, -1), qshape + bshape)

    w = S.reshape(frac, qshape + (1,) * len(bshape))
    lv, hv = pick(lo), pick(hi)
    res = E.add(E.mul(lv, E.sub(1.0, w)), E.mul(hv, w))
    res = E.select(_any(isnan(flat), -1), np.asarray(np.nan, get_aval(res).dtype), res)
    if keepdims:
        res = S.reshape(res, qshape + kept)
    return res


def _is_traced(x) -> bool:
    return isinstance(x, Tracer)


def percentile(a, q, axis=None, out=None, overwrite_input: bool = False,
               method: str = "linear", keepdims: bool = False, *, weights=None):
    """``q``-th percentiles (``q`` in [0, 100]); see ``quantile``."""
    if not isinstance(q, (int, float)):
        q = _as_value(q)
    if not _is_traced(q) and (np.any(np.asarray(q) < 0) or np.any(np.asarray(q) > 100)):
        raise ValueError("percentile: q must be in the range [0, 100]")
    q = q / 100 if isinstance(q, (int, float)) else E.div(base.promote_float(q)[0], 100.0)
    return quantile(a, q, axis, out, overwrite_input,
                    method, keepdims, weights=weights)


def median(a, axis=None, out=None, overwrite_input: bool = False, keepdims: bool = False):
    """Median along ``axis``: the middle order statistic, or the mean of the two middle
    ones (the derivative is shared between them)."""
    return quantile(a, 0.5, axis, out, overwrite_input, "linear", keepdims)


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
