"""JVP, transpose and batching rules of the operators on function values.

Tangents of a function are functions; cotangents are functions too, paired with tangents by
the L² inner product ⟨u, v⟩ = ∫ u·v over the domain (with the domain's quadrature where an
integral is needed), so ``grad`` of a functional is its functional derivative δF/δf. Each
rule is written with the operators themselves, so derivatives of any order are derived.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import numpy as lnp
from ..ad.linearity import NonLinearError, check_linear, linearity_rules
from ..ad.rules import (
    UndefinedPrimal,
    Zero,
    add_any,
    instantiate,
    jvp_rules,
    linear_positions,
    transpose_rules,
)
from ..batching.core import vmap_rules
from ..core.avals import ShapedArray
from ..core.function import FnType, FnValue
from ..core.ir import Literal
from ..core.pytree import flatten
from ..core.staging import trace_to_program
from ..core.trace import get_aval
from ..ops.shape import batch_size, to_front
from . import calculus as C
from . import measures as M
from . import primitives as P
from .primitives import FunctionalError, fn_type
from .projection import all_selections, change_of_variables, invertible, outer_transpose


def _all_positions(params: dict, n: int) -> tuple:
    return tuple(range(n))


def sum_tangents(terms: list, aval: FnType) -> Any:
    out: Any = Zero(aval)
    for t in terms:
        out = t if isinstance(out, Zero) else add_any(out, t)
    return out


def unbatched_only(prim) -> None:
    """Batching rule of an operator on functions: the functions must be the same for every
    batch element (vmap over the points a function is evaluated at, not over functions)."""
    def rule(args, dims, **params):
        if any(d is not None for d in dims):
            raise FunctionalError(
                f"vmap over a batch of functions or of the arrays bound into them (operator "
                f"`{prim.name}`) is not supported: vmap over the points a function is "
                "evaluated at instead")
        out = prim.bind(*args, **params)
        return out, ([None] * len(out) if prim.multiple_results else None)
    vmap_rules[prim] = rule


def deflinear(prim, transpose) -> None:
    """An operator linear in all its (function) inputs: its JVP is itself on the tangents."""
    def jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if all(isinstance(t, Zero) for t in tangents):
            if prim.multiple_results:
                return out, [Zero(get_aval(o)) for o in out]
            return out, Zero(get_aval(out))
        return out, prim.bind(*[instantiate(t) for t in tangents], **params)
    jvp_rules[prim] = jvp
    transpose_rules[prim] = transpose
    linear_positions[prim] = _all_positions
    unbatched_only(prim)


def identity(aval) -> FnValue:
    return FnValue(FnType((aval,), aval), lambda x: x, "x")


def restrict_to(h, keep: tuple, who: str):
    """A function of all arguments -> a function of those at ``keep`` (in that order), the
    others integrated out with the quadratures of ``h``'s domain."""
    t = fn_type(h)
    n = t.nargs
    rest = tuple(k for k in range(n) if k not in keep)
    if rest:
        h = P.integrate(h, rest, tuple(t.domain[k] for k in rest), who)
    ordered = sorted(keep)
    if list(keep) == ordered:
        return h
    return P.permute_args(h, [list(keep).index(k) for k in ordered])


def integrate_against(g, pos: int, ct, who: str):
    """``∫ (∂g/∂x_pos)ᵀ ct(x) dx`` over ``ct``'s arguments, for ``g`` linear in argument
    ``pos`` (the cotangent of an array bound into a function)."""
    ct_t = fn_type(ct)
    m = ct_t.nargs
    t = C.linear_transpose(g, pos)
    ids = [identity(a) for a in ct_t.args]
    h = P.compose(t, *ids, ct, maps=[(k,) for k in range(m)] + [tuple(range(m))],
                  args=ct_t.args, domain=ct_t.domain)
    return P.integrate(h, tuple(range(m)), ct_t.domain, who)


# ---------------------------------------------------------------- compose

def _compose_jvp(primals, tangents, *, maps, args, domain):
    f, *gs = primals
    df, *dgs = tangents
    out = P.compose_p.bind(f, *gs, maps=maps, args=args, domain=domain)
    terms = []
    if not isinstance(df, Zero):
        terms.append(P.compose_p.bind(df, *gs, maps=maps, args=args, domain=domain))
    nz = [i for i, t in enumerate(dgs) if not isinstance(t, Zero)]
    if nz:
        lin = C.linearize(f, tuple(nz))
        terms.append(P.compose_p.bind(lin, *gs, *[dgs[i] for i in nz],
                                      maps=maps + tuple(maps[i] for i in nz), args=args,
                                      domain=domain))
    return out, sum_tangents(terms, get_aval(out))


def _compose_transpose(ct, f, *gs, maps, args, domain):
    out: list = [None] * (1 + len(gs))
    if isinstance(ct, Zero):
        return out
    if isinstance(f, UndefinedPrimal):
        if any(isinstance(g, UndefinedPrimal) for g in gs):
            raise FunctionalError("compose: not linear in the outer and an inner function "
                                  "at once")
        ct = instantiate(ct)
        if not M.is_measure(ct) and invertible(gs, maps, args):
            out[0] = change_of_variables(ct, f.aval, gs[0])
        elif not M.is_measure(ct) and all_selections(gs, maps, args):
            out[0] = outer_transpose(ct, f.aval, gs, maps, args)
        else:               # the pushforward of ct by the inner functions, as atoms
            out[0] = M.pushforward(ct, f.aval, gs, maps, "compose's transpose in its outer "
                                   "function (a pushforward)")
        return out
    if M.is_measure(ct):
        return _compose_transpose_measure(ct, f, gs, maps, args, out)
    n = len(args)
    for i, g in enumerate(gs):
        if not isinstance(g, UndefinedPrimal):
            continue
        # f is jointly linear in the undefined inner functions: the others count as zero
        others = [j for j in range(len(gs)) if j != i]
        inner = [gs[j].aval.zeros() if isinstance(gs[j], UndefinedPrimal) else gs[j]
                 for j in others]
        t = C.linear_transpose(f, i)
        h = P.compose_p.bind(t, *inner, ct,
                             maps=tuple(maps[j] for j in others) + (tuple(range(n)),),
                             args=args, domain=fn_type(ct).domain)
        out[1 + i] = restrict_to(h, maps[i], "compose (transposing an inner function that "
                                 "takes only some of the arguments)")
    return out


def check_linear_in(f, positions: list, who: str) -> None:
    """A known outer function must be linear in the arguments that read linear values:
    checked on its staged program when its value is known (a literal)."""
    if not isinstance(f, Literal) or not positions:
        return
    t = f.val.type
    program, _ = trace_to_program(lambda *x: flatten(f.val.fun(*x))[0], list(t.args))
    try:
        check_linear(program, [i in positions for i in range(t.nargs)])
    except NonLinearError as e:
        raise NonLinearError(f"`{who}` applies {f.val.label}, which is not linear in "
                             f"arguments {positions}: {e}") from None


def _compose_linearity(eqn, flags):
    if flags[0] and any(flags[1:]):
        raise NonLinearError("`fn_compose` of a linear function with linear inner functions")
    check_linear_in(eqn.inputs[0], [i for i, m in enumerate(flags[1:]) if m], "fn_compose")
    return [True]


def _partial_linearity(eqn, flags):
    if flags[0] and any(flags[1:]):
        raise NonLinearError("`fn_partial` binds linear values into a linear function")
    argnums = eqn.params["argnums"]
    check_linear_in(eqn.inputs[0], [argnums[i] for i, m in enumerate(flags[1:]) if m],
                    "fn_partial")
    return [True]


linearity_rules[P.compose_p] = _compose_linearity
linearity_rules[P.partial_p] = _partial_linearity
def _compose_transpose_measure(ct, f, gs, maps, args, out):
    """Atoms are reweighted by the transposed outer function at their points (and their
    points restricted to the inner function's arguments); the density as a function."""
    if not isinstance(f, FnValue):
        raise FunctionalError("compose: transposing a point mass through a traced outer "
                              "function is not available yet")
    for i, g in enumerate(gs):
        if not isinstance(g, UndefinedPrimal):
            continue
        inner = [gs[j].aval.zeros() if isinstance(gs[j], UndefinedPrimal) else gs[j]
                 for j in range(len(gs)) if j != i]
        inner_maps = [maps[j] for j in range(len(gs)) if j != i]
        t = C.linear_transpose(f, i)

        def at_atom(*pw, t=t, inner=inner, inner_maps=inner_maps):
            pts, w = pw[:-1], pw[-1]
            vals = [h.fun(*[pts[a] for a in m]) for h, m in zip(inner, inner_maps)]
            return t.fun(*vals, w)
        density = None
        if ct.density is not None:
            density = _compose_transpose(ct.density, f, *gs, maps=maps, args=args,
                                         domain=fn_type(ct.density).domain)[1 + i]
        points = tuple(ct.points[a] for a in maps[i])
        out[1 + i] = M.MeasureValue(g.aval, density, points, M.on_atoms(at_atom, ct))
    return out


jvp_rules[P.compose_p] = _compose_jvp
transpose_rules[P.compose_p] = _compose_transpose
linear_positions[P.compose_p] = _all_positions
unbatched_only(P.compose_p)


# ---------------------------------------------------------------- structure

def _permute_transpose(ct, f, *, perm):
    if M.is_measure(ct):                # atom k of f reads argument perm[k] of ct
        density = None if ct.density is None else _permute_transpose(
            ct.density, f, perm=perm)[0]
        return [M.MeasureValue(f.aval, density, tuple(ct.points[p] for p in perm),
                               ct.weights)]
    return [P.permute_args(instantiate(ct), np.argsort(perm))]


def _broadcast_transpose(ct, f, *, target, argnums):
    if M.is_measure(ct):                # integrating a point mass over arguments: marginal
        density = None if ct.density is None else restrict_to(ct.density, argnums,
                                                                "broadcast_arg")
        return [M.MeasureValue(f.aval, density, tuple(ct.points[j] for j in argnums),
                               ct.weights)]
    return [restrict_to(instantiate(ct), argnums, "broadcast_arg")]


deflinear(P.permute_p, _permute_transpose)
deflinear(P.broadcast_p, _broadcast_transpose)


def _constant_transpose(ct, value, *, ftype):
    ct = instantiate(ct)
    t = fn_type(ct)
    if M.is_measure(ct):
        return [M.total(ct, lambda d: P.integrate(d, tuple(range(t.nargs)),
                                                  fn_type(d).domain, "constant"))]
    return [P.integrate(ct, tuple(range(t.nargs)), t.domain, "constant")]


deflinear(P.constant_p, _constant_transpose)
deflinear(P.zip_p, lambda ct, *fs: P.split_p.bind(instantiate(ct)))


def _split_transpose(cts, f):
    t = f.aval
    parts = [FnType(t.args, o, t.domain).zeros() if isinstance(c, Zero) else c
             for c, o in zip(cts, t.out)]
    return [P.zip_p.bind(*parts)]


deflinear(P.split_p, _split_transpose)


# ---------------------------------------------------------------- partial

def _partial_jvp(primals, tangents, *, argnums):
    f, *vals = primals
    df, *dvals = tangents
    out = P.partial_p.bind(f, *vals, argnums=argnums)
    terms = []
    if not isinstance(df, Zero):
        terms.append(P.partial_p.bind(df, *vals, argnums=argnums))
    nz = [k for k, t in enumerate(dvals) if not isinstance(t, Zero)]
    if nz:
        n = fn_type(f).nargs
        lin = C.linearize(f, tuple(argnums[k] for k in nz))
        terms.append(P.partial_p.bind(lin, *vals, *[dvals[k] for k in nz],
                                      argnums=argnums + tuple(n + i for i in range(len(nz)))))
    return out, sum_tangents(terms, get_aval(out))


def _partial_transpose(ct, f, *vals, argnums):
    out: list = [None] * (1 + len(vals))
    if isinstance(ct, Zero):
        return out
    if isinstance(f, UndefinedPrimal):      # δ at the bound values times ct
        if any(isinstance(v, UndefinedPrimal) for v in vals):
            raise FunctionalError("partial: not linear in the function and the values at once")
        out[0] = M.bind_points(instantiate(ct), f.aval, vals, argnums,
                               "partial's transpose in its function")
        return out
    n = fn_type(f).nargs
    for k, v in enumerate(vals):
        if not isinstance(v, UndefinedPrimal):
            continue
        # bind every other argument (other linear ones at zero: f is jointly linear in them)
        others = [i for i in range(len(vals)) if i != k]
        bound = [vals[i] if not isinstance(vals[i], UndefinedPrimal) else
                 np.zeros(vals[i].aval.shape, vals[i].aval.dtype) for i in others]
        bound_at = [argnums[i] for i in others]
        g = P.partial_p.bind(f, *bound, argnums=tuple(bound_at))
        remaining = [j for j in range(n) if j not in bound_at]
        pos = remaining.index(argnums[k])
        if M.is_measure(ct):
            out[1 + k] = _partial_transpose_measure(g, pos, ct)
        else:
            out[1 + k] = integrate_against(g, pos, ct, "partial")
    return out


def _partial_transpose_measure(g, pos: int, ct):
    """Σⱼ (∂g/∂a)(xⱼ)ᵀ wⱼ over the atoms, plus the density's integral against it."""
    if not isinstance(g, FnValue):
        raise FunctionalError("partial: transposing a point mass through a traced function "
                              "is not available yet")
    t = C.linear_transpose(g, pos)
    acc = np.sum(M.on_atoms(lambda *pw: t.fun(*pw), ct), axis=0) if ct.weights is not None \
        else 0.0
    if ct.density is not None:
        acc = acc + integrate_against(g, pos, ct.density, "partial")
    return acc


jvp_rules[P.partial_p] = _partial_jvp
transpose_rules[P.partial_p] = _partial_transpose
linear_positions[P.partial_p] = _all_positions
unbatched_only(P.partial_p)


# ---------------------------------------------------------------- point evaluation

def _eval_jvp(primals, tangents, *, batch):
    f, *xs = primals
    df, *dxs = tangents
    out = P.eval_p.bind(f, *xs, batch=batch)
    tan: Any = Zero(get_aval(out))
    if not isinstance(df, Zero):
        tan = P.eval_p.bind(df, *xs, batch=batch)
    nz = [k for k, t in enumerate(dxs) if not isinstance(t, Zero)]
    if nz:
        lin = C.linearize(f, tuple(nz))
        term = P.eval_p.bind(lin, *xs, *[dxs[k] for k in nz], batch=batch)
        tan = term if isinstance(tan, Zero) else tan + term
    return out, tan


def _eval_transpose(ct, f, *xs, batch):
    """The cotangent of f is a point mass ct·δ(x − x₀) at the evaluation points."""
    if isinstance(ct, Zero):
        return [None] * (1 + len(xs))
    return [M.point_mass(f.aval, xs, ct, batch)] + [None] * len(xs)


def _point_mass_jvp(primals, tangents, *, ftype):
    """Linear in the weights; moving the atoms would need derivatives of δ."""
    out = M.point_mass_p.bind(*primals, ftype=ftype)
    if any(not isinstance(t, Zero) for t in tangents[:-1]):
        raise M.measure_error("the derivative of a point mass with respect to its position")
    if isinstance(tangents[-1], Zero):
        return out, Zero(ftype)
    return out, M.point_mass_p.bind(*primals[:-1], tangents[-1], ftype=ftype)


def _point_mass_transpose(ct, *args, ftype):
    """⟨ct, Σ wⱼ δ(x − xⱼ)⟩ = Σ wⱼ·ct(xⱼ): the weights' cotangent is ct at the atoms."""
    if isinstance(ct, Zero):
        return [None] * len(args)
    points = args[:-1]
    return [None] * len(points) + [P.eval_p.bind(instantiate(ct), *points, batch=1)]


jvp_rules[M.point_mass_p] = _point_mass_jvp
transpose_rules[M.point_mass_p] = _point_mass_transpose
linear_positions[M.point_mass_p] = lambda params, n: (n - 1,)
unbatched_only(M.point_mass_p)


def _eval_batch(args, dims, *, batch):
    if dims[0] is not None:
        raise FunctionalError("vmap over a batch of functions (point evaluation) is not "
                              "supported: vmap over the points instead")
    size = batch_size(args[1:], dims[1:])
    xs = [to_front(x, d, size) for x, d in zip(args[1:], dims[1:])]
    return P.eval_p.bind(args[0], *xs, batch=batch + 1), 0


jvp_rules[P.eval_p] = _eval_jvp
transpose_rules[P.eval_p] = _eval_transpose
linear_positions[P.eval_p] = lambda params, n: (0,)
vmap_rules[P.eval_p] = _eval_batch


# ---------------------------------------------------------------- calculus

def _linearize_transpose(ct, f, *, argnums):
    """⟨ct, ∂f(x)·ẋ⟩ = ∫ ∂f(x) : m(x) with m(x) = ∫ ct(x, ẋ) ⊗ ẋ dẋ (the tangent arguments
    integrated with their quadratures), then ∇ᵀ = −div: the cotangent of f is −div m
    (vanishing boundary terms, as for ``nabla``)."""
    ct = instantiate(ct)
    if M.is_measure(ct):
        raise M.measure_error("linearize's transpose in its function")
    t = f.aval
    out = P._single_out(t, "the transpose of linearize")
    n, ct_t = t.nargs, fn_type(ct)
    total = None
    for j, i in enumerate(argnums):
        a = t.args[i]
        tangent = FnValue(FnType(ct_t.args, a), _arg_reader(n + j), "ẋ")
        outer = FnValue(FnType((out, a), ShapedArray(out.shape + a.shape, out.dtype)),
                        _outer_product(out.shape, a.shape), "⊗")
        g = P.compose(outer, ct, tangent, args=ct_t.args, domain=ct_t.domain)
        m = restrict_to(g, tuple(range(n)), "linearize's transpose (integrating out the "
                        "tangent arguments)")
        term = _minus_div(m, out, a.shape, i)
        total = term if total is None else add_any(total, term)
    return [total]


def _arg_reader(k: int):
    return lambda *x: x[k]


def _outer_product(c_shape: tuple, v_shape: tuple):
    def outer(c, v):
        return lnp.reshape(c, c_shape + (1,) * len(v_shape)) * v
    return outer


deflinear(C.linearize_p, _linearize_transpose)


def _linear_transpose_transpose(ct, f, *, argnum):
    t = f.aval
    back = C.linear_transpose(instantiate(ct), t.nargs - 1)
    return [P.permute_args(back, [k for k in range(t.nargs) if k != argnum] + [argnum])]


deflinear(C.transpose_p, _linear_transpose_transpose)


def _nabla_transpose(ct, f, *, argnum, boundary=False):
    """∇ᵀ = −div, assuming the boundary terms of the integration by parts vanish (f, or the
    cotangent, is zero on the boundary, or the domain is periodic). A tuple-valued f's
    cotangent is transposed component by component."""
    t = f.aval
    ct = instantiate(ct)
    if M.is_measure(ct):
        raise M.measure_error("nabla's transpose (−div)")
    if isinstance(t.out, tuple):
        if boundary:
            raise FunctionalError("nabla(boundary=True) of a tuple-valued function: split it")
        parts = P.split_p.bind(ct)
        return [P.zip_p.bind(*[_minus_div(c, o, t.args[argnum].shape, argnum)
                               for c, o in zip(parts, t.out)])]
    interior = _minus_div(ct, t.out, t.args[argnum].shape, argnum)
    if not boundary:
        return [interior]
    return [M.boundary_masses(ct, t).plus(interior)]


def _minus_div(ct, out, in_shape, argnum: int):
    contract = C.minus_divergence(in_shape, out, out.dtype)
    return P.compose(contract, C.nabla(ct, argnum))


deflinear(C.nabla_p, _nabla_transpose)


def _integrate_transpose(ct, f, *, argnums, quads):
    t = f.aval
    domain = list(t.domain)
    for k, q in zip(argnums, quads):
        domain[k] = q
    target = t.with_domain(domain)
    if len(argnums) == t.nargs:
        return [P.constant(instantiate(ct), target)]
    rest = tuple(k for k in range(t.nargs) if k not in argnums)
    return [P.broadcast_arg(instantiate(ct), target, rest)]


deflinear(P.integrate_p, _integrate_transpose)
