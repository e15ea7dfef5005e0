"""Gather and scatter at (possibly traced) integer indices.

Convention shared by all primitives here: ``idx`` is an integer array of shape ``B + (k,)``;
each length-k vector addresses axes ``axis .. axis+k-1`` of the operand, so
``take(x, idx, axis)`` has shape ``x.shape[:axis] + B + x.shape[axis+k:]`` (NumPy's
``x[:, ..., i0, i1]`` with the index arrays stacked on the last axis). Indices must lie in
``[0, size)``; the NumPy layer normalizes negative ones, and out-of-bounds indices raise
``IndexError`` when the primitive runs.

- ``take`` (gather) is linear in ``x``; its transpose is a ``SparseCotangent`` that the
  backward pass accumulates in place (design §4), never a dense one-hot array.
- ``scatter_add`` adds updates at the indices; duplicate indices accumulate.
- ``scatter`` overwrites; with duplicate indices the update that comes *last* in row-major
  order of ``B`` wins (deterministically), and only the winner receives a cotangent.
"""

from __future__ import annotations

import numpy as np

from ..ad.rules import (
    SparseCotangent,
    UndefinedPrimal,
    Zero,
    defzero_jvp,
    first_position,
    instantiate,
    jvp_rules,
    linear_positions,
    transpose_rules,
    zero_like,
)
from ..batching.core import vmap_rules
from ..core.avals import BOOL_DTYPE, ShapedArray
from ..core.eval import fresh_outputs, inplace_impls
from ..core.primitive import Primitive
from ..core.trace import Tracer, get_aval
from . import elementwise as E
from .base import asarray_value
from .structure import batch_size, concatenate, moveaxis, reshape, to_front


def _index_tuple(idx: np.ndarray, axis: int) -> tuple:
    return (slice(None),) * axis + tuple(idx[..., j] for j in range(idx.shape[-1]))


def _check_bounds(shape, idx: np.ndarray, axis: int, who: str) -> None:
    for j in range(idx.shape[-1]):
        n, c = shape[axis + j], idx[..., j]
        if c.size and (c.min() < 0 or c.max() >= n):
            bad = c[(c < 0) | (c >= n)].flat[0]
            raise IndexError(f"{who}: index {bad} is out of bounds for axis {axis + j} with "
                             f"size {n}")


def _index_shape(x: ShapedArray, idx: ShapedArray, axis: int, who: str) -> tuple[int, ...]:
    """The shape ``x.shape[:axis] + B + x.shape[axis+k:]`` (and the checks behind it)."""
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{who}: indices must be integers, got {idx}")
    if idx.ndim < 1 or idx.shape[-1] < 1:
        raise ValueError(f"{who}: indices must have shape B + (k,) with k >= 1, got {idx}")
    k = idx.shape[-1]
    if axis < 0 or axis + k > x.ndim:
        raise ValueError(f"{who}: {k} index components at axis {axis} do not fit {x}")
    return x.shape[:axis] + idx.shape[:-1] + x.shape[axis + k:]


def last_occurrence(idx: np.ndarray) -> np.ndarray:
    """Boolean mask over ``B``: True where an index vector does not occur again later."""
    flat = np.asarray(idx).reshape(-1, idx.shape[-1])
    m = flat.shape[0]
    mask = np.zeros(m, bool)
    if m:
        rev = flat[::-1]
        _, first = np.unique(rev[:, 0] if flat.shape[1] == 1 else rev, axis=0,
                             return_index=True)
        mask[m - 1 - first] = True
    return mask.reshape(idx.shape[:-1])


def _lane_indices(idx, d: int | None, size: int):
    """Batched index vectors ``(size,) + B + (k,)`` with each lane's number prepended, giving
    ``(size,) + B + (k + 1,)``: they address a batch axis placed just before the indexed axes,
    so each lane reads (or writes) only its own slice (O(size) work, not O(size**2))."""
    idx = to_front(idx, d, size)
    shape = get_aval(idx).shape
    lanes = np.arange(size, dtype=get_aval(idx).dtype).reshape((size,) + (1,) * (len(shape) - 1))
    return concatenate([np.broadcast_to(lanes, shape[:-1] + (1,)), idx], len(shape) - 1)


def _batch_at(x, d: int | None, p: int, size: int):
    """``x`` with its batch axis at ``p`` (an unbatched ``x`` is broadcast along it)."""
    if d is None:
        return moveaxis(to_front(x, None, size), 0, p)
    return moveaxis(x, d, p)


def _unlast(idx, d: int | None):
    """Index vectors batched along their last axis get the batch axis first instead."""
    if d is not None and d == get_aval(idx).ndim - 1:
        return moveaxis(idx, d, 0), 0
    return idx, d


def _free_slot(d: int | None, axis: int, k: int, nb: int) -> tuple[int, int, int]:
    """For index vectors without a batch axis: where the operand's batch axis can stay (at
    ``d``, outside the ``k`` indexed axes) or go (first), the matching batch axis of the
    gathered/updates array, and the primitive's new ``axis``."""
    if d is not None and d < axis:
        return d, d, axis + 1
    if d is not None and d >= axis + k:
        return d, d - k + nb, axis
    return 0, 0, axis + 1


# ---------------------------------------------------------------- take (gather)

take_p = Primitive("take")


@take_p.def_impl
def _take_impl(x, idx, *, axis):
    x, idx = np.asarray(x), np.asarray(idx)
    _check_bounds(x.shape, idx, axis, "take")
    if idx.ndim == 1:
        return np.asarray(x[(slice(None),) * axis + tuple(int(i) for i in idx)])
    return x[_index_tuple(idx, axis)]


@take_p.def_shape
def _take_shape(x, idx, *, axis):
    return ShapedArray(_index_shape(x, idx, axis, "take"), x.dtype)


def take(x, idx, axis: int = 0, vector: bool = False):
    """Gather along ``axis``. With ``vector=False`` (NumPy's ``take``) ``idx`` holds plain
    indices into that one axis; with ``vector=True`` its last axis holds index vectors."""
    idx = asarray_value(idx)
    if not vector:
        idx = reshape(idx, get_aval(idx).shape + (1,))
    return take_p.bind(x, idx, axis=axis)


def _take_jvp(primals, tangents, *, axis):
    (x, idx), (t, _) = primals, tangents
    out = take_p.bind(x, idx, axis=axis)
    if isinstance(t, Zero):
        return out, zero_like(out)
    return out, take_p.bind(t, idx, axis=axis)


class TakeCotangent(SparseCotangent):
    """The cotangent of ``take(x, idx, axis)``: ``updates`` at ``idx``, zero elsewhere."""

    __slots__ = ("indices", "updates", "axis")

    def __init__(self, aval, indices, updates, axis):
        self.aval, self.indices, self.updates, self.axis = aval, indices, updates, axis

    def is_concrete(self) -> bool:
        return not isinstance(self.updates, Tracer) and not isinstance(self.indices, Tracer)

    def add_into(self, buf):
        scatter_add_inplace(buf, self.indices, self.updates, self.axis)

    def add_to(self, dense):
        return scatter_add(dense, self.indices, self.updates, self.axis)


def _take_transpose(ct, x, idx, *, axis):
    return [TakeCotangent(x.aval, idx, ct, axis), None]


def _take_batch(args, dims, *, axis):
    (x, idx), (dx, di) = args, dims
    idx, di = _unlast(idx, di)
    if di is None:
        shape = get_aval(idx).shape
        po, pout, new_axis = _free_slot(dx, axis, shape[-1], len(shape) - 1)
        return take_p.bind(moveaxis(x, dx, po), idx, axis=new_axis), pout
    if dx is None:
        return take_p.bind(x, idx, axis=axis), axis + di
    size = batch_size(args, dims)
    return take_p.bind(moveaxis(x, dx, axis), _lane_indices(idx, di, size), axis=axis), axis


jvp_rules[take_p] = _take_jvp
vmap_rules[take_p] = _take_batch
transpose_rules[take_p] = _take_transpose
linear_positions[take_p] = first_position

# ---------------------------------------------------------------- scatter_add


def _scatter_add_inplace(operand, idx, updates, *, axis):
    idx = np.asarray(idx)
    _check_bounds(operand.shape, idx, axis, "scatter_add")
    if idx.ndim == 1:
        operand[(slice(None),) * axis + tuple(int(i) for i in idx)] += updates
    else:
        np.add.at(operand, _index_tuple(idx, axis), updates)
    return operand


def _scatter_add_impl(operand, idx, updates, *, axis):
    return _scatter_add_inplace(np.array(operand, copy=True), idx, updates, axis=axis)


scatter_add_p = Primitive("scatter_add")
scatter_add_p.def_impl(_scatter_add_impl)
inplace_impls[scatter_add_p] = _scatter_add_inplace
fresh_outputs.add(scatter_add_p)


def _check_updates(who, operand, idx, updates, axis):
    expect = _index_shape(operand, idx, axis, who)
    if updates.shape != expect or updates.dtype != operand.dtype:
        raise TypeError(f"{who}: updates must be {ShapedArray(expect, operand.dtype)}, "
                        f"got {updates}")
    return operand.strip_weak()


scatter_add_p.def_shape(lambda op, idx, upd, *, axis: _check_updates(
    "scatter_add", op, idx, upd, axis))


def scatter_add(operand, idx, updates, axis: int = 0):
    """``operand`` with ``updates`` added at the index vectors ``idx`` (shape B + (k,))."""
    return scatter_add_p.bind(operand, idx, updates, axis=axis)


def scatter_add_inplace(buf: np.ndarray, idx, updates, axis: int = 0) -> None:
    """Accumulate into a buffer the caller owns (used by the backward pass)."""
    _scatter_add_inplace(buf, idx, np.asarray(updates), axis=axis)


def _zeros_for(t, aval: ShapedArray):
    return np.zeros(aval.shape, aval.dtype) if isinstance(t, Zero) else t


def _scatter_add_jvp(primals, tangents, *, axis):
    (op, idx, upd), (t_op, _, t_upd) = primals, tangents
    out = scatter_add_p.bind(op, idx, upd, axis=axis)
    aval = get_aval(out).strip_weak()
    if isinstance(t_op, Zero) and isinstance(t_upd, Zero):
        return out, Zero(aval)
    if isinstance(t_upd, Zero):
        return out, t_op
    return out, scatter_add_p.bind(_zeros_for(t_op, aval), idx, t_upd, axis=axis)


def _scatter_add_transpose(ct, op, idx, upd, *, axis):
    ct_op = ct if isinstance(op, UndefinedPrimal) else None
    ct_upd = take_p.bind(ct, idx, axis=axis) if isinstance(upd, UndefinedPrimal) else None
    return [ct_op, None, ct_upd]


def _scatter_batcher(prim):
    """Batching ``scatter_add``/``scatter``: with batched index vectors each lane writes only
    its own slice (lane numbers prepended to the vectors, batch axes just before the indexed
    axes); otherwise the operand's batch axis stays where the indexed axes allow."""
    def rule(args, dims, *, axis, **params):
        (op, idx, upd), (do, di, du) = args, dims
        size = batch_size(args, dims)
        idx, di = _unlast(idx, di)
        if di is None:
            shape = get_aval(idx).shape
            po, pu, new_axis = _free_slot(do, axis, shape[-1], len(shape) - 1)
        else:
            idx, po, pu, new_axis = _lane_indices(idx, di, size), axis, axis, axis
        op, upd = _batch_at(op, do, po, size), _batch_at(upd, du, pu, size)
        return prim.bind(op, idx, upd, axis=new_axis, **params), po
    return rule


jvp_rules[scatter_add_p] = _scatter_add_jvp
vmap_rules[scatter_add_p] = _scatter_batcher(scatter_add_p)
transpose_rules[scatter_add_p] = _scatter_add_transpose
linear_positions[scatter_add_p] = lambda params, n: (0, 2)

# ---------------------------------------------------------------- index_winners

index_winners_p = Primitive("index_winners")
index_winners_p.def_impl(lambda idx: last_occurrence(np.asarray(idx)))


@index_winners_p.def_shape
def _index_winners_shape(idx):
    if idx.dtype.kind not in "iu" or idx.ndim < 1:
        raise TypeError(f"index_winners: expects integer index vectors, got {idx}")
    return ShapedArray(idx.shape[:-1], BOOL_DTYPE)


defzero_jvp(index_winners_p)


def _index_winners_batch(args, dims):
    # duplicates count only within a lane: lane numbers join the index vectors
    (idx,), (d,) = args, dims
    return index_winners_p.bind(_lane_indices(idx, d, get_aval(idx).shape[d])), 0


vmap_rules[index_winners_p] = _index_winners_batch

# ---------------------------------------------------------------- scatter (set)


def _scatter_inplace(operand, idx, updates, *, axis, unique):
    idx, updates = np.asarray(idx), np.asarray(updates)
    _check_bounds(operand.shape, idx, axis, "scatter")
    if idx.ndim == 1:
        operand[(slice(None),) * axis + tuple(int(i) for i in idx)] = updates
        return operand
    win = last_occurrence(idx)
    if not win.all():
        if unique:
            raise ValueError("scatter: duplicate indices where unique ones were required "
                             "(`.at[...].multiply` with traced indices)")
        k, nb = idx.shape[-1], idx.ndim - 1
        flat_win = win.reshape(-1)
        idx = idx.reshape(-1, k)[flat_win]
        updates = updates.reshape(updates.shape[:axis] + (-1,) + updates.shape[axis + nb:])
        updates = np.compress(flat_win, updates, axis=axis)
    operand[_index_tuple(idx, axis)] = updates
    return operand


def _scatter_impl(operand, idx, updates, *, axis, unique):
    return _scatter_inplace(np.array(operand, copy=True), idx, updates, axis=axis,
                            unique=unique)


scatter_p = Primitive("scatter")
scatter_p.def_impl(_scatter_impl)
inplace_impls[scatter_p] = _scatter_inplace
fresh_outputs.add(scatter_p)
scatter_p.def_shape(lambda op, idx, upd, *, axis, unique: _check_updates(
    "scatter", op, idx, upd, axis))


def scatter(operand, idx, updates, axis: int = 0, unique: bool = False):
    """``operand`` with the elements at ``idx`` replaced by ``updates`` (last one wins)."""
    return scatter_p.bind(operand, idx, updates, axis=axis, unique=unique)


def _scatter_jvp(primals, tangents, *, axis, unique):
    (op, idx, upd), (t_op, _, t_upd) = primals, tangents
    out = scatter_p.bind(op, idx, upd, axis=axis, unique=unique)
    aval = get_aval(out).strip_weak()
    if isinstance(t_op, Zero) and isinstance(t_upd, Zero):
        return out, Zero(aval)
    t_upd = _zeros_for(t_upd, get_aval(upd).strip_weak())
    return out, scatter_p.bind(_zeros_for(t_op, aval), idx, t_upd, axis=axis, unique=unique)


def _scatter_transpose(ct, op, idx, upd, *, axis, unique):
    upd_aval = upd.aval if isinstance(upd, UndefinedPrimal) else get_aval(upd)
    ct_op = ct_upd = None
    if isinstance(op, UndefinedPrimal):
        ct_op = scatter_p.bind(ct, idx, np.zeros(upd_aval.shape, upd_aval.dtype), axis=axis,
                               unique=unique)
    if isinstance(upd, UndefinedPrimal):
        ct_upd = take_p.bind(ct, idx, axis=axis)
        if not unique:
            win = index_winners_p.bind(idx)
            nb = len(get_aval(idx).shape) - 1
            post = upd_aval.ndim - axis - nb
            win = reshape(win, (1,) * axis + get_aval(win).shape + (1,) * post)
            ct_upd = E.select(win, ct_upd, np.zeros((), upd_aval.dtype))
    return [instantiate(ct_op) if ct_op is not None else None, None, ct_upd]


jvp_rules[scatter_p] = _scatter_jvp
vmap_rules[scatter_p] = _scatter_batcher(scatter_p)
transpose_rules[scatter_p] = _scatter_transpose
linear_positions[scatter_p] = lambda params, n: (0, 2)
