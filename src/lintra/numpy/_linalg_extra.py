"""The rest of ``numpy.linalg``: ``cond``, ``matrix_rank``, ``multi_dot``, ``tensorsolve``,
``tensorinv`` and the array-API spellings (``matrix_norm``, ``vector_norm``, ``vecdot``,
``cross``, ``diagonal``, ``trace``, ``matrix_transpose``), as compositions of
``lintra.numpy.linalg``. ``lintra.numpy`` adds them to that namespace (they build on it, so
they cannot live inside it)."""

from __future__ import annotations

import numpy as np

from ..core.trace import get_aval
from ..ops import base
from ..ops import elementwise as E
from ..ops import reductions as R
from ..ops import structure as S
from . import linalg as LA
from ._arrayapi import matrix_transpose, vecdot
from ._arraymath import cross as _cross
from ._basic import _as_value
from ._structure import diagonal as _diagonal
from ._structure import trace as _trace

__all__ = ["cond", "matrix_rank", "multi_dot", "tensorsolve", "tensorinv", "matrix_norm",
           "vector_norm", "vecdot", "cross", "diagonal", "trace", "matrix_transpose"]


def cond(x, p=None):
    """The condition number ‖x‖ ‖x⁻¹‖ in norm ``p`` (None or 2: σ_max / σ_min)."""
    x = base.promote_float(_as_value(x))[0]
    if get_aval(x).ndim < 2:
        raise ValueError("cond: x must be at least 2-d")
    if p is None or p in (2, -2):
        s = LA.svd(x, compute_uv=False)
        k = get_aval(s).shape[-1]
        hi = S.reshape(S.slice_static(s, (0,) * (get_aval(s).ndim - 1) + (0,),
                                      get_aval(s).shape[:-1] + (1,)), get_aval(s).shape[:-1])
        lo = S.reshape(S.slice_static(s, (0,) * (get_aval(s).ndim - 1) + (k - 1,),
                                      get_aval(s).shape), get_aval(s).shape[:-1])
        return E.div(hi, lo) if p != -2 else E.div(lo, hi)
    axes = (-2, -1)
    return E.mul(LA.norm(x, p, axes), LA.norm(LA.inv(x), p, axes))


def matrix_rank(M, rtol=None, *, tol=None):  # noqa: N803
    """The number of singular values above ``tol`` (default: σ_max · max(m, n) · eps, or
    σ_max · ``rtol``); a vector has rank 1 unless all zero."""
    M = base.promote_float(_as_value(M))[0]
    if get_aval(M).ndim < 2:
        return base.convert_element_type(R.reduce_max(E.ne(M, 0), (0,)) if
                                         get_aval(M).ndim else E.ne(M, 0), np.int64)
    s = base.stop_gradient(LA.svd(M, compute_uv=False))
    smax = R.reduce_max(s, (get_aval(s).ndim - 1,))
    if tol is None:
        m, n = get_aval(M).shape[-2:]
        r = max(m, n) * np.finfo(get_aval(s).dtype).eps if rtol is None else rtol
        tol = E.mul(smax, r)
    big = E.gt(s, S.expand_dims(_as_value(tol), -1) if get_aval(_as_value(tol)).ndim else tol)
    return R.reduce_sum(base.convert_element_type(big, np.int64), (get_aval(s).ndim - 1,))


def multi_dot(arrays):
    """The product of a chain of matrices (the first may be a vector, and the last)."""
    arrays = [_as_value(a) for a in arrays]
    if len(arrays) < 2:
        raise ValueError("multi_dot: expecting at least two arrays")
    out = arrays[0]
    for a in arrays[1:]:
        out = LA.dot(out, a)
    return out


def tensorsolve(a, b, axes=None):
    """``x`` with ``tensordot(a, x, x.ndim) == b``."""
    a, b = _as_value(a), _as_value(b)
    nd = get_aval(a).ndim
    if axes is not None:
        rest = [k for k in range(nd) if k not in [ax % nd for ax in axes]]
        a = S.transpose(a, tuple(rest) + tuple(ax % nd for ax in axes))
    bshape = get_aval(b).shape
    xshape = get_aval(a).shape[len(bshape):]
    n = int(np.prod(xshape, dtype=np.int64))
    x = LA.solve(S.reshape(a, (n, n)), S.reshape(b, (n,)))
    return S.reshape(x, xshape)


def tensorinv(a, ind: int = 2):
    """The inverse of ``a`` for ``tensordot`` over its first ``ind`` axes."""
    a = _as_value(a)
    shape = get_aval(a).shape
    n = int(np.prod(shape[:ind], dtype=np.int64))
    inv = LA.inv(S.reshape(a, (n, -1) if n else (0, 0)))
    return S.reshape(inv, shape[ind:] + shape[:ind])


def matrix_norm(x, /, *, keepdims: bool = False, ord="fro"):  # noqa: A002
    """The norm of each matrix over the last two axes."""
    return LA.norm(x, ord, (-2, -1), keepdims)


def vector_norm(x, /, *, axis=None, keepdims: bool = False, ord=2):  # noqa: A002
    """The vector norm over ``axis`` (all elements, flattened, when None)."""
    x = _as_value(x)
    if axis is None:
        out = LA.norm(S.reshape(x, (-1,)), ord, 0)
        return S.reshape(out, (1,) * get_aval(x).ndim) if keepdims else out
    if isinstance(axis, (tuple, list)) and len(axis) != 1:
        nd = get_aval(x).ndim
        axes = sorted(a % nd for a in axis)
        rest = [k for k in range(nd) if k not in axes]
        moved = S.transpose(x, tuple(rest) + tuple(axes))
        flat = S.reshape(moved, tuple(get_aval(x).shape[k] for k in rest) + (-1,))
        out = LA.norm(flat, ord, -1)
        if keepdims:
            out = S.reshape(out, tuple(1 if k in axes else d
                                       for k, d in enumerate(get_aval(x).shape)))
        return out
    return LA.norm(x, ord, axis if not isinstance(axis, (tuple, list)) else axis[0], keepdims)


def cross(x1, x2, /, *, axis: int = -1):
    """The cross product of 3-vectors along ``axis``."""
    return _cross(x1, x2, axis=axis)


def diagonal(x, /, *, offset: int = 0):
    """The diagonals of the matrices over the last two axes."""
    return _diagonal(x, offset, -2, -1)


def trace(x, /, *, offset: int = 0, dtype=None):
    """The traces of the matrices over the last two axes."""
    return _trace(x, offset, -2, -1, dtype)
