"""Checkpointing (rematerialization) as an unzip policy (design §5, "You Only Linearize Once").

``checkpoint(f, policy)`` stages ``f`` into a program called through ``call`` with a
``policy``. When the program is unzipped into its primal and linear halves, each non-linear
equation whose output the linear half needs is either *saved* as a residual (policy says
saveable) or *recomputed* inside the linear half. Nothing else changes: gradients are
identical under every policy, only what is kept in memory differs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from ..ad.jvp import jvp_program
from ..ad.rules import jvp_rules
from ..ad.unzip import unzip_program
from ..batching.core import vectorized, vmap_rules
from ..core.ir import Eqn, Var, typecheck
from ..core.primitive import Primitive
from ..core.pytree import flatten, unflatten
from ..core.staging import Staged, as_tuple
from .call import call_p
from .linalg import dot_general_p

# ---------------------------------------------------------------- names


name_p = Primitive("name")
name_p.def_impl(lambda x, *, name: x)
name_p.def_shape(lambda x, *, name: x)


def _name_jvp(primals, tangents, *, name):
    return name_p.bind(primals[0], name=name), tangents[0]


jvp_rules[name_p] = _name_jvp
vmap_rules[name_p] = vectorized(name_p)


def checkpoint_name(x: Any, name: str) -> Any:
    """Tag a value so that name-based policies can save (or not save) it."""
    return unflatten(flatten(x)[1], [name_p.bind(v, name=name) for v in flatten(x)[0]])


# ---------------------------------------------------------------- policies


class checkpoint_policies:
    """Policies decide, per equation, whether its outputs may be saved as residuals."""

    @staticmethod
    def everything_saveable(eqn: Eqn) -> bool:
        return True

    @staticmethod
    def nothing_saveable(eqn: Eqn) -> bool:
        return False

    @staticmethod
    def dots_saveable(eqn: Eqn) -> bool:
        return eqn.prim is dot_general_p

    checkpoint_dots = dots_saveable

    @staticmethod
    def dots_with_no_batch_dims_saveable(eqn: Eqn) -> bool:
        return eqn.prim is dot_general_p and not any(
            eqn.params.get("batch_dims", ((), ()))[0])

    @staticmethod
    def save_only_these_names(*names: str) -> Callable[[Eqn], bool]:
        keep = frozenset(names)
        return _NamePolicy(keep, True)

    @staticmethod
    def save_any_names_but_these(*names: str) -> Callable[[Eqn], bool]:
        return _NamePolicy(frozenset(names), False)

    @staticmethod
    def save_from_both_policies(a: Callable, b: Callable) -> Callable[[Eqn], bool]:
        return _BothPolicy(a, b)


class _NamePolicy:
    """Hashable (so unzip results cache per policy)."""

    def __init__(self, names: frozenset, only: bool):
        self.names, self.only = names, only

    def __call__(self, eqn: Eqn) -> bool:
        if eqn.prim is not name_p:
            return False
        return (eqn.params["name"] in self.names) == self.only

    def __eq__(self, other):
        return isinstance(other, _NamePolicy) and (self.names, self.only) == (other.names,
                                                                               other.only)

    def __hash__(self):
        return hash((self.names, self.only))


class _BothPolicy:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def __call__(self, eqn: Eqn) -> bool:
        return self.a(eqn) or self.b(eqn)

    def __eq__(self, other):
        return isinstance(other, _BothPolicy) and (self.a, self.b) == (other.a, other.b)

    def __hash__(self):
        return hash((self.a, self.b))


# ---------------------------------------------------------------- checkpoint


def checkpoint(fun: Callable, policy: Callable[[Eqn], bool] | None = None, *,
               static_argnums: int | Sequence[int] = (),
               static_argnames: str | Sequence[str] = (), prevent_cse: bool = True
               ) -> Callable:
    """``fun`` whose linearization saves only what ``policy`` allows (default: nothing but the
    inputs) and recomputes the rest in the backward pass. Also known as ``remat``.
    ``prevent_cse`` is accepted for JAX code: the recomputation is its own ``call`` equation,
    never merged with the forward pass, so there is nothing to prevent."""
    policy = checkpoint_policies.nothing_saveable if policy is None else policy
    if not callable(policy):
        names = sorted(n for n in vars(checkpoint_policies) if not n.startswith("_"))
        raise TypeError(f"lintra.checkpoint: policy must be a callable (eqn -> bool) such as "
                        f"lintra.checkpoint_policies.<name>, got {policy!r}; valid names: "
                        f"{', '.join(names)}")
    staged = Staged(fun, as_tuple(static_argnums, int),
                    f"checkpoint_{getattr(fun, '__name__', 'f')}",
                    static_argnames=as_tuple(static_argnames, str))

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        (program, consts, out_tree), flat = staged.stage(args, kwargs)
        return unflatten(out_tree, call_p.bind(*consts, *flat, program=program,
                                               policy=policy))

    wrapped.staged = staged  # type: ignore[attr-defined]
    return wrapped


remat = checkpoint


def saved_residuals(fun: Callable, *args, static_argnums: int | Sequence[int] = (),
                    static_argnames: str | Sequence[str] = (),
                    **kwargs) -> list[tuple[Any, str]]:
    """What reverse mode keeps from the forward pass of ``fun(*args, **kwargs)``: a list of
    (aval, description), one per residual. Static arguments (``static_argnums`` /
    ``static_argnames``, by default those ``fun`` was made with by ``checkpoint``/``jit``)
    are passed as they are."""
    own = getattr(fun, "staged", None)
    if not static_argnums and not static_argnames and isinstance(own, Staged):
        static_argnums, static_argnames = own.static_argnums, tuple(own.static_argnames)
    staged = Staged(fun, as_tuple(static_argnums, int),
                    static_argnames=as_tuple(static_argnames, str))
    (program, _, _), _ = staged.stage(args, kwargs)
    typecheck(program)
    nonzero = tuple(v.aval.is_float for v in program.params)
    jprog, _ = jvp_program(program, nonzero)
    n = len(program.params)
    u = unzip_program(jprog, [False] * n + [True] * sum(nonzero))
    residuals = u.known.outs[len(u.known.outs) - u.num_residuals:]
    producers = {id(v): e for e in u.known.eqns for v in e.outputs}
    params = {id(v): i for i, v in enumerate(u.known.params)}
    out = []
    for r in residuals:
        if isinstance(r, Var) and id(r) in params:
            out.append((r.aval, f"from the argument at flat position {params[id(r)]}"))
        elif isinstance(r, Var) and id(r) in producers:
            e = producers[id(r)]
            what = e.params["program"].name if e.prim is call_p else e.prim.name
            out.append((r.aval, f"output of `{what}`" + (f" at {e.source}" if e.source else "")))
        else:
            out.append((getattr(r, "aval", None), "a constant"))
    return out


