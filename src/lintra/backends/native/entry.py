"""The Python entry point of a compiled program: a METH_FASTCALL function emitted in LLVM IR.
It takes the program's inputs as positional arguments, checks that each is exactly a NumPy
array of the expected dtype and shape, C-contiguous and aligned, allocates the results with
NumPy's ``PyArray_New``, runs the kernel and returns the results as a tuple (or NULL, with
the error set, when a host callback raised). Anything else (Python
scalars, other layouts, wrong types, a failed run-time check in the kernel) goes to a Python
``slow`` function, which converts or raises a TypeError naming the argument. The entry's
``__self__`` is a tuple ``(slow, owner)``: one compiled entry serves as two functions, the
converting one and ``strict`` (whose ``slow`` declines arguments of other types, for
``jit``'s quickest path)."""

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
# the first item of a tuple (PyTupleObject: refcount, type, size, items)
_TUPLE_ITEM0 = 24


def pyarray_new_address() -> int:
    """``PyArray_New`` from NumPy's C-API table (slot 93, the same in NumPy 1.x and 2.x)."""
    core = getattr(np, "_core", None) or np.core
    capsule = core._multiarray_umath._ARRAY_API
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return ctypes.c_void_p.from_address(get(capsule, None) + 93 * 8).value


def emit_entry(mod, program: Program, kernel: ir.Function, objects: dict) -> ir.Function:
    """Emit ``lintra_entry(self, args, nargs)``; ``mod.objects`` (and ``objects``) receive the
    Python objects (by global name) whose addresses the entry reads at run time; the slow
    path is ``self[0]``."""
    e = _Entry(mod, objects)
    ins = e.check_args(program)
    made, outs = e.new_outputs(program)
    b = e.b
    st = b.call(kernel, [ins, outs])
    good, failed = e.fn.append_basic_block("done"), e.fn.append_basic_block("failed")
    b.cbranch(b.icmp_signed("==", st, ir.Constant(I32, 0)), good, failed)
    b.position_at_end(failed)
    for o in made:
        b.call(e.decref, [o])
    raised = e.fn.append_basic_block("raised")      # status 2: a host callback raised
    b.cbranch(b.icmp_signed("==", st, ir.Constant(I32, 2)), raised, e.slow)
    b.position_at_end(raised)
    b.ret(ir.Constant(PyObj, None))
    b.position_at_end(good)
    t = b.call(mod.extern("PyTuple_New", PyObj, [I64]), [ir.Constant(I64, len(made))])
    tuple_set = mod.extern("PyTuple_SetItem", I32, [PyObj, I64, PyObj])
    for j, o in enumerate(made):
        b.call(tuple_set, [t, ir.Constant(I64, j), o])      # steals the reference
    b.ret(t)
    b.position_at_end(e.slow)
    vectorcall = mod.extern("PyObject_Vectorcall", PyObj,
                            [PyObj, PyObj.as_pointer(), I64, PyObj])
    slow_fn = e.field(e.fn.args[0], _TUPLE_ITEM0, PyObj)      # __self__[0]
    b.ret(b.call(vectorcall, [slow_fn, e.args, e.nargs, ir.Constant(PyObj, None)]))
    return e.fn


class _Entry:
    def __init__(self, mod, objects: dict):
        self.mod, self.objects = mod, objects
        self.fn = ir.Function(mod.module, ir.FunctionType(PyObj, [PyObj, PyObj.as_pointer(),
                                                                  I64]), "lintra_entry")
        self.args, self.nargs = self.fn.args[1], self.fn.args[2]
        self.b = ir.IRBuilder(self.fn.append_basic_block("entry"))
        self.slow = self.fn.append_basic_block("slow")
        self.decref = mod.extern("Py_DecRef", ir.VoidType(), [PyObj])
        self.ndarray = self.b.load(self.obj(np.ndarray))

    def obj(self, o) -> ir.GlobalVariable:
        gv = self.mod.constant_slot(id(o))
        self.objects[gv.name] = self.mod.objects[gv.name] = o
        return gv

    def field(self, p, off, ty):
        q = self.b.gep(p, [ir.Constant(I64, off)])
        return self.b.load(self.b.bitcast(q, ty.as_pointer()))

    def check(self, cond) -> None:
        """Go on if ``cond``, else take the slow path."""
        nxt = self.fn.append_basic_block()
        self.b.cbranch(cond, nxt, self.slow)
        self.b.position_at_end(nxt)

    def check_args(self, program: Program):
        """Each argument exactly an ndarray of the expected dtype (descriptor), shape and
        C-contiguous, aligned layout; their data pointers, in an array."""
        b, check, field = self.b, self.check, self.field
        ins = b.alloca(I8P, max(len(program.params), 1))
        check(b.icmp_signed("==", self.nargs, ir.Constant(I64, len(program.params))))
        descrs: dict = {}
        for k, v in enumerate(program.params):
            a = b.load(b.gep(self.args, [ir.Constant(I64, k)]))
            check(b.icmp_unsigned("==", field(a, 8, PyObj), self.ndarray))
            dt = v.aval.dtype
            if dt not in descrs:
                descrs[dt] = b.load(self.obj(np.dtype(dt)))
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
        return ins

    def new_outputs(self, program: Program):
        """Fresh result arrays (``PyArray_New``); their objects and an array of their data
        pointers. On a failed allocation: release the ones made, return NULL (MemoryError)."""
        b = self.b
        new_ty = ir.FunctionType(PyObj, [PyObj, I32, I64.as_pointer(), I32, I64.as_pointer(),
                                         I8P, I32, I32, PyObj])
        new_array = b.bitcast(b.load(self.mod.constant_slot(pyarray_new_address())),
                              new_ty.as_pointer())
        null = ir.Constant(PyObj, None)
        outs = b.alloca(I8P, max(len(program.outs), 1))
        made: list = []
        for j, a in enumerate(program.out_avals):
            dims = b.alloca(I64, max(a.ndim, 1))
            for d, size in enumerate(a.shape):
                b.store(ir.Constant(I64, size), b.gep(dims, [ir.Constant(I32, d)]))
            o = b.call(new_array, [self.ndarray, ir.Constant(I32, a.ndim), dims,
                                   ir.Constant(I32, np.dtype(a.dtype).num),
                                   ir.Constant(I64.as_pointer(), None), ir.Constant(I8P, None),
                                   ir.Constant(I32, 0), ir.Constant(I32, 0), null])
            ok, bad = self.fn.append_basic_block(), self.fn.append_basic_block()
            b.cbranch(b.icmp_unsigned("!=", o, null), ok, bad)
            b.position_at_end(bad)
            for prev in made:
                b.call(self.decref, [prev])
            b.ret(null)
            b.position_at_end(ok)
            made.append(o)
            b.store(self.field(o, _DATA, I8P), b.gep(outs, [ir.Constant(I64, j)]))
        return made, outs
