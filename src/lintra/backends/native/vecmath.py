"""Vector math in fused loops: glibc's libmvec on x86-64 hosts with AVX2.

LLVM's loop vectorizer turns a fused elementwise loop into 4 (float64) or 8 (float32) lanes
per step, with a scalar remainder loop, when it knows a vector version of each math call in
it. llvmlite's pass builder offers no vector-library switch (``-vector-library`` does not
reach its TargetLibraryInfo), so each ``sin``/``exp``/... call site names its libmvec variant
itself, the way OpenMP's ``declare simd`` does: a ``vector-function-abi-variant`` attribute
(``_ZGV_LLVM_N4v_llvm.sin.f64(_ZGVdN4v_sin)``) plus a declaration of the variant kept alive
through ``llvm.compiler.used`` until the vectorizer has run (``finish``).

libmvec is documented to be within 4 ulp of the exact result (NumPy's own SIMD paths are
within a few ulp too), so results may differ from the scalar libm's in the last bits; NaN,
infinities, signed zeros and huge arguments take its scalar special-case path. Elsewhere (no
AVX2, not x86-64, no loadable libmvec, or ``LINTRA_NATIVE_VECMATH=0``) loops call the scalar
C library, which LLVM still vectorizes around.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import platform
import weakref

import llvmlite.binding as llvm
from llvmlite import ir
from llvmlite.ir.instructions import CallInstrAttributes

from .types import F32, F64, I8P

ENV = "LINTRA_NATIVE_VECMATH"
# the module flag: False forces scalar libm (tests flip it; the env var sets it at import)
enabled = os.environ.get(ENV, "1") not in ("", "0")
LIBRARY = "mvec"                  # the name ctypes.util.find_library looks up

# libm name -> number of arguments, for the functions libmvec has in both widths
ARITY = {"sin": 1, "cos": 1, "tan": 1, "exp": 1, "expm1": 1, "log": 1, "log1p": 1,
         "asin": 1, "acos": 1, "atan": 1, "sinh": 1, "cosh": 1, "tanh": 1, "asinh": 1,
         "acosh": 1, "atanh": 1, "erf": 1, "pow": 2, "atan2": 2}
LANES = {F64: 4, F32: 8}          # AVX2 ("d" in the vector function ABI): 256-bit registers

# per module being emitted: the vector variants its calls name (kept until the vectorizer)
_variants: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def vector_name(name: str, t: ir.Type) -> str:
    """The libmvec symbol of libm function ``name`` on ``t`` (float or double)."""
    return f"_ZGVdN{LANES[t]}{'v' * ARITY[name]}_{name}{'f' if t == F32 else ''}"


@functools.cache
def _host_reason() -> str:
    """Why this host cannot use libmvec's AVX2 variants ('' when it can)."""
    if platform.machine().lower() not in ("x86_64", "amd64") or \
            not llvm.get_process_triple().startswith("x86_64"):
        return f"not x86-64 ({platform.machine()})"
    if not llvm.get_host_cpu_features().get("avx2", False):
        return "the CPU has no AVX2"
    return ""


@functools.cache
def _library(name: str) -> tuple[frozenset, str]:
    """Load lib``name`` into the process (ORC resolves the variants there); returns the
    variant symbols it has (older glibc: only sin, cos, exp, log, pow) and why none."""
    path = ctypes.util.find_library(name)
    if path is None:
        return frozenset(), f"lib{name} not found"
    try:
        lib = ctypes.CDLL(path)
        llvm.load_library_permanently(path)
    except (OSError, RuntimeError) as e:
        return frozenset(), f"{path} does not load ({e})"
    have = frozenset(vector_name(n, t) for n in ARITY for t in LANES
                     if hasattr(lib, vector_name(n, t)))
    return have, "" if have else f"{path} has no AVX2 variants"


def variants() -> frozenset:
    """The libmvec symbols fused loops may call now (empty: scalar libm)."""
    if not enabled or _host_reason():
        return frozenset()
    return _library(LIBRARY)[0]


def active() -> bool:
    """Whether fused loops call libmvec now."""
    return bool(variants())


def status() -> str:
    """One line: what vector math the native backend uses, or why none."""
    if not enabled:
        return f"scalar libm ({ENV}=0 or vecmath.enabled = False)"
    why = _host_reason() or _library(LIBRARY)[1]
    return f"scalar libm: {why}" if why else f"libmvec AVX2 ({len(variants())} variants)"


class _Attributes(CallInstrAttributes):
    """Call-site attributes that also take LLVM string attributes (``"key"="value"``)."""

    def add(self, name):
        if name.startswith('"'):
            return set.add(self, name)
        return super().add(name)


def annotate(module: ir.Module, call: ir.CallInstr, name: str, t: ir.Type) -> None:
    """Name libmvec's variant of the scalar ``name`` call ``call`` (on ``t``), when there is
    one and vector math is active."""
    if name not in ARITY or t not in LANES:
        return
    vname = vector_name(name, t)
    if vname not in variants():
        return
    fn = module.globals.get(vname)
    if fn is None:
        vt = ir.VectorType(t, LANES[t])
        fn = ir.Function(module, ir.FunctionType(vt, [vt] * ARITY[name]), vname)
        _variants.setdefault(module, []).append(fn)
    attrs = _Attributes(call.attributes)
    attrs.add(f'"vector-function-abi-variant"="_ZGV_LLVM_N{LANES[t]}{"v" * ARITY[name]}_'
              f'{call.callee.name}({vname})"')
    call.attributes = attrs


def finish(module: ir.Module) -> None:
    """Keep the declared variants alive until the loop vectorizer (call once, last)."""
    fns = _variants.pop(module, None)
    if not fns:
        return
    ty = ir.ArrayType(I8P, len(fns))
    gv = ir.GlobalVariable(module, ty, "llvm.compiler.used")
    gv.linkage, gv.section = "appending", "llvm.metadata"
    gv.initializer = ir.Constant(ty, [f.bitcast(I8P) for f in fns])


__all__ = ["ARITY", "ENV", "LIBRARY", "active", "annotate", "enabled", "finish", "status",
           "variants", "vector_name"]
