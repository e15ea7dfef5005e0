"""``ModuleEmitter``: the LLVM module of a compiled program (its kernel and entry) or of a
called program (``SharedFunction``), with the process-specific constants (array literals,
Python objects, the slots of called functions) that the code reads from globals filled in
after loading, so the object file itself is position- and process-independent (it can be
cached on disk).

Called programs (``call``: an ``@fn``, a nested ``jit``, or a derived program such as
``jvp_step_primal``) are compiled once per process, IR text (which fixes the program, its input
types and the lowering) and constants, each in its own module, object file and JIT library,
emitted when a caller first needs it. A caller reads the address of a callee's code from the
callee's *slot*, a pointer-sized cell (one constant of the caller holds its address). So a
second ``jit`` calling the same functions emits, compiles and links only its own code, and the
disk cache keys caller and callee objects separately (a caller's object holds none of its
callees' code).

How a caller sees faster code (measured, then decided):

* A hot caller with loops is recompiled in the background at O2 as one module with internal
  copies of its callees (``share=False``), which LLVM inlines. Calling shared O2 callees
  through their slots instead cost 3-8 % of the steady time of the billiards and mass-spring
  gradients (the step can no longer be inlined into the loop, its result buffers no longer
  forwarded) and ~2 ns per call of a tiny ``@fn`` in a 10⁶-step loop (+12 %); the whole
  module runs as fast as one module always did. That O2 compilation, off the first call's
  path, is the only place a callee is compiled per caller; a later process loads it from the
  disk cache (found through a note under the printed program, ``backend.compile_native``).
* A shared function with loops whose callers stay at O0 (too big for O2) tiers up itself: the
  worker compiles it at O2 and stores the new address into its slot, one aligned pointer
  store that callers read with an ``unordered`` (atomic) load before each call. Older code
  stays loaded: a caller may be running it."""

from __future__ import annotations

import ctypes
import threading
import weakref

import numpy as np
from llvmlite import ir

from ...core.avals import ShapedArray
from ...core.ir import Program, ProgramTable
from . import engine, vecmath
from .arena import cells
from .control import function_type
from .function import FunctionEmitter, ProgramInfo
from .rules import fallbacks
from .types import I8P, I32, I64, OPAQUE_DTYPES, Buf, Scalar, check_aval, constant, mem_type


class ModuleEmitter:
    def __init__(self, name: str = "lintra", share: bool = True):
        self.share = share
        self.module = ir.Module(name=name)
        self.functions: dict[int, ir.Function] = {}
        self.infos: dict[int, ProgramInfo] = {}
        self.keep: list = []          # arrays whose data the constants point at
        self.literals: dict = {}
        self.objects: dict = {}       # global name -> the Python object whose address it holds
        self.constants: list = []     # (global name, address)
        self.loops = 0                # loops emitted
        self.size = 0                 # equations emitted (called programs not included)
        self.calls: dict[int, ir.GlobalVariable] = {}   # program uid -> its slot's address
        self.callees: list[SharedFunction] = []

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
    def callee(self, b: ir.IRBuilder, program: Program):
        """What a call of ``program`` calls: its shared function, through its slot (read at
        each call: a tier-up may have swapped in faster code); with ``share=False``, an
        internal copy in this module, which LLVM may inline."""
        if not self.share:
            return self.function_for(program)
        gv = self.calls.get(program.uid)
        if gv is None:
            f = shared_function(program)
            self.callees.append(f)
            self.keep.append(f)
            gv = self.calls[program.uid] = self.constant_slot(ctypes.addressof(f.slot))
        slot = b.bitcast(b.load(gv), I8P.as_pointer())
        return b.bitcast(b.load_atomic(slot, "unordered", 8),
                         function_type(program).as_pointer())

    def function_for(self, program: Program, name: str | None = None) -> ir.Function:
        """``program``'s own function, emitted once per module: internal, or exported as
        ``name`` (then its pointer arguments are declared ``noalias``: inputs are only read,
        results are fresh buffers)."""
        fn = self.functions.get(program.uid)
        if fn is not None:
            return fn
        fn = ir.Function(self.module, function_type(program), name or f"fn{len(self.functions)}_"
                         + "".join(c if c.isalnum() else "_" for c in program.name)[:40])
        if name is None:
            fn.linkage = "internal"
        else:
            for arg in fn.args:
                if isinstance(arg.type, ir.PointerType):
                    arg.add_attribute("noalias")
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

    def prepare_callees(self) -> list:
        """Emit (once per process) and load every shared function this module calls; the
        background jobs that raise those with loops to O2."""
        return [job for f in self.callees for job in f.prepare()]

    def has_loops(self) -> bool:
        """Loops here or in a function called (after ``prepare_callees``)."""
        return bool(self.loops) or any(f.code.loops for f in callees(self))

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


class SharedFunction:
    """A called program's function, as callers see it: ``slot``, a cell holding the address
    of its code. The code is emitted on the first ``prepare`` (not before: a caller loaded
    whole from the disk cache never needs it), once per IR text and constants (``_Code``)."""

    def __init__(self, program: Program):
        self.program = weakref.ref(program)     # (a ProgramTable value: not the key itself)
        self.slot = ctypes.c_void_p(0)
        self.code: _Code | None = None

    def prepare(self) -> list:
        """Emitted and loaded; the background jobs that raise it to the level it wants. One
        thread at a time: two threads' first calls must not each emit a code, the second
        replacing (and so unloading) the one the first is already running."""
        with _preparing:
            if self.code is None:
                self.code = _code(self.program())
                self.code.slots.append(self.slot)
                self.slot.value = self.code.slots[0].value
            return self.code.prepare()


class _Code:
    """The compiled function of one IR text and constants. ``opt``: the level of its code
    now (-1 before loading); ``want``: O2 when it has loops (and is not too big), else O0."""

    def __init__(self, mod: ModuleEmitter, text: str):
        self.name, self.text, self.loops, self.size = mod.module.name, text, mod.loops, mod.size
        self.constants, self.keep, self.callees = mod.constants, mod.keep, mod.callees
        self.objects = mod.objects      # the Python objects (callback sites) its constants hold
        self.arenas = cells(mod)        # (never freed: a caller may run this code any time)
        self.slots: list = []           # the slots of every SharedFunction with this code
        self.opt = -1
        self.want = int(engine.OPT) if engine.OPT is not None else \
            2 if mod.loops and mod.size <= engine.O2_LIMIT else 0
        self.trackers: list = []        # every version loaded (a caller may still run one)

    def prepare(self) -> list:
        """Loaded (callees first) at ``want`` if its object is on disk or tiers are off, else
        at O0; the jobs that raise it (and its callees) to ``want``."""
        jobs = [job for f in self.callees for job in f.prepare()]
        ready = not engine.TIER_UP or engine.is_cached(self.text, self.want)
        if self.opt < (self.want if ready else 0):
            self.load(self.want if ready else 0)
        if self.opt < self.want:
            jobs.append(self.tier_up)
        return jobs

    def load(self, opt: int) -> None:
        names = [n for n, _ in self.constants]
        obj = engine.compile_object(self.text, opt)
        tracker, addrs = engine.link(obj, ["lintra_fn"] + names)
        for name, address in self.constants:
            engine.set_global(addrs[name], address)
        self.trackers.append(tracker)
        for slot in self.slots:         # one aligned store each: every caller switches
            slot.value = addrs["lintra_fn"]
        self.opt = opt

    def tier_up(self) -> None:
        """The background worker's job: compile and swap in the code at ``want``."""
        if self.opt < self.want:
            try:
                self.load(self.want)
            except Exception as e:  # pragma: no cover  (the O0 code keeps running)
                fallbacks.append((self.name, f"O2 recompilation failed: {e}"))


_by_program = ProgramTable()            # program -> its SharedFunction
_preparing = threading.RLock()          # (re-entered: a function prepares its callees)
_by_text: weakref.WeakValueDictionary = weakref.WeakValueDictionary()   # (text, consts) -> _Code


def shared_function(program: Program) -> SharedFunction:
    """``program``'s function (one per program; its code emitted on first use)."""
    f = _by_program.get(program, "native")
    if f is None:
        return _by_program.put(program, "native", SharedFunction(program))
    engine.stats["function_hits"] += 1
    return f


def _code(program: Program) -> _Code:
    """``program``'s code: emitted, and shared by every program of the same IR text and
    constants (the text alone names no callee, literal array or callback: two ``@fn`` of one
    name calling different functions have the same text). A live entry keeps its constants'
    objects alive, so their addresses are not reused while it is a key."""
    mod = ModuleEmitter(program.name)
    mod.function_for(program, "lintra_fn")
    vecmath.finish(mod.module)
    text = str(mod.module)
    key = (text, tuple(address for _, address in mod.constants))
    code = _by_text.get(key)
    if code is None:
        code = _by_text[key] = _Code(mod, text)
        engine.stats["functions"] += 1
    else:
        engine.stats["function_hits"] += 1
    return code


def callees(f: SharedFunction | ModuleEmitter) -> list[SharedFunction]:
    """Every function that ``f`` calls, directly or not, once each (after ``prepare``)."""
    out: list = []
    todo = list(f.callees if isinstance(f, ModuleEmitter) else f.code.callees)
    while todo:
        g = todo.pop()
        if all(g is not h for h in out):
            out.append(g)
            todo += g.code.callees
    return out
