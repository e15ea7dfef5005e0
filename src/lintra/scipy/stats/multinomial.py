"""The multinomial distribution (``jax.scipy.stats.multinomial``): counts ``x`` along the
last axis, ``n`` trials, probabilities ``p`` along the last axis; differentiable in ``p``.
Unlike JAX, ``sum(x) == n`` is checked per batch element (SciPy's semantics)."""

from __future__ import annotations

from typing import Any

from ... import numpy as lnp
from .. import special as S
from ._util import NEG_INF, floats, masked


def logpmf(x: Any, n: Any, p: Any) -> Any:
    x, n, p = floats(x, n, p)
    counts = (x >= 0) & (x == lnp.round(x))
    ok = lnp.all(counts, axis=-1) & (lnp.sum(masked(counts, x, 0.0), axis=-1) == n)
    x = masked(counts, x, 0.0)
    out = S.gammaln(n + 1.0) + lnp.sum(S.xlogy(x, p) - S.gammaln(x + 1.0), axis=-1)
    return lnp.where(ok, out, NEG_INF)


def pmf(x: Any, n: Any, p: Any) -> Any:
    return lnp.exp(logpmf(x, n, p))
