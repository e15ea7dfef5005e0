"""Structure functions with NumPy names (see ops/structure.py)."""

from __future__ import annotations

from ..core.trace import get_aval
from ..ops import structure as S


def concatenate(arrays, axis: int = 0):
    return S.concatenate(list(arrays), axis)


def stack(arrays, axis: int = 0):
    return S.stack(list(arrays), axis)


def moveaxis(a, source, destination):
    nd = get_aval(a).ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [s % nd for s in src]
    dst = [d % nd for d in dst]
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return S.transpose(a, order)


def swapaxes(a, axis1: int, axis2: int):
    nd = get_aval(a).ndim
    perm = list(range(nd))
    perm[axis1 % nd], perm[axis2 % nd] = perm[axis2 % nd], perm[axis1 % nd]
    return S.transpose(a, perm)
