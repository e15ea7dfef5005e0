"""Student's t distribution (``jax.scipy.stats.t``)."""

from __future__ import annotations

import math
from typing import Any

from ... import numpy as lnp
from .. import special as S
from ._util import floats, standardize


def logpdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    x, df, loc, scale = floats(x, df, loc, scale)
    z = standardize(x, loc, scale)
    half = 0.5 * (df + 1.0)
    norm = (S.gammaln(half) - S.gammaln(0.5 * df) - 0.5 * lnp.log(df * math.pi)
            - lnp.log(scale))
    return norm - half * lnp.log1p(lnp.square(z) / df)


def pdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    return lnp.exp(logpdf(x, df, loc, scale))
