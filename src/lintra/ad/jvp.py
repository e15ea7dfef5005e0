"""Forward mode: run each primitive's JVP rule on (primal, tangent) pairs."""

from __future__ import annotations

from collections.abc import Callable

from ..core.avals import ShapedArray
from ..core.errors import MissingRuleError
from ..core.eval import eval_program
from ..core.ir import Program, ProgramTable
from ..core.staging import trace_to_program
from ..core.trace import Trace, Tracer, full_raise, get_aval, new_main
from .rules import Zero, jvp_rules, zeros_value


class JVPTracer(Tracer):
    __slots__ = ("primal", "tangent")

    def __init__(self, trace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def aval(self) -> ShapedArray:
        return get_aval(self.primal)


class JVPTrace(Trace):
    __slots__ = ()
    transformation = "forward mode (jvp / jacfwd)"

    def pure(self, val):
        return JVPTracer(self, val, Zero(get_aval(val).strip_weak()))

    lift = pure

    def concrete(self, tracer):
        p = tracer.primal
        return p._trace.concrete(p) if isinstance(p, Tracer) else p

    def process_primitive(self, prim, tracers, params):
        primals = [t.primal for t in tracers]
        tangents = [t.tangent for t in tracers]
        if all(isinstance(t, Zero) for t in tangents):
            out = prim.bind(*primals, **params)
            outs = out if prim.multiple_results else [out]
            return [JVPTracer(self, o, Zero(get_aval(o).strip_weak())) for o in outs]
        rule = jvp_rules.get(prim)
        if rule is None:
            raise MissingRuleError(f"primitive `{prim.name}` has no JVP rule, so it cannot be "
                                   "differentiated")
        primal_out, tangent_out = rule(primals, tangents, **params)
        if not prim.multiple_results:
            primal_out, tangent_out = [primal_out], [tangent_out]
        outs = []
        for p, t in zip(primal_out, tangent_out):
            aval = get_aval(p)
            if not aval.is_float:
                t = Zero(aval.strip_weak())
            outs.append(JVPTracer(self, p, t))
        return outs


def jvp_flat(fn: Callable, primals: list, tangents: list, trace_type: type | None = None,
             data=None) -> tuple[list, list]:
    """``fn(*flat) -> flat``; tangents may hold ``Zero``. Returns (primals_out, tangents_out)
    with symbolic zeros kept. ``trace_type``: a JVPTrace subclass (``main.data`` = data)."""
    trace_type = trace_type or JVPTrace
    with new_main(trace_type, data) as main:
        trace = trace_type(main)
        tracers_in = [JVPTracer(trace, p, t) for p, t in zip(primals, tangents)]
        outs = fn(*tracers_in)
        tracers_out = [full_raise(trace, o) for o in outs]
        return [t.primal for t in tracers_out], [t.tangent for t in tracers_out]


_jvp_programs = ProgramTable()


def jvp_program(program: Program, nonzero: tuple[bool, ...],
                instantiate: tuple[bool, ...] | None = None) -> tuple[Program, list[bool]]:
    """The program ``(primals, nonzero tangents) -> (primals_out, nonzero tangents_out)``,
    memoized per program. Also returns which outputs have a nonzero tangent; float outputs
    with ``instantiate[i]`` always get one (a loop body's carries must keep their layout)."""
    key = (nonzero, instantiate)
    hit = _jvp_programs.get(program, key)
    if hit is not None:
        return hit
    n = len(program.params)
    out_nonzero: list[bool] = []

    def fn(*args):
        primals, tans = list(args[:n]), list(args[n:])
        it = iter(tans)
        tangents = [next(it) if nz else Zero(v.aval) for nz, v in zip(nonzero, program.params)]
        outs, touts = jvp_flat(lambda *a: eval_program(program, a), primals, tangents)
        if instantiate is not None:
            touts = [zeros_value(t.aval) if isinstance(t, Zero) and inst and t.aval.is_float
                     else t for t, inst in zip(touts, instantiate)]
        out_nonzero[:] = [not isinstance(t, Zero) for t in touts]
        return list(outs) + [t for t in touts if not isinstance(t, Zero)]

    in_avals = program.in_avals + [v.aval for nz, v in zip(nonzero, program.params) if nz]
    prog, consts = trace_to_program(fn, in_avals, name=f"jvp_{program.name}")
    assert not consts, "jvp_program: the program is closed, so its derivative must be"
    return _jvp_programs.put(program, key, (prog, list(out_nonzero)))
