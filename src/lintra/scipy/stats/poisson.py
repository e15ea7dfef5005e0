"""The Poisson distribution (``jax.scipy.stats.poisson``): pmf, logpmf, cdf (differentiable
in ``mu`` through ``gammaincc``) and entropy."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import numpy as lnp
from .. import special as S
from ._util import NEG_INF, floats, masked, nan_at_nan

# entropy: the series -Σ p log p over k < _TERMS for mu < _LARGE (its tail beyond k = 220 is
# below 1e-16 there), the asymptotic expansion in 1/mu above
_TERMS, _LARGE = 240, 100.0


@nan_at_nan
def logpmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    k, mu, loc = floats(k, mu, loc)
    x = k - loc
    ok = (x >= 0) & (x == lnp.round(x))
    x = masked(ok, x, 0.0)
    out = S.xlogy(x, mu) - S.gammaln(x + 1.0) - mu
    return lnp.where(ok, out, NEG_INF)


def pmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    return lnp.exp(logpmf(k, mu, loc))


@nan_at_nan
def cdf(k: Any, mu: Any, loc: Any = 0) -> Any:
    k, mu, loc = floats(k, mu, loc)
    x = lnp.floor(k - loc)
    ok = x >= 0
    return lnp.where(ok, S.gammaincc(masked(ok, x, 0.0) + 1.0, mu), 0.0)


def entropy(mu: Any, loc: Any = 0) -> Any:
    """-Σ_k p_k log p_k (``loc`` shifts the support, not the entropy)."""
    mu, loc = floats(mu, loc)
    mu = mu + lnp.zeros_like(loc)
    small = masked(mu < _LARGE, mu, 1.0)[..., None]
    k = np.arange(_TERMS, dtype=lnp.asarray(mu).dtype)
    logp = S.xlogy(k, small) - small - S.gammaln(k + 1.0)
    series = -lnp.sum(lnp.exp(logp) * logp, axis=-1)
    m = masked(mu < _LARGE, _LARGE, mu)
    inv = 1.0 / m
    asymptotic = (0.5 * lnp.log(2 * math.pi * math.e * m)
                  - inv * (1 / 12 + inv * (1 / 24 + inv * 19 / 360)))
    return lnp.where(mu < _LARGE, series, asymptotic)
