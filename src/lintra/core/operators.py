"""The operators and array methods of every tracer (``x + y``, ``x[i]``, ``x.sum()``): each
runs the function of the same meaning in the NumPy-style namespace registered in
``trace.array_namespace``, or, for the hot cases, the direct function or primitive."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import trace
from .trace import Tracer, bind, direct_functions, direct_primitives, same_type_tracers


def _method(name: str, swap: bool = False):
    if swap:
        return lambda self, other: getattr(trace.array_namespace, name)(other, self)
    return lambda self, *args, **kw: getattr(trace.array_namespace, name)(self, *args, **kw)


def _array_operand(x: Any) -> bool:
    """``x`` is a number, a NumPy array or a tracer of one (not a function value)."""
    c = x.__class__
    if c is float or c is int or c is np.ndarray:
        return True
    return isinstance(x, Tracer) and not x.aval.is_function


def _operator(name: str, swap: bool = False):
    """A binary operator: straight to ``name``'s direct function for array operands."""
    def op(self, other):
        if same_type_tracers(self, other):
            prim = direct_primitives.get(name)
            if prim is not None:
                return bind(prim, other, self) if swap else bind(prim, self, other)
        if not self.aval.is_function and _array_operand(other):
            fn = direct_functions.get(name)
            if fn is not None:
                return fn(other, self) if swap else fn(self, other)
        fn = getattr(trace.array_namespace, name)
        return fn(other, self) if swap else fn(self, other)
    op.__name__ = f"__{'r' if swap else ''}{name}__"
    return op


def _getitem(self, idx):
    fn = direct_functions.get("getitem") or trace.array_namespace.getitem
    return fn(self, idx)


BINARY_OPERATORS = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
    "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "matmul": "matmul",
    "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
    "lshift": "left_shift", "rshift": "right_shift"}
COMPARISONS = {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
                "eq": "equal", "ne": "not_equal"}
_METHODS = ("sum", "mean", "max", "min", "prod", "var", "std", "argmax", "argmin", "cumsum",
            "cumprod", "dot", "clip", "swapaxes", "repeat", "astype", "squeeze", "conj",
            "conjugate", "round", "any", "all", "diagonal", "trace", "take", "argsort", "sort",
            "searchsorted", "nonzero", "copy")           # sort returns a copy, as JAX


def _define_operators() -> None:
    """Operators and array methods of every tracer, defined once: each runs the function of
    the same meaning in ``array_namespace``."""
    T = Tracer
    for op, name in BINARY_OPERATORS.items():
        setattr(T, f"__{op}__", _operator(name))
        setattr(T, f"__r{op}__", _operator(name, swap=True))
    for op, name in COMPARISONS.items():
        setattr(T, f"__{op}__", _operator(name))
    for name in _METHODS:
        setattr(T, name, _method(name))
    T.__divmod__, T.__rdivmod__ = _method("divmod"), _method("divmod", swap=True)
    T.compress = lambda self, condition, axis=None, **kw: trace.array_namespace.compress(
        condition, self, axis, **kw)
    T.itemsize = property(lambda self: self.aval.dtype.itemsize)
    T.nbytes = property(lambda self: self.aval.dtype.itemsize * self.aval.size)
    T.__neg__ = _method("negative")
    T.__pos__ = lambda self: self
    T.__abs__ = _method("abs")
    T.__invert__ = _method("invert")
    T.__getitem__ = _getitem
    T.at = property(_method("at_property"))
    T.T = property(_method("transpose"))
    T.real = property(_method("real"))
    T.imag = property(_method("imag"))
    T.mT = property(lambda self: trace.array_namespace.swapaxes(self, -1, -2))
    T.reshape = lambda self, *shape, **kw: trace.array_namespace.reshape(
        self, shape[0] if len(shape) == 1 else shape, **kw)
    T.transpose = lambda self, *axes: trace.array_namespace.transpose(
        self, (axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes) or None)
    T.ravel = T.flatten = _method("ravel")


_define_operators()
