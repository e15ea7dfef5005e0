"""Structured control flow as higher-order primitives (design §3): ``cond``/``switch``,
``scan``, ``fori_loop`` and ``while_loop``, with JAX's semantics.

User functions are staged into closed sub-programs carried in the equation's params; values
they close over that are being traced become explicit inputs ("consts"). Every
transformation then works on the sub-programs (control_cond.py, control_scan.py,
control_while.py), so these compose with jit, grad, jvp, hessian and with each other.
Python ``if``/``for`` on concrete values remain metaprogramming: they unroll at trace time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.avals import ShapedArray
from ..core.errors import ConcretizationError, user_frame_summary
from ..core.pytree import flatten, unflatten
from ..core.trace import Tracer, get_aval
from .base import asarray_value, convert_element_type
from .control_common import add_params, cast_weak_outs, fmt_avals, promote_weak_carry, stage_fn
from .control_cond import cond_p
from .control_scan import scan_p
from .control_while import while_p
from .elementwise import ne

__all__ = ["cond", "switch", "scan", "fori_loop", "while_loop", "cond_p", "scan_p",
           "while_p"]


def _leaves(tree: Any) -> tuple[list, Any]:
    leaves, treedef = flatten(tree)
    return [asarray_value(x) for x in leaves], treedef


# ---------------------------------------------------------------- cond / switch

def switch(index: Any, branches: Sequence[Callable], *operands) -> Any:
    """``branches[index](*operands)``, with ``index`` clamped into range. Every branch must
    return the same types. A concrete (untraced) index just runs that branch."""
    branches = list(branches)
    if not branches:
        raise ValueError("switch: needs at least one branch")
    if not isinstance(index, Tracer):
        known = np.asarray(index)
        if known.shape != () or known.dtype.kind not in "iub":
            raise TypeError(f"switch: the index must be an integer scalar, got {index!r}")
    else:
        aval = index.aval
        if aval.shape != () or aval.dtype.kind not in "iub":
            raise TypeError(f"switch: the index must be an integer scalar, got "
                            f"{aval.str_short()}")
        known = _known(index)
    if known is not None:
        return branches[int(np.clip(int(known), 0, len(branches) - 1))](*operands)
    if aval.dtype.kind == "b":
        index = convert_element_type(index, np.int32)
    names = [f"branch {k}" for k in range(len(branches))]
    return _switch(index, branches, operands, names, "switch")


def cond(pred: Any, true_fun: Callable, false_fun: Callable, *operands) -> Any:
    """``true_fun(*operands) if pred else false_fun(*operands)`` as one primitive, so that it
    can be staged and differentiated when ``pred`` is traced. Both branches must return the
    same types. A concrete (untraced) ``pred`` just runs the chosen branch."""
    if not isinstance(pred, Tracer):
        if np.shape(pred) != ():
            raise TypeError(f"cond: the predicate must be a scalar, got shape {np.shape(pred)}")
        known = pred
    else:
        aval = pred.aval
        if aval.shape != ():
            raise TypeError(f"cond: the predicate must be a scalar, got {aval.str_short()}; "
                            "use `lintra.numpy.where` for elementwise selection")
        known = _known(pred)
    if known is not None:
        return true_fun(*operands) if bool(known) else false_fun(*operands)
    if aval.dtype.kind != "b":
        pred = ne(pred, np.zeros((), aval.dtype))
    index = convert_element_type(pred, np.int32)
    return _switch(index, [false_fun, true_fun], operands, ["false_fun", "true_fun"], "cond")


def _known(x: Tracer) -> Any:
    """The value of a traced predicate or index whose trace knows it (eager differentiation,
    forward mode or vmap on concrete values), else None. Then only the chosen branch runs,
    as the derivative of ``cond`` is the chosen branch's: work the other branch does on
    values it closes over (sqrt at 0) never meets the gradient."""
    try:
        return x._trace.concrete(x)
    except ConcretizationError:
        return None


def _switch(index, branches, operands, names, who):
    leaves, tree = _leaves(operands)
    avals = [get_aval(x).strip_weak() for x in leaves]
    traced = [stage_fn(b, tree, avals, f"{who}_{n.replace(' ', '')}", capture=True)
              for b, n in zip(branches, names)]
    def mismatch(k, what, first, other):
        a, b, ta, tb = names[0], names[k], first, other
        if who == "cond":                 # name true_fun first, as the user wrote it
            a, b, ta, tb = b, a, tb, ta
        return TypeError(f"{who}: {a} and {b} must return the same {what}, but {a} returns "
                         f"{ta} and {b} returns {tb}")

    out_tree = traced[0][2]
    for k, (_, _, t) in enumerate(traced[1:], 1):
        if t != out_tree:
            raise mismatch(k, "structure", out_tree, t)
    # a weakly typed Python scalar output takes the type the other branches give it
    n_out = len(traced[0][0].outs)
    targets = []
    for i in range(n_out):
        avs = [p.outs[i].aval for p, _, _ in traced]
        strong = [a for a in avs if not a.weak_type]
        targets.append((strong or avs)[0].strip_weak())
    progs = [cast_weak_outs(p, targets) for p, _, _ in traced]
    for k, p in enumerate(progs[1:], 1):
        if p.out_avals != progs[0].out_avals:
            raise mismatch(k, "types", fmt_avals(progs[0].out_avals), fmt_avals(p.out_avals))
    # every branch takes all branches' closed-over values (each ignores the others')
    all_consts = [c for _, cs, _ in traced for c in cs]
    const_avals = [get_aval(c).strip_weak() for c in all_consts]
    joined, offset = [], 0
    for p, (_, cs, _) in zip(progs, traced):
        q = add_params(p, const_avals[:offset], 0)
        joined.append(add_params(q, const_avals[offset + len(cs):], offset + len(cs)))
        offset += len(cs)
    outs = cond_p.bind(index, *all_consts, *leaves, branches=tuple(joined))
    return unflatten(out_tree, outs)


# ---------------------------------------------------------------- scan

def scan(f: Callable, init: Any, xs: Any = None, length: int | None = None,
         reverse: bool = False, unroll: int | bool = 1) -> tuple[Any, Any]:
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs`` (pytrees allowed);
    returns ``(final carry, stacked ys)``. ``xs`` may be None when ``length`` is given.
    With ``reverse=True`` the loop runs from the last element to the first. ``unroll`` (JAX's
    hint: steps per iteration of the compiled loop) is accepted and checked; the native
    backend's compiler picks its own unrolling."""
    if not isinstance(unroll, (int, np.integer)) or unroll < 0:     # bool is an int
        raise ValueError(f"scan: unroll must be a non-negative int or a bool, got {unroll!r}")
    init_leaves, init_tree = _leaves(init)
    x_leaves, x_tree = _leaves(xs)
    lengths = set()
    for x in x_leaves:
        a = get_aval(x)
        if a.ndim == 0:
            raise ValueError(f"scan: every leaf of xs needs a leading axis to scan over, got "
                             f"{a.str_short()}")
        lengths.add(a.shape[0])
    if length is None:
        if not lengths:
            raise ValueError("scan: give `length` when xs is None (or has no leaves)")
        if len(lengths) > 1:
            raise ValueError(f"scan: xs leaves have different leading lengths "
                             f"{sorted(lengths)}")
        length = lengths.pop()
    else:
        length = int(length)
        if lengths - {length}:
            raise ValueError(f"scan: length={length} but xs have leading lengths "
                             f"{sorted(lengths)}")
    x_avals = [ShapedArray(get_aval(x).shape[1:], get_aval(x).dtype) for x in x_leaves]
    store: dict = {}

    def body(carry, x):
        out = f(carry, x)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(f"scan: the body function must return a pair (carry, y), got "
                            f"{type(out).__name__}")
        new_carry, y = out
        store["carry_tree"] = flatten(new_carry)[1]
        store["y_tree"] = flatten(y)[1]
        return new_carry, y

    in_tree = flatten((init, xs))[1]
    name = getattr(f, "__name__", "body").replace("<lambda>", "body")
    nc = len(init_leaves)
    init_leaves = promote_weak_carry(flatten(init)[0], init_leaves, lambda avals: stage_fn(
        body, in_tree, avals + x_avals, name, keep_weak=True)[0].out_avals[:nc])
    carry_avals = [get_aval(c).strip_weak() for c in init_leaves]
    program, consts, _ = stage_fn(body, in_tree, carry_avals + x_avals, name)
    if store["carry_tree"] != init_tree:
        raise TypeError(f"scan: the body function must return a carry with the structure of "
                        f"the initial carry {init_tree}, but it returned "
                        f"{store['carry_tree']}")
    program = cast_weak_outs(program, carry_avals)
    out_carry = program.out_avals[:nc]
    if out_carry != carry_avals:
        raise TypeError(f"scan: the body function must return a carry of the same type as the "
                        f"initial carry: the initial carry is {fmt_avals(carry_avals)} but "
                        f"the body returned {fmt_avals(out_carry)}")
    outs = scan_p.bind(*consts, *init_leaves, *x_leaves, body=program,
                       num_consts=len(consts), num_carry=nc, length=length,
                       reverse=bool(reverse), donate=(False,) * nc)
    return unflatten(init_tree, outs[:nc]), unflatten(store["y_tree"], outs[nc:])


# ---------------------------------------------------------------- fori_loop

def _static_int(v: Any) -> int | None:
    if isinstance(v, Tracer):
        if v.aval.dtype.kind not in "iu" or v.aval.shape != ():
            raise TypeError(f"fori_loop: bounds must be integer scalars, got "
                            f"{v.aval.str_short()}")
        try:
            return int(v)
        except ConcretizationError:
            return None
    a = np.asarray(v)
    if a.shape != () or a.dtype.kind not in "iu":
        raise TypeError(f"fori_loop: bounds must be integer scalars, got {v!r}")
    return int(a)


def fori_loop(lower: Any, upper: Any, body_fun: Callable, init_val: Any, *,
              unroll: int | bool | None = None) -> Any:
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``. Static bounds give a
    ``scan`` (differentiable in both modes); traced bounds give a ``while_loop``
    (forward mode only). ``unroll`` is JAX's hint, accepted as ``scan``'s."""
    lo, hi = _static_int(lower), _static_int(upper)
    dtype = np.result_type(get_aval(lower).dtype, get_aval(upper).dtype)
    init_leaves, init_tree = _leaves(init_val)
    # a weakly typed init leaf may take the body's dtype (scan/while_loop promote it)
    init_avals = [get_aval(x).strip_weak() for x in init_leaves]
    weak = [get_aval(r).weak_type for r in flatten(init_val)[0]]

    def checked_body(i, val):
        out = body_fun(i, val)
        leaves, tree = flatten(out)
        avals = [get_aval(x).strip_weak() for x in leaves]
        if tree != init_tree or any(a != b and not w
                                    for a, b, w in zip(avals, init_avals, weak)):
            raise TypeError(f"fori_loop: body_fun must return a value of the type of init_val "
                            f"{fmt_avals(init_avals)} (structure {init_tree}), but it returned "
                            f"{fmt_avals(avals)} (structure {tree})")
        return out

    if lo is not None and hi is not None:
        def step(carry, _):
            i, val = carry
            return (i + np.ones((), dtype), checked_body(i, val)), None
        (_, out), _ = scan(step, (np.asarray(lo, dtype), init_val), None,
                           length=max(hi - lo, 0), unroll=1 if unroll is None else unroll)
        return out
    upper_v = asarray_value(upper, dtype)

    def cond_fun(carry):
        return carry[0] < upper_v

    def body(carry):
        i, val = carry
        return i + np.ones((), dtype), checked_body(i, val)

    _, out = while_loop(cond_fun, body, (asarray_value(lower, dtype), init_val))
    return out


# ---------------------------------------------------------------- while_loop

def while_loop(cond_fun: Callable, body_fun: Callable, init_val: Any) -> Any:
    """``while cond_fun(val): val = body_fun(val)``. Evaluation, ``jit`` and forward mode;
    reverse mode through it is an error (use ``fori_loop``/``scan`` with a static bound)."""
    leaves, tree = _leaves(init_val)
    in_tree = flatten((init_val,))[1]
    leaves = promote_weak_carry(flatten(init_val)[0], leaves, lambda avals: stage_fn(
        body_fun, in_tree, avals, "body_fun", keep_weak=True)[0].out_avals)
    avals = [get_aval(x).strip_weak() for x in leaves]
    cprog, cconsts, ctree = stage_fn(cond_fun, in_tree, avals, "cond_fun")
    c_out = cprog.out_avals
    if len(c_out) != 1 or c_out[0].shape != () or c_out[0].dtype.kind != "b":
        raise TypeError(f"while_loop: cond_fun must return a boolean scalar, got "
                        f"{fmt_avals(c_out)}")
    bprog, bconsts, btree = stage_fn(body_fun, in_tree, avals, "body_fun")
    if btree != tree:
        raise TypeError(f"while_loop: body_fun must return a value with the structure of "
                        f"init_val {tree}, but it returned {btree}")
    bprog = cast_weak_outs(bprog, avals)
    if bprog.out_avals != avals:
        raise TypeError(f"while_loop: body_fun must return the type of init_val "
                        f"{fmt_avals(avals)}, but it returned {fmt_avals(bprog.out_avals)}")
    outs = while_p.bind(*cconsts, *bconsts, *leaves, cond_prog=cprog, body_prog=bprog,
                        cond_nconsts=len(cconsts), body_nconsts=len(bconsts),
                        _source=user_frame_summary())
    return unflatten(tree, outs)
