"""The beta distribution (``jax.scipy.stats.beta``). cdf/sf are ``betainc``: differentiable
to any order in x, loc and scale, to first order in the shapes a, b (JAX: not at all)."""

from __future__ import annotations

from typing import Any

from ... import numpy as lnp
from .. import special as S
from ._util import NEG_INF, floats, masked, nan_at_nan, standardize


@nan_at_nan
def logpdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    x, a, b, loc, scale = floats(x, a, b, loc, scale)
    y = standardize(x, loc, scale)
    ok = (y >= 0) & (y <= 1)
    y = masked(ok, y, 0.5)
    out = S.xlogy(a - 1.0, y) + S.xlog1py(b - 1.0, -y) - S.betaln(a, b) - lnp.log(scale)
    return lnp.where(ok, out, NEG_INF)


def pdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logpdf(x, a, b, loc, scale))


def _y(x, a, b, loc, scale):
    x, a, b, loc, scale = floats(x, a, b, loc, scale)
    y = standardize(x, loc, scale)
    y = masked(y > 0, y, 0.0)
    return a, b, masked(y < 1, y, 1.0)


@nan_at_nan
def cdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    a, b, y = _y(x, a, b, loc, scale)
    return S.betainc(a, b, y)


@nan_at_nan
def logcdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.log(cdf(x, a, b, loc, scale))


@nan_at_nan
def sf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    a, b, y = _y(x, a, b, loc, scale)
    return S.betainc(b, a, 1.0 - y)


@nan_at_nan
def logsf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.log(sf(x, a, b, loc, scale))
