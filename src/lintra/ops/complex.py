"""Complex parts: ``real``, ``imag``, ``conj`` and ``complex`` (re + i·im), the R-linear maps
between complex and real arrays that every non-holomorphic rule is written with.

Transposes follow JAX's convention: the transpose of an R-linear map is taken with the pairing
<a, b> = Re(sum(a * b)) — no conjugation — so the transpose of multiplying by c is multiplying
by c, of ``real`` is ``ct + 0j``, of ``imag`` is ``-1j * ct`` and of ``conj`` is ``conj``.
``grad`` of a real-valued function of complex ``z = x + iy`` is then ``df/dx - i df/dy``
(the conjugate of the steepest-ascent direction), as in JAX.
"""

from __future__ import annotations

import numpy as np

from ..ad.rules import (
    UndefinedPrimal,
    Zero,
    deflinear,
    jvp_rules,
    linear_positions,
    transpose_rules,
)
from ..core.avals import ShapedArray, complex_dtype, real_dtype
from ..core.trace import get_aval
from .base import asarray_value, convert_element_type, promote
from .compare import binary_primitive, check_kind, unary_primitive
from .shape import broadcast_like, unbroadcast


def _complex_part_shape(name: str, to_real: bool):
    def rule(x, **_):
        check_kind(name, "c", x)
        return ShapedArray(x.shape, real_dtype(x.dtype)) if to_real else x.strip_weak()
    return rule


real_p = unary_primitive("real", np.real, "c")
real_p.def_shape(_complex_part_shape("real", True))
imag_p = unary_primitive("imag", np.imag, "c")
imag_p.def_shape(_complex_part_shape("imag", True))
conj_p = unary_primitive("conj", np.conjugate, "c")


def _complex_impl(x, y):
    return np.asarray(x + 1j * np.asarray(y)).astype(complex_dtype(np.result_type(x, y)))


complex_p = binary_primitive("complex", _complex_impl, "f")
_complex_shape = complex_p.shape_rule
complex_p.def_shape(lambda x, y: _complex_shape(x, y).update(dtype=complex_dtype(x.dtype)))


def real(x):
    """The real part (a real array is its own real part)."""
    x = asarray_value(x)
    return real_p.bind(x) if get_aval(x).dtype.kind == "c" else x


def imag(x):
    """The imaginary part (zeros for a real array)."""
    x = asarray_value(x)
    a = get_aval(x)
    if a.dtype.kind == "c":
        return imag_p.bind(x)
    return broadcast_like(np.zeros((), a.dtype), a.shape)


def conj(x):
    """The complex conjugate (a real array is its own conjugate, as in NumPy)."""
    x = asarray_value(x)
    return conj_p.bind(x) if get_aval(x).dtype.kind == "c" else x


def complex(re, im):  # noqa: A001
    """``re + 1j * im`` from real arrays (promoted to a common float dtype)."""
    re, im = promote(re, im)
    dt = get_aval(re).dtype
    if dt.kind == "c":
        raise TypeError(f"complex: expects real parts, got {get_aval(re)} and {get_aval(im)}")
    if dt.kind != "f":
        re, im = convert_element_type(re, np.float64), convert_element_type(im, np.float64)
    return complex_p.bind(re, im)


def _zeros_like_aval(aval):
    return broadcast_like(np.zeros((), aval.dtype), aval.shape)


def _real_transpose(ct, x):
    return [convert_element_type(ct, x.aval.dtype)]              # ct + 0j


def _imag_transpose(ct, x):
    # -1j * ct, written as conj(0 + 1j * ct): no arithmetic primitive needed here
    return [conj(complex_p.bind(_zeros_like_aval(get_aval(ct)), ct))]


def _complex_transpose(ct, x, y):
    # <ct, x + iy> = Re(ct) x - Im(ct) y: re gets Re(ct), im gets -Im(ct) = Im(conj(ct))
    out = [None, None]
    if isinstance(x, UndefinedPrimal):
        out[0] = unbroadcast(real(ct), x.aval)
    if isinstance(y, UndefinedPrimal):
        out[1] = unbroadcast(imag(conj(ct)), y.aval)
    return out


deflinear(real_p, _real_transpose)
deflinear(imag_p, _imag_transpose)
deflinear(conj_p, lambda ct, x: [conj(ct)])


def _complex_jvp(primals, tangents):
    out = complex_p.bind(*primals)
    aval = get_aval(out)
    tx, ty = tangents
    if isinstance(tx, Zero) and isinstance(ty, Zero):
        return out, Zero(aval)
    zero = np.zeros((), real_dtype(aval.dtype))
    tx = zero if isinstance(tx, Zero) else tx
    ty = zero if isinstance(ty, Zero) else ty
    return out, broadcast_like(complex_p.bind(tx, ty), aval.shape)


jvp_rules[complex_p] = _complex_jvp
transpose_rules[complex_p] = _complex_transpose
linear_positions[complex_p] = lambda params, n: (0, 1)
