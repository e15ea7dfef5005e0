"""The operators on function values, as primitives: type (shape) rules and impls.

They work on *payloads*: concrete ``FnValue``s or traced values of ``FnType`` (the user-facing
``Function`` wraps them). An impl builds a new lazy ``FnValue`` whose ``fun`` calls its
parts' ``fun``; evaluating one under a trace inlines it. The derivative and batching rules of
every operator are in ``rules.py`` (they are written with these operators, and the rules of
the structural operators need the calculus ones and vice versa).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import numpy as lnp
from ..ad.rules import UndefinedPrimal
from ..core.avals import ShapedArray
from ..core.function import FnType, FnValue, captures_of, out_leaves
from ..core.primitive import Primitive
from ..core.trace import Tracer, full_lower, get_aval
from ..vmap import vmap
from . import nodes as N
from .nodes import FunctionalError
from .quadrature import quadrature_sum

__all__ = ["FunctionalError"]


def def_node(prim: Primitive, derivative: bool = False, share: bool = True):
    """Register ``impl`` as ``prim``'s: the function value it builds is shared with every
    earlier one built from the same inputs (hash-consing) and inherits its parts'
    smoothness (one order less for a derivative; an error past it)."""
    def register(impl):
        prim.def_impl(lambda *args, **params: make_node(prim, impl, args, params, derivative,
                                                        share))
        return impl
    return register


def make_node(prim: Primitive, impl, args: tuple, params: dict, derivative: bool = False,
              share: bool = True):
    fns = [a for a in args if isinstance(a, FnValue)]
    k = N.inherited_order(fns, derivative, prim.name.removeprefix("fn_"))

    def build():
        out = impl(*args, **params)
        if k is not None:
            for o in (out if isinstance(out, list) else [out]):
                if isinstance(o, FnValue):
                    N.set_order(o, k)
        return out
    return N.shared(prim.name, args, params, build) if share else build()


def fn_type(x: Any) -> FnType:
    t = x.aval if isinstance(x, UndefinedPrimal) else get_aval(x)
    if not getattr(t, "is_function", False):
        raise TypeError(f"expected a function value, got {t.str_short()}")
    return t


def _single_out(t: FnType, who: str) -> ShapedArray:
    if isinstance(t.out, tuple):
        raise TypeError(f"{who} needs a function with one (array) result, got {t.str_short()}"
                        " (split a tuple-valued function first)")
    return t.out


def apply(prim: Primitive, *args, **params):
    """Bind ``prim``, except when no argument is a traced function: then its impl runs at
    once, so a function built from traced arrays (parameters) is a closure over them
    (``FnValue.captures``) that evaluates inline, and derivatives with respect to those
    arrays are ordinary array derivatives (no function-space transposition). A function a
    transformation carries unchanged (an unbatched argument of ``vmap``) is its value."""
    args = tuple(full_lower(a) if isinstance(a, Tracer) and a.aval.is_function else a
                 for a in args)
    for a in args:
        if isinstance(a, Tracer) and a.aval.is_function:
            return prim.bind(*args, **params)
    return prim.impl(*args, **params)


# ---------------------------------------------------------------- compose

compose_p = Primitive("fn_compose")


@compose_p.def_shape
def _compose_shape(f, *gs, maps, args, domain):
    if len(gs) != f.nargs:
        raise TypeError(f"compose: the outer function takes {f.nargs} arguments, "
                        f"{len(gs)} inner functions were given")
    for i, (g, m) in enumerate(zip(gs, maps)):
        if g.out != f.args[i]:
            raise TypeError(f"compose: inner function {i} returns {g.out}, the outer function's "
                            f"argument {i} is {f.args[i].str_short()}")
        if g.args != tuple(args[j] for j in m) or len(set(m)) != len(m):
            raise TypeError(f"compose: inner function {i} takes {g.str_short()}, which does "
                            f"not match arguments {m} of the composition")
    return FnType(args, f.out, domain)


@def_node(compose_p)
def _compose_impl(f, *gs, maps, args, domain):
    if any(g.is_measure for g in gs):   # a traced point mass, known now: reweight its atoms
        if any(m != tuple(range(len(args))) for m in maps):
            raise FunctionalError("compose: a point mass as an inner function of an "
                                  "unshared composition is not available")
        return N.compose_measures(f, list(gs), args, domain)
    outer = f.fun
    t = FnType(args, f.type.out, _merge_domains(domain, gs, maps))
    label = f"{f.label}({', '.join(g.label for g in gs)})"
    caps = captures_of(f, *gs)
    call = N.call
    if all(m == tuple(range(len(args))) for m in maps):          # shared inputs
        if len(gs) == 1:
            g0 = gs[0]
            out = FnValue(t, lambda *x: outer(call(g0, x)), label, caps)
        else:
            out = FnValue(t, lambda *x: outer(*[call(g, x) for g in gs]), label, caps)
    else:
        out = FnValue(t, lambda *x: outer(*[call(g, tuple(x[j] for j in m))
                                            for g, m in zip(gs, maps)]), label, caps)
    if all(isinstance(o, ShapedArray) for o in (f.type.out, *[g.type.out for g in gs])):
        N.set_grid_rule(out, _compose_grid(f, gs, maps))
    return out


def _compose_grid(f, gs, maps):
    """The composition's values on a grid: its outer function applied to the inner
    functions' grid values (each computed once)."""
    def rule(quads):
        sizes = tuple(len(q) for q in quads)
        tables = [N.spread(N.grid_values(g, tuple(quads[j] for j in m)), m, sizes,
                           g.type.out.ndim) for g, m in zip(gs, maps)]
        return N.pointwise_on_grid(f.fun, tables, len(quads))
    return rule


def _merge_domains(domain: tuple, gs, maps) -> tuple:
    """The static domain, completed by the inner functions' own (a domain is metadata on a
    value: a traced function's type may not know it)."""
    out = list(domain)
    for g, m in zip(gs, maps):
        for k, j in enumerate(m):
            if out[j] is None:
                out[j] = g.type.domain[k]
    return tuple(out)


def compose(f, *gs, maps=None, args=None, domain=None):
    """``x ↦ f(g_1(x_{maps[0]}), …)``; by default every g takes all the arguments (shared)."""
    if args is None:
        g0 = fn_type(gs[0])
        args, domain = g0.args, g0.domain
    if maps is None:
        maps = (tuple(range(len(args))),) * len(gs)
    if domain is None:
        domain = (None,) * len(args)
    return apply(compose_p, f, *gs, maps=tuple(tuple(m) for m in maps), args=tuple(args),
                          domain=tuple(domain))


# ---------------------------------------------------------------- permute_args

permute_p = Primitive("fn_permute_args")


@permute_p.def_shape
def _permute_shape(f, *, perm):
    if sorted(perm) != list(range(f.nargs)):
        raise TypeError(f"permute_args: {perm} is not a permutation of {f.nargs} arguments")
    args: list = [None] * f.nargs
    domain: list = [None] * f.nargs
    for k, p in enumerate(perm):
        args[p], domain[p] = f.args[k], f.domain[k]
    return FnType(tuple(args), f.out, tuple(domain))


@def_node(permute_p)
def _permute_impl(f, *, perm):
    out = FnValue(_permute_shape(f.type, perm=perm),
                  lambda *x: N.call(f, tuple(x[p] for p in perm)),
                  f"permute_args({f.label}, {perm})", f.captures)
    _grid_from(out, f, perm)
    return out


def _grid_from(out, f, m: tuple) -> None:
    """``out``(x) = f(x[m]): its grid values are f's, laid out over all the arguments."""
    if isinstance(f.type.out, ShapedArray):
        N.set_grid_rule(out, lambda quads: N.spread(
            N.grid_values(f, tuple(quads[j] for j in m)), m, tuple(len(q) for q in quads),
            f.type.out.ndim))


def permute_args(f, perm):
    """``x ↦ f(*(x[p] for p in perm))``."""
    return apply(permute_p, f, perm=tuple(int(p) for p in perm))


# ---------------------------------------------------------------- broadcast_arg

broadcast_p = Primitive("fn_broadcast_arg")


@broadcast_p.def_shape
def _broadcast_shape(f, *, target, argnums):
    if tuple(target.args[j] for j in argnums) != f.args:
        raise TypeError(f"broadcast_arg: {f.str_short()} cannot take arguments {argnums} of "
                        f"{target.str_short()}")
    return FnType(target.args, f.out, target.domain)


@def_node(broadcast_p)
def _broadcast_impl(f, *, target, argnums):
    t = _broadcast_shape(f.type, target=target, argnums=argnums)
    t = t.with_domain(_merge_domains(t.domain, [f], [argnums]))
    out = FnValue(t, lambda *x: N.call(f, tuple(x[j] for j in argnums)), f.label, f.captures)
    _grid_from(out, f, argnums)
    return out


def broadcast_arg(f, target: FnType, argnums):
    """``f`` as a function of ``target``'s arguments, reading only those at ``argnums``."""
    return apply(broadcast_p, f, target=target, argnums=tuple(argnums))


# ---------------------------------------------------------------- constant

constant_p = Primitive("fn_constant")


@constant_p.def_shape
def _constant_shape(value, *, ftype):
    return FnType(ftype.args, value.strip_weak(), ftype.domain)


@def_node(constant_p)
def _constant_impl(value, *, ftype):
    shown = "·" if hasattr(value, "_trace") else np.asarray(value)
    out = FnValue(_constant_shape(get_aval(value), ftype=ftype), lambda *x: value,
                  f"constant({shown})", captures_of(value))
    N.set_grid_rule(out, lambda quads: lnp.broadcast_to(
        value, tuple(len(q) for q in quads) + tuple(get_aval(value).shape)))
    return out


def constant(value, ftype: FnType):
    """The function of ``ftype``'s arguments that returns ``value`` everywhere."""
    return apply(constant_p, value, ftype=ftype)


# ---------------------------------------------------------------- zip / split

zip_p = Primitive("fn_zip")


@zip_p.def_shape
def _zip_shape(*fs):
    if any(f.args != fs[0].args for f in fs):
        raise TypeError("zip: the functions take different arguments: "
                        + ", ".join(f.str_short() for f in fs))
    domain = tuple(next((f.domain[k] for f in fs if f.domain[k] is not None), None)
                   for k in range(fs[0].nargs))
    return FnType(fs[0].args, tuple(f.out for f in fs), domain)


@def_node(zip_p)
def _zip_impl(*fs):
    funs = [f.fun for f in fs]
    return FnValue(_zip_shape(*[f.type for f in fs]),
                   lambda *x: tuple(g(*x) for g in funs),
                   f"zip({', '.join(f.label for f in fs)})", captures_of(*fs))


split_p = Primitive("fn_split", multiple_results=True)


@split_p.def_shape
def _split_shape(f):
    if not isinstance(f.out, tuple):
        raise TypeError(f"split: {f.str_short()} is not tuple-valued")
    return [FnType(f.args, o, f.domain) for o in f.out]


def _picker(fun, i):
    return lambda *x: fun(*x)[i]


@def_node(split_p)
def _split_impl(f):
    types = _split_shape(f.type)
    return [FnValue(t, _picker(f.fun, i), f"{f.label}[{i}]", f.captures)
            for i, t in enumerate(types)]


# ---------------------------------------------------------------- partial

partial_p = Primitive("fn_partial")


@partial_p.def_shape
def _partial_shape(f, *vals, argnums):
    for v, j in zip(vals, argnums):
        if v.strip_weak() != f.args[j] and not (v.weak_type and v.shape == f.args[j].shape):
            raise TypeError(f"partial: argument {j} of {f.str_short()} is "
                            f"{f.args[j].str_short()}, got {v.str_short()}")
    rest = [k for k in range(f.nargs) if k not in argnums]
    return FnType(tuple(f.args[k] for k in rest), f.out, tuple(f.domain[k] for k in rest))


@def_node(partial_p)
def _partial_impl(f, *vals, argnums):
    t = _partial_shape(f.type, *[get_aval(v) for v in vals], argnums=argnums)
    n = f.type.nargs
    bound = dict(zip(argnums, vals))
    fun = f.fun

    def g(*x):
        it = iter(x)
        return fun(*[bound[k] if k in bound else next(it) for k in range(n)])
    return FnValue(t, g, f"partial({f.label})", captures_of(f, *vals))


def partial(f, vals, argnums):
    """``f`` with the arguments at ``argnums`` bound to the arrays ``vals``."""
    ft = fn_type(f)
    vals = [v if hasattr(v, "_trace") else np.asarray(v, ft.args[j].dtype)
            for v, j in zip(vals, argnums)]
    return apply(partial_p, f, *vals, argnums=tuple(argnums))


# ---------------------------------------------------------------- point evaluation

eval_p = Primitive("fn_eval")


@eval_p.def_shape
def _eval_shape(f, *xs, batch):
    if len(xs) != f.nargs:
        raise TypeError(f"{f.str_short()} takes {f.nargs} arguments, got {len(xs)}")
    lead = None
    for x, a in zip(xs, f.args):
        if x.ndim < batch or x.shape[batch:] != a.shape:
            raise TypeError(f"{f.str_short()} called with {x.str_short()}")
        if lead is not None and x.shape[:batch] != lead:
            raise TypeError("a function was called on arguments of different batch shapes")
        lead = x.shape[:batch]
    out = _single_out(f, "evaluating a traced function")
    return ShapedArray(tuple(lead or ()) + out.shape, out.dtype)


@eval_p.def_impl
def _eval_impl(f, *xs, batch):
    fun = f.fun
    for _ in range(batch):
        fun = vmap(fun)
    return fun(*xs)


def evaluate(f, *xs, batch: int = 0):
    """``f(*xs)``; ``batch`` leading axes of every x are evaluated pointwise."""
    return apply(eval_p, f, *xs, batch=batch)


# ---------------------------------------------------------------- integrate

integrate_p = Primitive("fn_integrate")


@integrate_p.def_shape
def _integrate_shape(f, *, argnums, quads):
    for k, q in zip(argnums, quads):
        if q is not None and q.arg_aval.shape != f.args[k].shape:
            raise TypeError(f"integrate: argument {k} of {f.str_short()} is "
                            f"{f.args[k].str_short()}, the quadrature's nodes are "
                            f"{q.arg_aval.str_short()}")
    if len(argnums) == f.nargs:
        return f.out
    rest = [k for k in range(f.nargs) if k not in argnums]
    return FnType(tuple(f.args[k] for k in rest), f.out, tuple(f.domain[k] for k in rest))


@integrate_p.def_impl
def _integrate_impl(f, *, argnums, quads):
    t = f.type
    if f.is_measure:                    # ∫ dμ: the atoms' weights plus the density's integral
        if len(argnums) != t.nargs:     # the marginal: atoms keep the other coordinates
            rest = [k for k in range(t.nargs) if k not in argnums]
            density = (None if f.density is None else
                       _integrate_impl(f.density, argnums=argnums, quads=quads))
            return type(f)(_integrate_shape(t, argnums=argnums, quads=quads), density,
                           tuple(f.points[k] for k in rest) if f.points else (), f.weights)
        out = 0.0 if f.weights is None else np.sum(f.weights, axis=0)
        if f.density is not None:
            out = out + _integrate_impl(f.density, argnums=argnums, quads=quads)
        return out
    quads = tuple(q if q is not None else t.domain[k] for k, q in zip(argnums, quads))
    check_quadratures(t, argnums, quads, "integrate", f.label)
    quads = tuple(q.astype(t.args[k].dtype) for k, q in zip(argnums, quads))
    if len(argnums) < t.nargs:
        return make_node(integrate_p, _partial_integral, (f,), dict(argnums=argnums,
                                                                     quads=quads))
    if isinstance(t.out, ShapedArray):          # Σ w·f over the grid, the values reused
        return contract(N.grid_values(f, quads), quads, tuple(range(t.nargs)))
    return quadrature_sum(f.fun, t.nargs, argnums, quads, ())


def contract(table, quads: tuple, axes: tuple):
    """The weights of ``quads`` summed against the table's ``axes``."""
    for ax, q in sorted(zip(axes, quads), key=lambda p: -p[0]):
        table = lnp.tensordot(table, q.weights, axes=([ax], [0]))
    return table


def _partial_integral(f, *, argnums, quads):
    t, n, fun = f.type, f.type.nargs, f.fun
    out = FnValue(_integrate_shape(t, argnums=argnums, quads=quads),
                  lambda *rest: quadrature_sum(fun, n, argnums, quads, rest),
                  f"integrate({f.label})", f.captures)
    if isinstance(t.out, ShapedArray):
        def rule(rest_quads):
            it, jt = iter(quads), iter(rest_quads)
            full = tuple(next(it) if k in argnums else next(jt) for k in range(n))
            return contract(N.grid_values(f, full), quads, argnums)
        N.set_grid_rule(out, rule)
    return out


def check_quadratures(t: FnType, argnums, quads, who: str, name: str) -> None:
    for k, q in zip(argnums, quads):
        if q is None:
            raise FunctionalError(
                f"{who}: argument {k} of the integrand {name} ({t.str_short()}) has no "
                "quadrature: pass one (lintra.functional.integrate(f, q)) or attach one to "
                "the function's domain (lintra.functional.function(..., domain=q))")
        if q.arg_aval.shape != t.args[k].shape:
            raise TypeError(f"{who}: argument {k} of {t.str_short()} is "
                            f"{t.args[k].str_short()}, the quadrature's nodes are "
                            f"{q.arg_aval.str_short()}")


def integrate(f, argnums: tuple, quads: tuple, who: str = "integrate"):
    """``∫ f`` over the arguments at ``argnums`` (ascending), each with its quadrature (None:
    the one on the function's domain, looked up when the value is known). A missing
    quadrature is an error that names the integrand and the argument."""
    t = fn_type(f)
    quads = tuple(q if q is not None else t.domain[k] for k, q in zip(argnums, quads))
    if isinstance(f, FnValue) and not (f.is_measure and f.density is None):
        check_quadratures(t, argnums, quads, who, f.label)
    for leaf in out_leaves(t.out):
        if not leaf.is_float:
            raise TypeError(f"{who}: the integrand returns {leaf.str_short()}, not floats")
    return apply(integrate_p, f, argnums=tuple(argnums), quads=tuple(quads))
