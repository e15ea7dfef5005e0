"""The logistic distribution (``jax.scipy.stats.logistic``)."""

from __future__ import annotations

from typing import Any

from ... import numpy as lnp
from .. import special as S
from ._util import floats, standardize


def _softplus(u):
    return lnp.logaddexp(0.0, u)


def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    x, loc, scale = floats(x, loc, scale)
    z = lnp.abs(standardize(x, loc, scale))    # the density is even: at z = -inf the
    return -z - 2.0 * _softplus(-z) - lnp.log(scale)  # form in z gave inf - inf = nan


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    x, loc, scale = floats(x, loc, scale)
    return S.expit(standardize(x, loc, scale))


def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    x, loc, scale = floats(x, loc, scale)
    return S.expit(-standardize(x, loc, scale))


def ppf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    x, loc, scale = floats(x, loc, scale)
    return S.logit(x) * scale + loc


def isf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    x, loc, scale = floats(x, loc, scale)
    return loc - S.logit(x) * scale
