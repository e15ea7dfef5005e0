"""The generalized normal distribution (``jax.scipy.stats.gennorm``), density
β/(2Γ(1/β)) exp(-|z|^β); cdf through ``gammainc`` (differentiable in β). ``loc`` and
``scale`` as SciPy's (JAX has neither)."""

from __future__ import annotations

import math
from typing import Any

from ... import numpy as lnp
from .. import special as S
from ._util import floats, masked, nan_unless, standardize


def _powered(x, beta, loc, scale):
    """(z, β masked to 1 where invalid, |z|^β with finite derivatives at z = 0, valid)."""
    x, beta, loc, scale = floats(x, beta, loc, scale)
    z = standardize(x, loc, scale)
    valid = beta > 0
    beta = masked(valid, beta, 1.0)
    nz = z != 0
    a = masked(nz, lnp.abs(z), 1.0)
    return z, beta, scale, lnp.where(nz, lnp.exp(beta * lnp.log(a)), 0.0), valid


def logpdf(x: Any, beta: Any, loc: Any = 0, scale: Any = 1) -> Any:
    _, beta, scale, p, valid = _powered(x, beta, loc, scale)
    out = lnp.log(beta) - math.log(2.0) - S.gammaln(1.0 / beta) - p - lnp.log(scale)
    return nan_unless(valid, out)


def pdf(x: Any, beta: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logpdf(x, beta, loc, scale))


def cdf(x: Any, beta: Any, loc: Any = 0, scale: Any = 1) -> Any:
    z, beta, _, p, valid = _powered(x, beta, loc, scale)
    tail = 0.5 * S.gammaincc(1.0 / beta, p)
    return nan_unless(valid, lnp.where(z > 0, 1.0 - tail, tail))


def sf(x: Any, beta: Any, loc: Any = 0, scale: Any = 1) -> Any:
    z, beta, _, p, valid = _powered(x, beta, loc, scale)
    tail = 0.5 * S.gammaincc(1.0 / beta, p)
    return nan_unless(valid, lnp.where(z > 0, tail, 1.0 - tail))
