"""Hurwitz zeta, the exponential integrals, Dawson's and Spence's functions, erfcx, poch,
gammasgn and loggamma as primitives (SciPy's values), and factorial, comb, boxcox, boxcox1p
and bernoulli as compositions. Each derivative is written in lintra operations, so all modes
and orders follow; those with no closed form (zeta in ``x``, expn in ``n``) raise, as in JAX."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import numpy as lnp
from ...core.trace import Tracer
from ...ops import elementwise as E
from ...ops.shape import defjvp
from ._base import bind_float, not_differentiable, sc, special_primitive
from ._elementary import exprel
from ._gamma import digamma, gammaln

_2_SQRTPI = 2.0 / math.sqrt(math.pi)

zeta_p = special_primitive("zeta", sc.zeta)
erfcx_p = special_primitive("erfcx", sc.erfcx)
exp1_p = special_primitive("exp1", sc.exp1)
expi_p = special_primitive("expi", sc.expi)
expn_p = special_primitive("expn", lambda n, x: sc.expn(n, x))
dawsn_p = special_primitive("dawsn", sc.dawsn)
spence_p = special_primitive("spence", sc.spence)
poch_p = special_primitive("poch", sc.poch)
gammasgn_p = special_primitive("gammasgn", sc.gammasgn)


def zeta(x: Any, q: Any = None) -> Any:
    """The Hurwitz zeta function Σ_k (k + q)^-x (Riemann's when ``q`` is None), SciPy's
    values (nan for x < 1, inf at x == 1). Differentiable in ``q``, not in ``x`` (JAX)."""
    return bind_float(zeta_p, x, 1.0 if q is None else q)


def erfcx(x: Any) -> Any:
    """The scaled complementary error function exp(x²) erfc(x)."""
    return bind_float(erfcx_p, x)


def exp1(x: Any) -> Any:
    """E₁(x) = ∫_x^∞ e^{-t}/t dt."""
    return bind_float(exp1_p, x)


def expi(x: Any) -> Any:
    """Ei(x) = -PV ∫_{-x}^∞ e^{-t}/t dt."""
    return bind_float(expi_p, x)


def expn(n: Any, x: Any) -> Any:
    """Eₙ(x) = ∫_1^∞ e^{-xt}/tⁿ dt for integer n >= 0."""
    return bind_float(expn_p, n, x)


def dawsn(x: Any) -> Any:
    """Dawson's integral exp(-x²) ∫_0^x exp(t²) dt."""
    return bind_float(dawsn_p, x)


def spence(z: Any) -> Any:
    """Spence's function ∫_1^z log t / (1 - t) dt for z >= 0 (SciPy's convention)."""
    return bind_float(spence_p, z)


def poch(z: Any, m: Any) -> Any:
    """The Pochhammer symbol Γ(z + m) / Γ(z)."""
    return bind_float(poch_p, z, m)


def gammasgn(x: Any) -> Any:
    """The sign of Γ(x) (derivative 0)."""
    return bind_float(gammasgn_p, x)


def loggamma(x: Any) -> Any:
    """log Γ(x) for real x > 0 (nan for x < 0, SciPy's real ``loggamma``)."""
    x = lnp.asarray(x)
    if x.dtype.kind not in "fc":
        x = x.astype(np.float64)
    return lnp.where(x < 0, lnp.nan, gammaln(lnp.where(x < 0, 1.0, x)))


defjvp(zeta_p,
       not_differentiable("zeta", "x", "is not implemented (as in JAX)"),
       lambda t, x, q: E.mul(t, E.neg(E.mul(x, zeta(E.add(x, 1.0), q)))))
defjvp(erfcx_p, lambda t, x: E.mul(t, E.sub(E.mul(E.mul(2.0, x), erfcx(x)), _2_SQRTPI)))
defjvp(exp1_p, lambda t, x: E.mul(t, E.neg(E.div(E.exp(E.neg(x)), x))))
defjvp(expi_p, lambda t, x: E.mul(t, E.div(E.exp(x), x)))
def _dexpn(t, n, x):
    """t · dEₙ/dx = -t Eₙ₋₁(x), where E₀(x) = e^{-x}/x has dE₀/dx = -e^{-x}(1 + x)/x²."""
    lower = expn(E.select(E.ge(n, 1.0), E.sub(n, 1.0), E.mul(n, 0.0)), x)
    d0 = E.div(E.mul(E.exp(E.neg(x)), E.add(x, 1.0)), E.mul(x, x))
    return E.mul(t, E.neg(E.select(E.ge(n, 1.0), lower, d0)))


defjvp(expn_p, not_differentiable("expn", "n", "does not exist (n is an integer order)"),
       _dexpn)
defjvp(dawsn_p, lambda t, x: E.mul(t, E.sub(1.0, E.mul(E.mul(2.0, x), dawsn(x)))))
defjvp(spence_p, lambda t, z: E.mul(t, E.div(E.log(z), E.sub(1.0, z))))
defjvp(poch_p,
       lambda t, z, m: E.mul(t, E.mul(poch(z, m), E.sub(digamma(E.add(z, m)), digamma(z)))),
       lambda t, z, m: E.mul(t, E.mul(poch(z, m), digamma(E.add(z, m)))))
defjvp(gammasgn_p, lambda t, x: E.mul(t, 0.0))


def factorial(n: Any, exact: bool = False) -> Any:
    """n! = Γ(n + 1) as a float, 0 for n < 0 (``exact=True`` needs concrete integers and is
    NumPy's/SciPy's exact integer result)."""
    if exact:
        if isinstance(n, Tracer):
            raise ValueError("factorial: exact=True needs a concrete n (use exact=False)")
        return sc.factorial(n, exact=True)
    n = lnp.asarray(n)
    if n.dtype.kind not in "fc":
        n = n.astype(np.float64)
    return lnp.where(n < 0, 0.0, lnp.exp(gammaln(lnp.where(n < 0, 0.0, n) + 1.0)))


def comb(N: Any, k: Any, *, exact: bool = False, repetition: bool = False) -> Any:  # noqa: N803
    """The binomial coefficient N choose k as a float (0 where k < 0 or k > N, SciPy's
    ``exact=False``); with ``repetition``, N + k - 1 choose k."""
    if exact:
        if isinstance(N, Tracer) or isinstance(k, Tracer):
            raise ValueError("comb: exact=True needs concrete N and k (use exact=False)")
        return sc.comb(N, k, exact=True, repetition=repetition)
    N, k = lnp.asarray(N), lnp.asarray(k)
    if N.dtype.kind not in "fc":
        N = N.astype(np.float64)
    if repetition:
        N = N + k - 1
    ok = (k >= 0) & (N >= k) & (N >= 0)
    Ns, ks = lnp.where(ok, N, 1.0), lnp.where(ok, k, 0.0)
    val = lnp.exp(gammaln(Ns + 1.0) - gammaln(ks + 1.0) - gammaln(Ns - ks + 1.0))
    return lnp.where(ok, val, 0.0)


def boxcox(x: Any, lmbda: Any) -> Any:
    """The Box-Cox transform (x^λ - 1)/λ, log x at λ == 0."""
    x, lmbda = lnp.asarray(x), lnp.asarray(lmbda)
    if x.dtype.kind not in "fc":
        x = x.astype(np.float64)
    return _boxcox_log(lnp.log(x), lmbda)


def boxcox1p(x: Any, lmbda: Any) -> Any:
    """The Box-Cox transform of 1 + x: ((1+x)^λ - 1)/λ, log1p x at λ == 0."""
    x, lmbda = lnp.asarray(x), lnp.asarray(lmbda)
    if x.dtype.kind not in "fc":
        x = x.astype(np.float64)
    return _boxcox_log(lnp.log1p(x), lmbda)


def _boxcox_log(lx, lmbda):
    """expm1(λ log x)/λ = log x · exprel(λ log x): one formula through λ == 0 (its limit
    log x), so the derivatives in λ there are right too ((log x)²/2, ...), not those of a
    separate constant branch. At log x = -inf (x = 0) the limit is -1/λ for λ > 0 and -inf
    otherwise (SciPy), where the product gave -inf · 0 = nan."""
    edge = lx == -np.inf
    lx = lnp.where(edge, 0.0, lx)
    pos = lmbda > 0
    at_zero = lnp.where(pos, -1.0 / lnp.where(pos, lmbda, 1.0), -np.inf)
    return lnp.where(edge, at_zero, lx * exprel(lmbda * lx))


def bernoulli(n: int) -> np.ndarray:
    """The Bernoulli numbers B₀ ... Bₙ (a concrete integer n; SciPy's convention B₁ = -1/2)."""
    return np.asarray(sc.bernoulli(int(n)))
