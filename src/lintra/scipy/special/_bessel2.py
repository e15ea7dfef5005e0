"""More Bessel functions: jv yv (real order), kn (integer order), k0 k1 k0e k1e, kve, and the
spherical spherical_jn spherical_yn (with SciPy's ``derivative`` flag).

Derivatives in x follow the recurrences (J_v' = (J_{v-1} - J_{v+1})/2, Y likewise,
K_v' = -(K_{v-1} + K_{v+1})/2, and e^x K_v adds itself), written with these same functions so
any order works. The spherical ones differentiate into SciPy's own ``derivative=True`` values
(a primitive of its own), whose derivative is the recurrence f_n' = (n f_{n-1} - (n+1)
f_{n+1})/(2n+1) of the derivatives: no division by x, so no 0/0 at x = 0.

In the order: kve is differentiable (to first order, as kv: the quadrature of ``_bessel``);
jv and yv are not (not implemented; JAX has neither function); kn and the spherical functions
take integer orders, in which there is no derivative."""

from __future__ import annotations

from typing import Any

from ...ops import elementwise as E
from ...ops.shape import defjvp
from ._base import bind_float, not_differentiable, sc, special_primitive
from ._bessel import _dv, _half, _half_diff

jv_p = special_primitive("jv", sc.jv)
yv_p = special_primitive("yv", sc.yv)
kn_p = special_primitive("kn", sc.kn)        # SciPy truncates a non-integer n (and warns)
k0_p = special_primitive("k0", sc.k0)
k1_p = special_primitive("k1", sc.k1)
k0e_p = special_primitive("k0e", sc.k0e)
k1e_p = special_primitive("k1e", sc.k1e)
kve_p = special_primitive("kve", sc.kve)
spherical_jn_p = special_primitive("spherical_jn", lambda n, x: sc.spherical_jn(n, x))
spherical_yn_p = special_primitive("spherical_yn", lambda n, x: sc.spherical_yn(n, x))
spherical_jn_d_p = special_primitive("spherical_jn_d",
                                     lambda n, x: sc.spherical_jn(n, x, derivative=True))
spherical_yn_d_p = special_primitive("spherical_yn_d",
                                     lambda n, x: sc.spherical_yn(n, x, derivative=True))


def jv(v: Any, x: Any) -> Any:
    """Bessel function of the first kind of real order v (nan for x < 0 and non-integer v)."""
    return bind_float(jv_p, v, x)


def yv(v: Any, x: Any) -> Any:
    """Bessel function of the second kind of real order v."""
    return bind_float(yv_p, v, x)


def kn(n: Any, x: Any) -> Any:
    """Modified Bessel function of the second kind of integer order n."""
    return bind_float(kn_p, n, x)


def k0(x: Any) -> Any:
    """Modified Bessel function of the second kind of order 0."""
    return bind_float(k0_p, x)


def k1(x: Any) -> Any:
    """Modified Bessel function of the second kind of order 1."""
    return bind_float(k1_p, x)


def k0e(x: Any) -> Any:
    """exp(x) · k0(x)."""
    return bind_float(k0e_p, x)


def k1e(x: Any) -> Any:
    """exp(x) · k1(x)."""
    return bind_float(k1e_p, x)


def kve(v: Any, x: Any) -> Any:
    """exp(x) · kv(v, x)."""
    return bind_float(kve_p, v, x)


def spherical_jn(n: Any, x: Any, derivative: bool = False) -> Any:
    """Spherical Bessel function of the first kind j_n(x) (integer n), or its derivative in x
    with ``derivative=True``."""
    return bind_float(spherical_jn_d_p if derivative else spherical_jn_p, n, x)


def spherical_yn(n: Any, x: Any, derivative: bool = False) -> Any:
    """Spherical Bessel function of the second kind y_n(x) (integer n), or its derivative in
    x with ``derivative=True``."""
    return bind_float(spherical_yn_d_p if derivative else spherical_yn_p, n, x)


def _neg_half(t, a, b):
    return E.neg(_half(t, a, b))


def _plus_self(d, t, f):
    """The derivative d of e^x g(x) = f, from g's: d + f."""
    return E.add(d, E.mul(t, f))


def _kve_dx(t, v, x):
    lo, hi = kve(E.sub(v, 1.0), x), kve(E.add(v, 1.0), x)
    return _plus_self(_neg_half(t, lo, hi), t, kve(v, x))


def _spherical_d_dx(d_p):
    """t · d/dx f_n'(x) = t · (n f'_{n-1} - (n+1) f'_{n+1}) / (2n+1); at n = 0 the first term
    has weight 0 (its order is clamped to 0, where f' is finite)."""
    def rule(t, n, x):
        lower = d_p.bind(E.select(E.ge(n, 1.0), E.sub(n, 1.0), E.mul(n, 0.0)), x)
        upper = d_p.bind(E.add(n, 1.0), x)
        num = E.sub(E.mul(n, lower), E.mul(E.add(n, 1.0), upper))
        return E.mul(t, E.div(num, E.add(E.mul(2.0, n), 1.0)))
    return rule


_integer_order = "does not exist ({} is an integer order)"
_no_order = "is not implemented (JAX has no {})"

defjvp(jv_p, not_differentiable("jv", "v", _no_order.format("jv")),
       lambda t, v, x: _half_diff(t, jv(E.sub(v, 1.0), x), jv(E.add(v, 1.0), x)))
defjvp(yv_p, not_differentiable("yv", "v", _no_order.format("yv")),
       lambda t, v, x: _half_diff(t, yv(E.sub(v, 1.0), x), yv(E.add(v, 1.0), x)))
defjvp(kn_p, not_differentiable("kn", "n", _integer_order.format("n")),
       lambda t, n, x: _neg_half(t, kn(E.sub(n, 1.0), x), kn(E.add(n, 1.0), x)))
defjvp(k0_p, lambda t, x: E.neg(E.mul(t, k1(x))))
defjvp(k1_p, lambda t, x: _neg_half(t, k0(x), kn(2.0, x)))
defjvp(k0e_p, lambda t, x: _plus_self(E.neg(E.mul(t, k1e(x))), t, k0e(x)))
defjvp(k1e_p, lambda t, x: _plus_self(_neg_half(t, k0e(x), kve(2.0, x)), t, k1e(x)))
defjvp(kve_p, _dv("kve"), _kve_dx)
for _p, _d_p, _fn in ((spherical_jn_p, spherical_jn_d_p, "spherical_jn"),
                      (spherical_yn_p, spherical_yn_d_p, "spherical_yn")):
    defjvp(_p, not_differentiable(_fn, "n", _integer_order.format("n")),
           lambda t, n, x, _d_p=_d_p: E.mul(t, _d_p.bind(n, x)))
    defjvp(_d_p, not_differentiable(_fn, "n", _integer_order.format("n")),
           _spherical_d_dx(_d_p))
