"""Logs and their friends: logit, expit, xlogy, xlog1py, entr, logsumexp (with weights and
signs). xlogy/xlog1py/entr are primitives because their value at 0 is a convention (0, not
nan) that a composition would lose; logsumexp is a composition of lintra.numpy."""

from __future__ import annotations

from typing import Any

from ... import numpy as lnp
from ...ops import elementwise as E
from ...ops.base import promote_float, stop_gradient
from ...ops.shape import defjvp
from ._base import bind_float, sc, special_primitive

logit_p = special_primitive("logit", sc.logit)
xlogy_p = special_primitive("xlogy", sc.xlogy)
xlog1py_p = special_primitive("xlog1py", sc.xlog1py)
entr_p = special_primitive("entr", sc.entr)


def logit(x: Any) -> Any:
    """log(x / (1 - x)), the inverse of ``expit``."""
    return bind_float(logit_p, x)


def expit(x: Any) -> Any:
    """1 / (1 + exp(-x)), the logistic sigmoid (``lintra.numpy.logistic``)."""
    return E.logistic(x)


def xlogy(x: Any, y: Any) -> Any:
    """x · log(y), 0 where x == 0 (whatever y)."""
    return bind_float(xlogy_p, x, y)


def xlog1py(x: Any, y: Any) -> Any:
    """x · log1p(y), 0 where x == 0 (whatever y)."""
    return bind_float(xlog1py_p, x, y)


def entr(x: Any) -> Any:
    """-x log x for x > 0, 0 at 0, -inf for x < 0."""
    return bind_float(entr_p, x)


defjvp(logit_p, lambda t, x: E.div(t, E.mul(x, E.sub(1.0, x))))
defjvp(xlogy_p, lambda t, x, y: E.mul(t, E.log(y)), lambda t, x, y: E.mul(t, E.div(x, y)))
defjvp(xlog1py_p, lambda t, x, y: E.mul(t, E.log1p(y)),
       lambda t, x, y: E.mul(t, E.div(x, E.add(y, 1.0))))
defjvp(entr_p, lambda t, x: E.neg(E.mul(t, E.add(E.log(x), 1.0))))


def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
              return_sign: bool = False) -> Any:
    """log Σ b·exp(a) over ``axis``, computed stably (SciPy's signature). With weights ``b``
    the sum may be negative: ``return_sign=True`` returns (log|Σ|, sign), otherwise a negative
    sum gives nan. The maximum subtracted for stability is a constant to derivatives."""
    if b is None:
        out = lnp.logsumexp(a, axis=axis, keepdims=keepdims)
        return (out, lnp.ones_like(out)) if return_sign else out
    a, b = lnp.asarray(a), lnp.asarray(b)
    a, b = lnp.broadcast_arrays(*promote_float(a, b))
    m = stop_gradient(lnp.max(lnp.where(E.ne(b, 0.0), a, -lnp.inf), axis=axis, keepdims=True))
    m = lnp.where(lnp.isfinite(m), m, 0.0)
    s = lnp.sum(E.mul(b, E.exp(E.sub(a, m))), axis=axis, keepdims=True)
    sign = lnp.sign(s)
    out = E.add(E.log(lnp.abs(s)), m)
    if not keepdims:
        out, sign = lnp.squeeze(out, axis=axis), lnp.squeeze(sign, axis=axis)
    if return_sign:
        return out, sign
    return lnp.where(E.lt(sign, 0.0), lnp.nan, out)
