"""``scalar_loop``: f(x) = sum_i sin(x[i]) cos(x[i+1]) written as a Python loop over scalars
(one indexed read, two elementwise ops and an add per step: the per-operation overhead of
each tool), and ``scalar_vec``: the same function vectorized, at n = 10^6 (its throughput).

In the staged tools the scalar loop unrolls at trace time, so first-call time grows with n
(that is measured, not hidden); at n = 10^4 JAX's compile takes minutes, so it is skipped by
default (``--all`` runs it).
"""

from __future__ import annotations

from .base import Impl, Problem, fd_gradient, gradient_impl, rng_for


def loop_np(t, x):
    np_ = t.np
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + np_.sin(x[i]) * np_.cos(x[i + 1])
    return s


def loop_torch(torch, x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + torch.sin(x[i]) * torch.cos(x[i + 1])
    return s


def vec_np(t, x):
    np_ = t.np
    return np_.sum(np_.sin(x[:-1]) * np_.cos(x[1:]))


def vec_torch(torch, x):
    return torch.sum(torch.sin(x[:-1]) * torch.cos(x[1:]))


def _inputs(name):
    def inputs(params):
        return (rng_for(name, params).standard_normal(params["n"]),)
    return inputs


def _build_loop(tool, params, variant) -> Impl:
    return gradient_impl(tool, loop_np, loop_torch)


def _build_vec(tool, params, variant) -> Impl:
    return gradient_impl(tool, vec_np, vec_torch)


def _skip_loop(tool, params, variant):
    if tool in ("jax", "lintra-xla") and params["n"] > 1000:
        return ("XLA compile time of the unrolled loop grows superlinearly (about 30 s at "
                "n=1000, minutes at n=10^4)")
    if tool == "lintra-xla" and params["n"] >= 1000:
        return ("XLA compile time of the unrolled gradient (its 2n index-adjoint updates of "
                "one buffer: about 12 min at n=1000)")
    return None


PROBLEMS = [
    Problem(
        name="scalar_loop",
        title="sum_i sin(x[i]) cos(x[i+1]), Python loop over scalars",
        sizes={"tiny": {"n": 6}, "small": {"n": 100}, "default": {"n": 1000},
               "large": {"n": 10000}},
        default_sizes=("small", "default", "large"),
        inputs=_inputs("scalar_loop"),
        build=_build_loop,
        fd_reference=fd_gradient(0),
        skip=_skip_loop,
    ),
    Problem(
        name="scalar_vec",
        title="sum(sin(x[:-1]) * cos(x[1:])), vectorized",
        sizes={"tiny": {"n": 6}, "default": {"n": 10**6}, "large": {"n": 10**7}},
        default_sizes=("default",),
        inputs=_inputs("scalar_vec"),
        build=_build_vec,
        fd_reference=fd_gradient(0),
    ),
]
