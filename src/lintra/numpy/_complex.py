"""Complex numbers: NumPy's parts and predicates, and the complex scalar types as casts."""

from __future__ import annotations

import numpy as np

from ..core.trace import Tracer, get_aval
from ..ops import base
from ..ops import complex as C
from ..ops import elementwise as E
from ..ops import powers as PW
from ._basic import _as_value

__all__ = ["angle", "complex64", "complex128", "complex_", "conj", "conjugate", "imag",
           "iscomplex", "iscomplexobj", "isreal", "isrealobj", "real"]


def real(x):
    """The real part; a real array is returned as is (NumPy)."""
    return C.real(_as_value(x))


def imag(x):
    """The imaginary part; zeros for a real array (NumPy)."""
    return C.imag(_as_value(x))


def conjugate(x):
    """The complex conjugate; a real array is its own conjugate (NumPy)."""
    return C.conj(_as_value(x))


conj = conjugate


def angle(z, deg: bool = False):
    """The argument of ``z``, ``atan2(imag(z), real(z))``, in radians (degrees with ``deg``)."""
    z = _as_value(z)
    if get_aval(z).dtype.kind in "iub":
        z = base.convert_element_type(z, np.float64)
    out = PW.atan2(C.imag(z), C.real(z))
    return E.mul(out, float(180.0 / np.pi)) if deg else out


def iscomplexobj(x) -> bool:
    return get_aval(_as_value(x)).dtype.kind == "c"


def isrealobj(x) -> bool:
    return not iscomplexobj(x)


def iscomplex(x):
    """Elementwise: a nonzero imaginary part."""
    return E.ne(imag(x), 0)


def isreal(x):
    """Elementwise: a zero imaginary part."""
    return E.eq(imag(x), 0)


def _cast_type(np_type):
    """NumPy's scalar type ``np_type`` (a dtype wherever NumPy takes one) whose call also
    casts lintra values: ``lnp.complex64(x)`` converts a traced ``x`` differentiably."""
    def __new__(cls, x=0, *args):
        if isinstance(x, Tracer) or (isinstance(x, (list, tuple)) and not args):
            return base.convert_element_type(_as_value(x), np.dtype(np_type))
        return np_type(x, *args)
    return type(np_type.__name__, (np_type,), {"__new__": __new__,
                                               "__module__": "lintra.numpy"})


complex64 = _cast_type(np.complex64)
complex128 = complex_ = _cast_type(np.complex128)
