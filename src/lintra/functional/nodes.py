"""Function expressions as shared nodes: why repeated functional-gradient steps stay flat.

- **Hash-consing.** An operator applied to the same inputs (function nodes by identity,
  arrays and parameters by value) returns the one node built the first time, so structurally
  equal expressions are one object and every cache keyed on a node (its staged program, its
  values on a grid, a ``jit`` cache entry) serves all of them.
- **Evaluation memo.** A node read twice in one evaluation (h in f(h) + g(h)) runs once per
  set of argument values: evaluating a DAG costs its size, not the size of its unfolded tree
  (2ᵈ for d nested f(h) + g(h)).
- **Values on a quadrature's nodes.** ``grid_values(v, quads)`` is v on the tensor grid of
  the quadratures' nodes, computed once per (node, quadratures) and built from its parts'
  grid values (a composition applies its outer function to its inner functions' tables, a
  partial integral contracts its integrand's table), so a materialized function's table is
  read, not interpolated, and integrals reuse what was computed.
- **Smoothness.** A node remembers how many more derivatives of it are meaningful (a
  materialized function: the order of its spline); differentiating past that is an error.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import numpy as lnp
from ..core.errors import LintraError
from ..core.function import FnType, FnValue
from ..core.trace import Tracer
from ..vmap import vmap


class FunctionalError(LintraError):
    """An operation on functions that is undefined or not supported (named in the message)."""


_nodes: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_parts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()   # node -> its inputs (alive)
_order: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_grid_rule: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_grid_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

_ARRAY_KEY_SIZE = 4096


def _key_of(x: Any):
    """A hashable stand-in for an operator's input, or None (then no sharing)."""
    if isinstance(x, FnValue):
        return None if x.captures else ("fn", id(x))
    if isinstance(x, Tracer) or hasattr(x, "_trace"):
        return None
    if isinstance(x, (bool, int, float, complex)):
        return ("py", type(x), x)
    if isinstance(x, np.ndarray) or np.isscalar(x):
        a = np.asarray(x)
        if a.size > _ARRAY_KEY_SIZE:
            return None
        return ("arr", a.dtype.str, a.shape, a.tobytes())
    return None


def _param(v: Any):
    if isinstance(v, FnType):                   # types compare without their domains
        return (v, v.domain)
    return v


def _params_key(params: dict):
    try:
        key = tuple(sorted((k, _param(v)) for k, v in params.items()))
        hash(key)
    except TypeError:
        return None
    return key


def shared(name: str, inputs: Sequence, params: dict, build: Callable[[], Any]) -> Any:
    """The node ``build()`` makes from ``inputs``, shared with every earlier one made from
    the same inputs and parameters (while it is alive)."""
    keys = tuple(_key_of(x) for x in inputs)
    pkey = _params_key(params)
    if pkey is None or any(k is None for k in keys):
        return build()
    key = (name, keys, pkey)
    hit = _nodes.get(key)
    if hit is not None:
        return hit
    out = build()
    try:
        _nodes[key] = out
        _parts[out] = tuple(inputs)         # the inputs' ids stay theirs while out lives
    except TypeError:                       # not weak-referenceable (a list of nodes)
        pass
    return out


# Set by ``measures`` (which builds on the operators): a composition some of whose inner
# functions are measures (point masses, under jit known only when the program runs).
compose_measures: Callable | None = None


# ---------------------------------------------------------------- evaluation memo

_memo: dict | None = None


def call(g: FnValue, xs: tuple) -> Any:
    """``g.fun(*xs)``, once per evaluation for the same g and argument objects."""
    global _memo
    if _memo is None:
        _memo = {}
        try:
            return call(g, xs)
        finally:
            _memo = None
    key = (id(g), tuple(id(x) for x in xs))
    hit = _memo.get(key)
    if hit is not None:
        return hit[0]
    out = g.fun(*xs)
    _memo[key] = (out, g, xs)               # keeps the objects whose ids are the key alive
    return out


# ---------------------------------------------------------------- smoothness

def order(v: Any) -> int | None:
    """How many more derivatives of ``v`` are meaningful (None: unlimited)."""
    return _order.get(v) if isinstance(v, FnValue) else None


def set_order(v: FnValue, k: int) -> None:
    _order[v] = k


def inherited_order(parts: Sequence, derivative: bool, who: str) -> int | None:
    ks = [order(p) for p in parts if order(p) is not None]
    if not ks:
        return None
    k = min(ks)
    if not derivative:
        return k
    if k <= 0:
        label = next(p.label for p in parts if order(p) == k)
        raise smoothness_error(who, label)
    return k - 1


def smoothness_error(who: str, label: str) -> Exception:
    return FunctionalError(
        f"{who}: {label} is differentiated beyond the order of its interpolant "
        "(lintra.functional.materialize tabulates with a C² cubic spline: derivatives up to "
        "order 2; the third is piecewise constant). Differentiate before materializing, or "
        "materialize the derivative")


# ---------------------------------------------------------------- values on a grid

def set_grid_rule(v: FnValue, rule: Callable) -> None:
    """``rule(quads)`` computes v's grid values from its parts' (or returns None)."""
    _grid_rule[v] = rule


def remember_node_values(v: FnValue, quads: tuple, table: Any) -> None:
    _grid_cache.setdefault(v, []).append((tuple(quads), table))


def on_grid(fun: Callable, nodes: list) -> Any:
    """``fun`` at every combination of the nodes: shape (N1, …, Nk, *out)."""
    def over(level: int, fixed: tuple):
        if level == len(nodes):
            return fun(*fixed)
        return vmap(lambda x: over(level + 1, fixed + (x,)))(nodes[level])
    return over(0, ())


def grid_values(v: FnValue, quads: tuple) -> Any:
    """``v`` on the tensor grid of ``quads``' nodes (one quadrature per argument)."""
    for qs, table in _grid_cache.get(v, ()):
        if len(qs) == len(quads) and all(a is b for a, b in zip(qs, quads)):
            return table
    rule = _grid_rule.get(v)
    table = rule(quads) if rule is not None else None
    if table is None:
        table = on_grid(v.fun, [q.nodes for q in quads])
    if not v.captures and not _traced(table):
        remember_node_values(v, quads, table)
    return table


def _traced(x: Any) -> bool:
    if isinstance(x, tuple):
        return any(_traced(y) for y in x)
    return isinstance(x, Tracer)


def spread(table: Any, m: tuple, sizes: tuple, out_ndim: int) -> Any:
    """A table over the arguments ``m`` (in that order) laid out over all arguments:
    axes sorted, missing ones broadcast."""
    k = len(sizes)
    order_ = sorted(range(len(m)), key=lambda i: m[i])
    perm = order_ + list(range(len(m), len(m) + out_ndim))
    if perm != list(range(len(perm))):
        table = lnp.transpose(table, perm)
    present = sorted(m)
    shape = [sizes[j] if j in present else 1 for j in range(k)]
    table = lnp.reshape(table, tuple(shape) + tuple(lnp.shape(table)[len(m):]))
    return lnp.broadcast_to(table, tuple(sizes) + tuple(lnp.shape(table)[k:]))


def pointwise_on_grid(fun: Callable, tables: list, k: int) -> Any:
    for _ in range(k):
        fun = vmap(fun)
    return fun(*tables)
