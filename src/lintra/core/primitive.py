"""Primitives: one object per operation, carrying all its rules.

A primitive has an ``impl`` (NumPy), a shape/dtype rule, a JVP rule, and, when it is linear, a
transpose rule. Higher-order primitives (call, cond, scan, ...) also carry sub-programs and an
unzip rule. Rules are written with lintra's own operations, so they are differentiable again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .avals import ShapedArray
from .errors import MissingRuleError
from .trace import Zero, bind, get_aval

registry: dict[str, Primitive] = {}


class Primitive:
    multiple_results = False

    def __init__(self, name: str, multiple_results: bool = False):
        if name in registry:
            raise ValueError(f"primitive {name!r} is already registered")
        self.name = name
        self.multiple_results = multiple_results
        self.impl: Callable | None = None
        self.shape_rule: Callable | None = None
        self.jvp: Callable | None = None
        self.transpose: Callable | None = None
        # linear_in(params, n_inputs) -> positions that must be linear when the eqn is linear;
        # None for non-linear primitives. 'one_of' positions: exactly one linear (mul, dot).
        self.linear_in: Callable[[dict, int], tuple] | None = None
        self.linear_one_of = False
        self.unzip: Callable | None = None        # program-level partial evaluation
        self.pe_trace_rule: Callable | None = None  # fused partial evaluation (linearize)
        self.subprograms: Callable[[dict], list] = lambda params: []
        self.has_effect = False
        registry[name] = self

    def __repr__(self) -> str:
        return self.name

    def bind(self, *args, **params):
        return bind(self, *args, **params)

    def abstract_eval(self, *avals: ShapedArray, **params) -> list[ShapedArray]:
        if self.shape_rule is None:
            raise MissingRuleError(f"primitive `{self.name}` has no shape rule")
        out = self.shape_rule(*avals, **params)
        return list(out) if self.multiple_results else [out]

    @property
    def is_linear(self) -> bool:
        return self.linear_in is not None

    # -- registration helpers, used right next to each primitive's definition

    def def_impl(self, fn: Callable) -> Callable:
        self.impl = fn
        return fn

    def def_shape(self, fn: Callable) -> Callable:
        self.shape_rule = fn
        return fn

    def def_jvp(self, fn: Callable) -> Callable:
        self.jvp = fn
        return fn

    def def_transpose(self, fn: Callable) -> Callable:
        self.transpose = fn
        return fn


def defjvp(prim: Primitive, *rules: Callable | None) -> None:
    """JVP as a sum over inputs: ``rules[i](t_i, *primals, **params)`` is the contribution of
    input i's tangent (skipped when that tangent is a symbolic zero; ``None``: no tangent)."""
    from ..ops import base

    def jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        out_aval = get_aval(out)
        acc: Any = Zero(out_aval.strip_weak())
        for rule, t in zip(rules, tangents):
            if rule is None or isinstance(t, Zero):
                continue
            acc = base.add_tangents(acc, rule(t, *primals, **params), out_aval.shape)
        return out, acc

    prim.jvp = jvp


def deflinear(prim: Primitive, transpose: Callable, linear_in: Callable | None = None) -> None:
    """A primitive linear in all its array inputs: its JVP is itself applied to the tangents."""
    from ..core.trace import instantiate

    def jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if all(isinstance(t, Zero) for t in tangents):
            return out, Zero(get_aval(out).strip_weak())
        return out, prim.bind(*[instantiate(t) for t in tangents], **params)

    prim.jvp = jvp
    prim.transpose = transpose
    prim.linear_in = linear_in or (lambda params, n: tuple(range(n)))


def defzero_jvp(prim: Primitive) -> None:
    """Outputs with no tangent (integer/bool results, piecewise-constant functions)."""

    def jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if prim.multiple_results:
            return out, [Zero(get_aval(o).strip_weak()) for o in out]
        return out, Zero(get_aval(out).strip_weak())

    prim.jvp = jvp
