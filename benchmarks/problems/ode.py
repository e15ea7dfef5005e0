"""``ode``: y' = f(y) with y_0' = x_0 and y_i' = (x_1 + ... + x_i) y_{i-1}, y(0) = 0, integrated
by classic 4-stage Runge-Kutta with s steps of size 2/s (t from 0 to 2). The primal is y(2)
(n values); the derivative is the gradient of its last element with respect to x.

Eager tools loop in Python; staged tools use their structured loop (``lintra.fori_loop`` /
``jax.lax.fori_loop``), as a user of each would."""

from __future__ import annotations

from .base import Impl, Problem, rng_for

T_END = 2.0


def ode_np(t, x, s: int):
    np_ = t.np
    h = T_END / s
    c = np_.cumsum(x[1:])
    x0 = x[:1]

    def f(y):
        return np_.concatenate([x0, c * y[:-1]])

    def step(i, y):
        k1 = f(y)
        k2 = f(y + (h / 2) * k1)
        k3 = f(y + (h / 2) * k2)
        k4 = f(y + h * k3)
        return y + (h / 6) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)

    return t.fori_loop(s, step, np_.zeros(x.shape[0]))


def ode_torch(torch, x, s: int):
    h = T_END / s
    c = torch.cumsum(x[1:], 0)
    x0 = x[:1]

    def f(y):
        return torch.cat([x0, c * y[:-1]])

    y = torch.zeros(x.shape[0])
    for _ in range(s):
        k1 = f(y)
        k2 = f(y + (h / 2) * k1)
        k3 = f(y + (h / 2) * k2)
        k4 = f(y + h * k3)
        y = y + (h / 6) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y


def inputs(params):
    return (rng_for("ode", params).uniform(0.0, 1.0, params["n"]) / params["n"],)


def build(tool, params, variant) -> Impl:
    s = params["s"]
    if tool.family == "torch":
        primal = lambda x: ode_torch(tool.torch, x, s)
    else:
        primal = lambda x: ode_np(tool, x, s)
    last = lambda x: primal(x)[-1]
    return Impl(tool.jit(primal), tool.jit(tool.grad(last)))


def fd_reference(primal, args, params, variant):
    from .base import central_difference
    return central_difference(lambda x: primal(x)[-1], args[0])


PROBLEMS = [Problem(
    name="ode",
    title="explicit Runge-Kutta (RK4) integration",
    sizes={"tiny": {"n": 4, "s": 3}, "default": {"n": 1000, "s": 1000},
           "large": {"n": 10000, "s": 10000}},
    default_sizes=("default",),
    inputs=inputs,
    build=build,
    fd_reference=fd_reference,
    deriv_desc="gradient of y[-1]",
)]
