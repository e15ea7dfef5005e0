"""Errors users meet, with messages that name the value, the primitive and the source line."""

from __future__ import annotations

import os
import sys

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# Keyed by id(code), holding the code object to check identity: hashing a code object hashes
# its constants and names on every lookup (a tenth of staging's time went there).
_internal_code: dict = {}   # id(code) -> code, for code defined inside lintra (or importlib)
_external_code: dict = {}   # id(code) -> code, for the user's code
_lines: dict = {}           # (id(code), instruction offset) -> (code, its summary)


def _is_internal(code) -> bool:
    """Classify ``code`` once (the walk below then needs one lookup per frame)."""
    inside = code.co_filename.startswith((_PKG_DIR, "<frozen", "<lintra"))
    table = _internal_code if inside else _external_code
    if len(table) > 100_000:
        table.clear()
    table[id(code)] = code
    return inside


def user_frame_summary(skip_pkg: bool = True, frame=None) -> str | None:
    """'file.py:12 (fn)' of the innermost frame outside lintra (from ``frame`` outwards), or
    None. Called once per staged user operation (through a dozen of lintra's frames), so the
    package test is cached per code object and looked up inline."""
    f = sys._getframe(1) if frame is None else frame
    internal, external = _internal_code, _external_code
    while f is not None:
        code = f.f_code
        if skip_pkg:
            if internal.get(id(code)) is code:
                f = f.f_back
                continue
            if external.get(id(code)) is not code and _is_internal(code):
                f = f.f_back
                continue
        # by instruction offset: cheap, where the line number is a search of the line table
        key = (id(code), f.f_lasti)
        hit = _lines.get(key)
        if hit is None or hit[0] is not code:
            if len(_lines) > 100_000:
                _lines.clear()
            hit = _lines[key] = (code, f"{code.co_filename}:{f.f_lineno} ({code.co_name})")
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
