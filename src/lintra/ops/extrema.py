"""``maximum``/``minimum`` (ties share the tangent, as in JAX), ``clip`` and ``safe_sqrt``
(a square root whose derivative at 0 is the subgradient 0)."""

from __future__ import annotations

import numpy as np

from ..core.eval import scalar_impls
from ..core.trace import get_aval
from .base import promote
from .compare import ORDERED, binary_primitive, eq, gt, lt, select
from .elementwise import mul, sqrt
from .shape import defjvp

# ---------------------------------------------------------------- maximum, minimum

max_p = binary_primitive("max", np.maximum, ORDERED)
min_p = binary_primitive("min", np.minimum, ORDERED)


def maximum(x, y):
    return max_p.bind(*promote(x, y))


def minimum(x, y):
    return min_p.bind(*promote(x, y))


def _balanced(t, x, y, pick):
    """Tangent share of x in max/min: 1 where x wins, 1/2 at ties (as JAX)."""
    dt = get_aval(t).dtype
    share = select(pick(x, y), np.ones((), dt),
                   select(eq(x, y), np.asarray(0.5, dt), np.zeros((), dt)))
    return mul(t, share)


defjvp(max_p, lambda t, x, y: _balanced(t, x, y, gt), lambda t, x, y: _balanced(t, y, x, gt))
defjvp(min_p, lambda t, x, y: _balanced(t, x, y, lt), lambda t, x, y: _balanced(t, y, x, lt))
# nan wins; of equal operands the second, as np.maximum(0.0, -0.0) is -0.0
scalar_impls[max_p] = lambda x, y: x if x > y or x != x else y
scalar_impls[min_p] = lambda x, y: x if x < y or x != x else y

def safe_sqrt(x):
    """``sqrt`` of a sum of squares, with derivative 0 (not inf * 0 = nan) where ``x == 0``:
    the subgradient ``std`` and ``norm`` use at a constant input / the origin. Elsewhere,
    higher derivatives included, it is ``sqrt``; nan stays nan (``std`` of data with a nan)."""
    pos = gt(x, 0.0)
    return select(pos, sqrt(select(pos, x, 1.0)), mul(x, 0.0))


def clip(x, lo=None, hi=None):
    """``minimum(maximum(x, lo), hi)``, as NumPy (and JAX) define ``clip``. The bounds are
    the first operands: of equal ones max/min give the second, and NumPy's clip keeps x
    (``clip(-0.0, 0.0, 1.0)`` is -0.0)."""
    if lo is None and hi is None:
        raise ValueError("clip: at least one of the bounds must be given")
    if lo is not None:
        x = maximum(lo, x)
    if hi is not None:
        x = minimum(hi, x)
    return x
