"""The von Mises distribution (``jax.scipy.stats.vonmises``), periodic with period 2π as in
SciPy; normalized through ``i0e`` so large ``kappa`` does not overflow. ``loc`` and
``scale`` as SciPy's (JAX has neither)."""

from __future__ import annotations

import math
from typing import Any

from ... import numpy as lnp
from .. import special as S
from ._util import floats, masked, nan_unless, standardize


def logpdf(x: Any, kappa: Any, loc: Any = 0, scale: Any = 1) -> Any:
    x, kappa, loc, scale = floats(x, kappa, loc, scale)
    z = standardize(x, loc, scale)
    ok = kappa >= 0
    k = masked(ok, kappa, 1.0)
    out = k * (lnp.cos(z) - 1.0) - lnp.log(S.i0e(k)) - math.log(2 * math.pi) - lnp.log(scale)
    return nan_unless(ok, out)


def pdf(x: Any, kappa: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logpdf(x, kappa, loc, scale))
