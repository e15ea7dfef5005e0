"""The native backend: a program compiled to an LLVM module (kernel and entry; the programs
it calls are shared functions of their own until it tiers up, see ``module``), optimized by
tier, cached on disk, loaded with ORC and called through a METH_FASTCALL entry. Programs it
cannot lower run on the interpreter instead (``rules.fallbacks`` says why)."""

from __future__ import annotations

import atexit
import functools
import os
import queue
import threading
import time
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core.effects import held_output
from ...core.eval import run_program
from ...core.ir import Program
from ..base import MISMATCH
from . import engine, vecmath
from .arena import cells, free_all
from .engine import O2_LIMIT, TIER_UP
from .entry import emit_entry
from .module import ModuleEmitter
from .rules import NotLowerable, fallbacks
from .vm import VM_MIN_EQNS, coerce, compile_vm, vm_declined

# above this many, a program is interpreted: code generation of long straight-line code
# (Python loops unrolled at trace time) costs ~0.2-1 ms per equation and grows superlinearly
MAX_EQNS = int(os.environ.get("LINTRA_NATIVE_MAX_EQNS", 30000))
BIG_WORK = 1 << 18      # elements per equation from which a program starts at O1 (``_big``)
STRICT = os.environ.get("LINTRA_NATIVE_STRICT", "") not in ("", "0")
HOT_CALLS = 3


# one background thread compiles every O2 tier-up, in order: LLVM compiles one module at a
# time anyway (engine's lock), and a thread per program piled dozens of them up under load
_queue: queue.Queue = queue.Queue()
_worker: list[threading.Thread] = []
_awaiting: weakref.WeakSet = weakref.WeakSet()


_stopping: list[bool] = []


def _work() -> None:
    while True:
        job = _queue.get()
        try:
            if not _stopping:
                job()
        finally:
            _queue.task_done()


@atexit.register
def _stop() -> None:
    """At exit, finish the compilation under way and skip the rest (LLVM must not be torn
    down under a running compilation)."""
    _stopping.append(True)
    _queue.join()


class _Owner:
    """``__self__`` of an entry function: keeps its code, constants and method def alive;
    frees the arenas its code holds when it goes."""

    __slots__ = ("tracker", "objects", "arrays", "mdef", "arenas", "__weakref__")

    def __del__(self):
        free_all(getattr(self, "arenas", ()))


def _size(program: Program, seen: set) -> int:
    if program.uid in seen:
        return 0
    seen.add(program.uid)
    n = len(program.eqns)
    for e in program.eqns:
        for sub in e.prim.subprograms(e.params):
            n += _size(sub, seen)
    return n


class NativeExecutable:
    """``exe(args)`` runs the program; ``exe.entry(*args)`` is the raw entry (a tuple);
    ``opt``: the optimization level of the code running now. Its outputs are fresh arrays
    (``fresh_outputs``: ``jit`` hands them over without a copy)."""

    fresh_outputs = True

    def __init__(self, program: Program, entries: tuple, opt: int, compile_s: float):
        # ``strict(*args)``: the entry, or ``MISMATCH`` for arguments of other types
        self.program, (self.entry, self.strict) = program, entries
        self.opt, self.compile_s = opt, compile_s
        self.calls = 0
        # (IR text and module to recompile at O2, or None; the called functions' jobs) to
        # start once hot
        self.tier_up = None

    def __call__(self, args: Sequence[Any]) -> tuple:
        if self.tier_up is not None:
            self.calls += 1
            if self.calls >= HOT_CALLS:
                self.start_tier_up()
        return self.entry(*args)

    def start_tier_up(self) -> None:
        if self.tier_up is not None:
            own, jobs = self.tier_up
            self.tier_up = None
            if not _worker:
                _worker.append(threading.Thread(target=_work, name="lintra-O2", daemon=True))
                _worker[0].start()
            if own is not None:
                jobs = jobs + [functools.partial(_tier_up, self, *own)]
            for job in jobs:
                _queue.put(job)


def _big(program: Program) -> bool:
    """Whether the program's loops are long for its size (``BIG_WORK`` elements per equation
    on average): unvectorized O0 code would then take longer than compiling it vectorized
    (a 14-equation gradient over 10^6 elements: 98 ms at O0, 22 ms at O1 after 65 ms of
    compiling), while compiling a large program at O1 costs more than it saves (GMM's
    92-equation gradient: 0.4 s at O1, where its first call at O0 takes 0.07-0.11 s).
    Loops and calls do not count: their work is in their bodies and callees, which the
    program's level does not change (the stacked residuals of mass-spring's 1364-step loop
    made it "big", for an O1 compile twice O0's and a first run only a third faster)."""
    work = sum(v.aval.size for e in program.eqns if not e.prim.higher_order
               for v in e.outputs)
    return work >= BIG_WORK * max(len(program.eqns), 1)


def compile_native(program: Program) -> NativeExecutable:
    """The program's ``NativeExecutable``; raises ``NotLowerable`` when it has no lowering.
    It runs at O0 first (at O1 when its loops are long for its size: ``_big``), calling the
    programs it calls through their shared functions (``module.SharedFunction``). With
    loops, from its ``HOT_CALLS``-th call on, a background thread compiles it at O2 as one
    module with copies of its callees (inlinable) and swaps that code in; where that module
    was compiled before (its object on disk) or ``LINTRA_NATIVE_TIERUP=0``, it runs from
    the start."""
    t0 = time.perf_counter()
    size = _size(program, set())
    if size >= VM_MIN_EQNS and size == len(program.eqns):
        try:
            return compile_vm(program)
        except NotLowerable as e:           # (not a fallback: compiled below)
            vm_declined.append((program.name, str(e)))
    if size > MAX_EQNS:
        raise NotLowerable(f"{size} equations (more than {MAX_EQNS}, e.g. a long Python loop "
                           "unrolled): interpreted; fori_loop, scan or fn compile fast")
    # the printed program: a cheap fingerprint, under which a tier-up is noted on disk (it
    # may collide: the object found is checked under its own IR text)
    hint = repr(program) if size <= O2_LIMIT else ""
    if hint and TIER_UP and engine.OPT is None and engine.noted(hint, 2):
        exe = _compile_whole(program, 2, hint, t0)      # hot in an earlier process
        if exe is not None:
            return exe
    mod = ModuleEmitter(program.name)
    emit_entry(mod, program, mod.kernel(program), {})
    vecmath.finish(mod.module)
    text = str(mod.module)
    jobs = mod.prepare_callees()
    opt = 2 if mod.has_loops() and size <= O2_LIMIT else 0
    opt = int(engine.OPT) if engine.OPT is not None else opt
    if opt and not TIER_UP:
        return _compile_whole(program, opt, hint, t0)
    first = 1 if opt == 2 and _big(program) else 0
    entries = _load(engine.compile_object(text, first), mod, program)
    exe = NativeExecutable(program, entries, first, time.perf_counter() - t0)
    if opt or jobs:
        exe.tier_up = ((opt, hint), []) if opt else (None, jobs)
        _awaiting.add(exe)
    return exe


def _whole(program: Program) -> tuple[ModuleEmitter, str]:
    """``program`` as one module with its own copies of the programs it calls."""
    mod = ModuleEmitter(program.name, share=False)
    emit_entry(mod, program, mod.kernel(program), {})
    vecmath.finish(mod.module)
    return mod, str(mod.module)


def _compile_whole(program: Program, opt: int, hint: str, t0: float):
    """Compiled as one module at ``opt``, if tiers are off or its object is on disk (then
    noted under ``hint``)."""
    mod, whole = _whole(program)
    if TIER_UP and not engine.is_cached(whole, opt):
        return None
    entries = _load(engine.compile_object(whole, opt), mod, program)
    if hint:
        engine.note(hint, opt)
    return NativeExecutable(program, entries, opt, time.perf_counter() - t0)


def wait_for_tier_up(start: bool = False) -> None:
    """Block until every background O2 compilation has finished (benchmarks, tests);
    ``start``: first start it for every program still at O0, hot or not."""
    if start:
        for exe in list(_awaiting):
            exe.start_tier_up()
    _queue.join()


def _load(obj: bytes, mod: ModuleEmitter, program: Program) -> tuple:
    """Link ``obj`` (compiled from ``mod``), fill in its constants; its entry function and
    the same code as the ``strict`` entry (``entry.py``)."""
    names = [n for n, _ in mod.constants]
    tracker, addrs = engine.link(obj, ["lintra_entry"] + names)
    owner = _Owner()
    owner.tracker, owner.objects, owner.arrays = tracker, dict(mod.objects), mod.keep
    owner.arenas = cells(mod)
    owner.mdef = engine.method_def(addrs["lintra_entry"], program.name[:60])
    for name, address in mod.constants:
        engine.set_global(addrs[name], id(owner.objects[name]) if name in owner.objects
                          else address)
    made: list = []                     # the entry, once made (the slow path calls it)
    slow = _slow_path(program, made)
    made.append(engine.make_function(owner.mdef, (slow, owner)))
    strict = engine.make_function(owner.mdef, (_strict_path(program, slow), owner))
    return made[0], strict


def _tier_up(exe: NativeExecutable, opt: int, hint: str) -> None:
    """The worker's job: ``exe`` as one module (``_whole``) at ``opt``, swapped in."""
    try:
        mod, whole = _whole(exe.program)
        exe.entry, exe.strict = _load(engine.compile_object(whole, opt), mod, exe.program)
        exe.opt = opt
        engine.note(hint, opt)
    except Exception as e:  # pragma: no cover  (the O0 code keeps running)
        fallbacks.append((exe.program.name, f"O{opt} recompilation failed: {e}"))


def _slow_path(program: Program, made: list):
    avals = program.in_avals

    def slow(*args):
        if len(args) != len(avals):
            raise TypeError(f"native `{program.name}` takes {len(avals)} arguments, got "
                            f"{len(args)}")
        conv = [coerce(x, a, k, program.name) for k, (x, a) in enumerate(zip(args, avals))]
        if any(c is not x for c, x in zip(conv, args)):
            return made[0](*conv)
        # the arguments were right: a run-time check failed in the kernel (an index out of
        # bounds); the interpreter raises NumPy's error (or computes what NumPy computes).
        # The kernel already printed the debug_prints before the check: when the rerun
        # fails at the same place, it prints nothing again
        with held_output() as lines:
            out = tuple(np.array(o) if isinstance(o, np.ndarray) and not o.flags.writeable
                        else o for o in run_program(program, conv))
        for line in lines:
            print(line, flush=True)
        return out
    return slow


def _strict_path(program: Program, slow):
    """The strict entry's slow path: ``MISMATCH`` unless every argument is an ndarray of the
    compiled dtype and shape (then ``slow``: another layout, or a failed run-time check)."""
    avals = program.in_avals

    def strict(*args):
        if len(args) != len(avals):
            return MISMATCH
        for x, a in zip(args, avals):
            if type(x) is not np.ndarray or x.shape != a.shape or x.dtype != a.dtype:
                return MISMATCH
        return slow(*args)
    return strict


def lower_or_none(program: Program):
    """The compiled program, or None (recorded in ``rules.fallbacks``) to interpret it."""
    try:
        return compile_native(program)
    except NotLowerable as e:
        fallbacks.append((program.name, str(e)))
        return None
    except Exception as e:          # a lowering bug must not make a program fail
        if STRICT:
            raise
        fallbacks.append((program.name, f"{type(e).__name__}: {e}"))
        return None
