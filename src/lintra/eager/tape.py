"""Eager reverse mode: dual numbers with linear factoring (Smeding & Vákár, POPL 2023).

Each operation on an ``EagerTracer`` computes its primal now (NumPy, or ``math`` for scalars)
and appends one entry to a tape: the kernel's transposed linear half and its residuals
(see kernels.py). An entry's position is its ID; IDs increase monotonically, so descending ID
order is a reverse topological order. The backward pass visits each entry once, in that
order, accumulating cotangents in a slot array (no recursion, no sorting, no cycles): its
cost is O(primal). ``fork_join``/``parallel_map`` give each branch its own sub-tape (a job),
transposed in parallel and merged at the join in a fixed order (deterministic results).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ..ad.transpose import CotangentSlots
from ..core.array import Array
from ..core.avals import ShapedArray
from ..core.trace import MainTrace, Trace, Tracer, escaped_error
from ..ops.indexing import TakeCotangent
from .jobs import run_jobs
from .kernels import F64, aval_of, kernel_for


class Tape:
    """The entries of one thread of an eager differentiation (see "tape entries" below); a
    job's tape refers to values from before its fork as ``(parent tape, id)``."""

    __slots__ = ("entries", "parent")

    def __init__(self, parent: Tape | None = None):
        self.entries: list = []
        self.parent = parent


class EagerState:
    """Per-differentiation state: which tape the current thread records into."""

    def __init__(self):
        self.root = Tape()
        self.local = threading.local()
        self.local.tape = self.root
        self.frozen: list[np.ndarray] = []

    @property
    def tape(self) -> Tape:
        return self.local.tape


class FinishedTape:
    """A thread's ``local.tape`` once its differentiation has ended: the eager fast paths
    (which skip ``bind`` and its check) raise when recording an escaped tracer's operation."""

    __slots__ = ("main",)

    def __init__(self, main):
        self.main = MainTrace(main.level, main.trace_type)   # not main: no reference cycle

    @property
    def entries(self):
        raise escaped_error(self.main)


class EagerTracer(Tracer):
    __slots__ = ("primal", "tape", "idx")

    def __init__(self, trace, primal, tape, idx):
        self._trace = trace
        self.primal = primal
        self.tape = tape
        self.idx = idx

    @property
    def aval(self) -> ShapedArray:
        return aval_of(self.primal)

    def __setitem__(self, key, value):
        raise TypeError("lintra arrays are immutable: use `x = x.at[idx].set(value)` (or "
                        ".add) instead of `x[idx] = value`")


class EagerTrace(Trace):
    __slots__ = ("local",)
    transformation = "eager differentiation (grad / vjp / jacrev)"

    def __init__(self, main):
        self.main = main
        self.local = main.data.local      # this thread's current tape: ``local.tape``

    @property
    def state(self) -> EagerState:
        return self.main.data

    def pure(self, val):
        return _const(self, val)

    def lift(self, val):
        raise TypeError("eager differentiation cannot take a traced value from an outer "
                        "transformation")  # never happens: eager mode runs on concrete inputs

    def concrete(self, tracer):
        return tracer.primal

    def process_primitive(self, prim, tracers, params):
        return apply(self, prim, tracers, params)


def _const(trace, val):
    """A constant operand: no tape entry. Arrays recorded on the tape are frozen (read-only)
    until the differentiation ends (its f_vjp is gone), so mutating one in place is an error,
    not a wrong derivative."""
    if isinstance(val, np.ndarray) and val.flags.writeable and val.ndim:
        val.flags.writeable = False
        trace.state.frozen.append(val)
    if type(val) is Array:          # lintra.numpy's arrays compute as plain ones (fast paths)
        val = val.view(np.ndarray)
    return EagerTracer(trace, val, None, -1)


def apply(trace: EagerTrace, prim, tracers, params) -> list:
    vals = [t.primal for t in tracers]
    live_in = None
    for t in tracers:
        if t.idx < 0:        # a constant operand: derive no cotangent for it
            live_in = tuple(t.idx >= 0 for t in tracers)
            break
    kernel = kernel_for(prim, vals, params, live_in)
    outs, res = kernel.fwd(*vals)
    if kernel.trivial:
        return [EagerTracer(trace, o, None, -1) for o in (
            [outs] if kernel.n_out == 1 else outs)]
    tape = trace.local.tape
    parents = []
    live = False
    for i in kernel.lin_in:
        t = tracers[i]
        if t.idx < 0:
            parents.append(-1)
        else:
            parents.append(t.idx if t.tape is tape else (t.tape, t.idx))
            live = True
    entries = tape.entries
    if kernel.n_out == 1:                       # the common case
        if not live or not kernel.float_out[0]:
            return [EagerTracer(trace, outs, None, -1)]
        entries.append((kernel.tape_bwd, res, tuple(parents)))
        return [EagerTracer(trace, outs, tape, len(entries) - 1)]
    if not live:
        return [EagerTracer(trace, o, None, -1) for o in outs]
    idx = len(entries)
    entries.append(MultiOutput(kernel.bwd, res, tuple(parents), tuple(
        a if f else None for a, f in zip(kernel.out_avals, kernel.float_out)),
        kernel.bwd_subset))
    entries.extend([None] * (kernel.n_out - 1))
    return [EagerTracer(trace, o, tape, idx + j) if f else EagerTracer(trace, o, None, -1)
            for j, (o, f) in enumerate(zip(outs, kernel.float_out))]


def new_input(trace: EagerTrace, value) -> EagerTracer:
    tape = trace.local.tape
    tape.entries.append(None)
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype == F64:
        value = float(value)
    elif isinstance(value, np.float64):
        value = float(value)
    return EagerTracer(trace, value, tape, len(tape.entries) - 1)


# ---------------------------------------------------------------- tape entries
#
# ``Tape.entries[i]`` describes how the value with ID i was made:
#   None                              an input (a leaf)
#   (transpose, residuals, parents)   a single-output operation (the common case; a plain tuple
#                                     is the cheapest record for the forward pass to make):
#                                     ``transpose(ct, residuals)`` gives one cotangent per
#                                     parent, ``transpose.traced`` is its twin for traced
#                                     cotangents; a parent is an ID, ``(tape, id)`` for a
#                                     value of another tape, or -1 (a constant)
#   an ``Entry``                      anything else; its ``backward`` does its own work


class Stats:
    """Deterministic counters of the last backward pass (for complexity tests)."""

    def __init__(self):
        self.edges_created = 0
        self.edges_visited = 0
        self.entries = 0


class Backward:
    """The state of one tape's backward pass."""

    __slots__ = ("tape", "slots", "stats", "external", "traced")

    def __init__(self, tape: Tape, stats: Stats | None, external: dict | None, traced: bool):
        self.tape = tape
        self.slots = CotangentSlots([None] * len(tape.entries))
        self.stats = stats
        self.external = external    # id(tape) -> (tape, CotangentSlots): other tapes' values
        self.traced = traced        # cotangents are traced: transposes run with ``bind``

    def add(self, p, c) -> None:
        """Add cotangent ``c`` to parent ``p`` (an ID here, or ``(tape, id)`` elsewhere)."""
        if type(p) is int:
            self.slots.add(p, c)
            return
        tape, idx = p
        ext = self.external.get(id(tape))
        if ext is None:
            ext = self.external[id(tape)] = (tape, CotangentSlots())
        ext[1].add(idx, c)


class Entry:
    """A tape entry other than a single-output operation."""

    __slots__ = ()
    parents: tuple = ()

    def backward(self, bp: Backward, i: int) -> int:
        """Transpose into ``bp``'s slots; returns the number of edges visited."""
        raise NotImplementedError


class MultiOutput(Entry):
    """An operation with several outputs (IDs i, i+1, ...; ``out_avals[j]`` None where output
    j has no tangent; ``subset(live)``: the transpose for the outputs that got a cotangent)."""

    __slots__ = ("transpose", "residuals", "parents", "out_avals", "subset")

    def __init__(self, transpose, residuals, parents, out_avals, subset=None):
        self.transpose, self.residuals = transpose, residuals
        self.parents, self.out_avals, self.subset = parents, out_avals, subset

    def backward(self, bp: Backward, i: int) -> int:
        values = bp.slots.values
        n = len(self.out_avals)
        cts = values[i:i + n]
        if all(c is None for c in cts):
            return 0
        values[i:i + n] = [None] * n
        cts = [c for c, a in zip(cts, self.out_avals) if a is not None]
        f = self.transpose
        if any(c is None for c in cts):
            if self.subset is None:
                cts = [np.zeros(a.shape, a.dtype) if c is None else c
                       for c, a in zip(cts, (a for a in self.out_avals if a is not None))]
            else:
                f = self.subset(tuple(c is not None for c in cts))
                cts = [c for c in cts if c is not None]
        f = f.traced if bp.traced else f
        return _add_to_parents(bp, self.parents, f(*cts, *self.residuals))


class ElementRead(Entry):
    """``x[index]`` of a float64 vector of length n: the transpose of ``take`` (checked against
    its rule by values, eager/fast.py) adds the cotangent into x's buffer at the index, in
    place: the scalar-loop case, where a sparse cotangent object per read would dominate."""

    __slots__ = ("parent", "index", "n")

    def __init__(self, parent, index: int, n: int):
        self.parent = parent
        self.index = index
        self.n = n

    @property
    def parents(self) -> tuple:
        return (self.parent,)

    def backward(self, bp: Backward, i: int) -> int:
        slots = bp.slots
        values = slots.values
        ct = values[i]
        if ct is None:
            return 0
        values[i] = None
        p = self.parent
        if type(ct) is float and type(p) is int:
            s = values[p]
            if s is None:
                s = values[p] = np.zeros(self.n)
                slots.owned.add(p)
                s[self.index] = ct
                return 1
            if p in slots.owned:
                s[self.index] += ct
                return 1
        bp.add(p, TakeCotangent(ShapedArray((self.n,), F64), np.array([self.index]), ct, 0))
        return 1


class Join(Entry):
    """The join of a fork: one sub-tape (job) per branch; ``out_refs[k]`` pairs the IDs here
    of job k's outputs with their IDs in job k."""

    __slots__ = ("jobs", "out_refs")

    def __init__(self, jobs: list[Tape], out_refs: list[list]):
        self.jobs, self.out_refs = jobs, out_refs

    def backward(self, bp: Backward, i: int) -> int:
        """Seed each job with its outputs' cotangents, transpose the jobs in parallel (one
        after another when traced), then merge their contributions to earlier values in job
        order, so the result does not depend on thread timing."""
        values = bp.slots.values
        seeds = []
        for refs in self.out_refs:
            seeds.append([(there, values[here]) for here, there in refs
                          if values[here] is not None])
            for here, _ in refs:
                values[here] = None
        jobs = self.jobs
        sub_stats = [Stats() for _ in jobs]
        exts: list[dict] = [{} for _ in jobs]
        thunks = [(lambda k=k: backward(jobs[k], seeds[k], sub_stats[k], exts[k]))
                  for k in range(len(jobs))]
        if bp.traced:
            for t in thunks:
                t()
        else:
            run_jobs(thunks)
        visited = 0
        for k in range(len(jobs)):
            if bp.stats is not None:
                bp.stats.edges_created += sub_stats[k].edges_created
                bp.stats.edges_visited += sub_stats[k].edges_visited
                bp.stats.entries += sub_stats[k].entries
            for src_tape, contribs in exts[k].values():
                for idx, c in contribs.values.items():
                    if c is not None:
                        visited += 1
                        bp.add(idx if src_tape is bp.tape else (src_tape, idx), c)
        return visited


# ---------------------------------------------------------------- backward pass

def backward(tape: Tape, seeds: list[tuple[int, Any]], stats: Stats | None = None,
             external: dict | None = None) -> list:
    """Transpose ``tape``: seed output cotangents, then visit entries by descending ID, each
    once, accumulating into ``CotangentSlots`` (the staged transpose's accumulator).
    Contributions to values of other tapes go to ``external``. Returns the slot values.
    With traced seeds (a vjp, jit or jvp of an eager ``f_vjp``) the same pass runs with
    lintra operations: the tape's residuals enter that trace as constants."""
    traced = any(isinstance(ct, Tracer) for _, ct in seeds)
    bp = Backward(tape, stats, external, traced)
    slots = bp.slots
    values = slots.values
    for idx, ct in seeds:
        slots.add(idx, ct)
    entries = tape.entries
    visited = 0
    for i in range(len(entries) - 1, -1, -1):
        e = entries[i]
        if type(e) is not tuple:
            if e is not None:
                visited += e.backward(bp, i)
            continue
        ct = values[i]
        if ct is None:
            continue
        values[i] = None
        transpose, res, parents = e
        cts = transpose.traced(ct, res) if traced else transpose(ct, res)
        for p, c in zip(parents, cts):
            if c is None or p == -1:
                continue
            visited += 1
            if type(c) is float and type(p) is int:      # the scalar case, inlined
                s = values[p]
                if s is None:
                    values[p] = c
                    continue
                if type(s) is float:
                    values[p] = s + c
                    continue
            bp.add(p, c)
    if stats is not None:
        stats.edges_visited += visited
        stats.edges_created += edges_created(tape)
        stats.entries += len(entries)
    return values


def _add_to_parents(bp: Backward, parents: tuple, cts) -> int:
    visited = 0
    for p, c in zip(parents, cts):
        if c is not None and p != -1:
            visited += 1
            bp.add(p, c)
    return visited


def edges_created(tape: Tape) -> int:
    """Parent references recorded on the tape (constants excluded): the edges of the graph."""
    n = 0
    for e in tape.entries:
        if e is not None:
            parents = e[2] if type(e) is tuple else e.parents
            n += len(parents) - parents.count(-1)
    return n


# ---------------------------------------------------------------- fork / join

def record_join(trace: EagerTrace, jobs: list[Tape], job_outputs: list[list]) -> list[list]:
    """Append a join entry for ``jobs`` whose outputs are ``job_outputs[k]`` (values, some
    of them tracers of job k's tape); returns the outputs as values of the current tape."""
    tape = trace.local.tape
    base = len(tape.entries)
    out_refs: list[list] = []
    results: list[list] = []
    n = 0
    for k, outs in enumerate(job_outputs):
        refs, res_k = [], []
        for o in outs:
            if isinstance(o, EagerTracer) and o.tape is jobs[k] and o.idx >= 0:
                refs.append((base + n, o.idx))
                res_k.append(EagerTracer(trace, o.primal, tape, base + n))
                n += 1
            else:
                res_k.append(o)
        out_refs.append(refs)
        results.append(res_k)
    if n == 0:
        return results
    tape.entries.append(Join(jobs, out_refs))
    tape.entries.extend([None] * (n - 1))
    return results


