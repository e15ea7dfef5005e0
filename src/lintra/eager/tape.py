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

from ..ad.rules import SparseCotangent
from ..core.avals import ShapedArray
from ..core.trace import MainTrace, Trace, Tracer, escaped_error
from ..ops.elementwise import add
from ..ops.indexing import TakeCotangent
from .jobs import run_jobs
from .kernels import F64, FORMS, aval_of, kernel_for


class Tape:
    """Entries ``(bwd, residuals, parents, n_out)``; leaves (inputs) are ``None``. A parent is
    an int ID in this tape, or ``(tape, id)`` for a value recorded in another tape (a job's
    reference to values from before its fork)."""

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
    return EagerTracer(trace, val, None, -1)


def apply(trace: EagerTrace, prim, tracers, params) -> list:
    vals = [t.primal for t in tracers]
    kernel = kernel_for(prim, vals, params)
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
        entries.append((kernel.tape_bwd, res, tuple(parents), 1))
        return [EagerTracer(trace, outs, tape, len(entries) - 1)]
    if not live:
        return [EagerTracer(trace, o, None, -1) for o in outs]
    idx = len(entries)
    entries.append((kernel.bwd, res, tuple(parents), tuple(
        a if f else None for a, f in zip(kernel.out_avals, kernel.float_out))))
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


# ---------------------------------------------------------------- backward pass

class Stats:
    """Deterministic counters of the last backward pass (for complexity tests)."""

    def __init__(self):
        self.edges_created = 0
        self.edges_visited = 0
        self.entries = 0



def _accumulate(slots: list, owned: list, p: int, c) -> None:
    s = slots[p]
    if s is None:
        if isinstance(c, SparseCotangent):
            buf = np.zeros(c.aval.shape, c.aval.dtype)
            _scatter_inplace(buf, c)
            slots[p] = buf
            owned[p] = True
        else:
            slots[p] = c
        return
    if type(s) is float and type(c) is float:
        slots[p] = s + c
        return
    if isinstance(c, SparseCotangent):
        if not owned[p]:
            s = np.array(s, dtype=c.aval.dtype, copy=True)
            if s.shape != c.aval.shape:
                s = np.broadcast_to(s, c.aval.shape).copy()
            slots[p] = s
            owned[p] = True
        _scatter_inplace(s, c)
        return
    if owned[p] and isinstance(c, (np.ndarray, np.generic, float)) and np.shape(c) == s.shape:
        s += c
        return
    out = np.add(s, c)
    slots[p] = out
    owned[p] = isinstance(out, np.ndarray)


def _scatter_inplace(buf: np.ndarray, c: SparseCotangent) -> None:
    idx = getattr(c, "indices", None)
    if (type(c) is TakeCotangent and c.axis == 0 and type(idx) is np.ndarray
            and idx.shape == (1,) and buf.ndim == 1):
        buf[idx[0]] += c.updates            # one element: the scalar-loop case
        return
    c.add_into(buf)


def backward(tape: Tape, seeds: list[tuple[int, Any]], stats: Stats | None = None,
             external: dict | None = None) -> list:
    """Transpose ``tape``: seed output cotangents, then visit entries by descending ID.
    Contributions to values of other tapes go to ``external[(tape, id)]``. Returns slots."""
    if any(isinstance(ct, Tracer) for _, ct in seeds):
        return _backward_traced(tape, seeds, external)
    entries = tape.entries
    n = len(entries)
    slots: list = [None] * n
    owned = [False] * n
    for idx, ct in seeds:
        _accumulate(slots, owned, idx, ct)
    visited = 0
    for i in range(n - 1, -1, -1):
        e = entries[i]
        if e is None:
            continue
        bwd, res, parents, n_out = e
        if bwd is TAKE1:
            ct = slots[i]
            if ct is None:
                continue
            slots[i] = None
            p = parents[0]                 # res: the index; n_out: the vector's length
            visited += 1
            if type(p) is int:
                s = slots[p]
                if s is None:
                    buf = np.zeros(n_out)
                    buf[res] = ct
                    slots[p] = buf
                    owned[p] = True
                    continue
                if owned[p]:
                    s[res] += ct
                    continue
            c = TakeCotangent(ShapedArray((n_out,), F64), np.array([res]), ct, 0)
            if type(p) is int:
                _accumulate(slots, owned, p, c)
            else:
                _add_external(external, p, c)
            continue
        if bwd is _JOIN:
            visited += _join_backward(res, slots, owned, stats, external, tape)
            continue
        if n_out == 1:
            ct = slots[i]
            if ct is None:
                continue
            slots[i] = None
            if bwd is SCALE0:             # small scalar transposes, evaluated inline
                cts = (ct * res[0],)
            elif bwd is ADD2:
                cts = (ct, ct)
            elif bwd is MUL2:
                cts = (ct * res[1], ct * res[0])
            else:
                cts = bwd(ct, *res)
        else:                      # several outputs: n_out holds their avals (None: no tangent)
            outs = slots[i:i + len(n_out)]
            if all(c is None for c in outs):
                continue
            cts = bwd(*[np.zeros(a.shape, a.dtype) if c is None else c
                        for c, a in zip(outs, n_out) if a is not None], *res)
            for j in range(len(n_out)):
                slots[i + j] = None
        for p, c in zip(parents, cts):
            if c is None or p == -1:
                continue
            visited += 1
            if type(p) is int:
                if type(c) is float:              # the scalar case, inlined
                    s = slots[p]
                    if s is None:
                        slots[p] = c
                        continue
                    if type(s) is float:
                        slots[p] = s + c
                        continue
                _accumulate(slots, owned, p, c)
            else:
                _add_external(external, p, c)
    if stats is not None:
        stats.edges_visited += visited
        stats.edges_created += edges_created(tape)
        stats.entries += n
    return slots


def _dense(c):
    if isinstance(c, SparseCotangent):
        return c.add_to(np.zeros(c.aval.shape, c.aval.dtype))
    return c


def _backward_traced(tape: Tape, seeds: list, external: dict | None) -> list:
    """``backward`` with lintra operations (``bind``) instead of NumPy kernels and in-place
    accumulation, for cotangents traced by an outer transformation (a vjp, jit or jvp of an
    eager ``f_vjp``): the tape's residuals enter that trace as constants. Jobs run serially."""
    entries = tape.entries
    slots: list = [None] * len(entries)

    def acc(p, c):
        c = _dense(c)
        slots[p] = c if slots[p] is None else add(slots[p], c)

    for idx, ct in seeds:
        acc(idx, ct)
    for i in range(len(entries) - 1, -1, -1):
        e = entries[i]
        if e is None:
            continue
        bwd, res, parents, n_out = e
        if bwd is _JOIN:
            jobs, out_refs = res
            for job, refs in zip(jobs, out_refs):
                job_seeds = [(there, slots[here]) for here, there in refs
                             if slots[here] is not None]
                for here, _ in refs:
                    slots[here] = None
                ext: dict = {}
                backward(job, job_seeds, None, ext)
                for src_tape, contribs in ext.values():
                    for idx, c in contribs.items():
                        if src_tape is tape:
                            acc(idx, c)
                        else:
                            _add_external(external, (src_tape, idx), _dense(c))
            continue
        if type(n_out) is tuple:
            outs = slots[i:i + len(n_out)]
            if all(c is None for c in outs):
                continue
            cts = bwd.traced(*[np.zeros(a.shape, a.dtype) if c is None else c
                               for c, a in zip(outs, n_out) if a is not None], *res)
            for j in range(len(n_out)):
                slots[i + j] = None
        else:
            ct = slots[i]
            if ct is None:
                continue
            slots[i] = None
            if bwd is TAKE1:
                cts = (TakeCotangent(ShapedArray((n_out,), F64), np.array([res]), ct, 0),)
            elif bwd is SCALE0:
                cts = (ct * res[0],)
            elif bwd is ADD2:
                cts = (ct, ct)
            elif bwd is MUL2:
                cts = (ct * res[1], ct * res[0])
            else:
                cts = bwd.traced(ct, *res)
        for p, c in zip(parents, cts):
            if c is None or p == -1:
                continue
            if type(p) is int:
                acc(p, c)
            else:
                _add_external(external, p, _dense(c))
    return slots


def edges_created(tape: Tape) -> int:
    """Parent references recorded on the tape (constants excluded): the edges of the graph."""
    n = 0
    for e in tape.entries:
        if e is not None:
            n += len(e[2]) - e[2].count(-1)
    return n


def _add_external(external: dict, p: tuple, c) -> None:
    tape, idx = p
    lst = external.setdefault(id(tape), (tape, {}))[1]
    if idx in lst:
        lst[idx] = _add_values(lst[idx], c)
    else:
        lst[idx] = c


def _add_values(a, b):
    if isinstance(a, SparseCotangent) or isinstance(b, SparseCotangent):
        dense = a if isinstance(b, SparseCotangent) else b
        sparse = b if isinstance(b, SparseCotangent) else a
        if isinstance(dense, SparseCotangent):
            buf = np.zeros(dense.aval.shape, dense.aval.dtype)
            _scatter_inplace(buf, dense)
        else:
            buf = np.array(np.broadcast_to(dense, sparse.aval.shape), dtype=sparse.aval.dtype)
        _scatter_inplace(buf, sparse)
        return buf
    return a + b


# ---------------------------------------------------------------- fork / join

class _Marker:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


_JOIN = _Marker("JOIN")
# An entry reading one element x[i] of a float64 vector: its transpose (take's rule) is a
# one-element sparse cotangent; the backward pass adds it into x's buffer inline.
TAKE1 = _Marker("TAKE1")
SCALE0, ADD2, MUL2 = FORMS["scale0"], FORMS["add2"], FORMS["mul2"]


def _join_backward(join, slots, owned, stats, external, tape) -> int:
    """Resolve the sub-tapes of one fork/join: seed each job with the cotangents of its
    outputs, transpose the jobs in parallel, then merge their contributions to earlier values
    in job order (so the result does not depend on thread timing)."""
    jobs, out_refs = join          # out_refs[k]: [(id in this tape, id in job k)]
    seeds = []
    for refs in out_refs:
        s = []
        for here, there in refs:
            ct = slots[here]
            if ct is not None:
                slots[here] = None
                s.append((there, ct))
        seeds.append(s)
    sub_stats = [Stats() for _ in jobs]
    exts: list[dict] = [{} for _ in jobs]
    run_jobs([(lambda k=k: backward(jobs[k], seeds[k], sub_stats[k], exts[k]))
              for k in range(len(jobs))])
    visited = 0
    for k in range(len(jobs)):
        if stats is not None:
            stats.edges_created += sub_stats[k].edges_created
            stats.edges_visited += sub_stats[k].edges_visited
            stats.entries += sub_stats[k].entries
        for _, (src_tape, contribs) in exts[k].items():
            for idx, c in contribs.items():
                visited += 1
                if src_tape is tape:
                    _accumulate(slots, owned, idx, c)
                else:
                    _add_external(external, (src_tape, idx), c)
    return visited


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
    tape.entries.append((_JOIN, (jobs, out_refs), (), 1))
    tape.entries.extend([None] * (n - 1))
    return results


