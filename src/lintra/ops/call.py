"""``call``: apply a staged program (a reusable function, or a ``jit``-ed one) without inlining.

Transformations map functions to functions and cache per (program, which inputs are
perturbed), so program size, derivative size and compile time stay linear (design §3):
jvp(call f) = call jvp(f); unzip gives call f_primal + call f_linear; transpose gives
call f_linear^T; vmap(call f) = call vmap(f), cached per (f, batch axes, axis size).
"""

from __future__ import annotations

from ..ad.jvp import jvp_program
from ..ad.linearity import check_linear, linearity_rules
from ..ad.partial_eval import partial_eval_rules
from ..ad.rules import UndefinedPrimal, Zero, instantiate, jvp_rules, transpose_rules
from ..ad.transpose import transpose_program
from ..ad.unzip import unzip_program, unzip_rules
from ..batching.core import vmap_rules
from ..core.eval import run_program
from ..core.ir import Eqn, Program, ProgramTable, Var
from ..core.primitive import Primitive, program_params
from .batched import vmap_program
from .shape import batch_size

call_p = Primitive("call", multiple_results=True, subprograms=program_params)


@call_p.def_impl
def _call_impl(*args, program: Program, policy=None):
    return run_program(program, args)


@call_p.def_shape
def _call_shape(*avals, program: Program, policy=None):
    expect = program.in_avals
    if len(avals) != len(expect) or any(a.strip_weak() != e for a, e in zip(avals, expect)):
        raise TypeError(f"call of {program.name}: expected arguments "
                        f"({', '.join(map(str, expect))}), got ({', '.join(map(str, avals))})")
    return program.out_avals


def _policy(policy) -> dict:
    """Only checkpointed calls carry a policy param (it is inherited by derived calls)."""
    return {} if policy is None else {"policy": policy}


def call(program: Program, *args) -> list:
    return call_p.bind(*args, program=program)


def _call_jvp(primals, tangents, *, program, policy=None):
    nonzero = tuple(not isinstance(t, Zero) for t in tangents)
    jprog, out_nonzero = jvp_program(program, nonzero)
    outs = call_p.bind(*primals, *[t for t in tangents if not isinstance(t, Zero)],
                       program=jprog, **_policy(policy))
    n = len(program.outs)
    it = iter(outs[n:])
    t_out = [next(it) if nz else Zero(a) for nz, a in zip(out_nonzero, program.out_avals)]
    return outs[:n], t_out


_forwarded_known = ProgramTable()


def _forwarded(u) -> tuple[Program, list]:
    """Residuals that are just known *inputs* of the function are not returned by the known
    call: the caller passes its own input on instead. (Otherwise a loop around the call would
    stack a loop-invariant input once per iteration.) Returns the known program without those
    outputs and, per residual, the index of the known input it forwards (or None)."""
    hit = _forwarded_known.get(u.known, "forwarded")
    if hit is not None:
        return (hit[0] or u.known), hit[1]
    n_out = len(u.known.outs) - u.num_residuals
    pos = {id(v): i for i, v in enumerate(u.known.params)}
    res = u.known.outs[n_out:]
    src = [pos.get(id(r)) if isinstance(r, Var) else None for r in res]
    known = u.known
    if any(s is not None for s in src):
        known = Program(known.params, known.eqns, known.outs[:n_out]
                        + [r for r, s in zip(res, src) if s is None], known.name)
    # (the table must not refer to its key: None stands for "u.known itself")
    _forwarded_known.put(u.known, "forwarded", (None if known is u.known else known, src))
    return known, src


def _call_pe_trace(trace, tracers, params):
    program = params["program"]
    unknowns = [t.atom is not None for t in tracers]
    u = unzip_program(program, unknowns, policy=params.get("policy"))
    known_prog, src = _forwarded(u)
    known_in = [t.known for t, uk in zip(tracers, unknowns) if not uk]
    known_outs = call_p.bind(*known_in, program=known_prog)
    n_known = len(u.known.outs) - u.num_residuals
    computed = iter(known_outs[n_known:])
    residuals = [trace.pure(known_in[s] if s is not None else next(computed)) for s in src]
    unknown_in = [t for t, uk in zip(tracers, unknowns) if uk]
    unknown_outs = iter(trace.stage(call_p, residuals + unknown_in, {"program": u.unknown}))
    known_it = iter(known_outs[:n_known])
    return [next(unknown_outs) if uo else trace.pure(next(known_it)) for uo in u.out_unknowns]


def _call_unzip(eqn: Eqn, unknowns: list[bool], policy):
    policy = eqn.params.get("policy") or policy
    u = unzip_program(eqn.params["program"], unknowns, policy=policy)
    known_prog, src = _forwarded(u)
    known_ins = [x for x, uk in zip(eqn.inputs, unknowns) if not uk]
    unknown_ins = [x for x, uk in zip(eqn.inputs, unknowns) if uk]
    new_res = [Var(v.aval) for v, s in zip(u.unknown.params[:u.num_residuals], src)
               if s is None]
    it = iter(new_res)
    res_atoms = [known_ins[s] if s is not None else next(it) for s in src]
    known_outs = [v for v, uo in zip(eqn.outputs, u.out_unknowns) if not uo]
    unknown_outs = [v for v, uo in zip(eqn.outputs, u.out_unknowns) if uo]
    k = Eqn(call_p, known_ins, {"program": known_prog}, known_outs + new_res, eqn.source)
    un = Eqn(call_p, res_atoms + unknown_ins, {"program": u.unknown}, unknown_outs,
             eqn.source)
    return [k], [un], u.out_unknowns


def _call_transpose(cts, *args, program, policy=None):
    mask = tuple(isinstance(a, UndefinedPrimal) for a in args)
    tprog = transpose_program(program, mask)
    nonlin = [a for a in args if not isinstance(a, UndefinedPrimal)]
    outs = iter(call_p.bind(*nonlin, *[instantiate(c) for c in cts], program=tprog))
    return [next(outs) if m else None for m in mask]


def _call_check_linear(eqn: Eqn, flags: list[bool]) -> list[bool]:
    return check_linear(eqn.params["program"], flags)


def _call_batch(args, dims, *, program, policy=None):
    """call vmap_program(f): inputs keep their batch axes; outputs are batched along axis 0
    or not at all (as the batched program computes). A checkpoint keeps its policy."""
    size = batch_size(args, dims)
    bprog, out_batched = vmap_program(program, tuple(dims), size)
    outs = call_p.bind(*args, program=bprog, **_policy(policy))
    return outs, [0 if b else None for b in out_batched]


jvp_rules[call_p] = _call_jvp
partial_eval_rules[call_p] = _call_pe_trace
unzip_rules[call_p] = _call_unzip
transpose_rules[call_p] = _call_transpose
linearity_rules[call_p] = _call_check_linear
vmap_rules[call_p] = _call_batch
