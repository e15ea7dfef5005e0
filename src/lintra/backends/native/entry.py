"""The Python entry point of a compiled program: a METH_FASTCALL function emitted in LLVM IR.
It takes the program's inputs as positional arguments, checks that each is exactly a NumPy
array of the expected dtype and shape, C-contiguous and aligned, allocates the results with
NumPy's ``PyArray_New``, runs the kernel and returns the results as a tuple. Anything else (Python
scalars, other layouts, wrong types, a failed run-time check in the kernel) goes to a Python
``slow`` function, which converts or raises a TypeError naming the argument."""

from __future__ import annotations

import ctypes

import numpy as np
from llvmlite import ir

from ...core.ir import Program
from .types import I8P, I32, I64

PyObj = I8P
NPY_C_CONTIGUOUS_ALIGNED = 0x0001 | 0x0100
# PyArrayObject fields (CPython 64-bit, NumPy 1.x and 2.x): data, nd, dimensions, descr, flags
_DATA, _ND, _DIMS, _DESCR, _FLAGS = 16, 24, 32, 56, 64


def pyarray_new_address() -> int:
    """``PyArray_New`` from NumPy's C-API table (slot 93, the same in NumPy 1.x and 2.x)."""
    core = getattr(np, "_core", None) or np.core
    capsule = core._multiarray_umath._ARRAY_API
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return ctypes.c_void_p.from_address(get(capsule, None) + 93 * 8).value


def emit_entry(mod, program: Program, kernel: ir.Function, objects: dict) -> ir.Function:
    """Emit ``lintra_entry(self, args, nargs)``; ``mod.objects`` (and ``objects``) receive the
    Python objects (by global name) whose addresses the entry reads at run time; the last
    constant is the slow path, set when the code is loaded."""
    m = mod.module
    vectorcall = mod.extern("PyObject_Vectorcall", PyObj,
                            [PyObj, PyObj.as_pointer(), I64, PyObj])
    tuple_new = mod.extern("PyTuple_New", PyObj, [I64])
    tuple_set = mod.extern("PyTuple_SetItem", I32, [PyObj, I64, PyObj])
    decref = mod.extern("Py_DecRef", ir.VoidType(), [PyObj])

    def obj(o) -> ir.GlobalVariable:
        gv = mod.constant_slot(id(o))
        objects[gv.name] = mod.objects[gv.name] = o
        return gv

    fn = ir.Function(m, ir.FunctionType(PyObj, [PyObj, PyObj.as_pointer(), I64]),
                     "lintra_entry")
    args, nargs = fn.args[1], fn.args[2]
    entry = fn.append_basic_block("entry")
    slow = fn.append_basic_block("slow")
    b = ir.IRBuilder(entry)
    n_in, n_out = len(program.params), len(program.outs)
    ins = b.alloca(I8P, max(n_in, 1))
    outs = b.alloca(I8P, max(n_out, 1))
    objs = b.alloca(PyObj, max(n_out, 1))

    def field(p, off, ty):
        q = b.gep(p, [ir.Constant(I64, off)])
        return b.load(b.bitcast(q, ty.as_pointer()))

    def check(cond):
        nxt = fn.append_basic_block()
        b.cbranch(cond, nxt, slow)
        b.position_at_end(nxt)

    check(b.icmp_signed("==", nargs, ir.Constant(I64, n_in)))
    ndarray = b.load(obj(np.ndarray))
    descrs = {}
    for k, v in enumerate(program.params):
        a = b.load(b.gep(args, [ir.Constant(I64, k)]))
        check(b.icmp_unsigned("==", field(a, 8, PyObj), ndarray))
        dt = v.aval.dtype
        if dt not in descrs:
            descrs[dt] = b.load(obj(np.dtype(dt)))
        check(b.icmp_unsigned("==", field(a, _DESCR, PyObj), descrs[dt]))
        check(b.icmp_signed("==", field(a, _ND, I32), ir.Constant(I32, v.aval.ndim)))
        if v.aval.ndim:
            dims = field(a, _DIMS, I64.as_pointer())
            for d, size in enumerate(v.aval.shape):
                got = b.load(b.gep(dims, [ir.Constant(I64, d)]))
                check(b.icmp_signed("==", got, ir.Constant(I64, size)))
        flags = b.and_(field(a, _FLAGS, I32), ir.Constant(I32, NPY_C_CONTIGUOUS_ALIGNED))
        check(b.icmp_signed("==", flags, ir.Constant(I32, NPY_C_CONTIGUOUS_ALIGNED)))
        b.store(field(a, _DATA, I8P), b.gep(ins, [ir.Constant(I64, k)]))

    new_ty = ir.FunctionType(PyObj, [PyObj, I32, I64.as_pointer(), I32, I64.as_pointer(), I8P,
                                     I32, I32, PyObj])
    new_array = b.bitcast(b.load(mod.constant_slot(pyarray_new_address())), new_ty.as_pointer())
    null = ir.Constant(PyObj, None)
    made = []
    for j, a in enumerate(program.out_avals):
        dims = b.alloca(I64, max(a.ndim, 1))
        for d, size in enumerate(a.shape):
            b.store(ir.Constant(I64, size), b.gep(dims, [ir.Constant(I32, d)]))
        o = b.call(new_array, [ndarray, ir.Constant(I32, a.ndim), dims,
                               ir.Constant(I32, np.dtype(a.dtype).num),
                               ir.Constant(I64.as_pointer(), None), ir.Constant(I8P, None),
                               ir.Constant(I32, 0), ir.Constant(I32, 0), null])
        ok = fn.append_basic_block()
        bad = fn.append_basic_block()
        b.cbranch(b.icmp_unsigned("!=", o, null), ok, bad)
        b.position_at_end(bad)
        for prev in made:
            b.call(decref, [prev])
        b.ret(null)
        b.position_at_end(ok)
        made.append(o)
        b.store(o, b.gep(objs, [ir.Constant(I64, j)]))
        b.store(field(o, _DATA, I8P), b.gep(outs, [ir.Constant(I64, j)]))

    st = b.call(kernel, [ins, outs])
    good = fn.append_basic_block("done")
    failed = fn.append_basic_block("failed")
    b.cbranch(b.icmp_signed("==", st, ir.Constant(I32, 0)), good, failed)
    b.position_at_end(failed)
    for o in made:
        b.call(decref, [o])
    b.branch(slow)
    b.position_at_end(good)
    t = b.call(tuple_new, [ir.Constant(I64, n_out)])
    for j, o in enumerate(made):
        b.call(tuple_set, [t, ir.Constant(I64, j), o])
    b.ret(t)

    b.position_at_end(slow)
    slow_fn = b.load(mod.constant_slot(0))
    b.ret(b.call(vectorcall, [slow_fn, args, nargs, null]))
    return fn
