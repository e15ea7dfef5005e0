"""The Laplace distribution (``jax.scipy.stats.laplace``)."""

from __future__ import annotations

import math
from typing import Any

from ... import numpy as lnp
from ._util import floats, standardize


def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    x, loc, scale = floats(x, loc, scale)
    return -lnp.abs(standardize(x, loc, scale)) - math.log(2.0) - lnp.log(scale)


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    half_tail = 0.5 * lnp.exp(-lnp.abs(z))      # never overflows, on either side
    return lnp.where(z < 0, half_tail, 1.0 - half_tail)
