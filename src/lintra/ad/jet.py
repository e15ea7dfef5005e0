"""Taylor mode (``jet``): propagate truncated Taylor series through a program.

Nested ``jvp`` computes the k-th derivative along one direction with 2ᵏ work (each level
differentiates the whole previous level); a jet carries the K Taylor coefficients of every
value at once and costs O(K²) per primitive. Coefficients are kept *normalized*
(aₖ = x⁽ᵏ⁾/k!, so x(t) = Σ aₖ tᵏ), which makes products Cauchy sums.

A primitive propagates its series by, in order: its rule in ``jet_rules`` (the nonlinear
elementwise families, registered in ``ops/taylor.py``); linearity (a primitive linear in the
inputs that carry series applies to each coefficient: ``linear_positions``); bilinearity
(``mul``, ``dot_general``: a Cauchy product); otherwise nested ``jvp`` of t ↦ p(x(t)), exact
for any primitive with a JVP rule, at 2ᴷ cost.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.primitive import Primitive
from ..core.trace import Trace, Tracer, full_raise, get_aval, new_main
from .jvp import jvp_flat
from .rules import Zero, bilinear, linear_positions

# jet_rules[p](primals, series, **params) -> (primal_out, series_out): series are lists of K
# normalized coefficients (None for a zero coefficient)
jet_rules: dict[Primitive, Callable] = {}


class JetTracer(Tracer):
    __slots__ = ("primal", "series")

    def __init__(self, trace, primal, series: list):
        self._trace = trace
        self.primal = primal
        self.series = series

    @property
    def aval(self):
        return get_aval(self.primal)


class JetTrace(Trace):
    __slots__ = ()
    transformation = "Taylor mode (jet)"

    @property
    def order(self) -> int:
        return self.main.data

    def pure(self, val):
        return JetTracer(self, val, [None] * self.order)

    lift = pure

    def concrete(self, tracer):
        p = tracer.primal
        return p._trace.concrete(p) if isinstance(p, Tracer) else p

    def process_primitive(self, prim, tracers, params):
        primals = [t.primal for t in tracers]
        series = [t.series for t in tracers]
        live = [any(c is not None for c in s) for s in series]
        if not any(live):
            out = prim.bind(*primals, **params)
            outs = out if prim.multiple_results else [out]
            return [self.pure(o) for o in outs]
        out, out_series = propagate(prim, primals, series, live, params, self.order)
        if not prim.multiple_results:
            out, out_series = [out], [out_series]
        # integer and boolean results (argsort, argmax, comparisons) have no series
        out_series = [s if get_aval(o).is_float else [None] * len(s)
                      for o, s in zip(out, out_series)]
        return [JetTracer(self, o, s) for o, s in zip(out, out_series)]


def zeros_of(x) -> np.ndarray:
    a = x.aval if isinstance(x, Zero) else get_aval(x)   # a symbolic zero: no tangent
    return np.zeros(a.shape, a.dtype)


def coefficient(x, s: list, k: int):
    """The k-th normalized coefficient (k = 0: the primal), zeros for a missing one."""
    if k == 0:
        return x
    c = s[k - 1]
    return zeros_of(x) if c is None else c


def propagate(prim, primals, series, live, params, order: int):
    rule = jet_rules.get(prim)
    if rule is not None:
        return rule(primals, series, **params)
    if prim.multiple_results:
        return _by_nested_jvp(prim, primals, series, params, order)
    positions = linear_positions.get(prim)
    lin = set(positions(params, len(primals))) if positions is not None else set()
    if positions is not None and prim not in bilinear and all(
            i in lin for i, m in enumerate(live) if m):
        out = prim.bind(*primals, **params)
        terms = []
        for k in range(1, order + 1):
            args = [coefficient(p, s, k) if i in lin else p
                    for i, (p, s) in enumerate(zip(primals, series))]
            terms.append(prim.bind(*args, **params))
        return out, terms
    if prim in bilinear and len(primals) == 2:
        return cauchy(lambda a, b: prim.bind(a, b, **params), primals, series, order)
    return _by_nested_jvp(prim, primals, series, params, order)


def cauchy(product, primals, series, order: int):
    """c_k = Σⱼ product(a_j, b_{k−j}) for a product bilinear in its two operands."""
    (x, y), (sx, sy) = primals, series
    out = product(x, y)
    terms = []
    for k in range(1, order + 1):
        acc: Any = None
        for j in range(k + 1):
            if (j and sx[j - 1] is None) or (k - j and sy[k - j - 1] is None):
                continue
            term = product(coefficient(x, sx, j), coefficient(y, sy, k - j))
            acc = term if acc is None else acc + term
        terms.append(acc)
    return out, terms


def _by_nested_jvp(prim, primals, series, params, order: int):
    """dᵏ/dtᵏ p(x(t)) at 0 by k nested JVPs of t ↦ p(Σ aⱼ tʲ) (exact; 2ᵏ work)."""
    def at(t):
        xs = []
        for p, s in zip(primals, series):
            x = p
            for j, c in enumerate(s, start=1):
                if c is not None:
                    x = x + c * t ** j
            xs.append(x)
        return prim.bind(*xs, **params)

    dtype = next((get_aval(p).dtype for p in primals if get_aval(p).is_float),
                 np.dtype(np.float64))
    one, t0 = np.ones((), dtype), np.zeros((), dtype)

    def derivative(fn):
        def d(t):
            _, tans = jvp_flat(lambda s: _as_list(fn(s)), [t], [one])
            tans = [zeros_of(o) if isinstance(o, Zero) else o for o in tans]
            return tans if prim.multiple_results else tans[0]
        return d

    out = at(t0)
    outs, fn = [], at
    for k in range(1, order + 1):
        fn = derivative(fn)
        outs.append(_tree_scale(fn(t0), 1.0 / math.factorial(k)))
    if prim.multiple_results:
        return out, [list(z) for z in zip(*outs)]
    return out, outs


def _as_list(v) -> list:
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _tree_scale(v, c: float):
    if isinstance(v, (list, tuple)):
        return [x * c for x in v]
    return v * c


def jet_flat(fn: Callable, primals: list, series: list, order: int) -> tuple[list, list]:
    """``fn(*flat) -> flat`` with normalized input series; normalized output series."""
    with new_main(JetTrace, order) as main:
        trace = JetTrace(main)
        ins = [JetTracer(trace, p, list(s)) for p, s in zip(primals, series)]
        outs = [full_raise(trace, o) for o in fn(*ins)]
        return [o.primal for o in outs], [o.series for o in outs]
