"""The truncated normal distribution (``jax.scipy.stats.truncnorm``): a standard normal
restricted to a <= z <= b (a, b in standardized units, either may be infinite). Masses
Φ(hi) - Φ(lo) are taken in logs on the side of the smaller tail, so the far tails keep
their accuracy; ppf inverts Φ on that side too."""

from __future__ import annotations

import math
from typing import Any

from ... import numpy as lnp
from .. import special as S
from ._util import LOG_2PI, NEG_INF, floats, masked, nan_at_nan, nan_unless, standardize


def _log_mass(lo, hi):
    """log(Φ(hi) - Φ(lo)) for lo < hi: in the lower tail, in the upper tail (by symmetry),
    or as 1 - Φ(lo) - Φ(-hi) across 0; each branch evaluated only where it is chosen."""
    upper = lo > 0
    lower = hi < 0
    mid = ~(upper | lower)
    lo_l, hi_l = masked(lower, lo, -2.0), masked(lower, hi, -1.0)
    lo_u, hi_u = masked(upper, lo, 1.0), masked(upper, hi, 2.0)
    lo_m, hi_m = masked(mid, lo, -1.0), masked(mid, hi, 1.0)

    def tail(a, b):          # log(Φ(b) - Φ(a)), a < b <= 0
        lb = S.log_ndtr(b)
        return lb + lnp.log(-lnp.expm1(S.log_ndtr(a) - lb))

    out_l = tail(lo_l, hi_l)
    out_u = tail(-hi_u, -lo_u)
    out_m = lnp.log1p(-S.ndtr(lo_m) - S.ndtr(-hi_m))
    return lnp.where(lower, out_l, lnp.where(upper, out_u, out_m))


def _prep(x, a, b, loc, scale):
    x, a, b, loc, scale = floats(x, a, b, loc, scale)
    z = standardize(x, loc, scale)
    valid = a < b
    a, b = masked(valid, a, -1.0), masked(valid, b, 1.0)
    return z, a, b, scale, valid


def _interior(z, a, b):
    """z where a < z < b, else a point inside (finite whatever the bounds)."""
    inside = (z > a) & (z < b)
    fa, fb = lnp.isfinite(a), lnp.isfinite(b)
    ma, mb = masked(fa, a, 0.0), masked(fb, b, 0.0)
    safe = lnp.where(fa & fb, 0.5 * (ma + mb),
                     lnp.where(fa, ma + 1.0, lnp.where(fb, mb - 1.0, 0.0)))
    return inside, lnp.where(inside, z, safe)


@nan_at_nan
def logpdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    z, a, b, scale, valid = _prep(x, a, b, loc, scale)
    ok = (z >= a) & (z <= b)
    zz = masked(ok, z, 0.0)
    out = -0.5 * lnp.square(zz) - 0.5 * LOG_2PI - _log_mass(a, b) - lnp.log(scale)
    return nan_unless(valid, lnp.where(ok, out, NEG_INF))


def pdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logpdf(x, a, b, loc, scale))


def _log_cdf_sf(x, a, b, loc, scale):
    """(log cdf, log sf) inside the support, each from the other (log1p(-exp(·))) where it
    is above log(1/2), so neither loses its small distance from 0 to cancellation."""
    z, a, b, _, valid = _prep(x, a, b, loc, scale)
    inside, zz = _interior(z, a, b)
    log_z = _log_mass(a, b)
    lc, ls = _log_mass(a, zz) - log_z, _log_mass(zz, b) - log_z
    half = -math.log(2.0)
    lc, ls = (lnp.where(lc > half, lnp.log1p(-lnp.exp(ls)), lc),
              lnp.where(ls > half, lnp.log1p(-lnp.exp(lc)), ls))
    return z, a, b, inside, valid, lc, ls


@nan_at_nan
def logcdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    z, a, b, inside, valid, lc, _ = _log_cdf_sf(x, a, b, loc, scale)
    out = lnp.where(z >= b, 0.0, lnp.where(inside, lc, NEG_INF))
    return nan_unless(valid, out)


@nan_at_nan
def cdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logcdf(x, a, b, loc, scale))


@nan_at_nan
def logsf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    z, a, b, inside, valid, _, ls = _log_cdf_sf(x, a, b, loc, scale)
    out = lnp.where(z <= a, 0.0, lnp.where(inside, ls, NEG_INF))
    return nan_unless(valid, out)


@nan_at_nan
def sf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logsf(x, a, b, loc, scale))


def ppf(q: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """Φ⁻¹(Φ(a) + q (Φ(b) - Φ(a))), or its mirror image -Φ⁻¹(Φ(-b) + (1 - q) (Φ(-a) - Φ(-b)))
    when a > 0 (where Φ(a) rounds towards 1): sums of positive terms, no cancellation."""
    q, a, b, loc, scale = floats(q, a, b, loc, scale)
    valid = (a < b) & (q >= 0) & (q <= 1)
    a, b, q = masked(valid, a, -1.0), masked(valid, b, 1.0), masked(valid, q, 0.5)
    up = a > 0
    pa, pb = S.ndtr(lnp.where(up, -a, a)), S.ndtr(lnp.where(up, -b, b))
    z = S.ndtri(lnp.where(up, pb + (1.0 - q) * (pa - pb), pa + q * (pb - pa)))
    return nan_unless(valid, loc + scale * lnp.where(up, -z, z))
