"""``ModuleEmitter``: one LLVM module per compiled program: its kernel, one function per
called program, and the process-specific constants (array literals, Python objects) that the
code reads from globals filled in after loading, so the object file itself is position- and
process-independent (it can be cached on disk)."""

from __future__ import annotations

import numpy as np
from llvmlite import ir

from ...core.avals import ShapedArray
from ...core.ir import Program
from .control import function_type
from .function import FunctionEmitter, ProgramInfo
from .types import I8P, I32, I64, OPAQUE_DTYPES, Buf, Scalar, check_aval, constant, mem_type


class ModuleEmitter:
    def __init__(self, name: str = "lintra"):
        self.module = ir.Module(name=name)
        self.functions: dict[int, ir.Function] = {}
        self.infos: dict[int, ProgramInfo] = {}
        self.keep: list = []          # arrays whose data the constants point at
        self.literals: dict = {}
        self.objects: dict = {}       # global name -> the Python object whose address it holds
        self.constants: list = []     # (global name, address)
        self.loops = 0

    def info(self, program: Program) -> ProgramInfo:
        i = self.infos.get(program.uid)
        if i is None:
            i = self.infos[program.uid] = ProgramInfo(program)
        return i

    # ---------------------------------------------------------------- externals
    def libc(self, name: str) -> ir.Function:
        fn = self.module.globals.get(name)
        if fn is None:
            ty = ir.FunctionType(I8P, [I64]) if name == "malloc" else \
                ir.FunctionType(ir.VoidType(), [I8P])
            fn = ir.Function(self.module, ty, name)
        return fn

    def memcpy(self) -> ir.Function:
        return self.module.declare_intrinsic("llvm.memcpy", [I8P, I8P, I64])

    def extern(self, name: str, ret, args) -> ir.Function:
        fn = self.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.module, ir.FunctionType(ret, args), name)
        return fn

    def constant_slot(self, address: int) -> ir.GlobalVariable:
        """A global ``i8*`` that holds ``address`` once the object is loaded."""
        name = f"lintra_const{len(self.constants)}"
        gv = ir.GlobalVariable(self.module, I8P, name)
        gv.initializer = ir.Constant(I8P, None)
        self.constants.append((name, address))
        return gv

    def const_array(self, val, aval: ShapedArray) -> ir.GlobalVariable:
        arr = np.ascontiguousarray(val, dtype=aval.dtype).reshape(aval.shape)
        self.keep.append(arr)
        return self.constant_slot(arr.ctypes.data)

    def small_literal(self, val, aval: ShapedArray) -> Buf:
        """A small literal array as a constant global (its values known to the lowerings)."""
        arr = np.ascontiguousarray(val, dtype=aval.dtype).reshape(aval.shape)
        key = (arr.tobytes(), arr.dtype.str, arr.shape)
        hit = self.literals.get(key)
        if hit is None:
            t = mem_type(aval.dtype)
            ty = ir.ArrayType(t, max(arr.size, 1))
            gv = ir.GlobalVariable(self.module, ty, f"lintra_lit{len(self.literals)}")
            gv.global_constant, gv.linkage = True, "internal"
            vals = [int(v) for v in arr.ravel().astype(np.uint8)] if arr.dtype.kind == "b" \
                else arr.ravel().tolist()
            consts = [constant(arr.dtype, v) if arr.dtype in OPAQUE_DTYPES else
                      ir.Constant(t, v) for v in vals]
            gv.initializer = ir.Constant(ty, consts or [ir.Constant(t, None)])
            hit = self.literals[key] = gv.bitcast(t.as_pointer())
        return Buf(hit, aval, const=arr)

    # ---------------------------------------------------------------- functions
    def function_for(self, program: Program) -> ir.Function:
        """``program``'s own function, emitted once per module."""
        fn = self.functions.get(program.uid)
        if fn is not None:
            return fn
        fn = ir.Function(self.module, function_type(program), f"fn{len(self.functions)}_"
                         + "".join(c if c.isalnum() else "_" for c in program.name)[:40])
        fn.linkage = "internal"
        self.functions[program.uid] = fn
        g = FunctionEmitter(self, fn)
        n = len(program.params)
        ins = [Scalar(a, v.aval) if not v.aval.shape else Buf(a, v.aval)
               for a, v in zip(fn.args[:n], program.params)]
        outs = g.emit_program(program, ins)
        for ptr, o, a in zip(fn.args[n:], outs, program.out_avals):
            g.write(Buf(ptr, a), o)
        g.finish()
        return fn

    def kernel(self, program: Program) -> ir.Function:
        """``i32 kernel(i8** ins, i8** outs)``: the program on the data pointers of its
        inputs, writing its results into the buffers ``outs`` points at."""
        fn = ir.Function(self.module, ir.FunctionType(I32, [I8P.as_pointer()] * 2),
                         "lintra_kernel")
        g = FunctionEmitter(self, fn)
        ins = []
        for v in program.params:
            check_aval(v.aval)
        for k, v in enumerate(program.params):
            p = g.b.bitcast(g.b.load(g.b.gep(fn.args[0], [g.i64(k)])),
                            mem_type(v.aval.dtype).as_pointer())
            ins.append(Buf(p, v.aval) if v.aval.shape else g.as_scalar(Buf(p, v.aval)))
        g.direct_outputs = program        # fresh result arrays: no aliasing, no temporaries
        outs = g.emit_program(program, ins)
        for j, (o, a) in enumerate(zip(outs, program.out_avals)):
            p = g.b.bitcast(g.b.load(g.b.gep(fn.args[1], [g.i64(j)])),
                            mem_type(a.dtype).as_pointer())
            g.write(Buf(p, a), o)
        g.finish()
        return fn
