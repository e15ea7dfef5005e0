"""The transpose of ``compose`` with respect to its outer function, for inner functions that
select coordinates (``f(lambda z: z[0])`` lifts f(x) to the plane).

⟨ct, f∘g⟩ = ∫ ct(x) f(g(x)) dx = ∫ f(y) (g₊ct)(y) dy: the cotangent of f is the pushforward
of ct by g. When g picks coordinates of x, the pushforward integrates ct over the
coordinates g drops, with the quadratures of ct's domain (the factors of a product rule).
Other inner functions need an inverse or a measure-valued cotangent (the next step).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import numpy as lnp
from ..api import jacfwd, jvp
from ..core.avals import ShapedArray
from ..core.function import FnType, FnValue
from . import primitives as P
from .primitives import FunctionalError

_NOT_A_PROJECTION = (
    "compose: the gradient with respect to the outer function f of f∘g is the pushforward "
    "of the cotangent by g; it is available when each inner function selects coordinates "
    "of its arguments (like lambda z: z[0]), not for {what}")


def _coordinates(args) -> list[tuple[int, int | None]]:
    """Global coordinates of the arguments: (argument, index or None for a scalar)."""
    out = []
    for k, a in enumerate(args):
        if a.shape == ():
            out.append((k, None))
        elif len(a.shape) == 1:
            out.extend((k, j) for j in range(a.shape[0]))
        else:
            raise FunctionalError(_NOT_A_PROJECTION.format(
                what=f"arguments of shape {a.shape}"))
    return out


def _selection(g: Any, arg_coords: list) -> list:
    """For a concrete g that picks coordinates: the global coordinate of each output entry."""
    if not isinstance(g, FnValue) or g.captures:
        raise FunctionalError(_NOT_A_PROJECTION.format(what="a traced inner function"))
    t = g.type
    sizes = [max(1, a.size) for a in t.args]
    n = sum(sizes)

    def flat(v):
        parts, i = [], 0
        for a, m in zip(t.args, sizes):
            parts.append(lnp.reshape(v[i:i + m], a.shape))
            i += m
        return lnp.reshape(g.fun(*parts), (-1,))

    rng = np.random.default_rng(0)
    points = [rng.uniform(0.1, 0.9, n) for _ in range(2)]
    jacs = [np.asarray(jacfwd(flat)(p)) for p in points]
    J = jacs[0]
    linear = all(np.allclose(np.asarray(flat(p)), J @ p, rtol=0, atol=1e-12) for p in points)
    if not (linear and np.array_equal(J, jacs[1]) and np.isin(J, (0.0, 1.0)).all()
            and (J.sum(axis=1) == 1).all()):
        raise FunctionalError(_NOT_A_PROJECTION.format(what=f"{g.label}, which does not"))
    return [arg_coords[int(np.argmax(row))] for row in J]


def all_selections(gs, maps, args) -> bool:
    """Whether every inner function selects coordinates (then the pushforward is exact as a
    function: integrating out the dropped coordinates)."""
    try:
        coords = _coordinates(args)
        by_arg = [[c for c in coords if c[0] == k] for k in range(len(args))]
        for g, m in zip(gs, maps):
            _selection(g, [c for k in m for c in by_arg[k]])
    except FunctionalError:
        return False
    return True


def _assemble(arg: ShapedArray, coords: list, source: dict):
    """The function (y…, t…) -> one outer argument, from the coordinates' sources."""
    def build(*vals):
        entries = [_read(vals, source[c]) for c in coords]
        return entries[0] if arg.shape == () else lnp.stack(entries)
    return build


def _read(vals, where):
    pos, idx = where
    return vals[pos] if idx is None else vals[pos][idx]


def outer_transpose(ct, f_type: FnType, gs, maps, args):
    """The pushforward of ``ct`` (a function of ``args``) by the coordinate selections
    ``gs``: a function of ``f_type``'s arguments."""
    coords = _coordinates(args)
    by_arg = [[c for c in coords if c[0] == k] for k in range(len(args))]
    source: dict = {}
    for i, (g, m) in enumerate(zip(gs, maps)):
        local = [c for k in m for c in by_arg[k]]
        for r, c in enumerate(_selection(g, local)):
            if c in source:
                raise FunctionalError(_NOT_A_PROJECTION.format(
                    what="inner functions that read one coordinate twice"))
            source[c] = (i, None if f_type.args[i].shape == () else r)
    dropped = [c for c in coords if c not in source]
    domain = P.fn_type(ct).domain
    quads = []
    for j, (k, idx) in enumerate(dropped):
        q = domain[k]
        if q is not None and idx is not None:
            q = q.factors[idx] if len(q.factors) == args[k].shape[0] else None
        if q is None:
            raise FunctionalError(
                f"compose: integrating out coordinate {idx} of argument {k} (dropped by the "
                "inner function) needs a product quadrature on the cotangent's domain "
                "(lintra.functional.product(q1, q2, …))")
        quads.append(q)
        source[(k, idx)] = (len(gs) + j, None)
    n_y = len(gs)
    t_avals = tuple(ShapedArray((), args[k].dtype) for k, _ in dropped)
    all_args = tuple(f_type.args) + t_avals
    embeds = [FnValue(FnType(all_args, a), _assemble(a, by_arg[k], source), f"x{k}")
              for k, a in enumerate(args)]
    h = P.compose(ct, *embeds, args=all_args, domain=(None,) * n_y + tuple(quads))
    if not dropped:
        return h
    return P.integrate(h, tuple(range(n_y, len(all_args))), tuple(quads),
                       "compose (pushforward)")


def _abs_det_jacobian(inv: FnValue):
    a = inv.type.args[0]
    if a.shape == ():
        return lambda y: lnp.abs(jvp(inv.fun, (y,), (lnp.ones_like(y),))[1])
    return lambda y: lnp.abs(lnp.linalg.det(jacfwd(inv.fun)(y)))


def change_of_variables(ct, f_type: FnType, g: FnValue):
    """The pushforward of the density ``ct`` by an invertible g: (ct·|det ∇g⁻¹|)∘g⁻¹."""
    inv = g.inverse
    y = f_type.args[0]
    jac = FnValue(FnType((y,), ShapedArray((), y.dtype)), _abs_det_jacobian(inv), "|det ∇h⁻¹|")
    pulled = P.compose(ct, inv, args=(y,), domain=(None,))
    scale = FnValue(FnType((pulled_out(ct), ShapedArray((), y.dtype)), pulled_out(ct)),
                    lambda c, d: c * d, "mul")
    return P.compose(scale, pulled, jac, args=(y,), domain=(None,))


def pulled_out(ct):
    return P.fn_type(ct).out


def invertible(gs, maps, args) -> bool:
    """One inner function of all the arguments, with a declared inverse."""
    return (len(gs) == 1 and len(args) == 1 and isinstance(gs[0], FnValue)
            and gs[0].inverse is not None)
