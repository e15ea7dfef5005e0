"""Reductions over static axes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.avals import ShapedArray
from ..core.primitive import Primitive, deflinear
from ..core.trace import Zero, get_aval
from .base import asarray_value


def _reduce_shape(x, *, axes):
    for a in axes:
        if not 0 <= a < x.ndim:
            raise ValueError(f"axis {a} is out of bounds for {x}")
    return ShapedArray(tuple(d for i, d in enumerate(x.shape) if i not in axes), x.dtype)


def normalize_axes(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(out))


def expand_reduced(y, axes: tuple[int, ...], shape: tuple[int, ...]):
    """Broadcast a reduced value back over the reduced ``axes`` of ``shape``."""
    from .structure import broadcast_to, reshape
    kept = [1 if i in axes else d for i, d in enumerate(shape)]
    return broadcast_to(reshape(y, kept), shape)


# ---------------------------------------------------------------- reduce_sum

reduce_sum_p = Primitive("reduce_sum")
reduce_sum_p.def_impl(lambda x, *, axes: np.sum(x, axis=axes))
reduce_sum_p.def_shape(_reduce_shape)


def reduce_sum(x, axes: Sequence[int]):
    x = asarray_value(x)
    axes = normalize_axes(axes, get_aval(x).ndim)
    if not axes:
        return x
    return reduce_sum_p.bind(x, axes=axes)


deflinear(reduce_sum_p, lambda ct, x, *, axes: [expand_reduced(ct, axes, x.aval.shape)])

# ---------------------------------------------------------------- reduce_max, reduce_min

reduce_max_p = Primitive("reduce_max")
reduce_max_p.def_impl(lambda x, *, axes: np.max(x, axis=axes))
reduce_max_p.def_shape(_reduce_shape)
reduce_min_p = Primitive("reduce_min")
reduce_min_p.def_impl(lambda x, *, axes: np.min(x, axis=axes))
reduce_min_p.def_shape(_reduce_shape)


def _extremum_jvp(prim):
    def jvp(primals, tangents, *, axes):
        from . import elementwise as E
        from .base import convert_element_type
        (x,), (t,) = primals, tangents
        out = prim.bind(x, axes=axes)
        if isinstance(t, Zero):
            return out, Zero(get_aval(out).strip_weak())
        # the tangent of the extremum is the mean of the tangents at the arg-extrema (ties share)
        where = convert_element_type(E.eq(x, expand_reduced(out, axes, get_aval(x).shape)),
                                     get_aval(t).dtype)
        return out, E.div(reduce_sum(E.mul(t, where), axes), reduce_sum(where, axes))
    return jvp


reduce_max_p.jvp = _extremum_jvp(reduce_max_p)
reduce_min_p.jvp = _extremum_jvp(reduce_min_p)


def reduce_max(x, axes):
    x = asarray_value(x)
    return reduce_max_p.bind(x, axes=normalize_axes(axes, get_aval(x).ndim))


def reduce_min(x, axes):
    x = asarray_value(x)
    return reduce_min_p.bind(x, axes=normalize_axes(axes, get_aval(x).ndim))
