"""``llsq``: y(x) = 1/2 sum_i (s_i - sum_j x_j t_i^j)^2 with t_i = -1 + 2i/(n-1),
s_i = sign(t_i); the gradient with respect to the m coefficients x.

The powers t_i^j are built by repeated multiplication (the same operations in every tool);
they do not depend on x, so a compiler may fold them."""

from __future__ import annotations

from .base import Problem, fd_gradient, gradient_impl, rng_for


def llsq_np(t, x, n):
    np_ = t.np
    m = x.shape[0]
    ts = -1.0 + 2.0 * np_.arange(n) / (n - 1)
    cols, col = [], np_.ones(n)
    for _ in range(m):
        cols.append(col)
        col = col * ts
    r = np_.sign(ts) - np_.stack(cols, axis=1) @ x
    return 0.5 * np_.sum(r * r)


def llsq_torch(torch, x, n):
    m = x.shape[0]
    ts = -1.0 + 2.0 * torch.arange(n, dtype=torch.float64) / (n - 1)
    cols, col = [], torch.ones(n, dtype=torch.float64)
    for _ in range(m):
        cols.append(col)
        col = col * ts
    r = torch.sign(ts) - torch.stack(cols, dim=1) @ x
    return 0.5 * torch.sum(r * r)


def inputs(params):
    return (rng_for("llsq", params).standard_normal(params["m"]),)


def build(tool, params, variant):
    n = params["n"]
    return gradient_impl(tool, lambda t, x: llsq_np(t, x, n),
                         lambda torch, x: llsq_torch(torch, x, n))


PROBLEMS = [Problem(
    name="llsq",
    title="linear least squares objective",
    sizes={"tiny": {"m": 3, "n": 7}, "default": {"m": 64, "n": 8192},
           "large": {"m": 256, "n": 65536}},
    default_sizes=("default",),
    inputs=inputs,
    build=build,
    fd_reference=fd_gradient(0),
)]
