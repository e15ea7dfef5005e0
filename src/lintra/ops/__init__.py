"""The primitives, grouped by family; each primitive defines all its rules in one place."""

from . import (  # noqa: F401
    base,
    call,
    complex,
    control,
    debug,
    elementwise,
    extrema,
    fft,
    indexing,
    linalg,
    native,
    reductions,
    sorting,
    structure,
)
