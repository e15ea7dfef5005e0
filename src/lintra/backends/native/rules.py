"""The native backend's lowering tables, keyed by primitive. They hold plain Python callables
(no llvmlite types), so the modules that define primitives can register their lowerings
whether or not llvmlite is installed (``lintra/ops/native.py`` does).

* ``elementwise_rules[p](g, *xs, **params) -> x``: ``p`` on scalars in registers; ``g`` (a
  ``ScalarEmitter``) knows the operand and result dtypes. The backend builds the loops around
  it and fuses chains of elementwise equations into one loop.
* ``lowering_rules[p](g, ins, **params) -> list``: any other primitive, on whole values; ``g``
  (a ``FunctionEmitter``) offers loops over static shapes, loads, stores and sub-programs.

* ``opaque_ok``: the primitives of ``lowering_rules`` that only move elements (reshape,
  slicing, control flow, calls), so their lowerings also serve dtypes the scalar code cannot
  compute with (complex, float16: ``types.OPAQUE_DTYPES``).

An equation whose primitive is in neither table, or that computes on an opaque dtype, calls
back into Python for the primitive's interpreter ``impl`` (``callback.py``). A value that is
not an array (a function-valued primitive's) or a rule raising ``NotLowerable`` sends the
whole program to the interpreter; ``fallbacks`` records why, newest last.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from ...core.primitive import Primitive

elementwise_rules: dict[Primitive, Callable] = {}
lowering_rules: dict[Primitive, Callable] = {}
opaque_ok: set[Primitive] = set()

# The register VM for long straight-line programs (``vm_encode.py``) runs the elementwise
# rules above; besides them it needs:
# * ``vm_data_movement[p] = (positions, move)``: ``p`` only moves elements, so ``move`` (its
#   ``impl`` or a faster equivalent) applied to arrays of register numbers is its encoding;
#   operands at ``positions`` are indices, which must be constants.
# * ``vm_reductions[p] = q`` / ``vm_cumulative[p] = q``: ``p`` reduces (or scans, with
#   ``axis`` and ``reverse`` parameters) with the binary elementwise primitive ``q``.
# * ``vm_scatters[p] = (q, gather)``: ``p(buf, idx, upd)`` combines ``upd`` into ``buf`` with
#   ``q`` at the positions ``gather(positions, idx, **params)``.
vm_data_movement: dict[Primitive, tuple] = {}
vm_reductions: dict[Primitive, Primitive] = {}
vm_cumulative: dict[Primitive, Primitive] = {}     # cumsum -> add: running reductions
vm_scatters: dict[Primitive, tuple] = {}

# lowering rules that read each element of their inputs at most once (reductions, slices,
# transposes...): an elementwise value they alone read stays unmaterialized, computed in
# their loop
reads_once: set[Primitive] = set()

# elementwise primitives as cheap as a load (add, sub, mul, neg): a value they compute from
# arrays in memory is recomputed in each loop that reads it rather than materialized
# (``fusion.recomputed``)
cheap: set[Primitive] = set()

# (program name, reason) for the programs the native backend handed to the interpreter
fallbacks: deque = deque(maxlen=100)


class NotLowerable(Exception):
    """A lowering rule declines an equation (dtype, parameters); the program is interpreted."""


def has_lowering(p: Primitive) -> bool:
    return p in elementwise_rules or p in lowering_rules
