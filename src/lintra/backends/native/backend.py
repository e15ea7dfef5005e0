"""The native backend: a program compiled to one LLVM module (kernel, called functions,
entry), optimized by tier, cached on disk, loaded with ORC and called through a METH_FASTCALL
entry. Programs it cannot lower run on the interpreter instead (``rules.fallbacks`` says
why)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core.avals import is_python_scalar
from ...core.eval import run_program
from ...core.ir import Program
from . import engine
from .entry import emit_entry
from .module import ModuleEmitter
from .rules import NotLowerable, fallbacks

# equations (with sub-programs) above which a module with loops still compiles at O0
O2_LIMIT = 4000
STRICT = os.environ.get("LINTRA_NATIVE_STRICT", "") not in ("", "0")


class _Owner:
    """``__self__`` of an entry function: keeps its code, constants and method def alive."""

    __slots__ = ("tracker", "objects", "arrays", "mdef", "program", "__weakref__")


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
    """``exe(args)`` runs the program; ``exe.entry(*args)`` is the raw entry (a tuple)."""

    def __init__(self, program: Program, entry, owner: _Owner, opt: int, compile_s: float):
        self.program, self.entry, self._owner = program, entry, owner
        self.opt, self.compile_s = opt, compile_s

    def __call__(self, args: Sequence[Any]) -> tuple:
        return self.entry(*args)


def compile_native(program: Program):
    """The program's ``NativeExecutable``; raises ``NotLowerable`` when it has no lowering."""
    t0 = time.perf_counter()
    mod = ModuleEmitter(program.name)
    kernel = mod.kernel(program)
    objects: dict = {}
    emit_entry(mod, program, kernel, objects)
    text = str(mod.module)
    opt = 2 if mod.loops and _size(program, set()) <= O2_LIMIT else 0
    opt = int(os.environ.get("LINTRA_NATIVE_OPT", opt))
    obj = engine.compile_object(text, opt)
    names = [n for n, _ in mod.constants]
    tracker, addrs = engine.link(obj, ["lintra_entry"] + names)
    owner = _Owner()
    owner.tracker, owner.objects, owner.arrays, owner.program = tracker, objects, mod.keep, None
    entry, owner.mdef = engine.make_function(addrs["lintra_entry"], program.name[:60], owner)
    objects[names[-1]] = _slow_path(program, entry)
    for name, address in mod.constants:
        engine.set_global(addrs[name], id(objects[name]) if name in objects else address)
    return NativeExecutable(program, entry, owner, opt, time.perf_counter() - t0)


def _describe(x) -> str:
    if isinstance(x, np.ndarray):
        return f"a {x.dtype}{list(x.shape)} array"
    return f"{type(x).__name__} {x!r}"[:80]


def _coerce(x, aval, k: int, name: str):
    """``x`` as the exact array the entry expects, or a TypeError naming the argument."""
    if is_python_scalar(x) and not aval.shape:
        kind = np.asarray(x).dtype.kind
        if kind == aval.dtype.kind or np.can_cast(np.asarray(x).dtype, aval.dtype, "same_kind"):
            return np.asarray(x, aval.dtype)
    elif isinstance(x, (np.ndarray, np.generic)) and x.dtype == aval.dtype \
            and x.shape == aval.shape:
        return np.asarray(x, dtype=aval.dtype, order="C")
    raise TypeError(f"native `{name}`: argument {k} must be a {aval.dtype}{list(aval.shape)} "
                    f"array, got {_describe(x)}")


def _slow_path(program: Program, entry):
    avals = program.in_avals

    def slow(*args):
        if len(args) != len(avals):
            raise TypeError(f"native `{program.name}` takes {len(avals)} arguments, got "
                            f"{len(args)}")
        conv = [_coerce(x, a, k, program.name) for k, (x, a) in enumerate(zip(args, avals))]
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
