"""Peak memory of the gradient of a 1000-step scan, with and without checkpointing (issue 3).

Each step runs a 4-layer tanh block on a (64, 128) carry. Without checkpointing, reverse mode
keeps every layer's output of every step; with ``checkpoint(step, nothing_saveable)`` it keeps
only the carry of each step and recomputes the block in the backward pass. Gradients must be
identical. Peak memory is measured with tracemalloc (NumPy reports its allocations to it).

Run: python -m benchmarks.checkpoint_memory
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

import lintra as lt
import lintra.numpy as lnp

STEPS, BATCH, WIDTH, LAYERS = 1000, 64, 128, 4
rng = np.random.default_rng(0)
Ws = [rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH) for _ in range(LAYERS)]
c0 = rng.standard_normal((BATCH, WIDTH))


def block(c, ws):
    h = c
    for w in ws:
        h = lnp.tanh(h @ w)
    return c + 0.1 * h


def loss(ws, c, policy):
    step_fn = block if policy is None else lt.checkpoint(block, policy=policy)

    def step(carry, _):
        return step_fn(carry, ws), None

    final, _ = lt.scan(step, c, None, length=STEPS)
    return lnp.sum(final ** 2)


def measure(policy):
    g = lt.jit(lt.grad(lambda ws, c: loss(ws, c, policy)))
    g(Ws, c0)                                  # stage and warm up
    tracemalloc.start()
    t0 = time.perf_counter()
    out = g(Ws, c0)
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, peak, dt


def main():
    rows = []
    ref = None
    for name, pol in [("no checkpoint", None),
                      ("checkpoint(step, nothing_saveable)",
                       lt.checkpoint_policies.nothing_saveable)]:
        grads, peak, dt = measure(pol)
        if ref is None:
            ref = grads
        else:
            for a, b in zip(ref, grads):
                np.testing.assert_array_equal(a, b)      # identical, not merely close
        rows.append((name, peak, dt))
    carry_mb = BATCH * WIDTH * 8 / 2 ** 20
    print(f"\n## gradient of a {STEPS}-step scan ({LAYERS} tanh layers of width {WIDTH}, "
          f"batch {BATCH}; one carry is {carry_mb:.3f} MiB)\n")
    print("| policy | peak memory (MiB) | time (s) |")
    print("|---|---|---|")
    for name, peak, dt in rows:
        print(f"| {name} | {peak / 2 ** 20:.1f} | {dt:.2f} |")
    print(f"\nmemory ratio: {rows[0][1] / rows[1][1]:.2f}x; gradients bit-identical")


if __name__ == "__main__":
    main()
