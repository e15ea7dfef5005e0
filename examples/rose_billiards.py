"""Differentiable billiards (the DiffTaichi program that the Rose paper ports), in lintra.

Eleven balls sit in a triangle; a cue ball is shot at them. Gradient descent on the cue
ball's initial position and velocity moves a target ball to a goal after 1024 time steps.
The pairwise collision and the time step are explicit reusable functions (``@lintra.fn``):
each is traced once and called, so the gradient program stays as small as the source; the
1024 steps are a ``fori_loop`` (a real loop, never unrolled).

Run: ``python examples/rose_billiards.py`` (200 iterations, as in the paper) or
``--short`` (what ``make demo`` runs; also ``LINTRA_EXAMPLES_SHORT=1``).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import lintra as lt
import lintra.numpy as lnp

# physics and optimization constants of the original program
LAYERS = 4
RADIUS = 0.03
ELASTICITY = 0.8
DT = 0.003
STEPS = 1024
ITERS = 200
LR = 0.01
GOAL = (0.9, 0.75)
CUE0 = (0.1, 0.5, 0.3, 0.0)          # cue ball x, y, vx, vy


@lt.fn
def collide_pair(x1, x2, v1, v2):
    """Impulse on ball 1 from ball 2 and its time-of-impact position correction."""
    dist = (x1 + DT * v1) - (x2 + DT * v2)
    dist_norm = lnp.sqrt(lnp.sum(dist * dist))
    direction = dist / (1e-6 + dist_norm)
    projected_v = lnp.sum(direction * (v1 - v2))
    hit = (dist_norm < 2 * RADIUS) & (projected_v < 0.0)
    imp = lnp.where(hit, -(1 + ELASTICITY) * 0.5 * projected_v * direction, 0.0)
    toi = (dist_norm - 2 * RADIUS) / lnp.minimum(-1e-3, projected_v)
    x_inc = lnp.where(hit, lnp.minimum(toi - DT, 0.0) * imp, 0.0)
    return x_inc, imp


def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """All ordered pairs (i, j), i != j, grouped by i (n - 1 partners per ball)."""
    i = np.repeat(np.arange(n), n - 1)
    j = np.array([b for a in range(n) for b in range(n) if b != a])
    return i, j


@lt.fn
def step(x, v):
    """One time step of all balls: collide every ordered pair, then move."""
    n = x.shape[0]
    i, j = _pairs(n)
    x_inc, imp = lt.vmap(collide_pair)(x[i], x[j], v[i], v[j])
    x_inc = lnp.sum(lnp.reshape(x_inc, (n, n - 1, 2)), axis=1)
    imp = lnp.sum(lnp.reshape(imp, (n, n - 1, 2)), axis=1)
    v = v + imp
    return x + x_inc + DT * v, v


def simulate(x, v, steps: int):
    """Positions and velocities after ``steps`` time steps."""
    return lt.fori_loop(0, steps, lambda t, xv: step(*xv), (x, v))


def rack(layers: int = LAYERS) -> tuple[np.ndarray, np.ndarray]:
    """Initial positions and velocities; ball 0 (the cue) is zero here, set by ``place_cue``."""
    n = 1 + (1 + layers) * layers // 2
    x, v = np.zeros((n, 2)), np.zeros((n, 2))
    k = 0
    for i in range(layers):
        for j in range(i + 1):
            k += 1
            x[k] = (i * 2 * RADIUS + 0.5, j * 2 * RADIUS + 0.5 - i * RADIUS * 0.7)
    return x, v


def place_cue(cue, x, v):
    """Board with the cue ball at ``cue = (x, y, vx, vy)``."""
    first = np.zeros((x.shape[0], 1))
    first[0] = 1.0
    return x + first * cue[:2], v + first * cue[2:]


def loss(cue, x, v, goal, steps: int = STEPS, target: int = -1):
    """Squared distance of ball ``target`` to ``goal`` after ``steps`` steps."""
    x0, v0 = place_cue(cue, x, v)
    xs, _ = simulate(x0, v0, steps)
    d = xs[target] - goal
    return lnp.sum(d * d)


loss_and_grad = lt.jit(lt.value_and_grad(loss), static_argnums=(4, 5))


def optimize(iters: int = ITERS, steps: int = STEPS, layers: int = LAYERS, lr: float = LR,
             cue=CUE0, goal=GOAL, report=print) -> tuple[np.ndarray, list]:
    """Gradient descent on the cue ball; returns the final cue and the loss curve."""
    x, v = rack(layers)
    cue, goal = np.array(cue, float), np.array(goal, float)
    curve = []
    for it in range(iters):
        value, g = loss_and_grad(cue, x, v, goal, steps, x.shape[0] - 1)
        curve.append(float(value))
        cue = cue - lr * g
        if report and (it % max(1, iters // 10) == 0 or it == iters - 1):
            report(f"  iter {it:4d}  loss {value:.6e}")
    return cue, curve


def fd_check(steps: int, layers: int = LAYERS, cue=CUE0, eps: float = 1e-6, rtol: float = 1e-4):
    """Compare the compiled gradient with central finite differences at ``cue``."""
    x, v = rack(layers)
    cue, goal = np.array(cue, float), np.array(GOAL)
    target = x.shape[0] - 1
    f = lambda c: loss_and_grad(c, x, v, goal, steps, target)   # one compiled program
    _, g = f(cue)
    fd = np.array([(f(cue + e)[0] - f(cue - e)[0]) / (2 * eps) for e in np.eye(4) * eps])
    err = np.max(np.abs(g - fd)) / max(np.max(np.abs(fd)), 1e-12)
    return g, fd, err, err < rtol


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--short", action="store_true",
                    default=bool(os.environ.get("LINTRA_EXAMPLES_SHORT")),
                    help="a quick version (640 steps, 8 iterations)")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--iters", type=int)
    a = ap.parse_args()
    steps = a.steps or (640 if a.short else STEPS)
    iters = a.iters or (8 if a.short else ITERS)
    print(f"billiards: {1 + (1 + LAYERS) * LAYERS // 2} balls, {steps} steps, {iters} iterations "
          f"(backend {lt.core.config.default_backend})")

    g, fd, err, ok = fd_check(steps)
    print(f"  gradient  {np.round(g, 6).tolist()}\n  finite d. {np.round(fd, 6).tolist()}"
          f"  rel. err {err:.1e} [{'ok' if ok else 'MISMATCH'}]")
    if not ok:
        raise SystemExit("rose_billiards: the gradient does not match finite differences")

    t0 = time.perf_counter()
    cue, curve = optimize(iters, steps)
    dt = time.perf_counter() - t0
    print(f"  {iters} iterations in {dt:.2f} s ({1e3 * dt / iters:.1f} ms per gradient); "
          f"loss {curve[0]:.3e} -> {curve[-1]:.3e}")
    x, v = rack()
    xs, _ = lt.jit(simulate, static_argnums=2)(*place_cue(cue, x, v), steps)
    print(f"  cue (x, y, vx, vy) = {np.round(cue, 4).tolist()}; target ball ends at "
          f"{np.round(xs[-1], 4).tolist()}, goal {list(GOAL)}")
    if not curve[-1] < curve[0]:
        raise SystemExit("rose_billiards: the loss did not decrease")


if __name__ == "__main__":
    main()
