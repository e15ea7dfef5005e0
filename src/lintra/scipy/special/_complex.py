"""Complex-valued special functions: the Faddeeva function wofz, the Voigt profile (real, but
written from wofz) and the spherical harmonics sph_harm_y (SciPy >= 1.15's name and argument
order), SciPy's values.

wofz is holomorphic, w'(z) = -2z w(z) + 2i/√π: its JVP multiplies the complex tangent by w',
and lintra's complex transposes (ops/complex.py) make ``grad`` of a real loss of it JAX's.
voigt_profile(x, σ, γ) = Re w(z) / (σ√(2π)), z = (x + iγ)/(σ√2), so its derivatives are
w'(z) times dz (dz/dx = 1/(σ√2), dz/dγ = i/(σ√2), dz/dσ = -z/σ) for σ != 0. sph_harm_y's
derivatives are ∂Y/∂φ = i m Y and ∂Y/∂θ = m cot θ Y + √((n-m)(n+m+1)) e^{-iφ} Y_n^{m+1}
(for 0 < θ < π); its degree and order n, m are integers, in which there is no derivative."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import numpy as lnp
from ...batching.core import vmap_rules
from ...core.array import as_array
from ...core.avals import complex_dtype
from ...core.primitive import Primitive
from ...ops import elementwise as E
from ...ops.base import convert_element_type, promote_float
from ...ops.complex import complex as make_complex
from ...ops.complex import imag, real
from ...ops.shape import broadcasting_batcher, defjvp
from ._base import (
    bind_float,
    float_impl,
    not_differentiable,
    sc,
    shape_rule,
    special_primitive,
)

_2I_SQRTPI = 2j / math.sqrt(math.pi)
_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)


def _complex_primitive(name: str, impl, kind: str) -> Primitive:
    """An elementwise primitive of operands of one dtype (of ``kind``: "c" complex, "f"
    float) that broadcast like NumPy, with a complex result (of the operands' precision)."""
    p = Primitive(name)
    p.def_impl(impl)
    p.def_shape(shape_rule(name, kind, complex_dtype))
    vmap_rules[p] = broadcasting_batcher(p)
    return p


# ---------------------------------------------------------------- wofz

wofz_p = _complex_primitive("wofz", float_impl(sc.wofz), "c")


def wofz(z: Any) -> Any:
    """The Faddeeva function w(z) = exp(-z²) erfc(-iz) (complex; a real z is z + 0j)."""
    (z,) = promote_float(lnp.asarray(z))
    z = convert_element_type(z, complex_dtype(z.dtype))
    return as_array(wofz_p.bind(z))


def _dwofz(z, w):
    """w'(z) = -2z w(z) + 2i/√π."""
    return E.add(E.mul(-2.0, E.mul(z, w)), _2I_SQRTPI)


defjvp(wofz_p, lambda t, z: E.mul(t, _dwofz(z, wofz(z))))

# ---------------------------------------------------------------- voigt_profile

voigt_profile_p = special_primitive("voigt_profile", sc.voigt_profile)


def voigt_profile(x: Any, sigma: Any, gamma: Any) -> Any:
    """The Voigt profile: the convolution of a normal density (standard deviation ``sigma``)
    with a Cauchy density (half-width ``gamma``), at ``x``."""
    return bind_float(voigt_profile_p, x, sigma, gamma)


def _voigt_parts(x, sigma, gamma):
    """(z, w'(z), 1/(σ√2), 1/(σ√(2π)))."""
    s = E.div(1.0 / _SQRT2, sigma)
    z = make_complex(E.mul(x, s), E.mul(gamma, s))
    return z, _dwofz(z, wofz(z)), s, E.div(1.0 / _SQRT2PI, sigma)


def _dvoigt_dx(t, x, sigma, gamma):
    _, dw, s, c = _voigt_parts(x, sigma, gamma)
    return E.mul(t, E.mul(E.mul(c, s), real(dw)))


def _dvoigt_dsigma(t, x, sigma, gamma):
    z, dw, _, c = _voigt_parts(x, sigma, gamma)
    d = E.add(E.mul(c, real(E.mul(dw, z))), voigt_profile(x, sigma, gamma))
    return E.neg(E.mul(t, E.div(d, sigma)))


def _dvoigt_dgamma(t, x, sigma, gamma):
    _, dw, s, c = _voigt_parts(x, sigma, gamma)
    return E.neg(E.mul(t, E.mul(E.mul(c, s), imag(dw))))


defjvp(voigt_profile_p, _dvoigt_dx, _dvoigt_dsigma, _dvoigt_dgamma)

# ---------------------------------------------------------------- sph_harm_y


def _sph_harm_y_impl(n, m, theta, phi):
    """SciPy's values; nan where n or m is not an integer (SciPy refuses float orders)."""
    dt = complex_dtype(np.result_type(n, m, theta, phi))
    n, m, theta, phi = np.broadcast_arrays(n, m, theta, phi)
    ok = (n == np.round(n)) & (m == np.round(m))
    ni, mi = (np.where(ok, v, 0).astype(np.int64) for v in (n, m))
    with np.errstate(all="ignore"):
        out = np.asarray(sc.sph_harm_y(ni, mi, theta, phi))
    return np.where(ok, out, np.nan).astype(dt)


sph_harm_y_p = _complex_primitive("sph_harm_y", _sph_harm_y_impl, "f")


def sph_harm_y(n: Any, m: Any, theta: Any, phi: Any) -> Any:
    """The spherical harmonic Y_n^m(θ, φ) of integer degree n >= 0 and order m (|m| <= n;
    0 beyond), polar angle ``theta`` and azimuth ``phi`` (SciPy >= 1.15's ``sph_harm_y``)."""
    return as_array(sph_harm_y_p.bind(*promote_float(n, m, theta, phi)))


def _dsph_dtheta(t, n, m, theta, phi):
    """t · (m cot θ Y_n^m + √((n-m)(n+m+1)) e^{-iφ} Y_n^{m+1}); the first term is 0 for
    m == 0 (also at the poles), the root 0 where |m| > n (Y is 0 there)."""
    y = sph_harm_y(n, m, theta, phi)
    up = sph_harm_y(n, E.add(m, 1.0), theta, phi)
    k = E.sqrt(lnp.maximum(E.mul(E.sub(n, m), E.add(E.add(n, m), 1.0)), 0.0))
    rot = make_complex(E.mul(k, E.cos(phi)), E.neg(E.mul(k, E.sin(phi))))
    zero = E.eq(m, 0.0)
    m_cot = E.select(zero, E.mul(m, 0.0), E.div(m, E.tan(E.select(zero, 1.0, theta))))
    return E.mul(t, E.add(E.mul(m_cot, y), E.mul(rot, up)))


def _dsph_dphi(t, n, m, theta, phi):
    """t · i m Y_n^m."""
    return E.mul(t, E.mul(make_complex(E.mul(m, 0.0), m), sph_harm_y(n, m, theta, phi)))


_integer = "does not exist ({} is an integer)"
defjvp(sph_harm_y_p, not_differentiable("sph_harm_y", "n", _integer.format("the degree n")),
       not_differentiable("sph_harm_y", "m", _integer.format("the order m")),
       _dsph_dtheta, _dsph_dphi)
