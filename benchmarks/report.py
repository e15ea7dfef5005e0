"""The markdown table (results.md) and the bar chart (results.png) of a benchmark run."""

from __future__ import annotations

import math
import os
import platform
import re
from collections.abc import Sequence
from importlib import metadata

from .harness import CaseResult, ToolResult
from .tools import LINTRA_TOOLS, TOOL_NAMES


def fmt_time(s: float | None) -> str:
    if s is None or not math.isfinite(s):
        return "–"
    if s < 1e-3:
        return f"{s * 1e6:.3g} µs"
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def fmt_ratio(r: float) -> str:
    if not math.isfinite(r):
        return "–"
    if r >= 100:
        return f"{r:.0f}×"
    if r >= 10:
        return f"{r:.1f}×"
    return f"{r:.2g}×"


def _status(r: ToolResult) -> str:
    return f"{r.status}: {r.reason}" if r.reason else r.status


def _versions() -> str:
    parts = []
    for pkg in ("lintra", "numpy", "llvmlite", "jax", "jaxlib", "torch", "autograd"):
        try:
            parts.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{pkg} (not installed)")
    return ", ".join(parts)


def _load() -> str:
    try:
        return "/".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def _case_name(c: CaseResult) -> str:
    return c.problem + (f" {c.variant}" if c.variant else "")


def summary_rows(cases: Sequence[CaseResult]) -> list[str]:
    head = ("| problem | size | lintra best (derivative) | fastest peer | lintra / peer | "
            "first call of the derivative: " + ", ".join(TOOL_NAMES) + " |")
    rows = [head, "|" + "---|" * 6]
    for c in cases:
        best, peer = c.best_lintra(), c.fastest_peer()
        b = f"{fmt_time(best.deriv.steady)} ({best.tool})" if best else "n/a"
        p = f"{fmt_time(peer.deriv.steady)} ({peer.tool})" if peer else "n/a"
        ratio = fmt_ratio(best.deriv.steady / peer.deriv.steady) if best and peer else "–"
        firsts = []
        for t in TOOL_NAMES:
            r = c.results.get(t)
            firsts.append(fmt_time(r.deriv.first) if r and r.status == "ok"
                          else (r.status if r else "–"))
        rows.append(f"| {_case_name(c)} | {c.size_label} | {b} | {p} | {ratio} | "
                    + " / ".join(firsts) + " |")
    return rows


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 and math.isfinite(a) and math.isfinite(b) else float("nan")


def native_rows(cases: Sequence[CaseResult], tool: str = "lintra-native",
                peer: str = "jax") -> list[str]:
    """``tool`` against ``peer`` on every case: steady-state and first-call times of the
    derivative and their ratios (< 1: lintra is faster), with geometric means."""
    rows = [f"| problem | size | {tool} steady | {peer} steady | steady ratio | "
            f"{tool} first call | {peer} first call | first-call ratio |", "|" + "---|" * 8]
    steady, first = [], []
    for c in cases:
        a, b = c.results.get(tool), c.results.get(peer)
        if a is None or b is None:
            continue
        if a.status != "ok" or b.status != "ok":
            why = "; ".join(dict.fromkeys(f"{r.status}: {r.reason}" if r.reason.startswith(
                r.tool) else f"{r.tool} {_status(r)}" for r in (a, b) if r.status != "ok"))
            rows.append(f"| {_case_name(c)} | {c.size_label} | {why} |" + " |" * 5)
            continue
        rs, rf = _ratio(a.deriv.steady, b.deriv.steady), _ratio(a.deriv.first, b.deriv.first)
        steady.append(rs)
        first.append(rf)
        rows.append(f"| {_case_name(c)} | {c.size_label} | {fmt_time(a.deriv.steady)} | "
                    f"{fmt_time(b.deriv.steady)} | {fmt_ratio(rs)} | "
                    f"{fmt_time(a.deriv.first)} | {fmt_time(b.deriv.first)} | "
                    f"{fmt_ratio(rf)} |")
    if steady:
        gm = lambda v: math.exp(sum(math.log(x) for x in v) / len(v))  # noqa: E731
        rows += ["", f"Geometric means over {len(steady)} cases: steady {fmt_ratio(gm(steady))}"
                 f", first call {fmt_ratio(gm(first))}; steady faster than {peer} in "
                 f"{sum(r < 1 for r in steady)}, first call faster in "
                 f"{sum(r < 1 for r in first)}."]
    return rows


def detail_rows(c: CaseResult) -> list[str]:
    best = c.best_lintra()
    rows = [f"### {_case_name(c)} — {c.size_label}",
            "",
            f"Derivative: {c.deriv_desc}."
            + (f" Finite differences agree (worst normwise relative error {c.fd_err:.2g})."
               if c.fd_err is not None else ""),
            "",
            "| tool | primal first | primal steady | derivative first | derivative steady "
            "| ÷ lintra best | max diff to other tools | notes |",
            "|" + "---|" * 8]
    for t in TOOL_NAMES:
        r = c.results.get(t)
        if r is None:
            continue
        if r.status != "ok":
            rows.append(f"| {t} | " + " | ".join(["–"] * 6) + f" | {_status(r)} |")
            continue
        ratio = (fmt_ratio(r.deriv.steady / best.deriv.steady)
                 if best and t not in LINTRA_TOOLS else "")
        rows.append(f"| {t} | {fmt_time(r.primal.first)} | {fmt_time(r.primal.steady)} | "
                    f"{fmt_time(r.deriv.first)} | {fmt_time(r.deriv.steady)} | {ratio} | "
                    f"{r.err:.1e} | {r.note} |")
    rows.append("")
    return rows


def markdown(cases: Sequence[CaseResult], command: str, elapsed: float) -> str:
    lines = [
        "# lintra benchmarks",
        "",
        f"Generated by `{command}` in {elapsed:.0f} s (machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, load average {_load()} at the end; "
        f"{platform.python_implementation()} {platform.python_version()}; {_versions()}).",
        "All tools run in float64 on the CPU; PyTorch with one thread. Times are the first "
        "call (trace + compile for the staged tools: lintra-jit, lintra-native and JAX, whose "
        "times include "
        "`block_until_ready`) and the median of repeated calls after it. Every derivative was "
        "checked against every other tool's (and against central finite differences at the "
        "tiny sizes) before anything was timed. *lintra / peer* < 1 means lintra's best mode "
        "is faster than the fastest peer; *÷ lintra best* > 1 means that peer is slower than "
        "lintra's best.",
        "",
        "## Summary",
        "",
        *summary_rows(cases),
        "",
    ]
    native = native_rows(cases)
    if len(native) > 2:
        lines += ["## lintra-native against JAX", "",
                  "The derivative of each case on lintra's native backend (`lintra.jit`, "
                  "LLVM) and in JAX (`jax.jit`), from the same run; ratios are lintra-native "
                  "/ JAX (< 1: lintra-native is faster). First call = trace + compile + run.",
                  "", *native, ""]
    lines += [
        "## Details",
        "",
    ]
    for c in cases:
        lines += detail_rows(c)
    return "\n".join(lines) + "\n"


def bar_chart(cases: Sequence[CaseResult], path: str) -> bool:
    """Derivative steady-state time of each tool relative to lintra's best (log scale)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    cases = [c for c in cases if c.best_lintra() is not None]
    if not cases:
        return False
    width = 0.8 / len(TOOL_NAMES)
    fig, ax = plt.subplots(figsize=(max(8.0, 0.9 * len(cases) + 2), 5))
    for k, t in enumerate(TOOL_NAMES):
        xs, ys = [], []
        for i, c in enumerate(cases):
            r = c.results.get(t)
            if r is not None and r.status == "ok":
                xs.append(i + (k - (len(TOOL_NAMES) - 1) / 2) * width)
                ys.append(r.deriv.steady / c.best_lintra().deriv.steady)
        ax.bar(xs, ys, width, label=t)
    ax.set_yscale("log")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(cases)))
    ax.set_xticklabels([f"{_case_name(c)}\n{c.size}" for c in cases], rotation=60,
                       ha="right", fontsize=8)
    ax.set_ylabel("derivative time / lintra's best (log)")
    ax.set_title("Steady-state derivative time relative to lintra's best mode")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


_SECTION = re.compile(r"<!-- section:(\S+) begin -->.*?<!-- section:\1 end -->\n?", re.S)


def kept_sections(path: str) -> str:
    """The marked sections of an existing results file (written by the other benchmark
    scripts, e.g. ``benchmarks.functional``), to carry over when the main table is
    rewritten."""
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        blocks = [m.group(0).rstrip("\n") + "\n" for m in _SECTION.finditer(f.read())]
    return "".join("\n" + b for b in blocks)



def write_section(path: str, name: str, body: str) -> None:
    """Put ``body`` into ``path`` between the markers of section ``name``, replacing an
    earlier one (``python -m benchmarks`` keeps marked sections when it rewrites results.md)."""
    begin, end = f"<!-- section:{name} begin -->", f"<!-- section:{name} end -->"
    block = f"{begin}\n{body.rstrip()}\n{end}\n"
    text = open(path).read() if os.path.exists(path) else ""
    pat = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.S)
    if pat.search(text):
        text = pat.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block
    with open(path, "w") as f:
        f.write(text)
