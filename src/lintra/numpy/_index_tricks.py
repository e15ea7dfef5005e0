"""Index tricks and data-dependent indices: ``r_``, ``c_``, ``where`` (one or three
arguments), ``nonzero``, ``argwhere``, ``flatnonzero``.

The indices of nonzero elements have a data-dependent count, so they need a concrete value
(eager code, or a concrete array) unless ``size=`` fixes the count (JAX's convention: the
first ``size`` indices, padded with ``fill_value``), which also works under ``jit``."""

from __future__ import annotations

import builtins

import numpy as np

from ..core.array import as_array
from ..core.trace import Tracer, get_aval
from ..ops import base
from ..ops import elementwise as E
from ..ops import powers as PW
from ..ops import reductions as R
from ..ops import sorting as O
from ..ops import structure as S
from ._basic import _as_value

__all__ = ["r_", "c_", "where", "nonzero", "argwhere", "flatnonzero"]


def where(condition, x=None, y=None, *, size=None, fill_value=None):
    """``x`` where ``condition`` holds, else ``y``; with ``condition`` alone, ``nonzero``."""
    if x is None and y is None:
        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise TypeError("where: give both x and y, or neither (where(condition) is "
                        "nonzero(condition))")
    return E.select(condition, x, y)


def _concrete_value(a, who: str):
    if not isinstance(a, Tracer):
        return np.asarray(a)
    return np.asarray(a._concrete(
        f"a concrete value: `{who}` has a data-dependent shape (pass size= to fix the "
        f"number of results, or use where(condition, x, y))"))


def nonzero(a, *, size: int | None = None, fill_value=None) -> tuple:
    """Indices of the nonzero elements, one array per axis (a 0-d input counts as 1-d)."""
    a = _as_value(a)
    if get_aval(a).ndim == 0:
        a = S.reshape(a, (1,))
    if size is None:
        return tuple(np.nonzero(_concrete_value(a, "nonzero")))
    shape = get_aval(a).shape
    flat = S.reshape(a, (-1,))
    mask = flat if get_aval(flat).dtype.kind == "b" else E.ne(flat, 0)
    n, size = int(np.prod(shape, dtype=np.int64)), int(size)
    order = O.argsort(E.bitwise_not(mask), 0)         # stable: the nonzero ones first, in order
    if size <= n:
        idx = S.slice_static(order, (0,), (size,))
    else:
        idx = S.concatenate([order, np.zeros(size - n, np.int64)], 0)
    count = R.reduce_sum(base.convert_element_type(mask, np.int64), (0,))
    valid = E.lt(np.arange(size), count)
    fills = fill_value if isinstance(fill_value, (tuple, list)) else [fill_value] * len(shape)
    if len(fills) != len(shape):
        raise ValueError(f"nonzero: fill_value has {len(fills)} entries for {len(shape)} axes")
    strides = np.cumprod((1,) + shape[::-1])[-2::-1]
    out = []
    for d, (dim, st) in enumerate(zip(shape, strides)):
        quot = base.convert_element_type(E.floor(E.div(idx, int(st))), np.int64)
        coord = PW.rem(quot, dim)
        fill = 0 if fills[d] is None else fills[d]
        out.append(E.select(valid, coord, base.convert_element_type(_as_value(fill), np.int64)))
    return tuple(out)


def flatnonzero(a, *, size: int | None = None, fill_value=None):
    return nonzero(S.reshape(_as_value(a), (-1,)), size=size, fill_value=fill_value)[0]


def argwhere(a, *, size: int | None = None, fill_value=None):
    """Indices of the nonzero elements as rows of an (N, ndim) array."""
    a = _as_value(a)
    if get_aval(a).ndim == 0:
        k = nonzero(a, size=size, fill_value=fill_value)[0]
        return S.reshape(k, (get_aval(k).shape[0], 0))
    return S.stack(list(nonzero(a, size=size, fill_value=fill_value)), 1)


# ---------------------------------------------------------------- r_ and c_

class _AxisConcatenator:
    """``r_[...]``/``c_[...]``: slices become ranges (a complex step is a point count, as in
    ``linspace``), scalars and arrays are raised to ``ndmin`` dimensions (``trans1d`` says
    where their own axes go), and everything is concatenated along ``axis``. A leading
    string ``"axis"`` or ``"axis,ndmin[,trans1d]"`` overrides those. Traced values may be
    items; slices must be concrete."""

    def __init__(self, name: str, axis: int, ndmin: int, trans1d: int):
        self._name, self.axis, self.ndmin, self.trans1d = name, axis, ndmin, trans1d

    def __repr__(self) -> str:
        return f"lintra.numpy.{self._name}"

    def __len__(self) -> int:
        return 0

    def _directive(self, item: str):
        if item in ("r", "c"):
            raise NotImplementedError(f"{self._name}: the matrix directives 'r'/'c' make "
                                      "numpy.matrix objects, which lintra does not have")
        try:
            vec = [int(v) for v in item.split(",")]
        except ValueError:
            raise ValueError(f"{self._name}: unknown special directive {item!r}") from None
        if len(vec) == 1:
            return vec[0], self.ndmin, self.trans1d
        if len(vec) in (2, 3):
            return vec[0], vec[1], vec[2] if len(vec) == 3 else self.trans1d
        raise ValueError(f"{self._name}: unknown special directive {item!r}")

    def _range(self, item: slice, ndmin: int, trans1d: int):
        start = 0 if item.start is None else item.start
        step = 1 if item.step is None else item.step
        if isinstance(step, (complex, np.complexfloating)):
            obj = np.linspace(start, item.stop, num=int(builtins.abs(step)))
        else:
            obj = np.arange(start, item.stop, step)
        if ndmin > 1:
            obj = np.array(obj, ndmin=ndmin)
            if trans1d != -1:
                obj = obj.swapaxes(-1, trans1d)
        return obj

    @staticmethod
    def _raise(v, ndmin: int, trans1d: int):
        nd = get_aval(v).ndim
        if nd >= ndmin:
            return v
        v = S.reshape(v, (1,) * (ndmin - nd) + get_aval(v).shape)
        if trans1d != -1:
            k2, k1 = ndmin - nd, trans1d
            if k1 < 0:
                k1 += k2 + 1
            ax = list(range(ndmin))
            v = S.transpose(v, ax[:k1] + ax[k2:] + ax[k1:k2])
        return v

    def __getitem__(self, key):
        if isinstance(key, str):
            raise NotImplementedError(f"{self._name}: the matrix-string form makes "
                                      "numpy.matrix objects, which lintra does not have")
        key = key if isinstance(key, tuple) else (key,)
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        objs, kinds = [], []
        for k, item in enumerate(key):
            if isinstance(item, str):
                if k != 0:
                    raise ValueError(f"{self._name}: special directives must be the first "
                                     "entry")
                axis, ndmin, trans1d = self._directive(item)
                continue
            if isinstance(item, slice):
                obj = self._range(item, ndmin, trans1d)
                kinds.append(obj.dtype)
            elif isinstance(item, (int, float, bool, complex, np.generic)):
                obj = item
                kinds.append(item)
            else:
                obj = self._raise(_as_value(item), ndmin, trans1d)
                kinds.append(get_aval(obj).dtype)
            objs.append(obj)
        if not objs:
            return as_array(np.zeros(0))
        dt = np.result_type(*kinds)
        objs = [self._raise(base.convert_element_type(_as_value(o), dt), ndmin, trans1d)
                for o in objs]
        return as_array(S.concatenate(objs, axis))


r_ = _AxisConcatenator("r_", 0, 1, -1)
c_ = _AxisConcatenator("c_", -1, 2, 0)
