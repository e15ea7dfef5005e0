"""User-facing transformations, all derived from jvp, linearize and transpose."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import numpy as lnp
from .ad.jet import jet_flat
from .ad.jvp import jvp_flat
from .ad.linearity import check_linear
from .ad.linearize import linearize_flat, staged_first
from .ad.rules import UndefinedPrimal, Zero, instantiate
from .ad.transpose import backward_pass
from .core.errors import NonDifferentiableError
from .core.function import FnValue
from .core.pytree import flatten, leaf_paths, unflatten
from .core.staging import leaf_avals, trace_to_program
from .core.trace import Tracer, get_aval, trace_stack
from .eager import eager_vjp_flat
from .ops import taylor  # noqa: F401  (registers the Taylor-mode rules)
from .ops.base import stop_gradient as sg
from .vmap import vmap


def _flat_fun(f: Callable, in_tree, store: dict, has_aux: bool = False):
    """Wrap ``f(*pytree_args)`` as ``flat -> flat``; records the output tree in ``store``."""
    def flat(*leaves):
        out = f(*unflatten(in_tree, leaves))
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError("with has_aux=True the function must return a pair "
                                "(output, aux)")
            out, aux = out
            aux_leaves, store["aux_tree"] = flatten(aux)
        else:
            aux_leaves = []
        leaves_out, store["out_tree"] = flatten(out)
        store["n_out"] = len(leaves_out)
        return leaves_out + aux_leaves
    return flat


def _split_aux(store, flat_out):
    n = store["n_out"]
    main = unflatten(store["out_tree"], flat_out[:n])
    if "aux_tree" in store:
        return main, unflatten(store["aux_tree"], flat_out[n:])
    return main, None


def _tangent_check(p, t, where: str):
    pa = get_aval(p)
    if t is None or isinstance(t, Zero):
        return Zero(pa.strip_weak())
    if getattr(getattr(t, "dtype", None), "kind", None) == "V" and not pa.is_float:
        return Zero(pa.strip_weak())  # JAX's float0 tangent of an integer primal
    ta = get_aval(t)
    if not pa.is_float:
        if np.any(np.asarray(t) != 0):
            raise NonDifferentiableError(
                f"{where}: the primal is {pa.str_short()}, which has no tangent space; its "
                "tangent must be zero or None")
        return Zero(pa.strip_weak())
    if ta.shape != pa.shape:
        raise ValueError(f"{where}: tangent shape {ta.shape} does not match primal shape "
                         f"{pa.shape}")
    if ta.dtype != pa.dtype and not ta.weak_type:
        raise TypeError(f"{where}: tangent dtype {ta.dtype} does not match primal dtype "
                        f"{pa.dtype}")
    return t if ta.dtype == pa.dtype else np.asarray(t, pa.dtype)


def jvp(f: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False):
    """Forward mode: ``(f(*primals), J·tangents[, aux])``."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp takes primals and tangents as tuples (or lists) of arguments")
    p_flat, in_tree = flatten(tuple(primals))
    t_flat, t_tree = flatten(tuple(tangents))
    if in_tree != t_tree:
        raise ValueError(f"jvp: primals and tangents have different structures: {in_tree} "
                         f"vs {t_tree}")
    t_flat = [_tangent_check(p, t, f"jvp argument leaf {i}")
              for i, (p, t) in enumerate(zip(p_flat, t_flat))]
    store: dict = {}
    flat_fn = staged_first(_flat_fun(f, in_tree, store, has_aux), p_flat)
    outs, touts = jvp_flat(flat_fn, p_flat, t_flat)
    out, aux = _split_aux(store, outs)
    t_out = unflatten(store["out_tree"], [instantiate(t) for t in touts[:store["n_out"]]])
    return (out, t_out, aux) if has_aux else (out, t_out)


def linearize(f: Callable, *primals, has_aux: bool = False):
    """``(f(*primals), f_jvp[, aux])`` where ``f_jvp(*tangents)`` evaluates the linear
    program."""
    p_flat, in_tree = flatten(primals)
    store: dict = {}
    outs, lin = linearize_flat(_flat_fun(f, in_tree, store, has_aux), p_flat)
    n_out = store["n_out"]

    def f_jvp(*tangents):
        t_flat, t_tree = flatten(tangents)
        if t_tree != in_tree:
            raise ValueError(f"linearized function expects tangents of structure {in_tree}, "
                             f"got {t_tree}")
        t_flat = [_tangent_check(p, t, "linearized function")
                  for p, t in zip(p_flat, t_flat)]
        return unflatten(store["out_tree"],
                         [instantiate(t) for t in lin(*t_flat)[:n_out]])

    f_jvp.linear_function = lin  # type: ignore[attr-defined]
    out, aux = _split_aux(store, outs)
    return (out, f_jvp, aux) if has_aux else (out, f_jvp)


def _eager_ok(leaves) -> bool:
    """Differentiate eagerly (a tape, design §6) when nothing is being traced."""
    return len(trace_stack()) == 1 and not any(isinstance(x, (Tracer, FnValue)) for x in leaves)


def vjp(f: Callable, *primals, has_aux: bool = False):
    """``(f(*primals), f_vjp[, aux])``; ``f_vjp(cotangent)`` returns a tuple of cotangents."""
    p_flat, in_tree = flatten(primals)
    store: dict = {}
    flat_fn = _flat_fun(f, in_tree, store, has_aux)
    if _eager_ok(p_flat):
        outs, lin = eager_vjp_flat(flat_fn, p_flat)
    else:
        outs, lin = linearize_flat(flat_fn, p_flat)
    out, aux = _split_aux(store, outs)
    n_out = store["n_out"]
    out_avals = [get_aval(o).strip_weak() for o in outs[:n_out]]

    def f_vjp(cotangent):
        c_flat, c_tree = flatten(cotangent)
        if c_tree != store["out_tree"]:
            raise ValueError(f"vjp: cotangent structure {c_tree} does not match the output "
                             f"structure {store['out_tree']}")
        cts = []
        for i, (c, a) in enumerate(zip(c_flat, out_avals)):
            ca = get_aval(c)
            if ca.shape != a.shape:
                raise ValueError(f"vjp: cotangent {i} has shape {ca.shape}, the output has "
                                 f"shape {a.shape}")
            if ca.is_complex and not a.is_complex:
                raise TypeError(f"vjp: cotangent {i} is complex ({ca.str_short()}) but the "
                                f"output is real ({a.str_short()}): its cotangent is real")
            cts.append(np.asarray(c, a.dtype) if ca.dtype != a.dtype and a.is_float
                       and not hasattr(c, "_trace") else c)
        cts += [Zero(get_aval(o).strip_weak()) for o in outs[n_out:]]
        cts_in = lin.transpose(cts)
        return unflatten(in_tree, [instantiate(c) for c in cts_in])

    return (out, f_vjp, aux) if has_aux else (out, f_vjp)


def _argnums_tuple(argnums) -> tuple[int, ...]:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _check_differentiable(args, argnums, who: str, holomorphic: bool = False,
                          complex_ok: bool = True, allow_int: bool = False):
    """Inputs at ``argnums`` are floating point (complex too where ``complex_ok``: reverse
    mode; integers too with ``allow_int``); with ``holomorphic`` every one is complex (JAX's
    rules)."""
    for i in argnums:
        if i >= len(args):
            raise ValueError(f"{who}: argnums {i} but the function was called with "
                             f"{len(args)} positional arguments")
        leaves = flatten(args[i])[0]
        for aval in leaf_avals(leaves, lambda i=i: leaf_paths(args[i], f"argument {i}")):
            if allow_int and aval.dtype.kind in "biu":
                continue
            if not aval.is_float:
                raise NonDifferentiableError(
                    f"{who}: argument {i} has dtype {aval.dtype}; only floating-point inputs "
                    "can be differentiated (convert it with .astype(float), or leave it out "
                    "of argnums)")
            if holomorphic and not aval.is_complex:
                raise NonDifferentiableError(
                    f"{who} with holomorphic=True requires complex inputs; argument {i} has "
                    f"dtype {aval.dtype} (convert it with .astype(complex))")
            if aval.is_complex and not (holomorphic or complex_ok):
                raise NonDifferentiableError(
                    f"{who} requires real-valued inputs; argument {i} has dtype {aval.dtype}. "
                    f"For holomorphic functions pass holomorphic=True; for non-holomorphic "
                    f"functions of complex inputs use jvp directly")


def _check_output(aval, who: str, holomorphic: bool):
    """Reverse mode seeds real outputs, or complex ones of holomorphic functions (JAX)."""
    if not aval.is_float:
        raise NonDifferentiableError(f"{who} requires a floating-point output, got "
                                     f"{aval.str_short()}")
    if holomorphic and not aval.is_complex:
        raise NonDifferentiableError(f"{who} with holomorphic=True requires a complex output, "
                                     f"got {aval.str_short()}")
    if aval.is_complex and not holomorphic:
        raise NonDifferentiableError(
            f"{who} requires real-valued outputs, got {aval.str_short()}. For holomorphic "
            "functions pass holomorphic=True; for non-holomorphic functions with complex "
            "outputs use vjp directly (or differentiate real(f) and imag(f))")


def _partial_args(f, args, kwargs, argnums):
    def g(*dyn):
        full = list(args)
        for i, d in zip(argnums, dyn):
            full[i] = d
        return f(*full, **kwargs)
    return g, tuple(args[i] for i in argnums)


FLOAT0 = np.dtype([("float0", np.void, 0)])    # JAX's dtype of an integer's (co)tangent


def _float0_ints(ct, primal):
    """With ``allow_int``, an integer input's gradient is a float0 zero array (JAX). A traced
    program cannot carry float0 values, so under ``jit``/``vmap`` it stays the integer zero
    that ``vjp`` gives every integer input."""
    p_leaves, tree = flatten(primal)
    c_leaves = flatten(ct)[0]
    if any(isinstance(x, Tracer) for x in p_leaves + c_leaves):
        return ct
    return unflatten(tree, [np.zeros(np.shape(p), FLOAT0) if get_aval(p).dtype.kind in "biu"
                            else c for p, c in zip(p_leaves, c_leaves)])


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
                   holomorphic: bool = False, allow_int: bool = False) -> Callable:
    """``(f(x), grad(f)(x))``. A real output's gradient with respect to complex ``z = x + iy``
    is ``df/dx - i df/dy`` (JAX's convention); ``holomorphic=True`` gives ``f'(z)`` of a
    complex-valued holomorphic ``f``; ``allow_int=True`` accepts integer inputs, whose
    gradient is a float0 zero array."""
    nums = _argnums_tuple(argnums)

    @functools.wraps(f)
    def vg(*args, **kwargs):
        _check_differentiable(args, nums, "grad", holomorphic, allow_int=allow_int)
        g, dyn = _partial_args(f, args, kwargs, nums)
        res = vjp(g, *dyn, has_aux=has_aux)
        out, f_vjp = res[0], res[1]
        leaves = flatten(out)[0]
        aval = get_aval(leaves[0]) if len(leaves) == 1 else None
        if aval is None or aval.shape != ():
            raise TypeError("grad requires a function with a scalar output; got "
                            + (aval.str_short() if aval is not None else
                               f"a pytree of {len(leaves)} values")
                            + ". Use jacrev for vector outputs, or vjp.")
        _check_output(aval, "grad", holomorphic)
        cts = f_vjp(np.ones((), aval.dtype) if not isinstance(out, (list, tuple, dict))
                    else unflatten(flatten(out)[1], [np.ones((), aval.dtype)]))
        if allow_int:
            cts = [_float0_ints(c, d) for c, d in zip(cts, dyn)]
        grads = cts[0] if isinstance(argnums, int) else tuple(cts)
        value = (out, res[2]) if has_aux else out
        return value, grads

    return vg


def grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
         holomorphic: bool = False, allow_int: bool = False) -> Callable:
    """Gradient of a scalar-valued function: linearize, then transpose (complex inputs and
    ``holomorphic``: see ``value_and_grad`` and the README)."""
    vg = value_and_grad(f, argnums, has_aux, holomorphic, allow_int)

    @functools.wraps(f)
    def g(*args, **kwargs):
        (value, grads) = vg(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return g


def _std_basis(avals: list) -> list:
    """One batch of unit vectors covering every element of every leaf: leaf j's batch has
    shape (N, *shape_j), N = total size, nonzero only in leaf j's block."""
    sizes = [a.size for a in avals]
    n = sum(sizes)
    out, start = [], 0
    for a, k in zip(avals, sizes):
        e = np.zeros((n, k), a.dtype)
        e[start:start + k] = np.eye(k, dtype=a.dtype)
        out.append(e.reshape((n,) + tuple(a.shape)))
        start += k
    return out


def _blocks(batched, avals: list) -> list:
    """Split a batched result (N, ...) along N into one block of rows per leaf of ``avals``."""
    blocks, start = [], 0
    for a in avals:
        blocks.append(batched[start:start + a.size])
        start += a.size
    return blocks


def _jac_block(rows, rows_shape, cols_shape, rows_first: bool):
    """``rows`` (k, *cols_shape) for k elements of a leaf of shape ``rows_shape`` -> the
    Jacobian block (*rows_shape, *cols_shape) (``rows_first``) or (*cols_shape, *rows_shape)."""
    rows = lnp.reshape(rows, tuple(rows_shape) + tuple(cols_shape))
    if rows_first:
        return rows
    nr = len(rows_shape)
    perm = tuple(range(nr, nr + len(cols_shape))) + tuple(range(nr))
    return lnp.transpose(rows, perm)


def jacfwd(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False) -> Callable:
    """Jacobian by forward mode: the JVP along every input direction at once, as one
    ``vmap`` of ``jvp`` (it works through anything forward mode works through, ``while_loop``
    included)."""
    nums = _argnums_tuple(argnums)

    def jac(*args, **kwargs):
        _check_differentiable(args, nums, "jacfwd", holomorphic, complex_ok=False)
        g, dyn = _partial_args(f, args, kwargs, nums)
        d_leaves, d_tree = flatten(dyn)
        in_avals = [get_aval(x).strip_weak() for x in d_leaves]
        store: dict = {}

        def push(*tangents):
            out, t_out, *aux = jvp(g, dyn, unflatten(d_tree, tangents), has_aux)
            store["out_tree"] = flatten(out)[1]
            store["out_avals"] = [get_aval(o) for o in flatten(out)[0]]
            if holomorphic:
                for a in store["out_avals"]:
                    _check_output(a, "jacfwd", True)
            return flatten(t_out)[0], aux  # aux is the same along every direction

        if sum(a.size for a in in_avals) == 0:          # no directions: zero-size Jacobians
            out, *aux = g(*dyn) if has_aux else (g(*dyn),)
            out_leaves, out_tree = flatten(out)
            per_in = [[np.zeros(tuple(get_aval(o).shape) + tuple(a.shape), a.dtype)
                       for o in out_leaves] for a in in_avals]
            res = _assemble(per_in, out_tree, d_tree, isinstance(argnums, int))
            return (res, aux[0]) if has_aux else res
        t_batched, aux = vmap(push, out_axes=(0, None))(*_std_basis(in_avals))
        per_in = [[] for _ in in_avals]
        for t, oa in zip(t_batched, store["out_avals"]):
            for j, (blk, a) in enumerate(zip(_blocks(t, in_avals), in_avals)):
                per_in[j].append(_jac_block(blk, a.shape, oa.shape, rows_first=False))
        res = _assemble(per_in, store["out_tree"], d_tree, isinstance(argnums, int))
        return (res, aux[0]) if has_aux else res

    return jac


def jacrev(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False) -> Callable:
    """Jacobian by reverse mode: the transpose of the linear map along every output direction
    at once, as one ``vmap`` of the ``vjp``."""
    nums = _argnums_tuple(argnums)

    def jac(*args, **kwargs):
        _check_differentiable(args, nums, "jacrev", holomorphic)
        g, dyn = _partial_args(f, args, kwargs, nums)
        out, f_vjp, *aux = vjp(g, *dyn, has_aux=has_aux)
        out_leaves, out_tree = flatten(out)
        for o in out_leaves:
            _check_output(get_aval(o), "jacrev", holomorphic)
        d_leaves, d_tree = flatten(dyn)
        in_avals = [get_aval(x).strip_weak() for x in d_leaves]
        out_avals = [get_aval(o).strip_weak() for o in out_leaves]
        if sum(a.size for a in out_avals) == 0:
            per_in = [[np.zeros(tuple(oa.shape) + tuple(a.shape), a.dtype) for oa in out_avals]
                      for a in in_avals]
            res = _assemble(per_in, out_tree, d_tree, isinstance(argnums, int))
            return (res, aux[0]) if has_aux else res

        def pull(*cts):
            return flatten(f_vjp(unflatten(out_tree, cts)))[0]

        g_batched = vmap(pull)(*_std_basis(out_avals))
        per_in = []
        for gj, a in zip(g_batched, in_avals):
            per_in.append([_jac_block(blk, oa.shape, a.shape, rows_first=True)
                           for blk, oa in zip(_blocks(gj, out_avals), out_avals)])
        res = _assemble(per_in, out_tree, d_tree, isinstance(argnums, int))
        return (res, aux[0]) if has_aux else res

    return jac


def _assemble(per_in, out_tree, d_tree, single_arg: bool):
    """per_in[j][i] = d out_i / d in_j  ->  output pytree of input pytrees."""
    n_out = len(per_in[0]) if per_in else 0
    by_out = []
    for i in range(n_out):
        in_struct = unflatten(d_tree, [per_in[j][i] for j in range(len(per_in))])
        by_out.append(in_struct[0] if single_arg else in_struct)
    return unflatten(out_tree, by_out)


def hessian(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
            holomorphic: bool = False) -> Callable:
    """Forward-over-reverse: ``jacfwd(jacrev(f))``."""
    return jacfwd(jacrev(f, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)


def linear_transpose(f: Callable, *primals) -> Callable:
    """The transpose of a linear function ``f``, traced at the types of ``primals``.

    ``f`` is checked to be structurally linear; a non-linear ``f`` is an error."""
    p_flat, in_tree = flatten(primals)
    avals = [get_aval(p).strip_weak() for p in p_flat]
    for a in avals:
        if not a.is_float:
            raise NonDifferentiableError(f"linear_transpose: inputs must be floating point, "
                                         f"got {a.str_short()}")
    store: dict = {}
    program, consts = trace_to_program(_flat_fun(f, in_tree, store), avals, "linear")
    n_const = len(consts)
    check_linear(program, [False] * n_const + [True] * len(avals))
    out_avals = program.out_avals

    def f_t(cotangent):
        c_flat, c_tree = flatten(cotangent)
        if c_tree != store["out_tree"]:
            raise ValueError(f"linear_transpose: cotangent structure {c_tree} does not "
                             f"match the output structure {store['out_tree']}")
        for c, a in zip(c_flat, out_avals):
            if get_aval(c).shape != a.shape:
                raise ValueError(f"linear_transpose: cotangent shape {get_aval(c).shape} "
                                 f"does not match output shape {a.shape}")
        args = list(consts) + [UndefinedPrimal(a) for a in avals]
        cts = backward_pass(program, args, c_flat)
        return unflatten(in_tree, [instantiate(c) for c in cts])

    return f_t


def stop_gradient(x):
    return sg(x)




def jet(f: Callable, primals: Sequence, series: Sequence) -> tuple[Any, Any]:
    """Taylor mode: ``(f(*primals), series_out)`` with JAX's convention: the inputs follow
    x(t) = x₀ + Σₖ series[i][k−1]·tᵏ/k!, and ``series_out`` holds, per output leaf, the K
    derivative coefficients of f(x(t)) at t = 0 (for series = [[1, 0, …]]: f', f'', …).
    Costs O(K²) per primitive where nested ``jvp`` costs 2ᴷ."""
    if len(primals) != len(series):
        raise ValueError(f"jet: {len(primals)} primals but {len(series)} series")
    p_flat, in_tree = flatten(tuple(primals))
    orders = {len(s) for s in series}
    if len(orders) != 1:
        raise ValueError("jet: every input's series must have the same length")
    (order,) = orders
    per_leaf: list = []
    for p, s in zip(primals, series):
        n_leaves = len(flatten(p)[0])
        terms = [flatten(t)[0] for t in s]
        if any(len(t) != n_leaves for t in terms):
            raise ValueError("jet: each series term must have its primal's structure")
        per_leaf.extend([[_normalized(t[i], k) for k, t in enumerate(terms, start=1)]
                         for i in range(n_leaves)])
    store: dict = {}
    outs, out_series = jet_flat(_flat_fun(f, in_tree, store), p_flat, per_leaf, order)
    terms_out = [[_derivative_scaled(c, o, k) for k, c in enumerate(s, start=1)]
                 for o, s in zip(outs, out_series)]
    return unflatten(store["out_tree"], outs), unflatten(store["out_tree"], terms_out)


def _normalized(term, k: int):
    return term * (1.0 / math.factorial(k)) if isinstance(term, Tracer) else \
        np.asarray(term) / math.factorial(k)


def _derivative_scaled(c, out, k: int):
    if c is None:
        return np.zeros(np.shape(out), get_aval(out).dtype)
    return c * float(math.factorial(k))
