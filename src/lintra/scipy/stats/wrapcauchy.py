"""The wrapped Cauchy distribution (``jax.scipy.stats.wrapcauchy``; SciPy's name) on
0 <= (x - loc)/scale <= 2π, shape 0 < c < 1; cdf, sf and ppf in SciPy's closed forms."""

from __future__ import annotations

import math
from typing import Any

from ... import numpy as lnp
from ._util import NEG_INF, floats, masked, nan_at_nan, nan_unless, standardize, unit_quantile

TWO_PI = 2 * math.pi


def _args(x, c, loc, scale):
    x, c, loc, scale = floats(x, c, loc, scale)
    ok = (c > 0) & (c < 1)
    return standardize(x, loc, scale), masked(ok, c, 0.5), scale, ok


@nan_at_nan
def logpdf(x: Any, c: Any, loc: Any = 0, scale: Any = 1) -> Any:
    z, c, scale, valid = _args(x, c, loc, scale)
    inside = (z >= 0) & (z <= TWO_PI)
    out = (lnp.log1p(-c * c) - math.log(TWO_PI) - lnp.log(scale)
           - lnp.log1p(c * c - 2.0 * c * lnp.cos(z)))
    return nan_unless(valid, lnp.where(inside, out, NEG_INF))


def pdf(x: Any, c: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logpdf(x, c, loc, scale))


@nan_at_nan
def cdf(x: Any, c: Any, loc: Any = 0, scale: Any = 1) -> Any:
    z, c, _, valid = _args(x, c, loc, scale)
    cr = (1.0 + c) / (1.0 - c)
    low = z < math.pi
    zl = masked(low & (z > 0), z, 1.0)
    zh = masked(~low & (z < TWO_PI), z, 4.0)
    left = lnp.arctan(cr * lnp.tan(0.5 * zl)) / math.pi
    right = 1.0 - lnp.arctan(cr * lnp.tan(0.5 * (TWO_PI - zh))) / math.pi
    out = lnp.where(z <= 0, 0.0, lnp.where(z >= TWO_PI, 1.0, lnp.where(low, left, right)))
    return nan_unless(valid, out)


@nan_at_nan
def sf(x: Any, c: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return 1.0 - cdf(x, c, loc, scale)


@unit_quantile
def ppf(q: Any, c: Any, loc: Any = 0, scale: Any = 1) -> Any:
    q, c, loc, scale = floats(q, c, loc, scale)
    valid = (c > 0) & (c < 1)
    c = masked(valid, c, 0.5)
    val = (1.0 - c) / (1.0 + c)
    low = q < 0.5
    ql, qh = masked(low, q, 0.25), masked(low, 0.75, q)
    rcq = 2.0 * lnp.arctan(val * lnp.tan(math.pi * ql))
    rcmq = TWO_PI - 2.0 * lnp.arctan(val * lnp.tan(math.pi * (1.0 - qh)))
    return nan_unless(valid, loc + scale * lnp.where(low, rcq, rcmq))
