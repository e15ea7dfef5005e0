"""Bessel functions: j0 j1 y0 y1 i0 i1 i0e i1e (order fixed) and iv ive jn yn kv (order an
operand). Derivatives in x come from the recurrences (J_v' = (J_{v-1} - J_{v+1})/2,
I_v' = (I_{v-1} + I_{v+1})/2, K_v' = -(K_{v-1} + K_{v+1})/2; the exponentially scaled ones
add -sign(x) times themselves), written with these same functions, so any order works. The
derivative in the order v is not implemented (JAX has none either): a clear error."""

from __future__ import annotations

from typing import Any

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


def _order(fn: str, arg: str = "v"):
    return not_differentiable(fn, arg, "(the order) is not implemented")


defjvp(iv_p, _order("iv"),
       lambda t, v, x: _half(t, iv(E.sub(v, 1.0), x), iv(E.add(v, 1.0), x)))
defjvp(ive_p, _order("ive"), lambda t, v, x: _scaled(
    _half(t, ive(E.sub(v, 1.0), x), ive(E.add(v, 1.0), x)), t, x, ive(v, x)))
defjvp(jn_p, _order("jn", "n"),
       lambda t, n, x: _half_diff(t, jn(E.sub(n, 1.0), x), jn(E.add(n, 1.0), x)))
defjvp(yn_p, _order("yn", "n"),
       lambda t, n, x: _half_diff(t, yn(E.sub(n, 1.0), x), yn(E.add(n, 1.0), x)))
defjvp(kv_p, _order("kv"),
       lambda t, v, x: E.neg(_half(t, kv(E.sub(v, 1.0), x), kv(E.add(v, 1.0), x))))
