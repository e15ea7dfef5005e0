"""What every primitive's wrapper needs: values as arrays, NumPy dtype promotion,
``convert_element_type`` and ``stop_gradient``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ad.rules import (
    Zero,
    add_any,
    add_any_p,
    first_position,
    jvp_rules,
    linear_positions,
    transpose_rules,
    zero_like,
)
from ..batching.core import vectorized, vmap_rules
from ..core.avals import DEFAULT_FLOAT, ShapedArray, is_python_scalar, result_dtype
from ..core.eval import scalar_impls
from ..core.primitive import Primitive
from ..core.pytree import tree_map
from ..core.staging import StagingTracer
from ..core.trace import Tracer, get_aval

__all__ = ["add_any", "add_any_p", "asarray_value", "convert_element_type", "promote",
           "promote_float", "stop_gradient"]

# prim -> {type of tracer: fast(prim, x)} for unary elementwise ops (NotImplemented: fall back).
# Eager mode registers its scalar fast path here, so ``lintra.numpy.sin(x)`` skips ``bind``.
FAST_UNARY: dict = {}


def asarray_value(x: Any, dtype=None) -> Any:
    """Tracers pass through; concrete values become NumPy arrays (0-d for scalars)."""
    if isinstance(x, Tracer):
        return x if dtype is None or x.aval.dtype == dtype else convert_element_type(x, dtype)
    if isinstance(x, (np.ndarray, np.generic)):
        return x if dtype is None or x.dtype == dtype else np.asarray(x, dtype)
    if isinstance(x, (list, tuple)):
        # lists holding traced values are stacked by ``lintra.numpy.asarray``
        return np.asarray(x, dtype)
    if is_python_scalar(x):
        return np.asarray(x, dtype)
    raise TypeError(f"{type(x).__name__} is not a valid lintra value")


def promote(*args: Any) -> list:
    """Bring arguments to one dtype (NumPy rules; Python scalars are weakly typed)."""
    if len(args) == 2:
        x, y = args
        if isinstance(x, Tracer):
            if isinstance(y, Tracer):               # the hot case while tracing
                a, b = x.aval, y.aval
                if a.dtype == b.dtype and not a.weak_type and not b.weak_type:
                    return list(args)
            elif y.__class__ is float and x.__class__ is StagingTracer and _f64(x):
                return list(args)                   # x + 1.0: staged as a float64 literal
        elif x.__class__ is float and y.__class__ is StagingTracer and _f64(y):
            return list(args)
    avals = [get_aval(a) if not isinstance(a, (list, tuple)) else get_aval(np.asarray(a))
             for a in args]
    dt = avals[0].dtype
    if all(a.dtype == dt and not a.weak_type for a in avals) and all(
            isinstance(a, (Tracer, np.ndarray, np.generic)) for a in args):
        return list(args)                 # the common case: nothing to convert
    dt = result_dtype(*avals)
    return [asarray_value(a, dt) for a in args]


_CONCRETE_FLOATS = (float, np.float64, np.float32)


def concrete_float(x: Any) -> bool:
    """A Python/NumPy float or a float ndarray: nothing to trace or promote."""
    t = type(x)
    return t in _CONCRETE_FLOATS or (t is np.ndarray and x.dtype.kind == "f")


def concrete_binary(p: Primitive, x: Any, y: Any) -> Any:
    """Both operands concrete floats: NumPy's own promotion is lintra's, so run the impl."""
    try:
        return p.impl(x, y)
    except (ValueError, TypeError) as e:
        raise type(e)(f"in `{p.name}`: {e}") from e


def inexact_tracer(x: Any) -> bool:
    """``x`` is a tracer of a strongly typed float or complex array: a float function binds
    it as it is."""
    if not isinstance(x, Tracer):
        return False
    a = x.aval
    return a.__class__ is ShapedArray and a.dtype.kind in "fc" and not a.weak_type


def _f64(x: Tracer) -> bool:
    a = x.aval
    return a.dtype == DEFAULT_FLOAT and not a.weak_type


def promote_float(*args: Any) -> list:
    """As ``promote``, then integers/bools go to float64 (NumPy's rule for sin, exp, ...)."""
    out = promote(*args)
    dt = get_aval(out[0]).dtype
    if dt.kind in "iub":
        out = [asarray_value(a, np.dtype("float64")) for a in out]
    return out


# ---------------------------------------------------------------- convert_element_type

convert_element_type_p = Primitive("convert_element_type")


@convert_element_type_p.def_impl
def _convert_impl(x, *, dtype):
    x = np.asarray(x)
    if x.dtype.kind == "c" and np.dtype(dtype).kind != "c":
        x = x.real                  # complex -> real keeps the real part (no NumPy warning)
    return x.astype(dtype)


@convert_element_type_p.def_shape
def _convert_shape(x, *, dtype):
    return ShapedArray(x.shape, dtype)


def convert_element_type(x, dtype) -> Any:
    dtype = np.dtype(dtype)
    if get_aval(x).dtype == dtype and not is_python_scalar(x):
        return x
    return convert_element_type_p.bind(x, dtype=dtype)


def _convert_jvp(primals, tangents, *, dtype):
    (x,), (t,) = primals, tangents
    out = convert_element_type_p.bind(x, dtype=dtype)
    if isinstance(t, Zero) or np.dtype(dtype).kind not in "fc":
        return out, Zero(ShapedArray(get_aval(out).shape, dtype))
    return out, convert_element_type_p.bind(t, dtype=dtype)


jvp_rules[convert_element_type_p] = _convert_jvp
# real -> complex is t + 0j, whose transpose keeps Re(ct); complex -> real keeps the real part,
# whose transpose is ct + 0j: both are the conversion back (see ops/complex.py)
transpose_rules[convert_element_type_p] = lambda ct, x, *, dtype: [
    convert_element_type_p.bind(ct, dtype=x.aval.dtype)]
linear_positions[convert_element_type_p] = first_position
vmap_rules[convert_element_type_p] = vectorized(convert_element_type_p)
# a scalar equation's result is float64 or bool (see core.eval.scalar_impls)
scalar_impls[convert_element_type_p] = \
    lambda x, *, dtype: float(x) if np.dtype(dtype).kind == "f" else bool(x)


# ---------------------------------------------------------------- stop_gradient

stop_gradient_p = Primitive("stop_gradient")
stop_gradient_p.def_impl(lambda x: x)
stop_gradient_p.def_shape(lambda x: x)


def _stop_gradient_jvp(primals, tangents):
    out = stop_gradient_p.bind(*primals)
    return out, zero_like(out)


jvp_rules[stop_gradient_p] = _stop_gradient_jvp
vmap_rules[stop_gradient_p] = vectorized(stop_gradient_p)
scalar_impls[stop_gradient_p] = lambda x: x


def stop_gradient(x):
    """The identity, whose derivative is zero."""
    return tree_map(lambda v: stop_gradient_p.bind(v) if get_aval(v).is_float else v, x)


