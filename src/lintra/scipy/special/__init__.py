"""``lintra.scipy.special``: SciPy's special functions as lintra primitives (SciPy computes
the values; every derivative is a JVP rule written in lintra operations, so all modes and
orders follow). Needs SciPy: ``pip install lintra[scipy]``."""

from ._bessel import i0, i0e, i1, i1e, iv, ive, j0, j1, jn, kv, y0, y1, yn
from ._bessel2 import jv, k0, k0e, k1, k1e, kn, kve, spherical_jn, spherical_yn, yv
from ._complex import sph_harm_y, voigt_profile, wofz
from ._distributions import gammainccinv, gammaincinv, stdtr
from ._elementary import binom, cbrt, erfi, expm1, exprel, inv_boxcox, inv_boxcox1p, log_expit
from ._elliptic import ellipe, ellipk, ellipkm1
from ._error import erf, erfc, erfcinv, erfinv, log_ndtr, ndtr, ndtri
from ._extra import huber, kl_div, log_softmax, rel_entr, softmax
from ._gamma import (
    beta,
    betainc,
    betaln,
    digamma,
    gamma,
    gammainc,
    gammaincc,
    gammaln,
    multigammaln,
    polygamma,
    psi,
    rgamma,
)
from ._hyper import bessel_jn, fresnel, hyp1f1, hyp2f1, owens_t, sici
from ._misc import entr, expit, logit, logsumexp, xlog1py, xlogy
from ._zeta import (
    bernoulli,
    boxcox,
    boxcox1p,
    comb,
    dawsn,
    erfcx,
    exp1,
    expi,
    expn,
    factorial,
    gammasgn,
    loggamma,
    poch,
    spence,
    zeta,
)

__all__ = ["bernoulli", "bessel_jn", "beta", "betainc", "betaln", "binom", "boxcox", "boxcox1p",
           "cbrt", "comb", "dawsn", "digamma", "ellipe", "ellipk", "ellipkm1", "entr", "erf",
           "erfc", "erfcinv", "erfcx", "erfi", "erfinv", "exp1", "expi", "expit", "expm1", "expn",
           "exprel", "factorial", "fresnel", "gamma", "gammainc", "gammaincc", "gammainccinv",
           "gammaincinv", "gammaln", "gammasgn", "huber", "hyp1f1", "hyp2f1", "i0", "i0e", "i1",
           "i1e", "inv_boxcox", "inv_boxcox1p", "iv", "ive", "j0", "j1", "jn", "jv", "k0", "k0e",
           "k1", "k1e", "kl_div", "kn", "kv", "kve", "log_expit", "log_ndtr", "log_softmax",
           "loggamma", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri", "owens_t", "poch",
           "polygamma", "psi", "rel_entr", "rgamma", "sici", "softmax", "spence", "sph_harm_y",
           "spherical_jn", "spherical_yn", "stdtr", "voigt_profile", "wofz", "xlog1py", "xlogy",
           "y0", "y1", "yn", "yv", "zeta"]
