"""Scalar types that are also casts: ``lnp.float32(x)`` converts ``x`` (traced or not; the
conversion between float types is differentiable), and ``lnp.float32`` works wherever NumPy
takes a dtype (``zeros(3, lnp.float32)``, ``x.astype(lnp.float32)``, ``x.dtype ==
lnp.float32``, ``isinstance(v, lnp.float32)``), as JAX's ``jnp.float32`` does. NumPy finds
the dtype through the ``dtype`` attribute."""

from __future__ import annotations

import numpy as np

from ..core.trace import Tracer
from ..ops import base
from ._basic import _as_value, _leaves

__all__ = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
           "uint16", "uint32", "uint64", "bool_", "dtype", "finfo", "iinfo", "result_type",
           "promote_types", "can_cast", "issubdtype", "generic", "number", "inexact",
           "floating", "integer", "signedinteger", "unsignedinteger"]


class _ScalarMeta(type):
    """The metaclass of lintra's scalar types: calling one casts, comparing one compares
    its NumPy scalar type."""

    dtype: np.dtype

    def __hash__(cls) -> int:
        return hash(cls.dtype.type)

    def __eq__(cls, other) -> bool:
        return cls is other or cls.dtype.type == other

    def __ne__(cls, other) -> bool:
        return not cls == other

    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, cls.dtype.type)

    def __call__(cls, x):
        """``x`` converted to this type: a NumPy scalar or array for concrete input, a
        traced value for a traced one."""
        if isinstance(x, Tracer) or (isinstance(x, (list, tuple))
                                     and any(isinstance(e, Tracer) for e in _leaves(x))):
            return base.convert_element_type(_as_value(x), cls.dtype)
        return cls.dtype.type(x)

    def __repr__(cls) -> str:
        return f"lintra.numpy.{cls.__name__}"


def _scalar_type(t: type) -> type:
    name = "bool_" if t is np.bool_ else t.__name__
    return _ScalarMeta(name, (), {"dtype": np.dtype(t), "__module__": "lintra.numpy"})


float16, float32, float64 = (_scalar_type(t) for t in (np.float16, np.float32, np.float64))
int8, int16, int32, int64 = (_scalar_type(t) for t in (np.int8, np.int16, np.int32, np.int64))
uint8, uint16, uint32, uint64 = (_scalar_type(t) for t in (np.uint8, np.uint16, np.uint32,
                                                             np.uint64))
bool_ = _scalar_type(np.bool_)

dtype, finfo, iinfo = np.dtype, np.finfo, np.iinfo
promote_types, can_cast, issubdtype = np.promote_types, np.can_cast, np.issubdtype
generic, number, inexact, floating = np.generic, np.number, np.inexact, np.floating
integer, signedinteger, unsignedinteger = np.integer, np.signedinteger, np.unsignedinteger


def result_type(*arrays_and_dtypes) -> np.dtype:
    """NumPy's ``result_type``, of traced values too (by their dtypes)."""
    return np.result_type(*[a.aval.dtype if isinstance(a, Tracer) else a
                            for a in arrays_and_dtypes])
