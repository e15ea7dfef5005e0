"""``kmeans``: cost(P, C) = sum_i min_j |C_j - P_i|^2 and the Newton direction J / H_diag, where
J = d cost / d C and H_diag = H 1 is the diagonal of the (diagonal) Hessian, obtained with one
Hessian-vector product. Where the tool has forward mode this is forward-over-reverse: a
single ``jvp`` of the gradient in the direction of ones gives (J, H 1) together."""

from __future__ import annotations

import numpy as np

from .base import Impl, Problem, central_difference, rng_for


def cost_np(t, P, C):
    np_ = t.np
    d = np_.sum((P[:, None, :] - C[None, :, :]) ** 2, axis=2)
    return np_.sum(np_.min(d, axis=1))


def cost_torch(torch, P, C):
    d = torch.sum((P[:, None, :] - C[None, :, :]) ** 2, dim=2)
    return torch.sum(torch.min(d, dim=1).values)


def inputs(params):
    N, K, D = params["N"], params["K"], params["D"]
    rng = rng_for("kmeans", params)
    P = rng.standard_normal((N, D))
    C = P[:K] + 0.01 * rng.standard_normal((K, D))   # every cluster owns at least one point
    return P, C


def build(tool, params, variant) -> Impl:
    if tool.family == "torch":
        torch = tool.torch
        f = lambda P, C: cost_torch(torch, P, C)

        def newton(P, C):
            J, HJ = torch.func.jvp(torch.func.grad(f, 1), (P, C),
                                   (torch.zeros_like(P), torch.ones_like(C)))
            return J / HJ

        return Impl(f, newton, "torch.func.jvp of torch.func.grad")
    np_ = tool.np
    f = lambda P, C: cost_np(tool, P, C)
    g = tool.grad(f, 1)

    def newton(P, C):
        J, HJ = tool.jvp(lambda c: g(P, c), (C,), (np_.ones_like(C),))
        return J / HJ

    note = "forward mode: autograd.core.make_jvp" if tool.family == "autograd" else ""
    return Impl(tool.jit(f), tool.jit(newton), note)


def fd_reference(primal, args, params, variant):
    """J by central differences, H_diag by second differences (the cost is piecewise
    quadratic, so they are exact away from ties)."""
    P, C = args
    J = central_difference(lambda c: primal(P, c), C)
    h, f0 = 1e-3, primal(P, C)
    H = np.zeros_like(C)
    for k in np.ndindex(C.shape):
        e = np.zeros_like(C)
        e[k] = h
        H[k] = (primal(P, C + e) - 2 * f0 + primal(P, C - e)) / h**2
    return J / H


PROBLEMS = [Problem(
    name="kmeans",
    title="k-means cost and Newton direction (diagonal Hessian)",
    sizes={"tiny": {"N": 10, "K": 3, "D": 2}, "default": {"N": 10000, "K": 50, "D": 8},
           "large": {"N": 50000, "K": 100, "D": 8}},
    default_sizes=("default",),
    inputs=inputs,
    build=build,
    fd_reference=fd_reference,
    deriv_desc="Newton direction",
)]
