"""``saddle`` (Pearlmutter & Siskind): f(p1, p2) = |p1|^2 - |p2|^2 for two players at p1, p2 in
R^2; min over p1 of max over p2, both by fixed-step gradient methods from a start point.

g(p1) = f(p1, p2*(p1)) where p2*(p1) is ``inner`` steps of gradient ascent in p2 from the
start (inner derivative); the outer loop takes ``outer`` steps of gradient descent on g, whose
gradient differentiates through the inner loop and its derivatives (nested AD). The primal is
g at the start; the "derivative" is (p1, p2*(p1)) at the end. Variants: outer and inner
derivatives each forward (f: one jvp per coordinate) or reverse (r: a gradient)."""

from __future__ import annotations

import numpy as np

from .base import Impl, Problem, nested_note

ETA_IN, ETA_OUT = 0.1, 0.1


def _f(t, p1, p2):
    s = t.torch.sum if t.family == "torch" else t.np.sum
    return s(p1 * p1) - s(p2 * p2)


def _gradient(t, mode, fun, x):
    """d fun / d x for x in R^2, reverse (one gradient) or forward (two jvps)."""
    if mode == "r":
        return t.fgrad(fun)(x) if t.family == "torch" else t.grad(fun)(x)
    np_ = t.torch if t.family == "torch" else t.np
    basis = (np_.asarray([1.0, 0.0]), np_.asarray([0.0, 1.0]))
    return np_.stack([t.jvp(fun, (x,), (e,))[1] for e in basis])


def _inner_argmax(t, inner, p1, p2_0, n):
    step = lambda i, p2: p2 + ETA_IN * _gradient(t, inner, lambda q: _f(t, p1, q), p2)
    return t.fori_loop(n, step, p2_0)


def build(tool, params, variant) -> Impl:
    outer, inner = variant
    n_out, n_in = params["outer"], params["inner"]

    def g(p1, p2_0):
        return _f(tool, p1, _inner_argmax(tool, inner, p1, p2_0, n_in))

    def solve(p1, p2_0):
        step = lambda i, p: p - ETA_OUT * _gradient(tool, outer, lambda q: g(q, p2_0), p)
        p1 = tool.fori_loop(n_out, step, p1)
        return p1, _inner_argmax(tool, inner, p1, p2_0, n_in)

    return Impl(tool.jit(g), tool.jit(solve), nested_note(tool, variant))


def inputs(params):
    return np.array([1.0, 1.0]), np.array([1.0, 1.0])


def fd_reference(primal, args, params, variant):
    """The same iterations in NumPy with analytic inner gradients (-2 p2) and the outer
    gradient by central differences."""
    p1, p2_0 = (np.array(a, np.float64) for a in args)

    def argmax(p1):
        p2 = p2_0.copy()
        for _ in range(params["inner"]):
            p2 = p2 + ETA_IN * (-2.0 * p2)
        return p2

    g = lambda p1: float(np.sum(p1 * p1) - np.sum(argmax(p1) ** 2))
    for _ in range(params["outer"]):
        grad = np.zeros(2)
        for k in range(2):
            e = np.zeros(2)
            e[k] = 1e-6
            grad[k] = (g(p1 + e) - g(p1 - e)) / 2e-6
        p1 = p1 - ETA_OUT * grad
    return p1, argmax(p1)


PROBLEMS = [Problem(
    name="saddle",
    title="saddle point: min over p1 of max over p2, by nested gradient methods",
    sizes={"tiny": {"outer": 2, "inner": 2}, "default": {"outer": 10, "inner": 10},
           "large": {"outer": 50, "inner": 50}},
    default_sizes=("default",),
    inputs=inputs,
    build=build,
    fd_reference=fd_reference,
    deriv_desc="(p1, p2) after the nested descent",
    variants=("ff", "fr", "rf", "rr"),
)]
