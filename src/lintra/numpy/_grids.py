"""Grids and structured arrays: ``meshgrid``, ``mgrid``, ``ogrid``, ``indices``, ``ix_``,
``logspace``, ``geomspace``, ``empty``, ``empty_like``, ``tri``, ``vander``, ``diagflat``,
``block``.

Functions of traced values (``meshgrid``, ``ix_``, ``logspace``, ``geomspace``, ``vander``,
``diagflat``, ``block``) are compositions of lintra operations, so they differentiate and
stage under ``jit``; those of shapes alone are NumPy's. ``empty`` is ``zeros`` (an
uninitialised array has no value a traced program could rely on)."""

from __future__ import annotations

import numpy as np

from ..core.trace import Tracer, get_aval
from ..ops import elementwise as E
from ..ops import powers as PW
from ..ops import structure as S
from ..ops.base import convert_element_type, promote_float
from ._basic import _as_value, _leaves, zeros, zeros_like
from ._creation import linspace
from ._structure import diag, expand_dims, moveaxis

__all__ = ["meshgrid", "mgrid", "ogrid", "indices", "ix_", "logspace", "geomspace", "empty",
           "empty_like", "tri", "vander", "diagflat", "block"]


def _traced(*args) -> bool:
    return any(isinstance(a, Tracer) for a in _leaves(list(args)))


def meshgrid(*xi, copy: bool = True, sparse: bool = False, indexing: str = "xy"):
    """Coordinate arrays from 1-D coordinate vectors (NumPy's ``indexing`` and ``sparse``)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("meshgrid: indexing must be 'xy' or 'ij'")
    if not _traced(*xi):
        return list(np.meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing))
    xs = [S.reshape(_as_value(x), (-1,)) for x in xi]
    n = len(xs)
    dims = [get_aval(x).shape[0] for x in xs]
    pos = list(range(n))
    if indexing == "xy" and n > 1:
        pos[0], pos[1] = 1, 0
    shape = [1] * n
    for p, d in zip(pos, dims):
        shape[p] = d
    out = []
    for x, p, d in zip(xs, pos, dims):
        s = [1] * n
        s[p] = d
        x = S.reshape(x, tuple(s))
        out.append(x if sparse else S.broadcast_to(x, tuple(shape)))
    return out


class _Grid:
    """``mgrid[...]``/``ogrid[...]``: NumPy's, with concrete slices."""

    def __init__(self, name: str, grid):
        self._name, self._grid = name, grid

    def __repr__(self) -> str:
        return f"lintra.numpy.{self._name}"

    def __getitem__(self, key):
        return self._grid[key]


mgrid = _Grid("mgrid", np.mgrid)
ogrid = _Grid("ogrid", np.ogrid)


def indices(dimensions, dtype=int, sparse: bool = False):
    """The index of every position of a grid of shape ``dimensions`` (NumPy's)."""
    return np.indices(tuple(int(d) for d in dimensions), dtype=dtype, sparse=sparse)


def ix_(*args):
    """Open-mesh index arrays from 1-D sequences (a boolean one must be concrete)."""
    if not _traced(*args):
        return np.ix_(*args)
    n, out = len(args), []
    for k, a in enumerate(args):
        a = _as_value(a)
        if get_aval(a).ndim != 1:
            raise ValueError("ix_: cross index must be 1 dimensional")
        if get_aval(a).dtype.kind == "b":
            a = np.nonzero(np.asarray(a._concrete("a concrete boolean array for ix_")))[0]
            a = _as_value(a)
        out.append(S.reshape(a, (1,) * k + (get_aval(a).shape[0],) + (1,) * (n - k - 1)))
    return tuple(out)


def logspace(start, stop, num: int = 50, endpoint: bool = True, base=10.0, dtype=None,
             axis: int = 0):
    """``base ** linspace(start, stop)`` (NumPy's arguments)."""
    if not _traced(start, stop, base):
        return np.logspace(start, stop, num, endpoint, base, dtype, axis)
    y = linspace(start, stop, num, endpoint, axis=axis)
    b = _as_value(base)
    if get_aval(b).ndim:
        b = expand_dims(b, axis)
    out = PW.pow(*promote_float(b, y))
    return out if dtype is None else convert_element_type(out, dtype)


def geomspace(start, stop, num: int = 50, endpoint: bool = True, dtype=None, axis: int = 0):
    """Points evenly spaced on a log scale from ``start`` to ``stop`` (both endpoints exact);
    the two must share their sign (real values)."""
    if not _traced(start, stop):
        return np.geomspace(start, stop, num, endpoint, dtype, axis)
    start, stop = promote_float(_as_value(start), _as_value(stop))
    sign = E.sign(start)
    lo, hi = E.log(E.abs(start)), E.log(E.abs(stop))
    y = E.mul(sign, E.exp(linspace(lo, hi, num, endpoint)))
    shape = get_aval(y).shape[1:]
    if num > 0:
        parts = [S.reshape(start, (1,) + shape)]
        if num > 2 or (num == 2 and not endpoint):
            parts.append(S.slice_static(y, (1,) + (0,) * len(shape),
                                        (num - 1 if endpoint else num,) + shape))
        if endpoint and num > 1:
            parts.append(S.reshape(S.broadcast_to(stop, shape), (1,) + shape))
        parts[0] = S.broadcast_to(parts[0], (1,) + shape)
        y = S.concatenate(parts, 0)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    return y if dtype is None else convert_element_type(y, dtype)


def empty(shape, dtype=float):
    """Zeros: lintra has no uninitialised memory."""
    return zeros(shape, dtype)


def empty_like(prototype, dtype=None, shape=None):
    """Zeros of ``prototype``'s shape and dtype (or the given ones)."""
    if shape is not None:
        return zeros(shape, get_aval(_as_value(prototype)).dtype if dtype is None else dtype)
    return zeros_like(prototype, dtype)


def tri(N: int, M: int | None = None, k: int = 0, dtype=float):
    """Ones at and below the ``k``-th diagonal (NumPy's)."""
    return np.tri(N, M, k, dtype)


def _full(like, v):
    """``v`` in the shape and dtype of ``like`` (``like * 0`` would be nan at inf)."""
    a = get_aval(like)
    return S.broadcast_to(np.asarray(v, a.dtype), a.shape)


def vander(x, N: int | None = None, increasing: bool = False):
    """The Vandermonde matrix: columns are powers of ``x`` (built by products, so the
    derivative at 0 is exact)."""
    if not _traced(x):
        return np.vander(x, N, increasing)
    x = _as_value(x)
    if get_aval(x).ndim != 1:
        raise ValueError("vander: x must be a one-dimensional array or sequence")
    n = get_aval(x).shape[0]
    N = n if N is None else int(N)
    cols, p = [], _full(x, 1)
    for _ in range(N):
        cols.append(p)
        p = E.mul(p, x)
    if not increasing:
        cols = cols[::-1]
    if not cols:
        return S.reshape(E.mul(x, 0), (n, 0)) if n == 0 else S.slice_static(
            S.reshape(x, (n, 1)), (0, 0), (n, 0))
    return S.stack(cols, 1)


def diagflat(v, k: int = 0):
    """A 2-D array with the flattened ``v`` on its ``k``-th diagonal."""
    if not _traced(v):
        return np.diagflat(v, k)
    return diag(S.reshape(_as_value(v), (-1,)), k)


def _depth(x) -> int:
    if isinstance(x, list):
        if not x:
            raise ValueError("block: lists cannot be empty")
        ds = {_depth(e) for e in x}
        if len(ds) != 1:
            raise ValueError("block: list depths are mismatched")
        return 1 + ds.pop()
    if isinstance(x, tuple):
        raise TypeError("block: arrays is a tuple; only lists can be used to arrange blocks")
    return 0


def _block(x, level: int, nd: int, depth: int):
    if not isinstance(x, list):
        v = _as_value(x)
        s = get_aval(v).shape
        return S.reshape(v, (1,) * (nd - len(s)) + s)
    parts = [_block(e, level + 1, nd, depth) for e in x]
    dt = np.result_type(*(get_aval(p).dtype for p in parts))
    return S.concatenate([convert_element_type(p, dt) for p in parts], nd - depth + level)


def block(arrays):
    """An array assembled from nested lists of blocks (NumPy's rules: the innermost lists
    join along the last axis)."""
    if not _traced(arrays):
        return np.block(arrays)
    depth = _depth(arrays)
    nd = max([depth] + [get_aval(_as_value(v)).ndim for v in _leaves(arrays)])
    return _block(arrays, 0, nd, depth)
