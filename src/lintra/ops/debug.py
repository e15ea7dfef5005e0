"""``debug_print``: print traced values when the program runs (JAX's ``jax.debug.print``).

An effectful primitive with no outputs: staging keeps it (dce and CSE never drop or share an
effectful equation) in program order, and ``jit`` prints on every call. Its JVP rule prints
the primal values and passes nothing through, so under ``grad``/``linearize`` it lands in the
primal program and the derivative never sees it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ad.rules import jvp_rules
from ..batching.core import vmap_rules
from ..core.effects import show
from ..core.primitive import Primitive
from ..core.pytree import flatten, unflatten
from ..core.trace import Tracer
from .base import asarray_value
from .shape import batch_size, to_front

debug_print_p = Primitive("debug_print", multiple_results=True, has_effect=True)


def _shown(x: Any) -> Any:
    """A value as ``str.format`` should see it: a 0-d array as its NumPy scalar."""
    if isinstance(x, np.ndarray) and x.shape == ():
        return x[()]
    return x


@debug_print_p.def_impl
def _debug_print_impl(*leaves, fmt: str, tree):
    args, kwargs = unflatten(tree, [_shown(np.asarray(x)) for x in leaves])
    show(fmt.format(*args, **kwargs))
    return []


@debug_print_p.def_shape
def _debug_print_shape(*avals, fmt: str, tree):
    return []


def _debug_print_jvp(primals, tangents, *, fmt: str, tree):
    debug_print_p.bind(*primals, fmt=fmt, tree=tree)      # the primal values only
    return [], []


def _debug_print_batch(args, dims, *, fmt: str, tree):
    """Under vmap: one print of every batched value, its batch axis first."""
    size = batch_size(args, dims)
    debug_print_p.bind(*[a if d is None else to_front(a, d, size) for a, d in zip(args, dims)],
                       fmt=fmt, tree=tree)
    return [], []


jvp_rules[debug_print_p] = _debug_print_jvp
vmap_rules[debug_print_p] = _debug_print_batch


def debug_print(fmt: str, *args: Any, **kwargs: Any) -> None:
    """Print ``fmt.format(*args, **kwargs)`` when the program runs, in program order, under
    every transformation (``jit``, ``grad``, ``scan`` bodies, ...): traced values print their
    values (under a derivative, the primal values). Like ``jax.debug.print``."""
    leaves, tree = flatten((args, kwargs))
    leaves = [x if isinstance(x, Tracer) else asarray_value(x) for x in leaves]
    debug_print_p.bind(*leaves, fmt=fmt, tree=tree)
