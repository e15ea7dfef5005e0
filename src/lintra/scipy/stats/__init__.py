"""``lintra.scipy.stats``: the distributions of ``jax.scipy.stats`` (same modules, functions
and signatures), each a composition of lintra.numpy and lintra.scipy.special, so every
derivative (in x, loc, scale and the shape parameters) is derived."""

from . import (  # noqa: F401
    bernoulli,
    beta,
    betabinom,
    binom,
    cauchy,
    chi2,
    dirichlet,
    expon,
    gamma,
    gennorm,
    geom,
    gumbel_l,
    gumbel_r,
    laplace,
    logistic,
    multinomial,
    multivariate_normal,
    nbinom,
    norm,
    pareto,
    poisson,
    t,
    truncnorm,
    uniform,
    vonmises,
    wrapcauchy,
)
