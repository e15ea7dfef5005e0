"""The native backend: a program compiled to one LLVM module (kernel, called functions,
entry), optimized by tier, cached on disk, loaded with ORC and called through a METH_FASTCALL
entry. Programs it cannot lower run on the interpreter instead (``rules.fallbacks`` says
why)."""

from __future__ import annotations

import atexit
import os
import queue
import threading
import time
import weakref
from collections.abc import Sequence
from typing import Any

from ...core.eval import run_program
from ...core.ir import Program
from . import engine, vecmath
from .arena import cells, free_all
from .entry import emit_entry
from .module import ModuleEmitter
from .rules import NotLowerable, fallbacks
from .vm import VM_MIN_EQNS, coerce, compile_vm

# equations (with sub-programs) above which a module with loops still compiles at O0
O2_LIMIT = 4000
# above this many, a program is interpreted: code generation of long straight-line code
# (Python loops unrolled at trace time) costs ~0.2-1 ms per equation and grows superlinearly
MAX_EQNS = int(os.environ.get("LINTRA_NATIVE_MAX_EQNS", 30000))
STRICT = os.environ.get("LINTRA_NATIVE_STRICT", "") not in ("", "0")
TIER_UP = os.environ.get("LINTRA_NATIVE_TIERUP", "1") not in ("", "0")
HOT_CALLS = 3


# one background thread compiles every O2 tier-up, in order: LLVM compiles one module at a
# time anyway (engine's lock), and a thread per program piled dozens of them up under load
_queue: queue.Queue = queue.Queue()
_worker: list[threading.Thread] = []
_awaiting: weakref.WeakSet = weakref.WeakSet()


_stopping: list[bool] = []


def _work() -> None:
    while True:
        exe, text, mod = _queue.get()
        try:
            if not _stopping:
                _tier_up(exe, text, mod)
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
    ``opt``: the optimization level of the code running now."""

    def __init__(self, program: Program, entry, opt: int, compile_s: float):
        self.program, self.entry = program, entry
        self.opt, self.compile_s = opt, compile_s
        self.calls = 0
        self.tier_up = None           # (IR text, module) to recompile at O2 once hot

    def __call__(self, args: Sequence[Any]) -> tuple:
        if self.tier_up is not None:
            self.calls += 1
            if self.calls >= HOT_CALLS:
                self.start_tier_up()
        return self.entry(*args)

    def start_tier_up(self) -> None:
        if self.tier_up is not None:
            text, mod = self.tier_up
            self.tier_up = None
            if not _worker:
                _worker.append(threading.Thread(target=_work, name="lintra-O2", daemon=True))
                _worker[0].start()
            _queue.put((self, text, mod))


def compile_native(program: Program) -> NativeExecutable:
    """The program's ``NativeExecutable``; raises ``NotLowerable`` when it has no lowering.
    A module with loops runs at O0 at first; from its ``HOT_CALLS``-th call on, a background
    thread compiles it at O2 and swaps the O2 code in (``LINTRA_NATIVE_TIERUP=0``: compile at
    O2 before the first call)."""
    t0 = time.perf_counter()
    size = _size(program, set())
    if size >= VM_MIN_EQNS and size == len(program.eqns):
        try:
            return compile_vm(program)
        except NotLowerable as e:
            fallbacks.append((program.name, f"{e}; compiled instead"))
    if size > MAX_EQNS:
        raise NotLowerable(f"{size} equations (more than {MAX_EQNS}, e.g. a long Python loop "
                           "unrolled): interpreted; fori_loop, scan or fn compile fast")
    mod = ModuleEmitter(program.name)
    kernel = mod.kernel(program)
    emit_entry(mod, program, kernel, {})
    vecmath.finish(mod.module)
    text = str(mod.module)
    opt = 2 if mod.loops and size <= O2_LIMIT else 0
    opt = int(os.environ.get("LINTRA_NATIVE_OPT", opt))
    tier_up = opt == 2 and TIER_UP and not engine.is_cached(text, 2)
    entry = _load(engine.compile_object(text, 0 if tier_up else opt), mod, program)
    exe = NativeExecutable(program, entry, 0 if tier_up else opt, time.perf_counter() - t0)
    if tier_up:
        exe.tier_up = (text, mod)
        _awaiting.add(exe)
    return exe


def wait_for_tier_up(start: bool = False) -> None:
    """Block until every background O2 compilation has finished (benchmarks, tests);
    ``start``: first start it for every program still at O0, hot or not."""
    if start:
        for exe in list(_awaiting):
            exe.start_tier_up()
    _queue.join()


def _load(obj: bytes, mod: ModuleEmitter, program: Program):
    """Link ``obj`` (compiled from ``mod``), fill in its constants; its entry function."""
    names = [n for n, _ in mod.constants]
    tracker, addrs = engine.link(obj, ["lintra_entry"] + names)
    owner = _Owner()
    owner.tracker, owner.objects, owner.arrays = tracker, {}, mod.keep
    owner.arenas = cells(mod)
    entry, owner.mdef = engine.make_function(addrs["lintra_entry"], program.name[:60], owner)
    objects = dict(mod.objects)
    objects[names[-1]] = _slow_path(program, entry)       # the entry's last constant
    owner.objects = objects
    for name, address in mod.constants:
        engine.set_global(addrs[name], id(objects[name]) if name in objects else address)
    return entry


def _tier_up(exe: NativeExecutable, text: str, mod: ModuleEmitter) -> None:
    try:
        exe.entry = _load(engine.compile_object(text, 2), mod, exe.program)
        exe.opt = 2
    except Exception as e:  # pragma: no cover  (the O0 code keeps running)
        fallbacks.append((exe.program.name, f"O2 recompilation failed: {e}"))


def _slow_path(program: Program, entry):
    avals = program.in_avals

    def slow(*args):
        if len(args) != len(avals):
            raise TypeError(f"native `{program.name}` takes {len(avals)} arguments, got "
                            f"{len(args)}")
        conv = [coerce(x, a, k, program.name) for k, (x, a) in enumerate(zip(args, avals))]
        if any(c is not x for c, x in zip(conv, args)):
            return entry(*conv)
        # the arguments were right: a run-time check failed in the kernel (an index out of
        # bounds); the interpreter raises NumPy's error (or computes what NumPy computes)
        return tuple(run_program(program, conv))
    return slow


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
