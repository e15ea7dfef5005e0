"""The negative binomial distribution (``jax.scipy.stats.nbinom``): failures before the
``n``-th success, differentiable in ``p`` and in the real-valued ``n``. cdf/sf are
``betainc``: any order in ``p``, first order in ``n``."""

from __future__ import annotations

from typing import Any

from ... import numpy as lnp
from .. import special as S
from ._util import NEG_INF, floats, masked, nan_at_nan, nan_unless


def _valid(n, p):
    return (n > 0) & (p > 0) & (p <= 1)


@nan_at_nan
def logpmf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    k, n, p, loc = floats(k, n, p, loc)
    x = k - loc
    ok = (x >= 0) & (x == lnp.round(x))
    x = masked(ok, x, 0.0)
    comb = S.gammaln(x + n) - S.gammaln(n) - S.gammaln(x + 1.0)
    out = lnp.where(ok, comb + S.xlogy(n, p) + S.xlog1py(x, -p), NEG_INF)
    return nan_unless(_valid(n, p), out)


def pmf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    return lnp.exp(logpmf(k, n, p, loc))


def _x(k, n, p, loc):
    k, n, p, loc = floats(k, n, p, loc)
    x = lnp.floor(k - loc)
    ok = x >= 0
    return n, p, ok, masked(ok, x, 0.0)


@nan_at_nan
def cdf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    n, p, ok, x = _x(k, n, p, loc)
    return nan_unless(_valid(n, p), lnp.where(ok, S.betainc(n, x + 1.0, p), 0.0))


@nan_at_nan
def sf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    n, p, ok, x = _x(k, n, p, loc)
    return nan_unless(_valid(n, p), lnp.where(ok, S.betainc(x + 1.0, n, 1.0 - p), 1.0))


@nan_at_nan
def logcdf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    return lnp.log(cdf(k, n, p, loc))


@nan_at_nan
def logsf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    return lnp.log(sf(k, n, p, loc))
