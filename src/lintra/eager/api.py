"""Entry point used by ``vjp``/``grad`` when differentiating concrete values outside ``jit``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..ad.rules import Zero
from ..core.errors import LintraError
from ..core.function import FnValue
from ..core.trace import Tracer, full_raise, get_aval, new_main
from ..ops.base import convert_element_type
from ..ops.shape import broadcast_like
from .float_errors import at_user_line
from .tape import EagerState, EagerTrace, EagerTracer, FinishedTape, Stats, backward, new_input

_last = Stats()


def stats() -> Stats:
    """Counters of the most recent eager backward pass (edges created/visited, entries)."""
    return _last


class EagerLinear:
    """The transposable linear map recorded on a tape (the interface of LinearFunction)."""

    def __init__(self, state, in_idx, in_avals, out_idx, out_avals):
        self.state = state
        self.in_idx = in_idx
        self.in_avals = in_avals
        self.out_idx = out_idx
        self.out_avals = out_avals

    def transpose(self, cotangents: list) -> list:
        global _last
        seeds = [(i, _seed(c)) for i, c in zip(self.out_idx, cotangents)
                 if i is not None and not isinstance(c, Zero)]
        st = Stats()
        with at_user_line():
            slots = backward(self.state.root, seeds, st)
        _last = st
        out = []
        for i, a in zip(self.in_idx, self.in_avals):
            g = None if i is None else slots[i]
            out.append(Zero(a) if g is None else _as(g, a))
        return out

    def __del__(self):
        # constants recorded on the tape stay read-only while it can be transposed (again)
        _unfreeze(self.state)


def _seed(c):
    if isinstance(c, np.ndarray) and c.shape == () and c.dtype == np.float64:
        return float(c)
    if isinstance(c, np.float64):
        return float(c)
    return c


def _as(g, aval):
    if isinstance(g, Tracer):                   # a traced backward pass (vjp of f_vjp)
        return broadcast_like(convert_element_type(g, aval.dtype), aval.shape)
    g = np.asarray(g, dtype=aval.dtype)
    if not g.shape:
        return g[()]
    return g if g.flags.writeable else np.array(g)


def _unfreeze(state: EagerState) -> None:
    for a in state.frozen:
        try:
            a.flags.writeable = True
        except ValueError:
            pass
    state.frozen.clear()


def eager_vjp_flat(fn: Callable, primals: list) -> tuple[list, EagerLinear]:
    state = EagerState()
    with at_user_line(), new_main(EagerTrace, state) as main:
        trace = EagerTrace(main)
        in_avals = [get_aval(p).strip_weak() for p in primals]
        ins: list[Any] = []
        in_idx: list = []
        for p, a in zip(primals, in_avals):
            if a.is_float:
                if isinstance(p, np.ndarray) and p.ndim:
                    # a private read-only copy: the caller may change their array while f_vjp
                    # lives without changing its derivative
                    p = np.array(p)         # (a plain ndarray: what the fast paths check)
                    p.flags.writeable = False
                t = new_input(trace, p)
                ins.append(t)
                in_idx.append(t.idx)
            else:
                ins.append(p)
                in_idx.append(None)
        try:
            outs = fn(*ins)
        except BaseException as e:
            froze = bool(state.frozen)
            _unfreeze(state)
            if not froze or not isinstance(e, ValueError) or "read-only" not in str(e):
                raise
            raise ValueError(
                f"{e}: lintra makes the NumPy arrays a derivative (grad / vjp) recorded "
                "read-only, since mutating one would silently change that derivative; they "
                "are writable again once the differentiation (its f_vjp) is done. Copy the "
                "array (np.array(a)) before mutating it, or use x.at[idx].set(v).") from e
        values, out_idx = [], []
        for o in outs:
            if o.__class__ is FnValue and o.captures:
                o = full_raise(trace, o)     # a function of the inputs: on the tape too
            if isinstance(o, EagerTracer) and o._trace.main is main:
                values.append(o.primal)
                out_idx.append(o.idx if o.idx >= 0 and o.tape is state.root else None)
            elif isinstance(o, Tracer):
                raise LintraError("a traced value from another transformation was returned "
                                  "from a function being differentiated eagerly")
            else:
                values.append(o)
                out_idx.append(None)
    state.local.tape = FinishedTape(main)
    out_avals = [get_aval(v).strip_weak() for v in values]
    values = [_as(v, a) if type(v) is float else v for v, a in zip(values, out_avals)]
    return values, EagerLinear(state, in_idx, in_avals, out_idx, out_avals)
