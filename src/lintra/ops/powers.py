"""Powers and their kin: ``pow``, ``atan2`` and ``rem``, each with its NumPy impl, JVP and
scalar impl (split from ``elementwise`` for size; ``integer_pow`` stays there because
``square`` is built on it)."""

from __future__ import annotations

import math
import operator

import numpy as np

from ..core.eval import scalar_impls
from ..core.trace import get_aval
from .base import asarray_value, promote, promote_float
from .compare import FLOAT, REAL, binary_primitive, bitwise_and, eq, select
from .elementwise import add, div, floor, guarded, integer_pow, log, mul, neg, sqrt, square, sub
from .shape import defjvp

pow_p = binary_primitive("pow", np.power)
atan2_p = binary_primitive("atan2", np.arctan2, FLOAT)
rem_p = binary_primitive("rem", np.remainder, REAL)


def pow(x, y):  # noqa: A001
    """``x ** y``. A Python int exponent is ``integer_pow``; int ** int stays int (NumPy)."""
    if isinstance(y, (int, np.integer)) and not isinstance(y, (bool, np.bool_)) \
            and get_aval(asarray_value(x)).dtype.kind != "b":
        return integer_pow(x, int(y))
    if isinstance(y, (float, np.floating)) and y == 0.5:
        # NumPy computes x ** 0.5 (a scalar exponent) as sqrt: (-0.0) ** 0.5 is -0.0 and
        # (-inf) ** 0.5 nan, where C's pow gives 0.0 and inf
        return sqrt(promote_float(x, y)[0])
    x, y = promote(x, y)
    if get_aval(x).dtype.kind not in "iu":
        x, y = promote_float(x, y)
    return pow_p.bind(x, y)


def atan2(y, x):
    return atan2_p.bind(*promote_float(y, x))


def rem(x, y):
    """``x % y`` with the sign of ``y`` (NumPy's remainder)."""
    return rem_p.bind(*promote(x, y))


def _pow_jvp_base(t, x, y):
    # d/dx x**y = y * x**(y-1). Only at x == y == 0 is that 0 * inf: the derivative there is
    # 0 (0**y -> 1 as y -> 0), and the exponent is replaced by 1 so that no nan leaks into
    # higher derivatives. Elsewhere y == 0 keeps the y-dependence (d2/dxdy = 1/x at y == 0).
    both_zero = bitwise_and(eq(x, 0.0), eq(y, 0.0))
    safe = pow_p.bind(*promote(x, select(both_zero, 1.0, sub(y, 1.0))))
    return mul(t, select(both_zero, 0.0, mul(y, safe)))


def _pow_jvp_exponent(t, x, y):
    # d/dy x**y = log(x) * x**y, taken as 0 at x == 0 (the limit from the right for y > 0)
    x_zero = eq(x, 0.0)
    safe_x = select(x_zero, 1.0, x)
    return mul(t, select(x_zero, 0.0, mul(log(safe_x), pow_p.bind(*promote(x, y)))))


defjvp(pow_p, _pow_jvp_base, _pow_jvp_exponent)


def _pow_scalar(x, y):
    # NumPy computes a scalar ** 0.5 as sqrt: (-0.0) ** 0.5 is -0.0 and (-inf) ** 0.5 nan
    return math.sqrt(x) if y == 0.5 else math.pow(x, y)


scalar_impls[pow_p] = guarded(_pow_scalar, pow_p)   # (-8) ** (1/3): math raises, NumPy nan
scalar_impls[atan2_p] = guarded(math.atan2, atan2_p)
scalar_impls[rem_p] = guarded(operator.mod, rem_p)   # Python's float % is NumPy's remainder


def _atan2_jvp_y(t, y, x):
    return mul(t, div(x, add(square(x), square(y))))


def _atan2_jvp_x(t, y, x):
    return neg(mul(t, div(y, add(square(x), square(y)))))


defjvp(atan2_p, _atan2_jvp_y, _atan2_jvp_x)
# x % y = x - y * floor(x / y): the floor is piecewise constant
defjvp(rem_p, lambda t, x, y: t, lambda t, x, y: neg(mul(t, floor(div(x, y)))))
