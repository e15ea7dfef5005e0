"""``linearize`` under staging, one template per rule signature (see ``memo``).

A JVP rule applied to staged primals and unknown tangents stages primal equations into the
outer program and linear equations into the linear program. Its template is that pair,
traced once: ``fwd: primals -> (primal outputs, residuals)`` and
``lin: (residuals, tangents) -> tangent outputs``.
"""

from __future__ import annotations

from functools import partial

from ..core.ir import Literal
from ..core.staging import ProgramBuilder, Replay, params_key
from ..core.trace import full_raise, get_aval, new_main, source_line
from .jvp import JVPTrace, JVPTracer, jvp_flat
from .memo import (
    NO,
    TemplateCache,
    add_input,
    is_template_input,
    stage_template,
    wrap_outputs,
)
from .partial_eval import PETrace, PETracer
from .rules import Zero

_templates = TemplateCache()


class _Template:
    __slots__ = ("fwd", "lin", "n_out", "out_mask", "out_avals")


def _bind(prim, params, *args):
    out = prim.bind(*args, **params)
    return out if prim.multiple_results else [out]


def _signature(prim, params, tracers, pe_main):
    """(staging trace, key, template input atoms), or None where the rule must run."""
    pkey = params_key(params)
    if pkey is None:
        return None
    ts = None
    spec: list = []
    atoms: list = []
    for t in tracers:
        ts = add_input(t.primal, ts, spec, atoms)
        if ts is NO:
            return None
        tan = t.tangent
        if tan.__class__ is Zero:
            spec.append(False)
        elif tan.__class__ is PETracer and tan.atom is not None and tan._trace.main is pe_main:
            spec.append(True)
        else:
            return None
    if ts is None or ts.main.level >= pe_main.level or True not in spec[1::2]:
        return None
    return ts, (prim, pkey, tuple(spec)), atoms



def _record(prim, params, tracers) -> _Template:
    primals = [t.primal for t in tracers]
    nonzero = [t.tangent.__class__ is not Zero for t in tracers]
    tmpl = _Template()

    def fn(*inputs):
        it = iter(inputs)
        args = [next(it) if is_template_input(p) else p for p in primals]
        builder = ProgramBuilder()
        with new_main(PETrace, builder) as main:
            pe = PETrace(main)
            tangents = [pe.new_unknown(get_aval(a).strip_weak()) if nz
                        else Zero(get_aval(a).strip_weak()) for a, nz in zip(args, nonzero)]
            outs, touts = jvp_flat(partial(_bind, prim, params), args, tangents)
            tmpl.out_mask = [t.__class__ is not Zero for t in touts]
            tmpl.out_avals = [get_aval(o).strip_weak() for o in outs]
            out_atoms = [pe.atom_of(full_raise(pe, t)) for t in touts if t.__class__ is not Zero]
        lin, residuals = builder.build([t.atom for t in tangents if t.__class__ is not Zero],
                                       out_atoms, name=f"lin_{prim.name}")
        tmpl.lin = Replay(lin)
        tmpl.n_out = len(outs)
        return list(outs) + list(residuals)

    avals = [get_aval(p).strip_weak() for p in primals if is_template_input(p)]
    tmpl.fwd = stage_template(fn, avals, f"fwd_{prim.name}")
    return tmpl


class MemoJVPTrace(JVPTrace):
    """The JVP trace of ``linearize``: rules applied to staged primals are replayed from
    templates; anything else runs the rule (``main.data`` is the partial-evaluation trace)."""

    __slots__ = ()

    def process_primitive(self, prim, tracers, params):
        if not (prim.has_effect or prim.higher_order):
            pe = self.main.data
            sig = _signature(prim, params, tracers, pe.main)
            if sig is not None:
                ts, key, atoms = sig
                tmpl = _templates.get(key, _record, prim, params, tracers)
                if tmpl is not None:
                    return self._replay(tmpl, ts, pe, atoms, tracers)
        return JVPTrace.process_primitive(self, prim, tracers, params)

    def _replay(self, tmpl: _Template, ts, pe, atoms, tracers) -> list:
        source = source_line()
        fwd = ts.builder.inline(tmpl.fwd, atoms, source)
        n = tmpl.n_out
        lin_in = [a if a.__class__ is Literal else pe.builder.const_atom(ts, a)
                  for a in fwd[n:]]
        lin_in += [t.tangent.atom for t in tracers if t.tangent.__class__ is not Zero]
        lin_out = iter(pe.builder.inline(tmpl.lin, lin_in, source))
        outs = []
        for p, nz, aval in zip(wrap_outputs(ts, fwd[:n]), tmpl.out_mask, tmpl.out_avals):
            if nz:
                a = next(lin_out)
                tan = pe.pure(a.val) if a.__class__ is Literal else PETracer(pe, None, a)
            else:
                tan = Zero(aval)
            outs.append(JVPTracer(self, p, tan))
        return outs
