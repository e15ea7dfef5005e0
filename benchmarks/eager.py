"""Eager reverse mode figures (issue 4), in one process, all results cross-checked:

1. the scalar loop sum_i sin(x[i]) cos(x[i+1]) as a Python loop (n = 1000, float64):
   lintra eager vs PyTorch eager vs HIPS autograd, per primal operation;
2. its vectorized form at n = 10^6: lintra eager vs a hand-written NumPy gradient;
3. fork/join over large arrays: backward pass with parallel jobs vs one after the other.

Run: python -m benchmarks.eager   (peers from the [bench] extra; missing ones are skipped)
"""

from __future__ import annotations

import math
import time

import numpy as np

import lintra as lt
import lintra.numpy as lnp
from lintra.eager import parallel

OPS_PER_ITER = 6        # x[i], sin, x[i+1], cos, mul, add


def median_time(fn, reps=7, warmup=1):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def reference_grad(x):
    g = np.zeros_like(x)
    g[:-1] += np.cos(x[:-1]) * np.cos(x[1:])
    g[1:] -= np.sin(x[:-1]) * np.sin(x[1:])
    return g


def scalar_loop(n=1000):
    x = np.random.default_rng(0).standard_normal(n)
    ref = reference_grad(x)
    ops = OPS_PER_ITER * (n - 1)
    rows = []

    def f(v):
        s = 0.0
        for i in range(n - 1):
            s = s + lnp.sin(v[i]) * lnp.cos(v[i + 1])
        return s

    g = lt.grad(f)
    np.testing.assert_allclose(g(x), ref, rtol=1e-12, atol=1e-14)
    rows.append(("lintra eager", median_time(lambda: g(x))))

    def pure(v):
        s = 0.0
        for i in range(n - 1):
            s = s + math.sin(v[i]) * math.cos(v[i + 1])
        return s

    xl = x.tolist()
    rows.append(("(pure Python primal, no AD)", median_time(lambda: pure(xl))))
    try:
        import torch
        torch.set_num_threads(1)

        def torch_grad():
            xt = torch.tensor(x, requires_grad=True)
            s = torch.zeros((), dtype=torch.float64)
            for i in range(n - 1):
                s = s + torch.sin(xt[i]) * torch.cos(xt[i + 1])
            s.backward()
            return xt.grad.numpy()

        np.testing.assert_allclose(torch_grad(), ref, rtol=1e-12, atol=1e-14)
        rows.append(("PyTorch eager", median_time(torch_grad, reps=3)))
    except ImportError:
        rows.append(("PyTorch eager", None))
    try:
        import autograd
        import autograd.numpy as anp

        def af(v):
            s = 0.0
            for i in range(n - 1):
                s = s + anp.sin(v[i]) * anp.cos(v[i + 1])
            return s

        ag = autograd.grad(af)
        np.testing.assert_allclose(ag(x), ref, rtol=1e-12, atol=1e-14)
        rows.append(("HIPS autograd", median_time(lambda: ag(x), reps=3)))
    except ImportError:
        rows.append(("HIPS autograd", None))
    base = rows[0][1]
    print(f"\n## scalar loop, n = {n} ({ops} primal operations), forward + backward\n")
    print("| tool | time (ms) | µs per primal op | time / lintra |")
    print("|---|---|---|---|")
    for name, t in rows:
        if t is None:
            print(f"| {name} | not installed | | |")
        else:
            print(f"| {name} | {t * 1e3:.2f} | {t / ops * 1e6:.3f} | {t / base:.2f} |")


def vectorized(n=10**6):
    x = np.random.default_rng(0).standard_normal(n)
    f = lambda v: lnp.sum(lnp.sin(v[:-1]) * lnp.cos(v[1:]))

    def hand():
        a, b = np.sin(x[:-1]), np.cos(x[1:])
        val = np.sum(a * b)
        g = np.zeros_like(x)
        g[:-1] += np.cos(x[:-1]) * b
        g[1:] -= np.sin(x[1:]) * a
        return val, g

    vg = lt.value_and_grad(f)
    np.testing.assert_allclose(vg(x)[1], hand()[1], rtol=1e-12, atol=1e-14)
    th, tl = median_time(hand), median_time(lambda: vg(x))
    print(f"\n## vectorized, n = {n}: value and gradient\n")
    print("| implementation | time (ms) | ratio |")
    print("|---|---|---|")
    print(f"| hand-written NumPy gradient | {th * 1e3:.1f} | 1.00 |")
    print(f"| lintra eager | {tl * 1e3:.1f} | {tl / th:.2f} |")


def fork_join(n=2_000_000):
    x = np.random.default_rng(0).standard_normal(n)

    def branch(k):
        def b(v):
            y = v
            for _ in range(4):
                y = lnp.sin(y * k) * lnp.exp(-y * y)
            return lnp.sum(y)
        return b

    f = lambda v: lnp.add(*lt.fork_join(branch(1.0), branch(2.0), v))
    results = {}
    for threads in (False, True):
        parallel.config.threads = threads
        results[threads] = (lt.grad(f)(x), median_time(lambda: lt.grad(f)(x), reps=5))
    parallel.config.threads = True
    np.testing.assert_array_equal(results[True][0], results[False][0])   # bit-identical
    ts, tp = results[False][1], results[True][1]
    print(f"\n## fork/join over two branches of {n}-element arrays (forward + backward)\n")
    print("| jobs | time (ms) | speed-up |")
    print("|---|---|---|")
    print(f"| one after the other | {ts * 1e3:.1f} | 1.00 |")
    print(f"| in parallel (2 cores) | {tp * 1e3:.1f} | {ts / tp:.2f} |")


if __name__ == "__main__":
    scalar_loop()
    vectorized()
    fork_join()
