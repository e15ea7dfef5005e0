"""``python -m benchmarks.vecmath``: a 10^6-element elementwise chain
f(x) = sin(x) exp(-x^2) + log1p(x^2), its gradient (of sum f) and three reductions, in
lintra's native backend with libmvec vector math and with scalar libm (the same run, the
module flag switched), NumPy and JAX jit (float64, CPU). Every result is checked against
NumPy's (or JAX's gradient) before it is timed; times are medians."""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def chain(np_, x):
    return np_.sin(x) * np_.exp(-x * x) + np_.log1p(x * x)


def _median(f, budget: float) -> float:
    f()
    ts, t_end = [], time.perf_counter() + budget
    while len(ts) < 5 or time.perf_counter() < t_end:
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def _fmt(s: float) -> str:
    return f"{s * 1e3:.2f} ms"


def cases(n: int):
    """(name, NumPy reference or None, lintra function, JAX function)."""
    return [
        ("chain", lambda x: chain(np, x), lambda lnp, x: chain(lnp, x),
         lambda jnp, x: chain(jnp, x)),
        ("grad sum chain", None, "grad", "grad"),
        ("sum", np.sum, lambda lnp, x: lnp.sum(x), lambda jnp, x: jnp.sum(x)),
        ("max", np.max, lambda lnp, x: lnp.max(x), lambda jnp, x: jnp.max(x)),
        ("dot", lambda x: np.dot(x, x), lambda lnp, x: lnp.dot(x, x),
         lambda jnp, x: jnp.dot(x, x)),
    ]


def _lintra(modes, n, budget, x, jax_grad):
    import lintra
    import lintra.numpy as lnp
    from lintra.backends import native
    try:
        from lintra.backends.native import vecmath
    except ImportError:                      # a lintra without vector math: one row
        vecmath = None
    rows = {}
    for mode in modes:
        if vecmath is not None:
            vecmath.enabled = mode == "libmvec"
        label = f"lintra native ({mode})" if vecmath is not None else "lintra native"
        row = {}
        for name, ref, f, _ in cases(n):
            if f == "grad":
                fn = lintra.jit(lintra.grad(lambda x: lnp.sum(chain(lnp, x))), backend="native")
                want = jax_grad
            else:
                fn = lintra.jit(lambda x, f=f: f(lnp, x), backend="native")
                want = ref(x)
            for _ in range(3):
                fn(x)
            native.wait_for_tier_up(start=True)
            got = np.asarray(fn(x))
            if want is not None:
                np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
            row[name] = _median(lambda fn=fn: fn(x), budget)
        rows[label] = row
        if vecmath is None:
            break
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.vecmath", description=__doc__)
    p.add_argument("--n", type=int, default=10**6)
    p.add_argument("--budget", type=float, default=0.5, help="seconds of repeats per case")
    args = p.parse_args(argv)
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    x = np.random.default_rng(0).uniform(-3, 3, args.n)
    xj = jnp.asarray(x)
    jg = jax.jit(jax.grad(lambda x: jnp.sum(chain(jnp, x))))
    jax_grad = np.asarray(jg(xj))
    rows = _lintra(["libmvec", "scalar"], args.n, args.budget, x, jax_grad)
    rows["NumPy"] = {name: _median(lambda ref=ref: ref(x), args.budget)
                     for name, ref, _, _ in cases(args.n) if ref is not None}
    jrow = {}
    for name, _, _, f in cases(args.n):
        fn = jg if f == "grad" else jax.jit(lambda x, f=f: f(jnp, x))
        fn(xj).block_until_ready()
        jrow[name] = _median(lambda fn=fn: fn(xj).block_until_ready(), args.budget)
    rows["JAX jit"] = jrow
    names = [c[0] for c in cases(args.n)]
    load = os.getloadavg()[0]
    print(f"n = {args.n}, float64, load average {load:.1f}\n")
    print("| tool | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for label, row in rows.items():
        print(f"| {label} | " + " | ".join(_fmt(row[k]) if k in row else "–" for k in names)
              + " |")
    best = next(iter(rows.values()))
    for label, row in list(rows.items())[1:]:
        print(f"| {label} ÷ first row | " + " | ".join(
            f"{row[k] / best[k]:.1f}×" if k in row else "–" for k in names) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
