"""NumPy's floating-point warnings from eager kernels, attributed to the user's line.

NumPy warns from the frame that called the ufunc: in eager mode that is a generated kernel
(``<lintra kernel fwd_sqrt>:2``), which tells a user nothing. While an eager differentiation
runs, categories NumPy would *warn* about are routed to a handler that warns at the innermost
frame outside lintra (and NumPy); ``ignore``, ``raise`` and ``print`` keep NumPy's behaviour,
so the user's ``np.errstate`` is followed.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from ..core.errors import _PKG_DIR

_NUMPY_DIR = os.path.dirname(np.__file__)


def _handler(kind: str, flag: int) -> None:
    f = sys._getframe(1)
    op = ""
    while f is not None:
        code = f.f_code
        fn = code.co_filename
        if fn.startswith("<lintra") and not op:
            op = code.co_name.split("_", 1)[-1]        # fwd_sqrt -> sqrt
        if not fn.startswith((_PKG_DIR, _NUMPY_DIR, "<lintra", "<frozen")):
            break
        f = f.f_back
    message = f"{kind} encountered" + (f" in {op}" if op else "")
    if f is None:
        warnings.warn(message, RuntimeWarning, stacklevel=2)
        return
    warnings.warn_explicit(message, RuntimeWarning, f.f_code.co_filename, f.f_lineno,
                           module=f.f_globals.get("__name__"), registry=f.f_globals.setdefault(
                               "__warningregistry__", {}))


@contextmanager
def at_user_line() -> Iterator[None]:
    """Route NumPy's floating-point warnings to the user's line while the block runs."""
    saved = np.geterr()
    if "warn" not in saved.values():
        yield
        return
    old = np.seterrcall(_handler)
    try:
        with np.errstate(**{k: "call" if v == "warn" else v for k, v in saved.items()}):
            yield
    finally:
        np.seterrcall(old)
