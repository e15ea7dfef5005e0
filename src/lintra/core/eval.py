"""Evaluation of programs: the reference semantics every transformation and backend agrees with.

``eval_program`` binds each equation's primitive, so evaluating a program under a trace
transforms it (this is how jvp/transpose of a ``call`` are derived). ``run_program`` is the
fast path for concrete values: it calls ``impl`` directly, and lets a primitive with an
in-place implementation (``scatter_add``) update a buffer that is dead afterwards (so index
adjoints in loops stay O(n)).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .ir import Eqn, Literal, Program, ProgramTable, Var
from .primitive import Primitive
from .staging import gc_paused
from .trace import call_with_source

# inplace_impls[p](buffer, *rest, **params): p's result written into its first operand
inplace_impls: dict[Primitive, Callable] = {}
# primitives whose result is a fresh buffer nobody else sees (a later in-place update is safe)
fresh_outputs: set[Primitive] = set()
# scalar_impls[p](*scalars, **params) -> scalar: p on Python scalars with float64 semantics
# (NumPy's results: nan/inf where ``math`` would raise), for an equation whose operands and
# results are all scalars of dtype float64 or bool, at least one operand float64 (the caller
# checks the avals; an entry may rely on that: e.g. convert_element_type's result is float64
# or bool). Used where a NumPy call per scalar costs more than the arithmetic (eager scalar
# code). An entry may carry ``.unguarded``: the same computation that raises ValueError or
# ArithmeticError instead of returning nan/inf (``math.log``), so that generated code can
# call it in an inline ``try`` and the entry only in the ``except``.
scalar_impls: dict[Primitive, Callable] = {}
# unchecked_impls[p]: p's impl without the argument validation its ``impl`` does for eager
# calls (the shape rule again); programs run by ``run_program`` were type-checked when staged
unchecked_impls: dict[Primitive, Callable] = {}

_plans = ProgramTable()


def eval_eqn(eqn: Eqn, vals: list) -> list:
    """Bind ``eqn``'s primitive; what a trace stages from it keeps the equation's source."""
    out = call_with_source(eqn.source, eqn.prim.bind, *vals, **eqn.params)
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


def run_program(program: Program, args: Sequence[Any],
                donated: tuple[bool, ...] | None = None) -> list:
    """Evaluate on concrete NumPy values (no tracers).

    ``donated[i]``: the caller hands argument i over (it will not read it again), so an
    in-place primitive may update it (a loop's carried cotangent buffer)."""
    plan = _plans.get(program, donated)
    if plan is None:
        with gc_paused():
            plan = _plans.put(program, donated, _plan(program, donated))
    env: dict[int, Any] = {id(v): a for v, a in zip(program.params, args)}
    owned: set[int] = set()
    if donated:
        owned.update(id(v) for v, d, a in zip(program.params, donated, args)
                     if d and isinstance(a, np.ndarray) and a.flags.writeable)
    for eqn, impl, inplace, fresh, drop in plan:
        vals = [x.val if isinstance(x, Literal) else env[id(x)] for x in eqn.inputs]
        if inplace and id(eqn.inputs[0]) in owned:
            outs = [inplace_impls[eqn.prim](*vals, **eqn.params)]
        else:
            out = impl(*vals, **eqn.params)
            outs = out if eqn.prim.multiple_results else [out]
        for v, o in zip(eqn.outputs, outs):
            env[id(v)] = o
        if fresh:
            owned.add(id(eqn.outputs[0]))
        for k in drop:
            env.pop(k, None)
            owned.discard(k)
    return [o.val if isinstance(o, Literal) else env[id(o)] for o in program.outs]


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
        inplace = (eqn.prim in inplace_impls and isinstance(first, Var)
                   and last.get(id(first)) == i and id(first) not in keep
                   and reads.get(id(first)) == 1)
        drop = [id(x) for x in eqn.inputs if isinstance(x, Var) and last.get(id(x)) == i
                and id(x) not in keep]
        impl = unchecked_impls.get(eqn.prim, eqn.prim.impl)
        plan.append((eqn, impl, inplace, eqn.prim in fresh_outputs,
                     list(dict.fromkeys(drop))))
    return plan
