"""The batching transformation: values carry a batch axis, primitives apply to whole batches.

A ``BatchTracer`` is a value plus the position of its batch axis (``bdim``, or ``None`` when
the value is the same for every batch element). ``vmap_rules[p](args, dims, **params)``
returns ``(outs, out_dims)`` for primitive ``p`` (a list of each for multiple results); rules
move a batch axis only where the primitive needs it somewhere particular. The rules live in
``ops`` beside each primitive (they need the shape primitives); this module knows none.
"""

from __future__ import annotations

from collections.abc import Callable

from ..core.avals import ShapedArray
from ..core.errors import MissingRuleError
from ..core.primitive import Primitive
from ..core.trace import Trace, Tracer, full_raise, get_aval, new_main

# vmap_rules[p](args, dims, **params) -> (out, out_dim) or (outs, out_dims)
vmap_rules: dict[Primitive, Callable] = {}


class BatchTracer(Tracer):
    __slots__ = ("val", "bdim")

    def __init__(self, trace, val, bdim: int | None):
        self._trace = trace
        self.val = val
        self.bdim = bdim

    @property
    def aval(self) -> ShapedArray:
        a = get_aval(self.val)
        if self.bdim is None:
            return a
        shape = a.shape[:self.bdim] + a.shape[self.bdim + 1:]
        return ShapedArray(shape, a.dtype, a.weak_type)

    def full_lower(self):
        return self.val if self.bdim is None else self


class BatchTrace(Trace):
    __slots__ = ()
    transformation = "batching (vmap)"
    unknown_because = (
        "It is a batched value: one per element of a vmapped axis, and each element may "
        "decide differently. Use `lintra.numpy.where` (or `lintra.cond`, which under vmap "
        "evaluates both branches and selects) instead of Python `if`/`while`.")

    @property
    def axis_size(self) -> int:
        return self.main.data

    def pure(self, val):
        return BatchTracer(self, val, None)

    lift = pure

    def concrete(self, tracer):
        if tracer.bdim is None:
            v = tracer.val
            return v._trace.concrete(v) if isinstance(v, Tracer) else v
        return super().concrete(tracer)

    def process_primitive(self, prim, tracers, params):
        vals = [t.val for t in tracers]
        dims = [t.bdim for t in tracers]
        if all(d is None for d in dims):
            out = prim.bind(*vals, **params)
            outs = out if prim.multiple_results else [out]
            return [BatchTracer(self, o, None) for o in outs]
        rule = vmap_rules.get(prim)
        if rule is None:
            raise MissingRuleError(f"primitive `{prim.name}` has no batching (vmap) rule")
        out, out_dim = rule(vals, dims, **params)
        if prim.multiple_results:
            return [BatchTracer(self, o, d) for o, d in zip(out, out_dim)]
        return [BatchTracer(self, out, out_dim)]


def batch_flat(fn: Callable, args: list, dims: list, axis_size: int) -> tuple[list, list]:
    """Run ``fn(*flat) -> flat`` on batched ``args`` (``dims[i]``: the batch axis of args[i],
    or None). Returns the outputs' values and batch axes (None: not batched)."""
    with new_main(BatchTrace, axis_size) as main:
        trace = BatchTrace(main)
        ins = [BatchTracer(trace, a, d) for a, d in zip(args, dims)]
        outs = fn(*ins)
        outs = [full_raise(trace, o) for o in outs]
        return [o.val for o in outs], [o.bdim for o in outs]


def vectorized(prim: Primitive) -> Callable:
    """The batching rule of a primitive of one array operand that acts on each element alone
    (its parameters do not depend on the shape): applied as it is, batch axis in place."""
    def rule(args, dims, **params):
        return prim.bind(*args, **params), dims[0]
    return rule
