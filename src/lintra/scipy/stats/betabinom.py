"""The beta-binomial distribution (``jax.scipy.stats.betabinom``), differentiable in the
real-valued ``n`` and the shapes ``a``, ``b`` (through gammaln and betaln)."""

from __future__ import annotations

from typing import Any

from ... import numpy as lnp
from .. import special as S
from ._util import NEG_INF, floats, masked, nan_at_nan, nan_unless


@nan_at_nan
def logpmf(k: Any, n: Any, a: Any, b: Any, loc: Any = 0) -> Any:
    k, n, a, b, loc = floats(k, n, a, b, loc)
    x = k - loc
    ok = (x >= 0) & (x <= n) & (x == lnp.round(x))
    x = masked(ok, x, 0.0)
    comb = S.gammaln(n + 1.0) - S.gammaln(x + 1.0) - S.gammaln(n - x + 1.0)
    out = lnp.where(ok, comb + S.betaln(x + a, n - x + b) - S.betaln(a, b), NEG_INF)
    return nan_unless((n >= 0) & (a > 0) & (b > 0), out)


def pmf(k: Any, n: Any, a: Any, b: Any, loc: Any = 0) -> Any:
    return lnp.exp(logpmf(k, n, a, b, loc))
