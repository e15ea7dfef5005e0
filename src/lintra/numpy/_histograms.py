"""Multi-dimensional histograms (``histogramdd``, ``histogram2d``), ``histogram_bin_edges``
and ``einsum_path``.

Each dimension is binned like ``histogram`` (the last bin includes its right edge, values
outside are dropped); the bin numbers combine into one flat index for ``bincount``. Counts are
not differentiable in the sample (they are in ``weights``). ``einsum_path`` only reads shapes,
so NumPy computes it."""

from __future__ import annotations

import builtins

import numpy as np

from ..core.trace import get_aval
from ..ops import base
from ..ops import elementwise as E
from ..ops import extrema as X
from ..ops import indexing as I
from ..ops import reductions as R
from ..ops import structure as S
from ._basic import _as_value
from ._elementwise import logical_and
from ._searching import _edges, bincount, histogram, searchsorted

__all__ = ["histogramdd", "histogram2d", "histogram_bin_edges", "einsum_path"]


def histogram_bin_edges(a, bins=10, range=None, weights=None):  # noqa: A002
    """The edges ``histogram`` would use."""
    return histogram(a, bins, range, weights=weights)[1]


def _bin(x, edges):
    """(bin number of each x, clipped into range; whether x is inside the edges)."""
    nb = get_aval(edges).shape[0] - 1
    idx = E.sub(searchsorted(edges, x, "right"), 1)
    idx = E.select(E.eq(x, I.take(edges, np.int64(nb), 0)), np.int64(nb - 1), idx)
    valid = logical_and(E.ge(idx, 0), E.lt(idx, nb))
    return X.clip(idx, 0, max(nb - 1, 0)), valid


def _columns(sample) -> list:
    if isinstance(sample, (list, tuple)):
        return [S.reshape(_as_value(s), (-1,)) for s in sample]
    s = _as_value(sample)
    if get_aval(s).ndim == 1:
        return [s]
    return [S.reshape(S.slice_static(s, (0, d), (get_aval(s).shape[0], d + 1)), (-1,))
            for d in builtins.range(get_aval(s).shape[1])]


def histogramdd(sample, bins=10, range=None, weights=None, density=None):  # noqa: A002
    """Counts (or summed ``weights``) of the points of ``sample`` ((N, D), or D arrays) in a
    grid of bins, and the edges of each dimension (``bins``: an int, one per dimension, or
    edges; ``range``: one (lo, hi) or None per dimension)."""
    cols = base.promote_float(*_columns(sample))
    cols = [base.stop_gradient(c) for c in (cols if isinstance(cols, (list, tuple))
                                           else [cols])]
    d = len(cols)
    per_bins = list(bins) if isinstance(bins, (list, tuple)) else [bins] * d
    ranges = list(range) if range is not None else [None] * d
    if len(per_bins) != d or len(ranges) != d:
        raise ValueError(f"histogramdd: bins and range need one entry per dimension ({d})")
    edges, flat, valid, shape = [], np.int64(0), np.bool_(True), []
    for c, b, r in zip(cols, per_bins, ranges):
        e = base.stop_gradient(base.promote_float(_edges(c, b, r, weights))[0])
        idx, ok = _bin(c, e)
        nb = get_aval(e).shape[0] - 1
        flat, valid = E.add(E.mul(flat, nb), idx), logical_and(valid, ok)
        edges.append(e)
        shape.append(nb)
    n = get_aval(cols[0]).shape[0]
    w = np.ones((), get_aval(cols[0]).dtype) if weights is None else \
        S.reshape(_as_value(weights), (-1,))
    w = S.broadcast_to(E.select(valid, w, np.zeros((), get_aval(_as_value(w)).dtype)), (n,))
    counts = bincount(S.broadcast_to(flat, (n,)), w, length=int(np.prod(shape)))
    counts = S.reshape(counts, tuple(shape))
    if density:
        counts = E.div(counts, E.mul(_sum_all(counts), _volumes(edges)))
    elif weights is None:
        counts = base.convert_element_type(counts, get_aval(cols[0]).dtype)
    return counts, edges


def _sum_all(x):
    return R.reduce_sum(x, tuple(builtins.range(get_aval(x).ndim)))


def _volumes(edges):
    """The volume of each bin of the grid (outer product of the widths)."""
    vol = None
    for k, e in enumerate(edges):
        m = get_aval(e).shape[0]
        w = E.sub(S.slice_static(e, (1,), (m,)), S.slice_static(e, (0,), (m - 1,)))
        w = S.reshape(w, (1,) * k + (m - 1,) + (1,) * (len(edges) - k - 1))
        vol = w if vol is None else E.mul(vol, w)
    return vol


def histogram2d(x, y, bins=10, range=None, weights=None, density=None):  # noqa: A002
    """``histogramdd`` of the points (x, y): (counts, x edges, y edges)."""
    if not isinstance(bins, (int, np.integer)) and len(bins) != 2:
        bins = [bins, bins]              # one array of edges for both dimensions
    counts, (ex, ey) = histogramdd([x, y], bins, range, weights, density)
    return counts, ex, ey


def einsum_path(subscripts, *operands, optimize="greedy", einsum_call: bool = False):
    """NumPy's contraction order (a list) and its report (a string), from the shapes."""
    del einsum_call
    shapes = [o if isinstance(o, list) else   # the sublist form's subscripts
              np.broadcast_to(np.zeros((), np.int8), get_aval(_as_value(o)).shape)
              for o in operands]
    return np.einsum_path(subscripts, *shapes, optimize=optimize)
