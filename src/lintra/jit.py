"""``jit``: stage a function once per input types (and static arguments), cache the program,
and run it on a backend. On concrete arguments the program runs on the chosen backend
(``jit(f, backend=...)``, default ``lintra.core.config.default_backend``); under a
transformation a jitted function is a ``call`` of its program, so every transformation
composes with it (jit inside grad and grad inside jit)."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .backends import MISMATCH, Executable, get_backend
from .core import config
from .core.avals import is_device_array
from .core.ir import Program, ProgramTable, typecheck
from .core.pytree import PyTreeDef, tree_leaves, unflatten
from .core.staging import Staged, as_tuple
from .core.trace import Tracer
from .ops.call import call_p
from .ops.reroll import reroll

_executables = ProgramTable()
# programs this long are compiled with unrolled Python loops rolled back (``_rolled``)
REROLL_MIN_EQNS = 256


def _executable(program: Program, backend: str | None, options: dict) -> Executable:
    """``program`` compiled once per backend (and backend options)."""
    b = get_backend(backend)
    key = (b.name, tuple(sorted(options.items()))) if options else b.name
    exe = _executables.get(program, key)
    if exe is None:
        exe = _executables.put(program, key, b.compile(_rolled(program), **options))
    return exe


def _rolled(program: Program) -> Program:
    """A long program with a Python loop unrolled in it (``jit(f)``, ``jit(jvp)``: ``grad``
    rolls its loops before differentiating) is compiled with the loop rolled back into a
    ``scan`` (``ops/reroll``): compile time and code size follow the loop body, not the
    loop's length. The same equations run in the same order."""
    if config.reroll_loops and len(program.eqns) >= REROLL_MIN_EQNS:
        return reroll(program)
    return program


def _per_leaf(spec: Any, args: Sequence, kwargs: dict, static: Sequence[int],
              n_consts: int) -> tuple:
    """``in_shardings`` for each program input: one sharding for every input, or one per
    positional argument (applied to each of its leaves); consts and keywords get None."""
    dyn = [a for i, a in enumerate(args) if i not in static]
    if not isinstance(spec, (tuple, list)):
        spec = [spec] * len(dyn)
    if len(spec) != len(dyn):
        raise ValueError(f"in_shardings has {len(spec)} entries for {len(dyn)} positional "
                         "arguments")
    out: list = [None] * n_consts
    for s, a in zip(spec, dyn):
        out += [s] * len(tree_leaves(a))
    return tuple(out + [None] * len(tree_leaves(kwargs)))


def _out_per_leaf(spec: Any) -> Any:
    """``out_shardings``: one sharding for every output, or a pytree of them (as leaves)."""
    return tuple(tree_leaves(spec)) if isinstance(spec, (tuple, list, dict)) else spec


def _fixed_options(out_shardings: Any, keep_on_device: bool) -> dict:
    """The backend options every call of a jitted function passes (``xla``'s)."""
    fixed: dict = {}
    if out_shardings is not None:
        fixed["out_shardings"] = _out_per_leaf(out_shardings)
    if keep_on_device:
        fixed["keep_on_device"] = True
    return fixed


def jit(fun: Callable | None = None, *, static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (), backend: str | None = None,
        in_shardings: Any = None, out_shardings: Any = None,
        keep_on_device: bool = False, donate_argnums: int | Sequence[int] = (),
        donate_argnames: str | Sequence[str] = ()) -> Callable:
    """Stage ``fun`` into a program once per input types and run it on ``backend`` (a name
    from ``lintra.backends``; default ``lintra.core.config.default_backend``). Arguments
    named by ``static_argnums`` (positions) or ``static_argnames`` (keyword names) are
    static: hashable Python values, part of the cache key, seen as themselves by ``fun``.

    Options of the ``xla`` backend: ``in_shardings`` (a ``jax.sharding.Sharding`` for every
    input, or a tuple with one per positional argument, None for unspecified) and
    ``out_shardings`` (one, or a pytree of them like the result), passed to ``jax.jit``;
    ``keep_on_device=True`` returns JAX arrays instead of NumPy arrays, so chained calls
    (and ``lintra.device_put`` inputs) stay on the device. ``donate_argnums`` and
    ``donate_argnames`` are accepted for JAX code and ignored: donation only lets a backend
    reuse input buffers, and lintra's never write into their inputs."""
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames, backend=backend,
                                 in_shardings=in_shardings, out_shardings=out_shardings,
                                 keep_on_device=keep_on_device,
                                 donate_argnums=donate_argnums, donate_argnames=donate_argnames)
    if backend is not None:
        get_backend(backend)                  # an unknown name fails here, not at the call
    staged = Staged(fun, as_tuple(static_argnums, int),
                    static_argnames=as_tuple(static_argnames, str))
    fixed = _fixed_options(out_shardings, keep_on_device)

    def prepare(args, kwargs):
        (program, consts, out_tree), flat = staged.stage(args, kwargs)
        options = fixed
        if in_shardings is not None:
            options = {**fixed, "in_shardings": _per_leaf(
                in_shardings, args, kwargs, staged.static_argnums, len(consts))}
        return program, [*consts, *flat], out_tree, options

    # arrays-only calls skip staging's pytree work: (backend, shapes, dtypes) -> compiled
    fast: dict = {}     # flat array arguments -> (executable, consts, finish)
    plain = not staged.static_argnums and not staged.static_argnames
    # quickest: one executable's ``strict`` entry, tried first (it checks the types itself)
    quick = _Quick()

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        if (quick.exe is not None and not kwargs
                and (backend or config.default_backend) == quick.backend):
            outs = quick.exe.strict(*args)
            if outs is not MISMATCH:
                quick.misses = 0
                return quick.finish(outs)
            quick.misses += 1
        key = _array_key(args, backend) if plain and not kwargs else None
        hit = fast.get(key) if key is not None else None
        if hit is not None:
            exe, consts, finish = hit
            if quick.misses >= _QUICK_MISSES and not consts:
                quick.take(exe, finish, key)
            return finish(exe([*consts, *args]) if consts else exe(args))
        program, ins, out_tree, options = prepare(args, kwargs)
        if any(isinstance(x, Tracer) for x in ins):
            outs = call_p.bind(*ins, program=program)    # under a transformation
        else:
            exe = _executable(program, backend, options)
            if key is not None:
                fast[key] = (exe, ins[:len(ins) - len(args)], _finisher(exe, out_tree))
            outs = exe(ins)
        return unflatten(out_tree, [_writable(o) for o in outs])

    def executable(*args, **kwargs) -> tuple[Executable, list]:
        """(the backend's compiled object for these arguments, its flat inputs)."""
        program, ins, _, options = prepare(args, kwargs)
        return _executable(program, backend, options), ins

    wrapped.staged = staged  # type: ignore[attr-defined]
    wrapped.executable = executable  # type: ignore[attr-defined]
    return wrapped


# calls that missed the quick entry before another executable takes its place
_QUICK_MISSES = 4


class _Quick:
    """A jitted function's quickest path: the ``strict`` entry of the executable it last
    settled on (arrays-only arguments, no consts, warmed up: ``tier_up`` done). A call of
    other types costs one failed type check; ``_QUICK_MISSES`` of them in a row hand the
    place to the executable called then, so alternating types do not thrash."""

    __slots__ = ("exe", "finish", "misses", "backend")

    def __init__(self):
        self.exe, self.finish, self.misses, self.backend = None, None, _QUICK_MISSES, None

    def take(self, exe: Executable, finish: Callable, key: tuple) -> None:
        if (getattr(exe, "strict", None) is None or getattr(exe, "tier_up", None) is not None
                or self.exe is exe
                or not all(type(k) is tuple or isinstance(k, np.dtype) for k in key[1:])):
            return
        self.exe, self.finish, self.misses, self.backend = exe, finish, 0, key[0]


def _array_key(args: tuple, backend: str | None) -> tuple | None:
    """The cache key of a call whose arguments are all arrays or Python scalars (the
    common case, which then skips flattening and staging's lookup), else None."""
    key: list = [backend or config.default_backend]
    for a in args:
        t = type(a)
        if t is np.ndarray:
            key += (a.shape, a.dtype)
        elif t is float or t is int or t is bool:
            key.append(t)
        elif is_device_array(a):
            key += (t, a.shape, a.dtype)
        else:
            return None
    return tuple(key)


def _finisher(exe: Executable, out_tree: PyTreeDef) -> Callable:
    """The result from a flat output tuple: backends whose outputs are always fresh arrays
    (``exe.fresh_outputs``) skip the copy of read-only views, and one array (the common
    result) is just taken out."""
    if not getattr(exe, "fresh_outputs", False):
        return lambda outs: unflatten(out_tree, [_writable(o) for o in outs])
    if out_tree.node_type is None:
        return operator.itemgetter(0)
    return functools.partial(unflatten, out_tree)


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
                    as_tuple(static_argnames, str), weak_args=False)

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
