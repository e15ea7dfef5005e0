"""The linear shape primitives every other rule is written with: ``broadcast_to``,
``reshape``, ``reduce_sum`` (each other's transposes) and ``transpose``, the tangent helpers
built on them (broadcasting tangent sums, unbroadcasting cotangents) and the batching helpers
(moving a batch axis, the broadcasting batching rule). Everything in ``ops`` imports this
module; it imports only ``base``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..ad import rules
from ..ad.rules import Zero, add_any, add_any_p, deflinear
from ..batching.core import vmap_rules
from ..core.avals import ShapedArray
from ..core.primitive import Primitive
from ..core.trace import get_aval
from .base import asarray_value


def normalize_axis(axis, ndim: int, who: str = "axis") -> int:
    """A NumPy axis (negative counts from the end) as a non-negative int, checked."""
    try:
        a = int(axis)
    except TypeError:
        raise TypeError(f"{who}: axis must be an integer, got {axis!r}") from None
    if not -ndim <= a < ndim:
        raise ValueError(f"{who}: axis {a} is out of bounds for an array of dimension {ndim}")
    return a % ndim


def normalize_axes(axes, ndim: int, who: str = "axis") -> tuple[int, ...]:
    axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
    out = tuple(normalize_axis(a, ndim, who) for a in axes)
    if len(set(out)) != len(out):
        raise ValueError(f"{who}: repeated axis in {axes}")
    return out


# ---------------------------------------------------------------- broadcast_to

broadcast_to_p = Primitive("broadcast_to")
# a read-only view, not a copy: consumers allocate their own outputs; values handed to users
# are made writable at the API boundary (jit outputs, gradients)
broadcast_to_p.def_impl(lambda x, *, shape: np.broadcast_to(x, shape))


@broadcast_to_p.def_shape
def _broadcast_to_shape(x, *, shape):
    ok = len(shape) >= x.ndim and all(d >= 0 for d in shape) and all(
        d == s or d == 1 for d, s in zip(x.shape[::-1], shape[::-1]))
    if not ok:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {tuple(shape)}")
    return ShapedArray(shape, x.dtype)


def broadcast_to(x, shape: Sequence[int]):
    x = asarray_value(x)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d)
                                                                             for d in shape)
    if get_aval(x).shape == shape:
        return x
    return broadcast_to_p.bind(x, shape=shape)


deflinear(broadcast_to_p, lambda ct, x, *, shape: [unbroadcast(ct, x.aval)])

# ---------------------------------------------------------------- reshape

reshape_p = Primitive("reshape")
reshape_p.def_impl(lambda x, *, shape: np.reshape(x, shape))


@reshape_p.def_shape
def _reshape_shape(x, *, shape):
    if any(d < 0 for d in shape) or int(np.prod(shape, dtype=np.int64)) != x.size:
        raise ValueError(f"reshape: cannot reshape {x} (size {x.size}) to shape {tuple(shape)}")
    return ShapedArray(shape, x.dtype)


def _normalize_shape(size: int, shape) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape = [int(d) for d in shape]
    if shape.count(-1) > 1:
        raise ValueError("reshape: can only specify one unknown dimension (-1)")
    if any(d < -1 for d in shape):
        raise ValueError(f"reshape: negative dimension in shape {tuple(shape)}")
    if -1 in shape:
        known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
        if known == 0 or size % known:
            raise ValueError(f"reshape: cannot reshape array of size {size} into shape "
                             f"{tuple(shape)}")
        shape[shape.index(-1)] = size // known
    if int(np.prod(shape, dtype=np.int64)) != size:
        raise ValueError(f"reshape: cannot reshape array of size {size} into shape "
                         f"{tuple(shape)}")
    return tuple(shape)


def reshape(x, shape):
    x = asarray_value(x)
    aval = get_aval(x)
    shape = _normalize_shape(aval.size, shape)
    if aval.shape == shape:
        return x
    return reshape_p.bind(x, shape=shape)


deflinear(reshape_p, lambda ct, x, *, shape: [reshape(ct, x.aval.shape)])

def _reduce_shape(name: str, nonempty: bool = False, dtype=None):
    def rule(x, *, axes):
        if x.dtype.kind == "b" and name in ("reduce_sum", "reduce_prod"):
            raise TypeError(f"{name} does not take booleans ({x}); convert them first")
        if list(axes) != sorted(set(axes)) or any(not 0 <= a < x.ndim for a in axes):
            raise ValueError(f"{name}: axes {axes} must be sorted, unique and within the "
                             f"{x.ndim} dimensions of {x}")
        if nonempty and any(x.shape[a] == 0 for a in axes):
            raise ValueError(f"{name}: zero-size array to a reduction that has no identity "
                             f"({x} along axes {axes})")
        return ShapedArray(tuple(d for i, d in enumerate(x.shape) if i not in axes),
                           dtype or x.dtype)
    return rule


def normalize_reduction_axes(axis, ndim: int) -> tuple[int, ...]:
    """NumPy's ``axis`` (None, an int or a tuple, negative counting from the end) as a sorted
    tuple of non-negative axes. A 0-d array accepts axis 0 / -1 and reduces nothing."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axes = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise TypeError(f"axis must be an int or a tuple of ints, got {axis!r}")
    out = []
    for a in axes:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"axis must be an int or a tuple of ints, got {axis!r}")
        a = int(a)
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}")
        out.append(a % ndim if ndim else None)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis!r}")
    return tuple(sorted(a for a in out if a is not None))


def expand_reduced(y, axes: tuple[int, ...], shape: tuple[int, ...]):
    """Broadcast a reduced value back over the reduced ``axes`` of ``shape``."""
    kept = [1 if i in axes else d for i, d in enumerate(shape)]
    return broadcast_to(reshape(y, kept), shape)


# ---------------------------------------------------------------- transpose

transpose_p = Primitive("transpose")
transpose_p.def_impl(lambda x, *, perm: np.transpose(x, perm))


@transpose_p.def_shape
def _transpose_shape(x, *, perm):
    if sorted(perm) != list(range(x.ndim)):
        raise ValueError(f"transpose: permutation {perm} does not fit {x}")
    return ShapedArray(tuple(x.shape[p] for p in perm), x.dtype)


def transpose(x, perm: Sequence[int] | None = None):
    x = asarray_value(x)
    nd = get_aval(x).ndim
    if perm is None:
        perm = tuple(range(nd))[::-1]
    else:
        if len(perm) != nd:
            raise ValueError(f"transpose: axes {tuple(perm)} do not match an array of "
                             f"dimension {nd}")
        perm = normalize_axes(perm, nd, "transpose")
    if perm == tuple(range(nd)):
        return x
    return transpose_p.bind(x, perm=perm)


deflinear(transpose_p, lambda ct, x, *, perm: [transpose(ct, tuple(np.argsort(perm)))])


# ---------------------------------------------------------------- reduce_sum

reduce_sum_p = Primitive("reduce_sum")
reduce_sum_p.def_impl(lambda x, *, axes: np.sum(x, axis=axes, dtype=np.asarray(x).dtype))
reduce_sum_p.def_shape(_reduce_shape("reduce_sum"))


def reduce_sum(x, axes: Sequence[int] | None):
    x = asarray_value(x)
    axes = normalize_reduction_axes(axes, get_aval(x).ndim)
    if not axes:
        return x
    return reduce_sum_p.bind(x, axes=axes)


deflinear(reduce_sum_p, lambda ct, x, *, axes: [expand_reduced(ct, axes, x.aval.shape)])

# ---------------------------------------------------------------- tangent helpers

def add_tangents(a, b, shape: tuple[int, ...]):
    """Sum of two tangent contributions, broadcast to the output ``shape``."""
    if isinstance(a, Zero):
        return broadcast_like(b, shape)
    if isinstance(b, Zero):
        return broadcast_like(a, shape)
    return add_any(broadcast_like(a, shape), broadcast_like(b, shape))


def broadcast_like(x, shape):
    if isinstance(x, Zero) or tuple(get_aval(x).shape) == tuple(shape):
        return x
    return broadcast_to(x, shape)


def unbroadcast(ct, aval: ShapedArray):
    """Sum a cotangent over the axes its input was broadcast along."""
    if isinstance(ct, Zero):
        return Zero(aval)
    ct_shape = get_aval(ct).shape
    if ct_shape == aval.shape:
        return ct
    lead = len(ct_shape) - len(aval.shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(aval.shape) if d == 1 and ct_shape[lead + i] != 1)
    summed = reduce_sum(ct, axes) if axes else ct
    return reshape(summed, aval.shape)



def defjvp(prim: Primitive, *jvp_rules: Callable | None) -> None:
    """``ad.rules.defjvp`` for primitives that broadcast: each input's tangent contribution
    is broadcast to the output's shape before the contributions are summed."""
    rules.defjvp(prim, *jvp_rules, add=add_tangents)


# ---------------------------------------------------------------- batching

def moveaxis(x, src: int, dst: int):
    """``x`` with axis ``src`` moved to position ``dst`` (one transpose, or none)."""
    if src == dst:
        return x
    perm = [i for i in range(get_aval(x).ndim) if i != src]
    perm.insert(dst, src)
    return transpose(x, perm)


def to_front(x, d: int | None, size: int):
    """``x`` with its batch axis first; an unbatched ``x`` (``d`` None) is broadcast along a
    new first axis of ``size``."""
    if d is None:
        return broadcast_to(x, (size,) + tuple(get_aval(x).shape))
    return moveaxis(x, d, 0)




def batch_size(args, dims) -> int:
    return next(get_aval(a).shape[d] for a, d in zip(args, dims) if d is not None)


def broadcasting_batcher(prim: Primitive):
    """The batching rule of a primitive that broadcasts its operands like NumPy: operands
    batched at one common axis with one rank apply as they are; otherwise batch axes move to
    the front (ranks padded with 1s), where unbatched operands broadcast against them."""
    def rule(args, dims, **params):
        batched = [(a, d) for a, d in zip(args, dims) if d is not None]
        d0 = batched[0][1]
        nd = get_aval(batched[0][0]).ndim
        if len(batched) == len(args) and all(d == d0 and get_aval(a).ndim == nd
                                              for a, d in batched):
            return prim.bind(*args, **params), d0
        rank = max(get_aval(a).ndim - (d is not None) for a, d in zip(args, dims))
        new = []
        for a, d in zip(args, dims):
            if d is not None:
                a = moveaxis(a, d, 0)
                shape = get_aval(a).shape
                if len(shape) - 1 < rank:
                    a = reshape(a, shape[:1] + (1,) * (rank + 1 - len(shape)) + shape[1:])
            new.append(a)
        return prim.bind(*new, **params), 0
    return rule


def _broadcast_to_batch(args, dims, *, shape):
    (x,), (d,) = args, dims
    x = moveaxis(x, d, 0)
    xs = get_aval(x).shape
    x = reshape(x, xs[:1] + (1,) * (len(shape) + 1 - len(xs)) + xs[1:])
    return broadcast_to(x, xs[:1] + tuple(shape)), 0


def _reshape_batch(args, dims, *, shape):
    (x,), (d,) = args, dims
    x = moveaxis(x, d, 0)
    return reshape(x, get_aval(x).shape[:1] + tuple(shape)), 0


def _reduce_sum_batch(args, dims, *, axes):
    (x,), (d,) = args, dims
    moved = tuple(a + (a >= d) for a in axes)
    return reduce_sum_p.bind(x, axes=moved), d - sum(a < d for a in axes)


def _transpose_batch(args, dims, *, perm):
    (x,), (d,) = args, dims
    return transpose_p.bind(x, perm=(d,) + tuple(p + (p >= d) for p in perm)), 0


def _add_any_batch(args, dims):
    size = batch_size(args, dims)
    if dims[0] == dims[1]:
        return add_any(*args), dims[0]
    return add_any(*[to_front(a, d, size) for a, d in zip(args, dims)]), 0


vmap_rules[broadcast_to_p] = _broadcast_to_batch
vmap_rules[reshape_p] = _reshape_batch
vmap_rules[reduce_sum_p] = _reduce_sum_batch
vmap_rules[transpose_p] = _transpose_batch
vmap_rules[add_any_p] = _add_any_batch   # (add_any is defined in ad, below the shape ops)
