"""Per-primitive kernels for the eager tape, derived from the primitive's own rules.

For a primitive applied at given input types, ``jvp -> unzip -> transpose`` of the one-equation
program gives a primal half ``fwd(*primals) -> (outs, residuals)`` and a transposed linear half
``bwd(*cts, *residuals) -> input cotangents`` (design §1: no second set of rules). Both are
compiled once per (primitive, types, params) into small Python functions that run scalar float64
equations with their scalar impls (``core.eval.scalar_impls``: ``math`` on Python floats, no
NumPy call), so an eager operation costs about a microsecond.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..ad.jvp import jvp_program
from ..ad.transpose import transpose_program
from ..ad.unzip import unzip_program
from ..core.avals import BOOL_DTYPE, ShapedArray, concrete_aval
from ..core.eval import eval_program, scalar_impls
from ..core.ir import Eqn, Literal, Program, Var, dce
from ..ops import elementwise as E
from ..ops.indexing import TakeCotangent, scatter_add_p

F64 = np.dtype("float64")
_MATH_ERRORS = (ValueError, ArithmeticError)


class Kernel:
    __slots__ = ("fwd", "bwd", "n_out", "lin_in", "float_out", "out_avals", "trivial",
                 "tape_bwd", "fwd_program", "bwd_subset")

    def __init__(self, fwd, bwd, n_out, lin_in, float_out, out_avals, tape_bwd=None,
                 fwd_program=None, bwd_subset=None):
        self.fwd = fwd              # (*primals) -> (out, residuals) or (outs, residuals)
        self.bwd = bwd              # (*cts, *residuals) -> cotangents of the lin_in inputs
        self.n_out = n_out
        self.lin_in = lin_in        # positions of inputs that get a cotangent
        self.float_out = float_out  # which outputs carry a tangent
        self.out_avals = out_avals
        self.trivial = bwd is None  # no tangent flows: no tape entry
        # what a single-output tape entry records: ``tape_bwd(ct, residuals)``, the same
        # transpose as bwd, called without unpacking (a small function for the FORMS)
        self.tape_bwd = tape_bwd
        self.fwd_program = fwd_program   # the primal half, for fast paths that inline it
        # several outputs: bwd_subset(live) is bwd for the outputs with a cotangent only
        self.bwd_subset = bwd_subset


class _SubsetBwd:
    """``bwd`` of a multi-output primitive restricted to the outputs that received a
    cotangent (compiled once per subset). The other outputs' linear equations are dropped
    before transposing, so an output nobody reads costs nothing and its coefficients never
    multiply a zero: an eigenvector tangent that is inf at a repeated eigenvalue cannot turn
    the eigenvalues' gradient into nan (0 · inf), just as with symbolic zeros when staged."""

    __slots__ = ("linear", "n_res", "k", "name", "cache")

    def __init__(self, linear: Program, n_res: int, k: int, name: str):
        self.linear, self.n_res, self.k, self.name = linear, n_res, k, name
        self.cache: dict = {}

    def __call__(self, live: tuple):
        f = self.cache.get(live)
        if f is None:
            lin = dce(self.linear, list(live))
            tprog = transpose_program(lin, tuple([False] * self.n_res + [True] * self.k))
            order = list(range(self.n_res, self.n_res + sum(live))) + list(range(self.n_res))
            f = self.cache[live] = _codegen(tprog, f"bwd_{self.name}", param_order=order,
                                            sparse_outputs=True)
            f.traced = _bind_bwd(tprog, order)
        return f


def _scale0(ct, res):
    return (ct * res[0],)


def _add2(ct, res):
    return (ct, ct)


def _mul2(ct, res):
    return (ct * res[1], ct * res[0])


# Small transposed scalar programs as plain functions ``(ct, residuals) -> cotangents``:
# cheaper to call than generated code, and (written with operators) traceable as they are.
FORMS = {"scale0": _scale0, "add2": _add2, "mul2": _mul2}
for _f in FORMS.values():
    _f.traced = _f


def _form(tprog: Program, n_res: int) -> str | None:
    """Recognize a transposed scalar program of one of the FORMS (params: residuals, ct)."""
    if len(tprog.params) != n_res + 1:
        return None
    ct = tprog.params[n_res]
    res = tprog.params[:n_res]
    outs = tprog.outs

    def scaled(v, eqns):
        """v = mul(ct, r) (either order) -> index of r, else None."""
        e = next((e for e in eqns if e.outputs[0] is v), None)
        if e is None or e.prim is not E.mul_p:
            return None
        a, b = e.inputs
        other = b if a is ct else a if b is ct else None
        return next((j for j, r in enumerate(res) if r is other), None)

    if len(outs) == 1 and len(tprog.eqns) == 1 and scaled(outs[0], tprog.eqns) == 0:
        return "scale0"
    if len(outs) == 2 and not tprog.eqns and outs[0] is ct and outs[1] is ct:
        return "add2"
    if len(outs) == 2 and len(tprog.eqns) == 2 and n_res == 2 and \
            scaled(outs[0], tprog.eqns) == 1 and scaled(outs[1], tprog.eqns) == 0:
        return "mul2"
    return None


_cache: dict = {}


_aval_cache: dict = {}


def aval_of(v: Any) -> ShapedArray:
    """The aval of a concrete value; one shared object per (shape, dtype)."""
    if type(v) is float:
        return _SCALAR_F64
    if isinstance(v, (np.ndarray, np.generic)):
        key = (v.shape, v.dtype)
        a = _aval_cache.get(key)
        if a is None:
            if len(_aval_cache) > 4096:
                _aval_cache.clear()
            a = _aval_cache[key] = ShapedArray(v.shape, v.dtype)
        return a
    return concrete_aval(v).strip_weak()


_SCALAR_F64 = ShapedArray((), F64)


_program_cache: dict = {}
_PROGRAM_CACHE_SIZE = 256


def kernel_for(prim, vals: list, params: dict, live: tuple | None = None) -> Kernel:
    """The kernel for ``prim`` applied to concrete ``vals``: keyed by a cheap signature
    (shapes and dtypes), so the common case is one dict lookup. ``live[i]`` False: input i
    is a constant, so no cotangent is computed for it (None: every input may be live)."""
    sig = tuple(("f",) if type(v) is float else (v.shape, v.dtype) if isinstance(
        v, (np.ndarray, np.generic)) else (type(v),) for v in vals)
    try:
        key = (prim, sig, tuple(params.items()) if params else (), live)
        k = _cache.get(key)
    except TypeError:                     # unhashable params
        return _derive(prim, tuple(aval_of(v) for v in vals), params, live)
    if k is None:
        k = get_kernel(prim, tuple(aval_of(v) for v in vals), params, live)
        if not prim.subprograms(params):
            _cache[key] = k
    return k


def get_kernel(prim, avals: tuple, params: dict, live: tuple | None = None) -> Kernel:
    try:
        key = (prim, avals, tuple(sorted(params.items())), live)
        hash(key)
    except TypeError:
        return _derive(prim, avals, params, live)
    k = _cache.get(key)
    if k is not None:
        return k
    if prim.subprograms(params):
        # control flow and calls carry a program, often freshly traced per eager call:
        # keep only the most recent ones so long eager loops do not grow the cache forever
        k = _program_cache.get(key)
        if k is None:
            if len(_program_cache) >= _PROGRAM_CACHE_SIZE:
                del _program_cache[next(iter(_program_cache))]
            k = _program_cache[key] = _derive(prim, avals, params, live)
        return k
    k = _cache[key] = _derive(prim, avals, params, live)
    return k


def _derive(prim, avals: tuple, params: dict, live: tuple | None = None) -> Kernel:
    in_vars = [Var(a) for a in avals]
    out_avals = prim.abstract_eval(*avals, **params)
    out_vars = [Var(a.strip_weak()) for a in out_avals]
    program = Program(in_vars, [Eqn(prim, in_vars, params, out_vars)], out_vars, prim.name)
    n_out = len(out_vars)
    nonzero = tuple(a.is_float and (live is None or lv)
                    for a, lv in zip(avals, live or avals))
    float_out = [a.is_float for a in out_avals]
    if not any(nonzero) or not any(float_out):
        impl = functools.partial(prim.impl, **params) if params else prim.impl
        return Kernel(_primal_only(impl, prim.multiple_results), None, n_out, (), float_out,
                      out_avals)
    jprog, out_nz = jvp_program(program, nonzero)
    n_in = len(avals)
    k = sum(nonzero)
    u = unzip_program(jprog, [False] * n_in + [True] * k,
                      instantiate=[False] * n_out + [True] * sum(out_nz))
    fwd = _codegen(u.known, f"fwd_{prim.name}", n_primal_out=n_out)
    n_res = u.num_residuals
    if sum(out_nz) == 0:
        return Kernel(fwd, None, n_out, (), float_out, out_avals)
    tprog = transpose_program(u.unknown, tuple([False] * n_res + [True] * k))
    # the transposed program takes (residuals, cts); the kernel calls bwd(*cts, *residuals)
    order = list(range(n_res, n_res + sum(out_nz))) + list(range(n_res))
    bwd = _codegen(tprog, f"bwd_{prim.name}", param_order=order, sparse_outputs=True)
    bwd.traced = _bind_bwd(tprog, order)
    lin_in = tuple(i for i, nz in enumerate(nonzero) if nz)
    float_out = list(out_nz)
    tape_bwd = subset = None
    if n_out == 1:
        form = _form(tprog, n_res) if _all_scalar_f64(avals) else None
        tape_bwd = FORMS[form] if form else _tape_bwd(tprog, n_res, prim.name, bwd.traced)
    else:
        subset = _SubsetBwd(u.unknown, n_res, k, prim.name)
    return Kernel(fwd, bwd, n_out, lin_in, float_out, out_avals, tape_bwd, u.known, subset)


def _tape_bwd(tprog: Program, n_res: int, name: str, traced):
    """The transposed program as ``f(ct, residuals)`` (a single-output tape entry's call)."""
    res = "".join(f"p{i}, " for i in range(n_res))
    f = _codegen(tprog, f"tape_bwd_{name}", sparse_outputs=True,
                 header=f"def tape_bwd_{name}(p{n_res}, res):",
                 prologue=(f"    {res}= res",) if n_res else ())
    f.traced = lambda ct, res: traced(ct, *res)
    return f


def _bind_bwd(tprog: Program, order: list[int]):
    """``bwd``'s twin that evaluates the transposed program with ``bind``: the backward pass
    uses it when the cotangents are traced (a vjp, jit or jvp of a ``f_vjp``)."""
    def traced(*args):
        vals: list = [None] * len(order)
        for pos, a in zip(order, args):
            vals[pos] = a
        return eval_program(tprog, vals)
    return traced


def _primal_only(impl, multiple):
    if multiple:
        return lambda *args: (list(impl(*args)), ())
    return lambda *args: (impl(*args), ())


def _all_scalar_f64(avals) -> bool:
    return all(a.shape == () and a.dtype == F64 for a in avals)


def scalar_impl_of(eqn: Eqn):
    """``eqn``'s scalar impl (``core.eval.scalar_impls``) where it applies: every operand and
    result a float64 or bool scalar, at least one operand float64; else None."""
    f = scalar_impls.get(eqn.prim)
    if f is None:
        return None
    has_float = False
    for x in eqn.inputs:
        a = x.aval
        if a.shape != () or (a.dtype != F64 and a.dtype != BOOL_DTYPE):
            return None
        has_float = has_float or a.dtype == F64
    if not has_float:
        return None
    for v in eqn.outputs:
        a = v.aval
        if a.shape != () or (a.dtype != F64 and a.dtype != BOOL_DTYPE):
            return None
    return f


def is_scalar_program(program: Program) -> bool:
    """Every equation runs its scalar impl: the generated code calls no NumPy function."""
    return all(scalar_impl_of(e) is not None for e in program.eqns)


def _codegen(program: Program, name: str, n_primal_out: int | None = None,
             param_order: list[int] | None = None, sparse_outputs: bool = False,
             header: str | None = None, prologue: tuple = (), epilogue=None,
             extra_ns: dict | None = None):
    """Compile a program into a Python function. With ``n_primal_out``, returns
    ``(outs, residuals)``; otherwise a tuple of outputs. Scalar float64 equations use ``math``.
    With ``sparse_outputs``, an output made by ``scatter_add`` into a literal zero buffer is
    returned as a ``SparseCotangent`` (accumulated in place by the tape, design §4).
    ``header``/``prologue``/``epilogue(outs, residuals) -> lines`` embed the program's body in
    another function (the eager fast paths record the tape entry around it)."""
    w = _KernelWriter(extra_ns)
    params = program.params
    order = param_order or list(range(len(params)))
    for i, v in enumerate(params):
        w.names[id(v)] = f"p{i}"
    lines = [header or f"def {name}({', '.join(f'p{i}' for i in order)}):", *prologue]
    out_ids = {id(o) for o in program.outs if isinstance(o, Var)} if sparse_outputs else set()
    for j, eqn in enumerate(program.eqns):
        lines += w.eqn_lines(j, eqn, out_ids)
    outs = [w.name_of(o) for o in program.outs]
    if epilogue is not None:
        lines.extend(epilogue(outs[:n_primal_out], outs[n_primal_out:]))
    elif n_primal_out is not None:
        prim_out = outs[:n_primal_out]
        res = outs[n_primal_out:]
        res_s = "(" + "".join(f"{r}, " for r in res) + ")"
        first = prim_out[0] if n_primal_out == 1 else "[" + ", ".join(prim_out) + "]"
        lines.append(f"    return {first}, {res_s}")
    else:
        lines.append("    return (" + "".join(f"{o}, " for o in outs) + ")")
    src = "\n".join(lines)
    ns = w.ns
    exec(compile(src, f"<lintra kernel {name}>", "exec"), ns)
    fn = ns[name]
    fn.source = src
    return fn


class _KernelWriter:
    """The namespace and variable names of one generated kernel, and its lines per
    equation."""

    def __init__(self, extra_ns: dict | None):
        self.ns: dict[str, Any] = {"_Sparse": TakeCotangent, "_MathErrors": _MATH_ERRORS,
                                   **(extra_ns or {})}
        self.names: dict[int, str] = {}

    def name_of(self, x) -> str:
        if isinstance(x, Literal):
            c = f"_c{len(self.ns)}"
            val = x.val
            if x.aval.shape == () and x.aval.dtype == F64 and not x.aval.is_function:
                val = float(val)
            self.ns[c] = val
            return c
        return self.names[id(x)]

    def eqn_lines(self, j: int, eqn, sparse_out_ids: set) -> list[str]:
        ns, names = self.ns, self.names
        for v in eqn.outputs:
            names[id(v)] = f"v{len(names)}"
        ins = [self.name_of(x) for x in eqn.inputs]
        if (eqn.prim is scatter_add_p and len(eqn.outputs) == 1
                and id(eqn.outputs[0]) in sparse_out_ids and isinstance(eqn.inputs[0], Literal)
                and not np.any(eqn.inputs[0].val)):
            ns[f"_a{j}"] = eqn.outputs[0].aval       # a sparse cotangent, accumulated later
            return [f"    {names[id(eqn.outputs[0])]} = _Sparse(_a{j}, {ins[1]}, {ins[2]}, "
                    f"{eqn.params['axis']})"]
        fn_name = f"_f{j}"
        outs = ", ".join(names[id(v)] for v in eqn.outputs)
        if eqn.prim.multiple_results:
            outs += ","
        f = scalar_impl_of(eqn)
        if f is None:
            ns[fn_name] = functools.partial(eqn.prim.impl, **eqn.params) if eqn.params \
                else eqn.prim.impl
            return [f"    {outs} = {fn_name}({', '.join(ins)})"]
        ns[fn_name] = f
        for k, val in eqn.params.items():     # scalar impls take params as keywords
            ns[f"_k{j}_{k}"] = val
        args = ", ".join([*ins, *(f"{k}=_k{j}_{k}" for k in eqn.params)])
        unguarded = getattr(f, "unguarded", None)
        if unguarded is None:
            return [f"    {outs} = {fn_name}({args})"]
        ns[f"_u{j}"] = unguarded    # the entry's ``try`` inline: no extra call where math returns
        return ["    try:", f"        {outs} = _u{j}({args})",
                "    except _MathErrors:", f"        {outs} = {fn_name}({args})"]
