"""The primitives, grouped by family; each primitive defines all its rules in one place."""

from . import (  # noqa: F401
    base,
    call,
    complex,
    control,
    debug,
    decompositions,
    eig,
    elementwise,
    extrema,
    fft,
    indexing,
    linalg,
    matrix_functions,
    native,
    native_dot,
    native_linalg,
    powers,
    reductions,
    sorting,
    structure,
)
