"""LLVM types of lintra's dtypes, and the values a program's variables take in generated code:
a scalar in a register, a contiguous buffer, or a lazy elementwise expression (fused into its
one consumer's loop)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from llvmlite import ir

from ...core.avals import ShapedArray
from .rules import NotLowerable

I1, I8, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
F32, F64 = ir.FloatType(), ir.DoubleType()
I8P = I8.as_pointer()

_MEM_TYPES = {
    np.dtype("float64"): F64, np.dtype("float32"): F32, np.dtype("bool"): I8,
    np.dtype("int8"): I8, np.dtype("int16"): ir.IntType(16), np.dtype("int32"): I32,
    np.dtype("int64"): I64, np.dtype("uint8"): I8, np.dtype("uint16"): ir.IntType(16),
    np.dtype("uint32"): I32, np.dtype("uint64"): I64,
}
# dtypes the scalar code cannot compute with: their buffers are opaque memory that native code
# only moves (copies, loop carries, data-movement lowerings) and hands to host callbacks
_OPAQUE_TYPES = {np.dtype("float16"): ir.IntType(16), np.dtype("complex64"): ir.ArrayType(F32, 2),
                 np.dtype("complex128"): ir.ArrayType(F64, 2)}
OPAQUE_DTYPES = frozenset(_OPAQUE_TYPES)
_MEM_TYPES.update(_OPAQUE_TYPES)
SUPPORTED_DTYPES = frozenset(_MEM_TYPES) - OPAQUE_DTYPES


def mem_type(dtype: np.dtype) -> ir.Type:
    """How an element is stored (bool as a byte, as NumPy does)."""
    t = _MEM_TYPES.get(np.dtype(dtype))
    if t is None:
        raise NotLowerable(f"dtype {dtype} has no native lowering")
    return t


def check_aval(aval) -> ir.Type:
    """The element type of an array aval; function values and other dtypes decline."""
    if getattr(aval, "is_function", False) or not hasattr(aval, "dtype"):
        raise NotLowerable(f"{aval} is not an array")
    return mem_type(aval.dtype)


def reg_type(dtype: np.dtype) -> ir.Type:
    """How an element is held in a register (bool as i1)."""
    return I1 if np.dtype(dtype).kind == "b" else mem_type(dtype)


def constant(dtype: np.dtype, value) -> ir.Constant:
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return ir.Constant(I1, int(bool(value)))
    if dtype.kind == "c":
        z = complex(value)
        return ir.Constant(reg_type(dtype), [z.real, z.imag])
    if dtype in OPAQUE_DTYPES:          # float16: its bits
        return ir.Constant(reg_type(dtype), int(np.asarray(value, dtype).view(np.uint16)))
    if dtype.kind == "f":
        return ir.Constant(reg_type(dtype), float(value))
    v = int(value)
    bits = dtype.itemsize * 8
    return ir.Constant(reg_type(dtype), v & ((1 << bits) - 1))


def strides(shape: tuple[int, ...]) -> list[int]:
    out, s = [], 1
    for d in reversed(shape):
        out.append(s)
        s *= d
    return out[::-1]


class Scalar:
    """A shape-() value in a register."""

    __slots__ = ("v", "aval")

    def __init__(self, v, aval: ShapedArray):
        self.v, self.aval = v, aval


class Buf:
    """A C-contiguous buffer. ``owned``: this program made it and nothing else sees it, so a
    primitive may update it in place when its variable dies (scatter-add into a cotangent)."""

    __slots__ = ("ptr", "aval", "owned", "const")

    def __init__(self, ptr, aval: ShapedArray, owned: bool = False, const=None):
        self.ptr, self.aval, self.owned = ptr, aval, owned
        self.const = const          # the values, when known at compile time (small literals)


class Lazy:
    """An array computed where it is read: ``fn(index) -> scalar`` (fusion)."""

    __slots__ = ("fn", "aval", "depth")

    def __init__(self, fn: Callable, aval: ShapedArray, depth: int = 1):
        self.fn, self.aval = fn, aval
        self.depth = depth          # nested lazies: ``fn`` recurses this deep (Python's stack)


Value = Scalar | Buf | Lazy


class Index:
    """A position in an array of static ``shape``: its flat offset and/or its per-axis
    indices (i64), each computed from the other on demand."""

    __slots__ = ("b", "shape", "_flat", "_multi")

    def __init__(self, b: ir.IRBuilder, shape, flat=None, multi=None):
        self.b, self.shape, self._flat, self._multi = b, tuple(shape), flat, multi

    @property
    def flat(self):
        if self._flat is None and all(isinstance(i, ir.Constant) for i in self._multi):
            self._flat = ir.Constant(I64, sum(int(i.constant) * s for i, s in zip(
                self._multi, strides(self.shape))))
        if self._flat is None:
            acc = ir.Constant(I64, 0)
            for i, s in zip(self._multi, strides(self.shape)):
                if s:
                    acc = self.b.add(acc, self.b.mul(i, ir.Constant(I64, s)))
            self._flat = acc
        return self._flat

    @property
    def multi(self) -> list:
        if self._multi is None:
            out = []
            for d, s in zip(self.shape, strides(self.shape)):
                q = self.b.udiv(self._flat, ir.Constant(I64, s)) if s != 1 else self._flat
                out.append(self.b.urem(q, ir.Constant(I64, d)) if d > 1 else
                           ir.Constant(I64, 0))
            self._multi = out
        return self._multi
