"""Types, IR, tracing machinery, primitive registry, pytrees and evaluation of programs."""

from . import printing  # noqa: F401  (formats repr(program))
