"""The ``scan`` primitive: a loop of static length over a body program.

Inputs are ``(consts, init carries, xs)``; the body maps ``(consts, carry, x) -> (carry, y)``
and the ys are stacked. Params: ``body``, ``num_consts``, ``num_carry``, ``length``,
``reverse`` and ``donate`` (per carry: the loop owns the carried buffer, so the body may
update it in place — set for the cotangent accumulators of a transposed scan, so index
adjoints inside loops stay O(1) per iteration instead of copying an O(n) buffer).

Derivatives (design §5): JVP is a scan of the body's JVP, with a fixed point on which carries
have nonzero tangents. Unzip splits the loop into a known scan, which also emits the
per-iteration residuals as extra stacked ys (loop-invariant ones are hoisted out as consts),
and an unknown scan reading them. Transpose is a reverse scan of the transposed body, carrying
the carry cotangents plus accumulators for the consts' cotangents.

Batching (vmap): a scan of the batched body. Consts keep their batch axes; a batched x has its
batch axis just after the scanned one (so its slices are batched along axis 0); a carry that
is batched, or that the body makes batched, is batched along axis 0 from the start (a fixed
point, as for JVP tangents); batched ys come out batched along axis 1.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..ad.jvp import jvp_program
from ..ad.linearity import check_linear, linearity_rules
from ..ad.partial_eval import partial_eval_rules
from ..ad.rules import UndefinedPrimal, Zero, instantiate, jvp_rules, transpose_rules
from ..ad.transpose import backward_pass
from ..ad.unzip import unzip_program, unzip_rules
from ..batching.core import vmap_rules
from ..core.avals import ShapedArray
from ..core.eval import run_program
from ..core.ir import (
    Eqn,
    Literal,
    Program,
    ProgramTable,
    Var,
    dce,
    eqn_has_effect,
    is_zero_literal,
)
from ..core.primitive import Primitive
from ..core.staging import trace_to_program
from ..core.trace import full_raise
from .batched import fixed_point, vmap_program
from .call import call_p
from .control_common import check_same_types, split3, zeros
from .shape import batch_size, moveaxis, to_front

_derived = ProgramTable()

scan_p = Primitive("scan", multiple_results=True)
scan_p.subprograms = lambda params: [params["body"]]


def _sizes(body: Program, num_consts: int, num_carry: int) -> tuple[int, int]:
    """(number of xs, number of ys)."""
    return len(body.params) - num_consts - num_carry, len(body.outs) - num_carry


# ---------------------------------------------------------------- evaluation

@scan_p.def_impl
def _scan_impl(*args, body, num_consts, num_carry, length, reverse, donate):
    consts, carry, xs = split3(args, num_consts, num_carry)
    carry = [np.array(c, copy=True) if d and isinstance(c, np.ndarray) else c
             for c, d in zip(carry, donate)]
    ys = [np.empty((length,) + a.shape, a.dtype) for a in body.out_avals[num_carry:]]
    donated = None
    if any(donate):
        donated = (False,) * num_consts + tuple(donate) + (False,) * len(xs)
        literal_out = [isinstance(o, Literal) for o in body.outs[:num_carry]]
    for step in range(length):
        i = length - 1 - step if reverse else step
        args_i = consts + carry + [x[i] for x in xs]
        outs = run_program(body, args_i, donated)
        new = outs[:num_carry]
        if donated is not None:
            new = _keep_private(new, donate, literal_out, args_i, carry)
        for buf, y in zip(ys, outs[num_carry:]):
            buf[i] = y
        carry = new
    carry = [c if isinstance(c, (np.ndarray, np.generic)) else np.asarray(c, a.dtype)
             for c, a in zip(carry, body.in_avals[num_consts:num_consts + num_carry])]
    return carry + ys


def _keep_private(new: list, donate, literal_out, args_i: list, old: list) -> list:
    """A donated carry must be a buffer only the loop can see; copy it when the body handed
    back something shared (a literal, a const, an x slice, a view, another carry)."""
    own = {id(c) for c, d in zip(old, donate) if d}
    foreign = {id(a) for a in args_i} - own
    seen: set[int] = set()
    out = []
    for c, d, lit in zip(new, donate, literal_out):
        if d and isinstance(c, np.ndarray) and (
                lit or c.base is not None or not c.flags.writeable or id(c) in foreign
                or id(c) in seen):
            c = np.array(c, copy=True)
        if d:
            seen.add(id(c))
        out.append(c)
    return out


@scan_p.def_shape
def _scan_shape(*avals, body, num_consts, num_carry, length, reverse, donate):
    if len(avals) != len(body.params):
        raise TypeError(f"scan: the body takes {len(body.params)} inputs, got {len(avals)}")
    if len(donate) != num_carry:
        raise TypeError(f"scan: donate has {len(donate)} flags for {num_carry} carries")
    consts, carry, xs = split3(avals, num_consts, num_carry)
    p_consts, p_carry, p_xs = split3(body.in_avals, num_consts, num_carry)
    check_same_types("scan", p_consts, [a.strip_weak() for a in consts], "the body's consts",
                     "the consts passed")
    check_same_types("scan", p_carry, [a.strip_weak() for a in carry], "the body's carry",
                     "the initial carry")
    check_same_types("scan", p_carry, body.out_avals[:num_carry], "the carry input",
                     "the body's carry output")
    for x, p in zip(xs, p_xs):
        if x.shape != (length,) + p.shape or x.dtype != p.dtype:
            raise TypeError(f"scan: xs of type {x.str_short()} does not match length "
                            f"{length} and the body's x type {p.str_short()}")
    return list(p_carry) + [ShapedArray((length,) + a.shape, a.dtype)
                            for a in body.out_avals[num_carry:]]


# ---------------------------------------------------------------- forward mode

def _scan_jvp(primals, tangents, *, body, num_consts, num_carry, length, reverse, donate):
    _, ny = _sizes(body, num_consts, num_carry)
    nz = [not isinstance(t, Zero) for t in tangents]
    c_nz, car_nz, x_nz = split3(nz, num_consts, num_carry)
    car_nz = [n and a.is_float for n, a in zip(car_nz, body.in_avals[num_consts:])]
    while True:   # fixed point: which carries have a nonzero tangent
        jbody, out_nz = jvp_program(body, tuple(c_nz + car_nz + x_nz),
                                 tuple(car_nz + [False] * ny))
        new = [a or b for a, b in zip(car_nz, out_nz[:num_carry])]
        if new == car_nz:
            break
        car_nz = new
    y_nz = out_nz[num_carry:]
    sbody = _jvp_layout(body, jbody, num_consts, num_carry, c_nz, car_nz, x_nz)
    consts, init, xs = split3(primals, num_consts, num_carry)
    t_c, t_car, t_x = split3(tangents, num_consts, num_carry)
    t_car = [instantiate(t) for t, m in zip(t_car, car_nz) if m]
    outs = scan_p.bind(
        *consts, *[t for t, m in zip(t_c, c_nz) if m], *init, *t_car, *xs,
        *[t for t, m in zip(t_x, x_nz) if m], body=sbody, num_consts=num_consts + sum(c_nz),
        num_carry=num_carry + sum(car_nz), length=length, reverse=reverse,
        donate=tuple(donate) + tuple(d for d, m in zip(donate, car_nz) if m))
    n_tc = sum(car_nz)
    carry, t_carry = outs[:num_carry], iter(outs[num_carry:num_carry + n_tc])
    ys, t_ys = outs[num_carry + n_tc:num_carry + n_tc + ny], iter(outs[num_carry + n_tc + ny:])
    tc = [next(t_carry) if m else Zero(a) for m, a in
          zip(car_nz, body.in_avals[num_consts:num_consts + num_carry])]
    ty = [next(t_ys) if m else Zero(ShapedArray((length,) + a.shape, a.dtype))
          for m, a in zip(y_nz, body.out_avals[num_carry:])]
    return carry + ys, tc + ty


def _jvp_layout(body, jbody, nc, ncar, c_nz, car_nz, x_nz) -> Program:
    """Reorder ``(primals, tangents) -> (outs, touts)`` into a scan body:
    ``(consts, const_dots, carry, carry_dots, xs, x_dots) -> (carry, carry_dots, ys, y_dots)``."""
    key = ("scan_jvp_layout", tuple(c_nz), tuple(car_nz), tuple(x_nz))
    hit = _derived.get(body, key)
    if hit is not None:
        return hit
    n = len(body.params)
    p, t = jbody.params[:n], jbody.params[n:]
    pc, pcar, px = split3(p, nc, ncar)
    tc, tcar, tx = split3(t, sum(c_nz), sum(car_nz))
    no = len(body.outs)
    o, to = jbody.outs[:no], jbody.outs[no:]
    n_tc = sum(car_nz)
    prog = Program(pc + tc + pcar + tcar + px + tx,
                   jbody.eqns, o[:ncar] + to[:n_tc] + o[ncar:] + to[n_tc:], jbody.name)
    _derived.put(body, key, prog)
    return prog


# ---------------------------------------------------------------- partial evaluation

class _ScanSplit(NamedTuple):
    out_uk: list[bool]             # per output of the scan: unknown?
    hoist: Program | None          # known consts -> loop-invariant residuals
    hoist_ins: list[int]           # input positions feeding ``hoist``
    known: dict                    # params of the known scan
    known_ins: list[int]           # input positions feeding the known scan
    stacked: list[ShapedArray]     # avals of the stacked residuals (extra ys of known scan)
    unknown: dict | None           # params of the unknown scan (None: nothing unknown)
    unknown_ins: list[tuple]       # ("in", pos) | ("hoist", k) | ("res", k)


def _scan_partial(params: dict, in_uk: list[bool], policy) -> _ScanSplit:
    body, nc, ncar = params["body"], params["num_consts"], params["num_carry"]
    length, donate = params["length"], params["donate"]
    key = ("scan_partial", nc, ncar, tuple(in_uk), policy, length, params["reverse"], donate)
    hit = _derived.get(body, key)
    if hit is not None:
        return hit
    _, ny = _sizes(body, nc, ncar)
    c_uk, car_uk, x_uk = split3(in_uk, nc, ncar)
    while True:   # fixed point on which carries are unknown
        u = unzip_program(body, c_uk + car_uk + x_uk, instantiate=car_uk + [False] * ny,
                          policy=policy)
        new = [a or b for a, b in zip(car_uk, u.out_unknowns[:ncar])]
        if new == car_uk:
            break
        car_uk = new
    all_uk = c_uk + car_uk + x_uk
    K, U, nres = u.known, u.unknown, u.num_residuals
    n_kout = len(K.outs) - nres
    n_kc, n_kcar = nc - sum(c_uk), ncar - sum(car_uk)
    kin = [i for i, uk in enumerate(all_uk) if not uk]
    kpos = {id(v): j for j, v in enumerate(K.params)}
    invariant = {id(v) for v in K.params[:n_kc]}
    for e in K.eqns:
        if not eqn_has_effect(e) and all(not isinstance(x, Var) or id(x) in invariant
                                         for x in e.inputs):
            invariant.update(id(v) for v in e.outputs)

    kinds: list[tuple] = []
    hoisted: list[Var] = []
    stacked: list = []
    for r in K.outs[n_kout:]:
        j = kpos.get(id(r))
        if j is not None and (j < n_kc or j >= n_kc + n_kcar):
            kinds.append(("in", kin[j]))            # a known const or x: pass it straight on
        elif j is None and isinstance(r, Var) and id(r) in invariant:
            kinds.append(("hoist", len(hoisted)))
            hoisted.append(r)
        else:
            kinds.append(("res", len(stacked)))
            stacked.append(r)

    hoist = None
    if hoisted:
        inv_eqns = [e for e in K.eqns if e.outputs and all(id(v) in invariant
                                                             for v in e.outputs)]
        hoist = dce(Program(K.params[:n_kc], inv_eqns, hoisted, f"{body.name}_invariant"))
    kbody = dce(Program(K.params, K.eqns, K.outs[:n_kout] + stacked, f"{body.name}_known"))
    known = dict(body=kbody, num_consts=n_kc, num_carry=n_kcar, length=length,
                 reverse=params["reverse"],
                 donate=tuple(d for d, uk in zip(donate, car_uk) if not uk))
    stacked_avals = [ShapedArray((length,) + r.aval.shape, r.aval.dtype) for r in stacked]

    unknown, unknown_ins = None, []
    if any(u.out_unknowns):
        res_params = U.params[:nres]
        u_c, u_car, u_x = split3(U.params[nres:], sum(c_uk), sum(car_uk))
        is_const = [k[0] == "hoist" or (k[0] == "in" and k[1] < nc) for k in kinds]
        c_res = [(p, k) for p, k, c in zip(res_params, kinds, is_const) if c]
        x_res = [(p, k) for p, k, c in zip(res_params, kinds, is_const) if not c]
        ubody = Program([p for p, _ in c_res] + u_c + u_car + [p for p, _ in x_res] + u_x,
                        U.eqns, U.outs, f"{body.name}_unknown")
        pos_uk = [i for i, uk in enumerate(all_uk) if uk]
        pc, pcar, px = split3(pos_uk, sum(c_uk), sum(car_uk))
        unknown_ins = ([k for _, k in c_res] + [("in", i) for i in pc + pcar]
                       + [k for _, k in x_res] + [("in", i) for i in px])
        unknown = dict(body=ubody, num_consts=len(c_res) + len(u_c), num_carry=len(u_car),
                       length=length, reverse=params["reverse"],
                       donate=tuple(d for d, uk in zip(donate, car_uk) if uk))
    result = _ScanSplit(list(u.out_unknowns), hoist, kin[:n_kc], known, kin, stacked_avals,
                        unknown, unknown_ins)
    _derived.put(body, key, result)
    return result


def _scan_unzip(eqn: Eqn, unknowns: list[bool], policy):
    s = _scan_partial(eqn.params, unknowns, policy)
    ins = eqn.inputs
    known_eqns = []
    hoisted: list[Var] = []
    if s.hoist is not None:
        hoisted = [Var(a) for a in s.hoist.out_avals]
        known_eqns.append(Eqn(call_p, [ins[i] for i in s.hoist_ins], {"program": s.hoist},
                              hoisted, eqn.source))
    res = [Var(a) for a in s.stacked]
    kouts = [v for v, uk in zip(eqn.outputs, s.out_uk) if not uk]
    known_eqns.append(Eqn(scan_p, [ins[i] for i in s.known_ins], s.known, kouts + res,
                          eqn.source))
    unknown_eqns = []
    if s.unknown is not None:
        src = {"in": ins, "hoist": hoisted, "res": res}
        u_ins = [src[kind][k] for kind, k in s.unknown_ins]
        uouts = [v for v, uk in zip(eqn.outputs, s.out_uk) if uk]
        unknown_eqns.append(Eqn(scan_p, u_ins, s.unknown, uouts, eqn.source))
    return known_eqns, unknown_eqns, s.out_uk


def _scan_pe_trace(trace, tracers, params):
    s = _scan_partial(params, [t.atom is not None for t in tracers], None)
    hoisted = (call_p.bind(*[tracers[i].known for i in s.hoist_ins], program=s.hoist)
               if s.hoist is not None else [])
    kouts = (scan_p.bind(*[tracers[i].known for i in s.known_ins], **s.known)
             if s.known["body"].outs else [])
    n_k = len(kouts) - len(s.stacked)
    src = {"in": tracers, "hoist": [trace.pure(h) for h in hoisted],
           "res": [trace.pure(r) for r in kouts[n_k:]]}
    uouts = iter(trace.stage(scan_p, [src[kind][k] for kind, k in s.unknown_ins], s.unknown)
                 if s.unknown is not None else [])
    kit = iter(kouts[:n_k])
    return [next(uouts) if uk else full_raise(trace, next(kit)) for uk in s.out_uk]


# ---------------------------------------------------------------- transpose

def _transpose_body(body: Program, nc: int, ncar: int, const_lin: tuple, xs_lin: tuple,
                    ys_nz: tuple) -> Program:
    """``(res consts, accumulators, carry cts, res xs, y cts) -> (accumulators, carry cts,
    x cts)``: one backward step. Each accumulator is seeded into the body's backward pass, so
    its contributions (index adjoints included) are added into the carried buffer."""
    key = ("scan_transpose", nc, ncar, const_lin, xs_lin, ys_nz)
    hit = _derived.get(body, key)
    if hit is not None:
        return hit
    cp, carp, xp = split3(body.params, nc, ncar)
    y_avals = body.out_avals[ncar:]
    lin_pos = [i for i, m in enumerate(const_lin) if m]
    groups = [[p.aval for p, m in zip(cp, const_lin) if not m],
              [p.aval for p, m in zip(cp, const_lin) if m],
              [p.aval for p in carp],
              [p.aval for p, m in zip(xp, xs_lin) if not m],
              [a for a, m in zip(y_avals, ys_nz) if m]]

    def fn(*args):
        it = iter(args)
        res_c, acc, ct_car, res_x, ct_y = [[next(it) for _ in g] for g in groups]
        rc, rx, cy = iter(res_c), iter(res_x), iter(ct_y)
        full = ([UndefinedPrimal(p.aval) if m else next(rc) for p, m in zip(cp, const_lin)]
                + [UndefinedPrimal(p.aval) for p in carp]
                + [UndefinedPrimal(p.aval) if m else next(rx) for p, m in zip(xp, xs_lin)])
        cts_out = ct_car + [next(cy) if m else Zero(a) for a, m in zip(y_avals, ys_nz)]
        cts = backward_pass(body, full, cts_out, initial_cts=dict(zip(lin_pos, acc)))
        return [instantiate(c) for c in cts]

    prog, consts = trace_to_program(fn, [a for g in groups for a in g],
                                    name=f"transpose_{body.name}")
    assert not consts
    _derived.put(body, key, prog)
    return prog


def _scan_transpose(cts, *args, body, num_consts, num_carry, length, reverse, donate):
    consts, init, xs = split3(args, num_consts, num_carry)
    ct_carry, ct_ys = list(cts[:num_carry]), list(cts[num_carry:])
    const_lin = tuple(isinstance(a, UndefinedPrimal) for a in consts)
    xs_lin = tuple(isinstance(a, UndefinedPrimal) for a in xs)
    ys_nz = tuple(not isinstance(c, Zero) for c in ct_ys)
    tbody = _transpose_body(body, num_consts, num_carry, const_lin, xs_lin, ys_nz)
    n_acc = sum(const_lin)
    res_c = [a for a, m in zip(consts, const_lin) if not m]
    outs = scan_p.bind(
        *res_c, *[zeros(a.aval) for a, m in zip(consts, const_lin) if m],
        *[instantiate(c) for c in ct_carry], *[a for a, m in zip(xs, xs_lin) if not m],
        *[c for c, m in zip(ct_ys, ys_nz) if m], body=tbody, num_consts=len(res_c),
        num_carry=n_acc + num_carry, length=length, reverse=not reverse,
        donate=(True,) * (n_acc + num_carry))
    ct_c, ct_init, ct_x = split3(outs, n_acc, num_carry)
    ic, ix = iter(ct_c), iter(ct_x)
    return ([next(ic) if m else None for m in const_lin]
            + [c if isinstance(a, UndefinedPrimal) else None for a, c in zip(init, ct_init)]
            + [next(ix) if m else None for m in xs_lin])


def _scan_check_linear(eqn: Eqn, flags: list[bool]) -> list[bool]:
    p = eqn.params
    c, car, x = split3(flags, p["num_consts"], p["num_carry"])
    # a carry starting from a literal zero (an instantiated zero tangent) is linear too
    inits = eqn.inputs[p["num_consts"]:p["num_consts"] + p["num_carry"]]
    car = [f or is_zero_literal(v) for f, v in zip(car, inits)]
    while True:
        out = check_linear(p["body"], c + car + x)
        new = [a or b for a, b in zip(car, out[:p["num_carry"]])]
        if new == car:
            return out
        car = new


# ---------------------------------------------------------------- batching

def _scan_batch(args, dims, *, body, num_consts, num_carry, length, reverse, donate):
    size = batch_size(args, dims)
    consts, init, xs = split3(args, num_consts, num_carry)
    c_d, car_d, x_d = split3(dims, num_consts, num_carry)
    xs = [moveaxis(x, d, 1) if d == 0 else x for x, d in zip(xs, x_d)]
    body_x_d = tuple(None if d is None else max(d - 1, 0) for d in x_d)
    ny = _sizes(body, num_consts, num_carry)[1]

    def batched_body(car_b):
        in_d = tuple(c_d) + tuple(0 if b else None for b in car_b) + body_x_d
        return vmap_program(body, in_d, size, tuple(car_b) + (False,) * ny)

    car_b = fixed_point(lambda cb: batched_body(cb)[1][:num_carry],
                        tuple(d is not None for d in car_d))
    bbody, out_b = batched_body(car_b)
    init = [to_front(c, d, size) if b else c for c, d, b in zip(init, car_d, car_b)]
    outs = scan_p.bind(*consts, *init, *xs, body=bbody, num_consts=num_consts,
                       num_carry=num_carry, length=length, reverse=reverse, donate=donate)
    return outs, ([0 if b else None for b in car_b]
                  + [1 if b else None for b in out_b[num_carry:]])


jvp_rules[scan_p] = _scan_jvp
unzip_rules[scan_p] = _scan_unzip
partial_eval_rules[scan_p] = _scan_pe_trace
transpose_rules[scan_p] = _scan_transpose
linearity_rules[scan_p] = _scan_check_linear
vmap_rules[scan_p] = _scan_batch
