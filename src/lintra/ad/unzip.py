"""Unzipping a program (partial evaluation at the program level).

Given which inputs are unknown (the tangents of a JVP program), split a program into

    known(known_inputs)                 -> (known_outputs, residuals)
    unknown(residuals, unknown_inputs)  -> unknown_outputs

Every equation goes to exactly one side, except those a checkpoint **policy** chooses to
recompute: those are copied to the unknown side instead of saving their outputs as residuals.
This is the free choice of "You Only Linearize Once": checkpointing is an unzip policy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ..core import config
from ..core.ir import Eqn, Program, ProgramTable, Var, dce, typecheck
from ..core.primitive import Primitive

# policy(eqn) -> True when the eqn's outputs may be saved as residuals
Policy = Callable[[Eqn], bool]

# unzip_rules[p](eqn, in_unknowns, policy) -> (known eqns, unknown eqns, out_unknowns):
# how an equation of a higher-order primitive with some unknown inputs splits (the default
# puts the whole equation on the unknown side)
unzip_rules: dict[Primitive, Callable] = {}
_unzipped = ProgramTable()


class Unzipped(NamedTuple):
    known: Program        # known inputs -> known outputs + residuals
    unknown: Program      # residuals + unknown inputs -> unknown outputs
    out_unknowns: list[bool]
    num_residuals: int
    num_recomputed: int


def unzip_program(program: Program, in_unknowns: list[bool],
                  instantiate: bool | list[bool] = False,
                  policy: Policy | None = None) -> Unzipped:
    """Split ``program``; ``instantiate[i]`` forces output i to the unknown side. Cached."""
    inst = ([instantiate] * len(program.outs) if isinstance(instantiate, bool)
            else list(instantiate))
    key = (tuple(in_unknowns), tuple(inst), policy)
    hit = _unzipped.get(program, key)
    if hit is not None:
        return hit

    unknown: set[int] = {id(v) for v, u in zip(program.params, in_unknowns) if u}

    def is_unknown(x) -> bool:
        return isinstance(x, Var) and id(x) in unknown

    known_eqns: list[Eqn] = []
    unknown_eqns: list[Eqn] = []
    for eqn in program.eqns:
        unk = [is_unknown(x) for x in eqn.inputs]
        if not any(unk):
            known_eqns.append(eqn)
        elif eqn.prim in unzip_rules:
            k_eqns, u_eqns, out_unk = unzip_rules[eqn.prim](eqn, unk, policy)
            known_eqns.extend(k_eqns)
            unknown_eqns.extend(u_eqns)
            unknown.update(id(v) for v, u in zip(eqn.outputs, out_unk) if u)
        else:
            unknown_eqns.append(eqn)
            unknown.update(id(v) for v in eqn.outputs)

    out_unknowns = [is_unknown(o) or i for o, i in zip(program.outs, inst)]

    # Known values the unknown side reads: residuals, unless the policy recomputes them.
    needed: dict[int, Var] = {}
    for eqn in unknown_eqns:
        for x in eqn.inputs:
            if isinstance(x, Var) and not is_unknown(x):
                needed[id(x)] = x
    for o, u in zip(program.outs, out_unknowns):
        if u and isinstance(o, Var) and not is_unknown(o):
            needed[id(o)] = o

    recomputed: list[Eqn] = []
    if policy is not None:
        for eqn in reversed(known_eqns):
            if any(id(v) in needed for v in eqn.outputs) and not policy(eqn):
                recomputed.append(eqn)
                for v in eqn.outputs:
                    needed.pop(id(v), None)
                for x in eqn.inputs:
                    if isinstance(x, Var):
                        needed[id(x)] = x
        recomputed.reverse()
        recomputed_outs = {id(v) for e in recomputed for v in e.outputs}
        needed = {k: v for k, v in needed.items() if k not in recomputed_outs}

    # Residuals in definition order (params first, then equation outputs).
    order = {id(v): i for i, v in enumerate(program.params)}
    for eqn in known_eqns:
        for v in eqn.outputs:
            order.setdefault(id(v), len(order))
    residuals = sorted(needed.values(), key=lambda v: order[id(v)])

    known_outs = [o for o, u in zip(program.outs, out_unknowns) if not u]
    known_prog = dce(Program([v for v, u in zip(program.params, in_unknowns) if not u],
                             known_eqns, known_outs + residuals, f"{program.name}_primal"))
    unknown_outs = [o for o, u in zip(program.outs, out_unknowns) if u]
    res_params = [Var(v.aval) for v in residuals]
    rename = {id(v): p for v, p in zip(residuals, res_params)}
    unknown_body = _rename(recomputed + unknown_eqns, rename)
    unknown_prog = Program(res_params + [v for v, u in zip(program.params, in_unknowns) if u],
                           unknown_body, [rename.get(id(o), o) if isinstance(o, Var) else o
                                          for o in unknown_outs],
                           f"{program.name}_linear")
    if config.check_programs:
        typecheck(known_prog)
        typecheck(unknown_prog)
    return _unzipped.put(program, key, Unzipped(known_prog, unknown_prog, out_unknowns,
                                                len(residuals), len(recomputed)))


def _rename(eqns: list[Eqn], rename: dict[int, Var]) -> list[Eqn]:
    """Residual vars get fresh params on the unknown side (a var is defined once per program)."""
    if not rename:
        return eqns
    out = []
    for e in eqns:
        ins = [rename.get(id(x), x) if isinstance(x, Var) else x for x in e.inputs]
        out.append(Eqn(e.prim, ins, e.params, e.outputs, e.source)
                   if any(a is not b for a, b in zip(ins, e.inputs)) else e)
    return out


