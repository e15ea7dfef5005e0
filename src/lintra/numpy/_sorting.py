"""Sorting with NumPy names: ``sort``, ``argsort``, ``partition``, ``argpartition``.

``sort``/``partition`` gather ``x`` along the permutation that ``argsort``/``argpartition``
(``ops/sorting.py``) compute, so the derivative of each output element is that of the input
element it came from (JAX's convention, ties resolved by the stable order)."""

from __future__ import annotations

from ..core.trace import get_aval
from ..ops import elementwise as E
from ..ops import sorting as O
from ..ops import structure as S
from ._basic import _as_value
from ._take import take_along_axis

__all__ = ["sort", "argsort", "partition", "argpartition"]


def _flat(a, axis, who: str):
    a = _as_value(a)
    if axis is None:
        return S.reshape(a, (-1,)), 0
    return a, S.normalize_axis(axis, get_aval(a).ndim, who)


def _check_kind(kind, order, who: str) -> None:
    if order is not None:
        raise NotImplementedError(f"{who}: `order` (structured arrays) is not supported")
    if kind not in (None, "stable", "mergesort", "quicksort", "heapsort"):
        raise ValueError(f"{who}: unknown kind {kind!r}")


def argsort(a, axis: int | None = -1, kind: str | None = None, order=None, *,
            stable: bool = True, descending: bool = False):
    """Indices that sort ``a`` along ``axis`` (None: flattened); always stable. With
    ``descending`` equal elements keep their order (JAX)."""
    _check_kind(kind, order, "argsort")
    a, axis = _flat(a, axis, "argsort")
    if not descending:
        return O.argsort(a, axis)
    n = get_aval(a).shape[axis]
    rev = S.rev(O.argsort(S.rev(a, (axis,)), axis), (axis,))
    return E.sub(n - 1, rev)


def sort(a, axis: int | None = -1, kind: str | None = None, order=None, *,
         stable: bool = True, descending: bool = False):
    """``a`` sorted along ``axis`` (None: flattened); NaNs last, as in NumPy."""
    _check_kind(kind, order, "sort")
    a, axis = _flat(a, axis, "sort")
    return take_along_axis(a, argsort(a, axis, descending=descending), axis)


def argpartition(a, kth, axis: int | None = -1, kind: str = "introselect", order=None):
    """Indices that partition ``a`` around its ``kth`` smallest element(s) along ``axis``."""
    if kind != "introselect":
        raise ValueError(f"argpartition: unknown kind {kind!r}")
    _check_kind(None, order, "argpartition")
    a, axis = _flat(a, axis, "argpartition")
    return O.argpartition(a, kth, axis)


def partition(a, kth, axis: int | None = -1, kind: str = "introselect", order=None):
    """``a`` with its ``kth`` smallest element(s) in sorted position, smaller ones before and
    larger after (the order within each part is NumPy's)."""
    a, axis = _flat(a, axis, "partition")
    return take_along_axis(a, argpartition(a, kth, axis, kind, order), axis)
