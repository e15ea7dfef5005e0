"""Staging cost of a big straight-line scalar program (~150k equations).

f(x): for i in range(ITERS): x = x + 1e-5 * (lnp.sin(x) * lnp.cos(x)); return x
(5 equations per iteration: sin, cos, mul, mul, add; the derivative stays O(1), no underflow).

Times the first call of (a) jit(f), (b) jit(grad(f)), and (c) eager grad(f).
With --profile: only runs (b) under cProfile and prints the top 25 by tottime and cumtime
(and dumps stats to staging.prof or the path given with --out).

Run: python -m benchmarks.staging [--iters N] [--profile] [--only a,b,c] [--breakdown] [--nogc]
"""
import argparse
import cProfile
import gc
import pstats
import sys
import time

import lintra
import lintra.numpy as lnp

ap = argparse.ArgumentParser()
ap.add_argument("--iters", type=int, default=30000)
ap.add_argument("--profile", action="store_true")
ap.add_argument("--only", default="a,b,c")
ap.add_argument("--out", default="staging.prof")
ap.add_argument("--nogc", action="store_true", help="gc.disable() for the whole run")
ap.add_argument("--breakdown", action="store_true",
                help="split (a) and (b) into staging / first run (plan+exec) / second run")
args = ap.parse_args()
if args.nogc:
    gc.disable()
ITERS = args.iters


def f(x):
    for _ in range(ITERS):
        x = x + 1e-5 * (lnp.sin(x) * lnp.cos(x))
    return x


x0 = 0.3
print(f"lintra from: {lintra.__file__}")
print(f"python {sys.version.split()[0]}; iters = {ITERS}; gc {'off' if args.nogc else 'on'}")
t0 = time.perf_counter()
prog = lintra.make_program(f)(x0)
t_mp = time.perf_counter() - t0
print(f"make_program(f): {len(prog.eqns)} equations, {t_mp:.2f} s (staging + typecheck)")
gprog = lintra.make_program(lintra.grad(f))(x0)
print(f"make_program(grad(f)): {len(gprog.eqns)} equations")
del prog, gprog
gc.collect()


def timed(label, thunk):
    t0 = time.perf_counter()
    out = thunk()
    dt = time.perf_counter() - t0
    print(f"{label:<40} {dt:8.2f} s   -> {float(out):.12g}")
    return dt, out


if args.profile:
    pr = cProfile.Profile()
    jg = lintra.jit(lintra.grad(f))
    pr.enable()
    t0 = time.perf_counter()
    jg(x0)
    dt = time.perf_counter() - t0
    pr.disable()
    print(f"(b) jit(grad(f)) first call under cProfile: {dt:.2f} s")
    pr.dump_stats(args.out)
    st = pstats.Stats(pr)
    st.sort_stats("tottime").print_stats(25)
    st.sort_stats("cumulative").print_stats(25)
    sys.exit(0)

if args.breakdown:
    for label, fn in (("(a) jit(f)", f), ("(b) jit(grad(f))", lintra.grad(f))):
        jf = lintra.jit(fn)
        t0 = time.perf_counter()
        jf.staged.stage((x0,), {})
        t1 = time.perf_counter()
        jf(x0)
        t2 = time.perf_counter()
        jf(x0)
        t3 = time.perf_counter()
        print(f"{label:<18} stage {t1 - t0:6.2f} s | first run (plan + exec) {t2 - t1:6.2f} s"
              f" | second run (exec) {t3 - t2:6.2f} s | total first call {t2 - t0:6.2f} s")
        del jf
        gc.collect()
    sys.exit(0)

only = args.only.split(",")
res = {}
if "a" in only:
    res["a"] = timed("(a) jit(f)(x0) first call", lambda: lintra.jit(f)(x0))
    gc.collect()
if "b" in only:
    res["b"] = timed("(b) jit(grad(f))(x0) first call", lambda: lintra.jit(lintra.grad(f))(x0))
    gc.collect()
if "c" in only:
    res["c"] = timed("(c) eager grad(f)(x0)", lambda: lintra.grad(f)(x0))
if "b" in res and "c" in res:
    assert abs(float(res["b"][1]) - float(res["c"][1])) <= 1e-9 * abs(float(res["c"][1]))
if "a" in res and "b" in res:
    print(f"ratio (b)/(a) = {res['b'][0] / res['a'][0]:.2f}")
if "c" in res and "a" in res:
    print(f"ratio (c)/(a) = {res['c'][0] / res['a'][0]:.2f}")
