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
from .compare import select_p
from .shape import reshape


def split3(seq: Sequence, a: int, b: int) -> tuple[list, list, list]:
    seq = list(seq)
    return seq[:a], seq[a:a + b], seq[a + b:]


def fmt_avals(avals) -> str:
    return "(" + ", ".join(a.str_short() for a in avals) + ")"


def stage_fn(fun: Callable, in_tree: PyTreeDef, in_avals: list[ShapedArray], name: str
             ) -> tuple[Program, list, PyTreeDef]:
    """Stage ``fun(*pytree_args)`` into a closed program ``(consts..., leaves...) -> leaves``.
    Closed-over traced values become the leading ``consts`` (returned as values)."""
    store: dict = {}

    def flat(*leaves):
        out = fun(*unflatten(in_tree, leaves))
        out_leaves, store["tree"] = flatten(out)
        for leaf in out_leaves:
            get_aval(leaf)   # a clear error for non-array outputs
        return out_leaves

    program, consts = trace_to_program(flat, [a.strip_weak() for a in in_avals], name)
    return program, consts, store["tree"]


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
