"""User-defined derivative rules: ``custom_jvp`` and ``custom_vjp``.

Both stage the primal function once per input types into a program and bind a primitive
carrying the program and the user's rule, so the rule survives ``jit`` and every other
transformation (a staged program keeps the equation, not an inlined body).

``custom_vjp`` under JVP becomes a linear ``custom_lin`` equation whose transpose calls the
user's ``bwd``; evaluating it forward is a clear error (forward mode through a custom VJP is
not defined, as in JAX).

Under vmap the custom-rule calls stay custom-rule calls: the primal program is batched (every
output batched along axis 0) and the user's rules are wrapped to run batched, so grad of vmap
still uses them (vmap of grad needs nothing: the rules then simply run on batched values).
A batched ``bwd`` sums the cotangent of an input that is not batched over the batch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from ..ad.rules import Zero, instantiate, jvp_rules, linear_positions, transpose_rules
from ..batching.core import batch_flat, vmap_rules
from ..core.avals import ShapedArray
from ..core.errors import LintraError
from ..core.eval import run_program
from ..core.primitive import Primitive, program_params
from ..core.pytree import flatten, unflatten
from ..core.staging import Staged
from ..core.trace import Tracer, get_aval
from .batched import vmap_program
from .shape import batch_size, moveaxis, reduce_sum, to_front


def _stage(fun, args, nondiff_argnums, cache: dict):
    key = id(fun)
    staged = cache.get(key)
    if staged is None:
        staged = cache[key] = Staged(fun, nondiff_argnums)
    return staged.stage(args, {})


# ---------------------------------------------------------------- custom_jvp

custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True,
                              subprograms=program_params)


@custom_jvp_call_p.def_impl
def _custom_jvp_impl(*args, program, rule, num_consts):
    return run_program(program, args)


custom_jvp_call_p.def_shape(lambda *avals, program, rule, num_consts: program.out_avals)


def _custom_jvp_rule(primals, tangents, *, program, rule, num_consts):
    if any(not isinstance(t, Zero) for t in tangents[:num_consts]):
        raise LintraError("a custom_jvp function closes over a value that is being "
                          "differentiated; pass that value as an argument instead")
    p_args = list(primals[num_consts:])
    t_args = [instantiate(t) for t in tangents[num_consts:]]
    outs, t_outs = rule(p_args, t_args)
    avals = program.out_avals
    t_outs = [Zero(a) if t is None or isinstance(t, Zero) else t for t, a in zip(t_outs, avals)]
    name = getattr(rule, "fun_name", "?")
    for k, (t, a) in enumerate(zip(t_outs, avals)):
        if isinstance(t, Zero):
            continue
        ta = get_aval(t)
        if ta.shape != a.shape:
            raise ValueError(f"custom_jvp function {name}: its rule returned a tangent of shape "
                             f"{ta.shape} for output {k} of shape {a.shape}")
        if a.is_float and (not ta.is_float or (ta.dtype != a.dtype and not ta.weak_type)):
            raise TypeError(f"custom_jvp function {name}: its rule returned a tangent of dtype "
                            f"{ta.dtype} for output {k} of dtype {a.dtype}")
    return outs, t_outs


jvp_rules[custom_jvp_call_p] = _custom_jvp_rule


class _CustomRule:
    """Shared by custom_jvp and custom_vjp: stage ``fun`` once per input types."""

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self._cache: dict = {}

    def _stage(self, args):
        """None when nothing is traced (then ``fun`` just runs); else the staged program,
        its consts, output tree, flat dynamic args, dynamic positions and their tree."""
        if not any(isinstance(a, Tracer) for a in flatten(args)[0]):
            return None
        (program, consts, out_tree), flat = _stage(self.fun, args, self.nondiff_argnums,
                                                    self._cache)
        dyn_idx = [i for i in range(len(args)) if i not in self.nondiff_argnums]
        in_tree = flatten(tuple(args[i] for i in dyn_idx))[1]
        return program, consts, out_tree, flat, dyn_idx, in_tree


class custom_jvp(_CustomRule):
    """``f = custom_jvp(fun)``; ``@f.defjvp`` a rule ``(primals, tangents) -> (out, t_out)``."""

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.jvp_rule: Callable | None = None

    def defjvp(self, rule: Callable) -> Callable:
        self.jvp_rule = rule
        return rule

    def defjvps(self, *jvps: Callable | None) -> None:
        """One rule per argument, ``jvp_i(t_i, out, *primals) -> tangent contribution`` (or
        None: no dependence), summed; JAX's convenience form of ``defjvp``."""
        if self.nondiff_argnums:
            raise TypeError("defjvps cannot be used with nondiff_argnums; use defjvp")

        def rule(primals, tangents):
            out = self.fun(*primals)
            leaves, tree = flatten(out)
            acc = [Zero(get_aval(o).strip_weak()) for o in leaves]
            for jvp_i, t in zip(jvps, tangents):
                if jvp_i is not None:
                    acc = [c if isinstance(a, Zero) else a + c
                           for a, c in zip(acc, flatten(jvp_i(t, out, *primals))[0])]
            return out, unflatten(tree, acc)

        self.defjvp(rule)

    def __call__(self, *args):
        if self.jvp_rule is None:
            raise LintraError(f"custom_jvp function {self.fun.__name__} has no rule: "
                              "define one with @f.defjvp")
        staged = self._stage(args)
        if staged is None:
            return self.fun(*args)
        program, consts, out_tree, flat, dyn_idx, in_tree = staged
        nd = self.nondiff_argnums

        def rule(p_flat, t_flat):
            p = unflatten(in_tree, p_flat)
            t = unflatten(in_tree, t_flat)
            full = list(args)
            for i, v in zip(dyn_idx, p):
                full[i] = v
            static = [args[i] for i in nd]
            dyn_p = tuple(full[i] for i in dyn_idx)
            out, t_out = self.jvp_rule(*static, dyn_p, tuple(t)) if nd else \
                self.jvp_rule(dyn_p, tuple(t))
            return flatten(out)[0], flatten(t_out)[0]

        rule.fun_name = self.fun.__name__  # type: ignore[attr-defined]
        outs = custom_jvp_call_p.bind(*consts, *flat, program=program, rule=rule,
                                      num_consts=len(consts))
        return unflatten(out_tree, outs)


# ---------------------------------------------------------------- custom_vjp

custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True,
                              subprograms=program_params)


@custom_vjp_call_p.def_impl
def _custom_vjp_impl(*args, program, fwd, bwd, num_consts):
    return run_program(program, args)


custom_vjp_call_p.def_shape(lambda *avals, program, fwd, bwd, num_consts: program.out_avals)

custom_lin_p = Primitive("custom_lin", multiple_results=True)


@custom_lin_p.def_impl
def _custom_lin_impl(*args, **params):
    raise LintraError("a custom_vjp function cannot be differentiated in forward mode (jvp, "
                      "jacfwd, or evaluating a linearized function); define a custom_jvp "
                      "rule instead")


@custom_lin_p.def_shape
def _custom_lin_shape(*avals, bwd, num_res, out_avals):
    return list(out_avals)


def _custom_lin_transpose(cts, *args, bwd, num_res, out_avals):
    res = args[:num_res]
    cts = [instantiate(c) for c in cts]
    cts_in = bwd(list(res), cts)
    return [None] * num_res + list(cts_in)


transpose_rules[custom_lin_p] = _custom_lin_transpose
linear_positions[custom_lin_p] = lambda params, n: tuple(range(params["num_res"], n))


def _custom_vjp_jvp(primals, tangents, *, program, fwd, bwd, num_consts):
    if any(not isinstance(t, Zero) for t in tangents[:num_consts]):
        raise LintraError("a custom_vjp function closes over a value that is being "
                          "differentiated; pass that value as an argument instead")
    outs, res = fwd(list(primals[num_consts:]))
    t_in = [instantiate(t) for t in tangents[num_consts:]]
    out_avals = tuple(get_aval(o).strip_weak() for o in outs)
    t_out = custom_lin_p.bind(*res, *t_in, bwd=bwd, num_res=len(res), out_avals=out_avals)
    return outs, t_out


jvp_rules[custom_vjp_call_p] = _custom_vjp_jvp


class custom_vjp(_CustomRule):
    """``f = custom_vjp(fun)``; ``f.defvjp(fwd, bwd)`` with ``fwd(*args) -> (out, residuals)``
    and ``bwd(residuals, cotangent) -> tuple of cotangents, one per argument``."""

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args):
        if self.fwd is None:
            raise LintraError(f"custom_vjp function {self.fun.__name__} has no rule: define "
                              "one with f.defvjp(fwd, bwd)")
        staged = self._stage(args)
        if staged is None:
            return self.fun(*args)
        program, consts, out_tree, flat, dyn_idx, in_tree = staged
        nd = self.nondiff_argnums
        dyn_vals = [args[i] for i in dyn_idx]
        static = [args[i] for i in nd]
        res_store: dict = {}

        def fwd(p_flat):
            full = list(args)  # fwd takes f's signature: nondiff args stay in place (JAX)
            for i, v in zip(dyn_idx, unflatten(in_tree, p_flat)):
                full[i] = v
            out, res = self.fwd(*full)
            res_flat, res_store["tree"] = flatten(res)
            out_flat, out_t = flatten(out)
            if out_t != out_tree:
                raise TypeError(f"custom_vjp fwd returned output structure {out_t}, the "
                                f"function returns {out_tree}")
            return out_flat, res_flat

        def bwd(res_flat, cts_flat):
            res = unflatten(res_store["tree"], res_flat)
            ct = unflatten(out_tree, cts_flat)
            cts = self.bwd(*static, res, ct) if nd else self.bwd(res, ct)
            if not isinstance(cts, (tuple, list)) or len(cts) != len(dyn_idx):
                raise TypeError(f"custom_vjp bwd must return a tuple of {len(dyn_idx)} "
                                f"cotangents (one per differentiable argument), got {cts!r}")
            out = []
            for pos, c, v in zip(dyn_idx, cts, dyn_vals):
                v_leaves, v_tree = flatten(v)
                if c is None:
                    out.extend(Zero(get_aval(x).strip_weak()) for x in v_leaves)
                    continue
                c_leaves, c_tree = flatten(c)
                if c_tree != v_tree:
                    raise TypeError(f"custom_vjp bwd returned cotangent structure {c_tree} "
                                    f"for an argument of structure {v_tree}")
                for k, (cl, vl) in enumerate(zip(c_leaves, v_leaves)):
                    ca, va = get_aval(cl), get_aval(vl)
                    where = (f"custom_vjp function {self.fun.__name__}: bwd returned for "
                             f"argument {pos}" + (f" (leaf {k})" if len(v_leaves) > 1 else ""))
                    if va.is_float and ca.shape != va.shape:
                        raise ValueError(f"{where} a cotangent of shape {ca.shape}; expected "
                                         f"the primal input's shape {va.shape}")
                    if va.is_float and ca.dtype != va.dtype and not ca.weak_type:
                        raise TypeError(f"{where} a cotangent of dtype {ca.dtype}; expected "
                                        f"the primal input's dtype {va.dtype}")
                out.extend(c_leaves)
            return out

        outs = custom_vjp_call_p.bind(*consts, *flat, program=program, fwd=fwd, bwd=bwd,
                                      num_consts=len(consts))
        return unflatten(out_tree, outs)




# ---------------------------------------------------------------- batching (vmap)

def _run_batched(fn, args, dims, size) -> tuple[list, list, list, list]:
    """``fn(*args) -> (outs, extra)`` run batched. Returns the outs batched along axis 0,
    the ``extra`` values that are not ``None``/``Zero`` with their batch axes, and per
    extra value whether it was zero (left out)."""
    store: dict = {}

    def flat(*a):
        outs, extra = fn(*a)
        store["n"] = len(outs)
        store["zero"] = [e is None or isinstance(e, Zero) for e in extra]
        return list(outs) + [e for e, z in zip(extra, store["zero"]) if not z]

    vals, vdims = batch_flat(flat, list(args), list(dims), size)
    n = store["n"]
    outs = [to_front(v, d, size) for v, d in zip(vals[:n], vdims[:n])]
    return outs, vals[n:], vdims[n:], store["zero"]


def _to_dim(x, d: int | None, target: int | None, size: int):
    """``x`` (batched along ``d``) as the cotangent of a value batched along ``target``: an
    unbatched value's cotangent is the sum over the batch."""
    if target is None:
        return x if d is None else reduce_sum(x, (d,))
    return moveaxis(to_front(x, d, size), 0, target)


def _batched_bwd(bwd, res_dims, in_dims: list, in_avals: list, size: int):
    """``bwd(res, cts) -> cts_in`` for residuals batched along ``res_dims()`` and output
    cotangents batched along axis 0; input cotangents come back along ``in_dims``."""
    def batched(res, cts):
        _, vals, vdims, zero = _run_batched(lambda *a: ([], bwd(list(a[:len(res)]),
                                                              list(a[len(res):]))),
                                            list(res) + list(cts),
                                            list(res_dims()) + [0] * len(cts), size)
        it = iter(zip(vals, vdims))
        return [Zero(a.strip_weak()) if z else _to_dim(*next(it), d, size)
                for z, d, a in zip(zero, in_dims, in_avals)]
    return batched


def _custom_jvp_batch(args, dims, *, program, rule, num_consts):
    size = batch_size(args, dims)
    n_out = len(program.outs)
    bprog, _ = vmap_program(program, tuple(dims), size, (True,) * n_out)
    in_d = list(dims[num_consts:])

    def batched_rule(p_args, t_args):
        outs, vals, vdims, zero = _run_batched(lambda *a: rule(list(a[:len(p_args)]),
                                                               list(a[len(p_args):])),
                                               list(p_args) + list(t_args), in_d + in_d, size)
        it = iter(zip(vals, vdims))
        return outs, [None if z else to_front(*next(it), size) for z in zero]

    batched_rule.fun_name = getattr(rule, "fun_name", "?")  # type: ignore[attr-defined]
    outs = custom_jvp_call_p.bind(*args, program=bprog, rule=batched_rule,
                                  num_consts=num_consts)
    return outs, [0] * n_out


def _custom_vjp_batch(args, dims, *, program, fwd, bwd, num_consts):
    size = batch_size(args, dims)
    n_out = len(program.outs)
    bprog, _ = vmap_program(program, tuple(dims), size, (True,) * n_out)
    in_d = list(dims[num_consts:])
    res_dims: list = []

    def batched_fwd(p_args):
        outs, res, rdims, _ = _run_batched(lambda *a: fwd(list(a)), p_args, in_d, size)
        res_dims[:] = rdims
        return outs, res

    in_avals = [get_aval(a) for a in args[num_consts:]]
    batched = _batched_bwd(bwd, lambda: res_dims, in_d, in_avals, size)
    outs = custom_vjp_call_p.bind(*args, program=bprog, fwd=batched_fwd, bwd=batched,
                                  num_consts=num_consts)
    return outs, [0] * n_out


def _custom_lin_batch(args, dims, *, bwd, num_res, out_avals):
    size = batch_size(args, dims)
    res_dims, t_dims = list(dims[:num_res]), list(dims[num_res:])
    t_avals = [get_aval(a) for a in args[num_res:]]
    batched = _batched_bwd(bwd, lambda: res_dims, t_dims, t_avals, size)
    avals = tuple(ShapedArray((size,) + a.shape, a.dtype) for a in out_avals)
    outs = custom_lin_p.bind(*args, bwd=batched, num_res=num_res, out_avals=avals)
    return outs, [0] * len(out_avals)


vmap_rules[custom_jvp_call_p] = _custom_jvp_batch
vmap_rules[custom_vjp_call_p] = _custom_vjp_batch
vmap_rules[custom_lin_p] = _custom_lin_batch
