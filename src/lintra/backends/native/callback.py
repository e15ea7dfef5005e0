"""Host callbacks: the equations native code cannot compute run their primitive's interpreter
``impl`` (the one ``core.eval.run_program`` uses) from inside the compiled program, so one such
equation no longer sends its whole program to the interpreter.

Which equations: those whose primitive has no native lowering — ``eig``, ``eigh``, ``svd``,
``qr``, ``lu``, ``pinv``, ``expm``, ``sqrtm``, ``sylvester``, FFT, the ``scipy.special``
functions (``erfc``, ``gammaln``, Bessel functions, ...), ``argsort``/``argpartition``,
``complex``/``real``/``imag``/``conj``, ``debug_print`` (``test_native_callback`` holds the
full list); those whose rule declines before emitting code (``solve``, ``cholesky``,
``triangular_solve``, ``slogdet`` of matrices larger than ``ops/native_linalg.SMALL_N``: the
small real ones are native loops); those that compute on a dtype the scalar code does not know
(complex64/complex128 arithmetic, float16: ``types.OPAQUE_DTYPES``), unless the primitive only
moves elements (``rules.opaque_ok``: reshapes, slices, control flow, calls); and elementwise
equations whose rule declines their dtypes (``pow`` of integers). Native code keeps opaque
dtypes as memory only. Values that are not arrays (function-valued primitives) cannot be
passed: their programs still go to the interpreter (``rules.fallbacks``).

How: at each call site the generated code takes the GIL (``PyGILState_Ensure``; the entry is
called with it held and nothing releases it, so this is a counter bump, but code run on
another thread stays correct), wraps each operand buffer and a fresh result buffer in NumPy
arrays without copying (``PyArray_New`` on the native data pointer; operands read-only), and
calls a Python function (``PyObject_Vectorcall``) that runs ``impl`` and writes its results
into the result arrays. Inside loops and ``@fn`` functions this happens per iteration/call.
Background tier-up threads only compile; they never run code. If ``impl`` raises, the call
returns NULL with the Python error set: the function returns status 2 through its callers and
the entry returns NULL, so the caller gets the original exception (a ``LinAlgError`` for a
singular matrix), and nothing is rerun.

Cost: about 1.4 µs per callback beyond what ``impl`` itself takes (a no-op primitive on a
quiet machine; 2-3 µs under load), and ``impl`` is NumPy's call plus lintra's checks, e.g.
~6 µs for a scalar ``erfc``, ~20 µs for a 3x3 ``eigh`` (``python -m
benchmarks.native_callback``). Operands in buffers are not copied (a fused elementwise value
or a scalar in a register is materialized first); results are copied once, from ``impl``'s
arrays into native buffers.
``calls`` counts the callbacks run per primitive; ``compiled`` lists the (program, primitive)
call sites compiled, newest last. ``LINTRA_NATIVE_CALLBACKS=0`` turns callbacks off: such
programs then run on the interpreter (``rules.fallbacks`` says which equation).
"""

from __future__ import annotations

import ctypes
import os
import weakref
from collections import Counter, deque

import numpy as np
from llvmlite import ir

from ...core.eval import unchecked_impls
from .entry import pyarray_new_address
from .rules import NotLowerable, elementwise_rules, lowering_rules, opaque_ok
from .scalar import ScalarEmitter
from .types import I8P, I32, I64, OPAQUE_DTYPES, Buf, Index, Scalar, reg_type

PyObj = I8P
_READONLY = 0x0001 | 0x0100            # NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED
_WRITEABLE = _READONLY | 0x0400         # | NPY_ARRAY_WRITEABLE

STRICT = os.environ.get("LINTRA_NATIVE_STRICT", "") not in ("", "0")
# LINTRA_NATIVE_CALLBACKS=0: no callbacks; such programs run on the interpreter, as before
ENABLED = os.environ.get("LINTRA_NATIVE_CALLBACKS", "1") not in ("", "0")
calls: Counter = Counter()              # primitive name -> callbacks run
compiled: deque = deque(maxlen=100)     # (program name, primitive name) per call site compiled


def _address(name: str) -> int:
    return ctypes.cast(getattr(ctypes.pythonapi, name), ctypes.c_void_p).value


def needs_callback(eqn) -> bool:
    """Whether ``eqn`` runs by host callback rather than a native lowering."""
    p = eqn.prim
    if p not in elementwise_rules and p not in lowering_rules:
        return True
    if p in opaque_ok:
        return False
    if any(getattr(x.aval, "dtype", None) in OPAQUE_DTYPES for x in (*eqn.inputs,
                                                                     *eqn.outputs)):
        return True
    return p in elementwise_rules and _declined(eqn)


def lower_or_call_back(g, eqn, vals: list) -> list:
    """``eqn`` by its lowering rule; by a callback if the rule declines (``NotLowerable``)
    before emitting any code (a size or parameter it does not handle)."""
    b = g.b
    block, emitted, blocks = b.block, len(b.block.instructions), len(g.fn.blocks)
    try:
        return lowering_rules[eqn.prim](g, vals, **eqn.params)
    except NotLowerable:
        if b.block is not block or len(block.instructions) != emitted or \
                len(g.fn.blocks) != blocks:
            raise                        # code half emitted: the program is interpreted
        return emit_callback(g, eqn, vals)


_declines: dict = {}


def _declined(eqn) -> bool:
    """Whether ``eqn``'s elementwise rule declines its dtypes or parameters (integer ``pow``,
    integer division): found by running the rule once per (primitive, dtypes, parameters)
    on a scratch function, since a rule runs lazily inside its consumer's loop, where a
    decline could not be undone."""
    ins = tuple(np.dtype(x.aval.dtype) for x in eqn.inputs)
    out = np.dtype(eqn.outputs[0].aval.dtype)
    try:
        key = (eqn.prim, ins, out, tuple(sorted(eqn.params.items())))
        hit = _declines.get(key)
    except TypeError:                    # unhashable parameters: no caching
        key, hit = None, None
    if hit is None:
        hit = _dry_run(eqn, ins, out)
        if key is not None:
            _declines[key] = hit
    return hit


def _dry_run(eqn, ins: tuple, out: np.dtype) -> bool:
    module = ir.Module("dry_run")
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [reg_type(d) for d in ins]), "f")
    b = ir.IRBuilder(fn.append_basic_block())
    dtype = next((d for d in ins if d.kind != "b"), ins[0] if ins else out)
    try:
        elementwise_rules[eqn.prim](ScalarEmitter(module, b, dtype, out), *fn.args,
                                    **eqn.params)
    except NotLowerable:
        return True
    except Exception:
        if STRICT:
            raise
        return True
    return False


def make_site(eqn):
    """The Python function a call site calls: ``site(*operands, *results)`` runs the
    primitive's ``impl`` on the operand arrays and writes into the result arrays."""
    prim, params = eqn.prim, dict(eqn.params)
    impl = unchecked_impls.get(prim, prim.impl)
    n, name, multiple = len(eqn.inputs), prim.name, prim.multiple_results

    def site(*a):
        calls[name] += 1
        out = impl(*a[:n], **params)
        if multiple:
            for dst, r in zip(a[n:], out, strict=True):
                dst[...] = r
        else:
            a[n][...] = out
    site.__qualname__ = f"native_callback[{name}]"
    return site


# per module: the slots of the C functions and objects every call site uses
_slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _shared(mod) -> dict:
    s = _slots.get(mod)
    if s is None:
        s = _slots[mod] = {
            "ensure": mod.constant_slot(_address("PyGILState_Ensure")),
            "release": mod.constant_slot(_address("PyGILState_Release")),
            "new": mod.constant_slot(pyarray_new_address()),
            "ndarray": mod.constant_slot(id(np.ndarray)),
        }
    return s


def _dims(module: ir.Module, shape: tuple) -> ir.Value:
    """A constant ``i64[]`` holding ``shape`` (one per shape and module)."""
    name = "lintra_dims_" + "_".join(map(str, shape))
    gv = module.globals.get(name)
    if gv is None:
        ty = ir.ArrayType(I64, max(len(shape), 1))
        gv = ir.GlobalVariable(module, ty, name)
        gv.global_constant, gv.linkage = True, "internal"
        gv.initializer = ir.Constant(ty, list(shape) or [0])
    return gv.bitcast(I64.as_pointer())


def _wrap(g, s: dict, buf: Buf, flags: int):
    """A NumPy array object viewing ``buf`` (NULL if NumPy fails, its error set)."""
    b, aval = g.b, buf.aval
    fty = ir.FunctionType(PyObj, [PyObj, I32, I64.as_pointer(), I32, I64.as_pointer(), I8P,
                                  I32, I32, PyObj])
    new = b.bitcast(b.load(s["new"]), fty.as_pointer())
    return b.call(new, [b.load(s["ndarray"]), ir.Constant(I32, aval.ndim),
                        _dims(g.module, aval.shape), ir.Constant(I32, np.dtype(aval.dtype).num),
                        ir.Constant(I64.as_pointer(), None), b.bitcast(buf.ptr, I8P),
                        ir.Constant(I32, 0), ir.Constant(I32, flags), ir.Constant(PyObj, None)])


def emit_callback(g, eqn, vals: list) -> list:
    """Code for ``eqn`` that calls its ``impl`` on the host; its results as values."""
    if not ENABLED:
        raise NotLowerable(f"`{eqn.prim.name}` needs a host callback (LINTRA_NATIVE_CALLBACKS=0)")
    mod, b = g.mod, g.b
    s = _shared(mod)
    site = make_site(eqn)
    slot = mod.constant_slot(id(site))
    mod.objects[slot.name] = site
    compiled.append((g.module.name, eqn.prim.name))
    ins = [g.as_buf(v) for v in vals]
    avals = [v.aval for v in eqn.outputs]
    outs = [g.alloc(a) for a in avals]
    n = len(ins) + len(outs)
    argv = g.ab.alloca(PyObj, max(n, 1))
    state = b.call(b.bitcast(b.load(s["ensure"]), ir.FunctionType(I32, []).as_pointer()), [])
    null = ir.Constant(PyObj, None)
    ok = ir.Constant(ir.IntType(1), 1)
    for k, (buf, flags) in enumerate([(x, _READONLY) for x in ins] +
                                     [(o, _WRITEABLE) for o in outs]):
        arr = _wrap(g, s, buf, flags)
        b.store(arr, b.gep(argv, [g.i64(k)]))
        ok = b.and_(ok, b.icmp_unsigned("!=", arr, null))
    pre = b.block
    call_block, after = g.fn.append_basic_block("callback"), g.fn.append_basic_block("called")
    b.cbranch(ok, call_block, after)
    b.position_at_end(call_block)
    vectorcall = mod.extern("PyObject_Vectorcall", PyObj, [PyObj, PyObj.as_pointer(), I64,
                                                           PyObj])
    res = b.call(vectorcall, [b.load(slot), argv, g.i64(n), null])
    b.branch(after)
    b.position_at_end(after)
    result = b.phi(PyObj)
    result.add_incoming(res, call_block)
    result.add_incoming(null, pre)
    decref = mod.extern("Py_DecRef", ir.VoidType(), [PyObj])     # NULL-safe
    for k in range(n):
        b.call(decref, [b.load(b.gep(argv, [g.i64(k)]))])
    b.call(decref, [result])
    b.call(b.bitcast(b.load(s["release"]), ir.FunctionType(ir.VoidType(), [I32]).as_pointer()),
           [state])
    g.fail_unless(b.icmp_unsigned("!=", result, null), ir.Constant(I32, 2))
    return [o if a.shape else Scalar(g.load(o, Index(b, (), flat=g.i64(0))), a)
            for o, a in zip(outs, avals)]
