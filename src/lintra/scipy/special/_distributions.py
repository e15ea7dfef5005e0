"""Inverses of the regularized incomplete gamma functions (gammaincinv, gammainccinv) and
Student's t CDF (stdtr), SciPy's values.

The inverses differentiate by the implicit-function rule at x = P⁻¹(a, y): dx/dy =
1/(∂P/∂x) (the gamma density at x; -1/density for Q⁻¹) and dx/da = -(∂P/∂a)/(∂P/∂x) for both
(P and Q = 1 - P fix the same x), with ∂P/∂a the ``gammainc_da`` primitive of ``_gamma``:
second order in a, as gammainc (a third raises), any order in y. stdtr's derivative in t is
the t density; in the degrees of freedom it is not implemented (JAX has no stdtr)."""

from __future__ import annotations

import math
from typing import Any

from ...ops import elementwise as E
from ...ops.shape import defjvp
from ._base import bind_float, not_differentiable, sc, special_primitive
from ._gamma import _gamma_density, gammainc_da_p, gammaln

gammaincinv_p = special_primitive("gammaincinv", sc.gammaincinv)
gammainccinv_p = special_primitive("gammainccinv", sc.gammainccinv)
stdtr_p = special_primitive("stdtr", sc.stdtr)


def gammaincinv(a: Any, y: Any) -> Any:
    """The x with gammainc(a, x) == y."""
    return bind_float(gammaincinv_p, a, y)


def gammainccinv(a: Any, y: Any) -> Any:
    """The x with gammaincc(a, x) == y."""
    return bind_float(gammainccinv_p, a, y)


def stdtr(df: Any, t: Any) -> Any:
    """Student's t distribution's CDF with ``df`` degrees of freedom, at ``t``."""
    return bind_float(stdtr_p, df, t)


def _dinv_da(inv):
    """t · dx/da = -t · ∂P/∂a / ∂P/∂x at x = inv(a, y)."""
    def rule(t, a, y):
        x = inv(a, y)
        return E.neg(E.mul(t, E.div(gammainc_da_p.bind(a, x, order=1), _gamma_density(a, x))))
    return rule


def _t_density(df, t):
    """Γ((ν+1)/2) / (√(νπ) Γ(ν/2)) · (1 + t²/ν)^{-(ν+1)/2}."""
    half = E.mul(0.5, E.add(df, 1.0))
    log_norm = E.sub(E.sub(gammaln(half), gammaln(E.mul(0.5, df))),
                     E.mul(0.5, E.log(E.mul(math.pi, df))))
    return E.exp(E.sub(log_norm, E.mul(half, E.log1p(E.div(E.square(t), df)))))


defjvp(gammaincinv_p, _dinv_da(gammaincinv),
       lambda t, a, y: E.div(t, _gamma_density(a, gammaincinv(a, y))))
defjvp(gammainccinv_p, _dinv_da(gammainccinv),
       lambda t, a, y: E.neg(E.div(t, _gamma_density(a, gammainccinv(a, y)))))
defjvp(stdtr_p, not_differentiable("stdtr", "df", "is not implemented (JAX has no stdtr)"),
       lambda t, df, x: E.mul(t, _t_density(df, x)))
