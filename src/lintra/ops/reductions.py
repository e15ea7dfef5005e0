"""Reductions over static axes, arg-extrema, and cumulative sums/products.

Primitives take normalized axes (sorted, non-negative, unique) and return the input's dtype;
the ``lintra.numpy`` layer chooses accumulation dtypes and handles ``axis=None``/``keepdims``.
Products are differentiated exactly where inputs are zero: no rule divides by the input.
"""

from __future__ import annotations

import numpy as np

from ..ad.rules import deflinear, defzero_jvp, jvp_rules, zero_like
from ..batching.core import vmap_rules
from ..core.avals import DEFAULT_INT
from ..core.primitive import Primitive
from ..core.trace import get_aval
from . import elementwise as E
from .base import asarray_value, convert_element_type, stop_gradient
from .shape import (  # noqa: F401  (re-exported)
    _reduce_shape,
    expand_reduced,
    reduce_sum,
    reduce_sum_p,
)
from .shape import normalize_reduction_axes as normalize_axes
from .structure import pad, reshape, slice_static, transpose

# ---------------------------------------------------------------- reduce_max, reduce_min

reduce_max_p = Primitive("reduce_max")
reduce_max_p.def_impl(lambda x, *, axes: np.max(x, axis=axes))
reduce_max_p.def_shape(_reduce_shape("reduce_max", nonempty=True))
reduce_min_p = Primitive("reduce_min")
reduce_min_p.def_impl(lambda x, *, axes: np.min(x, axis=axes))
reduce_min_p.def_shape(_reduce_shape("reduce_min", nonempty=True))


def _extremum_jvp(prim):
    def jvp(primals, tangents, *, axes):
        (x,), (t,) = primals, tangents
        out = prim.bind(x, axes=axes)
        # the tangent of the extremum is the mean of the tangents at the arg-extrema (ties
        # share equally, as JAX)
        where = convert_element_type(E.eq(x, expand_reduced(out, axes, get_aval(x).shape)),
                                     get_aval(t).dtype)
        return out, E.div(reduce_sum(E.mul(t, where), axes), reduce_sum(where, axes))
    return jvp


jvp_rules[reduce_max_p] = _extremum_jvp(reduce_max_p)
jvp_rules[reduce_min_p] = _extremum_jvp(reduce_min_p)


def _reduce_batcher(prim):
    """Batching a reduction over ``axes``: the axes shift past the batch axis, which stays."""
    def rule(args, dims, *, axes):
        (x,), (d,) = args, dims
        moved = tuple(a + (a >= d) for a in axes)
        return prim.bind(x, axes=moved), d - sum(a < d for a in axes)
    return rule


vmap_rules[reduce_max_p] = _reduce_batcher(reduce_max_p)
vmap_rules[reduce_min_p] = _reduce_batcher(reduce_min_p)


def reduce_max(x, axes):
    x = asarray_value(x)
    axes = normalize_axes(axes, get_aval(x).ndim)
    return reduce_max_p.bind(x, axes=axes) if axes else x


def reduce_min(x, axes):
    x = asarray_value(x)
    axes = normalize_axes(axes, get_aval(x).ndim)
    return reduce_min_p.bind(x, axes=axes) if axes else x


# ---------------------------------------------------------------- argmax, argmin

def _arg_shape(name):
    def rule(x, *, axis):
        return _reduce_shape(name, nonempty=True, dtype=DEFAULT_INT)(x, axes=(axis,))
    return rule


argmax_p = Primitive("argmax")
argmax_p.def_impl(lambda x, *, axis: np.argmax(x, axis=axis).astype(DEFAULT_INT))
argmax_p.def_shape(_arg_shape("argmax"))
argmin_p = Primitive("argmin")
argmin_p.def_impl(lambda x, *, axis: np.argmin(x, axis=axis).astype(DEFAULT_INT))
argmin_p.def_shape(_arg_shape("argmin"))
defzero_jvp(argmax_p)
defzero_jvp(argmin_p)


def _arg_batcher(prim):
    def rule(args, dims, *, axis):
        (x,), (d,) = args, dims
        return prim.bind(x, axis=axis + (axis >= d)), d - (axis < d)
    return rule


vmap_rules[argmax_p] = _arg_batcher(argmax_p)
vmap_rules[argmin_p] = _arg_batcher(argmin_p)


def argmax(x, axis: int):
    """Index (int64) of the first maximum along ``axis``; no tangent."""
    x = asarray_value(x)
    return argmax_p.bind(x, axis=normalize_axes(axis, get_aval(x).ndim)[0])


def argmin(x, axis: int):
    x = asarray_value(x)
    return argmin_p.bind(x, axis=normalize_axes(axis, get_aval(x).ndim)[0])


# ---------------------------------------------------------------- helpers along one axis

def _flip(a, axis):
    return np.flip(a, axis)


def _shift(y, k: int, fill, axis: int, reverse: bool):
    """Shift ``y`` by ``k`` along ``axis`` (towards higher indices, or lower if ``reverse``),
    filling with ``fill``: an exclusive step of a prefix scan."""
    shape = get_aval(y).shape
    n = shape[axis]
    start = [0] * len(shape)
    limit = list(shape)
    if reverse:
        start[axis] = min(k, n)
    else:
        limit[axis] = max(n - k, 0)
    kept = slice_static(y, start, limit)
    config = [(0, 0, 0)] * len(shape)
    config[axis] = (0, min(k, n), 0) if reverse else (min(k, n), 0, 0)
    return pad(kept, np.asarray(fill, get_aval(y).dtype), config)


def _axis_param_shape(name):
    def rule(x, *, axis, reverse):
        if x.dtype.kind == "b":
            raise TypeError(f"{name} does not take booleans ({x}); convert them first")
        if not 0 <= axis < x.ndim:
            raise ValueError(f"{name}: axis {axis} is out of bounds for {x}")
        return x.strip_weak()
    return rule


def _cum_batcher(prim):
    def rule(args, dims, *, axis, reverse):
        (x,), (d,) = args, dims
        return prim.bind(x, axis=axis + (axis >= d), reverse=reverse), d
    return rule


# ---------------------------------------------------------------- cumsum (linear)

def _cum_impl(fn):
    def impl(x, *, axis, reverse):
        x = np.asarray(x)
        if reverse:
            return _flip(fn(_flip(x, axis), axis=axis, dtype=x.dtype), axis)
        return fn(x, axis=axis, dtype=x.dtype)
    return impl


cumsum_p = Primitive("cumsum")
cumsum_p.def_impl(_cum_impl(np.cumsum))
cumsum_p.def_shape(_axis_param_shape("cumsum"))
# the transpose of a prefix sum is the suffix sum
deflinear(cumsum_p, lambda ct, x, *, axis, reverse: [
    cumsum_p.bind(ct, axis=axis, reverse=not reverse)])
vmap_rules[cumsum_p] = _cum_batcher(cumsum_p)


def _axis1(x, axis: int) -> int:
    nd = get_aval(x).ndim
    if not -nd <= axis < nd:
        raise ValueError(f"axis {axis} is out of bounds for an array of dimension {nd}")
    return axis % nd


def cumsum(x, axis: int, reverse: bool = False):
    x = asarray_value(x)
    return cumsum_p.bind(x, axis=_axis1(x, axis), reverse=bool(reverse))


# ---------------------------------------------------------------- cumprod

cumprod_p = Primitive("cumprod")
cumprod_p.def_impl(_cum_impl(np.cumprod))
cumprod_p.def_shape(_axis_param_shape("cumprod"))


def _cumprod_jvp(primals, tangents, *, axis, reverse):
    """Differentiate a log-depth (Hillis-Steele) prefix product written with lintra ops:
    y <- y * shift(y, k) for k = 1, 2, 4, ...; exact where inputs are zero, and
    differentiable again."""
    (x,), (t,) = primals, tangents
    out = cumprod_p.bind(x, axis=axis, reverse=reverse)
    n = get_aval(x).shape[axis]
    y, dy, k = x, t, 1
    while k < n:
        ys, dys = _shift(y, k, 1, axis, reverse), _shift(dy, k, 0, axis, reverse)
        y, dy = E.mul(y, ys), E.add(E.mul(dy, ys), E.mul(y, dys))
        k *= 2
    return out, dy


jvp_rules[cumprod_p] = _cumprod_jvp
vmap_rules[cumprod_p] = _cum_batcher(cumprod_p)


def cumprod(x, axis: int, reverse: bool = False):
    x = asarray_value(x)
    return cumprod_p.bind(x, axis=_axis1(x, axis), reverse=bool(reverse))


# ---------------------------------------------------------------- reduce_prod

reduce_prod_p = Primitive("reduce_prod")
reduce_prod_p.def_impl(lambda x, *, axes: np.prod(x, axis=axes, dtype=np.asarray(x).dtype))
reduce_prod_p.def_shape(_reduce_shape("reduce_prod"))


def _reduce_prod_jvp(primals, tangents, *, axes):
    """d prod(x) = sum_i t_i * prod_{j != i} x_j, with the exclusive products taken from a
    forward and a backward cumulative product (no division, so zeros are exact)."""
    (x,), (t,) = primals, tangents
    out = reduce_prod_p.bind(x, axes=axes)
    shape = get_aval(x).shape
    kept = [i for i in range(len(shape)) if i not in axes]
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    if n == 0:
        return out, zero_like(out)
    flat_shape = [shape[i] for i in kept] + [n]

    def to_rows(v):
        return reshape(transpose(v, kept + list(axes)), flat_shape)

    xr, tr, last = to_rows(x), to_rows(t), len(kept)
    before = _shift(cumprod(xr, last), 1, 1, last, False)
    after = _shift(cumprod(xr, last, reverse=True), 1, 1, last, True)
    return out, reduce_sum(E.mul(tr, E.mul(before, after)), (last,))


jvp_rules[reduce_prod_p] = _reduce_prod_jvp
vmap_rules[reduce_prod_p] = _reduce_batcher(reduce_prod_p)


def reduce_prod(x, axes):
    x = asarray_value(x)
    axes = normalize_axes(axes, get_aval(x).ndim)
    return reduce_prod_p.bind(x, axes=axes) if axes else x


# ---------------------------------------------------------------- composites

def logsumexp(x, axes):
    """log(sum(exp(x))) over ``axes``, stable for large inputs: the maximum is subtracted
    under ``stop_gradient`` (so the gradient is exactly softmax), and replaced by 0 where it is
    not finite (all -inf gives -inf, any +inf gives +inf)."""
    x = asarray_value(x)
    aval = get_aval(x)
    axes = normalize_axes(axes, aval.ndim)
    if aval.size == 0 or not axes:
        return E.log(reduce_sum(E.exp(x), axes))
    m = stop_gradient(reduce_max(x, axes))
    m = E.select(E.lt(E.abs(m), float("inf")), m, 0.0)
    shifted = E.sub(x, expand_reduced(m, axes, aval.shape))
    return E.add(E.log(reduce_sum(E.exp(shifted), axes)), m)
