"""Backends run programs. Each implements one protocol (``Backend``): compile a program once,
then run the compiled object on concrete values. ``jit(f, backend=...)`` picks one by name.
Backends import ``core`` only and own their per-primitive lowering tables. ``interpret`` is
always here; ``xla`` (lowering to JAX) is imported on first use and needs ``lintra[xla]``."""

from .base import (  # noqa: F401
    Backend,
    BackendUnavailableError,
    Executable,
    get_backend,
    register_backend,
)
from .interpret import InterpretBackend  # noqa: F401
