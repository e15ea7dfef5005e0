"""The native backend's lowering tables, keyed by primitive. They hold plain Python callables
(no llvmlite types), so the modules that define primitives can register their lowerings
whether or not llvmlite is installed (``lintra/ops/native.py`` does).

* ``elementwise_rules[p](g, *xs, **params) -> x``: ``p`` on scalars in registers; ``g`` (a
  ``ScalarEmitter``) knows the operand and result dtypes. The backend builds the loops around
  it and fuses chains of elementwise equations into one loop.
* ``lowering_rules[p](g, ins, **params) -> list``: any other primitive, on whole values; ``g``
  (a ``FunctionEmitter``) offers loops over static shapes, loads, stores and sub-programs.

A primitive in neither table (or a rule raising ``NotLowerable``) sends its whole program to
the interpreter; ``fallbacks`` records why, newest last.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from ...core.primitive import Primitive

elementwise_rules: dict[Primitive, Callable] = {}
lowering_rules: dict[Primitive, Callable] = {}
# lowering rules that read each element of their inputs at most once (reductions, slices,
# transposes...): an elementwise value they alone read stays unmaterialized, computed in
# their loop
reads_once: set[Primitive] = set()

# (program name, reason) for the programs the native backend handed to the interpreter
fallbacks: deque = deque(maxlen=100)


class NotLowerable(Exception):
    """A lowering rule declines an equation (dtype, parameters); the program is interpreted."""


def has_lowering(p: Primitive) -> bool:
    return p in elementwise_rules or p in lowering_rules
