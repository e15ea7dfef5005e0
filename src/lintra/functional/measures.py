"""Measures: the cotangents of point evaluations.

⟨ct, f(x₀)⟩ = ct·f(x₀) = ∫ f dμ with μ = ct·δ(x − x₀): the gradient of a point evaluation is a
point mass, not a function. ``MeasureValue`` is a density plus weighted point masses,
μ = ρ(x)dx + Σⱼ wⱼ δ(x − xⱼ); it is a cotangent of a function type (it adds to functions),
integrates exactly, and pairs with functions (``braket``). It has no value at a point.

Transposes that move a measure backward act on its atoms directly: a pointwise linear map
reweights them, dropping arguments (``broadcast_arg``) marginalizes them, a bound array
(``partial``) collects Σⱼ (∂g/∂a)(xⱼ)ᵀ wⱼ. The derivative of a point mass (``nabla``'s
transpose) is not a measure and is an error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import numpy as lnp
from ..ad.linearity import NonLinearError, check_linear
from ..core.function import FnType, FnValue, add_functions, captures_of
from ..core.primitive import Primitive
from ..core.staging import trace_to_program
from ..core.trace import Tracer
from ..vmap import vmap
from . import nodes as N
from . import primitives as P
from .primitives import FunctionalError

_NO_VALUE = ("a measure (point masses) has no value at a point: integrate it "
             "(lintra.functional.integrate) or pair it with a function (braket)")


def _no_value(*args):
    raise FunctionalError(_NO_VALUE)


class MeasureValue(FnValue):
    """``density`` (a function value, or None) plus atoms at ``points`` (one array per
    argument, leading axis over the atoms) with ``weights`` (atoms × result shape)."""

    __slots__ = ("density", "points", "weights")
    is_measure = True

    def __init__(self, type: FnType, density: FnValue | None, points: tuple,  # noqa: A002
                 weights: Any):
        n = 0 if weights is None else int(np.shape(weights)[0])
        super().__init__(type, _no_value, f"{n} point mass{'es' if n != 1 else ''}"
                         + (f" + {density.label}" if density is not None else ""),
                         captures_of(*points, *([] if weights is None else [weights])))
        self.density = density
        self.points = tuple(points)
        self.weights = weights

    def plus(self, other: FnValue) -> MeasureValue:
        if other.is_measure:
            density = _add(self.density, other.density)
            if other.weights is None:
                return MeasureValue(self.type, density, self.points, self.weights)
            if self.weights is None:
                return MeasureValue(self.type, density, other.points, other.weights)
            points = tuple(np.concatenate([a, b]) for a, b in zip(self.points, other.points))
            return MeasureValue(self.type, density, *merge_atoms(
                points, np.concatenate([self.weights, other.weights])))
        return MeasureValue(self.type, _add(self.density, other), self.points, self.weights)

    def __repr__(self) -> str:
        return f"<measure {self.label} : {self.type.str_short()}>"


def merge_atoms(points: tuple, weights) -> tuple:
    """Atoms at the same point as one (their weights summed), in order of first appearance."""
    m = weights.shape[0]
    if m < 2 or any(isinstance(p, Tracer) for p in (*points, weights)):
        return points, weights
    keys = np.concatenate([np.reshape(p, (m, -1)) for p in points], axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    if len(first) == m:
        return points, weights
    order = np.argsort(first)                     # unique rows by first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    merged = np.zeros((len(first),) + weights.shape[1:], weights.dtype)
    np.add.at(merged, rank[np.reshape(inverse, -1)], weights)
    return tuple(p[first[order]] for p in points), merged


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return add_functions(a, b)


def point_mass(ftype: FnType, xs: tuple, weights: Any, batch: int) -> Any:
    """``Σ weights·δ(x − xs)`` (the transpose of evaluating at ``xs``, ``batch`` axes). With
    traced points or weights (under ``jit``) it is an operator applied to them, whose value
    is the measure when the program runs."""
    if any(isinstance(v, Tracer) for v in (*xs, weights)):
        pts = [lnp.reshape(lnp.asarray(x, a.dtype), (-1,) + a.shape)
               for x, a in zip(xs, ftype.args)]
        m = lnp.shape(pts[0])[0]
        w = lnp.reshape(lnp.asarray(weights, ftype.out.dtype), (m,) + ftype.out.shape)
        return point_mass_p.bind(*pts, w, ftype=ftype)
    pts = tuple(np.reshape(np.asarray(x, a.dtype), (-1,) + a.shape)
                for x, a in zip(xs, ftype.args))
    m = pts[0].shape[0]
    w = np.reshape(np.asarray(weights, ftype.out.dtype), (m,) + ftype.out.shape)
    return MeasureValue(ftype, None, *merge_atoms(pts, w))


# atoms at traced points or with traced weights: the measure as an operator on them (its JVP,
# transpose — evaluation at the points — and batching rules are in rules.py)
point_mass_p = Primitive("fn_point_mass")


@point_mass_p.def_shape
def _point_mass_shape(*avals, ftype):
    *pts, w = avals
    m = w.shape[0] if w.ndim else None
    for p, a in zip(pts, ftype.args):
        if p.shape != (m,) + a.shape:
            raise TypeError(f"point masses: points of shape {p.shape} for atoms of "
                            f"{a.str_short()} (and {m} weights)")
    return ftype


@point_mass_p.def_impl
def _point_mass_impl(*vals, ftype):
    *pts, w = vals
    if any(isinstance(v, Tracer) for v in vals):
        return MeasureValue(ftype, None, tuple(pts), w)
    return MeasureValue(ftype, None, *merge_atoms(tuple(np.asarray(p) for p in pts),
                                                  np.asarray(w)))


def on_atoms(fun, mu: MeasureValue):
    """``fun(*point_j, weight_j)`` for every atom j (vectorized over the atoms)."""
    return np.asarray(vmap(fun)(*mu.points, mu.weights))


def is_measure(x: Any) -> bool:
    return getattr(x, "is_measure", False)


def total(mu: MeasureValue, integrate_density) -> Any:
    """∫ dμ: the density's integral plus the atoms' weights."""
    out = 0.0 if mu.weights is None else np.sum(mu.weights, axis=0)
    if mu.density is not None:
        out = out + integrate_density(mu.density)
    return out


def measure_error(what: str) -> FunctionalError:
    return FunctionalError(f"{what} of a point mass is not a measure (a derivative of δ); "
                           "not available yet")


def pointwise_measures(op: FnValue, inner: list, args: tuple, domain: tuple) -> MeasureValue:
    """``op`` applied pointwise where some inputs are measures: ``op`` must be linear in
    them (m·g, m + f, 2m); atoms are reweighted by ``op`` at their points, the densities go
    through ``op`` as functions."""
    slots = [i for i, p in enumerate(inner) if is_measure(p)]
    program, _ = trace_to_program(lambda *v: [op.fun(*v)], list(op.type.args))
    unused = _unused_inputs(program, len(inner))
    if any(i in unused for i in slots):     # op ignores that measure (a linearization's
        inner = [p.type.zeros() if i in unused and i in slots else p    # primal slot)
                 for i, p in enumerate(inner)]
        slots = [i for i in slots if i not in unused]
        if not slots:
            return P.compose(op, *inner, args=args, domain=domain)
    try:
        check_linear(program, [i in slots for i in range(len(inner))])
    except NonLinearError:
        raise FunctionalError(f"{op.label} is not linear in its measure (point-mass) "
                              "arguments; only sums and products with functions are") from None
    density = None
    if any(inner[i].density is not None for i in slots):
        dens = [(p.density if p.density is not None else p.type.zeros()) if i in slots else p
                for i, p in enumerate(inner)]
        density = P.compose(op, *dens, args=args, domain=domain)
    points, weights = [], []
    for i in slots:
        mu = inner[i]
        if mu.weights is None:
            continue
        zero = np.zeros(op.type.args[i].shape, op.type.args[i].dtype)

        def at_atom(*pw, i=i, zero=zero):
            pts, w = pw[:-1], pw[-1]
            vals = [w if k == i else zero if k in slots else p.fun(*pts)
                    for k, p in enumerate(inner)]
            return op.fun(*vals)
        points.append(mu.points)
        weights.append(on_atoms(at_atom, mu))
    ftype = FnType(args, op.type.out, domain)
    if not weights:
        return MeasureValue(ftype, density, (), None)
    return MeasureValue(ftype, density,
                        tuple(np.concatenate(c) for c in zip(*points)), np.concatenate(weights))


N.compose_measures = pointwise_measures


def _unused_inputs(program, n: int) -> set:
    """The positions of the last ``n`` inputs that no equation or output reads."""
    read = {id(a) for e in program.eqns for a in e.inputs} | {id(a) for a in program.outs}
    return {i for i, v in enumerate(program.params[-n:]) if id(v) not in read}


def _concrete(x, what: str):
    if isinstance(x, Tracer):
        raise FunctionalError(f"{what} is a measure (point masses), which is only available "
                              "outside jit and higher-order derivatives for now")
    return np.asarray(x)


def discretize(ct, what: str) -> MeasureValue:
    """``ct`` as atoms only: a density becomes point masses at its domain quadrature's nodes
    (weights × values), which is exact for every functional computed with that quadrature."""
    if isinstance(ct, Tracer):
        _concrete(ct, what)
    if is_measure(ct):
        if ct.density is None:
            return ct
        return MeasureValue(ct.type, None, (), None).plus(
            discretize(ct.density, what)).plus(MeasureValue(ct.type, None, ct.points,
                                                            ct.weights))
    t = ct.type
    for k, q in enumerate(t.domain):
        if q is None:
            raise FunctionalError(f"{what}: argument {k} of the cotangent has no quadrature "
                                  "on its domain to discretize it with")
    quads = [q.astype(a.dtype) for q, a in zip(t.domain, t.args)]
    idx = np.indices([len(q) for q in quads]).reshape(len(quads), -1)
    points = tuple(q.nodes[i] for q, i in zip(quads, idx))
    w = np.prod([q.weights[i] for q, i in zip(quads, idx)], axis=0)
    values = _concrete(vmap(ct.fun)(*points), what)
    weights = values * w.reshape((-1,) + (1,) * (values.ndim - 1))
    return MeasureValue(t, None, points, weights)


def pushforward(ct, f_type: FnType, gs, maps, what: str) -> MeasureValue:
    """The cotangent of the outer function f of f(g₁(x), …): the atoms of ``ct`` moved to
    (g₁(xⱼ), …), weights unchanged."""
    mu = discretize(ct, what)
    points = []
    for g, m in zip(gs, maps):
        if not isinstance(g, FnValue):
            raise FunctionalError(f"{what}: the inner functions are traced")
        if mu.weights is None:
            points.append(np.zeros((0,) + g.type.out.shape))
            continue
        points.append(_concrete(vmap(lambda *p, g=g, m=m: g.fun(*[p[a] for a in m]))(
            *mu.points), what))
    return MeasureValue(f_type, None, tuple(points), mu.weights)


def bind_points(ct, f_type: FnType, vals, argnums, what: str) -> MeasureValue:
    """The cotangent of f in partial(f, vals): δ at the bound values times ``ct``, as atoms."""
    mu = discretize(ct, what)
    m = 0 if mu.weights is None else mu.weights.shape[0]
    bound = {k: np.broadcast_to(_concrete(v, what), (m,) + f_type.args[k].shape)
             for k, v in zip(argnums, vals)}
    rest = iter(mu.points)
    points = tuple(bound[k] if k in bound else next(rest) for k in range(f_type.nargs))
    return MeasureValue(f_type, None, points, mu.weights)


def boundary_masses(ct, f_type: FnType) -> MeasureValue:
    """The boundary term of ∫ₐᵇ c·t' = [c·t]ₐᵇ − ∫ c'·t: point masses c(b) at b, −c(a) at a."""
    q = fn_type_domain(ct, f_type)
    a, b = (np.asarray(e, f_type.args[0].dtype) for e in q.domain)
    values = _concrete(vmap(ct.fun)(np.stack([a, b])), "nabla's boundary term")
    out = f_type.out.shape
    values = values.reshape((2,) + out)      # the Jacobian of a scalar argument: (out)
    return MeasureValue(f_type, None, (np.stack([a, b]),), np.stack([-values[0], values[1]]))


def fn_type_domain(ct, f_type: FnType):
    if f_type.nargs != 1 or f_type.args[0].shape != ():
        raise FunctionalError("nabla(boundary=True): boundary terms are available for "
                              "functions of one scalar argument")
    if isinstance(ct, Tracer) or not isinstance(ct, FnValue):
        _concrete(ct, "nabla's boundary term")
    q = ct.type.domain[0]
    if q is None or q.domain is None or len(q.domain) != 2 or q.factors:
        raise FunctionalError("nabla(boundary=True) needs the cotangent's domain to be a "
                              "quadrature on an interval [a, b] (e.g. gauss_legendre(a, b, n))")
    return q
