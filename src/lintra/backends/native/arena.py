"""Large temporaries of a generated function, kept from one call to the next.

A function's heap buffers (those above the stack limit) are slices of one block, its arena.
Fresh ``malloc``s of megabytes are fresh pages for the kernel to fault in and zero on every
call (``glibc`` returns them to the system on ``free``): measured 2.3 ms for a 2 MB batched
product that BLAS computes in 0.5 ms. So a function keeps its arena in a global between
calls: on entry it takes it (an atomic exchange with null; ``malloc`` when it finds none,
e.g. in a recursive or concurrent call), on exit it puts it back (``free``ing whichever
block the exchange returns). The blocks still held are freed when the compiled code is
(``free_all``, from the owner of the loaded code).

All arenas held between calls, over every compiled function, stay under a budget
(``LINTRA_NATIVE_ARENA_BUDGET`` bytes; by default a sixteenth of the memory, between
256 MiB and 1 GiB): a process that compiles thousands of programs (a test suite) must not
keep a temporary of each; past the budget a function frees its block on exit, as a plain
``malloc``/``free`` would. A process-wide counter of the bytes held, updated atomically by
the code, enforces it.

On Linux a fresh block of megabytes is advised into transparent huge pages
(``madvise(MADV_HUGEPAGE)``, as NumPy does for its large arrays): faulting in 420 MB of 4 KiB
pages took 300-450 ms, of 2 MiB pages 65 ms (the ``gmm`` large gradient, whose arena is over
the budget, pays that on every call)."""

from __future__ import annotations

import ctypes
import os
import sys

from llvmlite import ir

from .types import I8P, I32, I64


def _default_budget() -> int:
    """A sixteenth of the memory, between 256 MiB and 1 GiB: the gmm large gradient's arena
    (420 MB) and its primal's (260 MB) are then both kept between calls on a 16 GB host."""
    try:
        ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        ram = 0
    return min(max(ram // 16, 256 << 20), 1 << 30)


_env = os.environ.get("LINTRA_NATIVE_ARENA_BUDGET")
BUDGET = int(_env) if _env else _default_budget()
held_bytes = ctypes.c_int64(0)          # bytes in arenas held between calls, process-wide

ALIGN = 64
HUGE = 2 << 20                          # bytes in a transparent huge page (x86-64, arm64)
MADV_HUGEPAGE = 14                      # Linux
ADVISE = sys.platform.startswith("linux")
_TAKE, _GIVE = "lintra_arena_take", "lintra_arena_give"


class Arena:
    """One function's arena: ``slice(nbytes)`` gives an ``i8*`` into it, valid for the call.
    The slot holding it between calls is a cell in Python-owned memory (its address comes
    in through a constant, as other process addresses do), so freeing it never touches
    unloaded code."""

    def __init__(self, g):
        self.g, self.size = g, 0
        mod = g.mod
        cell = (ctypes.c_void_p * 1)()
        cells(mod).append((cell, self))
        self.nbytes = ir.GlobalVariable(mod.module, I64, f"lintra_arena{len(cells(mod))}")
        self.nbytes.global_constant, self.nbytes.linkage = True, "internal"
        self.slot = g.ab.bitcast(g.ab.load(mod.constant_slot(ctypes.addressof(cell))),
                                 I8P.as_pointer())
        self.held = g.ab.bitcast(g.ab.load(mod.constant_slot(ctypes.addressof(held_bytes))),
                                 I64.as_pointer())
        self.base = g.ab.call(_helper(mod, _TAKE), [self.slot, g.ab.load(self.nbytes),
                                                   self.held])

    def slice(self, nbytes: int):
        off = self.size
        self.size = off + (nbytes + ALIGN - 1) // ALIGN * ALIGN
        return self.g.ab.gep(self.base, [ir.Constant(I64, off)])

    def close(self, b: ir.IRBuilder) -> None:
        """At the function's exit (builder ``b``): put the arena back; fix its size."""
        self.nbytes.initializer = ir.Constant(I64, self.size)
        b.call(_helper(self.g.mod, _GIVE), [self.slot, self.base, b.load(self.nbytes),
                                            self.held])


def cells(mod) -> list:
    """The cells holding ``mod``'s arenas between calls (``ModuleEmitter``), for
    ``free_all``."""
    if not hasattr(mod, "arena_cells"):
        mod.arena_cells = []
    return mod.arena_cells


def _helper(mod, name: str) -> ir.Function:
    fn = mod.module.globals.get(name)
    if fn is not None:
        return fn
    slot_t, held_t = I8P.as_pointer(), I64.as_pointer()
    null = ir.Constant(I8P, None)
    if name == _TAKE:                   # i8* take(i8** slot, i64 size, i64* held)
        fn = ir.Function(mod.module, ir.FunctionType(I8P, [slot_t, I64, held_t]), name)
        slot, size, held = fn.args
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        p = b.atomic_rmw("xchg", slot, null, "acquire")
        with b.if_else(b.icmp_unsigned("==", p, null)) as (empty, kept):
            with empty:
                fresh = b.call(mod.libc("malloc"), [size])
                if ADVISE:
                    _advise_huge(mod, b, fresh, size)
                from_malloc = b.block
            with kept:
                b.atomic_rmw("sub", held, size, "monotonic")
                from_slot = b.block
        got = b.phi(I8P)
        got.add_incoming(fresh, from_malloc)
        got.add_incoming(p, from_slot)
        b.ret(got)
    else:                               # void give(i8** slot, i8* p, i64 size, i64* held)
        fn = ir.Function(mod.module, ir.FunctionType(ir.VoidType(), [slot_t, I8P, I64, held_t]),
                         name)
        slot, p, size, held = fn.args
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        before = b.atomic_rmw("add", held, size, "monotonic")
        over = b.icmp_signed(">", b.add(before, size), ir.Constant(I64, BUDGET))
        with b.if_else(over) as (spend, keep):
            with spend:                 # over budget: this call's block is not kept
                b.atomic_rmw("sub", held, size, "monotonic")
                b.call(mod.libc("free"), [p])
            with keep:
                old = b.atomic_rmw("xchg", slot, p, "release")
                with b.if_then(b.icmp_unsigned("!=", old, null)):
                    b.atomic_rmw("sub", held, size, "monotonic")
                    b.call(mod.libc("free"), [old])
        b.ret_void()
    fn.linkage = "internal"
    return fn


def _advise_huge(mod, b: ir.IRBuilder, p, size) -> None:
    """``madvise(MADV_HUGEPAGE)`` over the huge pages that lie inside ``[p, p + size)``
    (none for a block under two of them; a failure only leaves small pages)."""
    madvise = mod.extern("madvise", I32, [I8P, I64, I32])
    start = b.ptrtoint(p, I64)
    mask = ir.Constant(I64, ~(HUGE - 1))
    lo = b.and_(b.add(start, ir.Constant(I64, HUGE - 1)), mask)
    hi = b.and_(b.add(start, size), mask)
    with b.if_then(b.icmp_unsigned(">", hi, lo)):
        b.call(madvise, [b.inttoptr(lo, I8P), b.sub(hi, lo), ir.Constant(I32, MADV_HUGEPAGE)])


_free = ctypes.CDLL(None).free
_free.argtypes, _free.restype = [ctypes.c_void_p], None


def free_all(held: list) -> None:
    """Free the arenas in the cells ``held`` (their code is being unloaded)."""
    for cell, arena in held:
        if cell[0]:
            _free(cell[0])
            cell[0] = None
            held_bytes.value -= arena.size
