"""A register VM for long straight-line programs (a Python loop unrolled at trace time).

LLVM's compile time grows faster than linearly in the length of straight-line code (about
1 s for 7,000 scalar equations at O0 and minutes beyond 10^5), while encoding a program for
a VM is linear (``vm_encode.py``). The VM itself is one LLVM function per set of *cases*
(an elementwise primitive at given parameters and dtypes): a loop over ``[case, dst, a, b,
c]`` instructions with a ``switch`` whose arms are the primitives' ordinary native lowering
rules, so it computes exactly what compiled code computes. It is compiled once at O2 and
kept on disk like any module, so programs built from the same operations share it.

Dispatch costs a few nanoseconds per instruction, a little more than straight-line native
code runs at; the VM runs long programs (``VM_MIN_EQNS`` equations or more) without loops,
calls or values it cannot hold (integers); everything else compiles as before.
"""

from __future__ import annotations

import ctypes
import os
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np
from llvmlite import ir

from ...core.avals import is_python_scalar
from ...core.ir import Program
from ...core.staging import gc_paused
from . import engine
from .rules import elementwise_rules
from .scalar import ScalarEmitter
from .types import F64, I32, I64, reg_type
from .vm_encode import Encoded, encode

VM_MIN_EQNS = int(os.environ.get("LINTRA_NATIVE_VM_MIN_EQNS", 2000))

# (program name, reason) for the long programs the VM declined (they compile instead)
vm_declined: deque = deque(maxlen=100)

_VM_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p)
_vms: dict[str, tuple] = {}        # IR text -> (ctypes function, tracker)


def _to_reg(b: ir.IRBuilder, v, dtype: np.dtype):
    """A register's float64 as a value of ``dtype`` (exact for float32 and bool)."""
    if dtype.kind == "b":
        return b.fcmp_unordered("!=", v, ir.Constant(F64, 0.0))
    return b.fptrunc(v, reg_type(dtype)) if dtype.itemsize == 4 else v


def _from_reg(b: ir.IRBuilder, v, dtype: np.dtype):
    if dtype.kind == "b":
        return b.uitofp(v, F64)
    return b.fpext(v, F64) if dtype.itemsize == 4 else v


def emit_vm(cases: tuple) -> str:
    """The IR text of ``void lintra_vm(i32* code, i64 n, double* regs)`` for ``cases``."""
    module = ir.Module(name="lintra_vm")
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [I32.as_pointer(), I64,
                                                               F64.as_pointer()]), "lintra_vm")
    code, n, regs = fn.args
    code.add_attribute("noalias")
    regs.add_attribute("noalias")
    entry, head, body, latch, done = (fn.append_basic_block(s) for s in
                                      ("entry", "head", "body", "latch", "done"))
    b = ir.IRBuilder(entry)
    b.branch(head)
    b.position_at_end(head)
    pc = b.phi(I64, "pc")
    pc.add_incoming(ir.Constant(I64, 0), entry)
    b.cbranch(b.icmp_signed("<", pc, n), body, done)
    b.position_at_end(body)
    base = b.mul(pc, ir.Constant(I64, 5))
    word = [b.load(b.gep(code, [b.add(base, ir.Constant(I64, k))])) for k in range(5)]
    switch = b.switch(word[0], latch)
    for op, (prim, params, in_dtypes, out_dtype) in enumerate(cases):
        arm = fn.append_basic_block(f"case{op}")
        switch.add_case(ir.Constant(I32, op), arm)
        b.position_at_end(arm)
        xs = [_to_reg(b, b.load(b.gep(regs, [b.sext(word[2 + k], I64)])), dt)
              for k, dt in enumerate(in_dtypes)]
        dtype = next((d for d in in_dtypes if d.kind != "b"), in_dtypes[0])
        se = ScalarEmitter(module, b, dtype, out_dtype)
        y = elementwise_rules[prim](se, *xs, **dict(params))
        b.store(_from_reg(b, y, out_dtype), b.gep(regs, [b.sext(word[1], I64)]))
        b.branch(latch)
    b.position_at_end(latch)
    nxt = b.add(pc, ir.Constant(I64, 1))
    pc.add_incoming(nxt, latch)
    b.branch(head)
    b.position_at_end(done)
    b.ret_void()
    return str(module)


def _vm_function(cases: tuple):
    text = emit_vm(cases)
    hit = _vms.get(text)
    if hit is None:
        tracker, addrs = engine.link(engine.compile_object(text, 2), ["lintra_vm"])
        hit = _vms[text] = (_VM_TYPE(addrs["lintra_vm"]), tracker)
    return hit[0]


class VMExecutable:
    """Same interface as ``NativeExecutable``: ``exe(args)`` -> tuple of outputs."""

    opt = "vm"
    tier_up = None
    fresh_outputs = True

    def __init__(self, program: Program, enc: Encoded, compile_s: float):
        self.program, self.compile_s = program, compile_s
        self.vm = _vm_function(enc.cases)
        self.code = np.ascontiguousarray(enc.code, np.int32)
        self.init = enc.init
        self.inputs = [(r.reshape(-1), a) for r, a in enc.inputs]
        self.outputs = [(r, a.dtype) for r, a in enc.outputs]
        self.entry = self._run

    def __call__(self, args: Sequence[Any]) -> tuple:
        return self._run(*args)

    def start_tier_up(self) -> None:
        pass

    def _run(self, *args) -> tuple:
        if len(args) != len(self.inputs):
            raise TypeError(f"native `{self.program.name}` takes {len(self.inputs)} "
                            f"arguments, got {len(args)}")
        regs = self.init.copy()
        for k, ((slots, aval), x) in enumerate(zip(self.inputs, args)):
            regs[slots] = np.ravel(coerce(x, aval, k, self.program.name))
        self.vm(self.code.ctypes.data, len(self.code), regs.ctypes.data)
        return tuple(regs[r].astype(dt) for r, dt in self.outputs)


def compile_vm(program: Program) -> VMExecutable:
    """``NotLowerable`` unless every equation encodes."""
    t0 = time.perf_counter()
    with gc_paused():
        enc = encode(program)
    return VMExecutable(program, enc, time.perf_counter() - t0)


def _describe(x) -> str:
    if isinstance(x, np.ndarray):
        return f"a {x.dtype}{list(x.shape)} array"
    return f"{type(x).__name__} {x!r}"[:80]


def coerce(x, aval, k: int, name: str):
    """``x`` as the exact array a compiled program expects, or a TypeError naming the
    argument (what the native entry's own checks raise)."""
    if is_python_scalar(x) and not aval.shape:
        kind = np.asarray(x).dtype.kind
        if kind == aval.dtype.kind or np.can_cast(np.asarray(x).dtype, aval.dtype, "same_kind"):
            return np.asarray(x, aval.dtype)
    elif isinstance(x, (np.ndarray, np.generic)) and x.dtype == aval.dtype \
            and x.shape == aval.shape:
        return np.asarray(x, dtype=aval.dtype, order="C")
    raise TypeError(f"native `{name}`: argument {k} must be a {aval.dtype}{list(aval.shape)} "
                    f"array, got {_describe(x)}")
