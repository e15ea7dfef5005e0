"""``ScalarEmitter``: what an elementwise lowering rule sees. Rules are written once against
this small vocabulary (arithmetic, comparisons, libm calls, conversions) for every dtype;
``dtype`` is the operands' dtype (the first non-boolean operand's) and ``out_dtype`` the
result's."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from llvmlite import ir

from . import vecmath
from .rules import NotLowerable
from .types import F32, F64, I1, constant, reg_type

_FCMP = {"<": "olt", "<=": "ole", ">": "ogt", ">=": "oge", "==": "oeq", "!=": "une"}
# libm functions that are LLVM intrinsics (no errno, foldable, fused into sincos)
_INTRINSICS = frozenset(("sin", "cos", "exp", "log", "sqrt", "fabs", "floor", "ceil", "pow",
                         "roundeven", "trunc", "copysign"))


class ScalarEmitter:
    def __init__(self, module: ir.Module, b: ir.IRBuilder, dtype, out_dtype,
                 operand_avals: Sequence = (), out_size: int = 1):
        self.module, self.b = module, b
        self.dtype, self.out_dtype = np.dtype(dtype), np.dtype(out_dtype)
        self.operand_avals, self.out_size = operand_avals, out_size

    def is_scalar_operand(self, k: int) -> bool:
        """Whether operand ``k`` is one number read at every position (0-d, or fewer
        elements than the result): NumPy's loops special-case such operands (``power`` by
        a scalar 0.5 is ``sqrt``). Scalar code (no shapes given) has only such operands."""
        if not self.operand_avals:
            return True
        a = self.operand_avals[k]
        return not a.shape or a.size < self.out_size

    # ---- dtype facts
    @property
    def is_float(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_bool(self) -> bool:
        return self.dtype.kind == "b"

    @property
    def is_signed(self) -> bool:
        return self.dtype.kind == "i"

    def const(self, v, dtype=None):
        return constant(self.dtype if dtype is None else dtype, v)

    def decline(self, why: str):
        raise NotLowerable(why)

    # ---- arithmetic (float or integer by the operand dtype)
    def add(self, x, y, reassoc: bool = False):
        """``x + y``; ``reassoc``: an accumulation LLVM may reorder (vectorize with several
        partial sums), for reductions whose NumPy counterpart reorders too (pairwise sum)."""
        if not self.is_float:
            return self.b.add(x, y)
        return self.b.fadd(x, y, flags=("reassoc",) if reassoc else ())

    def sub(self, x, y):
        return self.b.fsub(x, y) if self.is_float else self.b.sub(x, y)

    def mul(self, x, y):
        if self.is_bool:
            return self.b.and_(x, y)
        return self.b.fmul(x, y) if self.is_float else self.b.mul(x, y)

    def div(self, x, y):
        if not self.is_float:
            self.decline("integer division")
        return self.b.fdiv(x, y)

    def neg(self, x):
        return self.b.fneg(x) if self.is_float else self.b.neg(x)

    def cmp(self, op: str, x, y):
        if self.is_float:
            return self.b.fcmp_ordered(_FCMP[op], x, y) if op != "!=" else \
                self.b.fcmp_unordered("!=", x, y)
        if self.is_signed:
            return self.b.icmp_signed(op, x, y)
        return self.b.icmp_unsigned(op, x, y)

    def maximum(self, x, y):
        """NaN-propagating max (``llvm.maximum``: a reduction LLVM vectorizes); of +0 and
        -0 it takes +0, where NumPy's reductions keep either one."""
        if not self.is_float:
            return self.select(self.cmp(">", y, x), y, x)
        return self._binary_intrinsic("llvm.maximum", x, y)

    def minimum(self, x, y):
        """NaN-propagating min (``llvm.minimum``); of +0 and -0 it takes -0."""
        if not self.is_float:
            return self.select(self.cmp("<", y, x), y, x)
        return self._binary_intrinsic("llvm.minimum", x, y)

    def _binary_intrinsic(self, name: str, x, y):
        t = reg_type(self.dtype)
        fn = self.module.declare_intrinsic(name, [t], ir.FunctionType(t, [t, t]))
        return self.b.call(fn, [x, y])

    def isnan(self, x):
        return self.b.fcmp_unordered("uno", x, x)

    def select(self, c, x, y):
        return self.b.select(c, x, y)

    def and_(self, x, y):
        return self.b.and_(x, y)

    def or_(self, x, y):
        return self.b.or_(x, y)

    def xor(self, x, y):
        return self.b.xor(x, y)

    def not_(self, x):
        return self.b.not_(x)

    def srem(self, x, y):
        return self.b.srem(x, y) if self.is_signed else self.b.urem(x, y)

    def frem(self, x, y):
        return self.b.frem(x, y)

    # ---- libm
    def math(self, name: str, *xs):
        """The C library function ``name`` (``sin``, ``expm1``, ``atan2``...) of the operand
        float type; common ones as LLVM intrinsics. In a loop, LLVM vectorizes it with
        libmvec's variant where ``vecmath`` names one."""
        if not self.is_float:
            self.decline(f"{name} of {self.dtype}")
        t = reg_type(self.dtype)
        if name in _INTRINSICS:
            # the type given: llvmlite guesses a unary one for binary ``copysign``
            fn = self.module.declare_intrinsic(f"llvm.{name}", [t],
                                               ir.FunctionType(t, [t] * len(xs)))
        else:
            cname = name + ("f" if t == F32 else "")
            fn = self.module.globals.get(cname)
            if fn is None:     # errno is never read: pure, so loops around it vectorize
                fn = ir.Function(self.module, ir.FunctionType(t, [t] * len(xs)), cname)
                fn.attributes.add("readnone")
                fn.attributes.add("nounwind")
        call = self.b.call(fn, list(xs))
        vecmath.annotate(self.module, call, name, t)
        return call

    # ---- conversion
    def convert(self, x, to):
        """``x`` (of ``self.dtype``) as dtype ``to``, with NumPy's ``astype`` semantics for
        in-range values (float -> int truncates; NaN, inf and out-of-range floats
        saturate)."""
        src, to = self.dtype, np.dtype(to)
        st, tt = reg_type(src), reg_type(to)
        b = self.b
        if src == to:
            return x
        if to.kind == "b":
            if src.kind == "f":
                return b.fcmp_unordered("!=", x, ir.Constant(st, 0.0))
            return b.icmp_unsigned("!=", x, ir.Constant(st, 0))
        if src.kind == "f" and to.kind == "f":
            return b.fptrunc(x, tt) if tt == F32 else b.fpext(x, F64)
        if src.kind == "f":
            # saturating (NaN -> 0, out of range -> the nearest bound), as JAX on the CPU;
            # NumPy's result there is the host's (x86: INT_MIN); llvmlite cannot declare these
            name = (f"llvm.fpto{'s' if to.kind == 'i' else 'u'}i.sat.i{tt.width}"
                    f".f{32 if st == F32 else 64}")
            fn = self.module.globals.get(name) or ir.Function(
                self.module, ir.FunctionType(tt, [st]), name)
            return b.call(fn, [x])
        if to.kind == "f":
            return b.uitofp(x, tt) if src.kind in "ub" else b.sitofp(x, tt)
        if tt.width == st.width:
            return x
        if tt.width < st.width:
            return b.trunc(x, tt)
        return b.sext(x, tt) if src.kind == "i" else b.zext(x, tt)

    def bool_true(self):
        return ir.Constant(I1, 1)
