"""The structural linearity checker (design §5).

A program is linear in its linear inputs when every equation that reads a linear value is a
linear primitive reading linear values only in its linear positions (``mul`` with exactly one
linear operand, ``div`` with a linear numerator, ...). Equations that read no linear value
(residual computations) may be anything. Literal zeros count as linear (the zero map).
"""

from __future__ import annotations

from collections.abc import Callable

from ..core.errors import LintraError
from ..core.ir import Literal, Program, Var, is_zero_literal
from ..core.primitive import Primitive
from .rules import bilinear, linear_positions

# linearity_rules[p](eqn, linear_in_flags) -> which outputs are linear: for primitives that
# carry sub-programs (call, cond, scan), checked by recursing into them
linearity_rules: dict[Primitive, Callable] = {}


class NonLinearError(LintraError):
    pass


def check_linear(program: Program, linear_inputs: list[bool]) -> list[bool]:
    """Raise ``NonLinearError`` unless ``program`` is linear in ``linear_inputs``.
    Returns which outputs are linear (the others do not depend on linear inputs)."""
    linear = {id(v) for v, m in zip(program.params, linear_inputs) if m}
    for eqn in program.eqns:
        flags = [isinstance(x, Var) and id(x) in linear for x in eqn.inputs]
        if not any(flags):
            continue
        prim = eqn.prim
        where = f" (from {eqn.source})" if eqn.source else ""
        sub_check = linearity_rules.get(prim)
        if sub_check is not None:
            out_lin = sub_check(eqn, flags)
            linear.update(id(v) for v, m in zip(eqn.outputs, out_lin) if m)
            continue
        linear_in = linear_positions.get(prim)
        if linear_in is None:
            raise NonLinearError(f"`{prim.name}` is not linear but reads a linear value"
                                 f"{where}")
        positions = set(linear_in(eqn.params, len(eqn.inputs)))
        for i, f in enumerate(flags):
            if f and i not in positions:
                raise NonLinearError(f"`{prim.name}` reads a linear value in its non-linear "
                                     f"operand {i}{where}")
        if prim in bilinear:
            if sum(flags) != 1:
                raise NonLinearError(f"`{prim.name}` multiplies two linear values{where}")
        else:
            for i in positions:
                if i < len(flags) and not flags[i] and not _zero(eqn.inputs[i]):
                    raise NonLinearError(
                        f"`{prim.name}` adds a non-linear value (operand {i}) to a linear "
                        f"one, which is affine, not linear{where}")
        linear.update(id(v) for v in eqn.outputs)
    return [isinstance(o, Var) and id(o) in linear for o in program.outs]


def _zero(x) -> bool:
    return isinstance(x, Literal) and is_zero_literal(x)
