"""The geometric distribution (``jax.scipy.stats.geom``): the number of trials up to the
first success, k = 1, 2, …; differentiable in ``p``."""

from __future__ import annotations

from typing import Any

from ... import numpy as lnp
from .. import special as S
from ._util import NEG_INF, floats, masked, nan_at_nan, nan_unless


def _valid(p):
    return (p > 0) & (p <= 1)


@nan_at_nan
def logpmf(k: Any, p: Any, loc: Any = 0) -> Any:
    k, p, loc = floats(k, p, loc)
    x = k - loc
    ok = (x >= 1) & (x == lnp.round(x))
    x = masked(ok, x, 1.0)
    out = lnp.where(ok, S.xlog1py(x - 1.0, -p) + lnp.log(p), NEG_INF)
    return nan_unless(_valid(p), out)


def pmf(k: Any, p: Any, loc: Any = 0) -> Any:
    return lnp.exp(logpmf(k, p, loc))


@nan_at_nan
def logsf(k: Any, p: Any, loc: Any = 0) -> Any:
    """log P(K > k) = floor(k - loc) · log(1 - p) (0 below the support)."""
    k, p, loc = floats(k, p, loc)
    x = lnp.floor(k - loc)
    ok = x >= 1
    out = lnp.where(ok, S.xlog1py(masked(ok, x, 1.0), -p), 0.0)
    return nan_unless(_valid(p), out)


def sf(k: Any, p: Any, loc: Any = 0) -> Any:
    return lnp.exp(logsf(k, p, loc))


def cdf(k: Any, p: Any, loc: Any = 0) -> Any:
    return 0.0 - lnp.expm1(logsf(k, p, loc))      # +0.0 below the support


def logcdf(k: Any, p: Any, loc: Any = 0) -> Any:
    return lnp.log(cdf(k, p, loc))
