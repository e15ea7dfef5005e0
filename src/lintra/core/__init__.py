"""Types, IR, tracing machinery, primitive registry, pytrees and evaluation of programs."""

from . import (
    operators,  # noqa: F401  (defines the operators of every tracer)
    printing,  # noqa: F401  (formats repr(program))
)
