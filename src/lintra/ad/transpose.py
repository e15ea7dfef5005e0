"""Transposition of linear programs (the backward pass).

Equations that do not touch a linear input (residual computations, recomputed under a
checkpoint policy) are evaluated forward first; linear equations are then visited once each,
in reverse, calling their primitive's transpose rule. Cotangents of a variable read several
times are summed in ``CotangentSlots`` (shared with the eager tape's backward pass); they are
popped when read so memory is freed as the pass advances. Sparse cotangents (index adjoints)
are added in place into one buffer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import MissingRuleError
from ..core.eval import eval_eqn
from ..core.function import FnValue, add_functions
from ..core.ir import Literal, Program, ProgramTable, Var
from ..core.staging import USER_LINE, StagingTracer, trace_to_program
from ..core.trace import Tracer, call_with_source
from .rules import (
    SparseCotangent,
    UndefinedPrimal,
    Zero,
    add_any,
    add_any_p,
    instantiate,
    transpose_rules,
)
from .transpose_memo import transpose_memoized


class _Slots(dict):
    def __missing__(self, key):
        return None


class CotangentSlots:
    """Cotangent accumulators by key (an int position, or a variable's id).

    ``values`` is a list (eager tape: one slot per entry) or a dict; an empty slot is None.
    Buffers in ``owned`` were made here, so they may be updated in place; anything else
    (a user's array, a value another slot holds too, a tracer) is never mutated."""

    __slots__ = ("values", "owned")

    def __init__(self, values: list | None = None):
        self.values: Any = _Slots() if values is None else values
        self.owned: set = set()

    def add(self, key, ct, source=USER_LINE) -> None:
        """Add ``ct`` into slot ``key`` (``source``: the line a staged sum is attributed to;
        by default the user's line being traced)."""
        if ct is None or type(ct) is Zero:
            return
        values = self.values
        s = values[key]
        if s is None:
            if isinstance(ct, SparseCotangent):
                self._add_sparse_new(key, ct)
            else:
                values[key] = ct
            return
        if type(s) is float and type(ct) is float:
            values[key] = s + ct
            return
        if isinstance(ct, SparseCotangent):
            if source is USER_LINE:
                self._add_sparse(key, s, ct)
            else:
                call_with_source(source, self._add_sparse, key, s, ct)
        elif (s.__class__ is StagingTracer and ct.__class__ is StagingTracer
              and s._trace.main is ct._trace.main and s.aval == ct.aval):
            values[key] = s._trace.emit(add_any_p, [s, ct], {}, source)[0]
            self.owned.discard(key)
        elif isinstance(s, Tracer) or isinstance(ct, Tracer):
            values[key] = add_any(s, ct)
            self.owned.discard(key)
        elif isinstance(s, FnValue):
            values[key] = add_functions(s, ct)
        elif key in self.owned and np.shape(ct) == s.shape:
            np.add(s, ct, out=s)
        else:
            out = np.add(s, ct)
            values[key] = out
            if isinstance(out, np.ndarray):
                self.owned.add(key)

    def _add_sparse_new(self, key, ct: SparseCotangent) -> None:
        buf = np.zeros(ct.aval.shape, ct.aval.dtype)
        if ct.is_concrete():
            ct.add_into(buf)
            self.values[key] = buf
            self.owned.add(key)
        else:
            self.values[key] = ct.add_to(buf)

    def _add_sparse(self, key, s, ct: SparseCotangent) -> None:
        if isinstance(s, Tracer) or not ct.is_concrete():
            self.values[key] = ct.add_to(s)
            self.owned.discard(key)
            return
        if key not in self.owned:
            s = np.array(np.broadcast_to(s, ct.aval.shape), dtype=ct.aval.dtype)
            self.values[key] = s
            self.owned.add(key)
        ct.add_into(s)

    def pop(self, key) -> Any:
        """The accumulated cotangent (None if nothing was added); the slot is emptied."""
        values = self.values
        s = values[key]
        if s is not None:
            values[key] = None
            self.owned.discard(key)
        return s


def _forward_part(program: Program, linear: set, primal_env: dict, read) -> list:
    """Evaluate the equations that read no linear value (into ``primal_env``); return the
    others, in order, adding their outputs to ``linear``. (Ids of live literals never
    collide with the ids of linear variables.)"""
    linear_eqns = []
    for eqn in program.eqns:
        for x in eqn.inputs:
            if id(x) in linear:
                linear_eqns.append(eqn)
                linear.update([id(v) for v in eqn.outputs])
                break
        else:
            outs = eval_eqn(eqn, [read(x) for x in eqn.inputs])
            for v, o in zip(eqn.outputs, outs):
                primal_env[id(v)] = o
    return linear_eqns


def _transpose_eqn(eqn, invals: list, cts: list) -> list:
    prim = eqn.prim
    rule = transpose_rules.get(prim)
    if rule is None:
        raise MissingRuleError(f"primitive `{prim.name}` has no transpose rule; it "
                               "appeared in a linear program"
                               + (f" (from {eqn.source})" if eqn.source else ""))
    return call_with_source(eqn.source, rule, cts if prim.multiple_results else cts[0],
                            *invals, **eqn.params)


def backward_pass(program: Program, args: list, cts_out: list,
                  initial_cts: dict[int, Any] | None = None) -> list:
    """Transpose ``program`` with respect to its ``UndefinedPrimal`` args.

    Returns one cotangent (possibly ``Zero``) per undefined arg, in order.
    ``initial_cts`` (param position -> value) seeds the accumulator of a linear param, so
    contributions are added *into* it: a loop body transposed this way updates its carried
    cotangent buffer (e.g. with an in-place ``scatter_add``) instead of building a fresh one."""
    primal_env: dict[int, Any] = {}
    linear: set[int] = set()
    for p, a in zip(program.params, args):
        if isinstance(a, UndefinedPrimal):
            linear.add(id(p))
        else:
            primal_env[id(p)] = a

    def read(x):
        return x.val if x.__class__ is Literal else primal_env[id(x)]

    linear_eqns = _forward_part(program, linear, primal_env, read)
    slots = CotangentSlots()
    for pos, ct in (initial_cts or {}).items():
        slots.values[id(program.params[pos])] = ct
    for o, ct in zip(program.outs, cts_out):
        if isinstance(o, Var) and id(o) in linear:
            slots.add(id(o), ct)
    for eqn in reversed(linear_eqns):
        outputs = eqn.outputs
        if len(outputs) == 1:
            ct = slots.pop(id(outputs[0]))
            if ct is None:
                continue
            cts = [ct]
        else:
            cts = [slots.pop(id(v)) for v in outputs]
            if all(c is None for c in cts):
                continue
            cts = [Zero(v.aval) if c is None else c for c, v in zip(cts, outputs)]
        invals = [UndefinedPrimal(x.aval) if id(x) in linear else read(x)
                  for x in eqn.inputs]
        cts_in = transpose_memoized(eqn, invals, cts)
        if cts_in is None:
            cts_in = _transpose_eqn(eqn, invals, cts)
        for x, ct in zip(eqn.inputs, cts_in):
            if ct is not None and id(x) in linear:
                slots.add(id(x), ct, eqn.source or USER_LINE)

    out = []
    for p, a in zip(program.params, args):
        if isinstance(a, UndefinedPrimal):
            ct = slots.pop(id(p))
            out.append(Zero(p.aval) if ct is None else ct)
    return out


_transposed = ProgramTable()


def transpose_program(program: Program, linear_mask: tuple[bool, ...]) -> Program:
    """``(non-linear inputs, output cotangents) -> linear inputs' cotangents``, memoized."""
    hit = _transposed.get(program, linear_mask)
    if hit is not None:
        return hit
    nonlin_avals = [v.aval for v, m in zip(program.params, linear_mask) if not m]
    n = len(nonlin_avals)

    def fn(*args):
        it = iter(args[:n])
        full = [UndefinedPrimal(v.aval) if m else next(it)
                for v, m in zip(program.params, linear_mask)]
        cts = backward_pass(program, full, list(args[n:]))
        return [instantiate(c) for c in cts]

    prog, consts = trace_to_program(fn, nonlin_avals + program.out_avals,
                                    name=f"transpose_{program.name}")
    assert not consts
    return _transposed.put(program, linear_mask, prog)
