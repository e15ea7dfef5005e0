"""The benchmark problems (ADBench / GradBench definitions), one module each.

Each module defines ``PROBLEMS``: a list of ``Problem`` objects (``scalar_loop`` also
registers its vectorized form ``scalar_vec``)."""

from __future__ import annotations

import importlib

from .base import Impl, Problem

MODULES = ("scalar_loop", "lse", "llsq", "det", "ode", "gmm", "lstm", "ba", "kmeans",
           "particle", "saddle")

__all__ = ["Impl", "Problem", "MODULES", "all_problems", "get_problem"]


def all_problems() -> dict[str, Problem]:
    """Every problem, in report order, keyed by name."""
    out: dict[str, Problem] = {}
    for m in MODULES:
        mod = importlib.import_module(f"{__name__}.{m}")
        for p in mod.PROBLEMS:
            out[p.name] = p
    return out


def get_problem(name: str) -> Problem:
    probs = all_problems()
    if name not in probs:
        raise ValueError(f"unknown problem {name!r}; choose from {', '.join(probs)}")
    return probs[name]
