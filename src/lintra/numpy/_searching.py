"""Searching and counting: ``searchsorted``, ``digitize``, ``bincount``, ``histogram``,
``unique``, ``interp``.

``searchsorted`` is a binary search unrolled to ``ceil(log2(n + 1))`` gathers, so it runs under
every transformation. Results whose shape depends on the data (``unique``, ``bincount``
without ``length``) need concrete input, or JAX's ``size=``/``length=`` under a trace."""

from __future__ import annotations

import numpy as np

from ..core.trace import Tracer, get_aval
from ..ops import base
from ..ops import elementwise as E
from ..ops import extrema as X
from ..ops import indexing as I
from ..ops import powers as PW
from ..ops import reductions as R
from ..ops import structure as S
from ..ops.shape import moveaxis
from ._basic import _as_value
from ._basic import max as _max
from ._basic import min as _min
from ._elementwise import floor_divide, isnan, logical_and, logical_not, logical_or
from ._index_tricks import nonzero
from ._indices import lexsort
from ._sorting import argsort
from ._take import take

__all__ = ["searchsorted", "digitize", "bincount", "histogram", "unique", "interp"]


def _concrete(x, who: str, fix: str):
    if not isinstance(x, Tracer):
        return np.asarray(x)
    return np.asarray(x._concrete(f"a concrete value: `{who}` has a data-dependent shape "
                                  f"({fix})"))


def _less(x, y):
    """``x < y`` with NaN above every number (NumPy's sort order)."""
    lt = E.lt(x, y)
    if get_aval(x).dtype.kind not in "fc" and get_aval(y).dtype.kind not in "fc":
        return lt
    return logical_or(lt, logical_and(logical_not(isnan(x)), isnan(y)))


def searchsorted(a, v, side: str = "left", sorter=None, *, method=None):
    """Indices where ``v`` would be inserted into the sorted 1-d ``a`` to keep it sorted
    (``side='left'``: before equal entries, ``'right'``: after); int64."""
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    a, v = base.promote(_as_value(a), _as_value(v))
    if get_aval(a).ndim != 1:
        raise ValueError("searchsorted: a must be 1-dimensional")
    if sorter is not None:
        a = take(a, sorter)
    a, v = base.stop_gradient(a), base.stop_gradient(v)
    n = get_aval(a).shape[0]
    lo = S.broadcast_to(np.int64(0), get_aval(v).shape)
    hi = S.broadcast_to(np.int64(n), get_aval(v).shape)
    if n == 0:
        return lo
    for _ in range(int(np.ceil(np.log2(n + 1)))):
        mid = floor_divide(E.add(lo, hi), 2)
        am = I.take(a, X.clip(mid, 0, n - 1), 0)
        right = _less(am, v) if side == "left" else logical_not(_less(v, am))
        active = E.lt(lo, hi)
        lo = E.select(logical_and(active, right), E.add(mid, 1), lo)
        hi = E.select(logical_and(active, logical_not(right)), mid, hi)
    return lo


def digitize(x, bins, right: bool = False):
    """Index of the bin of each ``x`` for monotonic ``bins`` (increasing or decreasing)."""
    bins = _as_value(bins)
    if get_aval(bins).ndim != 1:
        raise ValueError("digitize: bins must be 1-dimensional")
    n = get_aval(bins).shape[0]
    side = "left" if right else "right"
    if n == 0:
        return S.broadcast_to(np.int64(0), get_aval(_as_value(x)).shape)
    inc = searchsorted(bins, x, side)
    dec = E.sub(n, searchsorted(S.rev(bins, (0,)), x, side))
    first, last = I.take(bins, np.int64(0), 0), I.take(bins, np.int64(n - 1), 0)
    return E.select(E.ge(last, first), inc, dec)


def bincount(x, weights=None, minlength: int = 0, *, length: int | None = None):
    """Number of occurrences (or summed ``weights``) of each non-negative int in 1-d ``x``;
    values at or above ``length`` are dropped (JAX)."""
    x = _as_value(x)
    if get_aval(x).ndim != 1 or get_aval(x).dtype.kind not in "iub":
        raise TypeError("bincount: x must be a 1-d array of non-negative integers")
    if length is None:
        xv = _concrete(x, "bincount", "pass length= to fix the number of bins")
        if xv.size and xv.min() < 0:
            raise ValueError("bincount: x must be non-negative")
        length = max(int(minlength), int(xv.max()) + 1 if xv.size else 0)
    length = int(length)
    w = S.broadcast_to(np.int64(1), get_aval(x).shape) if weights is None else \
        _as_value(weights)
    if weights is not None and get_aval(w).dtype.kind in "b":
        w = base.convert_element_type(w, np.int64)
    keep = logical_and(E.ge(x, 0), E.lt(x, length))
    w = E.select(keep, w, np.zeros((), get_aval(w).dtype))
    idx = S.reshape(X.clip(base.convert_element_type(x, np.int64), 0, max(length - 1, 0)),
                    (-1, 1))
    if length == 0:
        return np.zeros(0, get_aval(w).dtype)
    return I.scatter_add(np.zeros(length, get_aval(w).dtype), idx, w, 0)


def _edges(a, bins, rng, weights):
    if not isinstance(bins, (int, np.integer)):
        return _as_value(bins)
    if rng is not None:
        lo, hi = float(rng[0]), float(rng[1])
        if lo > hi:
            raise ValueError("histogram: max must be larger than min in range")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        return np.linspace(lo, hi, int(bins) + 1)
    lo, hi = _min(a), _max(a)
    same = E.eq(lo, hi)
    lo, hi = E.select(same, E.sub(lo, 0.5), lo), E.select(same, E.add(hi, 0.5), hi)
    n = int(bins)      # NumPy's linspace: lo + i * ((hi - lo) / n), the last edge hi exactly
    inner = E.add(E.mul(np.arange(n, dtype=get_aval(lo).dtype), E.div(E.sub(hi, lo), n)), lo)
    return S.concatenate([inner, S.reshape(hi, (1,))], 0)


def histogram(a, bins=10, range=None, density=None, weights=None):  # noqa: A002
    """Counts (or summed ``weights``) of ``a`` in ``bins`` (an int, with ``range`` or the data's
    extent, or the edges), and the edges; the last bin includes its right edge. The counts are
    not differentiable in ``a`` (they are in ``weights``)."""
    a = base.stop_gradient(S.reshape(base.promote_float(_as_value(a))[0], (-1,)))
    edges = base.stop_gradient(base.promote_float(_edges(a, bins, range, weights))[0])
    nb = get_aval(edges).shape[0] - 1
    idx = E.sub(searchsorted(edges, a, "right"), 1)
    last = I.take(edges, np.int64(nb), 0)
    idx = E.select(E.eq(a, last), np.int64(nb - 1), idx)
    valid = logical_and(E.ge(idx, 0), E.lt(idx, nb))
    w = np.ones((), get_aval(a).dtype) if weights is None else \
        S.reshape(_as_value(weights), (-1,))
    w = E.select(valid, w, np.zeros((), get_aval(_as_value(w)).dtype))
    w = S.broadcast_to(w, get_aval(a).shape)
    counts = bincount(X.clip(idx, 0, nb - 1), w, length=nb)
    if weights is None:
        counts = base.convert_element_type(counts, np.int64)
    if density:
        widths = E.sub(S.slice_static(edges, (1,), (nb + 1,)), S.slice_static(edges, (0,), (nb,)))
        counts = E.div(E.div(counts, R.reduce_sum(counts, (0,))), widths)
    return counts, edges


def _unique_traced(ar, axis, size: int, fill_value, equal_nan: bool, flags):
    """JAX's ``unique(..., size=)``: the first ``size`` sorted distinct values (slices along
    ``axis``, ordered lexicographically), the values padded with the first of them or
    ``fill_value``, the indices with the first index, the counts with 0."""
    if axis is not None:
        axis = S.normalize_axis(axis, get_aval(ar).ndim, "unique")
    a = S.reshape(ar, (-1,)) if axis is None else moveaxis(ar, axis, 0)
    n = get_aval(a).shape[0]
    if n == 0:
        raise ValueError("unique: size= needs a non-empty input under a trace")
    rows = S.reshape(a, (n, -1))
    cols = [S.reshape(S.slice_static(rows, (0, j), (n, j + 1)), (n,))
            for j in range(get_aval(rows).shape[1])]
    perm = argsort(a) if axis is None else lexsort(cols[::-1])
    srows = I.take(rows, perm, 0)
    m = get_aval(srows).shape[1]
    prev, cur = S.slice_static(srows, (0, 0), (n - 1, m)), S.slice_static(srows, (1, 0), (n, m))
    diff_ = E.ne(cur, prev)
    if equal_nan and get_aval(srows).dtype.kind in "fc":
        diff_ = logical_and(diff_, logical_not(logical_and(isnan(cur), isnan(prev))))
    new = E.gt(R.reduce_sum(base.convert_element_type(diff_, np.int64), (1,)), 0)
    mask = S.concatenate([np.ones(1, bool), new], 0)
    (pos,) = nonzero(mask, size=size, fill_value=0)
    first = I.take(perm, pos, 0)
    vals = I.take(a, first, 0)
    if fill_value is not None:
        count = R.reduce_sum(base.convert_element_type(mask, np.int64), (0,))
        valid = S.reshape(E.lt(np.arange(size), count), (size,) + (1,) * (get_aval(a).ndim - 1))
        vals = E.select(valid, vals, base.convert_element_type(_as_value(fill_value),
                                                               get_aval(a).dtype))
    out = [vals if axis is None else moveaxis(vals, 0, axis)]
    group = E.sub(R.cumsum(base.convert_element_type(mask, np.int64), 0), 1)
    if flags[0]:
        out.append(first)
    if flags[1]:
        inv = I.take(group, argsort(perm), 0)
        out.append(S.reshape(inv, get_aval(ar).shape) if axis is None and get_aval(ar).ndim
                   else inv)
    if flags[2]:
        out.append(bincount(group, length=size))
    return out[0] if len(out) == 1 else tuple(out)


def unique(ar, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: int | None = None, *, equal_nan: bool = True,
           size: int | None = None, fill_value=None):
    """Sorted distinct values (NumPy), optionally first indices, inverse and counts. Under a
    trace ``size=`` fixes the number of results (JAX: padded with ``fill_value``, default the
    smallest value; index and count padding are 0)."""
    ar = _as_value(ar)
    flags = (return_index, return_inverse, return_counts)
    if isinstance(ar, Tracer) and size is not None:
        return _unique_traced(ar, axis, int(size), fill_value, equal_nan, flags)
    arr = _concrete(ar, "unique", "pass size= to fix the number of results")
    parts = list(np.unique(arr, True, *flags[1:], axis=axis, equal_nan=equal_nan))
    first = parts[1]
    if not return_index:
        del parts[1]
    if isinstance(ar, Tracer):      # gathered from ar, the values carry its derivative
        src = S.reshape(ar, (-1,)) if axis is None else ar
        parts[0] = I.take(src, first, 0 if axis is None else
                          S.normalize_axis(axis, get_aval(ar).ndim, "unique"))
    if size is None:
        return parts[0] if len(parts) == 1 else tuple(parts)
    if axis is not None:             # the traced path pads the same way (JAX's)
        return _unique_traced(ar, axis, int(size), fill_value, equal_nan, flags)
    k, size = first.shape[0], int(size)
    for j, p in enumerate(parts):
        if j == 0 or (return_index and j == 1) or (return_counts and j == len(parts) - 1):
            if j == 0:
                fill = fill_value if fill_value is not None or not k else \
                    S.slice_static(p, (0,), (1,))
            else:                    # indices: the first one (JAX's); counts: 0
                fill = first[:1] if j == 1 and k else 0
            parts[j] = _fit(p, size, fill)
    return parts[0] if len(parts) == 1 else tuple(parts)


def _fit(p, size: int, fill):
    """The first ``size`` entries of 1-d ``p``, padded with ``fill``."""
    k = get_aval(p).shape[0]
    if k >= size:
        return S.slice_static(p, (0,), (size,))
    dt = get_aval(p).dtype
    fill = base.convert_element_type(_as_value(fill), dt)
    return S.concatenate([p, S.broadcast_to(S.reshape(fill, (-1,))
                                            if get_aval(fill).ndim else fill, (size - k,))], 0)


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolant through ``(xp, fp)`` (``xp`` increasing) at ``x``;
    ``left``/``right`` outside (default the end values), or ``period`` for periodic data.
    Differentiable in ``x``, ``xp`` and ``fp``."""
    x, xp, fp = _as_value(x), _as_value(xp), _as_value(fp)
    if get_aval(xp).ndim != 1 or get_aval(fp).ndim != 1:
        raise ValueError("interp: xp and fp must be 1-d")
    if get_aval(xp).shape != get_aval(fp).shape:
        raise ValueError("interp: xp and fp must have the same length")
    x, xp = base.promote_float(x, xp)
    if get_aval(fp).dtype.kind not in "fc":
        fp = base.promote_float(fp)[0]
    if period is not None:
        if period == 0:
            raise ValueError("interp: period must be a non-zero value")
        period = abs(float(period))
        x, xp = PW.rem(E.add(PW.rem(x, period), period), period), \
            PW.rem(E.add(PW.rem(xp, period), period), period)
        order = argsort(xp)
        xp, fp = I.take(xp, order, 0), I.take(fp, order, 0)
        m = get_aval(xp).shape[0]
        xp = S.concatenate([E.sub(S.slice_static(xp, (m - 1,), (m,)), period), xp,
                            E.add(S.slice_static(xp, (0,), (1,)), period)], 0)
        fp = S.concatenate([S.slice_static(fp, (m - 1,), (m,)), fp,
                            S.slice_static(fp, (0,), (1,))], 0)
    n = get_aval(xp).shape[0]
    if n == 1:
        lo = hi = base.stop_gradient(S.broadcast_to(np.int64(0), get_aval(x).shape))
    else:
        hi = X.clip(searchsorted(xp, x, "right"), 1, n - 1)
        lo = E.sub(hi, 1)
    df = E.sub(I.take(fp, hi, 0), I.take(fp, lo, 0))
    dx = E.sub(I.take(xp, hi, 0), I.take(xp, lo, 0))
    delta = E.sub(x, I.take(xp, lo, 0))
    dx0 = E.le(E.abs(dx), 0.0)
    f0 = I.take(fp, lo, 0)
    f = E.select(dx0, f0, E.add(f0, E.mul(E.div(delta, E.select(dx0, 1.0, dx)), df)))
    if period is None:
        first, last = I.take(fp, np.int64(0), 0), I.take(fp, np.int64(n - 1), 0)
        f = E.select(E.lt(x, I.take(xp, np.int64(0), 0)), first if left is None else left, f)
        f = E.select(E.gt(x, I.take(xp, np.int64(n - 1), 0)), last if right is None else right,
                     f)
    return f
