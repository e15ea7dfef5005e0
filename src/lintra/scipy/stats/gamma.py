"""The gamma distribution (``jax.scipy.stats.gamma``); derivatives in the shape ``a`` of
cdf/sf come from ``gammainc``'s."""

from __future__ import annotations

from typing import Any

from ... import numpy as lnp
from .. import special as S
from ._util import NEG_INF, floats, masked, nan_at_nan, standardize


@nan_at_nan
def logpdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    x, a, loc, scale = floats(x, a, loc, scale)
    y = standardize(x, loc, scale)
    ok = y >= 0
    y = masked(ok, y, 1.0)
    out = S.xlogy(a - 1.0, y) - y - S.gammaln(a) - lnp.log(scale)
    return lnp.where(ok, out, NEG_INF)


def pdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logpdf(x, a, loc, scale))


def _y(x, a, loc, scale):
    x, a, loc, scale = floats(x, a, loc, scale)
    y = standardize(x, loc, scale)
    return a, masked(y > 0, y, 0.0)


@nan_at_nan
def cdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    a, y = _y(x, a, loc, scale)
    return S.gammainc(a, y)


@nan_at_nan
def logcdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.log(cdf(x, a, loc, scale))


@nan_at_nan
def sf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    a, y = _y(x, a, loc, scale)
    return S.gammaincc(a, y)


@nan_at_nan
def logsf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.log(sf(x, a, loc, scale))
