"""The error function family: erf, erfc, erfinv, erfcinv and the normal distribution's ndtr,
log_ndtr, ndtri. ``erf`` is lintra.numpy's primitive; the others are SciPy's, each with its
derivative written in lintra operations (d erfinv = √π/2 · exp(erfinv²), ...)."""

from __future__ import annotations

import math
from typing import Any

from ...ops import elementwise as E
from ...ops.shape import defjvp
from ._base import bind_float, sc, special_primitive

_2_SQRTPI = 2.0 / math.sqrt(math.pi)
_SQRT2PI = math.sqrt(2.0 * math.pi)

erfc_p = special_primitive("erfc", sc.erfc)
erfinv_p = special_primitive("erfinv", sc.erfinv)
erfcinv_p = special_primitive("erfcinv", sc.erfcinv)
ndtr_p = special_primitive("ndtr", sc.ndtr)
log_ndtr_p = special_primitive("log_ndtr", sc.log_ndtr)
ndtri_p = special_primitive("ndtri", sc.ndtri)


def erf(x: Any) -> Any:
    """2/√π ∫_0^x exp(-t²) dt."""
    return E.erf(x)


def erfc(x: Any) -> Any:
    """1 - erf(x), accurate where erf(x) is close to 1."""
    return bind_float(erfc_p, x)


def erfinv(x: Any) -> Any:
    """The inverse of erf on (-1, 1)."""
    return bind_float(erfinv_p, x)


def erfcinv(x: Any) -> Any:
    """The inverse of erfc on (0, 2)."""
    return bind_float(erfcinv_p, x)


def ndtr(x: Any) -> Any:
    """The standard normal CDF Φ(x)."""
    return bind_float(ndtr_p, x)


def log_ndtr(x: Any) -> Any:
    """log Φ(x), accurate far into the lower tail."""
    return bind_float(log_ndtr_p, x)


def ndtri(p: Any) -> Any:
    """The inverse of ndtr: Φ⁻¹(p)."""
    return bind_float(ndtri_p, p)


def _gauss(x, scale: float):
    """scale · exp(-x²)."""
    return E.mul(scale, E.exp(E.neg(E.square(x))))


defjvp(erfc_p, lambda t, x: E.mul(t, _gauss(x, -_2_SQRTPI)))
defjvp(erfinv_p, lambda t, x: E.mul(t, E.mul(1 / _2_SQRTPI, E.exp(E.square(erfinv(x))))))
defjvp(erfcinv_p, lambda t, x: E.mul(t, E.mul(-1 / _2_SQRTPI, E.exp(E.square(erfcinv(x))))))
defjvp(ndtr_p, lambda t, x: E.mul(t, E.div(E.exp(E.mul(-0.5, E.square(x))), _SQRT2PI)))
# Φ'(x)/Φ(x) in one exponent: no 0/0 in the far lower tail
defjvp(log_ndtr_p, lambda t, x: E.mul(t, E.div(
    E.exp(E.sub(E.mul(-0.5, E.square(x)), log_ndtr(x))), _SQRT2PI)))
defjvp(ndtri_p, lambda t, p: E.mul(t, E.mul(_SQRT2PI, E.exp(E.mul(0.5, E.square(ndtri(p)))))))
