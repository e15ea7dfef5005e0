"""The ``while_loop`` primitive: ``(cond consts, body consts, init) -> final carry``.

Evaluation, staging and forward mode (a while loop of the body's JVP, tangents carried along)
are supported. Reverse mode is not: the trip count is only known at run time, so there is no
static structure to stack residuals into. Partial evaluation with an unknown carry (which is
what linearize/grad ask for) is therefore a clear error naming the loop's source line (kept
in the hidden ``_source`` param, which derived loops inherit).

Batching (vmap): with an unbatched predicate, a while loop of the batched cond and body (a
carry the body makes batched is batched from the start: a fixed point). With a batched
predicate each batch element may stop after another number of iterations: every carry is
batched, the loop runs while *any* element's predicate holds, and the body freezes the
elements that are done (``select`` per element: the carried values of a finished element stop
changing, and its body results are discarded). The loop runs as many iterations as the
longest element needs, on the whole batch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..ad.jvp import jvp_program
from ..ad.partial_eval import partial_eval_rules
from ..ad.rules import Zero, instantiate, jvp_rules, transpose_rules
from ..ad.unzip import unzip_program, unzip_rules
from ..batching.core import vmap_rules
from ..core.avals import ShapedArray
from ..core.errors import MissingRuleError, user_frame_summary
from ..core.eval import eval_program, run_program
from ..core.ir import Eqn, Program, ProgramTable, dce
from ..core.primitive import Primitive
from ..core.staging import trace_to_program
from ..core.trace import full_raise
from .base import convert_element_type
from .batched import fixed_point, vmap_program
from .compare import gt
from .control_common import add_params, check_same_types, select_lanes, split3
from .shape import batch_size, reduce_sum, to_front

_derived = ProgramTable()

while_p = Primitive("while_loop", multiple_results=True)
while_p.subprograms = lambda params: [params["cond_prog"], params["body_prog"]]


@while_p.def_impl
def _while_impl(*args, cond_prog, body_prog, cond_nconsts, body_nconsts, _source=None):
    cc, bc, carry = split3(args, cond_nconsts, body_nconsts)
    while bool(run_program(cond_prog, cc + carry)[0]):
        carry = run_program(body_prog, bc + carry)
    return [c if isinstance(c, (np.ndarray, np.generic)) else np.asarray(c, a.dtype)
            for c, a in zip(carry, body_prog.out_avals)]


@while_p.def_shape
def _while_shape(*avals, cond_prog, body_prog, cond_nconsts, body_nconsts,
                 _source=None):
    cc, bc, carry = split3([a.strip_weak() for a in avals], cond_nconsts, body_nconsts)
    check_same_types("while_loop", cond_prog.in_avals, cc + carry, "cond_fun's inputs",
                     "the cond consts and carry")
    check_same_types("while_loop", body_prog.in_avals, bc + carry, "body_fun's inputs",
                     "the body consts and carry")
    check_same_types("while_loop", carry, body_prog.out_avals, "the carry",
                     "body_fun's output")
    check_same_types("while_loop", [ShapedArray((), np.bool_)], cond_prog.out_avals,
                     "the predicate", "cond_fun's output")
    return carry


# ---------------------------------------------------------------- forward mode

def _while_jvp(primals, tangents, *, cond_prog, body_prog, cond_nconsts, body_nconsts,
               _source=None):
    cc, bc, init = split3(primals, cond_nconsts, body_nconsts)
    _, t_bc, t_init = split3(tangents, cond_nconsts, body_nconsts)
    ncar = len(init)
    bc_nz = [not isinstance(t, Zero) for t in t_bc]
    car_nz = [not isinstance(t, Zero) for t in t_init]
    while True:
        jbody, out_nz = jvp_program(body_prog, tuple(bc_nz + car_nz), tuple(car_nz))
        new = [a or b for a, b in zip(car_nz, out_nz)]
        if new == car_nz:
            break
        car_nz = new
    key = ("while_jvp_layout", tuple(bc_nz), tuple(car_nz))
    hit = _derived.get(body_prog, key)
    if hit is None:
        nbc = len(bc)
        p = jbody.params
        pbc, pcar, rest = p[:nbc], p[nbc:nbc + ncar], p[nbc + ncar:]
        tbc, tcar = rest[:sum(bc_nz)], rest[sum(bc_nz):]
        sbody = Program(pbc + tbc + pcar + tcar, jbody.eqns, jbody.outs, jbody.name)
        cond_ext = add_params(cond_prog, [a for a, m in zip(body_prog.out_avals, car_nz) if m],
                              len(cond_prog.params))
        hit = _derived.put(body_prog, key, (sbody, cond_ext))
    sbody, cond_ext = hit
    outs = while_p.bind(*cc, *bc, *[t for t, m in zip(t_bc, bc_nz) if m], *init,
                        *[instantiate(t) for t, m in zip(t_init, car_nz) if m],
                        cond_prog=cond_ext, body_prog=sbody, cond_nconsts=cond_nconsts,
                        body_nconsts=body_nconsts + sum(bc_nz), _source=_source)
    it = iter(outs[ncar:])
    return outs[:ncar], [next(it) if m else Zero(a)
                         for m, a in zip(car_nz, body_prog.out_avals)]


# ---------------------------------------------------------------- partial evaluation

def _reverse_mode_error(where: str | None) -> MissingRuleError:
    at = f" at {where}" if where else ""
    return MissingRuleError(
        f"reverse-mode differentiation (grad, vjp, linearize) through the `while_loop`{at} "
        "is not supported: its trip count is only known at run time, so its iterations "
        "cannot be stacked and run backwards. Use `lintra.fori_loop` with static (Python "
        "int) bounds or `lintra.scan` with a fixed length instead; forward mode "
        "(`lintra.jvp`) through `while_loop` is supported.")


class _WhileSplit(NamedTuple):
    known: dict           # params of the loop with its unknown (unused) inputs removed
    known_ins: list[int]


def _while_partial(params: dict, in_uk: list[bool], policy) -> _WhileSplit | None:
    """None when a carry (or the predicate) depends on an unknown input: not reversible."""
    cond_prog, body_prog = params["cond_prog"], params["body_prog"]
    ncc, nbc = params["cond_nconsts"], params["body_nconsts"]
    cc_uk, bc_uk, car_uk = split3(in_uk, ncc, nbc)
    if any(car_uk):
        return None
    ub = unzip_program(body_prog, bc_uk + car_uk, instantiate=False, policy=policy)
    uc = unzip_program(cond_prog, cc_uk + car_uk, policy=policy)
    if any(ub.out_unknowns) or any(uc.out_unknowns):
        return None
    n = len(car_uk)
    kb = dce(Program(ub.known.params, ub.known.eqns, ub.known.outs[:n], body_prog.name))
    kc = dce(Program(uc.known.params, uc.known.eqns, uc.known.outs[:1], cond_prog.name))
    known = dict(cond_prog=kc, body_prog=kb, cond_nconsts=ncc - sum(cc_uk),
                 body_nconsts=nbc - sum(bc_uk), _source=params.get("_source"))
    return _WhileSplit(known, [i for i, uk in enumerate(in_uk) if not uk])


def _while_unzip(eqn: Eqn, unknowns: list[bool], policy):
    s = _while_partial(eqn.params, unknowns, policy)
    if s is None:
        raise _reverse_mode_error(eqn.params.get("_source") or eqn.source)
    k = Eqn(while_p, [eqn.inputs[i] for i in s.known_ins], s.known, eqn.outputs, eqn.source)
    return [k], [], [False] * len(eqn.outputs)


def _while_pe_trace(trace, tracers, params):
    s = _while_partial(params, [t.atom is not None for t in tracers], None)
    if s is None:
        raise _reverse_mode_error(params.get("_source") or user_frame_summary())
    outs = while_p.bind(*[tracers[i].known for i in s.known_ins], **s.known)
    return [full_raise(trace, o) for o in outs]


def _while_transpose(cts, *args, _source=None, **params):
    raise _reverse_mode_error(_source)


# ---------------------------------------------------------------- batching

def _lanes_loop(bcond: Program, bbody: Program, ncc: int) -> tuple[Program, Program]:
    """For a batched predicate: ``(cc, carry) -> any lane's predicate`` and ``(cc, bc, carry)
    -> carry``, where lanes whose predicate is false keep their carry."""
    key = ("while_lanes", bcond.uid, ncc)
    hit = _derived.get(bbody, key)
    if hit is not None:
        return hit
    cc_avals, car_avals = bcond.in_avals[:ncc], bcond.in_avals[ncc:]
    nbc = len(bbody.params) - len(car_avals)

    def any_lane(*args):
        pred = eval_program(bcond, args)[0]
        return [gt(reduce_sum(convert_element_type(pred, np.int32), (0,)), np.int32(0))]

    def frozen_body(*args):
        cc, bc, carry = split3(args, ncc, nbc)
        pred = eval_program(bcond, cc + carry)[0]
        new = eval_program(bbody, bc + carry)
        return [select_lanes(pred, n, c) for n, c in zip(new, carry)]

    cond, c1 = trace_to_program(any_lane, bcond.in_avals, f"any_{bcond.name}")
    body, c2 = trace_to_program(frozen_body, cc_avals + bbody.in_avals, f"frozen_{bbody.name}")
    assert not c1 and not c2
    return _derived.put(bbody, key, (cond, body))


def _while_batch(args, dims, *, cond_prog, body_prog, cond_nconsts, body_nconsts,
                 _source=None):
    size = batch_size(args, dims)
    cc, bc, init = split3(args, cond_nconsts, body_nconsts)
    cc_d, bc_d, car_d = split3(dims, cond_nconsts, body_nconsts)

    def parts(car_b):
        cd = tuple(0 if b else None for b in car_b)
        return (vmap_program(cond_prog, tuple(cc_d) + cd, size),
                vmap_program(body_prog, tuple(bc_d) + cd, size, tuple(car_b)))

    def step(car_b):
        (_, pred_b), (_, out_b) = parts(car_b)
        return (True,) * len(init) if pred_b[0] else out_b

    car_b = fixed_point(step, tuple(d is not None for d in car_d))
    (bcond, pred_b), (bbody, _) = parts(car_b)
    init = [to_front(c, d, size) if b else c for c, d, b in zip(init, car_d, car_b)]
    out_dims = [0 if b else None for b in car_b]
    if not pred_b[0]:
        return while_p.bind(*cc, *bc, *init, cond_prog=bcond, body_prog=bbody,
                            cond_nconsts=cond_nconsts, body_nconsts=body_nconsts,
                            _source=_source), out_dims
    any_cond, frozen = _lanes_loop(bcond, bbody, cond_nconsts)
    return while_p.bind(*cc, *cc, *bc, *init, cond_prog=any_cond, body_prog=frozen,
                        cond_nconsts=cond_nconsts, body_nconsts=cond_nconsts + body_nconsts,
                        _source=_source), out_dims


jvp_rules[while_p] = _while_jvp
unzip_rules[while_p] = _while_unzip
partial_eval_rules[while_p] = _while_pe_trace
transpose_rules[while_p] = _while_transpose
vmap_rules[while_p] = _while_batch
