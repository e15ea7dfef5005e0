"""Helpers the distributions share: one float dtype for all arguments, the standardized
variable, and ``where`` that keeps derivatives finite outside a support."""

from __future__ import annotations

import functools
import math
from typing import Any

from ... import numpy as lnp
from ...ops.base import promote_float

LOG_2PI = math.log(2 * math.pi)
NEG_INF = -math.inf


def floats(*args: Any) -> list:
    """The arguments as values of one float dtype (NumPy promotion; Python scalars are weak)."""
    return promote_float(*(lnp.asarray(a) if isinstance(a, (list, tuple)) else a
                           for a in args))


def standardize(x: Any, loc: Any, scale: Any) -> Any:
    return lnp.true_divide(lnp.subtract(x, loc), scale)


def masked(ok: Any, x: Any, safe: float) -> Any:
    """``x`` where ``ok``, else the constant ``safe``: a value to compute with only inside
    the support, so that the branch ``where`` discards has finite derivatives (a nan there
    would leak into gradients as 0 · nan)."""
    return lnp.where(ok, x, safe)


def nan_unless(valid: Any, out: Any) -> Any:
    """``out`` where the parameters are ``valid``, else NaN (as SciPy answers)."""
    return lnp.where(valid, out, math.nan)


def nan_at_nan(f):
    """``f(x, ...)`` with NaN wherever ``x`` is NaN, as SciPy: a support test such as
    ``x >= 0`` is False at NaN, so the outside-the-support constant was returned."""
    @functools.wraps(f)
    def g(x: Any, *args: Any, **kwargs: Any) -> Any:
        return lnp.where(lnp.isnan(lnp.asarray(x)), math.nan, f(x, *args, **kwargs))
    return g


def unit_quantile(f):
    """``f(q, ...)`` (a ppf or isf) with NaN where ``q`` is outside [0, 1], as SciPy (the
    formulas extrapolate there)."""
    @functools.wraps(f)
    def g(q: Any, *args: Any, **kwargs: Any) -> Any:
        q_ = lnp.asarray(q)
        return lnp.where((q_ < 0) | (q_ > 1), math.nan, f(q, *args, **kwargs))
    return g
