"""Elementary-function relatives: binom, erfi, log_expit, expm1, exprel, cbrt (SciPy's
values as primitives) and inv_boxcox, inv_boxcox1p (compositions).

exprel's derivative is ½ ₁F₁(2; 3; x), which is ((x-1)eˣ + 1)/x² without its 0/0 at x = 0
(and ₁F₁'s own rule gives every higher order). The inverse Box-Cox transforms are written
with y · log1p(λy)/(λy), whose removable singularity at λy = 0 is a short series there: the
branch λ == 0 is not a separate formula, so the derivative in λ at λ = 0 is right too."""

from __future__ import annotations

import math
from typing import Any

from ... import numpy as lnp
from ...ops import elementwise as E
from ...ops.shape import defjvp
from ._base import bind_float, sc, special_primitive
from ._extra import _f
from ._gamma import digamma
from ._hyper import hyp1f1

_2_SQRTPI = 2.0 / math.sqrt(math.pi)

binom_p = special_primitive("binom", sc.binom)
erfi_p = special_primitive("erfi", sc.erfi)
log_expit_p = special_primitive("log_expit", sc.log_expit)
exprel_p = special_primitive("exprel", sc.exprel)
cbrt_p = special_primitive("cbrt", sc.cbrt)


def binom(n: Any, k: Any) -> Any:
    """The binomial coefficient Γ(n+1) / (Γ(k+1) Γ(n-k+1)) of real n and k (SciPy's
    ``binom``; its derivatives are nan where it is zero at a pole of Γ(n-k+1))."""
    return bind_float(binom_p, n, k)


def erfi(x: Any) -> Any:
    """The imaginary error function -i erf(ix) = 2/√π ∫_0^x exp(t²) dt."""
    return bind_float(erfi_p, x)


def log_expit(x: Any) -> Any:
    """log(expit(x)) = -softplus(-x), accurate for large |x|."""
    return bind_float(log_expit_p, x)


def expm1(x: Any) -> Any:
    """exp(x) - 1, accurate near 0 (``lintra.numpy.expm1``)."""
    return E.expm1(x)


def exprel(x: Any) -> Any:
    """The relative error exponential (exp(x) - 1)/x, 1 at x == 0."""
    return bind_float(exprel_p, x)


def cbrt(x: Any) -> Any:
    """The real cube root."""
    return bind_float(cbrt_p, x)


def _dbinom(t, n, k, a, b):
    """t · binom(n, k) · (ψ(a) - ψ(b)): ∂/∂n has (a, b) = (n+1, n-k+1), ∂/∂k (n-k+1, k+1)."""
    return E.mul(t, E.mul(binom(n, k), E.sub(digamma(a), digamma(b))))


defjvp(binom_p,
       lambda t, n, k: _dbinom(t, n, k, E.add(n, 1.0), E.add(E.sub(n, k), 1.0)),
       lambda t, n, k: _dbinom(t, n, k, E.add(E.sub(n, k), 1.0), E.add(k, 1.0)))
defjvp(erfi_p, lambda t, x: E.mul(t, E.mul(_2_SQRTPI, E.exp(E.square(x)))))
defjvp(log_expit_p, lambda t, x: E.mul(t, E.logistic(E.neg(x))))
defjvp(exprel_p, lambda t, x: E.mul(t, E.mul(0.5, hyp1f1(2.0, 3.0, x))))
defjvp(cbrt_p, lambda t, x: E.div(t, E.mul(3.0, E.square(cbrt(x)))))

# log1p(u)/u = Σ_k (-u)^k / (k+1); 10 terms are exact to rounding for |u| < 1e-2
_SERIES_AT = 1e-2
_SERIES_TERMS = 10


def _log1p_ratio(u):
    """log1p(u)/u, 1 at u == 0 (the branch not taken sees a safe u)."""
    small = lnp.abs(u) < _SERIES_AT
    near = lnp.where(small, u, 0.0)
    series = 1.0 / _SERIES_TERMS
    for k in range(_SERIES_TERMS - 1, 0, -1):
        series = 1.0 / k - near * series
    far = lnp.where(small, 1.0, u)
    return lnp.where(small, series, lnp.log1p(far) / far)


def inv_boxcox(y: Any, lmbda: Any) -> Any:
    """The inverse of the Box-Cox transform: (1 + λy)^{1/λ}, exp(y) at λ == 0."""
    y, lmbda = _f(y, lmbda)
    return lnp.exp(y * _log1p_ratio(lmbda * y))


def inv_boxcox1p(y: Any, lmbda: Any) -> Any:
    """The inverse of ``boxcox1p``: (1 + λy)^{1/λ} - 1, expm1(y) at λ == 0."""
    y, lmbda = _f(y, lmbda)
    return lnp.expm1(y * _log1p_ratio(lmbda * y))
