"""Run one (problem, size, variant) case on every tool: first call, cross-check, then time.

Order matters: every tool is called once (its first-call time: trace + compile for staged
tools), every derivative is compared with every other tool's (and with central finite
differences at the tiny size), and only then are the steady-state repeats taken. A
disagreement raises ``Mismatch`` before any time is reported.
"""

from __future__ import annotations

import functools
import gc
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .problems import Problem
from .tools import LINTRA_TOOLS, Mismatch, Skipped, Unavailable, get_tool

__all__ = ["Mismatch", "run_case", "rel_err", "CaseResult", "ToolResult", "Timing"]


@dataclass
class Timing:
    first: float                 # seconds, first call (trace + compile for staged tools)
    steady: float = float("nan")  # seconds, median of repeats after the first call
    reps: int = 0


@dataclass
class ToolResult:
    tool: str
    status: str                  # "ok", "n/a", "skipped", "missing", "error"
    reason: str = ""
    note: str = ""
    primal: Timing | None = None
    deriv: Timing | None = None
    err: float = 0.0             # largest normwise relative difference to any other tool


@dataclass
class CaseResult:
    problem: str
    size: str
    size_label: str
    variant: str
    deriv_desc: str
    results: dict[str, ToolResult] = field(default_factory=dict)
    fd_err: float | None = None  # worst relative error vs finite differences (tiny sizes)

    def best_lintra(self) -> ToolResult | None:
        ok = [self.results[t] for t in LINTRA_TOOLS
              if t in self.results and self.results[t].status == "ok"]
        return min(ok, key=lambda r: r.deriv.steady) if ok else None

    def fastest_peer(self) -> ToolResult | None:
        ok = [r for t, r in self.results.items() if t not in LINTRA_TOOLS and r.status == "ok"]
        return min(ok, key=lambda r: r.deriv.steady) if ok else None


def _leaves(x: Any) -> list[np.ndarray]:
    if isinstance(x, (tuple, list)):
        return [v for item in x for v in _leaves(item)]
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in _leaves(x[k])]
    return [np.asarray(x, dtype=np.float64)]


def rel_err(a: Any, b: Any) -> float:
    """Normwise relative difference max|a-b| / max(max|b|, 1e-300), over all leaves."""
    la, lb = _leaves(a), _leaves(b)
    if len(la) != len(lb):
        return float("inf")
    worst = 0.0
    for x, y in zip(la, lb):
        if x.shape != y.shape:
            return float("inf")
        if x.size == 0:
            continue
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            return float("inf")
        scale = max(float(np.max(np.abs(y))), 1e-300)
        worst = max(worst, float(np.max(np.abs(x - y))) / scale)
    return worst


def _steady(fn: Callable[[], Any], first: float, budget: float, max_reps: int) -> Timing:
    """Median of repeats: at least 3 (1 when a call takes over a second), until ``budget``
    seconds are spent or ``max_reps`` are taken."""
    min_reps = 1 if first > 1.0 else 3
    gc.collect()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < max_reps:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= min_reps and time.perf_counter() - start > budget:
            break
    return Timing(first, float(np.median(times)), len(times))


def _call(tool, fn: Callable, cargs: tuple) -> Any:
    return tool.block(fn(*cargs))


def _first(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run_case(problem: Problem, size: str, variant: str, tools: Sequence[str], *,
             run_skipped: bool = False, budget: float = 0.5, max_reps: int = 30,
             log: Callable[[str], None] = print) -> CaseResult:
    params = problem.sizes[size]
    args = problem.inputs(params)
    case = CaseResult(problem.name, size, problem.size_label(size), variant, problem.deriv_desc)
    runs: dict[str, tuple] = {}
    outputs: dict[str, tuple[Any, Any]] = {}
    for name in tools:
        res = ToolResult(name, "ok")
        case.results[name] = res
        try:
            tool = get_tool(name)
        except ImportError as e:
            res.status, res.reason = "missing", f"not installed ({e.name})"
            continue
        try:
            why = problem.skip(name, params, variant)
            if why and not run_skipped:
                raise Skipped(why)
            impl = problem.build(tool, params, variant)
            cargs = tuple(tool.asarray(a) for a in args)
            tp, yp = _first(functools.partial(_call, tool, impl.primal, cargs))
            td, yd = _first(functools.partial(_call, tool, impl.deriv, cargs))
        except Unavailable as e:
            res.status, res.reason = "n/a", str(e)
            continue
        except Skipped as e:
            res.status, res.reason = "skipped", str(e)
            continue
        except Exception as e:  # a crash is reported in the table, and fails the run
            res.status = "error"
            res.reason = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            log(f"  {name}: ERROR {res.reason}\n" + traceback.format_exc(limit=-4))
            continue
        res.note = impl.note
        res.primal, res.deriv = Timing(tp), Timing(td)
        runs[name] = (tool, impl, cargs)
        outputs[name] = (tool.to_numpy(yp), tool.to_numpy(yd))
        log(f"  {name}: first call primal {tp:.3g}s, {problem.deriv_desc} {td:.3g}s")

    _cross_check(problem, case, outputs, args, params, variant, log)

    for name, (tool, impl, cargs) in runs.items():
        res = case.results[name]
        tool.settle()
        res.primal = _steady(functools.partial(_call, tool, impl.primal, cargs),
                             res.primal.first, budget, max_reps)
        res.deriv = _steady(functools.partial(_call, tool, impl.deriv, cargs),
                            res.deriv.first, budget, max_reps)
        log(f"  {name}: steady primal {res.primal.steady:.3g}s, "
            f"{problem.deriv_desc} {res.deriv.steady:.3g}s ({res.deriv.reps} reps)")
    return case


def _cross_check(problem: Problem, case: CaseResult, outputs: dict, args: tuple,
                 params: dict, variant: str, log: Callable[[str], None]) -> None:
    where = f"{problem.name} [{case.size}{' ' + variant if variant else ''}]"
    names = list(outputs)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            for k, what in ((0, "primal"), (1, problem.deriv_desc)):
                e = rel_err(outputs[a][k], outputs[b][k])
                tol = problem.rtol
                if not e <= tol:
                    raise Mismatch(f"{where}: {what} of {a} and {b} differ: normwise relative "
                                   f"error {e:.3g} > {tol:g}")
                if k == 1:
                    case.results[a].err = max(case.results[a].err, e)
                    case.results[b].err = max(case.results[b].err, e)
    if case.size != "tiny" or not names:
        return
    lintra = get_tool("lintra")
    impl = problem.build(lintra, params, variant)
    ref = problem.fd_reference(impl.primal, args, params, variant)
    worst = 0.0
    for name in names:
        e = rel_err(outputs[name][1], ref)
        worst = max(worst, e)
        if not e <= problem.fd_rtol:
            raise Mismatch(f"{where}: {problem.deriv_desc} of {name} differs from central "
                           f"finite differences: normwise relative error {e:.3g} > "
                           f"{problem.fd_rtol:g}")
    case.fd_err = worst
    log(f"  finite differences agree with {', '.join(names)} (worst {worst:.2g})")
