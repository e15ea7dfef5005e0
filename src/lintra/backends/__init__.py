"""Backends run programs. Each implements one protocol (``Backend``): compile a program once,
then run the compiled object on concrete values. ``jit(f, backend=...)`` picks one by name:
"interpret" (NumPy, everywhere) or "native" (LLVM via llvmlite; the default when it imports).
Backends import ``core`` only; per-primitive lowerings are registered into a backend's own
table by the modules that define the primitives."""

from . import native  # noqa: F401
from .base import Backend, Executable, get_backend, register_backend  # noqa: F401
from .interpret import InterpretBackend  # noqa: F401
