"""The chi-squared distribution (``jax.scipy.stats.chi2``): gamma(df/2, scale=2·scale)."""

from __future__ import annotations

from typing import Any

from . import gamma
from ._util import floats


def _as_gamma(x, df, loc, scale):
    x, df, loc, scale = floats(x, df, loc, scale)
    return x, 0.5 * df, loc, 2.0 * scale


def logpdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return gamma.logpdf(*_as_gamma(x, df, loc, scale))


def pdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return gamma.pdf(*_as_gamma(x, df, loc, scale))


def cdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return gamma.cdf(*_as_gamma(x, df, loc, scale))


def logcdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return gamma.logcdf(*_as_gamma(x, df, loc, scale))


def sf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return gamma.sf(*_as_gamma(x, df, loc, scale))


def logsf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return gamma.logsf(*_as_gamma(x, df, loc, scale))
