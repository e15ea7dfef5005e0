"""Helpers the distributions share: one float dtype for all arguments, the standardized
variable, and ``where`` that keeps derivatives finite outside a support."""

from __future__ import annotations

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
