"""Partial evaluation: known values are computed now, unknown ones staged.

``linearize`` runs JVP over this trace: primals are known, tangents unknown, so every
equation touching a tangent is recorded into the linear program and the known values it
reads become residuals (the linear program's first inputs).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core.avals import ShapedArray, concrete_aval, is_python_scalar
from ..core.ir import Eqn, Literal, Var
from ..core.primitive import Primitive
from ..core.staging import ProgramBuilder
from ..core.trace import Trace, Tracer, get_aval, source_line

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
