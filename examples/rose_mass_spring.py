"""Differentiable mass-spring robot (the DiffTaichi program that the Rose paper ports), in lintra.

A robot made of point masses and springs (DiffTaichi's robot "D", 12 mesh squares) walks on
the ground. A two-layer neural network reads a clock (sine waves), the masses' offsets and
velocities and the direction to a goal, and sets each actuated spring's rest length. The loss
is minus the head mass's x position after 2·⌊2048/3⌋ = 1364 steps; 100 iterations of
gradient descent with a clipped gradient train the network. The time step is an explicit
reusable function (``@lintra.fn``) and the steps are a ``fori_loop``.

Run: ``python examples/rose_mass_spring.py`` (the paper's size) or ``--short`` (what
``make demo`` runs; also ``LINTRA_EXAMPLES_SHORT=1``).
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

import numpy as np

import lintra as lt
import lintra.numpy as lnp

STEPS = 2 * (2048 // 3)
ITERS = 100
GROUND = 0.1
GRAVITY = -4.8
OMEGA = 10.0
DAMPING = 15.0
DT = 0.004
GOAL = (0.9, 0.2)
HEAD = 0
N_SIN = 10
N_HIDDEN = 32
CLIP = 0.2


@dataclass(frozen=True)
class Robot:
    """Masses (n, 2) and springs: endpoints a, b, rest length, stiffness, actuation."""
    x: np.ndarray
    a: np.ndarray
    b: np.ndarray
    length: np.ndarray
    stiffness: np.ndarray
    actuation: np.ndarray

    @property
    def n_inputs(self) -> int:
        return N_SIN + 4 * len(self.x) + 2


def mesh_robot(squares=((2, 0, .15), (0, 0, .15), (0, 1, .15), (0, 2, 0), (1, 2, 0),
                        (2, 1, .15), (2, 2, 0), (2, 3, 0), (2, 4, 0), (3, 1, 0),
                        (4, 0, .15), (4, 1, .15))) -> Robot:
    """A robot of unit squares (i, j, actuation) on a 0.05 grid: a spring between every two
    corners of each square, the two vertical sides actuated (DiffTaichi's robot D)."""
    ids: dict = {}
    pts: list = []
    springs: dict = {}
    for i, j, act in squares:
        c = []
        for p in ((i, j), (i, j + 1), (i + 1, j), (i + 1, j + 1)):
            if p not in ids:
                ids[p] = len(pts)
                pts.append((p[0] * 0.05 + 0.1, p[1] * 0.05 + 0.1))
            c.append(ids[p])
        pairs = [(c[0], c[1], act), (c[2], c[3], act)]
        pairs += [(p, q, 0.0) for p in c for q in c if p != q]
        for p, q, s_act in pairs:
            if (p, q) not in springs and (q, p) not in springs:
                springs[(p, q)] = s_act
    x = np.array(pts)
    a, b = (np.array([k[m] for k in springs]) for m in (0, 1))
    return Robot(x, a, b, np.linalg.norm(x[a] - x[b], axis=1), np.full(len(a), 3e4),
                 np.array(list(springs.values())))


def init_params(robot: Robot, seed: int = 0) -> dict:
    """The network's weights, initialized as in the original (scaled Gaussians, zero biases)."""
    rng = np.random.default_rng(seed)
    n_in, n_s = robot.n_inputs, len(robot.a)
    return {"w1": rng.standard_normal((N_HIDDEN, n_in)) * np.sqrt(2 / (N_HIDDEN + n_in)) * 2,
            "b1": np.zeros(N_HIDDEN),
            "w2": rng.standard_normal((n_s, N_HIDDEN)) * np.sqrt(2 / (N_HIDDEN + n_s)) * 3,
            "b2": np.zeros(n_s)}


@lt.fn
def controller(t, x, v, w1, b1, w2, b2):
    """Spring actuations from the clock, the masses' state and the goal direction."""
    center = lnp.mean(x, axis=0)
    clock = lnp.sin(t * (OMEGA * DT) + 2 * np.pi / N_SIN * np.arange(N_SIN))
    state = lnp.reshape(lnp.concatenate([x - center, v], axis=1), (-1,)) * 0.05
    inputs = lnp.concatenate([clock, state, np.array(GOAL) - center])
    hidden = lnp.tanh(w1 @ inputs + b1)
    return lnp.tanh(w2 @ hidden + b2)


@lt.fn
def spring_impulses(x, act, incidence, length, stiffness, actuation, a, b):
    """Velocity change of every mass from its springs' forces."""
    d = x[a] - x[b]
    dist = lnp.sqrt(lnp.sum(d * d, axis=1)) + 1e-4
    target = length * (1.0 + act * actuation)
    impulse = (DT * stiffness * (dist - target) / dist)[:, None] * d
    return incidence @ impulse


@lt.fn
def advance(x, v, dv):
    """Damping, gravity and the ground (time of impact, then stop) for every mass."""
    v1 = np.exp(-DT * DAMPING) * v + np.array([0.0, DT * GRAVITY]) + dv
    vy = v1[:, 1]
    hit = (x[:, 1] + DT * vy < GROUND) & (vy < -1e-4)
    toi = lnp.where(hit, -(x[:, 1] - GROUND) / lnp.where(hit, vy, 1.0), 0.0)
    v2 = lnp.where(hit[:, None], 0.0, v1)
    return x + toi[:, None] * v1 + (DT - toi)[:, None] * v2, v2


def _springs(robot: Robot):
    incidence = np.zeros((len(robot.x), len(robot.a)))
    incidence[robot.a, np.arange(len(robot.a))] = -1.0
    incidence[robot.b, np.arange(len(robot.a))] = 1.0
    return incidence, robot.length, robot.stiffness, robot.actuation, robot.a, robot.b


def loss(params, x0, springs, steps: int = STEPS):
    """Minus the head mass's x position after ``steps`` steps from rest at ``x0``."""
    w1, b1, w2, b2 = params["w1"], params["b1"], params["w2"], params["b2"]

    def body(t, xv):
        x, v = xv
        act = controller(t.astype(np.float64), x, v, w1, b1, w2, b2)
        return advance(x, v, spring_impulses(x, act, *springs))

    x, _ = lt.fori_loop(0, steps, body, (x0, lnp.zeros_like(x0)))
    return -x[HEAD, 0]


loss_and_grad = lt.jit(lt.value_and_grad(loss), static_argnums=3)


def clipped_step(params: dict, grads: dict) -> dict:
    """Move against the gradient by CLIP in norm (the original's update)."""
    norm = np.sqrt(sum(np.sum(g * g) for g in grads.values()))
    scale = CLIP / (norm + 1e-6)
    return {k: params[k] - scale * grads[k] for k in params}


def optimize(iters: int = ITERS, steps: int = STEPS, robot: Robot | None = None, seed: int = 0,
             report=print) -> tuple[dict, list]:
    """Train the controller; returns the parameters and the loss curve."""
    robot = robot or mesh_robot()
    params, springs = init_params(robot, seed), _springs(robot)
    curve = []
    for it in range(iters):
        value, g = loss_and_grad(params, robot.x, springs, steps)
        curve.append(float(value))
        params = clipped_step(params, g)
        if report and (it % max(1, iters // 10) == 0 or it == iters - 1):
            report(f"  iter {it:4d}  loss {value:.6f}")
    return params, curve


def fd_check(steps: int, robot: Robot | None = None, eps: float = 1e-6, rtol: float = 1e-4,
             n_dirs: int = 3, seed: int = 0):
    """Directional derivatives of the loss along random directions vs central differences."""
    robot = robot or mesh_robot()
    params, springs = init_params(robot, seed), _springs(robot)
    f = lambda p: loss_and_grad(p, robot.x, springs, steps)[0]   # one compiled program
    _, g = loss_and_grad(params, robot.x, springs, steps)
    rng = np.random.default_rng(seed + 1)
    got, fd = [], []
    for _ in range(n_dirs):
        d = {k: rng.standard_normal(p.shape) for k, p in params.items()}
        up, down = ({k: params[k] + s * d[k] for k in params} for s in (eps, -eps))
        fd.append((f(up) - f(down)) / (2 * eps))
        got.append(sum(np.sum(g[k] * d[k]) for k in params))
    got, fd = np.array(got), np.array(fd)
    err = np.max(np.abs(got - fd)) / max(np.max(np.abs(fd)), 1e-12)
    return got, fd, err, err < rtol


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--short", action="store_true",
                    default=bool(os.environ.get("LINTRA_EXAMPLES_SHORT")),
                    help="a quick version (200 steps, 8 iterations)")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--iters", type=int)
    a = ap.parse_args()
    steps = a.steps or (200 if a.short else STEPS)
    iters = a.iters or (8 if a.short else ITERS)
    robot = mesh_robot()
    print(f"mass-spring: {len(robot.x)} masses, {len(robot.a)} springs, {steps} steps, "
          f"{iters} iterations (backend {lt.core.config.default_backend})")

    got, fd, err, ok = fd_check(steps, robot)
    print(f"  directional derivatives {np.round(got, 7).tolist()}\n  finite differences      "
          f"{np.round(fd, 7).tolist()}  rel. err {err:.1e} [{'ok' if ok else 'MISMATCH'}]")
    if not ok:
        raise SystemExit("rose_mass_spring: the gradient does not match finite differences")

    t0 = time.perf_counter()
    _, curve = optimize(iters, steps, robot)
    dt = time.perf_counter() - t0
    print(f"  {iters} iterations in {dt:.2f} s ({1e3 * dt / iters:.1f} ms per gradient); "
          f"loss {curve[0]:.4f} -> {curve[-1]:.4f} (head x {-curve[0]:.3f} -> {-curve[-1]:.3f})")
    if not curve[-1] < curve[0]:
        raise SystemExit("rose_mass_spring: the loss did not decrease")


if __name__ == "__main__":
    main()
