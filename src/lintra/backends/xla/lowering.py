"""Programs as JAX functions: an evaluator of lintra programs on JAX values, run under
``jax.jit`` tracing, with one lowering per primitive.

``lowerings[p](*args, **params)`` takes JAX values (tracers) and returns p's result (a list
for multiple-results primitives) built with ``jax.lax`` / ``jax.numpy``. Higher-order
primitives lower their sub-programs with ``lower_program``; a ``call`` (``@fn``) becomes a
call of one ``jax.jit``-ed function per program (``jitted_program``), reused wherever the
program is called, so nested functions stay nested in the traced JAX program too.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ...core.errors import MissingRuleError
from ...core.ir import Literal, Program, ProgramTable, Var, eqn_has_effect
from ...core.primitive import Primitive, registry

lowerings: dict[Primitive, Callable] = {}
# lowerings of primitives defined in modules not imported yet (lintra.scipy): resolved to
# their ``Primitive`` objects, once, as soon as those register (``resolve_deferred``)
_deferred: dict[str, Callable] = {}

_lowered = ProgramTable()


class MissingLoweringError(MissingRuleError):
    """A primitive in the program has no XLA lowering."""


def register_lowering(prim: Primitive, rule: Callable) -> Callable:
    lowerings[prim] = rule
    return rule


def register_deferred(name: str, rule: Callable) -> Callable:
    """``rule`` as the lowering of the primitive registered as ``name``, now or later."""
    _deferred[name] = rule
    resolve_deferred()
    return rule


def resolve_deferred() -> None:
    """Key the deferred lowerings whose primitives are registered by now."""
    for name in [n for n in _deferred if n in registry]:
        lowerings[registry[name]] = _deferred.pop(name)


def _literal(x: Literal):
    """A literal as a strongly typed NumPy constant of its aval's dtype."""
    return np.asarray(x.val, x.aval.dtype)


def _coerce(value, var: Var):
    """A lowering's result with the dtype lintra's type rules give (jnp may promote)."""
    dt = var.aval.dtype
    if getattr(value, "dtype", None) != dt:
        value = jnp.asarray(value).astype(dt)
    return value


def _run(program: Program, args) -> list:
    """Evaluate ``program`` on JAX values. An equation whose (primitive, inputs, params) were
    seen before in this program reuses that result (nested ``@fn`` calls of one argument)."""
    env: dict[int, object] = {id(v): a for v, a in zip(program.params, args)}
    seen: dict = {}

    def read(x):
        return _literal(x) if isinstance(x, Literal) else env[id(x)]

    for eqn in program.eqns:
        rule = lowerings.get(eqn.prim)
        if rule is None and _deferred:
            resolve_deferred()
            rule = lowerings.get(eqn.prim)
        if rule is None:
            raise MissingLoweringError(
                f"primitive `{eqn.prim.name}` has no XLA lowering (program {program.name}); "
                "run this program with backend='interpret'")
        key = _share_key(eqn)
        outs = seen.get(key) if key is not None else None
        if outs is None:
            out = rule(*[read(x) for x in eqn.inputs], **eqn.params)
            outs = list(out) if eqn.prim.multiple_results else [out]
            outs = [_coerce(o, v) for o, v in zip(outs, eqn.outputs)]
            if key is not None:
                seen[key] = outs
        for v, o in zip(eqn.outputs, outs):
            env[id(v)] = o
    return [read(o) for o in program.outs]


def _share_key(eqn) -> tuple | None:
    """Calls only (a pure ``call`` of the same program on the same variables); a program
    that prints runs every time it is called."""
    if not eqn.prim.higher_order or "program" not in eqn.params or len(eqn.params) != 1 \
            or any(not isinstance(x, Var) for x in eqn.inputs) or eqn_has_effect(eqn):
        return None
    return (eqn.prim, eqn.params["program"].uid, tuple(id(x) for x in eqn.inputs))


def lower_program(program: Program) -> Callable[..., list]:
    """``program`` as a Python function of JAX values (to be traced by JAX). It holds the
    program weakly: cached lowerings never keep programs alive."""
    fn = _lowered.get(program, "fn")
    if fn is None:
        ref = weakref.ref(program)

        def fn(*args):
            return _run(ref(), args)
        fn.__name__ = f"lintra_{program.name}"
        fn.__qualname__ = fn.__name__
        _lowered.put(program, "fn", fn)
    return fn


def jitted_program(program: Program) -> Callable[..., list]:
    """The one ``jax.jit`` of ``program`` that every ``call`` of it uses."""
    fn = _lowered.get(program, "jit")
    if fn is None:
        fn = _lowered.put(program, "jit", jax.jit(lower_program(program)))
    return fn


def missing_lowerings(prims) -> list[str]:
    """Names of the primitives among ``prims`` without a lowering (the coverage test)."""
    resolve_deferred()
    return sorted(p.name for p in prims if p not in lowerings)
