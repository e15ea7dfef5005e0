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

import numpy as np

from ..core import config
from ..core.avals import ShapedArray, concrete_aval, is_python_scalar
from ..core.eval import eval_program
from ..core.ir import Eqn, Literal, Program, Var, typecheck
from ..core.primitive import Primitive
from ..core.staging import ProgramBuilder
from ..core.trace import Trace, Tracer, full_raise, get_aval, new_main, source_line
from .jvp import jvp_flat
from .rules import UndefinedPrimal, Zero
from .transpose import backward_pass

# partial_eval_rules[p](trace, tracers, params) -> out tracers: how an equation of p with
# some unknown inputs is split between computing now and staging (higher-order primitives
# split their sub-programs; the default stages the whole equation)
partial_eval_rules: dict[Primitive, Callable] = {}


class PETracer(Tracer):
    """Known (``atom is None``: ``known`` holds the value) or unknown (``atom`` is its Var)."""

    __slots__ = ("known", "atom")

    def __init__(self, trace, known, atom):
        self._trace = trace
        self.known = known
        self.atom = atom

    @property
    def aval(self) -> ShapedArray:
        return get_aval(self.known) if self.atom is None else self.atom.aval

    def full_lower(self):
        return self.known if self.atom is None else self


class PETrace(Trace):
    __slots__ = ()
    transformation = "linearization (linearize / grad under jit)"

    @property
    def builder(self) -> ProgramBuilder:
        return self.main.data

    def pure(self, val):
        return PETracer(self, val, None)

    lift = pure

    def concrete(self, tracer):
        if tracer.atom is None:
            k = tracer.known
            return k._trace.concrete(k) if isinstance(k, Tracer) else k
        return super().concrete(tracer)

    def atom_of(self, t: PETracer):
        if t.atom is not None:
            return t.atom
        k = t.known
        if is_python_scalar(k):
            return Literal(k, concrete_aval(k))
        if isinstance(k, (np.ndarray, np.generic)) and not k.any():
            return Literal(k)                   # an instantiated zero: keep it visible
        return self.builder.const_var(k)        # a residual

    def new_unknown(self, aval: ShapedArray) -> PETracer:
        return PETracer(self, None, Var(aval))

    def stage(self, prim, tracers, params) -> list[PETracer]:
        out_avals = prim.abstract_eval(*[t.aval for t in tracers], **params)
        outs = [Var(a.strip_weak()) for a in out_avals]
        self.builder.eqns.append(Eqn(prim, [self.atom_of(t) for t in tracers], params, outs,
                                     source_line()))
        return [PETracer(self, None, v) for v in outs]

    def process_primitive(self, prim, tracers, params):
        for t in tracers:
            if t.atom is not None:
                break
        else:                                       # all known: compute now
            out = prim.bind(*[t.known for t in tracers], **params)
            return [self.pure(o) for o in (out if prim.multiple_results else [out])]
        rule = partial_eval_rules.get(prim)
        if rule is not None:
            return rule(self, tracers, params)
        return self.stage(prim, tracers, params)


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


def linearize_flat(fn: Callable, primals: list) -> tuple[list, LinearFunction]:
    builder = ProgramBuilder()
    with new_main(PETrace, builder) as main:
        trace = PETrace(main)
        in_avals = [get_aval(p).strip_weak() for p in primals]
        in_mask = [a.is_float for a in in_avals]
        tangents: list[Any] = [trace.new_unknown(a) if m else Zero(a)
                               for a, m in zip(in_avals, in_mask)]
        in_vars = [t.atom for t in tangents if not isinstance(t, Zero)]
        primals_out, tangents_out = jvp_flat(fn, primals, tangents)
        out_avals = [get_aval(p).strip_weak() for p in primals_out]
        out_mask = [not isinstance(t, Zero) for t in tangents_out]
        out_atoms = [trace.atom_of(full_raise(trace, t)) for t in tangents_out
                     if not isinstance(t, Zero)]
    program, residuals = builder.build(in_vars, out_atoms, name="linear")
    if config.check_programs:
        typecheck(program)
    return primals_out, LinearFunction(program, residuals, in_avals, in_mask, out_avals,
                                       out_mask)
