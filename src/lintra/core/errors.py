"""Errors users meet, with messages that name the value, the primitive and the source line."""

from __future__ import annotations

import os
import sys

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


_internal_code: dict = {}   # code object -> defined inside lintra (or frozen importlib)?


def _is_internal(code) -> bool:
    hit = _internal_code.get(code)
    if hit is None:
        fn = code.co_filename
        hit = _internal_code[code] = fn.startswith((_PKG_DIR, "<frozen", "<lintra"))
    return hit


def user_frame_summary(skip_pkg: bool = True, frame=None) -> str | None:
    """'file.py:12 (fn)' of the innermost frame outside lintra (from ``frame`` outwards), or
    None. Called once per staged user operation (through a dozen of lintra's frames), so the
    package test is cached per code object and looked up inline."""
    f = sys._getframe(1) if frame is None else frame
    internal = _internal_code
    while f is not None:
        code = f.f_code
        hit = internal.get(code) if skip_pkg else False
        if hit is None:
            hit = _is_internal(code)
        if not hit:
            key = (code, f.f_lineno)
            line = _lines.get(key)
            if line is None:
                if len(_lines) > 100_000:
                    _lines.clear()
                line = _lines[key] = f"{code.co_filename}:{key[1]} ({code.co_name})"
            return line
        f = f.f_back
    return None


_lines: dict = {}   # (code, line number) -> its summary: formatted once


class LintraError(Exception):
    """Base class of lintra's errors."""


class ConcretizationError(LintraError):
    """A traced value was used where Python needs a concrete one (``if``, ``float``, indexing)."""


class NonDifferentiableError(LintraError, TypeError):
    """Differentiation was asked of an input or output that has no derivative."""


class MissingRuleError(LintraError, NotImplementedError):
    """A primitive lacks the rule a transformation needs."""


class UnexpectedTracerError(LintraError):
    """A traced value escaped its transformation (kept in a global or closure) and was used
    after the transformation finished."""
