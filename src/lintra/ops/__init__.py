"""The primitives, grouped by family; each primitive defines all its rules in one place."""

from . import base, call, control, elementwise, indexing, linalg, reductions, structure  # noqa: F401
