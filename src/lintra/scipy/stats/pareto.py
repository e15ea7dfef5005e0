"""The Pareto distribution (``jax.scipy.stats.pareto``): sf y^-b on y = (x - loc)/scale >= 1."""

from __future__ import annotations

from typing import Any

from ... import numpy as lnp
from ._util import NEG_INF, floats, masked, nan_at_nan, nan_unless, standardize, unit_quantile


def _logy(x, b, loc, scale):
    """(b, log y masked to 0 below the support, whether y >= 1)."""
    x, b, loc, scale = floats(x, b, loc, scale)
    y = standardize(x, loc, scale)
    ok = y >= 1
    return b, scale, ok, lnp.log(masked(ok, y, 1.0))


@nan_at_nan
def logpdf(x: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    b, scale, ok, logy = _logy(x, b, loc, scale)
    out = lnp.log(b) - (b + 1.0) * logy - lnp.log(scale)
    return nan_unless(b > 0, lnp.where(ok, out, NEG_INF))


def pdf(x: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logpdf(x, b, loc, scale))


@nan_at_nan
def logsf(x: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    b, _, _, logy = _logy(x, b, loc, scale)
    return nan_unless(b > 0, -b * logy)


def sf(x: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logsf(x, b, loc, scale))


def cdf(x: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return -lnp.expm1(logsf(x, b, loc, scale))


@nan_at_nan
def logcdf(x: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    b, _, ok, logy = _logy(x, b, loc, scale)
    inside = lnp.log(-lnp.expm1(-b * masked(ok, logy, 1.0)))
    return nan_unless(b > 0, lnp.where(ok, inside, NEG_INF))


@unit_quantile
def ppf(q: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    q, b, loc, scale = floats(q, b, loc, scale)
    return nan_unless(b > 0, loc + scale * lnp.exp(-lnp.log1p(-q) / b))


@unit_quantile
def isf(q: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    q, b, loc, scale = floats(q, b, loc, scale)
    return nan_unless(b > 0, loc + scale * lnp.exp(-lnp.log(q) / b))
