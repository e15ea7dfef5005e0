"""Hypergeometric functions (``hyp1f1``, ``hyp2f1``), Owen's T, the sine/cosine and Fresnel
integrals (``sici``, ``fresnel``: two primitives each, one per result) and ``bessel_jn``
(JAX's: J₀..J_v stacked). The derivatives in the argument are closed forms in lintra
operations; those in the hypergeometric parameters are not implemented (as in JAX)."""

from __future__ import annotations

import math
from typing import Any

from ... import numpy as lnp
from ...ops import elementwise as E
from ...ops.shape import defjvp
from ._base import bind_float, not_differentiable, sc, special_primitive
from ._bessel import jn

hyp1f1_p = special_primitive("hyp1f1", sc.hyp1f1)
hyp2f1_p = special_primitive("hyp2f1", sc.hyp2f1)
owens_t_p = special_primitive("owens_t", sc.owens_t)
si_p = special_primitive("si", lambda x: sc.sici(x)[0])
ci_p = special_primitive("ci", lambda x: sc.sici(x)[1])
fresnel_s_p = special_primitive("fresnel_s", lambda x: sc.fresnel(x)[0])
fresnel_c_p = special_primitive("fresnel_c", lambda x: sc.fresnel(x)[1])


def hyp1f1(a: Any, b: Any, x: Any) -> Any:
    """Kummer's confluent hypergeometric function ₁F₁(a; b; x)."""
    return bind_float(hyp1f1_p, a, b, x)


def hyp2f1(a: Any, b: Any, c: Any, x: Any) -> Any:
    """Gauss's hypergeometric function ₂F₁(a, b; c; x)."""
    return bind_float(hyp2f1_p, a, b, c, x)


def owens_t(h: Any, a: Any) -> Any:
    """Owen's T function T(h, a) = 1/(2π) ∫_0^a exp(-h²(1+x²)/2)/(1+x²) dx."""
    return bind_float(owens_t_p, h, a)


def sici(x: Any) -> tuple[Any, Any]:
    """(Si(x), Ci(x)), the sine and cosine integrals."""
    return bind_float(si_p, x), bind_float(ci_p, x)


def fresnel(x: Any) -> tuple[Any, Any]:
    """(S(x), C(x)), the Fresnel integrals ∫_0^x sin(πt²/2) dt and ∫_0^x cos(πt²/2) dt."""
    return bind_float(fresnel_s_p, x), bind_float(fresnel_c_p, x)


def bessel_jn(z: Any, *, v: int, n_iter: int = 50) -> Any:
    """J₀(z) ... J_v(z) stacked along a new first axis (``jax.scipy.special.bessel_jn``)."""
    del n_iter
    return lnp.stack([jn(float(k), z) for k in range(int(v) + 1)])


def _param(fn: str, name: str):
    return not_differentiable(fn, name, "is not implemented (as in JAX)")


def _dhyp1f1(t, a, b, x):
    """d/dx ₁F₁(a; b; x) = a/b ₁F₁(a+1; b+1; x)."""
    return E.mul(t, E.mul(E.div(a, b), hyp1f1(E.add(a, 1.0), E.add(b, 1.0), x)))


def _dhyp2f1(t, a, b, c, x):
    """d/dx ₂F₁(a, b; c; x) = ab/c ₂F₁(a+1, b+1; c+1; x)."""
    return E.mul(t, E.mul(E.div(E.mul(a, b), c),
                          hyp2f1(E.add(a, 1.0), E.add(b, 1.0), E.add(c, 1.0), x)))


def _dowens_h(t, h, a):
    """∂T/∂h = -φ(h) erf(a h / √2) / 2."""
    phi = E.div(E.exp(E.mul(-0.5, E.mul(h, h))), math.sqrt(2.0 * math.pi))
    return E.mul(t, E.mul(-0.5, E.mul(phi, E.erf(E.div(E.mul(a, h), math.sqrt(2.0))))))


def _dowens_a(t, h, a):
    """∂T/∂a = exp(-h²(1+a²)/2) / (2π(1+a²))."""
    q = E.add(1.0, E.mul(a, a))
    return E.mul(t, E.div(E.exp(E.mul(-0.5, E.mul(E.mul(h, h), q))), E.mul(2.0 * math.pi, q)))


defjvp(hyp1f1_p, _param("hyp1f1", "a"), _param("hyp1f1", "b"), _dhyp1f1)
defjvp(hyp2f1_p, _param("hyp2f1", "a"), _param("hyp2f1", "b"), _param("hyp2f1", "c"),
       _dhyp2f1)
defjvp(owens_t_p, _dowens_h, _dowens_a)
defjvp(si_p, lambda t, x: E.mul(t, lnp.sinc(E.div(x, math.pi))))
defjvp(ci_p, lambda t, x: E.mul(t, E.div(E.cos(x), x)))
defjvp(fresnel_s_p, lambda t, x: E.mul(t, E.sin(E.mul(0.5 * math.pi, E.mul(x, x)))))
defjvp(fresnel_c_p, lambda t, x: E.mul(t, E.cos(E.mul(0.5 * math.pi, E.mul(x, x)))))
