"""The Cauchy distribution (``jax.scipy.stats.cauchy``)."""

from __future__ import annotations

import math
from typing import Any

from ... import numpy as lnp
from ._util import floats, standardize, unit_quantile


def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    return -math.log(math.pi) - lnp.log(scale) - lnp.log1p(lnp.square(z))


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    x, loc, scale = floats(x, loc, scale)
    return 0.5 + lnp.arctan(standardize(x, loc, scale)) / math.pi


def logcdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.log(cdf(x, loc, scale))


def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    x, loc, scale = floats(x, loc, scale)
    return 0.5 - lnp.arctan(standardize(x, loc, scale)) / math.pi


def logsf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.log(sf(x, loc, scale))


def _tan_half(p):
    """``tan(pi p)`` for p in [-1/2, 1/2], infinite at the ends (SciPy's ppf(0) = -inf;
    tan(-pi/2) in floating point is -1.6e16)."""
    t = lnp.tan(math.pi * p)
    return lnp.where(lnp.abs(p) == 0.5, lnp.sign(p) * math.inf, t)


@unit_quantile
def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    q, loc, scale = floats(q, loc, scale)
    return loc + scale * _tan_half(q - 0.5)


@unit_quantile
def isf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    q, loc, scale = floats(q, loc, scale)
    return loc + scale * _tan_half(0.5 - q)
