"""Errors users meet, with messages that name the value, the primitive and the source line."""

from __future__ import annotations

import os
import sys

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_frame_summary(skip_pkg: bool = True) -> str | None:
    """'file.py:12 (fn)' of the innermost frame outside lintra, or None."""
    f = sys._getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        if not (skip_pkg and (fn.startswith(_PKG_DIR) or fn.startswith("<frozen")
                              or fn.startswith("<lintra"))):
            return f"{fn}:{f.f_lineno} ({f.f_code.co_name})"
        f = f.f_back
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
