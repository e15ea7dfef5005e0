"""Structural primitives: they move, copy or rearrange elements (all linear)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.avals import ShapedArray
from ..core.primitive import Primitive, deflinear
from ..core.trace import get_aval
from .base import asarray_value, unbroadcast

# ---------------------------------------------------------------- broadcast_to

broadcast_to_p = Primitive("broadcast_to")
broadcast_to_p.def_impl(lambda x, *, shape: np.array(np.broadcast_to(x, shape)))


@broadcast_to_p.def_shape
def _broadcast_to_shape(x, *, shape):
    try:
        np.broadcast_shapes(x.shape, shape)
        ok = len(shape) >= x.ndim and all(
            d == s or d == 1 for d, s in zip(x.shape[::-1], shape[::-1]))
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"cannot broadcast shape {x.shape} to {tuple(shape)}")
    return ShapedArray(shape, x.dtype)


def broadcast_to(x, shape: Sequence[int]):
    x = asarray_value(x)
    shape = tuple(int(d) for d in shape)
    if get_aval(x).shape == shape:
        return x
    return broadcast_to_p.bind(x, shape=shape)


deflinear(broadcast_to_p, lambda ct, x, *, shape: [unbroadcast(ct, x.aval)])

# ---------------------------------------------------------------- reshape

reshape_p = Primitive("reshape")
reshape_p.def_impl(lambda x, *, shape: np.reshape(x, shape))


@reshape_p.def_shape
def _reshape_shape(x, *, shape):
    if int(np.prod(shape, dtype=np.int64)) != x.size:
        raise ValueError(f"cannot reshape {x} (size {x.size}) to shape {tuple(shape)}")
    return ShapedArray(shape, x.dtype)


def _normalize_shape(size: int, shape) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape = [int(d) for d in shape]
    if shape.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension (-1)")
    if -1 in shape:
        known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape array of size {size} into shape {tuple(shape)}")
        shape[shape.index(-1)] = size // known
    return tuple(shape)


def reshape(x, shape):
    x = asarray_value(x)
    aval = get_aval(x)
    shape = _normalize_shape(aval.size, shape)
    if aval.shape == shape:
        return x
    return reshape_p.bind(x, shape=shape)


deflinear(reshape_p, lambda ct, x, *, shape: [reshape(ct, x.aval.shape)])

# ---------------------------------------------------------------- transpose

transpose_p = Primitive("transpose")
transpose_p.def_impl(lambda x, *, perm: np.transpose(x, perm))


@transpose_p.def_shape
def _transpose_shape(x, *, perm):
    if sorted(perm) != list(range(x.ndim)):
        raise ValueError(f"transpose permutation {perm} does not fit {x}")
    return ShapedArray(tuple(x.shape[p] for p in perm), x.dtype)


def transpose(x, perm: Sequence[int] | None = None):
    x = asarray_value(x)
    nd = get_aval(x).ndim
    perm = tuple(range(nd))[::-1] if perm is None else tuple(int(p) % nd if nd else int(p)
                                                               for p in perm)
    if perm == tuple(range(nd)):
        return x
    return transpose_p.bind(x, perm=perm)


deflinear(transpose_p, lambda ct, x, *, perm: [transpose(ct, tuple(np.argsort(perm)))])


def expand_dims(x, axis):
    x = asarray_value(x)
    shape = list(get_aval(x).shape)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    nd = len(shape) + len(axes)
    for a in sorted(ax % nd for ax in axes):
        shape.insert(a, 1)
    return reshape(x, shape)


def squeeze(x, axis=None):
    x = asarray_value(x)
    shape = get_aval(x).shape
    if axis is None:
        axes = {i for i, d in enumerate(shape) if d == 1}
    else:
        axes = {a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)}
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"cannot squeeze axis {a} of size {shape[a]}")
    return reshape(x, [d for i, d in enumerate(shape) if i not in axes])


def stack(xs, axis: int = 0):
    from .base import promote
    xs = promote(*xs)
    nd = get_aval(xs[0]).ndim + 1
    if not -nd <= axis < nd:
        raise ValueError(f"stack: axis {axis} out of bounds for {nd}-d result")
    axis = axis % nd
    shapes = {get_aval(x).shape for x in xs}
    if len(shapes) != 1:
        raise ValueError(f"stack: all inputs must have the same shape, got {sorted(shapes)}")
    return concatenate([expand_dims(x, axis) for x in xs], axis)


# ---------------------------------------------------------------- concatenate

concatenate_p = Primitive("concatenate")
concatenate_p.def_impl(lambda *xs, axis: np.concatenate(xs, axis=axis))


@concatenate_p.def_shape
def _concatenate_shape(*xs, axis):
    if not xs:
        raise ValueError("need at least one array to concatenate")
    x0 = xs[0]
    for x in xs[1:]:
        if (x.ndim != x0.ndim or x.dtype != x0.dtype
                or any(a != b for i, (a, b) in enumerate(zip(x.shape, x0.shape)) if i != axis)):
            raise TypeError("concatenate: all inputs must have one dtype and equal shapes "
                            f"except along axis {axis}; got {', '.join(map(str, xs))}")
    if not 0 <= axis < x0.ndim:
        raise ValueError(f"concatenate: axis {axis} out of bounds for {x0}")
    shape = list(x0.shape)
    shape[axis] = sum(x.shape[axis] for x in xs)
    return ShapedArray(tuple(shape), x0.dtype)


def _concatenate_transpose(ct, *xs, axis):
    from ..ad.transpose import UndefinedPrimal
    out, start = [], 0
    for x in xs:
        n = x.aval.shape[axis] if isinstance(x, UndefinedPrimal) else get_aval(x).shape[axis]
        if isinstance(x, UndefinedPrimal):
            shape = get_aval(ct).shape
            lo = [start if i == axis else 0 for i in range(len(shape))]
            hi = [start + n if i == axis else d for i, d in enumerate(shape)]
            out.append(slice_static(ct, lo, hi))
        else:
            out.append(None)
        start += n
    return out


deflinear(concatenate_p, _concatenate_transpose)


def concatenate(xs, axis: int = 0):
    from .base import promote
    xs = promote(*xs)
    nd = get_aval(xs[0]).ndim
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    axis = int(axis)
    if not -nd <= axis < nd:
        raise ValueError(f"concatenate: axis {axis} out of bounds for {nd}-d arrays")
    if len(xs) == 1:
        return xs[0]
    return concatenate_p.bind(*xs, axis=axis % nd)


# ---------------------------------------------------------------- slice (static) and pad

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
            raise ValueError(f"slice [{s}:{e}:{k}] out of bounds for axis of size {d}")
        shape.append(max(0, -(-(e - s) // k)))
    return ShapedArray(tuple(shape), x.dtype)


def slice_static(x, start, limit, strides=None):
    strides = tuple(strides) if strides is not None else (1,) * len(start)
    aval = get_aval(x)
    if tuple(start) == (0,) * aval.ndim and tuple(limit) == aval.shape and \
            strides == (1,) * aval.ndim:
        return x
    return slice_p.bind(x, start=tuple(start), limit=tuple(limit), strides=strides)


def _slice_transpose(ct, x, *, start, limit, strides):
    out_shape = get_aval(ct).shape
    config = []
    for s, k, n, d in zip(start, strides, out_shape, x.aval.shape):
        used = s + (n - 1) * k + 1 if n else s
        config.append((s, d - used, k - 1 if n > 1 else 0))
    return [pad(ct, np.zeros((), x.aval.dtype), tuple(config))]


deflinear(slice_p, _slice_transpose, lambda params, n: (0,))

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
        raise TypeError(f"pad: padding value must be a scalar of {x.dtype}, got {padval}")
    if len(config) != x.ndim or any(lo < 0 or hi < 0 or it < 0 for lo, hi, it in config):
        raise ValueError(f"pad: config {config} must give (low, high, interior) >= 0 per axis")
    return ShapedArray(_pad_out_shape(x.shape, config), x.dtype)


def pad(x, padval, config):
    return pad_p.bind(x, padval, config=tuple(tuple(int(c) for c in cf) for cf in config))


def _pad_transpose(ct, x, padval, *, config):
    from ..ad.transpose import UndefinedPrimal
    from .reductions import reduce_sum
    from . import elementwise as E
    shape = x.aval.shape if isinstance(x, UndefinedPrimal) else get_aval(x).shape
    idx = _pad_interior_index(shape, config)
    start = [s.start for s in idx]
    strides = [s.step for s in idx]
    limit = [st + max(d - 1, 0) * k + 1 if d else st for st, k, d in zip(start, strides, shape)]
    ct_x = slice_static(ct, start, limit, strides)
    ct_pad = None
    if isinstance(padval, UndefinedPrimal):
        all_axes = tuple(range(len(shape)))
        ct_pad = E.sub(reduce_sum(ct, all_axes), reduce_sum(ct_x, all_axes)) if shape else \
            E.sub(ct, ct_x)
    return [ct_x if isinstance(x, UndefinedPrimal) else None, ct_pad]


deflinear(pad_p, _pad_transpose)
