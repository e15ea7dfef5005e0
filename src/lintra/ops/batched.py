"""Batched programs: ``vmap_program(program, in_dims, axis_size)`` is the program computing
``program`` on inputs batched along ``in_dims``, memoized per (program, batch dims, size).

Higher-order primitives (``call``, ``cond``, ``scan``, ``while_loop``, the custom-rule
calls) batch their sub-programs with it: vmap(call f) = call vmap(f). Each output of a batched
program is either batched along axis 0 or not batched at all, so that the primitive's layout
(a loop's carries, a cond's branches) stays one type; ``force`` asks for outputs batched even
where they do not depend on the batch."""

from __future__ import annotations

from collections.abc import Callable

from ..batching.core import batch_flat
from ..core.avals import ShapedArray
from ..core.eval import eval_program
from ..core.ir import Program, ProgramTable
from ..core.staging import trace_to_program
from .shape import to_front

_vmap_programs = ProgramTable()


def batched_aval(aval: ShapedArray, d: int | None, size: int) -> ShapedArray:
    """The type of a value of type ``aval`` batched along axis ``d`` (None: unbatched)."""
    if d is None:
        return aval
    return ShapedArray(aval.shape[:d] + (size,) + aval.shape[d:], aval.dtype)


def vmap_program(program: Program, in_dims: tuple, axis_size: int,
                 force: tuple[bool, ...] | None = None) -> tuple[Program, tuple[bool, ...]]:
    """The program taking ``program``'s inputs batched along ``in_dims[i]`` (None:
    unbatched) and returning each output batched along axis 0 or unbatched; also returns
    which outputs are batched. ``force[i]``: output ``i`` is batched in any case."""
    in_dims = tuple(in_dims)
    key = (in_dims, axis_size, force)
    hit = _vmap_programs.get(program, key)
    if hit is not None:
        return hit
    n_out = len(program.outs)
    force = force if force is not None else (False,) * n_out
    out_batched: list[bool] = []

    def fn(*args):
        outs, dims = batch_flat(lambda *a: eval_program(program, a), list(args), list(in_dims),
                                axis_size)
        out_batched[:] = [d is not None or f for d, f in zip(dims, force)]
        return [to_front(o, d, axis_size) if b else o
                for o, d, b in zip(outs, dims, out_batched)]

    in_avals = [batched_aval(a, d, axis_size) for a, d in zip(program.in_avals, in_dims)]
    prog, consts = trace_to_program(fn, in_avals, name=f"vmap_{program.name}")
    assert not consts, "vmap_program: the program is closed, so its batched form must be"
    return _vmap_programs.put(program, key, (prog, tuple(out_batched)))


def fixed_point(step: Callable[[tuple[bool, ...]], tuple[bool, ...]],
                start: tuple[bool, ...]) -> tuple[bool, ...]:
    """Grow the set of batched loop carries until it is stable: ``step(batched)`` says which
    carries the body makes batched given ``batched`` ones."""
    cur = tuple(start)
    while True:
        new = tuple(a or b for a, b in zip(cur, step(cur)))
        if new == cur:
            return cur
        cur = new
