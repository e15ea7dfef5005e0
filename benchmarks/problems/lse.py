"""``lse``: LSE(x) = a + log sum_i exp(x_i - a) with a = max x, and its gradient."""

from __future__ import annotations

from .base import Problem, fd_gradient, gradient_impl, rng_for


def lse_np(t, x):
    np_ = t.np
    a = np_.max(x)
    return a + np_.log(np_.sum(np_.exp(x - a)))


def lse_torch(torch, x):
    a = torch.max(x)
    return a + torch.log(torch.sum(torch.exp(x - a)))


def inputs(params):
    return (rng_for("lse", params).standard_normal(params["n"]) * 3.0,)


PROBLEMS = [Problem(
    name="lse",
    title="log-sum-exp",
    sizes={"tiny": {"n": 8}, "default": {"n": 10**6}, "large": {"n": 10**7}},
    default_sizes=("default",),
    inputs=inputs,
    build=lambda tool, params, variant: gradient_impl(tool, lse_np, lse_torch),
    fd_reference=fd_gradient(0),
)]
