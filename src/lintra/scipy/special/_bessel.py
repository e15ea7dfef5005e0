"""Bessel functions: j0 j1 y0 y1 i0 i1 i0e i1e (order fixed) and iv ive jn yn kv (order an
operand). Derivatives in x come from the recurrences (J_v' = (J_{v-1} - J_{v+1})/2,
I_v' = (I_{v-1} + I_{v+1})/2, K_v' = -(K_{v-1} + K_{v+1})/2; the exponentially scaled ones
add -sign(x) times themselves), written with these same functions, so any order works. The
derivatives of iv, ive, kv (and kve, in _bessel2) in their real order v are a primitive
(``bessel_dv``: Gauss-Legendre quadrature of their integral representations), first order in v
and any order in x (JAX has none); jn and yn take integer orders, in which there is no
derivative."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...ops import elementwise as E
from ...ops.shape import defjvp
from ._base import bind_float, not_differentiable, sc, special_primitive

j0_p = special_primitive("j0", sc.j0)
j1_p = special_primitive("j1", sc.j1)
y0_p = special_primitive("y0", sc.y0)
y1_p = special_primitive("y1", sc.y1)
i0_p = special_primitive("i0", sc.i0)
i1_p = special_primitive("i1", sc.i1)
i0e_p = special_primitive("i0e", sc.i0e)
i1e_p = special_primitive("i1e", sc.i1e)
iv_p = special_primitive("iv", sc.iv)
ive_p = special_primitive("ive", sc.ive)
jn_p = special_primitive("jn", sc.jv)     # scipy's jn is jv at integer orders
yn_p = special_primitive("yn", sc.yv)
kv_p = special_primitive("kv", sc.kv)


def j0(x: Any) -> Any:
    """Bessel function of the first kind of order 0."""
    return bind_float(j0_p, x)


def j1(x: Any) -> Any:
    """Bessel function of the first kind of order 1."""
    return bind_float(j1_p, x)


def y0(x: Any) -> Any:
    """Bessel function of the second kind of order 0."""
    return bind_float(y0_p, x)


def y1(x: Any) -> Any:
    """Bessel function of the second kind of order 1."""
    return bind_float(y1_p, x)


def i0(x: Any) -> Any:
    """Modified Bessel function of the first kind of order 0."""
    return bind_float(i0_p, x)


def i1(x: Any) -> Any:
    """Modified Bessel function of the first kind of order 1."""
    return bind_float(i1_p, x)


def i0e(x: Any) -> Any:
    """exp(-|x|) · i0(x)."""
    return bind_float(i0e_p, x)


def i1e(x: Any) -> Any:
    """exp(-|x|) · i1(x)."""
    return bind_float(i1e_p, x)


def iv(v: Any, x: Any) -> Any:
    """Modified Bessel function of the first kind of real order v."""
    return bind_float(iv_p, v, x)


def ive(v: Any, x: Any) -> Any:
    """exp(-|x|) · iv(v, x)."""
    return bind_float(ive_p, v, x)


def jn(n: Any, x: Any) -> Any:
    """Bessel function of the first kind of integer order n."""
    return bind_float(jn_p, n, x)


def yn(n: Any, x: Any) -> Any:
    """Bessel function of the second kind of integer order n."""
    return bind_float(yn_p, n, x)


def kv(v: Any, x: Any) -> Any:
    """Modified Bessel function of the second kind of real order v."""
    return bind_float(kv_p, v, x)


def _half(t, a, b):
    return E.mul(t, E.mul(0.5, E.add(a, b)))


def _half_diff(t, a, b):
    return E.mul(t, E.mul(0.5, E.sub(a, b)))


def _scaled(d, t, x, f):
    """The derivative d of exp(-|x|) g(x) = f, from g's recurrence: d - sign(x) f."""
    return E.sub(d, E.mul(t, E.mul(E.sign(x), f)))


defjvp(j0_p, lambda t, x: E.neg(E.mul(t, j1(x))))
defjvp(j1_p, lambda t, x: _half_diff(t, j0(x), jn(2.0, x)))
defjvp(y0_p, lambda t, x: E.neg(E.mul(t, y1(x))))
defjvp(y1_p, lambda t, x: _half_diff(t, y0(x), yn(2.0, x)))
defjvp(i0_p, lambda t, x: E.mul(t, i1(x)))
defjvp(i1_p, lambda t, x: _half(t, i0(x), iv(2.0, x)))
defjvp(i0e_p, lambda t, x: _scaled(E.mul(t, i1e(x)), t, x, i0e(x)))
defjvp(i1e_p, lambda t, x: _scaled(_half(t, i0e(x), ive(2.0, x)), t, x, i1e(x)))


# ---------------------------------------------------------------- derivatives in the order

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(160)
_TS = np.geomspace(0.01, 40.0, 400)[:, None]


def _legendre(lo, hi, f):
    """∫_lo^hi f(t) dt per column, Gauss-Legendre (lo, hi: arrays of one shape)."""
    half = (hi - lo) / 2
    t = lo + half * (_NODES[:, None] + 1)
    return half * np.sum(_WEIGHTS[:, None] * f(t), axis=0)


def _cutoff(v, x):
    """The t beyond which e^{-x (cosh t - 1) + |v| t} < e^{-45}."""
    ok = x * (np.cosh(_TS) - 1) - np.abs(v) * _TS > 45
    return _TS[np.argmax(ok, axis=0), 0]


def _dkve(v, x):
    """e^x ∂K_v(x)/∂v = ∫_0^∞ t sinh(vt) e^{-x (cosh t - 1)} dt (no overflow at large x)."""
    return _legendre(0 * x, _cutoff(v, x),
                     lambda t: t * np.sinh(v * t) * np.exp(-x * (np.cosh(t) - 1)))


def _dkv(v, x):
    """∂K_v(x)/∂v = ∫_0^∞ t sinh(vt) e^{-x cosh t} dt."""
    return np.exp(-x) * _dkve(v, x)


def _dive(v, x):
    """e^{-x} ∂I_v(x)/∂v for x > 0, from I_v(x) = 1/π ∫_0^π e^{x cos θ} cos(vθ) dθ
    - sin(vπ)/π ∫_0^∞ e^{-x cosh t - vt} dt."""
    top = np.arccos(np.clip(1 - 45 / x, -1, 1))
    arc = _legendre(0 * x, top, lambda th: th * np.sin(v * th) * np.exp(x * (np.cos(th) - 1)))
    cut = _cutoff(v, x)
    tail0 = _legendre(0 * x, cut, lambda t: np.exp(-x * (np.cosh(t) + 1) - v * t))
    tail1 = _legendre(0 * x, cut, lambda t: t * np.exp(-x * (np.cosh(t) + 1) - v * t))
    return -arc / np.pi - np.cos(v * np.pi) * tail0 + np.sin(v * np.pi) / np.pi * tail1


def _div_series(v, x):
    """∂I_v(x)/∂v from I_v(x) = Σ_k (x/2)^{2k+v} / (k! Γ(k+v+1)), term by term (d/dz 1/Γ(z)
    is -ψ(z)/Γ(z), or (-1)^n n! at z = -n)."""
    k = np.arange(int(np.max(x, initial=0.0) + 10 * np.sqrt(np.max(x, initial=0.0)) + 40))
    k = k[:, None]
    z = k + v + 1
    rg = sc.rgamma(z)
    pole = (z <= 0) & (z == np.round(z))
    n = np.where(pole, -z, 0.0)
    drg = np.where(pole, (-1.0) ** n * sc.gamma(n + 1), -rg * sc.psi(np.where(pole, 1.0, z)))
    lh = np.log(x / 2)
    scale = np.exp((2 * k + v) * lh - sc.gammaln(k + 1))
    return np.sum(scale * (lh * rg + drg), axis=0)


def _dive_any(v, x):
    """e^{-x} ∂I_v(x)/∂v: the series where it is accurate (small x, or v large against x,
    where I_v is tiny and the integrals would cancel), the integrals elsewhere."""
    series = (x <= 30) | (np.abs(v) > x / 2)
    out = np.empty_like(x)
    out[series] = np.exp(-x[series]) * _div_series(v[series], x[series])
    out[~series] = _dive(v[~series], x[~series])
    return out


_DV = {"iv": lambda v, x: np.exp(x) * _dive_any(v, x), "ive": _dive_any, "kv": _dkv,
       "kve": _dkve}


def _bessel_dv_impl(v, x, *, kind: str):
    dt = np.result_type(v, x)
    shape = np.broadcast_shapes(np.shape(v), np.shape(x))
    v, x = (np.asarray(a, np.float64).ravel() for a in np.broadcast_arrays(v, x))
    out = np.full(x.shape, np.nan)
    ok = (x > 0) & np.isfinite(x) & np.isfinite(v)
    with np.errstate(all="ignore"):
        if ok.any():
            out[ok] = _DV[kind](v[ok], x[ok])
    return out.reshape(shape).astype(dt)


bessel_dv_p = special_primitive("bessel_dv", _bessel_dv_impl)


def _dv(kind: str):
    return lambda t, v, x: E.mul(t, bessel_dv_p.bind(v, x, kind=kind))


def _dv_dx(t, v, x, *, kind):
    """∂/∂x of ∂/∂v: the x-recurrence of the function, differentiated in v."""
    lo, hi = (bessel_dv_p.bind(E.add(v, d), x, kind=kind) for d in (-1.0, 1.0))
    if kind == "kv":
        return E.neg(_half(t, lo, hi))
    if kind == "kve":         # e^x K_v: the product rule adds the function itself
        return E.sub(E.mul(t, bessel_dv_p.bind(v, x, kind=kind)), _half(t, lo, hi))
    d = _half(t, lo, hi)
    return _scaled(d, t, x, bessel_dv_p.bind(v, x, kind=kind)) if kind == "ive" else d


defjvp(bessel_dv_p, not_differentiable("iv/ive/kv/kve", "v", "is implemented to first order "
                                       "(a second derivative in the order is not)"), _dv_dx)
defjvp(iv_p, _dv("iv"), lambda t, v, x: _half(t, iv(E.sub(v, 1.0), x), iv(E.add(v, 1.0), x)))
defjvp(ive_p, _dv("ive"), lambda t, v, x: _scaled(
    _half(t, ive(E.sub(v, 1.0), x), ive(E.add(v, 1.0), x)), t, x, ive(v, x)))
defjvp(kv_p, _dv("kv"),
       lambda t, v, x: E.neg(_half(t, kv(E.sub(v, 1.0), x), kv(E.add(v, 1.0), x))))

_integer_order = "does not exist (n is an integer order)"
defjvp(jn_p, not_differentiable("jn", "n", _integer_order),
       lambda t, n, x: _half_diff(t, jn(E.sub(n, 1.0), x), jn(E.add(n, 1.0), x)))
defjvp(yn_p, not_differentiable("yn", "n", _integer_order),
       lambda t, n, x: _half_diff(t, yn(E.sub(n, 1.0), x), yn(E.add(n, 1.0), x)))
