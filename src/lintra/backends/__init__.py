"""Backends evaluate programs. The NumPy interpreter is the default and works everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.ir import Program
from .interpret import run_program


def run(program: Program, args: Sequence[Any]) -> list:
    return run_program(program, args)
