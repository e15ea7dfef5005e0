"""``lintra.functional``: functions as differentiable values (design §7).

A ``Function`` is a value with a type (``FnType``); functionals are plain Python over the
operators below, and ``lintra.grad`` of a functional returns its functional derivative δF/δf
as a callable Function. Cotangents pair with tangents by the L² inner product ∫ u·v, so
``grad`` gives the density of the derivative (what variational calculus writes δF/δf).

    q = lf.gauss_legendre(0.0, 1.0, n=64)
    f = lf.function(lnp.sin)
    F = lambda f: lf.integrate(lnp.exp(f) + lf.nabla(f) ** 2, q)
    dF = lintra.grad(F)(f)                  # a Function: e^f − 2 f''
    dF(0.3); lintra.vmap(dF)(q.nodes)

Integration is always by an explicit quadrature (an argument, or the one attached to the
function's domain): integrating without one is an error, never a silent zero.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.avals import DEFAULT_FLOAT, ShapedArray
from ..core.function import FnType, FnValue
from . import calculus as C
from . import primitives as P
from . import rules  # noqa: F401  (registers the operators' derivative and batching rules)
from .function import (
    Function,
    PointMass,
    as_function,
    compose_unshared,
    function,
    parse_signature,
    payload,
)
from .materialize import materialize
from .primitives import FunctionalError, fn_type
from .quadrature import Quadrature, as_quadratures, gauss_legendre, product, trapezoid, uniform

__all__ = ["Function", "FnType", "FunctionalError", "PointMass", "Quadrature", "braket",
           "broadcast_arg", "compose", "constant", "function", "gauss_legendre", "integrate",
           "linear_transpose", "linearize", "materialize", "nabla", "partial", "permute_args",
           "product", "split", "trapezoid", "uniform", "zip"]


def _argnums(argnums, n: int, who: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    out = []
    for k in nums:
        k = int(k)
        if not -n <= k < n:
            raise ValueError(f"{who}: argnums {k} out of range for a function of {n} "
                             "arguments")
        out.append(k % n)
    if len(set(out)) != len(out):
        raise ValueError(f"{who}: repeated argnums {nums}")
    return tuple(out)


def compose(f: Any, *gs: Any, share_inputs: bool = False) -> Function:
    """``x ↦ f(g1(x1), …, gn(xn))`` (the arguments of the gs concatenated), or with
    ``share_inputs=True`` ``x ↦ f(g1(x), …, gn(x))``. ``f`` may be a plain callable."""
    if not gs:
        raise TypeError("compose needs at least one inner function")
    g_vals = [payload(g, "compose") for g in gs]
    outer = as_function(f, "compose", like=[fn_type(g).out for g in g_vals]).value
    if share_inputs or len(g_vals) == 1:
        t = fn_type(g_vals[0])
        for g in g_vals[1:]:
            if fn_type(g).args != t.args:
                raise TypeError("compose(share_inputs=True): the inner functions take "
                                "different arguments")
        return Function(P.compose(outer, *g_vals, args=t.args, domain=t.domain))
    return Function(compose_unshared(outer, g_vals))


def nabla(f: Function, argnums: int = 0, boundary: bool = False) -> Function:
    """The gradient (Jacobian) function ``x ↦ ∂f/∂x_argnums``, of shape result + argument.

    Its transpose (used by ``grad``) is −div: integration by parts *assuming the boundary
    terms vanish* (the cotangent or the tangent is zero on the domain's boundary, or the
    domain is periodic). Where they do not, the functional derivative misses them; with
    ``boundary=True`` it keeps them, as point masses on the boundary: ∫ₐᵇ c·t' =
    c(b)t(b) − c(a)t(a) − ∫ₐᵇ c'·t (functions of one scalar argument on a quadrature
    whose domain is the interval [a, b]; the gradient is then an ``lf.PointMass``)."""
    v = payload(f, "nabla")
    (k,) = _argnums(argnums, fn_type(v).nargs, "nabla")
    return Function(C.nabla(v, k, boundary))


def linearize(f: Function, argnums: int | Sequence[int] = 0) -> Function:
    """The pointwise linearization ``(x…, ẋ_argnums…) ↦ ∂f(x)·ẋ`` as a Function."""
    v = payload(f, "linearize")
    return Function(C.linearize(v, _argnums(argnums, fn_type(v).nargs, "linearize")))


def linear_transpose(f: Function, argnums: int = 0) -> Function:
    """For ``f`` linear in argument ``argnums``: ``(other args…, ct) ↦ (∂f/∂x)ᵀ ct``."""
    v = payload(f, "linear_transpose")
    if not isinstance(argnums, int):
        (argnums,) = argnums
    (k,) = _argnums(argnums, fn_type(v).nargs, "linear_transpose")
    return Function(C.linear_transpose(v, k))


def integrate(f: Function, quad: Quadrature | Sequence[Quadrature] | None = None,
              argnums: int | Sequence[int] | None = None) -> Any:
    """``∫ f`` by quadrature over the arguments at ``argnums`` (all by default): an array
    when all are integrated, else a Function of the rest. ``quad`` is one rule for every
    integrated argument or one per argument; without it, the function's domain's. No
    quadrature is an error that names the integrand."""
    v = payload(f, "integrate")
    t = fn_type(v)
    nums = tuple(range(t.nargs)) if argnums is None else _argnums(argnums, t.nargs,
                                                                 "integrate")
    given = as_quadratures(quad, len(nums), "integrate")
    pairs = sorted(builtins.zip(nums, given))
    nums = tuple(k for k, _ in pairs)
    quads = tuple(q if q is not None else t.domain[k] for k, q in pairs)
    out = P.integrate(v, nums, quads)
    return Function(out) if len(nums) < t.nargs else out


def braket(f: Function, g: Function, quad: Quadrature | None = None) -> Any:
    """⟨f, g⟩ = ∫ f·g over all arguments."""
    return integrate(as_function(f, "braket") * as_function(g, "braket"), quad)


def partial(f: Function, *args: Any, argnums: int | Sequence[int] | None = None) -> Function:
    """Bind arguments like ``functools.partial``: the leading ones, or those at ``argnums``.
    The bound arrays stay differentiable (their cotangent integrates over the others)."""
    v = payload(f, "partial")
    n = fn_type(v).nargs
    nums = tuple(range(len(args))) if argnums is None else _argnums(argnums, n, "partial")
    if len(nums) != len(args):
        raise ValueError(f"partial: {len(args)} values for argnums {nums}")
    return Function(P.partial(v, list(args), nums))


def permute_args(f: Function, perm: Sequence[int]) -> Function:
    """``x ↦ f(*(x[p] for p in perm))``."""
    return Function(P.permute_args(payload(f, "permute_args"), perm))


def zip(*fs: Function) -> Function:  # noqa: A001
    """``x ↦ (f1(x), f2(x), …)`` (the functions take the same arguments); transpose: split."""
    return Function(P.zip_p.bind(*[payload(f, "zip") for f in fs]))


def split(f: Function) -> tuple[Function, ...]:
    """A tuple-valued function as a tuple of functions; transpose: zip."""
    return tuple(Function(p) for p in P.split_p.bind(payload(f, "split")))


def broadcast_arg(f: Function, target: Function | FnType, argnums: int | Sequence[int]
                  ) -> Function:
    """``f`` lifted to ``target``'s arguments: ``x ↦ f(x[argnums])``. When ``target`` takes
    one vector (say ``"(2)->()"``) and ``f`` scalars, ``argnums`` picks coordinates instead:
    ``z ↦ f(z[argnums])``. The transpose integrates out the other arguments (coordinates)
    with the quadratures of the cotangent's domain (a product rule's factors)."""
    tt = target if isinstance(target, FnType) else fn_type(payload(target, "broadcast_arg"))
    v = payload(f, "broadcast_arg")
    ft = fn_type(v)
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if (tt.nargs == 1 and len(tt.args[0].shape) == 1 and len(nums) == ft.nargs
            and all(a.shape == () for a in ft.args)):
        d = tt.args[0].shape[0]
        projections = [FnValue(FnType(tt.args, ShapedArray((), tt.args[0].dtype), tt.domain),
                               _coordinate(int(k) % d), f"z[{int(k) % d}]") for k in nums]
        return Function(P.compose(v, *projections, args=tt.args, domain=tt.domain))
    nums = _argnums(nums, tt.nargs, "broadcast_arg")
    return Function(P.broadcast_arg(v, tt, nums))


def _coordinate(k: int):
    return lambda z: z[k]


def constant(value: Any, like: Function | FnType | str) -> Function:
    """The function of ``like``'s arguments (a Function, FnType or signature) that returns
    ``value`` everywhere."""
    if isinstance(like, str):
        shapes, _ = parse_signature(like)
        like = FnType(tuple(ShapedArray(sh, DEFAULT_FLOAT) for sh in shapes),
                      ShapedArray((), DEFAULT_FLOAT))
    t = like if isinstance(like, FnType) else fn_type(payload(like, "constant"))
    if not hasattr(value, "_trace"):
        value = np.asarray(value, t.args[0].dtype if t.args else None)
    return Function(P.constant(value, t))
