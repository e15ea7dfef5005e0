"""The gamma family: gammaln, digamma, polygamma, gamma, rgamma, beta, betaln, the
regularized incomplete gamma and beta functions, and multigammaln (a composition).

Each JVP is written with lintra's operations (d gammaln = digamma, d digamma = polygamma(1, .),
...), so derivatives of any order follow. The derivative of gammainc/gammaincc in the shape
``a`` has no closed form: it is a primitive of its own (``gammainc_da``, computed by a series
where P is not small and Gauss-Laguerre quadrature of the upper tail where Q is), to second order
in ``a`` (JAX: first), any order in ``x``. betainc's shape derivatives are likewise a
primitive (a series, first order in a and b; JAX has none)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...core.errors import NonDifferentiableError
from ...ops import elementwise as E
from ...ops.shape import defjvp
from ._base import bind_float, not_differentiable, sc, special_primitive
from ._misc import xlog1py, xlogy

# ---------------------------------------------------------------- gammaln, digamma, polygamma

gammaln_p = special_primitive("gammaln", sc.gammaln)
digamma_p = special_primitive("digamma", sc.psi)
polygamma_p = special_primitive("polygamma", sc.polygamma)
gamma_p = special_primitive("gamma", sc.gamma)
rgamma_p = special_primitive("rgamma", sc.rgamma)


def gammaln(x: Any) -> Any:
    """log|Γ(x)| (``scipy.special.gammaln``)."""
    return bind_float(gammaln_p, x)


def digamma(x: Any) -> Any:
    """ψ(x) = d/dx log Γ(x) (``scipy.special.digamma``, alias ``psi``)."""
    return bind_float(digamma_p, x)


psi = digamma


def polygamma(n: Any, x: Any) -> Any:
    """ψ⁽ⁿ⁾(x), the n-th derivative of the digamma function; ``n`` is an integer order."""
    return bind_float(polygamma_p, n, x)


def gamma(x: Any) -> Any:
    """Γ(x) (``scipy.special.gamma``)."""
    return bind_float(gamma_p, x)


def rgamma(x: Any) -> Any:
    """1/Γ(x), zero at the poles of Γ (``scipy.special.rgamma``)."""
    return bind_float(rgamma_p, x)


defjvp(gammaln_p, lambda t, x: E.mul(t, digamma(x)))
defjvp(digamma_p, lambda t, x: E.mul(t, polygamma(1.0, x)))
defjvp(polygamma_p,
       not_differentiable("polygamma", "n", "does not exist (n is an integer order)"),
       lambda t, n, x: E.mul(t, polygamma(E.add(n, 1.0), x)))
defjvp(gamma_p, lambda t, x: E.mul(t, E.mul(gamma(x), digamma(x))))
defjvp(rgamma_p, lambda t, x: E.neg(E.mul(t, E.mul(rgamma(x), digamma(x)))))


def multigammaln(a: Any, d: int) -> Any:
    """The log of the multivariate gamma function of dimension ``d``:
    d(d-1)/4 log π + Σ_{j<d} gammaln(a - j/2)."""
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        raise ValueError(f"multigammaln: d must be a positive integer, got {d!r}")
    d = int(d)
    out = E.add(gammaln(a), d * (d - 1) / 4 * math.log(math.pi))
    for j in range(1, d):
        out = E.add(out, gammaln(E.sub(a, j / 2)))
    return out


# ---------------------------------------------------------------- beta, betaln

beta_p = special_primitive("beta", sc.beta)
betaln_p = special_primitive("betaln", sc.betaln)


def beta(a: Any, b: Any) -> Any:
    """B(a, b) = Γ(a)Γ(b)/Γ(a+b) (``scipy.special.beta``)."""
    return bind_float(beta_p, a, b)


def betaln(a: Any, b: Any) -> Any:
    """log|B(a, b)| (``scipy.special.betaln``)."""
    return bind_float(betaln_p, a, b)


def _dlog_beta(t, a, b):
    """t · ∂/∂a log B(a, b) = t · (ψ(a) - ψ(a + b))."""
    return E.mul(t, E.sub(digamma(a), digamma(E.add(a, b))))


defjvp(betaln_p, _dlog_beta, lambda t, a, b: _dlog_beta(t, b, a))
defjvp(beta_p, lambda t, a, b: E.mul(_dlog_beta(t, a, b), beta(a, b)),
       lambda t, a, b: E.mul(_dlog_beta(t, b, a), beta(a, b)))

# ---------------------------------------------------------------- incomplete gamma

_LAGUERRE = np.polynomial.laguerre.laggauss(64)


def _gammainc_da_series(a: np.ndarray, x: np.ndarray, order: int) -> np.ndarray:
    """∂ᵏP/∂aᵏ (k = order, 1 or 2) from P(a, x) = Σ_k exp(T_j), T_j = (a+j) log x - x -
    gammaln(a+j+1), term by term: T_j' = log x - ψ(a+j+1), T_j'' = -ψ'(a+j+1)."""
    xm = float(np.max(x, initial=0.0))
    j = np.arange(int(xm + 12 * math.sqrt(xm) + 40))[:, None]
    logx = np.log(x)
    terms = np.exp((a + j) * logx - x - sc.gammaln(a + j + 1))
    d1 = logx - sc.psi(a + j + 1)
    d = d1 if order == 1 else d1 * d1 - sc.polygamma(1, a + j + 1)
    return np.sum(terms * d, axis=0)


def _gammainc_da_tail(a: np.ndarray, x: np.ndarray, order: int) -> np.ndarray:
    """∂ᵏP/∂aᵏ = -∂ᵏQ/∂aᵏ where Q is the small one, from the moments M_m = ∂ᵐΓ(a, x)/∂aᵐ /
    Γ(a) = ∫_x^∞ logᵐ t · t^{a-1} e^{-t} dt / Γ(a) by Gauss-Laguerre in u = c (t - x), c =
    1 - (a-1)/x (for a > 1: the integrand's exponential decay is then e^{-u}, to first
    order): ∂Q/∂a = M1 - ψQ, ∂²Q/∂a² = M2 - 2ψM1 + (ψ² - ψ')Q."""
    s, w = _LAGUERRE
    c = np.where(a > 1, 1 - (a - 1) / x, 1.0)
    lt = np.log(x[None, :] + s[:, None] / c)
    base = w[:, None] * np.exp((a - 1) * lt - x - sc.gammaln(a) + s[:, None] * (1 - 1 / c)
                               - np.log(c))
    m1 = np.sum(base * lt, axis=0)
    q, psi_a = sc.gammaincc(a, x), sc.psi(a)
    if order == 1:
        return psi_a * q - m1
    m2 = np.sum(base * lt * lt, axis=0)
    return -(m2 - 2 * psi_a * m1 + (psi_a ** 2 - sc.polygamma(1, a)) * q)


def _gammainc_da_impl(a, x, *, order: int):
    dt = np.result_type(a, x)
    a, x = (np.asarray(v, np.float64) for v in np.broadcast_arrays(a, x))
    out = np.full(a.shape, np.nan)
    ok = (a > 0) & (x >= 0)
    out[ok & (x == 0)] = 0.0
    tail = ok & (x > a + 3 * np.sqrt(np.maximum(a, 1.0)) + 1)
    series = ok & (x > 0) & ~tail
    with np.errstate(all="ignore"):
        if series.any():
            out[series] = _gammainc_da_series(a[series], x[series], order)
        if tail.any():
            out[tail] = _gammainc_da_tail(a[tail], x[tail], order)
        out[ok & np.isinf(x)] = 0.0
    return out.astype(dt)


gammainc_p = special_primitive("gammainc", sc.gammainc)
gammaincc_p = special_primitive("gammaincc", sc.gammaincc)
gammainc_da_p = special_primitive("gammainc_da", _gammainc_da_impl)


def gammainc(a: Any, x: Any) -> Any:
    """The regularized lower incomplete gamma function P(a, x) = γ(a, x)/Γ(a)."""
    return bind_float(gammainc_p, a, x)


def gammaincc(a: Any, x: Any) -> Any:
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return bind_float(gammaincc_p, a, x)


def _gamma_density(a, x):
    """∂P/∂x = x^{a-1} e^{-x} / Γ(a) (0 at x = 0 for a > 1)."""
    return E.exp(E.sub(E.sub(xlogy(E.sub(a, 1.0), x), x), gammaln(a)))


def _gamma_density_da(t, a, x, *, order):
    """t · ∂ᵏ/∂aᵏ of the density: density · (log x - ψ(a)) for k = 1, density ·
    ((log x - ψ(a))² - ψ'(a)) for k = 2."""
    d1 = E.sub(E.log(x), digamma(a))
    d = d1 if order == 1 else E.sub(E.square(d1), polygamma(1.0, a))
    return E.mul(t, E.mul(_gamma_density(a, x), d))


def _gammainc_da_da(t, a, x, *, order):
    if order == 2:
        raise NonDifferentiableError(
            "the derivative of scipy.special.gammainc with respect to `a` is implemented to "
            "second order (the third derivative in `a` is not); pass `a` as a constant")
    return E.mul(t, gammainc_da_p.bind(a, x, order=2))


defjvp(gammainc_p, lambda t, a, x: E.mul(t, gammainc_da_p.bind(a, x, order=1)),
       lambda t, a, x: E.mul(t, _gamma_density(a, x)))
defjvp(gammaincc_p, lambda t, a, x: E.neg(E.mul(t, gammainc_da_p.bind(a, x, order=1))),
       lambda t, a, x: E.neg(E.mul(t, _gamma_density(a, x))))
defjvp(gammainc_da_p, _gammainc_da_da, _gamma_density_da)

# ---------------------------------------------------------------- incomplete beta

def _betainc_d_series(a, b, x, wrt: int):
    """∂I_x(a, b)/∂a (wrt 0) or ∂/∂b (wrt 1) for x <= 1/2, term by term from I_x(a, b) =
    Σ_n exp(T_n), T_n = (a+n) log x + b log1p(-x) + gammaln(a+b+n) - gammaln(a+1+n) -
    gammaln(b) (all terms positive; they shrink like x^n once n > b)."""
    n = np.arange(int(2 * float(np.max(b, initial=0.0))) + 120)[:, None]
    logx, log1mx = np.log(x), np.log1p(-x)
    t = np.exp((a + n) * logx + b * log1mx + sc.gammaln(a + b + n) - sc.gammaln(a + 1 + n)
               - sc.gammaln(b))
    common = sc.psi(a + b + n)
    d = logx + common - sc.psi(a + 1 + n) if wrt == 0 else log1mx + common - sc.psi(b)
    return np.sum(t * d, axis=0)


def _betainc_d_impl(a, b, x, *, wrt: int):
    dt = np.result_type(a, b, x)
    a, b, x = (np.asarray(v, np.float64) for v in np.broadcast_arrays(a, b, x))
    out = np.full(a.shape, np.nan)
    ok = (a > 0) & (b > 0) & (x >= 0) & (x <= 1)
    out[ok & ((x == 0) | (x == 1))] = 0.0
    low = ok & (x > 0) & (x <= 0.5)
    high = ok & (x > 0.5) & (x < 1)       # I_x(a, b) = 1 - I_{1-x}(b, a)
    with np.errstate(all="ignore"):
        if low.any():
            out[low] = _betainc_d_series(a[low], b[low], x[low], wrt)
        if high.any():
            out[high] = -_betainc_d_series(b[high], a[high], 1 - x[high], 1 - wrt)
    return out.astype(dt)


betainc_p = special_primitive("betainc", sc.betainc)
betainc_d_p = special_primitive("betainc_d", _betainc_d_impl)


def betainc(a: Any, b: Any, x: Any) -> Any:
    """The regularized incomplete beta function I_x(a, b)."""
    return bind_float(betainc_p, a, b, x)


def _log_beta_density(a, b, x):
    return E.sub(E.add(xlogy(E.sub(a, 1.0), x), xlog1py(E.sub(b, 1.0), E.neg(x))),
                 betaln(a, b))


def _beta_density(t, a, b, x):
    """t · ∂I/∂x = t · x^{a-1} (1-x)^{b-1} / B(a, b)."""
    return E.mul(t, E.exp(_log_beta_density(a, b, x)))


def _betainc_d_dx(t, a, b, x, *, wrt):
    """t · ∂/∂x ∂I/∂a = t · density · (log x - ψ(a) + ψ(a+b)) (for b: log1p(-x), ψ(b))."""
    own = (E.log(x), digamma(a)) if wrt == 0 else (E.log1p(E.neg(x)), digamma(b))
    d = E.add(E.sub(own[0], own[1]), digamma(E.add(a, b)))
    return E.mul(_beta_density(t, a, b, x), d)


_second_order = not_differentiable(
    "betainc", "a` or `b", "is implemented to first order in the shapes (a second derivative "
    "in `a` or `b` is not)")
defjvp(betainc_p, lambda t, a, b, x: E.mul(t, betainc_d_p.bind(a, b, x, wrt=0)),
       lambda t, a, b, x: E.mul(t, betainc_d_p.bind(a, b, x, wrt=1)), _beta_density)
defjvp(betainc_d_p, _second_order, _second_order, _betainc_d_dx)
