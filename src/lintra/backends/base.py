"""The backend protocol and registry.

Backends that need an optional dependency (``xla``: JAX) are listed by name and imported on
first use, so ``import lintra`` never pays for (or requires) them."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ..core import config
from ..core.ir import Program

Executable = Callable[[Sequence[Any]], list]

# What an executable's optional ``strict(*args)`` entry returns for arguments that are not
# exactly arrays of the types it was compiled for (``jit`` then looks the call up itself)
MISMATCH = object()


class Backend(Protocol):
    name: str

    def compile(self, program: Program, **options: Any) -> Executable:
        """Prepare ``program`` once; the result runs it on concrete values (flat lists).
        ``options`` are backend-specific (``jit(f, backend=..., **options)``); a backend
        raises ``TypeError`` naming an option it does not take."""
        ...


_backends: dict[str, Backend] = {}
# name -> (module registering it, what to install when its import fails)
_optional: dict[str, tuple[str, str]] = {
    "xla": ("lintra.backends.xla", "JAX: pip install lintra[xla]"),
}


def register_backend(backend: Backend) -> Backend:
    _backends[backend.name] = backend
    return backend


class BackendUnavailableError(ImportError):
    """A backend's optional dependency is not installed."""


def get_backend(name: str | None = None) -> Backend:
    """The backend called ``name`` (default: ``lintra.core.config.default_backend``)."""
    name = name or config.default_backend
    backend = _backends.get(name)
    if backend is None and name in _optional:
        module, needs = _optional[name]
        try:
            importlib.import_module(module)     # registers the backend
        except ImportError as e:
            if (e.name or "").startswith("lintra"):
                raise                           # a bug in lintra, not a missing package
            raise BackendUnavailableError(
                f"backend {name!r} needs {needs} ({e})") from e
        backend = _backends.get(name)
    if backend is None:
        known = sorted(set(_backends) | set(_optional))
        raise ValueError(f"unknown backend {name!r}; available: {', '.join(known)}")
    return backend


def reject_options(backend: str, options: dict) -> None:
    """For backends without options: name the first one given."""
    if options:
        raise TypeError(f"backend {backend!r} takes no option {next(iter(options))!r}")
