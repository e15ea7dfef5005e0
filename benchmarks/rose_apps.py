"""lintra vs Rose on the Rose paper's applications (billiards, mass-spring), in one run.

Each (application, tool) runs in its own process: lintra ``jit`` on the default backend
and on the interpreter (``examples/rose_billiards.py``, ``examples/rose_mass_spring.py``), and
Rose 0.4.10 on node (``benchmarks/rose/*.mjs``, installed by ``make bench-rose``), all from the
same board / network weights. The default backend runs twice: with an empty disk cache of
compiled objects (a cold first call), then in a second process that finds them ("2nd").
Every tool's loss and gradient are compared with lintra's before any time is printed (a
mismatch stops the run); then the table gives, per tool: the compile time (Rose: trace + vjp +
Wasm compile; lintra: the first call minus the second, made right after it on the same code,
i.e. trace + derivation + compile), the first gradient (compile included), the wait for the
native backend's background O2 recompilation of loops (which run at O0 on the first calls;
steady times are taken after it), and the median milliseconds per gradient, with ratios to Rose.

    python -m benchmarks.rose_apps                 # both applications at the paper's sizes
    python -m benchmarks.rose_apps --quick         # small sizes (smoke test)
    python -m benchmarks.rose_apps --app billiards --repeats 20
    python -m benchmarks.rose_apps --curve 200     # also compare 200 descent iterations
    python -m benchmarks.rose_apps --write         # also rewrite its section of results.md
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ROSE_DIR = ROOT / "benchmarks" / "rose"
APPS = {"billiards": ("rose_billiards", "billiards.mjs"),
        "mass_spring": ("rose_mass_spring", "mass_spring.mjs")}
FULL_STEPS = {"billiards": 1024, "mass_spring": 1364}
QUICK_STEPS = {"billiards": 700, "mass_spring": 100}
SECTION = "rose"


class Mismatch(AssertionError):
    """Two tools disagree on a loss or gradient."""


def load_example(module: str):
    """Import ``examples/<module>.py`` (examples are scripts, not a package)."""
    if module in sys.modules:
        return sys.modules[module]
    spec = importlib.util.spec_from_file_location(module, ROOT / "examples" / f"{module}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[module] = mod
    spec.loader.exec_module(mod)
    return mod


def problem(app: str, steps: int) -> dict:
    """The shared inputs of one application, as JSON-able data (Rose's input format)."""
    if app == "billiards":
        rb = load_example("rose_billiards")
        x, v = rb.rack()
        x, v = rb.place_cue(np.array(rb.CUE0), x, v)
        return {"steps": steps, "x": x.tolist(), "v": v.tolist(), "goal": list(rb.GOAL),
                "target": len(x) - 1}
    ms = load_example("rose_mass_spring")
    robot = ms.mesh_robot()
    fields = ("x", "a", "b", "length", "stiffness", "actuation")
    return {"steps": steps, "robot": {k: getattr(robot, k).tolist() for k in fields},
            "params": {k: p.tolist() for k, p in ms.init_params(robot).items()},
            "goal": list(ms.GOAL)}


def _lintra_fun(app: str, cfg: dict, backend: str | None):
    """A fresh jitted loss-and-gradient and a thunk calling it on the problem's inputs;
    the gradient is returned flat (billiards: the cue's (x, y, vx, vy); mass-spring: the
    network parameters in the order w1, b1, w2, b2)."""
    import lintra as lt
    if app == "billiards":
        rb = load_example("rose_billiards")
        f = lt.jit(lt.value_and_grad(rb.loss), static_argnums=(4, 5), backend=backend)
        x, v = np.array(cfg["x"]), np.array(cfg["v"])
        cue = np.concatenate([x[0], v[0]])
        x[0], v[0] = 0.0, 0.0
        args = (cue, x, v, np.array(cfg["goal"]), cfg["steps"], cfg["target"])
        return lambda: _flat(f(*args))
    ms = load_example("rose_mass_spring")
    f = lt.jit(lt.value_and_grad(ms.loss), static_argnums=3, backend=backend)
    r = cfg["robot"]
    robot = ms.Robot(*(np.array(r[k]) for k in ("x", "a", "b", "length", "stiffness",
                                                "actuation")))
    params = {k: np.array(p) for k, p in cfg["params"].items()}
    args = (params, robot.x, ms._springs(robot), cfg["steps"])
    return lambda: _flat(f(*args))


def _flat(value_grad) -> tuple[float, list]:
    value, g = value_grad
    if isinstance(g, dict):
        g = [g[k] for k in ("w1", "b1", "w2", "b2")]
    return float(value), np.concatenate([np.ravel(a) for a in np.atleast_1d(*g)]
                                        if isinstance(g, list) else [np.ravel(g)]).tolist()


def worker(app: str, backend: str | None, cfg: dict) -> dict:
    """One lintra measurement in this (fresh) process."""
    t0 = time.perf_counter()
    import lintra as lt
    import_ms = 1e3 * (time.perf_counter() - t0)
    run = _lintra_fun(app, cfg, backend)
    t0 = time.perf_counter()
    loss, grad = run()
    first = 1e3 * (time.perf_counter() - t0)
    t0 = time.perf_counter()
    run()                           # the same code again: the first call's run alone
    again = 1e3 * (time.perf_counter() - t0)
    tier_up = _settle(backend or lt.core.config.default_backend)
    times = []
    for _ in range(cfg["repeats"]):
        t0 = time.perf_counter()
        run()
        times.append(1e3 * (time.perf_counter() - t0))
    curve = []
    if app == "billiards" and cfg.get("iters"):     # the example's descent, default backend
        _, curve = load_example("rose_billiards").optimize(cfg["iters"], cfg["steps"],
                                                           lr=cfg["lr"], report=None)
    return {"backend": backend or lt.core.config.default_backend, "import_ms": import_ms,
            "first_ms": first, "again_ms": again, "tier_up_ms": tier_up, "loss": loss, "grad": grad,
            "times_ms": times, "curve": curve}


def _settle(backend: str) -> float:
    """Milliseconds waiting for the native backend's background O2 code (its loops run at
    O0 first), so that steady times measure the optimized code; 0 elsewhere."""
    if backend != "native":
        return 0.0
    from lintra.backends import native
    wait = getattr(native, "wait_for_tier_up", None)
    if wait is None:
        return 0.0
    t0 = time.perf_counter()
    wait(start=True)
    return 1e3 * (time.perf_counter() - t0)


def _subprocess(cmd: list[str], cfg: dict, cwd: Path, **env_vars: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]), **env_vars)
    out = subprocess.run(cmd, input=json.dumps(cfg), capture_output=True, text=True, cwd=cwd,
                         env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_lintra(app: str, backend: str | None, cfg: dict, cache_dir: str | None = None) -> dict:
    """One lintra measurement in a fresh process; ``cache_dir``: the native backend's disk
    cache of compiled objects (an empty one gives a cold first call)."""
    cmd = [sys.executable, "-m", "benchmarks.rose_apps", "--worker", app]
    if backend:
        cmd += ["--backend", backend]
    return _subprocess(cmd, cfg, ROOT, **({"LINTRA_CACHE_DIR": cache_dir} if cache_dir else {}))


def rose_status() -> str | None:
    """None when Rose can run, else why not."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (ROSE_DIR / "node_modules" / "rose").is_dir():
        return "Rose is not installed (run `make bench-rose`)"
    return None


def run_rose(app: str, cfg: dict) -> dict:
    r = _subprocess(["node", APPS[app][1]], cfg, ROSE_DIR)
    g = r["grad"]
    if isinstance(g, dict):
        g = np.concatenate([np.ravel(g[k]) for k in ("w1", "b1", "w2", "b2")]).tolist()
    r["grad"] = g
    return r


def cross_check(app: str, results: dict, rtol: float) -> None:
    """Every tool's loss and gradient agree with the first tool's, or Mismatch."""
    names = list(results)
    ref = results[names[0]]
    for name in names[1:]:
        r = results[name]
        for what in ("loss", "grad"):
            a, b = np.asarray(ref[what]), np.asarray(r[what])
            err = np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-300)
            if not err <= rtol:
                raise Mismatch(f"{app}: {what} of {name} differs from {names[0]}'s "
                               f"(relative error {err:.2e})")
        r["err"] = max(np.max(np.abs(np.asarray(ref[w]) - np.asarray(r[w])))
                       / max(np.max(np.abs(np.asarray(ref[w]))), 1e-300) for w in ("loss", "grad"))


def summarize(r: dict, tool: str) -> dict:
    median = float(np.median(r["times_ms"]))
    if tool == "rose":
        compile_ms = r["trace_ms"] + r["compile_ms"]
        first = compile_ms + r["first_ms"]
    else:
        first = r["first_ms"]
        compile_ms = max(first - r["again_ms"], 0.0)
    return {"compile": compile_ms, "first": first, "median": median, "min": min(r["times_ms"])}


def table(app: str, cfg: dict, results: dict) -> str:
    rows = {name: summarize(r, "rose" if name == "rose" else "lintra")
            for name, r in results.items()}
    rose = rows.get("rose")
    head = (f"\n{app}: {cfg['steps']} steps, {cfg['repeats']} timed gradients per tool "
            f"(loss {results[next(iter(results))]['loss']:.12g})\n"
            f"  {'tool':24s} {'compile ms':>11s} {'first grad ms':>14s} {'O2 wait ms':>11s} "
            f"{'ms/grad':>9s} {'(min)':>9s} {'max rel err':>12s}"
            + ("   Rose/tool: compile, ms/grad" if rose else ""))
    lines = [head]
    for name, s in rows.items():
        c_ratio = (f"{rose['compile'] / s['compile']:8.2f}x" if s["compile"] >= 0.5
                   else f"{'-':>9s}")
        ratio = f"   {c_ratio} {rose['median'] / s['median']:8.2f}x" if rose else ""
        lines.append(f"  {name:24s} {s['compile']:11.1f} {s['first']:14.1f} "
                     f"{results[name].get('tier_up_ms', 0.0):11.1f} {s['median']:9.2f} "
                     f"{s['min']:9.2f} {results[name].get('err', 0.0):12.1e}{ratio}")
    return "\n".join(lines)


def write_section(path: Path, body: str) -> None:
    """Put ``body`` between this benchmark's markers in ``path`` (``python -m benchmarks``
    keeps marked sections when it rewrites results.md)."""
    begin, end = f"<!-- section:{SECTION} begin -->", f"<!-- section:{SECTION} end -->"
    block = f"{begin}\n{body.rstrip()}\n{end}\n"
    text = path.read_text() if path.exists() else ""
    pat = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.S)
    text = pat.sub(lambda _: block, text) if pat.search(text) else \
        text.rstrip("\n") + ("\n\n" if text else "") + block
    path.write_text(text)


def _markdown(tables: list[str], command: str) -> str:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip() \
        if shutil.which("node") else "absent"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return "\n".join([
        "## The Rose applications: lintra vs Rose 0.4.10 (issue 11)", "",
        f"`{command}` on {platform.machine()} ({os.cpu_count()} cores, load average "
        f"{load:.1f} at the end), Python {platform.python_version()}, node {node}. Each tool "
        "in its own process, same inputs; losses and gradients agreed before timing "
        "(max rel err column). For scale: on this machine idle, Rose's billiards took 194 ms "
        "for vjp + compile and 117.7 ms per gradient (`../shared/research/rose_gradbench.md`); "
        "its row below shows how much the load slowed this run.", "", "```",
        *[t.strip("\n") for t in tables], "```", ""])


def _descent(results: dict) -> str:
    """The gradient-descent curves of the tools that ran one agree, or Mismatch."""
    curves = {name: np.asarray(r["curve"]) for name, r in results.items() if len(r.get("curve",
                                                                                      ()))}
    if len(curves) < 2:
        return ""
    (n0, c0), *rest = curves.items()
    err = max(np.max(np.abs(c - c0) / np.abs(c0)) for _, c in rest)
    if not err <= 1e-6:
        raise Mismatch(f"gradient-descent loss curves differ (relative error {err:.1e})")
    finals = ", ".join(f"{n} {c[-1]:.6e}" for n, c in curves.items())
    return (f"\n  gradient descent, {len(c0)} iterations from the same start: loss "
            f"{c0[0]:.6e} -> {finals} (curves agree to {err:.1e})")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.rose_apps", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--app", action="append", choices=list(APPS))
    p.add_argument("--steps", type=int, help="time steps (default: the paper's)")
    p.add_argument("--repeats", type=int, default=10, help="timed gradients per tool")
    p.add_argument("--quick", action="store_true", help="small sizes, 3 repeats")
    p.add_argument("--no-interpret", action="store_true",
                   help="skip lintra on the interpreter (slow at full size)")
    p.add_argument("--curve", type=int, default=0, metavar="N", help="billiards: also run "
                   "N gradient-descent iterations (lr 0.01; the paper: 200) in lintra's "
                   "default backend and in Rose, and compare the loss curves")
    p.add_argument("--write", action="store_true", help="rewrite the 'rose' section of "
                   "benchmarks/results.md with the tables")
    p.add_argument("--worker", choices=list(APPS), help=argparse.SUPPRESS)
    p.add_argument("--backend", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        print(json.dumps(worker(a.worker, a.backend, json.loads(sys.stdin.read()))))
        return
    import lintra as lt
    default = lt.core.config.default_backend
    why_not_rose = rose_status()
    if why_not_rose:
        print(f"note: Rose is skipped: {why_not_rose}")
    tables = []
    for app in a.app or list(APPS):
        steps = a.steps or (QUICK_STEPS if a.quick else FULL_STEPS)[app]
        cfg = dict(problem(app, steps), repeats=3 if a.quick else a.repeats, iters=0, lr=0.01)
        descent = dict(cfg, iters=a.curve if app == "billiards" else 0)
        with tempfile.TemporaryDirectory() as cache:
            results = {f"lintra jit ({default})": run_lintra(app, None, descent, cache)}
            if default != "interpret":      # a second process finds the compiled objects
                results[f"lintra jit ({default}) 2nd"] = run_lintra(app, None, cfg, cache)
        if default != "interpret" and not a.no_interpret:
            results["lintra jit (interpret)"] = run_lintra(app, "interpret", cfg)
        if not why_not_rose:
            results["rose"] = run_rose(app, descent)
        cross_check(app, results, rtol=1e-8)
        tables.append(table(app, cfg, results) + _descent(results))
        print(tables[-1], flush=True)
    if a.write:
        out = ROOT / "benchmarks" / "results.md"
        cmd = "python -m benchmarks.rose_apps " + " ".join(argv if argv is not None
                                                            else sys.argv[1:])
        write_section(out, _markdown(tables, cmd.strip()))
        print(f"\nwrote the section '{SECTION}' of {out}")


if __name__ == "__main__":
    main()
