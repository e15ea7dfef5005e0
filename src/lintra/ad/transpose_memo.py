"""Transposing a linear equation under staging, one template per rule signature (``memo``).

The template of an equation is ``(non-linear inputs, output cotangents) -> cotangents of its
linear inputs``, traced once by running the primitive's transpose rule on staged values.
"""

from __future__ import annotations

from ..core.ir import Eqn
from ..core.staging import StagingTracer, params_key
from ..core.trace import call_with_source, get_aval
from .memo import (
    NO,
    NotMemoizable,
    TemplateCache,
    add_input,
    is_template_input,
    stage_template,
    wrap_outputs,
)
from .rules import UndefinedPrimal, Zero, transpose_rules

_templates = TemplateCache()


class _Template:
    __slots__ = ("program", "out_mask")


def _signature(eqn: Eqn, invals: list, cts: list):
    """(staging trace, key, template input atoms), or None where the rule must run."""
    pkey = params_key(eqn.params)
    if pkey is None:
        return None
    ts = None
    spec: list = []
    atoms: list = []
    for v in invals + cts:
        c = v.__class__
        if c is UndefinedPrimal:
            spec.append(("linear", v.aval.shape, v.aval.dtype))
        elif c is Zero:
            spec.append(("zero", v.aval.shape, v.aval.dtype))
        else:
            ts = add_input(v, ts, spec, atoms)
            if ts is NO:
                return None
    if ts is None:
        return None
    return ts, (eqn.prim, pkey, tuple(spec)), atoms



def _record(eqn: Eqn, invals: list, cts: list) -> _Template:
    rule = transpose_rules[eqn.prim]
    n = len(invals)
    tmpl = _Template()

    def fn(*inputs):
        it = iter(inputs)
        vals = [next(it) if is_template_input(v) else v for v in invals + cts]
        ct = vals[n:] if eqn.prim.multiple_results else vals[n]
        cts_in = rule(ct, *vals[:n], **eqn.params)
        outs, mask = [], []
        for x, c in zip(invals, cts_in):
            linear = x.__class__ is UndefinedPrimal
            if linear and c is not None and c.__class__ is not Zero:
                if not isinstance(c, StagingTracer):
                    raise NotMemoizable         # a sparse cotangent, a concrete value
                outs.append(c)
            mask.append(linear and c is not None and c.__class__ is not Zero)
        tmpl.out_mask = mask
        return outs

    avals = [get_aval(v).strip_weak() for v in invals + cts if is_template_input(v)]
    tmpl.program = stage_template(fn, avals, f"transpose_{eqn.prim.name}")
    return tmpl


def transpose_memoized(eqn: Eqn, invals: list, cts: list) -> list | None:
    """The cotangents of ``eqn``'s inputs (None for non-linear ones), replayed from a
    template; None where the rule must run instead."""
    prim = eqn.prim
    if prim.has_effect or prim.higher_order or prim not in transpose_rules:
        return None
    sig = _signature(eqn, invals, cts)
    if sig is None:
        return None
    ts, key, atoms = sig
    tmpl = _templates.get(key, call_with_source, eqn.source, _record, eqn, invals, cts)
    if tmpl is None:
        return None
    outs = iter(wrap_outputs(ts, ts.builder.inline(tmpl.program, atoms, eqn.source)))
    return [next(outs) if m else None for m in tmpl.out_mask]

