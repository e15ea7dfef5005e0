"""Reductions with NumPy names and signatures (``axis``: None, int, tuple, negative;
``keepdims``), plus the scipy/ML helpers scientists expect (``logsumexp``, ``softmax``,
``log_softmax``). ``sum``/``max``/``min``/``mean`` live in ``_basic`` (rules rely on them)."""

from __future__ import annotations

import numpy as np

from ..core.trace import get_aval
from ..ops import base
from ..ops import complex as C
from ..ops import elementwise as E
from ..ops import extrema as X
from ..ops import reductions as R
from ..ops import structure as S
from ._basic import _acc_dtype, _as_value, _keep, _masked, _no_out, _selected_count
from ._basic import max as _max
from ._basic import mean as _mean
from ._basic import min as _min
from ._basic import sum as _sum
from ._elementwise import isfinite, isnan, logical_and, logical_or

__all__ = ["prod", "product", "var", "std", "argmax", "argmin", "cumsum", "cumprod",
           "average", "logsumexp", "softmax", "log_softmax", "any", "all", "ptp", "isclose",
           "allclose", "array_equal"]


def _float(a, dtype=None):
    a = _as_value(a)
    if dtype is not None:
        return base.convert_element_type(a, dtype)
    return base.promote_float(a)[0]


def _count(a, axes) -> int:
    shape = get_aval(a).shape
    return int(np.prod([shape[i] for i in axes], dtype=np.int64))


def prod(a, axis=None, dtype=None, out=None, keepdims: bool = False, initial=None,
         where=None):
    """Product over ``axis``; its derivative is exact where entries are zero. ``where``
    masks entries out, ``initial`` multiplies (NumPy's signature)."""
    _no_out(out, "prod")
    a = _as_value(a)
    a = base.convert_element_type(a, _acc_dtype(get_aval(a).dtype, dtype))
    if where is not None:
        a = _masked(a, where, 1)
    axes = R.normalize_axes(axis, get_aval(a).ndim)
    y = _keep(R.reduce_prod(a, axes), a, axes, keepdims)
    return y if initial is None else E.mul(y, initial)


product = prod


def _ddof(ddof, correction) -> float:
    """NumPy 2's ``correction`` is the array-API name of ``ddof``; giving both is an error."""
    if correction is None:
        return ddof
    if ddof != 0:
        raise ValueError("var/std: ddof and correction can't be provided simultaneously")
    return correction


def var(a, axis=None, dtype=None, out=None, ddof: int = 0, keepdims: bool = False, *,
        where=None, mean=None, correction=None):  # noqa: A002
    """Variance, ``sum(|a - mean|^2) / (n - ddof)``; integers in float64 (NumPy). With
    ``where``, of the selected entries (``n`` counts them); ``mean`` is a precomputed mean
    (keepdims shape) and ``correction`` another name of ``ddof`` (NumPy 2)."""
    _no_out(out, "var")
    ddof = _ddof(ddof, correction)
    a = _float(a, dtype)
    axes = R.normalize_axes(axis, get_aval(a).ndim)
    m = _mean(a, axes, keepdims=True, where=where) if mean is None else mean
    centered = E.sub(a, m)
    if get_aval(centered).dtype.kind == "c":           # |c|^2 = Re(c conj(c)), real
        sq = C.real(E.mul(centered, C.conj(centered)))
    else:
        sq = E.square(centered)
    total = _sum(sq, axes, keepdims=keepdims, where=where)
    if where is None:
        return E.div(total, float(np.maximum(_count(a, axes) - ddof, 0)))
    n = _selected_count(sq, axes, keepdims, where)
    return E.div(total, X.maximum(E.sub(n, float(ddof)), 0.0))


def std(a, axis=None, dtype=None, out=None, ddof: int = 0, keepdims: bool = False, *,
        where=None, mean=None, correction=None):  # noqa: A002
    """Standard deviation, ``sqrt(var)``. Where the variance is 0 (constant data) the
    derivative is 0 (a subgradient; the true one is undefined there), not nan."""
    return X.safe_sqrt(var(a, axis, dtype, out, ddof, keepdims, where=where, mean=mean,
                           correction=correction))


def _arg(prim_fn, a, axis, keepdims):
    a = _as_value(a)
    shape = get_aval(a).shape
    if axis is None:
        out = prim_fn(S.reshape(a, (-1,)), 0)
        return S.reshape(out, (1,) * len(shape)) if keepdims else out
    if isinstance(axis, (tuple, list)):
        raise TypeError("argmax/argmin take an int axis or None, not a tuple")
    if not shape:   # a 0-d array: its only element is the extremum
        R.normalize_axes(axis, 0)
        return np.zeros((), np.int64)
    out = prim_fn(a, axis)
    if keepdims:
        ax = R.normalize_axes(axis, len(shape))
        return S.reshape(out, [1 if i in ax else d for i, d in enumerate(shape)])
    return out


def argmax(a, axis=None, keepdims: bool = False):
    """Index of the first maximum (int64; ``axis=None``: into the flattened array)."""
    return _arg(R.argmax, a, axis, keepdims)


def argmin(a, axis=None, keepdims: bool = False):
    """Index of the first minimum (int64; ``axis=None``: into the flattened array)."""
    return _arg(R.argmin, a, axis, keepdims)


def _cum(prim_fn, a, axis, dtype):
    a = _as_value(a)
    a = base.convert_element_type(a, _acc_dtype(get_aval(a).dtype, dtype))
    if axis is None:
        a, axis = S.reshape(a, (-1,)), 0
    elif not get_aval(a).ndim:
        a = S.reshape(a, (1,))
    return prim_fn(a, int(axis))


def cumsum(a, axis=None, dtype=None):
    """Cumulative sum (``axis=None`` flattens, as NumPy); linear."""
    return _cum(R.cumsum, a, axis, dtype)


def cumprod(a, axis=None, dtype=None):
    """Cumulative product (``axis=None`` flattens); exact derivative with zeros."""
    return _cum(R.cumprod, a, axis, dtype)


def average(a, axis=None, weights=None, returned: bool = False, keepdims: bool = False):
    """Weighted mean ``sum(a * w) / sum(w)``; ``weights`` has ``a``'s shape, or is 1-D along
    an int ``axis``. With ``returned``, also the sum of weights (broadcast like the result)."""
    if weights is None:
        a = _float(a)
        axes = R.normalize_axes(axis, get_aval(a).ndim)
        avg = _mean(a, axes, keepdims=keepdims)
        scl = float(_count(a, axes))
        return (avg, S.broadcast_to(np.asarray(scl, get_aval(avg).dtype),
                                    get_aval(avg).shape)) if returned else avg
    a, w = base.promote_float(a, weights)
    shape, wshape = get_aval(a).shape, get_aval(w).shape
    if wshape != shape:
        if axis is None:
            raise TypeError("average: axis must be given when weights and a differ in shape")
        if not isinstance(axis, (int, np.integer)):
            raise TypeError("average: 1-D weights need an int axis")
        ax = R.normalize_axes(axis, len(shape))[0]
        if len(wshape) != 1 or wshape[0] != shape[ax]:
            raise ValueError(f"average: weights of shape {wshape} do not match a of shape "
                             f"{shape} along axis {axis}")
        w = S.reshape(w, [d if i == ax else 1 for i, d in enumerate(shape)])
    axes = R.normalize_axes(axis, len(shape))
    scl = _sum(S.broadcast_to(w, shape), axes, keepdims=keepdims)
    avg = E.div(_sum(E.mul(a, w), axes, keepdims=keepdims), scl)
    return (avg, scl) if returned else avg


def logsumexp(a, axis=None, keepdims: bool = False):
    """``log(sum(exp(a)))``, numerically stable; its gradient is exactly ``softmax``."""
    a = _float(a)
    axes = R.normalize_axes(axis, get_aval(a).ndim)
    return _keep(R.logsumexp(a, axes), a, axes, keepdims)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis`` (default the last, as ``jax.nn.softmax``;
    ``axis=None`` normalizes over all entries, as ``scipy.special.softmax``)."""
    x = _float(x)
    axes = R.normalize_axes(axis, get_aval(x).ndim)
    m = base.stop_gradient(_keep(R.reduce_max(x, axes), x, axes, True)) if axes else x
    e = E.exp(E.sub(x, m))
    return E.div(e, _sum(e, axes, keepdims=True))


def log_softmax(x, axis=-1):
    """``x - logsumexp(x)`` along ``axis`` (default the last)."""
    x = _float(x)
    return E.sub(x, logsumexp(x, axis, keepdims=True))


def _truth(a):
    a = _as_value(a)
    t = a if get_aval(a).dtype == np.bool_ else E.ne(a, 0)
    return base.convert_element_type(t, np.int64)


def any(a, axis=None, out=None, keepdims: bool = False, *, where=None):  # noqa: A001
    """Whether any entry (``where`` selects, as in NumPy) is nonzero."""
    _no_out(out, "any")
    return E.gt(_sum(_truth(a), axis, keepdims=keepdims, where=where), 0)


def all(a, axis=None, out=None, keepdims: bool = False, *, where=None):  # noqa: A001
    """Whether every entry (``where`` selects) is nonzero: none is zero."""
    _no_out(out, "all")
    a = _as_value(a)
    zero = E.eq(_truth(a), 0)
    return E.eq(_sum(base.convert_element_type(zero, np.int64), axis, keepdims=keepdims,
                     where=where), 0)


def ptp(a, axis=None, keepdims: bool = False):
    """Peak to peak, ``max - min``."""
    return E.sub(_max(a, axis, keepdims=keepdims), _min(a, axis, keepdims=keepdims))


def isclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """``numpy.isclose``: elementwise ``|a - b| <= atol + rtol * |b|`` (infinities close only
    to themselves; NaNs only with ``equal_nan``); a boolean array, traced under a trace."""
    x, y = base.promote_float(_as_value(a), _as_value(b))
    with np.errstate(invalid="ignore"):
        tol = E.add(atol, E.mul(rtol, E.abs(y)))
        out = logical_or(logical_and(E.le(E.abs(E.sub(x, y)), tol), isfinite(y)), E.eq(x, y))
        if equal_nan:
            out = logical_or(out, logical_and(isnan(x), isnan(y)))
    return out


def allclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """``numpy.allclose``: ``all(isclose(...))``, a boolean scalar (traced under a trace)."""
    return all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1, a2, equal_nan: bool = False):
    """``numpy.array_equal``: same shape and equal elements; a boolean scalar."""
    a1, a2 = _as_value(a1), _as_value(a2)
    if get_aval(a1).shape != get_aval(a2).shape:
        return np.False_
    eq = E.eq(a1, a2)
    if equal_nan:
        eq = logical_or(eq, logical_and(isnan(a1), isnan(a2)))
    return all(eq)
