"""The NumPy interpreter: the default backend, and the evaluator every transformation uses.

``eval_program`` binds each equation's primitive, so evaluating a program under a trace
transforms it (this is how jvp/transpose of a ``call`` are derived). ``run_program`` is the
fast path for concrete values: it calls ``impl`` directly and lets ``scatter_add`` update a
buffer in place when the buffer is dead afterwards (so index adjoints in loops stay O(n)).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.ir import Eqn, Literal, Program, Var


def eval_eqn(eqn: Eqn, vals: list) -> list:
    out = eqn.prim.bind(*vals, **eqn.params)
    return out if eqn.prim.multiple_results else [out]


def eval_program(program: Program, args: Sequence[Any]) -> list:
    if len(args) != len(program.params):
        raise TypeError(f"program {program.name} takes {len(program.params)} inputs, "
                        f"got {len(args)}")
    env: dict[int, Any] = {id(v): a for v, a in zip(program.params, args)}

    def read(x):
        return x.val if isinstance(x, Literal) else env[id(x)]

    for eqn in program.eqns:
        outs = eval_eqn(eqn, [read(x) for x in eqn.inputs])
        for v, o in zip(eqn.outputs, outs):
            env[id(v)] = o
    return [read(o) for o in program.outs]


def _last_uses(program: Program) -> dict[int, int]:
    last: dict[int, int] = {}
    for i, eqn in enumerate(program.eqns):
        for x in eqn.inputs:
            if isinstance(x, Var):
                last[id(x)] = i
    for o in program.outs:
        if isinstance(o, Var):
            last[id(o)] = len(program.eqns)
    return last


def run_program(program: Program, args: Sequence[Any],
                donated: tuple[bool, ...] | None = None) -> list:
    """Evaluate on concrete NumPy values (no tracers).

    ``donated[i]``: the caller hands argument i over (it will not read it again), so a
    ``scatter_add`` may update it in place (a loop's carried cotangent buffer)."""
    key = ("interpret_plan", donated)
    plan = program.cache.get(key)
    if plan is None:
        plan = _plan(program, donated)
        program.cache[key] = plan
    env: dict[int, Any] = {id(v): a for v, a in zip(program.params, args)}
    owned: set[int] = set()
    if donated:
        owned.update(id(v) for v, d, a in zip(program.params, donated, args)
                     if d and isinstance(a, np.ndarray) and a.flags.writeable)
    for eqn, inplace, drop in plan:
        vals = [x.val if isinstance(x, Literal) else env[id(x)] for x in eqn.inputs]
        if inplace and id(eqn.inputs[0]) in owned:
            out = eqn.prim.inplace_impl(*vals, **eqn.params)
            outs = [out]
        else:
            out = eqn.prim.impl(*vals, **eqn.params)
            outs = out if eqn.prim.multiple_results else [out]
        for v, o in zip(eqn.outputs, outs):
            env[id(v)] = o
        if getattr(eqn.prim, "fresh_output", False):
            owned.add(id(eqn.outputs[0]))
        for k in drop:
            env.pop(k, None)
            owned.discard(k)
    return [o.val if isinstance(o, Literal) else env[id(o)] for o in program.outs]


def _plan(program: Program, donated: tuple[bool, ...] | None = None) -> list:
    last = _last_uses(program)
    donated = donated or (False,) * len(program.params)
    keep = {id(v) for v, d in zip(program.params, donated) if not d}
    keep |= {id(o) for o in program.outs if isinstance(o, Var)}
    # a buffer read by an earlier equation may be aliased by a view it returned (reshape,
    # slice, ...): update in place only a buffer whose one and only reader is this equation
    reads: dict[int, int] = {}
    for eqn in program.eqns:
        for x in eqn.inputs:
            if isinstance(x, Var):
                reads[id(x)] = reads.get(id(x), 0) + 1
    plan = []
    for i, eqn in enumerate(program.eqns):
        first = eqn.inputs[0] if eqn.inputs else None
        inplace = (getattr(eqn.prim, "inplace_impl", None) is not None
                   and isinstance(first, Var) and last.get(id(first)) == i
                   and id(first) not in keep and reads.get(id(first)) == 1)
        drop = [id(x) for x in eqn.inputs if isinstance(x, Var) and last.get(id(x)) == i
                and id(x) not in keep]
        plan.append((eqn, inplace, list(dict.fromkeys(drop))))
    return plan
