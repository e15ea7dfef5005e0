"""Structural primitives: they move, copy or rearrange elements, so all are linear.

Each JVP is the same primitive on the tangents (``deflinear``); each transpose is another
structural op (reshape <-> reshape, slice <-> pad, broadcast <-> sum, rev <-> rev). Everything
else structural (split, tile, roll, ...) is a composition in ``lintra.numpy``.
"""

from __future__ import annotations

import numpy as np

from ..ad.rules import UndefinedPrimal, aval_of_arg, deflinear, first_position
from ..batching.core import vmap_rules
from ..core.avals import ShapedArray
from ..core.primitive import Primitive
from ..core.trace import get_aval
from .base import asarray_value, promote
from .elementwise import select, sub
from .shape import (  # noqa: F401  (re-exported: the structural primitives in one place)
    batch_size,
    broadcast_to,
    broadcast_to_p,
    moveaxis,
    normalize_axes,
    normalize_axis,
    reduce_sum,
    reshape,
    reshape_p,
    to_front,
    transpose,
    transpose_p,
)


def expand_dims(x, axis):
    x = asarray_value(x)
    shape = list(get_aval(x).shape)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in sorted(normalize_axes(axes, len(shape) + len(axes), "expand_dims")):
        shape.insert(a, 1)
    return reshape(x, shape)


def squeeze(x, axis=None):
    x = asarray_value(x)
    shape = get_aval(x).shape
    if axis is None:
        axes = {i for i, d in enumerate(shape) if d == 1}
    else:
        axes = set(normalize_axes(axis, len(shape), "squeeze"))
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"squeeze: cannot select an axis to squeeze out which has "
                                 f"size not equal to one (axis {a} has size {shape[a]})")
    return reshape(x, [d for i, d in enumerate(shape) if i not in axes])


def stack(xs, axis: int = 0):
    if not len(xs):
        raise ValueError("stack: need at least one array to stack")
    xs = promote(*xs)
    shapes = {get_aval(x).shape for x in xs}
    if len(shapes) != 1:
        raise ValueError(f"stack: all input arrays must have the same shape, got "
                         f"{sorted(shapes)}")
    axis = normalize_axis(axis, get_aval(xs[0]).ndim + 1, "stack")
    return concatenate([expand_dims(x, axis) for x in xs], axis)


# ---------------------------------------------------------------- concatenate

concatenate_p = Primitive("concatenate")
concatenate_p.def_impl(lambda *xs, axis: np.concatenate(xs, axis=axis))


@concatenate_p.def_shape
def _concatenate_shape(*xs, axis):
    if not xs:
        raise ValueError("concatenate: need at least one array to concatenate")
    x0 = xs[0]
    if not 0 <= axis < x0.ndim:
        raise ValueError(f"concatenate: axis {axis} out of bounds for {x0}")
    for x in xs[1:]:
        if x.dtype != x0.dtype:
            raise TypeError(f"concatenate: all inputs must have one dtype, got "
                            f"{', '.join(map(str, xs))}")
        if x.ndim != x0.ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, x0.shape))
                                    if i != axis):
            raise ValueError("concatenate: all input array dimensions except for the "
                             f"concatenation axis {axis} must match exactly; got "
                             f"{', '.join(map(str, xs))}")
    shape = list(x0.shape)
    shape[axis] = sum(x.shape[axis] for x in xs)
    return ShapedArray(tuple(shape), x0.dtype)


def _concatenate_transpose(ct, *xs, axis):
    out, start = [], 0
    shape = get_aval(ct).shape
    for x in xs:
        undefined = isinstance(x, UndefinedPrimal)
        n = (x.aval if undefined else get_aval(x)).shape[axis]
        if undefined:
            lo = [start if i == axis else 0 for i in range(len(shape))]
            hi = [start + n if i == axis else d for i, d in enumerate(shape)]
            out.append(slice_static(ct, lo, hi))
        else:
            out.append(None)
        start += n
    return out


deflinear(concatenate_p, _concatenate_transpose)


def _concatenate_batch(args, dims, *, axis):
    """Operands batched at one axis ``d`` are concatenated beside it as they are (unbatched
    ones are broadcast along ``d``); otherwise every batch axis moves to the front."""
    batched = {d for d in dims if d is not None}
    d0 = batched.pop() if len(batched) == 1 else 0
    size = batch_size(args, dims)
    args = [moveaxis(to_front(a, d, size), 0, d0) if d is None or d != d0 else a
            for a, d in zip(args, dims)]
    return concatenate_p.bind(*args, axis=axis + (axis >= d0)), d0


vmap_rules[concatenate_p] = _concatenate_batch


def concatenate(xs, axis: int = 0):
    if not len(xs):
        raise ValueError("concatenate: need at least one array to concatenate")
    xs = promote(*xs)
    nd = get_aval(xs[0]).ndim
    if nd == 0:
        raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated")
    axis = normalize_axis(axis, nd, "concatenate")
    if len(xs) == 1:
        return xs[0]
    return concatenate_p.bind(*xs, axis=axis)


# ---------------------------------------------------------------- slice (static strided)

slice_p = Primitive("slice")


@slice_p.def_impl
def _slice_impl(x, *, start, limit, strides):
    return np.asarray(x)[tuple(slice(s, e, k) for s, e, k in zip(start, limit, strides))]


@slice_p.def_shape
def _slice_shape(x, *, start, limit, strides):
    if not (len(start) == len(limit) == len(strides) == x.ndim):
        raise ValueError(f"slice: start/limit/strides must have one entry per axis of {x}")
    shape = []
    for s, e, k, d in zip(start, limit, strides, x.shape):
        if not (0 <= s <= e <= d and k >= 1):
            raise ValueError(f"slice: [{s}:{e}:{k}] out of bounds for an axis of size {d}")
        shape.append(-(-(e - s) // k))
    return ShapedArray(tuple(shape), x.dtype)


def slice_static(x, start, limit, strides=None):
    """``x[start:limit:strides]`` per axis, with concrete non-negative bounds."""
    x = asarray_value(x)
    start = tuple(int(s) for s in start)
    limit = tuple(int(s) for s in limit)
    strides = tuple(int(s) for s in strides) if strides is not None else (1,) * len(start)
    aval = get_aval(x)
    if start == (0,) * aval.ndim and limit == aval.shape and strides == (1,) * aval.ndim:
        return x
    return slice_p.bind(x, start=start, limit=limit, strides=strides)


def _slice_transpose(ct, x, *, start, limit, strides):
    out_shape = get_aval(ct).shape
    config = []
    for s, k, n, d in zip(start, strides, out_shape, x.aval.shape):
        used = s + (n - 1) * k + 1 if n else s
        config.append((s, d - used, k - 1 if n > 1 else 0))
    return [pad(ct, np.zeros((), x.aval.dtype), tuple(config))]


deflinear(slice_p, _slice_transpose, first_position)


def _slice_batch(args, dims, *, start, limit, strides):
    (x,), (d,) = args, dims
    n = get_aval(x).shape[d]
    return slice_p.bind(x, start=start[:d] + (0,) + start[d:], limit=limit[:d] + (n,) + limit[d:],
                        strides=strides[:d] + (1,) + strides[d:]), d


vmap_rules[slice_p] = _slice_batch

# ---------------------------------------------------------------- pad (constant, interior)

pad_p = Primitive("pad")


def _pad_out_shape(shape, config):
    return tuple(lo + hi + d + max(d - 1, 0) * it for d, (lo, hi, it) in zip(shape, config))


def _pad_interior_index(shape, config):
    return tuple(slice(lo, lo + max(d - 1, 0) * (it + 1) + 1 if d else lo, it + 1)
                 for d, (lo, _, it) in zip(shape, config))


@pad_p.def_impl
def _pad_impl(x, padval, *, config):
    x = np.asarray(x)
    out = np.full(_pad_out_shape(x.shape, config), padval, dtype=x.dtype)
    out[_pad_interior_index(x.shape, config)] = x
    return out


@pad_p.def_shape
def _pad_shape(x, padval, *, config):
    if padval.shape != () or padval.dtype != x.dtype:
        raise TypeError(f"pad: the padding value must be a scalar of {x.dtype}, got {padval}")
    if len(config) != x.ndim or any(lo < 0 or hi < 0 or it < 0 for lo, hi, it in config):
        raise ValueError(f"pad: config {config} must give (low, high, interior) >= 0 for "
                         f"each axis of {x}")
    return ShapedArray(_pad_out_shape(x.shape, config), x.dtype)


def pad(x, padval, config):
    """Pad with a scalar ``padval``: ``config[i] = (low, high, interior)`` for axis i."""
    x = asarray_value(x)
    padval = asarray_value(padval, get_aval(x).dtype)
    return pad_p.bind(x, padval, config=tuple(tuple(int(c) for c in cf) for cf in config))


def _pad_transpose(ct, x, padval, *, config):
    shape = aval_of_arg(x).shape
    idx = _pad_interior_index(shape, config)
    start = [s.start for s in idx]
    strides = [s.step for s in idx]
    limit = [st + max(d - 1, 0) * k + 1 if d else st for st, k, d in zip(start, strides, shape)]
    ct_x = slice_static(ct, start, limit, strides)
    ct_pad = None
    if isinstance(padval, UndefinedPrimal):
        axes = tuple(range(len(shape)))
        ct_pad = sub(reduce_sum(ct, axes), reduce_sum(ct_x, axes))
    return [ct_x if isinstance(x, UndefinedPrimal) else None, ct_pad]


deflinear(pad_p, _pad_transpose)


def _pad_batch(args, dims, *, config):
    (x, padval), (d, dp) = args, dims
    if d is not None:
        config = config[:d] + ((0, 0, 0),) + config[d:]
    if dp is None:
        return pad_p.bind(x, padval, config=config), d
    # one padding value per batch element: pad with anything, then select the padding
    aval = get_aval(x)
    out = pad_p.bind(x, np.zeros((), aval.dtype), config=config)
    nd = get_aval(out).ndim
    inside = pad(np.ones(aval.shape, bool), False, config)
    if d is None:
        return select(inside, out, reshape(padval, get_aval(padval).shape + (1,) * nd)), 0
    padval = reshape(padval, (1,) * d + get_aval(padval).shape + (1,) * (nd - d - 1))
    return select(inside, out, padval), d


vmap_rules[pad_p] = _pad_batch

# ---------------------------------------------------------------- rev (flip)

rev_p = Primitive("rev")
rev_p.def_impl(lambda x, *, axes: np.flip(x, axes) if axes else x)


@rev_p.def_shape
def _rev_shape(x, *, axes):
    if any(not 0 <= a < x.ndim for a in axes) or len(set(axes)) != len(axes):
        raise ValueError(f"rev: axes {axes} are invalid for {x}")
    return x.strip_weak()


def rev(x, axes):
    """Reverse the order of elements along ``axes``."""
    x = asarray_value(x)
    axes = tuple(sorted(normalize_axes(axes, get_aval(x).ndim, "flip")))
    if not axes:
        return x
    return rev_p.bind(x, axes=axes)


deflinear(rev_p, lambda ct, x, *, axes: [rev_p.bind(ct, axes=axes)])


def _rev_batch(args, dims, *, axes):
    (x,), (d,) = args, dims
    return rev_p.bind(x, axes=tuple(a + (a >= d) for a in axes)), d


vmap_rules[rev_p] = _rev_batch
