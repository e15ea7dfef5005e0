"""The NumPy interpreter backend: core's reference evaluator, available everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.eval import run_program
from ..core.ir import Program
from .base import Executable, register_backend, reject_options


class InterpretBackend:
    name = "interpret"

    def compile(self, program: Program, **options: Any) -> Executable:
        reject_options(self.name, options)

        def run(args: Sequence[Any]) -> list:
            return run_program(program, args)
        return run


register_backend(InterpretBackend())
