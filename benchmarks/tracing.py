"""Tracing speed: microseconds per staged equation of the Python scalar loop, lintra and JAX.

f(x) = sum_i sin(x[i]) cos(x[i+1]), a Python loop unrolled at trace time (5 equations per
iteration). For each n it times, in one process, interleaved (the host's speed drifts by 2x
over seconds, so each figure is the minimum over rounds):

- lintra: staging ``f`` (what ``jit``'s first call pays before compiling; ``Staged.stage``),
  staging ``grad(f)`` unrolled (``config.reroll_loops`` off: every equation through
  linearize and transpose), and ``grad(f)`` as ``jit`` stages it (rerolled into a loop);
- JAX: ``jax.make_jaxpr(f)`` and ``jax.make_jaxpr(jax.grad(f))`` (unrolled: JAX has no
  rerolling).

Both gradients are checked against the closed form first. Per-equation figures divide by the
number of equations of each system's own program.

Run: python -m benchmarks.tracing [--n 1000 --n 10000] [--rounds 5]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import lintra as lt
import lintra.numpy as lnp
from lintra.core import config
from lintra.core.staging import Staged

from .eager import reference_grad


def loop(np_, n):
    def f(v):
        s = 0.0
        for i in range(n - 1):
            s = s + np_.sin(v[i]) * np_.cos(v[i + 1])
        return s
    return f


def lintra_cases(n, x):
    f = loop(lnp, n)

    def stage(fun, reroll):
        def run():
            config.reroll_loops = reroll
            try:
                (program, _, _), _ = Staged(fun).stage((x,), {})
            finally:
                config.reroll_loops = True
            return len(program.eqns)
        return run

    n_primal = stage(f, True)()
    np.testing.assert_allclose(lt.jit(lt.grad(f))(x), reference_grad(x), rtol=1e-12,
                               atol=1e-14)
    # per equation of the unrolled programs (the rerolled gradient: per primal equation)
    return {"lintra stage f": (stage(f, True), None),
            "lintra stage grad(f), unrolled": (stage(lt.grad(f), False), None),
            "lintra stage grad(f), rerolled (jit)": (stage(lt.grad(f), True), n_primal)}


def jax_cases(n, x):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return {}
    jax.config.update("jax_enable_x64", True)
    f = loop(jnp, n)
    np.testing.assert_allclose(np.asarray(jax.grad(f)(x)), reference_grad(x), rtol=1e-12,
                               atol=1e-14)

    def trace(make):            # a new function each time: make_jaxpr caches per function
        return lambda: len(jax.make_jaxpr(make(loop(jnp, n)))(x).jaxpr.eqns)
    return {"jax make_jaxpr(f)": (trace(lambda f: f), None),
            "jax make_jaxpr(grad(f))": (trace(jax.grad), None)}


def measure(n: int, rounds: int) -> None:
    x = np.random.default_rng(0).standard_normal(n)
    cases = {**lintra_cases(n, x), **jax_cases(n, x)}
    best: dict[str, float] = {}
    eqns: dict[str, int] = {}
    for _ in range(rounds):
        for label, (run, per) in cases.items():
            t = time.perf_counter()
            count = run()
            dt = time.perf_counter() - t
            best[label] = min(best.get(label, dt), dt)
            eqns[label] = per or count
    print(f"\n| n = {n} | equations | time (min of {rounds}) | µs per equation |")
    print("|---|---|---|---|")
    for label in cases:
        print(f"| {label} | {eqns[label]} | {best[label] * 1e3:.1f} ms | "
              f"{best[label] / eqns[label] * 1e6:.1f} |")
    for mine, peer in (("lintra stage f", "jax make_jaxpr(f)"),
                       ("lintra stage grad(f), unrolled", "jax make_jaxpr(grad(f))")):
        if peer in best:
            print(f"{peer} ÷ {mine}: {best[peer] / best[mine]:.1f}× (whole program)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, action="append")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    for n in args.n or [1000]:
        measure(n, args.rounds)


if __name__ == "__main__":
    main()
