"""Abstract values (avals): what a traced value is known to be at staging time.

An array aval is a static shape plus a dtype. Python scalars are *weakly typed*: they take the
dtype of the array they meet, so ``x32 * 2.0`` stays float32, as in NumPy and JAX (and
``1j * x32`` is complex64).

Complex arrays (complex64, complex128) are differentiable like floats: their tangents and
cotangents are complex of the same dtype (JAX's conventions, see the README).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

FLOAT_DTYPES = (np.dtype("float16"), np.dtype("float32"), np.dtype("float64"),
                np.dtype(np.longdouble))
INT_DTYPES = (np.dtype("int8"), np.dtype("int16"), np.dtype("int32"), np.dtype("int64"),
              np.dtype("uint8"), np.dtype("uint32"), np.dtype("uint64"))
COMPLEX_DTYPES = (np.dtype("complex64"), np.dtype("complex128"))
INEXACT_DTYPES = FLOAT_DTYPES + COMPLEX_DTYPES
BOOL_DTYPE = np.dtype("bool")
DEFAULT_FLOAT = np.dtype("float64")
DEFAULT_INT = np.dtype("int64")
DEFAULT_COMPLEX = np.dtype("complex128")


class ShapedArray:
    """An array of static ``shape`` and ``dtype``; a scalar has shape ``()``."""

    __slots__ = ("shape", "dtype", "weak_type")
    is_function = False

    def __init__(self, shape: tuple[int, ...], dtype: Any, weak_type: bool = False):
        # NumPy shapes are already tuples of ints and dtypes already dtypes: skip conversion
        self.shape = shape if type(shape) is tuple and all(type(d) is int for d in shape) \
            else tuple(int(d) for d in shape)
        self.dtype = dtype if type(dtype) is np.dtype or isinstance(dtype, np.dtype) \
            else np.dtype(dtype)
        self.weak_type = weak_type

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def is_float(self) -> bool:
        """Real or complex floating point: the dtypes that have a tangent space."""
        return self.dtype in INEXACT_DTYPES

    @property
    def is_complex(self) -> bool:
        return self.dtype.kind == "c"

    def strip_weak(self) -> ShapedArray:
        return ShapedArray(self.shape, self.dtype) if self.weak_type else self

    def update(self, shape=None, dtype=None) -> ShapedArray:
        return ShapedArray(self.shape if shape is None else shape,
                           self.dtype if dtype is None else dtype)

    def __eq__(self, other) -> bool:
        return (isinstance(other, ShapedArray) and self.shape == other.shape
                and self.dtype == other.dtype)

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype))

    def str_short(self) -> str:
        name = {"float32": "f32", "float64": "f64", "int32": "i32", "int64": "i64",
                "complex64": "c64", "complex128": "c128", "bool": "bool"
                }.get(self.dtype.name, self.dtype.name)
        return f"{name}[{','.join(map(str, self.shape))}]"

    __repr__ = str_short


def is_python_scalar(x: Any) -> bool:
    return isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic)


def python_scalar_dtype(x: Any) -> np.dtype:
    if isinstance(x, bool):
        return BOOL_DTYPE
    if isinstance(x, numbers.Integral):
        return DEFAULT_INT
    if isinstance(x, float):
        return DEFAULT_FLOAT
    return DEFAULT_COMPLEX


_avals: dict = {}

# array types of device runtimes (a backend registers its own: JAX's ``jax.Array``), taken as
# concrete arrays by shape and dtype, so that results kept on a device feed the next call
_device_array_types: tuple[type, ...] = ()


def is_device_array(x: Any) -> bool:
    return isinstance(x, _device_array_types)


def register_array_type(cls: type) -> None:
    """Let values of ``cls`` (with NumPy-style ``shape`` and ``dtype``) enter lintra."""
    global _device_array_types
    if cls not in _device_array_types:
        _device_array_types += (cls,)


def concrete_aval(x: Any) -> ShapedArray:
    """The aval of a concrete (non-traced) value (avals are shared per shape and dtype)."""
    if is_python_scalar(x):
        return ShapedArray((), python_scalar_dtype(x), weak_type=True)
    if isinstance(x, (np.ndarray, np.generic)):
        a = _avals.get((x.shape, x.dtype))
        if a is not None:
            return a
        dt = x.dtype
        if dt.kind not in "fiubc":
            raise TypeError(f"lintra cannot trace arrays of dtype {dt}")
        if len(_avals) > 4096:
            _avals.clear()
        a = _avals[(x.shape, dt)] = ShapedArray(x.shape, dt)
        return a
    if is_device_array(x):
        return ShapedArray(tuple(x.shape), np.dtype(x.dtype))
    aval = getattr(x, "lintra_aval", None)      # a function value (core/function.py)
    if aval is not None:
        return aval
    raise TypeError(f"{type(x).__name__} is not a valid lintra value: expected an array, a "
                    "number or a pytree (tuple, list, dict, dataclass) of them")


def result_dtype(*avals: ShapedArray) -> np.dtype:
    """NumPy promotion, with weakly typed Python scalars deferring to arrays."""
    strong = [a.dtype for a in avals if not a.weak_type]
    weak = [a.dtype for a in avals if a.weak_type]
    if not strong:
        return np.result_type(*weak)
    dt = np.result_type(*strong)
    for w in weak:
        if w.kind == "f" and dt.kind in "iub":
            dt = DEFAULT_FLOAT
        elif w.kind in "iu" and dt.kind == "b":
            dt = DEFAULT_INT
        elif w.kind == "c" and dt.kind != "c":     # 1j * x32 is complex64 (JAX, NumPy 2)
            dt = np.dtype("complex64") if dt == np.dtype("float32") else DEFAULT_COMPLEX
    return dt


def real_dtype(dtype) -> np.dtype:
    """The real dtype of a complex one (complex64 -> float32); other dtypes unchanged."""
    dtype = np.dtype(dtype)
    return np.finfo(dtype).dtype if dtype.kind == "c" else dtype


def complex_dtype(dtype) -> np.dtype:
    """The complex dtype of a float one (float32 -> complex64); integers -> complex128."""
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return dtype
    return np.dtype("complex64") if dtype in (np.dtype("float32"), np.dtype("float16")) \
        else DEFAULT_COMPLEX


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    first = shapes[0]
    if all(s == first for s in shapes):       # the common case, and NumPy's is slow
        return tuple(first)
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError("shapes " + ", ".join(str(tuple(s)) for s in shapes)
                         + " cannot be broadcast together") from None
