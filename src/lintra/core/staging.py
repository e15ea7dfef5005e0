"""Staging: trace a Python function into a ``Program`` (used by jit, make_program, fn).

Equations are appended in the order they run, so programs need no topological sort. Values
from lower levels that the function closes over become extra inputs (closure conversion);
concrete constants become literals.
"""

from __future__ import annotations

import gc
import inspect
import operator
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import config
from .avals import ShapedArray, concrete_aval, is_python_scalar
from .ir import Eqn, Literal, Program, Var, dce, params_key, typecheck
from .pytree import flatten, leaf_paths, unflatten
from .trace import Trace, Tracer, capturing, full_raise, get_aval, new_main, source_line


class ProgramBuilder:
    def __init__(self):
        self.eqns: list[Eqn] = []
        self.const_vars: list[Var] = []
        self.const_vals: list[Any] = []
        self._const_ids: dict[int, Var] = {}
        self._const_atoms: dict[int, Var] = {}
        self.cse: dict = {}   # (prim, inputs, params) -> outputs: pure equations are shared

    def const_var(self, val: Any) -> Var:
        """An input of the program standing for ``val`` (a residual or a closed-over tracer)."""
        v = self._const_ids.get(id(val))
        if v is None:
            v = Var(get_aval(val).strip_weak())
            self._const_ids[id(val)] = v
            self.const_vars.append(v)
            self.const_vals.append(val)
        return v

    def const_atom(self, trace: StagingTrace, atom) -> Var:
        """``const_var`` of the value ``atom`` staged by ``trace``: one input however many
        replayed equations read it."""
        v = self._const_atoms.get(id(atom))
        if v is None:
            v = self._const_atoms[id(atom)] = self.const_var(StagingTracer(trace, atom))
        return v

    def inline(self, replay: Replay, in_atoms: list, source: str | None) -> list:
        """Append a copy of ``replay``'s equations reading ``in_atoms`` (pure equations shared
        through the CSE table, as ``process_primitive`` would); its outputs' atoms.
        Replaying a memoized rule this way costs a copy per equation, not a trace."""
        vals = list(in_atoms)
        read = vals.__getitem__
        eqns, cse = self.eqns, self.cse
        for prim, refs, params, pkey, avals, plain in replay.steps:
            # map, not a comprehension (a frame per equation)
            ins = (list(map(read, refs)) if plain else
                   [r if r.__class__ is Literal else vals[r] for r in refs])
            key = None
            if pkey is not None:
                key = _atoms_key(ins)
                if key is not None:
                    key = (prim, key, pkey)
                    hit = cse.get(key)
                    if hit is not None:
                        vals.extend(hit)
                        continue
            outs = [Var(avals[0])] if len(avals) == 1 else [Var(a) for a in avals]
            eqns.append(Eqn(prim, ins, params, outs, source))
            if key is not None:
                cse[key] = outs
            vals.extend(outs)
        if replay.plain_outs:
            return list(map(read, replay.outs))
        return [r if r.__class__ is Literal else vals[r] for r in replay.outs]

    def build(self, in_vars: list[Var], outs: list, name: str = "f") -> tuple[Program, list]:
        """The program ``(consts..., ins...) -> outs`` and the values of its consts."""
        return Program(self.const_vars + list(in_vars), self.eqns, outs, name), self.const_vals


def literal_or_const(builder: ProgramBuilder, val: Any):
    """Concrete values become literals; lower-level tracers become const inputs."""
    if val.__class__ is np.ndarray:
        hit = _interned.get(id(val))
        if hit is not None and hit[0] is val:
            return hit[1]
        return Literal(val)
    if isinstance(val, Tracer):
        return builder.const_var(val)
    if is_python_scalar(val):
        return Literal(val, concrete_aval(val))
    return Literal(val)


def intern_constant(arr: np.ndarray) -> np.ndarray:
    """Mark ``arr`` (read-only, never changed: the index vector of ``x[i]``, made once per
    index) as one literal wherever it is staged, its CSE key computed once; returns it."""
    arr.flags.writeable = False
    if len(_interned) >= 1 << 16:
        _interned.clear()
    _interned[id(arr)] = (arr, Literal(arr))
    return arr


# id -> (interned array, its literal): the array is kept alive, so its id is not reused
_interned: dict[int, tuple] = {}


USER_LINE = object()


class StagingTracer(Tracer):
    # ``aval`` is a slot (its atom's, copied once): read by every operation's type checks
    __slots__ = ("atom", "aval")

    def __init__(self, trace: StagingTrace, atom):
        self._trace = trace
        self.atom = atom
        self.aval = atom.aval


_atom_of = operator.attrgetter("atom")
_aval_of = operator.attrgetter("aval")


class StagingTrace(Trace):
    __slots__ = ()
    transformation = "staging (jit / make_program / fn)"
    stages_constants = True
    binds_nothing = True

    @property
    def builder(self) -> ProgramBuilder:
        return self.main.data

    def pure(self, val):
        return StagingTracer(self, literal_or_const(self.builder, val))

    def lift(self, val):
        return StagingTracer(self, self.builder.const_var(val))

    def emit(self, prim, tracers, params, source=USER_LINE) -> list[StagingTracer]:
        """Stage one equation of this trace's tracers (``source``: its source line, or
        ``USER_LINE`` to find the user's); ``bind`` without the dispatch, for callers that
        know every input is already a tracer of this trace."""
        atoms = list(map(_atom_of, tracers))        # map, not a comprehension: no frame
        builder = self.main.data
        key = None
        if not prim.has_effect:
            pkey = params_key(params) if params else ()
            if pkey is None:
                ins = None
            elif len(atoms) == 2 and atoms[0].__class__ is Var and atoms[1].__class__ is Var:
                ins = (id(atoms[0]), id(atoms[1]))      # the common case, inline
            else:
                ins = _atoms_key(atoms)
            if ins is not None:
                key = (prim, ins, pkey)
                hit = builder.cse.get(key)
                if hit is not None:
                    return [StagingTracer(self, v) for v in hit]
        out_avals = prim.out_types(tuple(map(_aval_of, atoms)), params)
        if len(out_avals) == 1:
            a = out_avals[0]
            outs = [Var(a.strip_weak() if a.weak_type else a)]
        else:
            outs = [Var(a.strip_weak() if a.weak_type else a) for a in out_avals]
        # the user's line: the search starts at the caller of emit's caller (bind's caller
        # when emit runs as process_primitive; lintra's own code when called directly)
        builder.eqns.append(Eqn(prim, atoms, params, outs,
                                source_line(sys._getframe(2)) if source is USER_LINE
                                else source))
        if key is not None:
            builder.cse[key] = outs
        if len(outs) == 1:
            return [StagingTracer(self, outs[0])]
        return [StagingTracer(self, v) for v in outs]

    process_primitive = emit        # by the user's line; a frame less per operation

    def new_arg(self, aval: ShapedArray) -> StagingTracer:
        """An argument: a Python scalar passed to ``jit`` stays weakly typed, as in JAX
        (``jit(f)(float32_array, 2.0)`` computes in float32)."""
        return StagingTracer(self, Var(aval))


_CSE_ARRAY_SIZE = 4096


def _literal_key(a: Literal):
    """A literal by value (floats by their bits: 0.0 and -0.0 are different constants), or
    None for a large or unhashable one."""
    key = a.key
    if key is None:
        key = a.key = _value_key(a)
    return key


def _value_key(a: Literal):
    val = a.val
    if a.aval.shape == ():
        v = val.item() if hasattr(val, "item") else val
        if v.__class__ is float:
            v = v.hex()
        elif v.__class__ not in (int, bool, complex):
            try:
                hash(v)
            except TypeError:
                return None
        return ("lit", a.aval.dtype, v)
    if isinstance(val, np.ndarray) and val.size <= _CSE_ARRAY_SIZE:
        # small constant arrays (quadrature nodes, a vmapped view of them) by value, so a
        # function evaluated at the same nodes in several places is computed once
        return ("arr", val.dtype, val.shape, val.tobytes())
    return None


def _atoms_key(atoms) -> tuple | None:
    ins = []
    for a in atoms:
        if a.__class__ is Var:
            ins.append(id(a))
        else:
            k = _literal_key(a)
            if k is None:
                return None
            ins.append(k)
    return tuple(ins)


class Replay:
    """A program prepared for ``ProgramBuilder.inline``: inputs as slot numbers (params
    first, then each equation's outputs in order), the CSE key of each equation's params
    computed once (None: never shared), and whether its inputs are all slots (no literal)."""

    __slots__ = ("steps", "outs", "plain_outs")

    def __init__(self, program: Program):
        slot = {id(p): i for i, p in enumerate(program.params)}
        self.steps = []
        for eqn in program.eqns:
            refs = tuple(x if x.__class__ is Literal else slot[id(x)] for x in eqn.inputs)
            pkey = None if eqn.prim.has_effect else params_key(eqn.params)
            plain = not any(r.__class__ is Literal for r in refs)
            self.steps.append((eqn.prim, refs, eqn.params, pkey,
                               tuple(v.aval for v in eqn.outputs), plain))
            for v in eqn.outputs:
                slot[id(v)] = len(slot)
        self.outs = tuple(x if x.__class__ is Literal else slot[id(x)] for x in program.outs)
        self.plain_outs = not any(r.__class__ is Literal for r in self.outs)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Staging allocates millions of small objects and frees almost none: the cyclic
    collector's full passes over them made staging superlinear (a 150k-equation gradient
    spent a third of its time there). Paused while the outermost staging runs."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def trace_to_program(fn: Callable, in_avals: list[ShapedArray], name: str = "f",
                     capture: bool = False) -> tuple[Program, list]:
    """Stage ``fn(*flat_args) -> flat_outs``. Returns (program, const values); the program's
    params are the consts' vars followed by the arguments. ``capture``: operations on traced
    values ``fn`` closes over are staged too (``trace.capturing``), not left to their trace."""
    builder = ProgramBuilder()
    with gc_paused(), new_main(StagingTrace, builder) as main:
        trace = StagingTrace(main)
        args = [trace.new_arg(a) for a in in_avals]
        if capture:
            with capturing(trace):
                outs = fn(*args)
        else:
            outs = fn(*args)
        out_atoms = [full_raise(trace, o).atom for o in outs]
    program, consts = builder.build([a.atom for a in args], out_atoms, name)
    program = dce(program)          # e.g. the primal output a derivative does not return
    if config.check_programs:
        typecheck(program)
    return program, consts


def _static_key(v: Any):
    try:
        hash(v)
    except TypeError:
        raise TypeError(f"static argument {v!r} must be hashable") from None
    return v


def as_tuple(x: Any, kind: type) -> tuple:
    """``static_argnums``/``static_argnames`` as a tuple (one int or name is allowed)."""
    return (x,) if isinstance(x, kind) else tuple(x)


def static_args(fun: Callable, nums: Sequence[int], names: Sequence[str]):
    """JAX's pairing: each static position's parameter name is static too, and each static
    name that can be passed positionally gives its position."""
    nums, names = list(nums), list(names)
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return tuple(nums), frozenset(names)
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for i, p in enumerate(positional):
        if i in nums and p.kind is p.POSITIONAL_OR_KEYWORD and p.name not in names:
            names.append(p.name)
        if p.name in names and i not in nums:
            nums.append(i)
    return tuple(sorted(nums)), frozenset(names)


def leaf_avals(leaves: list, paths: Callable[[], list[str]]) -> tuple:
    """The avals of ``tree``'s ``leaves``; an unsupported leaf's error says where it is (a
    dataclass field by name: mark a non-array field ``field(metadata=dict(static=True))``)."""
    try:
        return tuple(get_aval(x) for x in leaves)
    except TypeError as e:
        for path, x in zip(paths(), leaves):
            try:
                get_aval(x)
            except TypeError:
                hint = (" (a dataclass field that is not an array can be declared static: "
                        "dataclasses.field(metadata=dict(static=True)))" if "." in path else "")
                raise TypeError(f"{path}: {e}{hint}") from None
        raise


class Staged:
    """``fun`` staged once per (argument tree, types, static arguments): shared by ``jit``,
    ``fn``, ``make_program``, ``checkpoint`` and the custom-rule functions. Static arguments
    (by position or by keyword name) are part of the cache key, not of the program.
    ``weak_args``: Python scalar arguments stay weakly typed (``jit``, as in JAX); a ``fn``
    takes them as ordinary float64/int64 values, so its one program serves the traced
    arguments it is mostly called with (Rose: one trace per function and types)."""

    def __init__(self, fun: Callable, static_argnums: Sequence[int] = (), name: str = "",
                 static_argnames: Sequence[str] = (), weak_args: bool = True):
        self.fun, self.weak_args = fun, weak_args
        if static_argnames or static_argnums:
            self.static_argnums, self.static_argnames = static_args(
                fun, static_argnums, static_argnames)
        else:
            self.static_argnums, self.static_argnames = tuple(static_argnums), frozenset()
        self.name = name or getattr(fun, "__name__", "f")
        self.cache: dict = {}

    def stage(self, args, kwargs):
        static = tuple((i, _static_key(args[i])) for i in self.static_argnums if i < len(args))
        dyn = [a for i, a in enumerate(args) if i not in self.static_argnums]
        static_kw = {}
        if self.static_argnames and kwargs:
            static_kw = {k: v for k, v in kwargs.items() if k in self.static_argnames}
            kwargs = {k: v for k, v in kwargs.items() if k not in self.static_argnames}
            static += tuple(sorted((k, _static_key(v)) for k, v in static_kw.items()))
        flat, in_tree = flatten((dyn, kwargs))
        avals = leaf_avals(flat, lambda: leaf_paths(dyn, "args") + leaf_paths(kwargs,
                                                                             "kwargs"))
        if not self.weak_args:
            avals = tuple(a.strip_weak() if not a.is_function else a for a in avals)
        key = (in_tree, tuple((a, a.domain) if a.is_function else
                              (a.shape, a.dtype, a.weak_type) for a in avals), static)
        hit = self.cache.get(key)
        if hit is not None:
            return hit, flat
        out_store: dict = {}

        def flat_fun(*leaves):
            dyn_args, kw = unflatten(in_tree, leaves)
            it = iter(dyn_args)
            full = [args[i] if i in self.static_argnums else next(it)
                    for i in range(len(args))]
            out = self.fun(*full, **kw, **static_kw)
            out_flat, out_store["tree"] = flatten(out)
            return out_flat

        program, consts = trace_to_program(flat_fun, list(avals), self.name)
        entry = (program, consts, out_store["tree"])
        if not any(isinstance(c, Tracer) for c in consts):
            self.cache[key] = entry
        return entry, flat
