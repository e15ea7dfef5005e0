"""Transposition of linear programs (the backward pass).

Equations that do not touch a linear input (residual computations, recomputed under a
checkpoint policy) are evaluated forward first; linear equations are then visited once each,
in reverse, calling their primitive's transpose rule. Cotangents of a variable read several
times are summed (``add_any``); they are popped when read so memory is freed as the pass
advances. Index adjoints (``SparseCotangent``) accumulate in place into one buffer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.avals import ShapedArray
from ..core.errors import MissingRuleError
from ..core.ir import Literal, Program, Var
from ..core.staging import trace_to_program
from ..core.trace import Tracer, Zero, instantiate


class UndefinedPrimal:
    """Marks a linear input of an equation being transposed."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"UndefinedPrimal({self.aval})"


class SparseCotangent:
    """The cotangent of ``take(x, indices, axis)``: nonzero only at ``indices``."""

    __slots__ = ("aval", "indices", "updates", "axis")

    def __init__(self, aval, indices, updates, axis):
        self.aval, self.indices, self.updates, self.axis = aval, indices, updates, axis


def _fresh(x: Any) -> bool:
    """A buffer nobody else can see: safe to accumulate into in place."""
    return isinstance(x, np.ndarray) and x.flags.writeable and x.base is None


class CotangentAccumulator:
    """Cotangent slots keyed by variable; knows which buffers it owns (may mutate)."""

    __slots__ = ("slots",)

    def __init__(self):
        self.slots: dict[int, list] = {}   # id(var) -> [value, owned]

    def add(self, var: Var, ct: Any) -> None:
        from ..ops import base, indexing
        if isinstance(ct, Zero) or ct is None:
            return
        slot = self.slots.get(id(var))
        if isinstance(ct, SparseCotangent):
            if slot is None:
                buf = np.zeros(ct.aval.shape, ct.aval.dtype)
                if isinstance(ct.updates, Tracer) or isinstance(ct.indices, Tracer):
                    buf = indexing.scatter_add(buf, ct.indices, ct.updates, ct.axis)
                    self.slots[id(var)] = [buf, False]
                else:
                    indexing.scatter_add_inplace(buf, ct.indices, ct.updates, ct.axis)
                    self.slots[id(var)] = [buf, True]
            elif slot[1] and not isinstance(ct.updates, Tracer) and not isinstance(
                    ct.indices, Tracer):
                indexing.scatter_add_inplace(slot[0], ct.indices, ct.updates, ct.axis)
            else:
                out = indexing.scatter_add(slot[0], ct.indices, ct.updates, ct.axis)
                slot[0], slot[1] = out, _fresh(out)
            return
        if slot is None:
            self.slots[id(var)] = [ct, False]
        elif slot[1] and not isinstance(ct, Tracer) \
                and np.shape(ct) == slot[0].shape:
            np.add(slot[0], ct, out=slot[0])
        else:
            out = base.add_any(slot[0], ct)
            slot[0], slot[1] = out, _fresh(out)

    def pop(self, var, aval) -> Any:
        slot = self.slots.pop(id(var), None)
        return Zero(aval) if slot is None else slot[0]


def backward_pass(program: Program, args: list, cts_out: list,
                  initial_cts: dict[int, Any] | None = None) -> list:
    """Transpose ``program`` with respect to its ``UndefinedPrimal`` args.

    Returns one cotangent (possibly ``Zero``) per undefined arg, in order.
    ``initial_cts`` (param position -> value) seeds the accumulator of a linear param, so
    contributions are added *into* it: a loop body transposed this way updates its carried
    cotangent buffer (e.g. with an in-place ``scatter_add``) instead of building a fresh one."""
    from ..backends.interpret import eval_eqn
    primal_env: dict[int, Any] = {}
    linear: set[int] = set()
    for p, a in zip(program.params, args):
        if isinstance(a, UndefinedPrimal):
            linear.add(id(p))
        else:
            primal_env[id(p)] = a

    def read(x):
        return x.val if isinstance(x, Literal) else primal_env[id(x)]

    linear_eqns = []
    for eqn in program.eqns:
        if any(isinstance(x, Var) and id(x) in linear for x in eqn.inputs):
            linear_eqns.append(eqn)
            linear.update(id(v) for v in eqn.outputs)
        else:
            outs = eval_eqn(eqn, [read(x) for x in eqn.inputs])
            for v, o in zip(eqn.outputs, outs):
                primal_env[id(v)] = o

    acc = CotangentAccumulator()
    for pos, ct in (initial_cts or {}).items():
        acc.slots[id(program.params[pos])] = [ct, False]
    for o, ct in zip(program.outs, cts_out):
        if isinstance(o, Var) and id(o) in linear:
            acc.add(o, ct)

    for eqn in reversed(linear_eqns):
        cts = [acc.pop(v, v.aval) for v in eqn.outputs]
        if all(isinstance(c, Zero) for c in cts):
            continue
        prim = eqn.prim
        if prim.transpose is None:
            raise MissingRuleError(f"primitive `{prim.name}` has no transpose rule; it "
                                   "appeared in a linear program"
                                   + (f" (from {eqn.source})" if eqn.source else ""))
        invals = [UndefinedPrimal(x.aval) if isinstance(x, Var) and id(x) in linear
                  else read(x) for x in eqn.inputs]
        cts_in = prim.transpose(cts if prim.multiple_results else cts[0], *invals,
                                **eqn.params)
        for x, ct in zip(eqn.inputs, cts_in):
            if isinstance(x, Var) and id(x) in linear:
                acc.add(x, ct)

    return [acc.pop(p, p.aval) for p, a in zip(program.params, args)
            if isinstance(a, UndefinedPrimal)]


def transpose_program(program: Program, linear_mask: tuple[bool, ...]) -> Program:
    """``(non-linear inputs, output cotangents) -> linear inputs' cotangents``, cached."""
    key = ("transpose", linear_mask)
    hit = program.cache.get(key)
    if hit is not None:
        return hit
    nonlin_avals = [v.aval for v, m in zip(program.params, linear_mask) if not m]
    lin_avals = [v.aval for v, m in zip(program.params, linear_mask) if m]
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
    del lin_avals
    program.cache[key] = prog
    return prog
