"""Helpers shared by the native backend's test files (tests/test_native*.py)."""

import warnings

import numpy as np

import lintra as lt
from lintra.backends import native as nat


def native(f, *args):
    """``f`` compiled natively (asserted: no fallback to the interpreter), NumPy's warnings
    and floating-point error reports off (overflow and nan are what several tests check)."""
    before = len(nat.fallbacks)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = lt.jit(f, backend="native")(*args)
    assert len(nat.fallbacks) == before, list(nat.fallbacks)[before:]
    return out
