"""``jit``: stage a function once per input types (and static arguments), cache the program,
and run it on a backend. On concrete arguments the program runs on the chosen backend
(``jit(f, backend=...)``, default ``lintra.core.config.default_backend``); under a
transformation a jitted function is a ``call`` of its program, so every transformation
composes with it (jit inside grad and grad inside jit)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from .backends import Executable, get_backend
from .core import config
from .core.ir import Program, ProgramTable, typecheck
from .core.pytree import unflatten
from .core.staging import Staged, as_tuple
from .core.trace import Tracer
from .ops.call import call_p

_executables = ProgramTable()


def _executable(program: Program, backend: str | None) -> Executable:
    """``program`` compiled once per backend."""
    b = get_backend(backend)
    exe = _executables.get(program, b.name)
    if exe is None:
        exe = _executables.put(program, b.name, b.compile(program))
    return exe


def jit(fun: Callable | None = None, *, static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (), backend: str | None = None) -> Callable:
    """Stage ``fun`` into a program once per input types and run it on ``backend`` (a name
    from ``lintra.backends``; default ``lintra.core.config.default_backend``). Arguments
    named by ``static_argnums`` (positions) or ``static_argnames`` (keyword names) are
    static: hashable Python values, part of the cache key, seen as themselves by ``fun``."""
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames, backend=backend)
    if backend is not None:
        get_backend(backend)                  # an unknown name fails here, not at the call
    staged = Staged(fun, as_tuple(static_argnums, int),
                    static_argnames=as_tuple(static_argnames, str))

    # arrays-only calls skip staging's pytree work: (backend, shapes, dtypes) -> compiled
    fast: dict = {}
    plain = not staged.static_argnums and not staged.static_argnames

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        key = None
        if plain and not kwargs and all(type(a) is np.ndarray for a in args):
            key = (backend or config.default_backend,
                   *[(a.shape, a.dtype) for a in args])
            hit = fast.get(key)
            if hit is not None:
                exe, consts, out_tree = hit
                return unflatten(out_tree, [_writable(o) for o in exe([*consts, *args])])
        (program, consts, out_tree), flat = staged.stage(args, kwargs)
        ins = [*consts, *flat]
        if any(isinstance(x, Tracer) for x in ins):
            outs = call_p.bind(*ins, program=program)    # under a transformation
        else:
            exe = _executable(program, backend)
            outs = exe(ins)
            if key is not None:
                fast[key] = (exe, consts, out_tree)
        return unflatten(out_tree, [_writable(o) for o in outs])

    wrapped.staged = staged  # type: ignore[attr-defined]
    return wrapped


def _writable(x):
    """Results handed to users are ordinary arrays (internally, broadcasts are views)."""
    if isinstance(x, np.ndarray) and not x.flags.writeable:
        return np.array(x)
    return x


def fn(fun: Callable | None = None, *, name: str | None = None,
       static_argnums: int | Sequence[int] = (),
       static_argnames: str | Sequence[str] = ()) -> Callable:
    """Mark an explicit reusable function (Rose): traced once per input types into its own
    program and *called*, never inlined, wherever it is used. Derivatives map it to derived
    functions, cached per (function, types), so programs and their derivatives stay linear in
    the size of the source."""
    if fun is None:
        return functools.partial(fn, name=name, static_argnums=static_argnums,
                                 static_argnames=static_argnames)
    staged = Staged(fun, as_tuple(static_argnums, int), name or getattr(fun, "__name__", "fn"),
                    as_tuple(static_argnames, str))

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        (program, consts, out_tree), flat = staged.stage(args, kwargs)
        return unflatten(out_tree, call_p.bind(*consts, *flat, program=program))

    wrapped.staged = staged  # type: ignore[attr-defined]
    return wrapped


def make_program(fun: Callable, static_argnums: int | Sequence[int] = (),
                 static_argnames: str | Sequence[str] = ()) -> Callable:
    """``make_program(f)(*args)`` returns the staged, type-checked ``Program`` of ``f``;
    print it to read it."""
    staged = Staged(fun, as_tuple(static_argnums, int), static_argnames=as_tuple(
        static_argnames, str))

    @functools.wraps(fun)
    def make(*args, **kwargs) -> Program:
        (program, consts, _), _ = staged.stage(args, kwargs)
        typecheck(program)
        return program

    return make
