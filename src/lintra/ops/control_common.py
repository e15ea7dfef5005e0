"""Helpers shared by the control-flow primitives (cond, scan, while_loop): staging a user
function into a closed sub-program, JVP of a sub-program with instantiated tangents,
reordering a program's inputs/outputs (sub-programs must follow their primitive's layout),
and choosing per batch element under vmap."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..core.avals import ShapedArray
from ..core.ir import Literal, Program, Var
from ..core.pytree import PyTreeDef, flatten, unflatten
from ..core.staging import trace_to_program
from ..core.trace import get_aval
from .base import asarray_value
from .compare import select_p
from .shape import reshape


def split3(seq: Sequence, a: int, b: int) -> tuple[list, list, list]:
    seq = list(seq)
    return seq[:a], seq[a:a + b], seq[a + b:]


def fmt_avals(avals) -> str:
    return "(" + ", ".join(a.str_short() for a in avals) + ")"


def stage_fn(fun: Callable, in_tree: PyTreeDef, in_avals: list[ShapedArray], name: str,
             keep_weak: bool = False, capture: bool = False
             ) -> tuple[Program, list, PyTreeDef]:
    """Stage ``fun(*pytree_args)`` into a closed program ``(consts..., leaves...) -> leaves``.
    Closed-over traced values become the leading ``consts`` (returned as values).
    ``keep_weak``: weakly typed inputs stay weak (a probe of the dtypes they produce);
    ``capture``: work on closed-over traced values is staged too (a branch's)."""
    store: dict = {}

    def flat(*leaves):
        out = fun(*unflatten(in_tree, leaves))
        out_leaves, store["tree"] = flatten(out)
        for leaf in out_leaves:
            get_aval(leaf)   # a clear error for non-array outputs
        return out_leaves

    avals = in_avals if keep_weak else [a.strip_weak() for a in in_avals]
    program, consts = trace_to_program(flat, avals, name, capture)
    return program, consts, store["tree"]


_KINDS = "biufc"


def promote_weak_carry(raw: list, leaves: list, probe: Callable) -> list:
    """JAX's weak-type promotion of loop carries: an initial value given as a Python scalar
    (weakly typed) takes the dtype the body returns for it, so ``scan(f, 0.0, xs_f32)``
    carries float32 (not float64). ``probe(avals)`` stages the body with the weak carry
    avals and returns its carry output avals."""
    weak = [get_aval(x) for x in raw]
    if not any(a.weak_type for a in weak):
        return leaves
    out = []
    for x, a, o in zip(leaves, weak, probe(weak)):
        if (a.weak_type and o.shape == a.shape and o.dtype != a.dtype
                and _KINDS.find(o.dtype.kind) >= _KINDS.find(a.dtype.kind) >= 0):
            x = asarray_value(x, o.dtype)
        out.append(x)
    return out


def cast_weak_outs(program: Program, targets: list[ShapedArray]) -> Program:
    """Weakly typed literal outputs (``return 0.0``) take the dtype the other side expects
    (``targets`` may cover only the leading outputs, e.g. a scan's carries)."""
    head, changed = [], False
    for o, t in zip(program.outs, targets):
        if (isinstance(o, Literal) and o.aval.weak_type and o.aval.shape == t.shape
                and o.aval.dtype != t.dtype):
            o = Literal(np.asarray(o.val, t.dtype))
            changed = True
        head.append(o)
    if not changed:
        return program
    return Program(program.params, program.eqns, head + list(program.outs[len(head):]),
                   program.name)


def add_params(program: Program, avals: list[ShapedArray], at: int) -> Program:
    """The same program with unused inputs of ``avals`` inserted at position ``at``."""
    new = [Var(a) for a in avals]
    return Program(program.params[:at] + new + program.params[at:], program.eqns,
                   program.outs, program.name)


def permute(program: Program, params: list[Var], outs: list, name: str | None = None
            ) -> Program:
    return Program(params, program.eqns, outs, name or program.name)


def zeros(aval: ShapedArray) -> np.ndarray:
    return np.zeros(aval.shape, aval.dtype)


def check_same_types(what: str, expect: list[ShapedArray], got: list[ShapedArray],
                     expect_name: str, got_name: str) -> None:
    if len(expect) != len(got) or any(a != b for a, b in zip(expect, got)):
        raise TypeError(f"{what}: {expect_name} has type {fmt_avals(expect)} but {got_name} "
                        f"has type {fmt_avals(got)}")


def select_lanes(pred, on_true, on_false):
    """Per batch element (axis 0 of each operand; ``pred`` is a 1-d boolean): ``on_true``
    where ``pred``, else ``on_false``."""
    nd = get_aval(on_true).ndim
    return select_p.bind(reshape(pred, get_aval(pred).shape + (1,) * (nd - 1)), on_true,
                         on_false)
