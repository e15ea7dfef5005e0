"""Primitives and helpers every rule needs: dtype promotion, ``add_any``, ``convert_element_type``,
``stop_gradient``, tangent sums and cotangent unbroadcasting."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.avals import ShapedArray, is_python_scalar, result_dtype
from ..core.primitive import Primitive, deflinear
from ..core.trace import Tracer, Zero, get_aval

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
        from .structure import stack
        return stack([asarray_value(e, dtype) for e in x])
    if is_python_scalar(x):
        return np.asarray(x, dtype)
    raise TypeError(f"{type(x).__name__} is not a valid lintra value")


def promote(*args: Any) -> list:
    """Bring arguments to one dtype (NumPy rules; Python scalars are weakly typed)."""
    avals = [get_aval(a) if not isinstance(a, (list, tuple)) else get_aval(np.asarray(a))
             for a in args]
    dt = avals[0].dtype
    if all(a.dtype == dt and not a.weak_type for a in avals) and all(
            isinstance(a, (Tracer, np.ndarray, np.generic)) for a in args):
        return list(args)                 # the common case: nothing to convert
    dt = result_dtype(*avals)
    return [asarray_value(a, dt) for a in args]


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
    return np.asarray(x).astype(dtype)


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
    if isinstance(t, Zero) or np.dtype(dtype).kind != "f":
        return out, Zero(ShapedArray(np.shape(out), dtype))
    return out, convert_element_type_p.bind(t, dtype=dtype)


convert_element_type_p.jvp = _convert_jvp
convert_element_type_p.transpose = lambda ct, x, *, dtype: [
    convert_element_type_p.bind(ct, dtype=x.aval.dtype)]
convert_element_type_p.linear_in = lambda params, n: (0,)


# ---------------------------------------------------------------- add_any

add_any_p = Primitive("add_any")
add_any_p.def_impl(lambda x, y: np.add(x, y))


@add_any_p.def_shape
def _add_any_shape(x, y):
    if x != y:
        raise TypeError(f"add_any takes equal types, got {x} and {y}")
    return x


def add_any(x, y):
    return add_any_p.bind(x, y)


deflinear(add_any_p, lambda ct, x, y: [ct, ct])


# ---------------------------------------------------------------- stop_gradient

stop_gradient_p = Primitive("stop_gradient")
stop_gradient_p.def_impl(lambda x: x)
stop_gradient_p.def_shape(lambda x: x)


def _stop_gradient_jvp(primals, tangents):
    out = stop_gradient_p.bind(*primals)
    return out, Zero(get_aval(out).strip_weak())


stop_gradient_p.jvp = _stop_gradient_jvp


def stop_gradient(x):
    """The identity, whose derivative is zero."""
    from ..core.pytree import tree_map
    return tree_map(lambda v: stop_gradient_p.bind(v) if get_aval(v).is_float else v, x)


# ---------------------------------------------------------------- tangent/cotangent helpers

def add_tangents(a, b, shape: tuple[int, ...]):
    """Sum of two tangent contributions, broadcast to the output ``shape``."""
    if isinstance(a, Zero):
        return broadcast_like(b, shape)
    if isinstance(b, Zero):
        return broadcast_like(a, shape)
    return add_any(broadcast_like(a, shape), broadcast_like(b, shape))


def broadcast_like(x, shape):
    if isinstance(x, Zero) or tuple(get_aval(x).shape) == tuple(shape):
        return x
    from .structure import broadcast_to
    return broadcast_to(x, shape)


def unbroadcast(ct, aval: ShapedArray):
    """Sum a cotangent over the axes its input was broadcast along."""
    if isinstance(ct, Zero):
        return Zero(aval)
    ct_shape = get_aval(ct).shape
    if ct_shape == aval.shape:
        return ct
    from .reductions import reduce_sum
    from .structure import reshape
    lead = len(ct_shape) - len(aval.shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(aval.shape) if d == 1 and ct_shape[lead + i] != 1)
    summed = reduce_sum(ct, axes) if axes else ct
    return reshape(summed, aval.shape)

