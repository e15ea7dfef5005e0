"""The Dirichlet distribution (``jax.scipy.stats.dirichlet``): x has the simplex axis first
(K entries, or K - 1 with the last implied), alpha is one-dimensional."""

from __future__ import annotations

from typing import Any

from ... import numpy as lnp
from .. import special as S
from ._util import NEG_INF, floats, masked


def logpdf(x: Any, alpha: Any) -> Any:
    x, alpha = floats(x, alpha)
    xs, ks = lnp.shape(x), lnp.shape(alpha)
    if len(ks) != 1:
        raise ValueError(f"dirichlet.logpdf: alpha must be one-dimensional, got shape {ks}")
    if not xs or xs[0] not in (ks[0], ks[0] - 1):
        raise ValueError(f"dirichlet.logpdf: x must have K = {ks[0]} entries along its first "
                         f"axis (or K - 1), got shape {xs}")
    if xs[0] != ks[0]:
        x = lnp.concatenate([x, 1.0 - lnp.sum(x, axis=0, keepdims=True)], axis=0)
    a = lnp.reshape(alpha, ks + (1,) * (len(xs) - 1))
    ok = lnp.all(x > 0, axis=0) & (lnp.abs(lnp.sum(x, axis=0) - 1.0) < 1e-6)
    norm = lnp.sum(S.gammaln(alpha)) - S.gammaln(lnp.sum(alpha))
    out = lnp.sum(S.xlogy(a - 1.0, masked(x > 0, x, 1.0)), axis=0) - norm
    return lnp.where(ok, out, NEG_INF)


def pdf(x: Any, alpha: Any) -> Any:
    return lnp.exp(logpdf(x, alpha))
