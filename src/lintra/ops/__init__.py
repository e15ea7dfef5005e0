"""The primitives, grouped by family; each primitive defines all its rules in one place."""

from . import (  # noqa: F401
    base,
    call,
    control,
    debug,
    elementwise,
    extrema,
    indexing,
    linalg,
    native,
    reductions,
    structure,
)
