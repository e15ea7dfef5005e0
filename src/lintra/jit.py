"""``jit``: stage a function once per input types (and static arguments), cache the program,
and run it on a backend. A jitted function is a ``call`` of its program, so every
transformation composes with it (jit inside grad and grad inside jit)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .core.ir import Program, typecheck
from .core.pytree import flatten, unflatten
from .core.staging import trace_to_program
from .core.trace import Tracer, get_aval
from .ops.call import call_p


def _static_key(v: Any):
    try:
        hash(v)
    except TypeError:
        raise TypeError(f"static argument {v!r} must be hashable") from None
    return v


class _Staged:
    """Stage ``fun`` per (tree, types, static args); shared by ``jit`` and ``make_program``."""

    def __init__(self, fun: Callable, static_argnums: Sequence[int] = (), name: str = ""):
        self.fun = fun
        self.static_argnums = tuple(static_argnums)
        self.name = name or getattr(fun, "__name__", "f")
        self.cache: dict = {}

    def stage(self, args, kwargs):
        static = tuple((i, _static_key(args[i])) for i in self.static_argnums if i < len(args))
        dyn = [a for i, a in enumerate(args) if i not in self.static_argnums]
        flat, in_tree = flatten((dyn, kwargs))
        avals = tuple(get_aval(x) for x in flat)
        key = (in_tree, tuple((a.shape, a.dtype) for a in avals), static)
        hit = self.cache.get(key)
        if hit is not None:
            return hit, flat
        out_store: dict = {}

        def flat_fun(*leaves):
            dyn_args, kw = unflatten(in_tree, leaves)
            it = iter(dyn_args)
            full = [args[i] if i in self.static_argnums else next(it)
                    for i in range(len(args))]
            out = self.fun(*full, **kw)
            out_flat, out_store["tree"] = flatten(out)
            return out_flat

        program, consts = trace_to_program(flat_fun, list(avals), self.name)
        entry = (program, consts, out_store["tree"])
        if not any(isinstance(c, Tracer) for c in consts):
            self.cache[key] = entry
        return entry, flat


def jit(fun: Callable | None = None, *, static_argnums: int | Sequence[int] = ()) -> Callable:
    """Stage ``fun`` into a program once per input types and run it on the backend."""
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums)
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    staged = _Staged(fun, nums)

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        (program, consts, out_tree), flat = staged.stage(args, kwargs)
        outs = call_p.bind(*consts, *flat, program=program)
        return unflatten(out_tree, [_writable(o) for o in outs])

    wrapped.staged = staged  # type: ignore[attr-defined]
    return wrapped


def _writable(x):
    """Results handed to users are ordinary arrays (internally, broadcasts are views)."""
    if isinstance(x, np.ndarray) and not x.flags.writeable:
        return np.array(x)
    return x


def fn(fun: Callable | None = None, *, name: str | None = None,
       static_argnums: int | Sequence[int] = ()) -> Callable:
    """Mark an explicit reusable function (Rose): traced once per input types into its own
    program and *called*, never inlined, wherever it is used. Derivatives map it to derived
    functions, cached per (function, types), so programs and their derivatives stay linear in
    the size of the source."""
    if fun is None:
        return functools.partial(fn, name=name, static_argnums=static_argnums)
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    staged = _Staged(fun, nums, name or getattr(fun, "__name__", "fn"))

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        (program, consts, out_tree), flat = staged.stage(args, kwargs)
        return unflatten(out_tree, call_p.bind(*consts, *flat, program=program))

    wrapped.staged = staged  # type: ignore[attr-defined]
    return wrapped


def make_program(fun: Callable, static_argnums: int | Sequence[int] = ()) -> Callable:
    """``make_program(f)(*args)`` returns the staged, type-checked ``Program`` of ``f``;
    print it to read it."""
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    staged = _Staged(fun, nums)

    @functools.wraps(fun)
    def make(*args, **kwargs) -> Program:
        (program, consts, _), _ = staged.stage(args, kwargs)
        typecheck(program)
        return program

    return make
