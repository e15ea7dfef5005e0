"""Which elementwise values with several readers may still stay unmaterialized.

A value read once fuses into its reader's loop (``FunctionEmitter._fusable``). A value read
by several elementwise equations (or twice by one) fuses too when every read happens in the
same loop, the one that evaluates all those readers (an elementwise chain ending in one
output or one reduction, as a gradient's often does): each reader then recomputes it at the
same position of the same iteration, and LLVM computes it once (the math calls are pure).
Reads in different loops would each recompute it, so such a value is materialized, unless
it is cheap (``recomputed``): one add, sub, mul or neg of arrays in memory, read by
elementwise loops (and at most one other reader that reads each element once). The kmeans
large Hessian-vector product materialized ``P[:, None] - C[None]`` (320 MB, from 3 MB of
inputs) for two reductions: 930 ms on its first call, 180 ms after; recomputed, neither.
A value from arrays as large as itself is recomputed for two readers at most."""

from __future__ import annotations

from ...core.ir import Program, Var
from .rules import cheap, elementwise_rules, reads_once


def shared_lazy(program: Program) -> set[int]:
    """The ids of the elementwise variables of ``program`` with several reads, all in one
    loop."""
    readers: dict[int, list] = {}
    for eqn in program.eqns:
        for x in eqn.inputs:
            if isinstance(x, Var):
                readers.setdefault(id(x), []).append(eqn)
    outs = {id(o) for o in program.outs if isinstance(o, Var)}
    loop: dict[int, object] = {}     # variable id -> the equation whose loop evaluates it
    shared: set[int] = set()
    for eqn in reversed(program.eqns):
        if eqn.prim not in elementwise_rules or not eqn.outputs[0].aval.shape:
            continue
        v = eqn.outputs[0]
        rs = readers.get(id(v), [])
        if id(v) in outs or not rs:
            continue
        where = set()
        for r in rs:
            if r.prim in elementwise_rules and r.outputs[0].aval.shape == v.aval.shape:
                where.add(loop.get(id(r.outputs[0]), r))
            elif r.prim in reads_once and len(rs) == 1:
                where.add(r)
            else:
                where.add(None)
        if len(where) == 1 and None not in where:
            loop[id(v)] = where.pop()
            if len(rs) > 1:
                shared.add(id(v))
    return shared


def recomputed(program: Program) -> set[int]:
    """The ids of the cheap elementwise variables of ``program`` read in several loops that
    stay unmaterialized (module docstring)."""
    readers: dict[int, list] = {}
    for eqn in program.eqns:
        for x in eqn.inputs:
            if isinstance(x, Var):
                readers.setdefault(id(x), []).append(eqn)
    outs = {id(o) for o in program.outs if isinstance(o, Var)}
    in_memory = {id(v) for v in program.params}     # not computed by an elementwise loop
    out: set[int] = set()
    for eqn in program.eqns:
        ins = [x for x in eqn.inputs if isinstance(x, Var)]
        plain = all(id(x) in in_memory for x in ins)
        if eqn.prim not in elementwise_rules:
            if plain:
                in_memory.update(id(v) for v in eqn.outputs)
            continue
        v = eqn.outputs[0]
        rs = readers.get(id(v), [])
        if (eqn.prim not in cheap or not plain or id(v) in outs or len(rs) < 2
                or not v.aval.shape):
            continue
        other = [r for r in rs if not (r.prim in elementwise_rules
                                       and r.outputs[0].aval.shape == v.aval.shape)]
        smaller = all(x.aval.size < v.aval.size for x in ins)
        if (len(other) <= 1 and all(r.prim in reads_once for r in other)
                and (smaller or len(rs) <= 2)):
            out.add(id(v))
    return out
