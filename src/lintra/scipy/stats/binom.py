"""The binomial distribution (``jax.scipy.stats.binom``), differentiable in ``p`` and in the
real-valued ``n`` (through gammaln)."""

from __future__ import annotations

from typing import Any

from ... import numpy as lnp
from .. import special as S
from ._util import NEG_INF, floats, masked, nan_at_nan


@nan_at_nan
def logpmf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    k, n, p, loc = floats(k, n, p, loc)
    x = k - loc
    ok = (x >= 0) & (x <= n) & (x == lnp.round(x))
    x = masked(ok, x, 0.0)
    comb = S.gammaln(n + 1.0) - S.gammaln(x + 1.0) - S.gammaln(n - x + 1.0)
    return lnp.where(ok, comb + S.xlogy(x, p) + S.xlog1py(n - x, -p), NEG_INF)


def pmf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    return lnp.exp(logpmf(k, n, p, loc))
