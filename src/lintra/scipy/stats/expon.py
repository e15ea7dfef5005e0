"""The exponential distribution (``jax.scipy.stats.expon``)."""

from __future__ import annotations

from typing import Any

from ... import numpy as lnp
from ._util import NEG_INF, floats, masked, nan_at_nan, standardize, unit_quantile


def _y(x, loc, scale):
    x, loc, scale = floats(x, loc, scale)
    y = standardize(x, loc, scale)
    ok = y >= 0
    return ok, masked(ok, y, 0.0), scale


@nan_at_nan
def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    ok, y, scale = _y(x, loc, scale)
    return lnp.where(ok, -y - lnp.log(scale), NEG_INF)


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logpdf(x, loc, scale))


@nan_at_nan
def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    ok, y, _ = _y(x, loc, scale)
    return lnp.where(ok, -lnp.expm1(-y), 0.0)


def logcdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.log(cdf(x, loc, scale))


def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logsf(x, loc, scale))


@nan_at_nan
def logsf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    ok, y, _ = _y(x, loc, scale)
    return lnp.where(ok, -y, 0.0)


@unit_quantile
def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    q, loc, scale = floats(q, loc, scale)
    return -lnp.log1p(-q) * scale + loc
