"""Complete elliptic integrals: ellipk, ellipe (parameter m) and ellipkm1 (p = 1 - m, accurate
near m = 1), SciPy's values.

dK/dm = (E - (1-m)K) / (2m(1-m)) and dE/dm = (E - K) / (2m) are written with these same
functions, so every order follows. Both are 0/0 at m = 0 (the limits are ±π/8): near there
(|m| < 1e-2, where the closed forms lose at most ε/m) the derivative is its Taylor series
instead, from K = π/2 Σ c_n mⁿ and E = π/2 Σ c_n mⁿ / (1 - 2n), c_n = (binom(2n, n)/4ⁿ)²."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import numpy as lnp
from ...ops import elementwise as E
from ...ops.shape import defjvp
from ._base import bind_float, sc, special_primitive

ellipk_p = special_primitive("ellipk", sc.ellipk)
ellipe_p = special_primitive("ellipe", sc.ellipe)
ellipkm1_p = special_primitive("ellipkm1", sc.ellipkm1)


def ellipk(m: Any) -> Any:
    """The complete elliptic integral of the first kind K(m) = ∫_0^{π/2} (1 - m sin²t)^{-1/2} dt
    (m < 1)."""
    return bind_float(ellipk_p, m)


def ellipe(m: Any) -> Any:
    """The complete elliptic integral of the second kind E(m) = ∫_0^{π/2} (1 - m sin²t)^{1/2}
    dt (m <= 1)."""
    return bind_float(ellipe_p, m)


def ellipkm1(p: Any) -> Any:
    """K(1 - p), accurate for small p (near K's logarithmic singularity at m = 1)."""
    return bind_float(ellipkm1_p, p)


_SERIES_AT = 1e-2
_N = np.arange(1, 11)                                       # m^9 < 1e-18 for |m| < 1e-2
_C = (sc.comb(2 * _N, _N) / 4.0 ** _N) ** 2
_DK = math.pi / 2 * _N * _C                                 # dK/dm = Σ _DK[i] m^i
_DE = math.pi / 2 * _N * _C / (1 - 2 * _N)                  # dE/dm = Σ _DE[i] m^i


def _near_zero(m, closed, coeffs):
    """``closed(safe m)`` where |m| >= 1e-2, the series Σ coeffs[i] mⁱ below (each branch sees
    safe inputs, so no nan leaks into the other's derivatives)."""
    small = lnp.abs(m) < _SERIES_AT
    near = lnp.where(small, m, 0.0)
    series = float(coeffs[-1])
    for c in coeffs[-2::-1]:
        series = float(c) + near * series
    return lnp.where(small, series, closed(lnp.where(small, 0.5, m)))


def _dk(m, one_minus_m, k, e):
    """dK/dm at m, with 1 - m, K(m) and E(m) given (ellipkm1 passes 1 - m = p exactly)."""
    return _near_zero(m, lambda ms: (e - one_minus_m * k) / (2.0 * ms * one_minus_m), _DK)


def _de(m):
    return _near_zero(m, lambda ms: (ellipe(m) - ellipk(m)) / (2.0 * ms), _DE)


defjvp(ellipk_p, lambda t, m: E.mul(t, _dk(m, 1.0 - m, ellipk(m), ellipe(m))))
defjvp(ellipe_p, lambda t, m: E.mul(t, _de(m)))
defjvp(ellipkm1_p,
       lambda t, p: E.neg(E.mul(t, _dk(1.0 - p, p, ellipkm1(p), ellipe(1.0 - p)))))
