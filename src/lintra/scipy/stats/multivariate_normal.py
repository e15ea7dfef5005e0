"""The multivariate normal distribution (``jax.scipy.stats.multivariate_normal``): x of shape
(..., n), a mean of shape (n,) (or a scalar), a covariance (n, n) (or a scalar variance),
through a Cholesky factor and a triangular solve."""

from __future__ import annotations

from typing import Any

from ... import numpy as lnp
from ._util import LOG_2PI, floats


def logpdf(x: Any, mean: Any, cov: Any, allow_singular: bool | None = None) -> Any:
    """SciPy's: a scalar or 1-D ``cov`` is a (diagonal) variance; ``allow_singular=False``
    is SciPy's default, True is not supported."""
    if allow_singular:
        raise NotImplementedError("multivariate_normal.logpdf: allow_singular is not "
                                  "supported")
    x, mean, cov = floats(x, mean, cov)
    ms, cs = lnp.shape(mean), lnp.shape(cov)
    if not ms:
        return -0.5 * lnp.square(x - mean) / cov - 0.5 * (LOG_2PI + lnp.log(cov))
    n = ms[-1]
    y = x - mean
    if not cs:
        return -0.5 * lnp.sum(y * y, axis=-1) / cov - 0.5 * n * (LOG_2PI + lnp.log(cov))
    if cs == (n,):
        return -0.5 * lnp.sum(y * y / cov, axis=-1) - 0.5 * (n * LOG_2PI
                                                              + lnp.sum(lnp.log(cov)))
    if cs != (n, n):
        raise ValueError(f"multivariate_normal.logpdf: cov must have shape ({n}, {n}) or "
                         f"({n},) for a mean of shape {ms}, got {cs}")
    chol = lnp.linalg.cholesky(cov)
    batch = lnp.shape(y)[:-1]
    cols = lnp.transpose(lnp.reshape(y, (-1, n)))
    z = lnp.linalg.solve_triangular(chol, cols, lower=True)
    maha = lnp.reshape(lnp.sum(z * z, axis=0), batch)
    return -0.5 * maha - 0.5 * n * LOG_2PI - lnp.sum(lnp.log(lnp.diagonal(chol)))


def pdf(x: Any, mean: Any, cov: Any) -> Any:
    return lnp.exp(logpdf(x, mean, cov))
