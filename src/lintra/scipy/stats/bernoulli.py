"""The Bernoulli distribution (``jax.scipy.stats.bernoulli``)."""

from __future__ import annotations

from typing import Any

from ... import numpy as lnp
from .. import special as S
from ._util import NEG_INF, floats, masked, nan_at_nan


@nan_at_nan
def logpmf(k: Any, p: Any, loc: Any = 0) -> Any:
    k, p, loc = floats(k, p, loc)
    x = k - loc
    ok = (x == 0) | (x == 1)
    x = masked(ok, x, 0.0)
    return lnp.where(ok, S.xlogy(x, p) + S.xlog1py(1.0 - x, -p), NEG_INF)


def pmf(k: Any, p: Any, loc: Any = 0) -> Any:
    return lnp.exp(logpmf(k, p, loc))


def cdf(k: Any, p: Any) -> Any:
    k, p = floats(k, p)
    out = lnp.where(k < 0, 0.0, lnp.where(k < 1, 1.0 - p, 1.0))
    return lnp.where(lnp.isnan(k) | (p < 0) | (p > 1), lnp.nan, out)


def ppf(q: Any, p: Any) -> Any:
    q, p = floats(q, p)
    out = lnp.where(q <= 1.0 - p, 0.0, 1.0)
    out = lnp.where(q == 0, -1.0, out)       # SciPy: the smallest k with cdf(k) >= 0 is -1
    return lnp.where(lnp.isnan(q) | (q < 0) | (q > 1), lnp.nan, out)
