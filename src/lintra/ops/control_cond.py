"""The ``cond`` primitive: ``cond[branches](index, *operands)`` runs ``branches[index]``
(clamped into range, as ``lax.switch``). All branches take and return the same types.

JVP: a cond of the branches' JVPs (tangent outputs instantiated over the union of the
branches' nonzero ones). Unzip with a known index: a known cond computing the known outputs
and the residuals of whichever branch runs (residual lists padded with zeros so every branch
returns the same residual types), and an unknown cond reading them. Transpose: a cond of the
transposed branches.

Batching (vmap), as JAX: with an unbatched index the cond stays a cond, of the batched
branches (an output batched in any branch is batched in all of them). With a batched index
each batch element may take another branch, so every branch runs on the whole batch and each
output is a ``select`` per batch element of the branch outputs (with the index clamped into
range as without vmap). Evaluating every branch costs their sum, and a branch not taken
still runs on that element's operands (as with ``jnp.where``: guard it if it can fail).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..ad.jvp import jvp_program
from ..ad.linearity import NonLinearError, check_linear, linearity_rules
from ..ad.partial_eval import partial_eval_rules
from ..ad.rules import UndefinedPrimal, Zero, instantiate, jvp_rules, transpose_rules
from ..ad.transpose import transpose_program
from ..ad.unzip import unzip_program, unzip_rules
from ..batching.core import vmap_rules
from ..core.avals import ShapedArray
from ..core.eval import eval_program, run_program
from ..core.ir import Eqn, Literal, Program, ProgramTable, Var
from ..core.primitive import Primitive
from ..core.trace import Tracer, full_raise, get_aval
from .batched import vmap_program
from .compare import ge
from .control_common import check_same_types, select_lanes
from .shape import batch_size, moveaxis

_derived = ProgramTable()

cond_p = Primitive("cond", multiple_results=True)
cond_p.subprograms = lambda params: list(params["branches"])


def clamp_index(index, n: int) -> int:
    return int(np.clip(int(index), 0, n - 1))


@cond_p.def_impl
def _cond_impl(index, *ops, branches):
    return run_program(branches[clamp_index(index, len(branches))], ops)


@cond_p.def_shape
def _cond_shape(index, *ops, branches):
    if index.shape != () or index.dtype.kind not in "iu":
        raise TypeError(f"cond: the branch index must be an integer scalar, got {index}")
    first = branches[0]
    for k, b in enumerate(branches):
        check_same_types("cond", b.in_avals, [a.strip_weak() for a in ops],
                         f"branch {k}'s inputs", "the operands")
        check_same_types("cond", first.out_avals, b.out_avals, "branch 0's output",
                         f"branch {k}'s output")
    return first.out_avals


# ---------------------------------------------------------------- forward mode

def _cond_jvp(primals, tangents, *, branches):
    index, ops = primals[0], primals[1:]
    nz = tuple(not isinstance(t, Zero) for t in tangents[1:])
    out_avals = branches[0].out_avals
    out_nz = [False] * len(out_avals)
    for br in branches:
        out_nz = [a or c for a, c in zip(out_nz, jvp_program(br, nz, (False,) * len(out_nz))[1])]
    inst = tuple(m and a.is_float for m, a in zip(out_nz, out_avals))
    jbranches = tuple(jvp_program(b, nz, inst)[0] for b in branches)
    outs = cond_p.bind(index, *ops, *[t for t in tangents[1:] if not isinstance(t, Zero)],
                       branches=jbranches)
    n = len(out_avals)
    it = iter(outs[n:])
    return outs[:n], [next(it) if m else Zero(a) for m, a in zip(inst, out_avals)]


# ---------------------------------------------------------------- partial evaluation

class _CondSplit(NamedTuple):
    out_uk: list[bool]
    known: tuple          # branches: known operands -> known outputs + residual slots
    unknown: tuple        # branches: residual slots + unknown operands -> unknown outputs
    slots: list[ShapedArray]


def _cond_partial(branches: tuple, ops_uk: list[bool], policy) -> _CondSplit:
    key = ("cond_partial", tuple(b.uid for b in branches), tuple(ops_uk), policy)
    hit = _derived.get(branches[0], key)
    if hit is not None:
        return hit
    n_out = len(branches[0].outs)
    out_uk = [False] * n_out
    while True:
        us = [unzip_program(b, ops_uk, instantiate=out_uk, policy=policy) for b in branches]
        new = [any(u.out_unknowns[i] for u in us) for i in range(n_out)]
        if new == out_uk:
            break
        out_uk = new
    # Residual slots: each branch puts its residuals into slots of the same type (shared
    # between branches where types agree); the slots a branch does not use get zeros.
    slots: list[ShapedArray] = []
    assign: list[list[int]] = []
    for u in us:
        used: set[int] = set()
        a = []
        for p in u.unknown.params[:u.num_residuals]:
            j = next((j for j, s in enumerate(slots) if s == p.aval and j not in used), None)
            if j is None:
                slots.append(p.aval)
                j = len(slots) - 1
            used.add(j)
            a.append(j)
        assign.append(a)
    known, unknown = [], []
    for b, u, a in zip(branches, us, assign):
        K, U, nres = u.known, u.unknown, u.num_residuals
        nk = len(K.outs) - nres
        slot_outs = [Literal(np.zeros(s.shape, s.dtype)) for s in slots]
        for r, j in zip(K.outs[nk:], a):
            slot_outs[j] = r
        known.append(Program(K.params, K.eqns, K.outs[:nk] + slot_outs, f"{b.name}_known"))
        slot_params = [Var(s) for s in slots]
        for p, j in zip(U.params[:nres], a):
            slot_params[j] = p
        unknown.append(Program(slot_params + U.params[nres:], U.eqns, U.outs,
                               f"{b.name}_unknown"))
    result = _CondSplit(out_uk, tuple(known), tuple(unknown), slots)
    _derived.put(branches[0], key, result)
    return result


def _cond_unzip(eqn: Eqn, unknowns: list[bool], policy):
    if unknowns[0]:
        return [], [eqn], [True] * len(eqn.outputs)
    index, ops = eqn.inputs[0], eqn.inputs[1:]
    s = _cond_partial(eqn.params["branches"], unknowns[1:], policy)
    res = [Var(a) for a in s.slots]
    k = Eqn(cond_p, [index] + [x for x, uk in zip(ops, unknowns[1:]) if not uk],
            {"branches": s.known}, [v for v, uk in zip(eqn.outputs, s.out_uk) if not uk] + res,
            eqn.source)
    if not any(s.out_uk):
        return [k], [], s.out_uk
    un = Eqn(cond_p, [index] + res + [x for x, uk in zip(ops, unknowns[1:]) if uk],
             {"branches": s.unknown}, [v for v, uk in zip(eqn.outputs, s.out_uk) if uk],
             eqn.source)
    return [k], [un], s.out_uk


def _cond_pe_trace(trace, tracers, params):
    branches = params["branches"]
    idx = tracers[0]
    if idx.atom is not None:
        return trace.stage(cond_p, tracers, params)
    if not isinstance(idx.known, Tracer):      # a concrete index: just run that branch
        outs = eval_program(branches[clamp_index(idx.known, len(branches))], tracers[1:])
        return [full_raise(trace, o) for o in outs]
    ops = tracers[1:]
    ops_uk = [t.atom is not None for t in ops]
    s = _cond_partial(branches, ops_uk, None)
    kouts = cond_p.bind(idx.known, *[t.known for t, uk in zip(ops, ops_uk) if not uk],
                        branches=s.known)
    n_k = len(kouts) - len(s.slots)
    res = [trace.pure(r) for r in kouts[n_k:]]
    uouts = iter(trace.stage(cond_p, [idx] + res + [t for t, uk in zip(ops, ops_uk) if uk],
                             {"branches": s.unknown}) if any(s.out_uk) else [])
    kit = iter(kouts[:n_k])
    return [next(uouts) if uk else trace.pure(next(kit)) for uk in s.out_uk]


# ---------------------------------------------------------------- transpose

def _cond_transpose(cts, index, *ops, branches):
    if isinstance(index, UndefinedPrimal):
        raise TypeError("cond: the branch index cannot be a linear input")
    mask = tuple(isinstance(x, UndefinedPrimal) for x in ops)
    tbranches = tuple(transpose_program(b, mask) for b in branches)
    outs = iter(cond_p.bind(index, *[x for x in ops if not isinstance(x, UndefinedPrimal)],
                            *[instantiate(c) for c in cts], branches=tbranches))
    return [None] + [next(outs) if m else None for m in mask]


def _cond_check_linear(eqn: Eqn, flags: list[bool]) -> list[bool]:
    if flags[0]:
        raise NonLinearError("cond: the branch index is a linear value")
    out = [False] * len(eqn.outputs)
    for b in eqn.params["branches"]:
        out = [a or c for a, c in zip(out, check_linear(b, flags[1:]))]
    return out


# ---------------------------------------------------------------- batching

def _cond_batch(args, dims, *, branches):
    ops, op_dims = args[1:], tuple(dims[1:])
    size = batch_size(args, dims)
    n_out = len(branches[0].outs)
    if dims[0] is None:
        out_b = (False,) * n_out
        for b in branches:
            out_b = tuple(x or y for x, y in zip(out_b, vmap_program(b, op_dims, size)[1]))
        bbranches = tuple(vmap_program(b, op_dims, size, out_b)[0] for b in branches)
        return (cond_p.bind(args[0], *ops, branches=bbranches),
                [0 if b else None for b in out_b])
    index = moveaxis(args[0], dims[0], 0)
    force = (True,) * n_out
    results = [eval_program(vmap_program(b, op_dims, size, force)[0], ops) for b in branches]
    outs = results[0]
    for k in range(1, len(branches)):   # index >= k takes branch k or a later one
        take = ge(index, np.asarray(k, get_aval(index).dtype))
        outs = [select_lanes(take, r, o) for r, o in zip(results[k], outs)]
    return outs, [0] * n_out


jvp_rules[cond_p] = _cond_jvp
unzip_rules[cond_p] = _cond_unzip
partial_eval_rules[cond_p] = _cond_pe_trace
transpose_rules[cond_p] = _cond_transpose
linearity_rules[cond_p] = _cond_check_linear
vmap_rules[cond_p] = _cond_batch
