"""``python -m benchmarks.xla``: lintra on the xla backend against JAX, on every problem.

Each case runs through the same harness as the main table (first call, cross-check of the
two tools' derivatives, then steady-state timing), with only two tools: ``lintra-xla``
(``lintra.jit(f, backend="xla", keep_on_device=True)``, inputs put on the device once) and
``jax`` (``jax.jit``, inputs as ``jnp`` arrays). It prints lintra-xla / JAX ratios of the
steady-state and first-call times (goal: steady ≤ 1.1×) and writes them as the ``xla``
section of results.md. JAX runs on its default platform (CPU unless ``JAX_PLATFORMS`` says
otherwise, so the same script is the GPU run on a GPU machine).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

from .harness import Mismatch, run_case
from .problems import all_problems
from .report import fmt_ratio, fmt_time, write_section

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = ("lintra-xla", "jax")


def _ratio(a, b) -> float:
    return a / b if a and b else float("nan")


def _row(case) -> tuple[list[str], dict] | None:
    lx, jx = case.results["lintra-xla"], case.results["jax"]
    name = case.problem + (f" {case.variant}" if case.variant else "")
    if lx.status != "ok" or jx.status != "ok":
        why = lx.reason if lx.status != "ok" else jx.reason
        return [name, case.size_label, f"{lx.status}: {why}"] + [""] * 6, {}
    r = {"deriv": _ratio(lx.deriv.steady, jx.deriv.steady),
         "primal": _ratio(lx.primal.steady, jx.primal.steady),
         "first": _ratio(lx.deriv.first, jx.deriv.first)}
    return [name, case.size_label, fmt_time(lx.deriv.steady), fmt_time(jx.deriv.steady),
            fmt_ratio(r["deriv"]), fmt_ratio(r["primal"]), fmt_time(lx.deriv.first),
            fmt_time(jx.deriv.first), fmt_ratio(r["first"])], r


def markdown(rows: list[list[str]], ratios: list[dict], command: str, elapsed: float,
             platform_desc: str) -> str:
    head = ["problem", "size", "lintra-xla (derivative)", "jax (derivative)",
            "steady ratio (derivative)", "steady ratio (primal)", "first call lintra-xla",
            "first call jax", "first-call ratio"]
    lines = ["## lintra on XLA against JAX (issue 14)", "",
             f"`{command}` on {platform_desc}, in {elapsed:.0f} s. Ratios are lintra-xla / "
             "JAX (< 1: lintra-xla is faster); both tools compile with XLA through `jax.jit`, "
             "in float64, with inputs already on the device and results left there "
             "(`keep_on_device=True`). First call = trace + compile + run.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    ok = [r for r in ratios if r]
    if ok:
        worst = max(ok, key=lambda r: r["deriv"])
        gm = lambda k: math.prod(r[k] for r in ok) ** (1 / len(ok))  # noqa: E731
        lines += ["", f"Geometric means over {len(ok)} cases: steady derivative "
                  f"{fmt_ratio(gm('deriv'))}, steady primal {fmt_ratio(gm('primal'))}, "
                  f"first call {fmt_ratio(gm('first'))}; worst steady derivative ratio "
                  f"{fmt_ratio(worst['deriv'])}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.xla", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problem", action="append", help="problem name (repeatable)")
    ap.add_argument("--size", action="append", help="size name (repeatable)")
    ap.add_argument("--budget", type=float, default=0.5)
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"),
                    help="the results file whose `xla` section is rewritten")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args(argv)
    problems = all_problems()
    t0 = time.perf_counter()
    rows, ratios = [], []
    for name in args.problem or list(problems):
        p = problems[name]
        for size in args.size or p.default_sizes:
            for variant in p.variants:
                print(f"{p.name} [{size}{' ' + variant if variant else ''}]", flush=True)
                try:
                    case = run_case(p, size, variant, TOOLS, budget=args.budget,
                                    log=lambda m: print(m, flush=True))
                except Mismatch as e:
                    print(f"MISMATCH: {e}", file=sys.stderr)
                    return 1
                row, r = _row(case)
                rows.append(row)
                ratios.append(r)
    import jax
    devs = jax.devices()
    desc = f"{len(devs)} {devs[0].platform.upper()} device(s) ({devs[0].device_kind})"
    command = "python -m benchmarks.xla" + (" " + " ".join(argv if argv is not None
                                                             else sys.argv[1:])).rstrip()
    text = markdown(rows, ratios, command.strip(), time.perf_counter() - t0, desc)
    print("\n" + text)
    if not args.no_write:
        write_section(args.out, "xla", text)
        print(f"wrote the xla section of {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
