"""Backends run programs. Each implements one protocol (``Backend``): compile a program once,
then run the compiled object on concrete values. ``jit(f, backend=...)`` picks one by name:
"interpret" (NumPy, everywhere), "native" (LLVM via llvmlite; the default when it imports) or
"xla" (lowering to JAX, imported on first use; needs ``lintra[xla]``). Backends import
``core`` only and own their per-primitive lowering tables."""

from . import native  # noqa: F401
from .base import (  # noqa: F401
    MISMATCH,
    Backend,
    BackendUnavailableError,
    Executable,
    get_backend,
    register_backend,
)
from .interpret import InterpretBackend  # noqa: F401
