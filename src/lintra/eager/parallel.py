"""Task parallelism: ``fork_join`` and ``parallel_map``.

Under eager differentiation each branch records into its own sub-tape (a job) on its own
thread; the join is one tape entry whose transposition resolves the jobs in parallel and
merges their contributions in branch order. NumPy releases the GIL in large array
operations, so branches over big arrays run truly in parallel. Under staging (jit, jvp
traces), branches are traced one after the other (the program is the same).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..core.pytree import flatten, unflatten
from ..core.trace import trace_stack
from .jobs import config, run_jobs  # noqa: F401  (config: lintra.eager.parallel.config)
from .tape import EagerTrace, Tape, record_join


def _branches(calls: list[tuple[Callable, tuple]]) -> list:
    stack = trace_stack()
    if len(stack) == 1:
        return run_jobs([lambda f=f, a=args: f(*a) for f, args in calls])
    if stack[-1].trace_type is not EagerTrace:
        return [f(*args) for f, args in calls]          # staging: trace sequentially
    trace = EagerTrace(stack[-1])
    state = trace.state
    parent = state.tape
    jobs = [Tape(parent) for _ in calls]

    def thunk(k):
        f, args = calls[k]
        old = getattr(state.local, "tape", None)
        state.local.tape = jobs[k]
        try:
            out = f(*args)
        finally:
            state.local.tape = old
        return flatten(out)

    outs = run_jobs([lambda k=k: thunk(k) for k in range(len(calls))])
    joined = record_join(trace, jobs, [leaves for leaves, _ in outs])
    return [unflatten(tree, vals) for (_, tree), vals in zip(outs, joined)]


def fork_join(f: Callable, g: Callable, *args) -> tuple[Any, Any]:
    """``(f(*args), g(*args))``, computed (and differentiated) in parallel."""
    a, b = _branches([(f, args), (g, args)])
    return a, b


def parallel_map(f: Callable, xs: Sequence) -> list:
    """``[f(x) for x in xs]``, computed (and differentiated) in parallel."""
    return _branches([(f, (x,)) for x in xs])
