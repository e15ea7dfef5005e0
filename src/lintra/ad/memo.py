"""Memoized rule applications: a rule run once per signature, replayed as equations.

Under ``jit``, a derivative of a scalar-heavy program applies the same few rules thousands of
times to values of the same types (``sin`` of an ``f64[]``...). Each application through the
tracers costs several binds per layer. Here the application is traced once into a small
program (a *template*) per signature: primitive, params, input types, which inputs are
linear or have a tangent, and the values of concrete scalar inputs. Later applications copy
the template's equations into the programs being built (``ProgramBuilder.inline``).
Templates are derived from the one JVP/transpose rule of each primitive, so nothing about a
derivative is written twice.

Integer arrays that are concrete (the indices of ``x[i]``) are template *inputs*, so one
template serves every index. A rule whose result is not plain traced values (a sparse
cotangent, a concrete array) is not memoized: the caller falls back to the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.ir import Literal
from ..core.staging import Replay, StagingTracer, trace_to_program

_UNMEMOIZABLE = object()
_MAX_TEMPLATES = 8192


class NotMemoizable(Exception):
    """A rule's result cannot be replayed from a template (the caller runs the rule)."""


def literal_key(v: Any):
    """A key for a concrete input that a rule may look at (floats by their bits, so that
    0.0 and -0.0, and NaN, are told apart), or None where the value is a template input
    (integer arrays) or cannot be keyed."""
    c = v.__class__
    if c is float:
        return (float, v.hex())
    if c is int or c is bool:
        return (c, v)
    if isinstance(v, np.generic) or (c is np.ndarray and v.ndim == 0):
        return (c, v.dtype, v.tobytes())
    return None


def is_index_array(v: Any) -> bool:
    """A concrete integer array: passed to templates as an input, never looked at by rules."""
    return v.__class__ is np.ndarray and v.dtype.kind in "iu"


def is_template_input(v: Any) -> bool:
    """A value a template takes as an input (a staged value or an index array) rather than
    bakes in as a constant."""
    return v.__class__ is StagingTracer or is_index_array(v)


NO = object()    # an input under which a rule application is not memoized


def add_input(v: Any, ts, spec: list, atoms: list):
    """Key one input of a rule application into ``spec``: a value staged by a trace (one
    trace for all: ``ts`` so far) or a concrete index array is a template input (its atom
    goes to ``atoms``); a constant scalar is keyed by value. Returns the staging trace, or
    ``NO``."""
    if v.__class__ is StagingTracer and v.atom.__class__ is not Literal:
        if ts is None:
            ts = v._trace
        elif v._trace.main is not ts.main:
            return NO
        a = v.atom
        spec.append((a.aval.shape, a.aval.dtype))
        atoms.append(a)
    elif is_index_array(v):
        spec.append((v.dtype, v.shape))
        atoms.append(Literal(v))
    else:
        k = literal_key(v)
        if k is None:
            return NO
        spec.append(k)
    return ts


class TemplateCache:
    """Templates by signature; a signature whose rule could not be memoized is remembered
    too, so it is tried once. Bounded: cleared when full (templates are cheap to redo)."""

    def __init__(self):
        self.table: dict = {}

    def get(self, key, record: Callable[..., Any], *args: Any) -> Any:
        """The template under ``key``, made by ``record(*args)`` the first time."""
        hit = self.table.get(key)
        if hit is None:
            if len(self.table) >= _MAX_TEMPLATES:
                self.table.clear()
            try:
                hit = record(*args)
            except Exception:     # NotMemoizable, or a rule that needs a concrete index:
                hit = _UNMEMOIZABLE   # the caller runs the rule (and raises its real error)
            self.table[key] = hit
        return None if hit is _UNMEMOIZABLE else hit


def stage_template(fn: Callable, avals: list, name: str) -> Replay:
    """``trace_to_program`` of a template; a template must not close over traced values."""
    program, consts = trace_to_program(fn, avals, name=name)
    if consts:
        raise NotMemoizable
    return Replay(program)


def wrap_outputs(trace, atoms: list) -> list:
    """Replayed outputs as values of ``trace``: literals become concrete values again."""
    return [a.val if a.__class__ is Literal else StagingTracer(trace, a) for a in atoms]
