"""``linearize``: JVP fused with partial evaluation.

Primals are *known* (computed now, or staged into an outer program under ``jit``); tangents
are *unknown*, so every equation that touches a tangent is recorded into the linear program.
The known values a linear equation reads are its **residuals**: they become the linear
program's first inputs. Run on concrete values, this is eager reverse mode's forward pass
(design §6): the linear program is the tape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core import config
from ..core.eval import eval_program
from ..core.ir import Program, typecheck
from ..core.staging import ProgramBuilder, StagingTracer, trace_to_program
from ..core.trace import full_raise, get_aval, new_main, trace_stack
from .jvp import jvp_flat
from .linearize_memo import MemoJVPTrace
from .partial_eval import PETrace
from .rules import UndefinedPrimal, Zero
from .transpose import backward_pass


class LinearFunction:
    """A linear map, as a linear program closed over its residuals.

    ``in_avals``/``out_avals`` are all inputs/outputs; inputs with no tangent space (integers)
    and outputs whose tangent is a symbolic zero are not in the program (masks say which).
    """

    def __init__(self, program: Program, residuals: list, in_avals: list, in_mask: list[bool],
                 out_avals: list, out_mask: list[bool]):
        self.program = program
        self.residuals = residuals
        self.in_avals = in_avals
        self.in_mask = in_mask
        self.out_avals = out_avals
        self.out_mask = out_mask

    def __call__(self, *tangents) -> list:
        args = [t for t, m in zip(tangents, self.in_mask) if m]
        outs = iter(eval_program(self.program, list(self.residuals) + args))
        return [next(outs) if m else Zero(a) for a, m in zip(self.out_avals, self.out_mask)]

    def transpose(self, cotangents: list) -> list:
        """Cotangents of the outputs -> cotangents of the inputs (symbolic zeros kept)."""
        cts = [c for c, m in zip(cotangents, self.out_mask) if m]
        lin_avals = [a for a, m in zip(self.in_avals, self.in_mask) if m]
        args = list(self.residuals) + [UndefinedPrimal(a) for a in lin_avals]
        cts_in = iter(backward_pass(self.program, args, cts))
        return [next(cts_in) if m else Zero(a) for a, m in zip(self.in_avals, self.in_mask)]


# Rewrites of a function's program, staged before it is differentiated under ``jit`` (by
# ``linearize_flat`` and ``api.jvp``); each maps a Program to one computing the same values:
# ``ops/reroll`` rolls unrolled Python loops back into loops, so their derivatives are loops.
staged_rewrites: list[Callable[[Program], Program]] = []


def staged_first(fn: Callable, primals: list) -> Callable:
    """Under ``jit`` (every primal staged by the top trace), ``fn`` staged into a program,
    rewritten, and replayed: the rewrites see the whole function before its derivative is
    taken. Elsewhere ``fn`` itself (concrete primals may steer Python control flow)."""
    if not (config.reroll_loops and staged_rewrites and primals):
        return fn
    top = trace_stack()[-1]
    for p in primals:
        if (p.__class__ is not StagingTracer or p._trace.main is not top
                or p.aval.weak_type or p.aval.is_function):
            return fn
    program, consts = trace_to_program(fn, [p.aval for p in primals],
                                       getattr(fn, "__name__", "f"))
    for rewrite in staged_rewrites:
        program = rewrite(program)
    return lambda *args: eval_program(program, [*consts, *args])


def linearize_flat(fn: Callable, primals: list) -> tuple[list, LinearFunction]:
    fn = staged_first(fn, primals)
    builder = ProgramBuilder()
    with new_main(PETrace, builder) as main:
        trace = PETrace(main)
        in_avals = [get_aval(p).strip_weak() for p in primals]
        in_mask = [a.is_float for a in in_avals]
        tangents: list[Any] = [trace.new_unknown(a) if m else Zero(a)
                               for a, m in zip(in_avals, in_mask)]
        in_vars = [t.atom for t in tangents if not isinstance(t, Zero)]
        primals_out, tangents_out = jvp_flat(fn, primals, tangents, MemoJVPTrace, trace)
        out_avals = [get_aval(p).strip_weak() for p in primals_out]
        out_mask = [not isinstance(t, Zero) for t in tangents_out]
        out_atoms = [trace.atom_of(full_raise(trace, t)) for t in tangents_out
                     if not isinstance(t, Zero)]
    program, residuals = builder.build(in_vars, out_atoms, name="linear")
    if config.check_programs:
        typecheck(program)
    return primals_out, LinearFunction(program, residuals, in_avals, in_mask, out_avals,
                                       out_mask)
