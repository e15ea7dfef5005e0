"""The Cauchy distribution (``jax.scipy.stats.cauchy``)."""

from __future__ import annotations

import math
from typing import Any

from ... import numpy as lnp
from ._util import floats, standardize


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


def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    q, loc, scale = floats(q, loc, scale)
    return loc + scale * lnp.tan(math.pi * (q - 0.5))


def isf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    q, loc, scale = floats(q, loc, scale)
    return loc + scale * lnp.tan(math.pi * (0.5 - q))
