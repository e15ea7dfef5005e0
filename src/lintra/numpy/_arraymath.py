"""Finite differences and products with NumPy names: ``diff``, ``gradient``, ``cross``,
``kron``, ``rollaxis`` and ``select``.

All are compositions of static slices, concatenation, broadcasting arithmetic and ``select``,
so their derivatives (in every float argument, spacings included) come from those rules.
Shapes, counts and axes must be concrete."""

from __future__ import annotations

import numpy as np

from ..core.trace import get_aval
from ..ops import base
from ..ops import elementwise as E
from ..ops import structure as S
from ._basic import _as_value
from ._structure import moveaxis

__all__ = ["diff", "ediff1d", "gradient", "cross", "kron", "rollaxis", "select"]

_NO_VALUE = object()


def _shape(a) -> tuple[int, ...]:
    return get_aval(a).shape


def _sl(a, axis: int, start: int, stop: int | None):
    """``a[..., start:stop, ...]`` along ``axis`` (negative bounds from the end)."""
    n = _shape(a)[axis]
    lo, hi, _ = slice(start, stop).indices(n)
    starts = [0] * len(_shape(a))
    limits = list(_shape(a))
    starts[axis], limits[axis] = lo, max(lo, hi)
    return S.slice_static(a, starts, limits)


def _edge(v, a, axis: int):
    """``v`` (prepend/append) as a block of ``a``'s shape with one entry along ``axis``."""
    v = _as_value(v)
    if get_aval(v).ndim == 0:
        shape = list(_shape(a))
        shape[axis] = 1
        v = S.broadcast_to(v, tuple(shape))
    return v


def diff(a, n: int = 1, axis: int = -1, prepend=_NO_VALUE, append=_NO_VALUE):
    """``n``-th forward difference along ``axis``; booleans differ by ``!=`` (NumPy)."""
    a = _as_value(a)
    if int(n) != n or n < 0:
        raise ValueError(f"diff: order n must be non-negative, got {n!r}")
    if get_aval(a).ndim == 0:
        raise ValueError("diff: requires input that is at least one dimensional")
    axis = S.normalize_axis(axis, get_aval(a).ndim, "diff")
    if n == 0:
        return a
    parts = [a]
    if prepend is not _NO_VALUE:
        parts.insert(0, _edge(prepend, a, axis))
    if append is not _NO_VALUE:
        parts.append(_edge(append, a, axis))
    if len(parts) > 1:
        a = S.concatenate(parts, axis)
    op = E.ne if get_aval(a).dtype.kind == "b" else E.sub
    for _ in range(int(n)):
        a = op(_sl(a, axis, 1, None), _sl(a, axis, 0, -1))
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of the flattened ``ary``, with optional values before and after."""
    d = diff(S.reshape(_as_value(ary), (-1,)))
    parts = [S.reshape(_as_value(v), (-1,)) for v in (to_begin,) if v is not None]
    parts += [d] + [S.reshape(_as_value(v), (-1,)) for v in (to_end,) if v is not None]
    return S.concatenate(parts, 0) if len(parts) > 1 else d


# ---------------------------------------------------------------- gradient

def _spacings(varargs, axes: tuple[int, ...], shape) -> list:
    """One spacing per axis: a scalar (uniform) or a coordinate vector (NumPy's rules)."""
    if not varargs:
        return [1.0] * len(axes)
    if len(varargs) == 1 and get_aval(_as_value(varargs[0])).ndim == 0:
        return [varargs[0]] * len(axes)
    if len(varargs) != len(axes):
        raise TypeError(f"gradient: expected 0, 1 or {len(axes)} spacings, got {len(varargs)}")
    out = []
    for h, ax in zip(varargs, axes):
        h = _as_value(h)
        nd = get_aval(h).ndim
        if nd == 1 and _shape(h)[0] != shape[ax]:
            raise ValueError(f"gradient: coordinates of length {_shape(h)[0]} do not match an "
                             f"axis of size {shape[ax]}")
        if nd > 1:
            raise ValueError("gradient: each spacing must be a scalar or a 1-d array")
        if get_aval(h).dtype.kind in "iub":
            h = base.convert_element_type(h, np.float64)
        out.append(h)
    return out


def _along(v, axis: int, nd: int):
    """A 1-d ``v`` shaped to broadcast along ``axis`` of an ``nd``-d array."""
    return S.reshape(v, tuple(-1 if d == axis else 1 for d in range(nd)))


def _uniform(f, h, axis: int, edge_order: int):
    inner = E.div(E.sub(_sl(f, axis, 2, None), _sl(f, axis, 0, -2)), E.mul(2.0, h))
    f0, f1, f2 = (_sl(f, axis, k, k + 1) for k in range(3))
    g0, g1, g2 = (_sl(f, axis, k, k + 1 if k != -1 else None) for k in (-3, -2, -1))
    if edge_order == 1:
        first = E.div(E.sub(f1, f0), h)
        last = E.div(E.sub(g2, g1), h)
    else:
        first = E.div(E.add(E.add(E.mul(-1.5, f0), E.mul(2.0, f1)), E.mul(-0.5, f2)), h)
        last = E.div(E.add(E.add(E.mul(0.5, g0), E.mul(-2.0, g1)), E.mul(1.5, g2)), h)
    return S.concatenate([first, inner, last], axis)


def _nonuniform(f, x, axis: int, edge_order: int):
    nd = get_aval(f).ndim
    dx = diff(x)
    d1, d2 = _along(_sl(dx, 0, 0, -1), axis, nd), _along(_sl(dx, 0, 1, None), axis, nd)
    s = E.add(d1, d2)
    a = E.neg(E.div(d2, E.mul(d1, s)))
    b = E.div(E.sub(d2, d1), E.mul(d1, d2))
    c = E.div(d1, E.mul(d2, s))
    inner = E.add(E.add(E.mul(a, _sl(f, axis, 0, -2)), E.mul(b, _sl(f, axis, 1, -1))),
                  E.mul(c, _sl(f, axis, 2, None)))
    f0, f1, f2 = (_sl(f, axis, k, k + 1) for k in range(3))
    g0, g1, g2 = (_sl(f, axis, k, k + 1 if k != -1 else None) for k in (-3, -2, -1))
    if edge_order == 1:
        first = E.div(E.sub(f1, f0), _along(_sl(dx, 0, 0, 1), axis, nd))
        last = E.div(E.sub(g2, g1), _along(_sl(dx, 0, -1, None), axis, nd))
        return S.concatenate([first, inner, last], axis)
    p, q = _along(_sl(dx, 0, 0, 1), axis, nd), _along(_sl(dx, 0, 1, 2), axis, nd)
    pq = E.add(p, q)
    first = E.add(E.add(E.mul(E.neg(E.div(E.add(E.mul(2.0, p), q), E.mul(p, pq))), f0),
                        E.mul(E.div(pq, E.mul(p, q)), f1)),
                  E.mul(E.neg(E.div(p, E.mul(q, pq))), f2))
    p, q = _along(_sl(dx, 0, -2, -1), axis, nd), _along(_sl(dx, 0, -1, None), axis, nd)
    pq = E.add(p, q)
    last = E.add(E.add(E.mul(E.div(q, E.mul(p, pq)), g0),
                       E.mul(E.neg(E.div(pq, E.mul(p, q))), g1)),
                 E.mul(E.div(E.add(E.mul(2.0, q), p), E.mul(q, pq)), g2))
    return S.concatenate([first, inner, last], axis)


def gradient(f, *varargs, axis=None, edge_order: int = 1):
    """Second-order central differences inside, one-sided (order ``edge_order``) at the
    ends, NumPy's formulas for uniform spacings (scalars) and coordinates (1-d arrays).
    One array for a single axis, else a tuple of them (NumPy 2)."""
    f = _as_value(f)
    if get_aval(f).dtype.kind in "iub":
        f = base.convert_element_type(f, np.float64)
    nd = get_aval(f).ndim
    axes = tuple(range(nd)) if axis is None else S.normalize_axes(axis, nd, "gradient")
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order!r}")
    shape = _shape(f)
    out = []
    for ax, h in zip(axes, _spacings(varargs, axes, shape)):
        if shape[ax] < edge_order + 1:
            raise ValueError(f"gradient: an axis of size {shape[ax]} is too short for "
                             f"edge_order {edge_order} (it needs at least {edge_order + 1})")
        if get_aval(_as_value(h)).ndim == 0:
            out.append(_uniform(f, h, ax, edge_order) if shape[ax] > 2 else
                       _two_point(f, h, ax))
        else:
            out.append(_nonuniform(f, h, ax, edge_order) if shape[ax] > 2 else
                       _two_point(f, E.sub(_sl(h, 0, 1, 2), _sl(h, 0, 0, 1)), ax))
    return out[0] if len(out) == 1 else tuple(out)


def _two_point(f, h, axis: int):
    """An axis of size 2: both ends are the one difference (edge_order 1)."""
    d = E.div(E.sub(_sl(f, axis, 1, 2), _sl(f, axis, 0, 1)),
              _along(h, axis, get_aval(f).ndim) if get_aval(_as_value(h)).ndim else h)
    return S.concatenate([d, d], axis)


# ---------------------------------------------------------------- products

def _component(v, k: int):
    return S.squeeze(_sl(v, -1 % get_aval(v).ndim, k, k + 1), -1 % get_aval(v).ndim)


def cross(a, b, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None):
    """Cross product of 3-vectors (or 2-vectors: a 2-vector has z = 0; two 2-vectors give
    the z component) along the vector axes, broadcasting the others."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _as_value(a), _as_value(b)
    for name, v in (("a", a), ("b", b)):
        if get_aval(v).ndim == 0:
            raise ValueError(f"cross: {name} must be at least 1-d")
    a = moveaxis(a, S.normalize_axis(axisa, get_aval(a).ndim, "cross axisa"), -1)
    b = moveaxis(b, S.normalize_axis(axisb, get_aval(b).ndim, "cross axisb"), -1)
    na, nb = _shape(a)[-1], _shape(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"cross: incompatible dimensions for cross product (dimension must "
                         f"be 2 or 3), got {na} and {nb}")
    a0, a1 = _component(a, 0), _component(a, 1)
    b0, b1 = _component(b, 0), _component(b, 1)
    z = E.sub(E.mul(a0, b1), E.mul(a1, b0))
    if na == nb == 2:
        return z
    a2 = _component(a, 2) if na == 3 else None
    b2 = _component(b, 2) if nb == 3 else None
    x = E.neg(E.mul(a2, b1)) if b2 is None else (
        E.mul(a1, b2) if a2 is None else E.sub(E.mul(a1, b2), E.mul(a2, b1)))
    y = E.mul(a2, b0) if b2 is None else (
        E.neg(E.mul(a0, b2)) if a2 is None else E.sub(E.mul(a2, b0), E.mul(a0, b2)))
    out = S.stack(base.promote(x, y, z), -1)
    return moveaxis(out, -1, S.normalize_axis(axisc, get_aval(out).ndim, "cross axisc"))


def kron(a, b):
    """Kronecker product: block (i, j) of the result is ``a[i, j] * b`` (any rank)."""
    a, b = _as_value(a), _as_value(b)
    nd = max(get_aval(a).ndim, get_aval(b).ndim)
    sa = (1,) * (nd - get_aval(a).ndim) + _shape(a)
    sb = (1,) * (nd - get_aval(b).ndim) + _shape(b)
    ae = S.reshape(a, tuple(d for n in sa for d in (n, 1)))
    be = S.reshape(b, tuple(d for n in sb for d in (1, n)))
    return S.reshape(E.mul(ae, be), tuple(m * n for m, n in zip(sa, sb)))


def rollaxis(a, axis: int, start: int = 0):
    """Move ``axis`` to stand before ``start`` (NumPy's older ``moveaxis``)."""
    a = _as_value(a)
    n = get_aval(a).ndim
    axis = S.normalize_axis(axis, n, "rollaxis")
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise ValueError(f"rollaxis: start {start} is out of bounds for an array of rank {n}")
    if axis < start:
        start -= 1
    return a if axis == start else moveaxis(a, axis, start)


def select(condlist, choicelist, default=0):
    """The first ``choicelist[i]`` whose ``condlist[i]`` holds, else ``default``."""
    if len(condlist) != len(choicelist):
        raise ValueError("select: list of cases must be same length as list of conditions")
    if not condlist:
        raise ValueError("select: select with an empty condition list is not possible")
    out = _as_value(default)
    for i in range(len(condlist) - 1, -1, -1):
        c = _as_value(condlist[i])
        if get_aval(c).dtype.kind != "b":
            raise TypeError(f"select: invalid entry {i} in condlist: should be boolean, got "
                            f"{get_aval(c).str_short()}")
        out = E.select(c, choicelist[i], out)
    shape = np.broadcast_shapes(*[_shape(_as_value(v)) for v in
                                  (*condlist, *choicelist, default)])
    return S.broadcast_to(out, shape) if _shape(out) != shape else out
