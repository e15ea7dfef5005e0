"""NaN-aware and float-only elementwise functions with NumPy names: ``fmax``, ``fmin``,
``fabs``, ``nan_to_num``, ``logaddexp2``, ``isposinf``, ``isneginf``.

Compositions of ``select`` and arithmetic: the derivative flows to the operand that is
returned. ``fmax``/``fmin`` follow JAX's ``where(x1 > x2 | isnan(x2), x1, x2)``, so at ties
the whole tangent goes to ``x2`` (``maximum`` instead splits it)."""

from __future__ import annotations

import numpy as np

from ..core.trace import get_aval
from ..ops import base
from ..ops import elementwise as E
from ..ops import extrema as X
from ._basic import _as_value

__all__ = ["fmax", "fmin", "fabs", "nan_to_num", "logaddexp2", "isposinf", "isneginf"]


def fmax(x1, x2):
    """Elementwise maximum that ignores a NaN operand (NaN only where both are NaN)."""
    x1, x2 = base.promote(x1, x2)
    return E.select(E.bitwise_or(E.gt(x1, x2), E.ne(x2, x2)), x1, x2)


def fmin(x1, x2):
    """Elementwise minimum that ignores a NaN operand (NaN only where both are NaN)."""
    x1, x2 = base.promote(x1, x2)
    return E.select(E.bitwise_or(E.lt(x1, x2), E.ne(x2, x2)), x1, x2)


def fabs(x):
    """Absolute value as a float (integers become float64, as in NumPy)."""
    (x,) = base.promote_float(x)
    return E.abs(x)


def isposinf(x):
    return E.eq(x, float("inf"))


def isneginf(x):
    return E.eq(x, float("-inf"))


def nan_to_num(x, copy: bool = True, nan=0.0, posinf=None, neginf=None):
    """NaN -> ``nan``, +inf -> ``posinf`` (default: the dtype's largest), -inf -> ``neginf``
    (default: its most negative); the tangent is kept where ``x`` is finite, 0 elsewhere.
    Integer and boolean input is returned as is."""
    del copy
    x = _as_value(x)
    dt = get_aval(x).dtype
    if dt.kind != "f":
        return x
    info = np.finfo(dt)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf

    def fill(v):
        return base.convert_element_type(_as_value(v), dt)

    out = E.select(E.ne(x, x), fill(nan), x)
    out = E.select(isposinf(out), fill(posinf), out)
    return E.select(isneginf(out), fill(neginf), out)


def logaddexp2(x1, x2):
    """log2(2**x1 + 2**x2), stable; the shift is 0 where the maximum is infinite."""
    x1, x2 = base.promote_float(x1, x2)
    m = base.stop_gradient(X.maximum(x1, x2))
    m = E.select(E.lt(E.abs(m), float("inf")), m, 0.0)
    ln2 = float(np.log(2.0))
    s = E.add(E.exp(E.mul(E.sub(x1, m), ln2)), E.exp(E.mul(E.sub(x2, m), ln2)))
    return E.add(m, E.div(E.log(s), ln2))
