"""``python -m benchmarks``: run the default size set (or a selection), write the tables.

The default run writes benchmarks/results.md and benchmarks/results.png; a run restricted
with --problem/--size/--tools writes benchmarks/results-partial.{md,png} instead (unless
--out is given), so the committed full table is not overwritten by a partial one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from .harness import Mismatch, run_case
from .problems import all_problems
from .report import bar_chart, kept_sections, markdown
from .tools import EXTRA_TOOLS, TOOL_NAMES

HERE = os.path.dirname(os.path.abspath(__file__))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--problem", action="append", help="problem name (repeatable); "
                   "default: all")
    p.add_argument("--size", action="append", help="size name (repeatable), e.g. tiny, "
                   "default, large; default: each problem's default sizes")
    p.add_argument("--variant", action="append", help="variant (ff, fr, rf, rr) for the "
                   "nested problems; default: all")
    p.add_argument("--tools", default=",".join(TOOL_NAMES),
                   help=f"comma-separated subset of {','.join(TOOL_NAMES + EXTRA_TOOLS)}")
    p.add_argument("--all", action="store_true", help="also run the tool/size pairs that "
                   "the default run skips for time")
    p.add_argument("--budget", type=float, default=0.5,
                   help="seconds of repeats per timing (at least 3 repeats); default 0.5")
    p.add_argument("--out", help="markdown output path (the PNG goes next to it)")
    p.add_argument("--list", action="store_true", help="list problems and sizes and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    problems = all_problems()
    if args.list:
        for p in problems.values():
            sizes = ", ".join(p.size_label(s) for s in p.sizes)
            print(f"{p.name}: {p.title}\n  sizes: {sizes}\n  default: "
                  f"{', '.join(p.default_sizes)}"
                  + (f"\n  variants: {', '.join(p.variants)}" if p.variants != ("",) else ""))
        return 0
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    bad = [t for t in tools if t not in TOOL_NAMES + EXTRA_TOOLS]
    if bad:
        print(f"unknown tools {bad}; choose from {', '.join(TOOL_NAMES)}", file=sys.stderr)
        return 2
    names = args.problem or list(problems)
    for n in names:
        if n not in problems:
            print(f"unknown problem {n!r}; choose from {', '.join(problems)}", file=sys.stderr)
            return 2
    plan = []
    for n in names:
        p = problems[n]
        sizes = args.size or list(p.default_sizes)
        for s in sizes:
            if s not in p.sizes:
                print(f"problem {n} has no size {s!r} (sizes: {', '.join(p.sizes)})",
                      file=sys.stderr)
                return 2
        variants = [v for v in p.variants if not args.variant or v in args.variant]
        plan += [(p, s, v) for s in sizes for v in variants]
    partial = bool(args.problem or args.size or args.variant or args.tools != ",".join(
        TOOL_NAMES))
    out = args.out or os.path.join(HERE, "results-partial.md" if partial else "results.md")
    command = "python -m benchmarks" + ("" if argv is None and len(sys.argv) == 1 else
                                        " " + " ".join(sys.argv[1:] if argv is None else argv))
    t0 = time.perf_counter()
    cases = []
    for p, s, v in plan:
        print(f"{p.name} [{s}{' ' + v if v else ''}]", flush=True)
        try:
            cases.append(run_case(p, s, v, tools, run_skipped=args.all, budget=args.budget,
                                  log=lambda m: print(m, flush=True)))
        except Mismatch as e:
            print(f"\nMISMATCH — derivatives disagree, no times reported:\n  {e}",
                  file=sys.stderr)
            return 1
    elapsed = time.perf_counter() - t0
    text = markdown(cases, command, elapsed)
    kept = kept_sections(out)           # e.g. the functional-derivatives section
    if kept:
        text = text.rstrip("\n") + "\n" + kept
    with open(out, "w") as f:
        f.write(text)
    png = os.path.splitext(out)[0] + ".png"
    drew = bar_chart(cases, png)
    print(f"\nwrote {out}" + (f" and {png}" if drew else " (no chart: matplotlib missing)")
          + f" in {elapsed:.0f} s")
    errors = [(c.problem, c.size, c.variant, r.tool, r.reason) for c in cases
              for r in c.results.values() if r.status == "error"]
    for e in errors:
        print("error:", *e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
