"""Creation functions and the basic structure/reduction wrappers rules rely on."""

from __future__ import annotations

import numpy as np

from ..core.trace import Tracer, get_aval
from ..ops import base
from ..ops import compare as C
from ..ops import elementwise as E
from ..ops import extrema as X
from ..ops import reductions as R
from ..ops import structure as S

pi, e, inf, nan, newaxis = np.pi, np.e, np.inf, np.nan, None
ndarray = np.ndarray


def asarray(x, dtype=None):
    if isinstance(x, Tracer):
        return x if dtype is None else base.convert_element_type(x, dtype)
    if isinstance(x, (list, tuple)) and any(isinstance(e, Tracer) for e in _leaves(x)):
        out = S.stack([asarray(e) for e in x])
        return out if dtype is None else base.convert_element_type(out, dtype)
    return np.asarray(x, dtype)


array = asarray


def _as_value(x, dtype=None):
    """``ops.base.asarray_value``, also for (nested) lists holding traced values."""
    if isinstance(x, (list, tuple)) and any(isinstance(e, Tracer) for e in _leaves(x)):
        return asarray(x, dtype)
    return base.asarray_value(x, dtype)


def _leaves(x):
    if isinstance(x, (list, tuple)):
        for e in x:
            yield from _leaves(e)
    else:
        yield x


def reshape(a, shape=None, order: str = "C", *, newshape=None, copy=None):
    """NumPy 2's signature (``newshape`` is the old name). ``order='F'`` reads and writes
    column-major: the C reshape of the reversed axes, reversed back. Lintra arrays are
    C-ordered, so 'A' and 'K' mean 'C'."""
    del copy
    shape = newshape if shape is None else shape
    if order not in ("C", "F", "A", "K"):
        raise ValueError(f"reshape: order must be 'C', 'F', 'A' or 'K', got {order!r}")
    if order != "F":
        return S.reshape(a, shape)
    a = _as_value(a)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    rev = S.transpose(a, tuple(range(get_aval(a).ndim))[::-1])
    out = S.reshape(rev, shape[::-1])
    return S.transpose(out, tuple(range(len(shape)))[::-1])


def astype(x, dtype):
    return base.convert_element_type(x, dtype)


def shape(x):
    return get_aval(x).shape


def ndim(x):
    return get_aval(x).ndim


def size(x):
    return get_aval(x).size


def _keep(y, x, axes, keepdims):
    if not keepdims:
        return y
    shp = [1 if i in axes else d for i, d in enumerate(get_aval(x).shape)]
    return S.reshape(y, shp)


def _acc_dtype(dt, dtype=None) -> np.dtype:
    """NumPy's accumulator for sum/prod/cumsum: small ints and bools widen to int64."""
    if dtype is not None:
        return np.dtype(dtype)
    return np.sum(np.zeros(0, dt)).dtype


def _no_out(out, who: str) -> None:
    if out is not None:
        raise TypeError(f"lintra.numpy.{who}: out= is not supported (lintra's arrays are "
                        "immutable, as JAX's): use the returned value")


def _masked(a, where, fill):
    """``a`` with the entries where ``where`` is False replaced by ``fill`` (NumPy's
    ``where=`` of a reduction: ``where`` broadcasts to ``a``'s shape)."""
    where = _as_value(where)
    shape = get_aval(a).shape
    if np.broadcast_shapes(get_aval(where).shape, shape) != shape:
        raise ValueError(f"where= of shape {get_aval(where).shape} does not broadcast to the "
                         f"array's shape {shape}")
    return C.select(where, a, np.full((), fill, get_aval(a).dtype))


def _selected_count(a, axes, keepdims, where):
    """How many entries of ``a`` ``where`` selects along ``axes`` (in ``a``'s dtype)."""
    ones = np.ones(get_aval(a).shape, get_aval(a).dtype)
    return sum(ones, axes, keepdims=keepdims, where=where)


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None,  # noqa: A001
        where=None):
    """Sum over ``axis`` (None: all; an int or tuple, negative from the end); ``where``
    masks entries out, ``initial`` is added (NumPy's signature)."""
    _no_out(out, "sum")
    a = _as_value(a)
    a = base.convert_element_type(a, _acc_dtype(get_aval(a).dtype, dtype))
    if where is not None:
        a = _masked(a, where, 0)
    axes = R.normalize_axes(axis, get_aval(a).ndim)
    y = _keep(R.reduce_sum(a, axes), a, axes, keepdims)
    return y if initial is None else E.add(y, initial)


def _extremum(reduce, combine, name, a, axis, out, keepdims, initial, where):
    _no_out(out, name)
    a = _as_value(a)
    if where is not None:
        if initial is None:
            raise ValueError(f"lintra.numpy.{name}: where= needs initial= (the reduction has "
                             "no identity), as in NumPy")
        a = _masked(a, where, initial)
    axes = R.normalize_axes(axis, get_aval(a).ndim)
    if initial is not None and any(get_aval(a).shape[i] == 0 for i in axes):
        shape = np.sum(np.zeros(get_aval(a).shape), axis=axes, keepdims=keepdims).shape
        return full(shape, initial, get_aval(a).dtype)
    y = _keep(reduce(a, axes), a, axes, keepdims)
    return y if initial is None else combine(y, initial)


def max(a, axis=None, out=None, keepdims=False, initial=None, where=None):  # noqa: A001
    """Maximum over ``axis``; tied maxima share the tangent equally. ``initial`` and
    ``where`` as in NumPy (``where`` needs ``initial``)."""
    return _extremum(R.reduce_max, X.maximum, "max", a, axis, out, keepdims, initial, where)


def min(a, axis=None, out=None, keepdims=False, initial=None, where=None):  # noqa: A001
    """Minimum over ``axis``; tied minima share the tangent equally. ``initial`` and
    ``where`` as in NumPy (``where`` needs ``initial``)."""
    return _extremum(R.reduce_min, X.minimum, "min", a, axis, out, keepdims, initial, where)


amax, amin = max, min


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """Arithmetic mean; integers average in float64, float32 stays float32 (NumPy). With
    ``where``, the mean of the selected entries."""
    _no_out(out, "mean")
    a = _as_value(a)
    if dtype is not None:
        a = base.convert_element_type(a, dtype)
    elif get_aval(a).dtype.kind in "iub":
        a = base.convert_element_type(a, np.float64)
    axes = R.normalize_axes(axis, get_aval(a).ndim)
    if where is not None:
        return E.div(sum(a, axes, keepdims=keepdims, where=where),
                     _selected_count(a, axes, keepdims, where))
    n = int(np.prod([get_aval(a).shape[i] for i in axes], dtype=np.int64))
    return E.div(sum(a, axes, keepdims=keepdims), float(n))


def zeros(shape, dtype=float):
    return np.zeros(shape, dtype)


def ones(shape, dtype=float):
    return np.ones(shape, dtype)


def full(shape, fill_value, dtype=None):
    if isinstance(fill_value, Tracer):
        return S.broadcast_to(fill_value if dtype is None
                              else base.convert_element_type(fill_value, dtype), shape)
    return np.full(shape, fill_value, dtype)


def zeros_like(a, dtype=None, order=None, subok=None, shape=None):
    """Zeros of ``a``'s dtype and shape (``shape`` overrides it, as in NumPy)."""
    return full_like(a, 0, dtype, shape=shape)


def ones_like(a, dtype=None, order=None, subok=None, shape=None):
    return full_like(a, 1, dtype, shape=shape)


def full_like(a, fill_value, dtype=None, order=None, subok=None, shape=None):
    """``fill_value`` in ``a``'s dtype and shape; ``order``/``subok`` are layout options
    NumPy has that do not apply to lintra's arrays."""
    del order, subok
    aval = get_aval(_as_value(a))
    return full(aval.shape if shape is None else shape, fill_value, dtype or aval.dtype)


eye, identity = np.eye, np.identity
