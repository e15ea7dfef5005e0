"""The uniform distribution on [loc, loc + scale] (``jax.scipy.stats.uniform``)."""

from __future__ import annotations

from typing import Any

from ... import numpy as lnp
from ._util import NEG_INF, floats, masked, nan_at_nan, standardize


@nan_at_nan
def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    x, loc, scale = floats(x, loc, scale)
    y = standardize(x, loc, scale)
    return lnp.where((y >= 0) & (y <= 1), -lnp.log(scale), NEG_INF)


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logpdf(x, loc, scale))


@nan_at_nan
def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    x, loc, scale = floats(x, loc, scale)
    y = standardize(x, loc, scale)
    return lnp.where(y < 0, 0.0, lnp.where(y > 1, 1.0, masked((y >= 0) & (y <= 1), y, 0.5)))


def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    q, loc, scale = floats(q, loc, scale)
    return lnp.where((q >= 0) & (q <= 1), loc + q * scale, lnp.nan)
