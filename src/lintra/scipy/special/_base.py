"""What every special function is made of: SciPy's ufunc as the primitive's impl (cast back to
the operands' float dtype), a broadcasting shape rule for any number of float operands, the
broadcasting batching rule, and the wrapper that promotes arguments like ``lintra.numpy``.

SciPy is an optional dependency of lintra: only this package needs it, and importing it
without SciPy says how to install it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

try:
    import scipy.special as sc
except ImportError as e:  # pragma: no cover  (the test extra installs scipy)
    raise ImportError("lintra.scipy needs SciPy, which is not installed: "
                      "pip install lintra[scipy]") from e

from ...batching.core import vmap_rules
from ...core.array import as_array
from ...core.avals import ShapedArray, broadcast_shapes
from ...core.errors import NonDifferentiableError
from ...core.primitive import Primitive
from ...core.trace import get_aval
from ...ops.base import promote_float
from ...ops.compare import check_kind
from ...ops.shape import broadcasting_batcher

__all__ = ["sc", "float_impl", "shape_rule", "special_primitive", "bind_float",
           "not_differentiable"]


def float_impl(fn: Callable) -> Callable:
    """``fn`` (a SciPy ufunc of float operands) returning the operands' dtype: SciPy computes
    some functions in float64 only, lintra keeps float32 float32."""
    def impl(*args, **params):
        dt = np.result_type(*args)
        with np.errstate(all="ignore"):
            out = fn(*args, **params)
        return np.asarray(out).astype(dt, copy=False)
    impl.__name__ = getattr(fn, "__name__", "impl")
    return impl


def shape_rule(name: str, kind: str = "f", out_dtype: Callable = lambda dt: dt) -> Callable:
    """The shape rule of an elementwise function of operands of one dtype of ``kind``
    ("f": float, "c": complex) that broadcast like NumPy; the result's dtype is
    ``out_dtype`` of theirs."""
    def rule(*avals: ShapedArray, **_):
        check_kind(name, kind, *avals)
        if any(a.dtype != avals[0].dtype for a in avals):
            raise TypeError(f"{name}: operands must have one dtype, got "
                            f"{', '.join(map(str, avals))}")
        try:
            shape = broadcast_shapes(*(a.shape for a in avals))
        except ValueError as e:
            raise ValueError(f"{name}: {e}") from None
        return ShapedArray(shape, out_dtype(avals[0].dtype))
    return rule


def special_primitive(name: str, impl: Callable) -> Primitive:
    """An elementwise primitive of float operands of one dtype that broadcast like NumPy;
    ``impl`` is a SciPy (or NumPy) function of those operands."""
    p = Primitive(name)
    p.def_impl(float_impl(impl))
    p.def_shape(shape_rule(name))
    vmap_rules[p] = broadcasting_batcher(p)
    return p


def bind_float(p: Primitive, *args: Any) -> Any:
    """Bind ``p`` to ``args`` promoted to one float dtype (integers go to float64; Python
    scalars defer to arrays, so float32 stays float32)."""
    out = p.bind(*promote_float(*args))
    return as_array(out)


def not_differentiable(fn: str, arg: str, why: str = "is not implemented") -> Callable:
    """A JVP contribution that raises: the derivative of ``fn`` with respect to ``arg``
    ``why``."""
    def rule(t, *primals, **params):
        raise NonDifferentiableError(
            f"the derivative of scipy.special.{fn} with respect to `{arg}` {why}; "
            f"pass `{arg}` as a constant (it is {get_aval(t).str_short()} here)")
    return rule
