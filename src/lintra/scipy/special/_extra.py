"""softmax, log_softmax, rel_entr, kl_div, huber: compositions of lintra.numpy (SciPy's
signatures; softmax's default ``axis=None`` is every element, as in SciPy).

The entropies and huber's values outside their domain are conventions (0 at x == 0, inf
outside); the branch not taken sees safe inputs, so no nan leaks into derivatives."""

from __future__ import annotations

from typing import Any

from ... import numpy as lnp
from ...ops.base import promote_float, stop_gradient


def _f(*xs):
    """``xs`` in one float dtype; Python numbers stay weak (float32 stays float32)."""
    return promote_float(*(x if isinstance(x, (int, float)) else lnp.asarray(x) for x in xs))


def _max(x, axis):
    m = stop_gradient(lnp.max(x, axis=axis, keepdims=True))
    return lnp.where(lnp.isfinite(m), m, 0.0)


def log_softmax(x: Any, axis: Any = None) -> Any:
    """x - logsumexp(x) over ``axis`` (all elements when None), computed stably."""
    x = _f(x)[0]
    s = x - _max(x, axis)
    return s - lnp.log(lnp.sum(lnp.exp(s), axis=axis, keepdims=True))


def softmax(x: Any, axis: Any = None) -> Any:
    """exp(x) / Σ exp(x) over ``axis`` (all elements when None), computed stably. Shifted
    by the maximum as it is (SciPy's softmax, unlike its log_softmax, does not replace an
    infinite one: a +inf entry makes the whole slice NaN)."""
    x = _f(x)[0]
    e = lnp.exp(x - stop_gradient(lnp.max(x, axis=axis, keepdims=True)))
    return e / lnp.sum(e, axis=axis, keepdims=True)


def rel_entr(x: Any, y: Any) -> Any:
    """x log(x / y) for x, y > 0; 0 at x == 0 <= y; inf otherwise."""
    x, y = _f(x, y)
    ok = lnp.logical_and(x > 0, y > 0)
    xs, ys = lnp.where(ok, x, 1.0), lnp.where(ok, y, 1.0)
    val = xs * lnp.log(xs / ys)
    edge = lnp.where(lnp.logical_and(x == 0, y >= 0), lnp.zeros_like(x), lnp.inf)
    out = lnp.where(ok, val, edge)
    return lnp.where(lnp.logical_or(lnp.isnan(x), lnp.isnan(y)), lnp.nan, out)


def kl_div(x: Any, y: Any) -> Any:
    """x log(x / y) - x + y for x, y > 0; y at x == 0 <= y; inf otherwise."""
    x, y = _f(x, y)
    ok = lnp.logical_and(x > 0, y > 0)
    xs, ys = lnp.where(ok, x, 1.0), lnp.where(ok, y, 1.0)
    val = xs * lnp.log(xs / ys) - xs + ys
    edge = lnp.where(lnp.logical_and(x == 0, y >= 0), y, lnp.inf)
    out = lnp.where(ok, val, edge)
    return lnp.where(lnp.logical_or(lnp.isnan(x), lnp.isnan(y)), lnp.nan, out)


def huber(delta: Any, r: Any) -> Any:
    """r²/2 for |r| <= delta, delta (|r| - delta/2) beyond; inf for delta < 0."""
    delta, r = _f(delta, r)
    a = lnp.abs(r)
    inner = lnp.where(a <= delta, r, 0.0)
    out = lnp.where(a <= delta, 0.5 * inner * inner, delta * (a - 0.5 * delta))
    return lnp.where(delta < 0, lnp.inf, out)
