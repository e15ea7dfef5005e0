"""Sorting primitives: ``argsort`` and ``argpartition``, permutations of an axis.

Both have integer outputs, so no tangent (a zero JVP). ``sort`` and ``partition`` are these
permutations followed by a gather (``take_along_axis``), so their derivatives are the gather's:
the tangent of each element travels with it. At tied values the stable order decides which
element lands where (JAX's convention: ``sort`` is stable, and the tangent of the first of
equal elements goes to the first position); the values are equal either way.
"""

from __future__ import annotations

import numpy as np

from ..ad.rules import defzero_jvp
from ..batching.core import vmap_rules
from ..core.avals import DEFAULT_INT, ShapedArray
from ..core.primitive import Primitive
from ..core.trace import get_aval
from .base import asarray_value
from .compare import ANY, check_kind
from .shape import normalize_axis

argsort_p = Primitive("argsort")
argsort_p.def_impl(lambda x, *, axis: np.argsort(x, axis=axis, kind="stable")
                   .astype(DEFAULT_INT))

argpartition_p = Primitive("argpartition")
argpartition_p.def_impl(lambda x, *, kth, axis: np.argpartition(x, kth, axis=axis)
                        .astype(DEFAULT_INT))


def _check(name: str, x: ShapedArray, axis: int) -> None:
    check_kind(name, ANY, x)
    if not 0 <= axis < x.ndim:
        raise ValueError(f"{name}: axis {axis} is out of bounds for a value of rank {x.ndim}")


@argsort_p.def_shape
def _argsort_shape(x, *, axis):
    _check("argsort", x, axis)
    return ShapedArray(x.shape, DEFAULT_INT)


@argpartition_p.def_shape
def _argpartition_shape(x, *, kth, axis):
    _check("argpartition", x, axis)
    n = x.shape[axis]
    if any(not 0 <= k < n for k in kth):
        raise ValueError(f"argpartition: kth {kth} is out of bounds for an axis of size {n}")
    return ShapedArray(x.shape, DEFAULT_INT)


defzero_jvp(argsort_p)
defzero_jvp(argpartition_p)


def _batch(prim):
    """The batch axis is one more axis the permutation does not touch."""
    def rule(args, dims, **params):
        (x,), (d,) = args, dims
        params["axis"] = params["axis"] + (params["axis"] >= d)
        return prim.bind(x, **params), d
    return rule


vmap_rules[argsort_p] = _batch(argsort_p)
vmap_rules[argpartition_p] = _batch(argpartition_p)


def argsort(x, axis: int = -1):
    """Indices (int64) that sort ``x`` along ``axis`` stably; NaNs last (NumPy's order)."""
    x = asarray_value(x)
    return argsort_p.bind(x, axis=normalize_axis(axis, get_aval(x).ndim, "argsort"))


def argpartition(x, kth, axis: int = -1):
    """Indices (int64) that partition ``x`` around its ``kth`` smallest (NumPy's
    introselect: the order inside each part is NumPy's)."""
    x = asarray_value(x)
    axis = normalize_axis(axis, get_aval(x).ndim, "argpartition")
    n = get_aval(x).shape[axis]
    ks = tuple(int(k) for k in np.atleast_1d(np.asarray(kth)))
    if any(not -n <= k < n for k in ks):
        raise ValueError(f"argpartition: kth {kth} is out of bounds for an axis of size {n}")
    return argpartition_p.bind(x, kth=tuple(k % n for k in ks), axis=axis)
