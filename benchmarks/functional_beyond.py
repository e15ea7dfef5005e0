"""Functional derivatives beyond AutoFD (issue 12): lintra.functional against AutoFD where
AutoFD's expression graphs blow up, same run, values cross-checked before times are shown.

1. ``nabla`` — δ/δf ∫ (∇ⁿ f)² at f = sin for n = 1…8: seconds to build the derivative and
   evaluate it once at 0.3 (first call), and the equations of its program at a point. Exact
   value 2 sin 0.3 for every n. AutoFD (0.0.9) runs one n per process, stopped after
   ``--timeout`` seconds ("timeout").
2. ``neural`` — AutoFD's neural-operator example (two integral-kernel layers, functional
   gradient descent with lr 0.1 on k₁, b₁, k₂, b₂, 100-point grid): seconds per step
   (value_and_grad + update; lintra materializes each step's parameters). lintra runs 50
   steps, AutoFD steps 0–3 (each step nests every earlier one: ×4–10 per step; AutoFD 0.0.7,
   on which the example runs). The losses after the first steps are compared.

Run: make bench-functional  (after benchmarks.functional), or
     python -m benchmarks.functional_beyond [--quick] [--no-write]
"""

from __future__ import annotations

import os

if __name__ == "__main__":
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import lintra as lt  # noqa: E402
import lintra.functional as lf  # noqa: E402
import lintra.numpy as lnp  # noqa: E402

from .functional import ENV_A, ENV_B, ROOT, _load, _version, autofd_env, sub_env  # noqa: E402
from .report import fmt_ratio, fmt_time  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "functional_beyond_autofd.py")
SECTION = "functional-beyond"
EXACT = 2 * np.sin(0.3)


# ---------------------------------------------------------------- lintra side

def lintra_nabla(n: int) -> dict:
    q = lf.gauss_legendre(0.0, 1.0, 32)
    f = lf.function(lambda x: lnp.sin(x))        # a fresh node: nothing cached

    def F(f):
        g = f
        for _ in range(n):
            g = lf.nabla(g)
        return lf.integrate(g ** 2, q)
    t0 = time.perf_counter()
    dF = lt.grad(F)(f)
    value = float(dF(0.3))
    first = time.perf_counter() - t0
    return {"n": n, "first_s": first, "eqns": len(lt.make_program(dF)(0.3).eqns),
            "value": value}


def lintra_neural(steps: int) -> dict:
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    import functional_neural_operator as ex  # noqa: PLC0415  (an example, not a module)
    params = ex.initial_params()
    step_grad = lt.value_and_grad(ex.loss, argnums=(0, 1, 2, 3))
    times, losses, eqns = [], [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        value, grads = step_grad(*params)
        params = tuple(lf.materialize(p - 0.1 * g) for p, g in zip(params, grads))
        times.append(time.perf_counter() - t0)
        losses.append(float(value))
        eqns.append(len(lt.make_program(params[0])(0.0, 0.0).eqns))
    losses.append(float(ex.loss(*params)))
    return {"step_s": times, "losses": losses, "k1_eqns": eqns}


# ---------------------------------------------------------------- AutoFD side

def run_autofd(py: str, args: list[str], timeout: float) -> dict:
    try:
        r = subprocess.run([py, SCRIPT, *args], env=sub_env(), capture_output=True, text=True,
                           cwd=ROOT, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": "timeout"}
    if r.returncode:
        return {"error": (r.stderr.strip().splitlines() or ["?"])[-1][:300]}
    return json.loads(r.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- report

def _t(x) -> str:
    return fmt_time(x) if isinstance(x, float) else str(x)


def nabla_table(lin: list, afd: list, timeout: float) -> str:
    out = ["| n | lintra first call | AutoFD first call | lintra / AutoFD | lintra equations "
           "| AutoFD equations | values (exact 2 sin 0.3 = 0.591040) |",
           "|---|---|---|---|---|---|---|"]
    for a, b in zip(lin, afd):
        bt = b.get("first_s", f"timeout (> {timeout:.0f} s)" if b.get("error") == "timeout"
                   else b.get("error", "–"))
        r = fmt_ratio(a["first_s"] / b["first_s"]) if "first_s" in b else "–"
        vals = f"{a['value']:.6f} / " + (f"{b['value']:.6f}" if "value" in b else "–")
        out.append(f"| {a['n']} | {fmt_time(a['first_s'])} | {_t(bt)} | {r} | {a['eqns']} | "
                   f"{b.get('eqns', '–')} | {vals} |")
    return "\n".join(out)


def neural_table(lin: dict, afd: dict) -> str:
    out = ["| step | lintra step | AutoFD step | lintra / AutoFD | lintra k₁ equations after | "
           "AutoFD k₁ equations after | loss before the step: lintra / AutoFD |",
           "|---|---|---|---|---|---|---|"]
    a_s, b_s = lin["step_s"], afd.get("step_s", [])
    show = [i for i in range(len(a_s)) if i < 5 or i % 10 == 9]
    for i in show:
        b = b_s[i] if i < len(b_s) else None
        r = fmt_ratio(a_s[i] / b) if b else "–"
        la = f"{lin['losses'][i]:.6f}"
        lb = f"{afd['losses'][i]:.6f}" if i < len(afd.get("losses", [])) else "–"
        eb = afd["k1_eqns"][i] if i < len(afd.get("k1_eqns", [])) else "–"
        out.append(f"| {i} | {fmt_time(a_s[i])} | {fmt_time(b) if b else '–'} | {r} | "
                   f"{lin['k1_eqns'][i]} | {eb} | {la} / {lb} |")
    return "\n".join(out)


def check(lin_nabla, afd_nabla, lin_neural, afd_neural) -> None:
    for a in lin_nabla:
        if abs(a["value"] - EXACT) > 1e-8:
            raise SystemExit(f"MISMATCH: lintra ∇^{a['n']} derivative {a['value']} != {EXACT}")
    for b in afd_nabla:
        if "value" in b and abs(b["value"] - EXACT) > 1e-6:
            raise SystemExit(f"MISMATCH: AutoFD ∇^{b['n']} derivative {b['value']} != {EXACT}")
    for i, lb in enumerate(afd_neural.get("losses", [])):
        if abs(lin_neural["losses"][i] - lb) > 1e-6 * max(1.0, abs(lb)):
            raise SystemExit(f"MISMATCH: neural operator loss {i}: lintra "
                             f"{lin_neural['losses'][i]}, AutoFD {lb}")


def write_section(path: str, body: str) -> None:
    begin, end = f"<!-- section:{SECTION} begin -->", f"<!-- section:{SECTION} end -->"
    block = f"{begin}\n{body.rstrip()}\n{end}\n"
    text = open(path).read() if os.path.exists(path) else ""
    pat = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.S)
    text = (pat.sub(lambda _: block, text) if pat.search(text)
            else text.rstrip("\n") + ("\n\n" if text else "") + block)
    with open(path, "w") as f:
        f.write(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.functional_beyond",
                                 description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="n ≤ 3, 5 steps; writes nothing")
    ap.add_argument("--orders", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per AutoFD ∇ⁿ run")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--autofd-steps", type=int, default=4)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    args = ap.parse_args(argv)
    orders = 3 if args.quick else args.orders
    steps = 5 if args.quick else args.steps
    py_a, py_b = autofd_env(ENV_A), autofd_env(ENV_B)
    if not (py_a and py_b):
        print("AutoFD virtualenvs missing: run `make autofd-envs`")
        return 2
    t_start = time.perf_counter()
    lin_nabla, afd_nabla = [], []
    stop = False
    for n in range(1, orders + 1):
        print(f"∇^{n}: lintra ...", flush=True)
        lin_nabla.append(lintra_nabla(n))
        if stop:                    # a lower order already timed out: higher ones would too
            afd_nabla.append({"n": n, "error": "timeout"})
            continue
        print(f"∇^{n}: AutoFD ...", flush=True)
        r = run_autofd(py_a, ["--problem", "nabla", "--n", str(n)], args.timeout)
        afd_nabla.append(r.get("nabla", {"n": n, "error": r.get("error")}))
        stop = r.get("error") == "timeout"
    print("neural operator: lintra ...", flush=True)
    lin_neural = lintra_neural(steps)
    print("neural operator: AutoFD ...", flush=True)
    r = run_autofd(py_b, ["--problem", "neural", "--steps", str(args.autofd_steps),
                          "--losses", "2"], 1200)
    afd_neural = r.get("neural", {"error": r.get("error")})
    check(lin_nabla, afd_nabla, lin_neural, afd_neural)
    elapsed = time.perf_counter() - t_start
    body = "\n".join([
        "## Functional derivatives beyond AutoFD: ∇ⁿ and the neural operator (issue 12)", "",
        f"Generated by `python -m benchmarks.functional_beyond` in {elapsed:.0f} s (machine: "
        f"{platform.machine()}, {os.cpu_count()} cores, load average {_load()} at the end; "
        f"lintra {_version('lintra')}; AutoFD 0.0.9 on jax 0.5.3 for ∇ⁿ, AutoFD 0.0.7 on jax "
        "0.4.25 for the neural operator, where its example runs). One thread each; lintra's "
        "`jit` is its NumPy interpreter, AutoFD's XLA. Values were checked before timing.", "",
        "**δ/δf ∫ (∇ⁿ f)² at f = sin**: build the derivative and evaluate it at 0.3 (first "
        f"call); AutoFD stopped after {args.timeout:.0f} s per n.", "",
        nabla_table(lin_nabla, afd_nabla, args.timeout), "",
        f"**Neural operator** (functional gradient descent, {steps} lintra steps, AutoFD "
        f"steps 0–{args.autofd_steps - 1}"
        + (f"; AutoFD: {afd_neural['error']}" if "error" in afd_neural else "") + "):", "",
        neural_table(lin_neural, afd_neural), "",
        f"lintra: median step {fmt_time(float(np.median(lin_neural['step_s'][1:6])))} "
        f"(steps 1–5), {fmt_time(float(np.median(lin_neural['step_s'][-5:])))} (last 5); "
        f"final loss {lin_neural['losses'][-1]:.3g}.", ""])
    print("\n" + body)
    if not (args.quick or args.no_write):
        write_section(args.out, body)
        print(f"wrote the section '{SECTION}' of {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
