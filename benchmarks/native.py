"""``make bench-native``: the gradient of scalar_loop, f(x) = sum_i sin(x[i]) cos(x[i+1]),
written as a Python loop (unrolled at trace time) and as a ``fori_loop``; first call (trace +
compile + run) and steady-state time per call, for lintra.jit on the native backend, on the
interpreter, JAX jit, and a hand-written C gradient (``benchmarks/c``, gcc -O2, if gcc is
installed); then CasADi SX and PyTorch (``native_peers.py``) at each n. Every result is
checked against the closed form before timing. Prints ratios.

    python -m benchmarks.native [--n 100,1000,10000] [--all]

By default the slowest cases are skipped where they take minutes (JAX's compile of the
unrolled loop beyond n=100, the interpreter beyond n=1000); ``--all`` runs them. Under
``jit`` lintra rolls the unrolled loop back into a ``scan`` before differentiating it
(``ops/reroll.py``); ``LINTRA_REROLL=0`` measures the unrolled path. The disk
cache is pointed at a fresh folder, so native first calls include compilation (at O0 for
loops; the O2 code, compiled in the background once a program is hot, is what the steady
state measures).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("LINTRA_CACHE_DIR", tempfile.mkdtemp(prefix="lintra-bench-cache-"))
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import lintra as lt  # noqa: E402
import lintra.numpy as lnp  # noqa: E402
from lintra.backends import native  # noqa: E402

from .native_peers import PEERS, peer_make  # noqa: E402


def expected(x):
    g = np.zeros_like(x)
    g[:-1] += np.cos(x[:-1]) * np.cos(x[1:])
    g[1:] -= np.sin(x[:-1]) * np.sin(x[1:])
    return g


def loop_py(np_, x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + np_.sin(x[i]) * np_.cos(x[i + 1])
    return s


def lintra_fori(x):
    return lt.fori_loop(0, x.shape[0] - 1,
                        lambda i, s: s + lnp.sin(x[i]) * lnp.cos(x[i + 1]), 0.0)


def steady(f, x, budget=0.5, max_reps=10000) -> float:
    f(x)
    reps, total = 0, 0.0
    while reps == 0 or (total < budget and reps < max_reps):
        k = max(1, reps)
        t = time.perf_counter()
        for _ in range(k):
            f(x)
        total += time.perf_counter() - t
        reps += k
    return total / reps


def first_call(make, x):
    t = time.perf_counter()
    f = make()
    out = f(x)
    return time.perf_counter() - t, f, out


def lintra_case(backend, form):
    def make():
        fun = (lambda x: loop_py(lnp, x)) if form == "python" else lintra_fori
        return lt.jit(lt.grad(fun), backend=backend)
    return make


def jax_case(form):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)

    def fori(x):
        return jax.lax.fori_loop(0, x.shape[0] - 1,
                                 lambda i, s: s + jnp.sin(x[i]) * jnp.cos(x[i + 1]), 0.0)

    def make():
        g = jax.jit(jax.grad((lambda x: loop_py(jnp, x)) if form == "python" else fori))
        return lambda x: g(x).block_until_ready()
    return make


def c_gradient():
    """The hand-written gradient, built with gcc -O2, or None."""
    if shutil.which("gcc") is None:
        return None
    src = Path(__file__).parent / "c" / "scalar_loop.c"
    out = Path(tempfile.mkdtemp()) / "scalar_loop.so"
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", str(src), "-o", str(out), "-lm"],
                   check=True)
    lib = ctypes.CDLL(str(out))
    lib.grad.restype = ctypes.c_double
    lib.grad.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long]
    lib.bench.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long, ctypes.c_long]
    return lib


def time_c(lib, x) -> float:
    g = np.empty_like(x)
    lib.grad(x.ctypes.data, g.ctypes.data, x.size)
    np.testing.assert_allclose(g, expected(x), rtol=1e-12, atol=1e-14)
    reps = max(1, int(2e6 // x.size))
    t = time.perf_counter()
    lib.bench(x.ctypes.data, g.ctypes.data, x.size, reps)
    return (time.perf_counter() - t) / reps


def fmt(s) -> str:
    if s is None:
        return "–"
    if isinstance(s, str):
        return s
    return f"{s * 1e6:.1f} µs" if s < 1e-3 else f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def run(ns, run_all: bool, forms=("fori_loop", "python"), peers=True):
    """The rows of the lintra table and the peers at each n, measured right after lintra's
    rows at that n (so that the ratios are of neighbouring measurements on a loaded
    machine)."""
    rows, peer_rows = [], {}
    lib = c_gradient()
    for n in ns:
        for form in forms:
            x = np.random.default_rng(n).standard_normal(n)
            row = {"form": form, "n": n}
            for tool, make in [("native", lintra_case("native", form)),
                               ("interpret", lintra_case("interpret", form)),
                               ("jax", jax_case(form))]:
                skip = (not run_all and (
                    (tool == "jax" and form == "python" and n > 100)
                    or (tool == "interpret" and form == "python" and n > 1000)
                    or (tool == "interpret" and n > 1000 and form == "fori_loop")))
                if skip:
                    row[tool] = ("skipped", "skipped")
                    continue
                t1, f, out = first_call(make, x)
                if tool == "native":
                    for _ in range(3):
                        f(x)                        # hot: recompiled at O2 in the background
                    native.wait_for_tier_up()       # steady state: the O2 code
                np.testing.assert_allclose(np.asarray(out), expected(x), rtol=1e-10, atol=1e-12)
                budget = 0.5 if tool != "interpret" else 0.0
                row[tool] = (t1, steady(f, x, budget, 1 if tool == "interpret" else 10000))
                print(f"  {form} n={n} {tool}: first {fmt(t1)}, steady {fmt(row[tool][1])}",
                      flush=True)
            row["c"] = time_c(lib, x) if lib is not None else None
            rows.append(row)
        if peers:
            peer_rows.update(run_peers([n], run_all))
    rows.sort(key=lambda r: (forms.index(r["form"]), r["n"]))
    return rows, peer_rows


def run_peers(ns, run_all: bool) -> dict[int, dict]:
    """CasADi and PyTorch at each n: {n: {peer: (first, steady) or reason}}."""
    out: dict[int, dict] = {}
    for n in ns:
        x = np.random.default_rng(n).standard_normal(n)
        res = out[n] = {}
        for name in PEERS:
            make = peer_make(name, n, run_all)
            if isinstance(make, str):
                res[name] = make
                print(f"  peer {name} n={n}: {make}", flush=True)
                continue
            t1, f, g = first_call(make, x)
            np.testing.assert_allclose(np.asarray(g), expected(x), rtol=1e-10, atol=1e-12)
            res[name] = (t1, steady(f, x, 0.5, 10000))
            print(f"  peer {name} n={n}: first {fmt(t1)}, steady {fmt(res[name][1])}",
                  flush=True)
    return out


def table(rows) -> str:
    lines = ["| form | n | native first | native steady | interpret first | interpret steady | "
             "JAX first | JAX steady | hand C (gcc -O2) | native ÷ C | JAX ÷ native | "
             "interpret ÷ native |", "|" + "---|" * 12]
    for r in rows:
        nat, itp, jx = r["native"], r["interpret"], r["jax"]

        def ratio(a, b):
            return f"{a / b:.1f}×" if isinstance(a, float) and isinstance(b, float) else "–"
        lines.append(f"| {r['form']} | {r['n']} | {fmt(nat[0])} | {fmt(nat[1])} | "
                     f"{fmt(itp[0])} | {fmt(itp[1])} | {fmt(jx[0])} | {fmt(jx[1])} | "
                     f"{fmt(r['c'])} | {ratio(nat[1], r['c'])} | {ratio(jx[1], nat[1])} | "
                     f"{ratio(itp[1], nat[1])} |")
    return "\n".join(lines)


def _peer_ratio(v, ref) -> str:
    return f"{v[1] / ref:.1f}×" if isinstance(v, tuple) and ref else "–"


PEER_COLUMNS = [("casadi-vm", "CasADi SX VM"), ("casadi-call", "CasADi SX F(x)"),
                ("casadi-c", "CasADi C (gcc)"), ("torch", "PyTorch eager"),
                ("torch-compile", "torch.compile")]


def peer_table(rows, peers) -> str:
    """One line per n: each peer's first call and steady state, and the steady ratios of
    the peers to lintra native (its faster form at that n) and of CasADi's VM to hand C."""
    head = ["n", "lintra native steady", "hand C"]
    for _, label in PEER_COLUMNS:
        head += [f"{label} first", f"{label} steady"]
    head += [f"{label} ÷ native" for _, label in PEER_COLUMNS] + ["CasADi SX VM ÷ C"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for n, res in peers.items():
        nat = [r["native"][1] for r in rows if r["n"] == n
               and isinstance(r["native"][1], float)]
        best = min(nat) if nat else None
        c = next((r["c"] for r in rows if r["n"] == n), None)
        cells = [str(n), fmt(best), fmt(c)]
        for key, _ in PEER_COLUMNS:
            v = res.get(key)
            cells += [fmt(v[0]), fmt(v[1])] if isinstance(v, tuple) else [v or "–", ""]
        cells += [_peer_ratio(res.get(key), best) for key, _ in PEER_COLUMNS]
        cells.append(_peer_ratio(res.get("casadi-vm"), c))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", default="100,1000,10000")
    p.add_argument("--all", action="store_true", help="also run the multi-minute cases")
    p.add_argument("--forms", default="fori_loop,python")
    p.add_argument("--no-peers", action="store_true", help="skip CasADi and PyTorch")
    args = p.parse_args(argv)
    ns = [int(v) for v in args.n.split(",")]
    print(f"load average {os.getloadavg()[0]:.1f}; cache {os.environ['LINTRA_CACHE_DIR']}")
    rows, peers = run(ns, args.all, args.forms.split(","), not args.no_peers)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    print(table(rows))
    if peers:
        print("\nPeers (steady ratios against lintra native's faster form at each n):\n")
        print(peer_table(rows, peers))


if __name__ == "__main__":
    sys.exit(main())
