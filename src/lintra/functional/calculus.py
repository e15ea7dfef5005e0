"""The calculus operators on function values: ``linearize``, ``linear_transpose`` and
``nabla`` (their type rules and impls; their derivative rules are in ``rules.py``).

``nabla`` of a concrete function differentiates the function's staged program once, so ∇ⁿ
costs O(n) per order instead of re-tracing nested closures; each is a derivative node, so
differentiating a materialized function past its interpolant's order is an error.
"""

from __future__ import annotations

import numpy as np

from .. import numpy as lnp
from ..ad.jvp import jvp_program
from ..ad.rules import Zero
from ..api import jacfwd, jvp, vjp
from ..core.avals import ShapedArray
from ..core.errors import LintraError
from ..core.eval import eval_program
from ..core.function import FnType, FnValue
from ..core.primitive import Primitive
from ..core.pytree import tree_map
from ..core.staging import trace_to_program
from ..core.trace import get_aval
from .primitives import _single_out, apply, def_node

# ---------------------------------------------------------------- linearize

linearize_p = Primitive("fn_linearize")


@linearize_p.def_shape
def _linearize_shape(f, *, argnums):
    return FnType(f.args + tuple(f.args[i] for i in argnums), f.out,
                  f.domain + (None,) * len(argnums))


@def_node(linearize_p, derivative=True)
def _linearize_impl(f, *, argnums):
    fun, n = f.fun, f.type.nargs

    def lin(*x):
        tangents = [Zero(get_aval(v).strip_weak()) for v in x[:n]]
        for k, i in enumerate(argnums):
            tangents[i] = x[n + k]
        return jvp(fun, tuple(x[:n]), tuple(tangents))[1]
    return FnValue(_linearize_shape(f.type, argnums=argnums), lin, f"linearize({f.label})",
                   f.captures)


def linearize(f, argnums=(0,)):
    """The pointwise linearization ``(x…, ẋ_argnums…) ↦ ∂f(x)·ẋ``."""
    argnums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    return apply(linearize_p, f, argnums=argnums)


# ---------------------------------------------------------------- linear_transpose

transpose_p = Primitive("fn_linear_transpose")


@transpose_p.def_shape
def _transpose_shape(f, *, argnum):
    out = _single_out(f, "linear_transpose")
    others = tuple(a for k, a in enumerate(f.args) if k != argnum)
    dom = tuple(d for k, d in enumerate(f.domain) if k != argnum)
    return FnType(others + (out,), f.args[argnum], dom + (None,))


@def_node(transpose_p)
def _transpose_impl(f, *, argnum):
    fun, t = f.fun, f.type
    a = t.args[argnum]

    def transposed(*x):
        others, ct = x[:-1], x[-1]

        def at(v):
            full = list(others)
            full.insert(argnum, v)
            return fun(*full)
        return vjp(at, np.zeros(a.shape, a.dtype))[1](ct)[0]
    return FnValue(_transpose_shape(t, argnum=argnum), transposed,
                   f"linear_transpose({f.label})", f.captures)


def linear_transpose(f, argnum: int = 0):
    """The pointwise transpose of ``f``, linear in argument ``argnum``:
    ``(other args…, ct) ↦ (∂f/∂x_argnum)ᵀ ct``."""
    return apply(transpose_p, f, argnum=int(argnum))


# ---------------------------------------------------------------- nabla

nabla_p = Primitive("fn_nabla")


def _jac_aval(out: ShapedArray, a: ShapedArray) -> ShapedArray:
    return ShapedArray(out.shape + a.shape, out.dtype)


@nabla_p.def_shape
def _nabla_shape(f, *, argnum, boundary=False):
    a = f.args[argnum]
    if not a.is_float:
        raise TypeError(f"nabla: argument {argnum} of {f.str_short()} is not floating-point")
    out = tree_map(lambda o: _jac_aval(o, a), f.out, is_leaf=lambda o: isinstance(o,
                                                                                  ShapedArray))
    return FnType(f.args, out, f.domain)


@def_node(nabla_p, derivative=True)
def _nabla_impl(f, *, argnum, boundary=False):
    fun, t = f.fun, f.type
    if t.args[argnum].shape == () and not isinstance(t.out, tuple):
        staged = None if f.captures else _staged(f)
        grad_fun = (_scalar_derivative(fun, t, argnum) if staged is None
                    else _program_derivative(staged, t, argnum))
    else:
        grad_fun = jacfwd(fun, argnums=argnum)
    return FnValue(_nabla_shape(t, argnum=argnum), grad_fun, f"nabla({f.label})", f.captures)


def _scalar_derivative(fun, t: FnType, argnum: int):
    def grad_fun(*x):
        tangents = [Zero(get_aval(v).strip_weak()) for v in x]
        tangents[argnum] = np.ones((), t.args[argnum].dtype)
        return jvp(fun, x, tangents)[1]
    return grad_fun


def _staged(f: FnValue):
    """``f`` staged once into a program (CSE'd): a derivative of it is then the JVP of a
    small program, so ∇ⁿ costs O(n) per order instead of re-tracing nested closures
    (whose work grows geometrically with n)."""
    try:
        program, consts = trace_to_program(lambda *x: [f.fun(*x)], list(f.type.args),
                                           f.label)
    except (LintraError, TypeError, ValueError):
        return None          # e.g. Python control flow on the value: differentiated eagerly
    return None if consts else program


def _program_derivative(program, t: FnType, argnum: int):
    nonzero = tuple(k == argnum for k in range(t.nargs))
    jprog, out_nonzero = jvp_program(program, nonzero)
    one = np.ones((), t.args[argnum].dtype)
    zero = np.zeros(t.out.shape, t.out.dtype)

    def grad_fun(*x):
        outs = eval_program(jprog, list(x) + [one])
        return outs[1] if out_nonzero[0] else zero
    return grad_fun


def nabla(f, argnum: int = 0, boundary: bool = False):
    """``x ↦ ∂f/∂x_argnum`` (the Jacobian: result shape + argument shape)."""
    if boundary:
        return apply(nabla_p, f, argnum=int(argnum), boundary=True)
    return apply(nabla_p, f, argnum=int(argnum))


def minus_divergence(in_shape: tuple, out: ShapedArray, dtype) -> FnValue:
    """``J ↦ −Σ_k J[..., k, k]`` over the two trailing argument-shaped groups (the pointwise
    part of ∇ᵀ = −div)."""
    m = int(np.prod(in_shape, dtype=np.int64))
    j_aval = ShapedArray(out.shape + in_shape + in_shape, dtype)

    def contract(J):
        if m == 1:
            return -lnp.reshape(J, out.shape)
        flat = lnp.reshape(J, out.shape + (m, m))
        return -lnp.trace(flat, axis1=-2, axis2=-1)
    return FnValue(FnType((j_aval,), out), contract, "-trace")
