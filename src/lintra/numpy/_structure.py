"""Structure functions with NumPy names, composed from the structural primitives of
``ops/structure.py`` (reshape, transpose, broadcast_to, concatenate, slice, pad, rev) and
``take`` (for position maps such as ``pad(mode="reflect")`` and array ``repeat``). Static
arguments (shifts, repeats, pad widths, split points) must be concrete."""

from __future__ import annotations

import builtins
import operator

import numpy as np

from ..core.trace import Tracer, get_aval
from ..ops import base
from ..ops import elementwise as E
from ..ops import indexing as I
from ..ops import reductions as R
from ..ops import structure as S
from ._basic import _as_value, _no_out
from ._basic import asarray as _asarray
from ._basic import reshape as _reshape

__all__ = ["transpose", "moveaxis", "swapaxes", "expand_dims", "squeeze", "ravel",
           "broadcast_to", "broadcast_arrays", "concatenate", "stack", "hstack", "vstack",
           "dstack", "column_stack", "append", "split", "array_split", "hsplit", "vsplit",
           "dsplit", "flip", "fliplr", "flipud", "rot90", "tile", "repeat", "triu",
           "tril", "roll", "diagonal", "diag", "trace", "atleast_1d", "atleast_2d",
           "atleast_3d"]


def _ndim(a) -> int:
    return get_aval(a).ndim


def _shape(a) -> tuple[int, ...]:
    return get_aval(a).shape


def _static_int(v, what: str) -> int:
    if isinstance(v, Tracer):
        try:
            return operator.index(v)
        except Exception:
            raise TypeError(f"{what} must be a static (concrete) integer; it sets the shape "
                            "of the result") from None
    return operator.index(v)


# ---------------------------------------------------------------- axes

def transpose(a, axes=None):
    return S.transpose(a, axes)


def moveaxis(a, source, destination):
    nd = _ndim(a)
    src = S.normalize_axes(source, nd, "moveaxis")
    dst = S.normalize_axes(destination, nd, "moveaxis")
    if len(src) != len(dst):
        raise ValueError("moveaxis: `source` and `destination` must have the same number "
                         "of elements")
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return S.transpose(a, order)


def swapaxes(a, axis1: int, axis2: int):
    nd = _ndim(a)
    i, j = S.normalize_axis(axis1, nd, "swapaxes"), S.normalize_axis(axis2, nd, "swapaxes")
    perm = list(range(nd))
    perm[i], perm[j] = perm[j], perm[i]
    return S.transpose(a, perm)


expand_dims = S.expand_dims
squeeze = S.squeeze


def ravel(a, order: str = "C"):
    """The flattened array; ``order='F'`` reads it column-major (NumPy)."""
    return _reshape(a, (-1,), order)


def broadcast_to(a, shape):
    return S.broadcast_to(a, shape)


def broadcast_arrays(*args) -> list:
    shape = np.broadcast_shapes(*[_shape(_as_value(a)) for a in args])
    return [S.broadcast_to(a, shape) for a in args]


# ---------------------------------------------------------------- joining

def _cast_all(arrays, dtype, casting: str, who: str) -> list:
    """The inputs of a join cast to ``dtype``, refused where NumPy's ``casting`` rule
    refuses (float to int under the default 'same_kind')."""
    arrays = [_asarray(a) for a in arrays]
    if dtype is None:
        return arrays
    for a in arrays:
        if not np.can_cast(get_aval(a).dtype, dtype, casting):
            raise TypeError(f"{who}: cannot cast {get_aval(a).dtype} to {np.dtype(dtype)} "
                            f"under casting={casting!r}")
    return [base.convert_element_type(a, dtype) for a in arrays]


def concatenate(arrays, axis: int | None = 0, out=None, *, dtype=None,
                casting: str = "same_kind"):
    """NumPy's ``concatenate``; ``dtype`` casts the inputs first."""
    _no_out(out, "concatenate")
    arrays = _cast_all(arrays, dtype, casting, "concatenate")
    if axis is None:
        return S.concatenate([ravel(a) for a in arrays], 0)
    return S.concatenate(arrays, axis)


def stack(arrays, axis: int = 0, out=None, *, dtype=None, casting: str = "same_kind"):
    _no_out(out, "stack")
    return S.stack(_cast_all(arrays, dtype, casting, "stack"), axis)


def hstack(tup):
    arrs = atleast_1d(*tup) if len(tup) != 1 else [atleast_1d(*tup)]
    return S.concatenate(arrs, 0 if _ndim(arrs[0]) == 1 else 1)


def vstack(tup):
    arrs = atleast_2d(*tup) if len(tup) != 1 else [atleast_2d(*tup)]
    return S.concatenate(arrs, 0)


def dstack(tup):
    arrs = atleast_3d(*tup) if len(tup) != 1 else [atleast_3d(*tup)]
    return S.concatenate(arrs, 2)


def column_stack(tup):
    cols = [S.reshape(a, (-1, 1)) if _ndim(a) < 2 else a
            for a in (_as_value(t) for t in tup)]
    return S.concatenate(cols, 1)


def append(arr, values, axis: int | None = None):
    arr, values = _asarray(arr), _asarray(values)
    if axis is None:
        return S.concatenate([ravel(arr), ravel(values)], 0)
    return S.concatenate([arr, values], axis)


# ---------------------------------------------------------------- splitting

def _split_at(a, bounds: list[int], axis: int) -> list:
    n = _shape(a)[axis]
    edges = [0] + [min(max(b, 0), n) for b in bounds] + [n]
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        hi = builtins.max(lo, hi)
        start = [0] * _ndim(a)
        limit = list(_shape(a))
        start[axis], limit[axis] = lo, hi
        out.append(S.slice_static(a, start, limit))
    return out


def array_split(ary, indices_or_sections, axis: int = 0) -> list:
    a = _as_value(ary)
    axis = S.normalize_axis(axis, _ndim(a), "array_split")
    n = _shape(a)[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("array_split: number sections must be larger than 0")
        q, r = divmod(n, sections)
        sizes = [q + 1] * r + [q] * (sections - r)
        bounds = list(np.cumsum(sizes)[:-1])
    else:
        bounds = [_static_int(b, "split index") for b in indices_or_sections]
        bounds = [b + n if b < 0 else b for b in bounds]
    return _split_at(a, [int(b) for b in bounds], axis)


def split(ary, indices_or_sections, axis: int = 0) -> list:
    if isinstance(indices_or_sections, (int, np.integer)):
        n = _shape(_as_value(ary))[S.normalize_axis(axis, _ndim(ary), "split")]
        if int(indices_or_sections) <= 0 or n % int(indices_or_sections):
            raise ValueError("split: array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


def hsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, 0 if _ndim(ary) == 1 else 1)


def vsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, 0)


def dsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, 2)


# ---------------------------------------------------------------- flips, tiles, repeats

def flip(m, axis=None):
    m = _as_value(m)
    return S.rev(m, range(_ndim(m)) if axis is None else axis)


def fliplr(m):
    if _ndim(m) < 2:
        raise ValueError("fliplr: input must be >= 2-d")
    return flip(m, 1)


def flipud(m):
    if _ndim(m) < 1:
        raise ValueError("flipud: input must be >= 1-d")
    return flip(m, 0)


def rot90(m, k: int = 1, axes=(0, 1)):
    m = _as_value(m)
    a0, a1 = S.normalize_axes(axes, _ndim(m), "rot90")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return S.rev(m, (a0, a1))
    perm = list(range(_ndim(m)))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return S.transpose(S.rev(m, (a1,)), perm)
    return S.rev(S.transpose(m, perm), (a1,))


def tile(A, reps):
    x = _as_value(A)
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    reps = tuple(_static_int(r, "tile reps") for r in reps)
    if any(r < 0 for r in reps):
        raise ValueError("tile: reps must be non-negative")
    d = builtins.max(_ndim(x), len(reps))
    shape = (1,) * (d - _ndim(x)) + _shape(x)
    reps = (1,) * (d - len(reps)) + reps
    inter = [v for s in shape for v in (1, s)]
    big = [v for r, s in zip(reps, shape) for v in (r, s)]
    y = S.broadcast_to(S.reshape(x, inter), big)
    return S.reshape(y, [r * s for r, s in zip(reps, shape)])


def repeat(a, repeats, axis: int | None = None):
    x = _as_value(a)
    if axis is None:
        x, axis = ravel(x), 0
    axis = S.normalize_axis(axis, _ndim(x), "repeat")
    if isinstance(repeats, Tracer):
        try:
            repeats = np.asarray(repeats._concrete("static repeats"))
        except Exception:
            raise TypeError("repeat: repeats must be static; they set the result's "
                            "shape") from None
    reps = np.asarray(repeats)
    if reps.dtype.kind not in "iu" or (reps < 0).any():
        raise ValueError("repeat: repeats must be non-negative integers")
    shape = _shape(x)
    if reps.ndim == 0 or reps.size == 1:
        r = int(reps.reshape(-1)[0]) if reps.size else 0
        y = S.broadcast_to(S.expand_dims(x, axis + 1), shape[:axis + 1] + (r,) + shape[axis + 1:])
        return S.reshape(y, shape[:axis] + (shape[axis] * r,) + shape[axis + 1:])
    if reps.shape != (shape[axis],):
        raise ValueError(f"repeat: repeats of shape {reps.shape} do not fit an axis of size "
                         f"{shape[axis]}")
    return I.take(x, np.repeat(np.arange(shape[axis]), reps), axis)


def roll(a, shift, axis=None):
    x = _as_value(a)
    if axis is None:
        return S.reshape(roll(ravel(x), shift, 0), _shape(x))
    shifts = np.atleast_1d(np.asarray([_static_int(s, "roll shift")
                                       for s in np.atleast_1d(shift).tolist()]))
    axes = np.atleast_1d(np.asarray(axis))
    shifts, axes = np.broadcast_arrays(shifts, axes)
    for s, ax in zip(shifts.tolist(), axes.tolist()):
        ax = S.normalize_axis(ax, _ndim(x), "roll")
        n = _shape(x)[ax]
        if n and s % n:
            k = n - s % n
            first, second = _split_at(x, [k], ax)
            x = S.concatenate([second, first], ax)
    return x


# ---------------------------------------------------------------- triangles and diagonals

def _tri_select(m, mask_fn):
    x = _as_value(m)
    if _ndim(x) == 0:
        raise ValueError("tril/triu: input must be at least 1-d")
    if _ndim(x) == 1:
        x = S.broadcast_to(x, (_shape(x)[0],) * 2)
    rows, cols = _shape(x)[-2:]
    mask = mask_fn(rows, cols)
    return E.select(mask, x, np.zeros((), get_aval(x).dtype))


def tril(m, k: int = 0):
    """Lower triangle (elements above the k-th diagonal zeroed)."""
    return _tri_select(m, lambda r, c: np.tri(r, c, k, dtype=bool))


def triu(m, k: int = 0):
    """Upper triangle (elements below the k-th diagonal zeroed)."""
    return _tri_select(m, lambda r, c: ~np.tri(r, c, k - 1, dtype=bool))


def diagonal(a, offset: int = 0, axis1: int = 0, axis2: int = 1):
    x = _as_value(a)
    nd = _ndim(x)
    if nd < 2:
        raise ValueError("diagonal: requires an array of at least two dimensions")
    a1, a2 = S.normalize_axis(axis1, nd, "diagonal"), S.normalize_axis(axis2, nd, "diagonal")
    if a1 == a2:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    rest = [i for i in range(nd) if i not in (a1, a2)]
    x = S.transpose(x, rest + [a1, a2])
    n1, n2 = _shape(x)[-2:]
    offset = int(offset)
    length = builtins.max(0, builtins.min(n1, n2 - offset) if offset >= 0
                          else builtins.min(n1 + offset, n2))
    i = np.arange(length)
    idx = np.stack([i - builtins.min(offset, 0), i + builtins.max(offset, 0)], -1)
    return I.take_p.bind(x, idx.reshape(length, 2), axis=nd - 2)


def diag(v, k: int = 0):
    x = _as_value(v)
    if _ndim(x) == 2:
        return diagonal(x, k)
    if _ndim(x) != 1:
        raise ValueError("diag: input must be 1-d or 2-d")
    n = _shape(x)[0] + abs(int(k))
    i = np.arange(_shape(x)[0])
    idx = np.stack([i - builtins.min(k, 0), i + builtins.max(k, 0)], -1)
    return I.scatter_add(np.zeros((n, n), get_aval(x).dtype), idx, x, 0)


def trace(a, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype=None):
    d = diagonal(a, offset, axis1, axis2)
    if dtype is not None:
        d = base.convert_element_type(d, dtype)
    elif get_aval(d).dtype == np.bool_:
        d = base.convert_element_type(d, np.int64)
    return R.reduce_sum(d, (_ndim(d) - 1,))


# ---------------------------------------------------------------- atleast_nd

def _atleast(arys, fix):
    out = [fix(_as_value(a)) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_1d(*arys):
    return _atleast(arys, lambda x: S.reshape(x, (1,)) if _ndim(x) == 0 else x)


def atleast_2d(*arys):
    return _atleast(arys, lambda x: S.reshape(x, (1,) * (2 - _ndim(x)) + _shape(x))
                    if _ndim(x) < 2 else x)


def atleast_3d(*arys):
    def fix(x):
        nd = _ndim(x)
        if nd == 0:
            return S.reshape(x, (1, 1, 1))
        if nd == 1:
            return S.reshape(x, (1,) + _shape(x) + (1,))
        if nd == 2:
            return S.reshape(x, _shape(x) + (1,))
        return x
    return _atleast(arys, fix)
