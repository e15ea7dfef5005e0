"""Gather and scatter: ``take`` reads elements at (possibly traced) integer indices along an
axis; ``scatter_add`` adds into them. The transpose of ``take`` is a *sparse* cotangent that
the backward pass accumulates in place (design §4), never a dense one-hot array."""

from __future__ import annotations

import numpy as np

from ..core.avals import ShapedArray
from ..core.primitive import Primitive
from ..core.trace import Zero, get_aval


def _index_tuple(idx, axis):
    return (slice(None),) * axis + (idx,)


def _check_indices(idx: ShapedArray, who: str):
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{who}: indices must be integers, got {idx}")


# ---------------------------------------------------------------- take

take_p = Primitive("take")
take_p.def_impl(lambda x, idx, *, axis: np.take(x, idx, axis=axis))


@take_p.def_shape
def _take_shape(x, idx, *, axis):
    _check_indices(idx, "take")
    if not 0 <= axis < x.ndim:
        raise ValueError(f"take: axis {axis} out of bounds for {x}")
    return ShapedArray(x.shape[:axis] + idx.shape + x.shape[axis + 1:], x.dtype)


def take(x, idx, axis: int = 0):
    return take_p.bind(x, idx, axis=axis)


def _take_jvp(primals, tangents, *, axis):
    (x, idx), (t, _) = primals, tangents
    out = take_p.bind(x, idx, axis=axis)
    if isinstance(t, Zero):
        return out, Zero(get_aval(out).strip_weak())
    return out, take_p.bind(t, idx, axis=axis)


def _take_transpose(ct, x, idx, *, axis):
    from ..ad.transpose import SparseCotangent
    return [SparseCotangent(x.aval, idx, ct, axis), None]


take_p.jvp = _take_jvp
take_p.transpose = _take_transpose
take_p.linear_in = lambda params, n: (0,)

# ---------------------------------------------------------------- scatter_add


def _scatter_add_inplace(operand, idx, updates, *, axis):
    if np.ndim(idx) == 0 and axis == 0:
        operand[idx] += updates
    else:
        np.add.at(operand, _index_tuple(idx, axis), updates)
    return operand


def _scatter_add_impl(operand, idx, updates, *, axis):
    return _scatter_add_inplace(np.array(operand, copy=True), idx, updates, axis=axis)


scatter_add_p = Primitive("scatter_add")
scatter_add_p.def_impl(_scatter_add_impl)
scatter_add_p.inplace_impl = _scatter_add_inplace
scatter_add_p.fresh_output = True


@scatter_add_p.def_shape
def _scatter_add_shape(operand, idx, updates, *, axis):
    _check_indices(idx, "scatter_add")
    expect = operand.shape[:axis] + idx.shape + operand.shape[axis + 1:]
    if updates.shape != expect or updates.dtype != operand.dtype:
        raise TypeError(f"scatter_add: updates must be {ShapedArray(expect, operand.dtype)}, "
                        f"got {updates}")
    return operand.strip_weak()


def scatter_add(operand, idx, updates, axis: int = 0):
    return scatter_add_p.bind(operand, idx, updates, axis=axis)


def scatter_add_inplace(buf: np.ndarray, idx, updates, axis: int = 0) -> None:
    """Accumulate into a buffer the caller owns (used by the backward pass)."""
    _scatter_add_inplace(buf, idx, np.asarray(updates), axis=axis)


def _scatter_add_jvp(primals, tangents, *, axis):
    (op, idx, upd), (t_op, _, t_upd) = primals, tangents
    out = scatter_add_p.bind(op, idx, upd, axis=axis)
    aval = get_aval(out).strip_weak()
    if isinstance(t_op, Zero) and isinstance(t_upd, Zero):
        return out, Zero(aval)
    if isinstance(t_upd, Zero):
        return out, t_op
    if isinstance(t_op, Zero):
        t_op = np.zeros(aval.shape, aval.dtype)
    return out, scatter_add_p.bind(t_op, idx, t_upd, axis=axis)


def _scatter_add_transpose(ct, op, idx, upd, *, axis):
    from ..ad.transpose import UndefinedPrimal
    ct_op = ct if isinstance(op, UndefinedPrimal) else None
    ct_upd = take_p.bind(ct, idx, axis=axis) if isinstance(upd, UndefinedPrimal) else None
    return [ct_op, None, ct_upd]


scatter_add_p.jvp = _scatter_add_jvp
scatter_add_p.transpose = _scatter_add_transpose
scatter_add_p.linear_in = lambda params, n: (0, 2)
