"""The native backend (``jit(f, backend="native")``, the default when llvmlite imports):
programs compiled to machine code through LLVM (llvmlite). Equations it cannot compute call
their interpreter implementation back from the native code (``callback.py``). Without
llvmlite, or for a program with values that are not arrays, programs run on the NumPy
interpreter (``lintra.core.config.backend_note`` and ``rules.fallbacks`` say why)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...core import config
from ...core.eval import run_program
from ...core.ir import Program
from ..base import Executable, register_backend
from .rules import NotLowerable, elementwise_rules, fallbacks, has_lowering, lowering_rules

try:
    from . import backend
    from .backend import NativeExecutable, compile_native, lower_or_none, wait_for_tier_up
    from .engine import cache_dir, stats
    available = True
    unavailable_reason = ""
except ImportError as e:            # llvmlite missing (or blocked): interpret
    available = False
    unavailable_reason = f"llvmlite does not import ({e})"
    lower_or_none = None

if config.backend_from_env is None:
    config.default_backend = "native" if available else "interpret"
if not available:
    config.backend_note = ("lintra.jit runs programs on the NumPy interpreter: "
                           f"{unavailable_reason}; `pip install lintra[native]` for compiled code")


class NativeBackend:
    name = "native"

    def compile(self, program: Program) -> Executable:
        exe = lower_or_none(program) if lower_or_none is not None else None
        if exe is None:
            if lower_or_none is None:
                fallbacks.append((program.name, unavailable_reason))

            def run(args: Sequence[Any]) -> list:
                return run_program(program, args)
            return run
        return exe


register_backend(NativeBackend())

__all__ = ["NativeBackend", "backend", "NativeExecutable", "NotLowerable", "available", "cache_dir",
           "compile_native", "elementwise_rules", "fallbacks", "has_lowering",
           "lowering_rules", "stats", "wait_for_tier_up"]
