"""A readable pretty-printer for programs; reusable functions are printed once each."""

from __future__ import annotations

import numpy as np

from .ir import Literal, Program, register_printer


class _Names:
    def __init__(self):
        self.names: dict[int, str] = {}

    def __call__(self, v) -> str:
        if isinstance(v, Literal):
            val = v.val
            if np.ndim(val) == 0:
                return repr(val.item() if isinstance(val, (np.ndarray, np.generic)) else val)
            if np.size(val) <= 6:                  # small constants: show the values
                return f"{v.aval.str_short()}{np.asarray(val).tolist()}"
            return f"const{v.aval.str_short()}"
        name = self.names.get(id(v))
        if name is None:
            n = len(self.names)
            name = ""
            while True:
                name = chr(ord("a") + n % 26) + name
                n = n // 26 - 1
                if n < 0:
                    break
            self.names[id(v)] = name
        return name


def _fmt_param(k, v) -> str:
    if isinstance(v, Program):
        return f"{k}={v.name}"
    if isinstance(v, (list, tuple)) and v and all(isinstance(p, Program) for p in v):
        return f"{k}=({', '.join(p.name for p in v)})"
    if callable(v) and not isinstance(v, type):
        return f"{k}={getattr(v, '__name__', type(v).__name__)}"
    return f"{k}={v}"


def _format_one(program: Program, lines: list[str], pending: list[Program]):
    names = _Names()
    params = " ".join(f"{names(v)}:{v.aval.str_short()}" for v in program.params)
    lines.append(f"{{ lambda {params} .")
    for eqn in program.eqns:
        lhs = " ".join(f"{names(v)}:{v.aval.str_short()}" for v in eqn.outputs)
        prm = [_fmt_param(k, v) for k, v in eqn.params.items() if not k.startswith("_")]
        prm_s = f"[{', '.join(prm)}]" if prm else ""
        rhs = " ".join(names(x) for x in eqn.inputs)
        lines.append(f"    {lhs} = {eqn.prim.name}{prm_s} {rhs}")
        pending.extend(eqn.prim.subprograms(eqn.params))
    outs = ", ".join(names(x) for x in program.outs)
    lines.append(f"  in ({outs}) }}")


def format_program(program: Program) -> str:
    lines: list[str] = []
    pending: list[Program] = []
    _format_one(program, lines, pending)
    done = {program.uid}
    while pending:
        sub = pending.pop(0)
        if sub.uid in done:
            continue
        done.add(sub.uid)
        lines.append("")
        lines.append(f"{sub.name} =")
        _format_one(sub, lines, pending)
    return "\n".join(lines)


def count_programs(program: Program) -> tuple[int, int]:
    """(distinct programs reachable, total equations over them): the size measure of §3."""
    seen: dict[int, int] = {}
    stack = [program]
    while stack:
        p = stack.pop()
        if p.uid in seen:
            continue
        seen[p.uid] = len(p.eqns)
        for eqn in p.eqns:
            stack.extend(eqn.prim.subprograms(eqn.params))
    return len(seen), sum(seen.values())


register_printer(format_program)
