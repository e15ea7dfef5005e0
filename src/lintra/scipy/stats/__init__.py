"""``lintra.scipy.stats``: the distributions of ``jax.scipy.stats`` (same modules, functions
and signatures), each a composition of lintra.numpy and lintra.scipy.special, so every
derivative (in x, loc, scale and the shape parameters) is derived."""

from . import (  # noqa: F401
    bernoulli,
    beta,
    binom,
    cauchy,
    chi2,
    dirichlet,
    expon,
    gamma,
    laplace,
    logistic,
    multivariate_normal,
    norm,
    poisson,
    t,
    uniform,
)
