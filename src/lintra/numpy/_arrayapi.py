"""The array-API spellings and other small NumPy/JAX names: aliases (``acos``, ``pow``,
``concat``, ``permute_dims``, ``bool``, ``double``, ...), ``matrix_transpose``, ``vecdot``,
``matvec``, ``vecmat``, ``unstack``, ``cumulative_prod``, ``nancumprod``, ``array_equiv``,
``copy``, ``fromfunction``, ``apply_over_axes``, the window functions and NumPy's helpers
that work on Python values (``isscalar``, ``s_``, printing, ``save``/``load``,
``frombuffer``, ...)."""

from __future__ import annotations

import builtins

import numpy as np

from ..core.trace import Tracer, get_aval
from ..ops import base
from ..ops import complex as C
from ..ops import elementwise as E
from ..ops import reductions as R
from ..ops import structure as S
from . import _elementwise as L
from ._basic import _as_value, asarray
from ._basic import sum as _sum
from ._complex import complex64, complex128
from ._dtypes import bool_, float32, float64, int64, uint64
from ._grids import indices
from ._nanfunctions import _cumulative
from ._reductions import all as _all
from ._reductions import cumprod
from ._structure import concatenate, moveaxis, swapaxes, transpose

__all__ = ["acos", "acosh", "asin", "asinh", "atan", "atanh", "atan2", "pow", "concat",
           "permute_dims", "bitwise_invert", "matrix_transpose", "vecdot", "matvec", "vecmat",
           "unstack", "cumulative_prod", "nancumprod", "array_equiv", "copy", "fromfunction",
           "apply_over_axes", "hamming", "hanning", "blackman", "bartlett", "bool", "double",
           "single", "float_", "int_", "uint", "cdouble", "csingle", "complexfloating",
           "character", "flexible", "object_", "euler_gamma", "isscalar", "iterable",
           "broadcast_shapes", "s_", "index_exp", "isdtype", "get_printoptions",
           "set_printoptions", "printoptions", "array_repr", "array_str", "save", "savez",
           "load", "ComplexWarning", "frombuffer", "fromiter", "fromstring", "fromfile",
           "from_dlpack"]

acos, acosh, asin, asinh = L.arccos, L.arccosh, L.arcsin, L.arcsinh
atan, atanh, atan2 = L.arctan, L.arctanh, L.arctan2
pow = L.power  # noqa: A001
concat, permute_dims, bitwise_invert = concatenate, transpose, L.bitwise_not
bool, double, single, float_ = bool_, float64, float32, float64  # noqa: A001
int_, uint, cdouble, csingle = int64, uint64, complex128, complex64
complexfloating, character, flexible, object_ = (np.complexfloating, np.character,
                                                 np.flexible, np.object_)
euler_gamma = np.euler_gamma
isscalar, iterable, s_, index_exp, isdtype = (np.isscalar, np.iterable, np.s_, np.index_exp,
                                              np.isdtype)
get_printoptions, set_printoptions, printoptions = (np.get_printoptions, np.set_printoptions,
                                                    np.printoptions)
ComplexWarning = np.exceptions.ComplexWarning
# arrays from Python objects and bytes: NumPy's (the results become lintra arrays)
frombuffer, fromiter, fromstring, fromfile, from_dlpack = (
    np.frombuffer, np.fromiter, np.fromstring, np.fromfile, np.from_dlpack)


def _concrete(a, who: str) -> np.ndarray:
    if isinstance(a, Tracer):
        return np.asarray(a._concrete(f"a concrete value for `{who}`"))
    return np.asarray(a)


def array_repr(arr, *args, **kwargs) -> str:
    return np.array_repr(_concrete(arr, "array_repr"), *args, **kwargs)


def array_str(a, *args, **kwargs) -> str:
    return np.array_str(_concrete(a, "array_str"), *args, **kwargs)


def save(file, arr, allow_pickle: bool = True) -> None:
    np.save(file, _concrete(arr, "save"), allow_pickle=allow_pickle)


def savez(file, *args, **kwds) -> None:
    np.savez(file, *(_concrete(a, "savez") for a in args),
             **{k: _concrete(v, "savez") for k, v in kwds.items()})


def load(file, *args, **kwargs):
    """``numpy.load``; a single array comes back as a lintra array."""
    out = np.load(file, *args, **kwargs)
    return asarray(out) if isinstance(out, np.ndarray) else out


def matrix_transpose(x):
    """Swap the last two axes."""
    x = _as_value(x)
    if get_aval(x).ndim < 2:
        raise ValueError(f"matrix_transpose: x must be at least 2-d, got {get_aval(x).ndim}-d")
    return swapaxes(x, -1, -2)


def vecdot(x1, x2, /, *, axis: int = -1):
    """Σ conj(x1) · x2 along ``axis`` of each operand (NumPy's gufunc: the axis is taken in
    each operand, then the other axes broadcast)."""
    x1, x2 = base.promote(_as_value(x1), _as_value(x2))
    if get_aval(x1).dtype.kind == "c":
        x1 = C.conj(x1)
    return _sum(E.mul(moveaxis(x1, axis, -1), moveaxis(x2, axis, -1)), axis=-1)


def matvec(x1, x2, /):
    """The matrix-vector products of stacks: Σ_j x1[..., i, j] · x2[..., j]."""
    x1, x2 = _as_value(x1), _as_value(x2)
    return _sum(E.mul(x1, S.expand_dims(x2, -2)), axis=-1)


def vecmat(x1, x2, /):
    """The vector-matrix products of stacks: Σ_i conj(x1[..., i]) · x2[..., i, j]."""
    x1, x2 = base.promote(_as_value(x1), _as_value(x2))
    if get_aval(x1).dtype.kind == "c":
        x1 = C.conj(x1)
    return _sum(E.mul(S.expand_dims(x1, -1), x2), axis=-2)


def unstack(x, /, *, axis: int = 0) -> tuple:
    """The slices of ``x`` along ``axis``."""
    x = moveaxis(_as_value(x), axis, 0)
    shape = get_aval(x).shape
    return tuple(S.reshape(S.slice_static(x, (i,) + (0,) * (len(shape) - 1),
                                          (i + 1,) + shape[1:]), shape[1:])
                 for i in builtins.range(shape[0]))


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial: bool = False):
    """``numpy.cumulative_prod`` (array API): ``axis`` may be omitted only for 1-d input;
    ``include_initial`` prepends a one along ``axis``."""
    return _cumulative("cumulative_prod", R.cumprod, 1, x, axis, dtype, include_initial)


def nancumprod(a, axis=None, dtype=None, out=None):
    """Cumulative product with NaNs counted as one."""
    if out is not None:
        raise NotImplementedError("nancumprod: out= is not supported (arrays are immutable)")
    a = _as_value(a)
    if get_aval(a).dtype.kind in "fc":
        a = E.select(L.isnan(a), np.ones((), get_aval(a).dtype), a)
    return cumprod(a, axis, dtype)


def array_equiv(a1, a2):
    """Whether the arrays broadcast to one shape and are equal there (a boolean scalar)."""
    a1, a2 = _as_value(a1), _as_value(a2)
    try:
        np.broadcast_shapes(get_aval(a1).shape, get_aval(a2).shape)
    except ValueError:
        return np.False_
    return _all(E.eq(a1, a2))


def broadcast_shapes(*shapes) -> tuple:
    """The shape that arrays of ``shapes`` broadcast to (NumPy's)."""
    return np.broadcast_shapes(*shapes)


def copy(a, order=None):
    """A copy of ``a`` (lintra arrays are immutable: a traced value is returned as is)."""
    del order
    a = _as_value(a)
    return a if isinstance(a, Tracer) else np.array(a)


def fromfunction(function, shape, *, dtype=float, **kwargs):
    """``function`` called with one index array per dimension of ``shape``."""
    return function(*indices(shape, dtype=dtype), **kwargs)


def apply_over_axes(func, a, axes):
    """``func(a, axis)`` applied for each axis in turn, keeping the dimensions."""
    a = _as_value(a)
    for axis in ([axes] if np.ndim(axes) == 0 else axes):
        nd = get_aval(a).ndim
        out = _as_value(func(a, axis))
        if get_aval(out).ndim == nd - 1:
            out = S.expand_dims(out, axis % nd)
        elif get_aval(out).ndim != nd:
            raise ValueError("apply_over_axes: func must keep the dimensions or drop one")
        a = out
    return a


def hamming(M: int):
    return np.hamming(int(M))


def hanning(M: int):
    return np.hanning(int(M))


def blackman(M: int):
    return np.blackman(int(M))


def bartlett(M: int):
    return np.bartlett(int(M))
