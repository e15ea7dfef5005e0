"""The derivative rule tables and the values rules pass around (JAX's ``ad_util``).

Each transformation owns a table keyed by the ``Primitive`` object; a primitive's module
registers its rules right beside its definition (``jvp_rules[sin_p] = ...``). This module
holds the two tables every primitive may fill (``jvp_rules``, ``transpose_rules``), the
linearity facts the checker reads, symbolic zeros, ``add_any``, and the helpers that write
common rules (``defjvp``, ``deflinear``, ``defzero_jvp``). It imports only ``core``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.avals import ShapedArray
from ..core.function import FnValue, add_functions
from ..core.primitive import Primitive
from ..core.trace import get_aval

# jvp_rules[p](primals, tangents, **params) -> (primal_out, tangent_out); tangents may be Zero
jvp_rules: dict[Primitive, Callable] = {}
# transpose_rules[p](ct, *args, **params) -> cotangent per arg (None: not linear in it);
# linear args arrive as UndefinedPrimal
transpose_rules: dict[Primitive, Callable] = {}
# linear_positions[p](params, n_inputs) -> input positions that must be linear when an
# equation of p is linear (the structural linearity checker reads it)
linear_positions: dict[Primitive, Callable[[dict, int], tuple]] = {}
# linear primitives that are linear in exactly one of their linear positions (mul, dot)
bilinear: set[Primitive] = set()


# ---------------------------------------------------------------- symbolic zeros

class Zero:
    """A tangent or cotangent known to be zero; never materialized unless asked."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"Zero({self.aval.str_short()})"


def zeros_value(aval: ShapedArray) -> np.ndarray:
    if aval.is_function:
        return aval.zeros()
    return np.zeros(aval.shape, aval.dtype)


def instantiate(t: Any) -> Any:
    return zeros_value(t.aval) if isinstance(t, Zero) else t


def zero_like(x: Any) -> Zero:
    return Zero(get_aval(x).strip_weak())


class UndefinedPrimal:
    """Marks a linear input of an equation being transposed."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"UndefinedPrimal({self.aval})"


def aval_of_arg(x: Any) -> ShapedArray:
    """The type of a transpose rule's argument, defined or not."""
    return x.aval if isinstance(x, UndefinedPrimal) else get_aval(x)


class SparseCotangent:
    """A cotangent that is nonzero on a few entries only (the transpose of reading ``x[i]``).

    Accumulators add it *into* a dense buffer they own (design §4: index adjoints accumulate
    in place), so a scalar loop over ``x[i]`` stays O(n). The primitive whose transpose makes
    one subclasses this and says how it is added."""

    __slots__ = ("aval",)

    def add_into(self, buf: np.ndarray) -> None:
        """Add into ``buf`` in place (concrete values only)."""
        raise NotImplementedError

    def add_to(self, dense: Any) -> Any:
        """``dense + self`` as a new value, written with primitives (traceable)."""
        raise NotImplementedError

    def is_concrete(self) -> bool:
        raise NotImplementedError


# ---------------------------------------------------------------- add_any

add_any_p = Primitive("add_any")


@add_any_p.def_impl
def _add_any_impl(x, y):
    if isinstance(x, FnValue):
        return add_functions(x, y)
    return np.add(x, y)



@add_any_p.def_shape
def _add_any_shape(x, y):
    if x != y:
        raise TypeError(f"add_any takes equal types, got {x} and {y}")
    return x


def add_any(x, y):
    """The sum of two tangents or cotangents of one type (fan-out in the transpose)."""
    return add_any_p.bind(x, y)


def add_tangents_same_shape(a, b, shape: tuple[int, ...]):
    if isinstance(a, Zero):
        return b
    if isinstance(b, Zero):
        return a
    return add_any(a, b)


# ---------------------------------------------------------------- rule helpers

def defjvp(prim: Primitive, *rules: Callable | None,
           add: Callable = add_tangents_same_shape) -> None:
    """JVP as a sum over inputs: ``rules[i](t_i, *primals, **params)`` is the contribution of
    input i's tangent (skipped when that tangent is a symbolic zero; ``None``: no tangent).
    ``add(acc, contribution, out_shape)`` sums contributions (broadcasting ones pass their
    own)."""

    def jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        out_aval = get_aval(out)
        acc: Any = Zero(out_aval.strip_weak())
        for rule, t in zip(rules, tangents):
            if rule is None or isinstance(t, Zero):
                continue
            acc = add(acc, rule(t, *primals, **params), out_aval.shape)
        return out, acc

    jvp_rules[prim] = jvp


def all_positions(params: dict, n: int) -> tuple[int, ...]:
    return tuple(range(n))


def first_position(params: dict, n: int) -> tuple[int, ...]:
    return (0,)


def deflinear(prim: Primitive, transpose: Callable,
              positions: Callable[[dict, int], tuple] = all_positions) -> None:
    """A primitive linear in its inputs at ``positions``: its JVP is itself applied to the
    tangents, and ``transpose`` is its transpose rule."""

    def jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if all(isinstance(t, Zero) for t in tangents):
            return out, zero_like(out)
        return out, prim.bind(*[instantiate(t) for t in tangents], **params)

    jvp_rules[prim] = jvp
    transpose_rules[prim] = transpose
    linear_positions[prim] = positions


def defzero_jvp(prim: Primitive) -> None:
    """Outputs with no tangent (integer/bool results, piecewise-constant functions)."""

    def jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if prim.multiple_results:
            return out, [zero_like(o) for o in out]
        return out, zero_like(out)

    jvp_rules[prim] = jvp


deflinear(add_any_p, lambda ct, x, y: [ct, ct])
