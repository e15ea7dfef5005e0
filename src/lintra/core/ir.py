"""The IR: typed, first-order programs in A-normal form (like a jaxpr).

``Program(params, eqns, outs)``; ``Eqn(prim, inputs, params, outputs)``. Inputs are ``Var``s or
``Literal``s. Sub-programs (of ``call``, ``cond``, ``scan``...) live in an equation's params.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any

import numpy as np

from .avals import ShapedArray, concrete_aval


def params_key(params: dict):
    """The params as a hashable key (sorted by name), or None where a value is unhashable."""
    if not params:
        return ()
    key = tuple(params.items()) if len(params) == 1 else tuple(sorted(params.items()))
    try:
        hash(key)
    except TypeError:
        return None
    return key


class Var:
    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"Var<{self.aval.str_short()}>"


class Literal:
    __slots__ = ("val", "aval", "key")

    def __init__(self, val: Any, aval: ShapedArray | None = None):
        self.val = val
        self.aval = concrete_aval(val).strip_weak() if aval is None else aval
        self.key = None         # its CSE key, once computed (``core.staging``)

    def __repr__(self) -> str:
        return f"Literal({self.val!r})"


Atom = Var | Literal


class Eqn:
    __slots__ = ("prim", "inputs", "params", "outputs", "source")

    def __init__(self, prim, inputs: list[Atom], params: dict, outputs: list[Var],
                 source: str | None = None):
        self.prim = prim
        self.inputs = list(inputs)
        self.params = params
        self.outputs = list(outputs)
        self.source = source

    def __repr__(self) -> str:
        return f"Eqn({self.prim.name}, {len(self.inputs)} in, {len(self.outputs)} out)"


class Program:
    """A closed program: ``params -> outs``. ``name`` is used by the printer and backends."""

    _ids = itertools.count()

    def __init__(self, params: list[Var], eqns: list[Eqn], outs: list[Atom], name: str = "f"):
        self.params = list(params)
        self.eqns = list(eqns)
        self.outs = list(outs)
        self.name = name
        self.uid = next(Program._ids)

    @property
    def in_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.params]

    @property
    def out_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.outs]

    def __repr__(self) -> str:
        return _printer[0](self) if _printer else f"Program({self.name})"

    __str__ = __repr__


_printer: list = []


def register_printer(fn) -> None:
    """The pretty-printer (core/printing.py, which reads the IR) formats ``repr(program)``."""
    _printer[:] = [fn]


class ProgramTable:
    """Values derived from programs (a jvp program, an unzip, an execution plan), memoized by
    the one transformation or backend that owns the table. Entries die with their program.
    A value must not refer back to its own program (that would keep it alive)."""

    def __init__(self):
        self._tables: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get(self, program: Program, key: Any) -> Any:
        table = self._tables.get(program)
        return None if table is None else table.get(key)

    def put(self, program: Program, key: Any, value: Any) -> Any:
        self._tables.setdefault(program, {})[key] = value
        return value


class TypeCheckError(Exception):
    pass


def typecheck(program: Program, _seen: set | None = None) -> tuple[list, list]:
    """Check that every variable is defined once before use and every equation's output types
    agree with its primitive's shape rule; recurse into sub-programs. Returns (in, out) avals."""
    seen = set() if _seen is None else _seen
    if program.uid in seen:
        return program.in_avals, program.out_avals
    seen.add(program.uid)
    env: set[int] = set()
    _define(env, program.params)
    for eqn in program.eqns:
        in_avals = []
        for x in eqn.inputs:            # _read, inline: this loop runs once per equation
            if id(x) not in env and x.__class__ is not Literal:
                _read(env, x)
            in_avals.append(x.aval)
        prim = eqn.prim
        if prim.higher_order:
            for sub in prim.subprograms(eqn.params):
                typecheck(sub, seen)
        try:
            out_avals = prim.out_types(tuple(in_avals), eqn.params)
        except Exception as e:
            raise TypeCheckError(f"in `{prim.name}`: {e}") from e
        if len(out_avals) != len(eqn.outputs):
            raise TypeCheckError(f"`{prim.name}` has {len(eqn.outputs)} outputs, its rule "
                                 f"gives {len(out_avals)}")
        for v, a in zip(eqn.outputs, out_avals):
            if v.__class__ is not Var or id(v) in env:
                _define(env, [v])       # raises: not a variable, or defined twice
            if v.aval is not a and v.aval != a:
                raise TypeCheckError(f"`{prim.name}` output is {v.aval}, rule says {a}")
            env.add(id(v))
    out_avals = [_read(env, x) for x in program.outs]
    return program.in_avals, out_avals


def _define(env: set, vs: list) -> None:
    for v in vs:
        if v.__class__ is not Var and not isinstance(v, Var):
            raise TypeCheckError(f"{v!r} defined but is not a Var")
        if id(v) in env:
            raise TypeCheckError(f"variable {v} defined twice")
        env.add(id(v))


def _read(env: set, x: Atom) -> ShapedArray:
    if id(x) not in env and not isinstance(x, Literal):
        raise TypeCheckError(f"variable {x} used before it is defined")
    return x.aval


def dce(program: Program, used_outputs: list[bool] | None = None) -> Program:
    """Dead-code elimination: drop equations no output depends on (and unused outputs)."""
    outs = program.outs if used_outputs is None else [
        o for o, u in zip(program.outs, used_outputs) if u]
    live = {id(o) for o in outs if isinstance(o, Var)}
    mark = live.add
    kept = []
    for eqn in reversed(program.eqns):
        ovs = eqn.outputs
        if not (len(ovs) == 1 and id(ovs[0]) in live):     # the common case, inline
            if not any(id(v) in live for v in ovs) and not eqn_has_effect(eqn):
                continue
        kept.append(eqn)
        for x in eqn.inputs:
            if x.__class__ is not Literal:
                mark(id(x))
    kept.reverse()
    if len(kept) == len(program.eqns) and used_outputs is None:
        return program
    return Program(program.params, kept, outs, program.name)


_effects = ProgramTable()


def eqn_has_effect(eqn: Eqn) -> bool:
    """An effectful equation (``debug_print``), or one whose sub-programs have one (a loop
    that prints): never removed as dead code."""
    if eqn.prim.has_effect:
        return True
    return any(program_has_effect(p) for p in eqn.prim.subprograms(eqn.params))


def program_has_effect(program: Program) -> bool:
    hit = _effects.get(program, "effect")
    if hit is None:
        hit = _effects.put(program, "effect", any(eqn_has_effect(e) for e in program.eqns))
    return hit


def is_zero_literal(x: Atom) -> bool:
    return isinstance(x, Literal) and not np.any(x.val)
