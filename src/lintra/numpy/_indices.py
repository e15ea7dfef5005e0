"""Index arithmetic: the indices of diagonals and triangles (static shapes, NumPy computes
them), ``unravel_index``/``ravel_multi_index`` (arithmetic, so traced indices work; JAX's
conventions for out-of-range ones under a trace) and sorting by keys (``lexsort``,
``sort_complex``), built on the stable ``argsort``."""

from __future__ import annotations

import numpy as np

from ..core.trace import Tracer, get_aval
from ..ops import base
from ..ops import complex as C
from ..ops import elementwise as E
from ..ops import extrema as X
from ..ops import powers as PW
from ..ops import structure as S
from ._basic import _as_value, _leaves
from ._elementwise import floor_divide
from ._sorting import argsort
from ._take import take_along_axis

__all__ = ["diag_indices", "diag_indices_from", "tril_indices", "triu_indices",
           "tril_indices_from", "triu_indices_from", "mask_indices", "unravel_index",
           "ravel_multi_index", "lexsort", "sort_complex"]


def diag_indices(n: int, ndim: int = 2) -> tuple:
    return np.diag_indices(int(n), int(ndim))


def _shape(arr) -> tuple[int, ...]:
    return get_aval(_as_value(arr)).shape


def diag_indices_from(arr) -> tuple:
    """The indices of the main diagonal of ``arr`` (at least 2-d, all dimensions equal)."""
    shape = _shape(arr)
    if len(shape) < 2 or len(set(shape)) != 1:
        raise ValueError("diag_indices_from: arr must be at least 2-d with all dimensions "
                         "of equal length")
    return np.diag_indices(shape[0], len(shape))


def tril_indices(n: int, k: int = 0, m: int | None = None) -> tuple:
    return np.tril_indices(int(n), int(k), None if m is None else int(m))


def triu_indices(n: int, k: int = 0, m: int | None = None) -> tuple:
    return np.triu_indices(int(n), int(k), None if m is None else int(m))


def _matrix_shape(arr, who: str) -> tuple[int, int]:
    shape = _shape(arr)
    if len(shape) != 2:
        raise ValueError(f"{who}: arr must be 2-d, got {len(shape)}-d")
    return shape


def tril_indices_from(arr, k: int = 0) -> tuple:
    n, m = _matrix_shape(arr, "tril_indices_from")
    return np.tril_indices(n, int(k), m)


def triu_indices_from(arr, k: int = 0) -> tuple:
    n, m = _matrix_shape(arr, "triu_indices_from")
    return np.triu_indices(n, int(k), m)


def mask_indices(n: int, mask_func, k: int = 0) -> tuple:
    """The indices where ``mask_func(ones((n, n)), k)`` is nonzero (e.g. ``triu``)."""
    return np.nonzero(np.asarray(mask_func(np.ones((int(n), int(n)), int), k)) != 0)


def _traced(*xs) -> bool:
    return any(isinstance(x, Tracer) for x in _leaves(list(xs)))


def unravel_index(indices, shape) -> tuple:
    """The coordinates in an array of ``shape`` of flat ``indices``. Concrete indices follow
    NumPy (out of range raises); traced ones JAX (negative ones count from the end, the
    rest are clipped)."""
    shape = tuple(int(d) for d in (shape if np.ndim(shape) else (shape,)))
    if not _traced(indices):
        return np.unravel_index(indices, shape)
    i = base.convert_element_type(_as_value(indices), np.int64)
    size = int(np.prod(shape, dtype=np.int64))
    i = X.clip(E.select(E.lt(i, 0), E.add(i, size), i), 0, max(size - 1, 0))
    out = []
    for d in reversed(shape):
        out.append(PW.rem(i, np.int64(d)))
        i = floor_divide(i, np.int64(d))
    return tuple(reversed(out))


def ravel_multi_index(multi_index, dims, mode: str = "raise", order: str = "C"):
    """The flat index of each coordinate tuple in an array of shape ``dims``; ``mode``
    'raise' (NumPy, concrete indices), 'wrap' or 'clip'."""
    dims = tuple(int(d) for d in dims)
    if len(multi_index) != len(dims):
        raise ValueError(f"ravel_multi_index: {len(multi_index)} index arrays for "
                         f"{len(dims)} dimensions")
    if not _traced(*multi_index):
        return np.ravel_multi_index(tuple(np.asarray(m) for m in multi_index), dims, mode,
                                    order)
    if mode == "raise":
        raise ValueError("ravel_multi_index: mode='raise' needs concrete indices; under a "
                         "trace pass mode='wrap' or mode='clip'")
    strides = np.cumprod((1,) + dims[::-1])[-2::-1] if order == "C" else \
        np.cumprod((1,) + dims)[:-1]
    out = np.int64(0)
    for m, d, st in zip(multi_index, dims, strides):
        m = base.convert_element_type(_as_value(m), np.int64)
        m = PW.rem(E.add(PW.rem(m, d), d), d) if mode == "wrap" else X.clip(m, 0, d - 1)
        out = E.add(out, E.mul(m, np.int64(st)))
    return out


def lexsort(keys, axis: int = -1):
    """The indices that sort by the last key, ties broken by the one before, and so on."""
    keys = [_as_value(k) for k in keys] if isinstance(keys, (list, tuple)) else \
        _unstack0(_as_value(keys))
    if not keys:
        raise TypeError("lexsort: need at least one key")
    order = argsort(keys[0], axis)
    for k in keys[1:]:
        order = take_along_axis(order, argsort(take_along_axis(k, order, axis), axis), axis)
    return order


def _unstack0(a) -> list:
    n = get_aval(a).shape[0]
    rest = get_aval(a).shape[1:]
    return [S.reshape(S.slice_static(a, (i,) + (0,) * len(rest), (i + 1,) + rest), rest)
            for i in range(n)]


def sort_complex(a):
    """``a`` sorted by real part, then imaginary part, as complex numbers."""
    a = _as_value(a)
    dt = get_aval(a).dtype
    if dt.kind != "c":
        small = dt.kind in "iu" and dt.itemsize <= 2      # NumPy: only those give complex64
        a = base.convert_element_type(a, np.complex64 if small else np.complex128)
    return take_along_axis(a, lexsort([C.imag(a), C.real(a)]), -1)
