"""``particle`` (Pearlmutter & Siskind): a charged particle starts at (0, 8) with velocity
(0.75, 0) and moves in the field of charges at (10, 10 - w) and (10, 0) (potential
p(x) = sum_c 1/|x - c|, acceleration -grad p, naive Euler with step dt) until it would cross
y = 0; then it is moved linearly to y = 0 and the objective is x[0]^2. The primal is the
objective at the start w0 (it already contains a derivative: the force); the "derivative" is
w after ``iters`` steps of gradient descent w <- w - eta dJ/dw: nested AD.

Variants: outer (dJ/dw) and inner (grad p) derivative each forward (f: jvp) or reverse (r).
The particle loop is an unbounded while loop: eager tools run it in Python; the staged tools
use their ``while_loop``, which neither lintra nor JAX can differentiate in reverse mode, so
the outer-reverse variants are n/a there.
"""

from __future__ import annotations

import numpy as np

from ..tools import Unavailable
from .base import Impl, Problem, nested_note

X0, V0, Y_CHARGE = (0.0, 8.0), (0.75, 0.0), 10.0
ETA = 0.004


def _force(t, inner, potential, x, w):
    """-grad_x p(x, w), by the inner mode."""
    np_ = t.np if t.family != "torch" else t.torch
    if inner == "r":
        g = t.fgrad(potential)(x, w) if t.family == "torch" else t.grad(potential)(x, w)
        return -g
    e0, e1 = np_.asarray([1.0, 0.0]), np_.asarray([0.0, 1.0])
    d0 = t.jvp(lambda y: potential(y, w), (x,), (e0,))[1]
    d1 = t.jvp(lambda y: potential(y, w), (x,), (e1,))[1]
    return -np_.stack([d0, d1])


def objective(t, w, dt: float, inner: str):
    if t.family == "torch":
        torch = t.torch
        asarray, norm = torch.as_tensor, torch.linalg.vector_norm
    else:
        asarray, norm = t.np.asarray, t.np.linalg.norm
    c1_base, c2 = asarray([Y_CHARGE, Y_CHARGE]), asarray([Y_CHARGE, 0.0])
    down = asarray([0.0, 1.0])

    def potential(x, w):
        return 1.0 / norm(x - (c1_base - w * down)) + 1.0 / norm(x - c2)

    def cond(s):
        x, v = s
        return (x + dt * v)[1] > 0

    def body(s):
        x, v = s
        return x + dt * v, v + dt * _force(t, inner, potential, x, w)

    x, v = t.while_loop(cond, body, (asarray(X0) + 0.0 * w, asarray(V0) + 0.0 * w))
    x_f = x + (-x[1] / v[1]) * v
    return x_f[0] * x_f[0]


def build(tool, params, variant) -> Impl:
    outer, inner = variant
    dt, iters = params["dt"], params["iters"]
    if tool.staged and outer == "r":
        raise Unavailable(f"{tool.name}: reverse mode through while_loop is not supported "
                          "(forward mode only)")
    J = lambda w: objective(tool, w, dt, inner)
    if outer == "r":
        dJ = tool.fgrad(J) if tool.family == "torch" else tool.grad(J)
    else:
        ones_like = tool.torch.ones_like if tool.family == "torch" else tool.np.ones_like
        dJ = lambda w: tool.jvp(J, (w,), (ones_like(w),))[1]
    step = lambda i, w: w - ETA * dJ(w)
    descend = lambda w0: tool.fori_loop(iters, step, w0)
    return Impl(tool.jit(J), tool.jit(descend), nested_note(tool, variant))


def inputs(params):
    return (np.asarray(params["w0"], np.float64),)


def reference_objective(w: float, dt: float) -> float:
    """The objective in plain NumPy with the analytic force (for the finite-difference check)."""
    cs = (np.array([Y_CHARGE, Y_CHARGE - w]), np.array([Y_CHARGE, 0.0]))
    x, v = np.array(X0), np.array(V0)
    while (x + dt * v)[1] > 0:
        a = sum((x - c) / np.linalg.norm(x - c) ** 3 for c in cs)
        x, v = x + dt * v, v + dt * a
    x_f = x + (-x[1] / v[1]) * v
    return float(x_f[0] ** 2)


def fd_reference(primal, args, params, variant):
    """The same descent with dJ/dw by central differences of ``reference_objective``."""
    w, dt, h = float(args[0]), params["dt"], 1e-6
    for _ in range(params["iters"]):
        g = (reference_objective(w + h, dt) - reference_objective(w - h, dt)) / (2 * h)
        w = w - ETA * g
    return np.asarray(w)


PROBLEMS = [Problem(
    name="particle",
    title="charged particle: argmin over w of a simulation containing a gradient",
    sizes={"tiny": {"w0": 0.0, "dt": 1.0, "iters": 1},
           "default": {"w0": 0.0, "dt": 0.1, "iters": 1},
           "large": {"w0": 0.0, "dt": 0.1, "iters": 10}},
    default_sizes=("default",),
    inputs=inputs,
    build=build,
    fd_reference=fd_reference,
    deriv_desc="w after gradient descent",
    variants=("ff", "fr", "rf", "rr"),
    rtol=1e-6,
    fd_rtol=1e-4,
)]
