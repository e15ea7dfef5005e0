"""Errors users meet, with messages that name the value, the primitive and the source line."""

from __future__ import annotations

import os
import sys

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# Keyed by id(code), holding the code object to check identity: hashing a code object hashes
# its constants and names on every lookup (a tenth of staging's time went there).
_internal_code: dict = {}   # id(code) -> (code, defined inside lintra or frozen importlib?)
_lines: dict = {}           # (id(code), line number) -> (code, its summary)


def _is_internal(code) -> bool:
    hit = _internal_code.get(id(code))
    if hit is None or hit[0] is not code:
        fn = code.co_filename
        hit = _internal_code[id(code)] = (code, fn.startswith((_PKG_DIR, "<frozen",
                                                               "<lintra")))
    return hit[1]


def user_frame_summary(skip_pkg: bool = True, frame=None) -> str | None:
    """'file.py:12 (fn)' of the innermost frame outside lintra (from ``frame`` outwards), or
    None. Called once per staged user operation (through a dozen of lintra's frames), so the
    package test is cached per code object and looked up inline."""
    f = sys._getframe(1) if frame is None else frame
    internal = _internal_code
    while f is not None:
        code = f.f_code
        if skip_pkg:
            hit = internal.get(id(code))
            if hit is None or hit[0] is not code:
                inside = _is_internal(code)
            else:
                inside = hit[1]
            if inside:
                f = f.f_back
                continue
        key = (id(code), f.f_lineno)
        hit = _lines.get(key)
        if hit is None or hit[0] is not code:
            if len(_lines) > 100_000:
                _lines.clear()
            hit = _lines[key] = (code, f"{code.co_filename}:{key[1]} ({code.co_name})")
        return hit[1]
    return None


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
