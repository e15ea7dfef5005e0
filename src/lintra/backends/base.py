"""The backend protocol and registry."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ..core import config
from ..core.ir import Program

Executable = Callable[[Sequence[Any]], list]


class Backend(Protocol):
    name: str

    def compile(self, program: Program) -> Executable:
        """Prepare ``program`` once; the result runs it on concrete values (flat lists)."""
        ...


_backends: dict[str, Backend] = {}


def register_backend(backend: Backend) -> Backend:
    _backends[backend.name] = backend
    return backend


def get_backend(name: str | None = None) -> Backend:
    """The backend called ``name`` (default: ``lintra.core.config.default_backend``)."""
    name = name or config.default_backend
    backend = _backends.get(name)
    if backend is None:
        raise ValueError(f"unknown backend {name!r}; available: {', '.join(sorted(_backends))}")
    return backend
