"""``vmap``: the user API of batching (in_axes/out_axes as pytree prefixes, as in JAX)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .batching.core import batch_flat
from .core.pytree import flatten, node_children, unflatten
from .core.trace import get_aval
from .ops.shape import broadcast_to, moveaxis


def vmap(f: Callable, in_axes: Any = 0, out_axes: Any = 0,
         axis_size: int | None = None) -> Callable:
    """Vectorize ``f`` over an axis of its arguments: ``vmap(f)(xs)[i] == f(xs[i])``.

    ``in_axes``: for each argument the axis it is batched along, ``None`` for an argument that
    is the same for every batch element; an int (or None) applies to every argument, a
    tuple/list gives one entry per argument, and each entry may be a pytree prefix of its
    argument. Negative axes count from the end. ``out_axes`` places the batch axis of the
    outputs the same way. ``axis_size`` gives the size when no argument is batched. Keyword
    arguments are batched along axis 0, as in JAX."""
    _check_axes_spec(in_axes, "in_axes")
    _check_axes_spec(out_axes, "out_axes")

    @functools.wraps(f)
    def batched(*args, **kwargs):
        if isinstance(in_axes, (tuple, list)) and len(in_axes) != len(args):
            raise ValueError(f"vmap: in_axes has {len(in_axes)} entries but the function was "
                             f"called with {len(args)} positional arguments")
        spec = tuple(in_axes) if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
        nargs = len(args)
        if kwargs:  # keyword arguments are mapped along axis 0 (JAX)
            args, spec = args + (kwargs,), spec + (0,)
        flat, in_tree = flatten(args)
        dims, where = [], []
        for k, (a, ax) in enumerate(zip(args, spec)):
            leaves = flatten(a)[0]
            for j, (leaf, d) in enumerate(zip(leaves, _prefix_leaves(ax, a, f"in_axes[{k}]"))):
                dims.append(_normalize(d, get_aval(leaf).ndim, f"argument {k}", "in_axes"))
                where.append(f"argument {k}" + (f" leaf {j}" if len(leaves) > 1 else ""))
        size = _axis_size(flat, dims, where, axis_size)
        store: dict = {}

        def flat_fun(*leaves):
            # an unbatched Python number reaches f as it was passed (JAX): a Python int stays
            # a Python int, so it can be a static argument of a jit or a loop bound inside
            leaves = [raw if d is None and isinstance(raw, (int, float, complex)) else x
                      for x, d, raw in zip(leaves, dims, flat)]
            full = unflatten(in_tree, leaves)
            out = f(*full[:nargs], **(full[nargs] if kwargs else {}))
            out_leaves, store["tree"] = flatten(out)
            store["out"] = out
            return out_leaves

        outs, out_dims = batch_flat(flat_fun, flat, dims, size)
        out_tree = store["tree"]
        shaped = unflatten(out_tree, outs)
        targets = _prefix_leaves(out_axes, shaped, "out_axes")
        return unflatten(out_tree, [_place(o, d, t, size)
                                    for o, d, t in zip(outs, out_dims, targets)])

    return batched


def _check_axes_spec(spec, what: str) -> None:
    for leaf in flatten(spec)[0]:
        if leaf is not None and not isinstance(leaf, int):
            raise TypeError(f"vmap: {what} entries must be ints or None, got {leaf!r}")


def _prefix_leaves(prefix, value, what: str) -> list:
    """One entry of ``prefix`` per leaf of ``value``: ``prefix`` is a pytree prefix of
    ``value`` whose leaves are ints or None."""
    if prefix is None or isinstance(prefix, int):
        return [prefix] * len(flatten(value)[0])
    p_node, v_node = node_children(prefix), node_children(value)
    if p_node is None or v_node is None or p_node[1] != v_node[1]:
        raise ValueError(f"vmap: {what} ({prefix!r}) does not match the structure of the "
                         f"value it describes ({flatten(value)[1]})")
    out = []
    for k, (pc, vc) in enumerate(zip(p_node[0], v_node[0])):
        out.extend(_prefix_leaves(pc, vc, f"{what}[{k}]"))
    return out


def _normalize(d, ndim: int, who: str, what: str) -> int | None:
    if d is None:
        return None
    if not -ndim <= d < ndim:
        raise ValueError(f"vmap: {what} {d} is out of range for {who}, which has "
                         f"{ndim} dimension{'s' if ndim != 1 else ''}")
    return d % ndim


def _axis_size(flat, dims, where, axis_size) -> int:
    sizes = {}
    for x, d, w in zip(flat, dims, where):
        if d is not None:
            sizes[w] = (get_aval(x).shape[d], d)
    distinct = {s for s, _ in sizes.values()}
    if axis_size is not None:
        distinct.add(axis_size)
    if len(distinct) > 1:
        parts = ", ".join(f"{w} has size {s} along axis {d}" for w, (s, d) in sizes.items())
        extra = f" (axis_size={axis_size})" if axis_size is not None else ""
        raise ValueError(f"vmap got inconsistent sizes for the mapped axes{extra}: {parts}")
    if not distinct:
        raise ValueError("vmap: no argument is batched (all in_axes are None): pass "
                         "axis_size to say how many times to map")
    return distinct.pop()


def _place(x, d: int | None, target, size: int):
    """The output ``x`` (batch axis ``d``) with its batch axis at ``target``."""
    if target is None:
        if d is not None:
            raise ValueError("vmap: out_axes is None for an output that depends on the "
                             "batched inputs (it differs between batch elements)")
        return x
    if d is None:
        shape = tuple(get_aval(x).shape)
        x, d = broadcast_to(x, (size,) + shape), 0
    nd = get_aval(x).ndim
    t = _normalize(target, nd, "an output", "out_axes")
    return moveaxis(x, d, t)
