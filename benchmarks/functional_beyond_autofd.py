"""The AutoFD side of ``benchmarks.functional_beyond`` (issue 12), run in AutoFD's own
virtualenv by the driver; prints one JSON object on its last line. Standalone: it imports
nothing from lintra.

- ``--problem nabla --n N``: δ/δf ∫ (∇ᴺ f)² at f = sin (one N per process, so the driver can
  stop one that runs too long): seconds to build the derivative and evaluate it once at 0.3,
  the equations of its jaxpr at a point, and the value (exact: 2 sin 0.3).
- ``--problem neural --steps S``: AutoFD's neural-operator example (two integral-kernel
  layers, functional gradient descent with lr 0.1 on k₁, b₁, k₂, b₂ on a 100-point grid):
  seconds per step (grad + update), the losses after the steps that are cheap enough
  (``--losses``), and the equations of k₁'s jaxpr after each step.

No ``from __future__ import annotations``: AutoFD reads the annotations at run time.
"""

import argparse
import json
import sys
import time


def setup():
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jaxtyping import Array, Float64
    return jax, jnp, Float64[Array, ""]


def nabla(n: int) -> dict:
    jax, jnp, S = setup()
    import autofd.operators as o
    from autofd import function

    @function
    def f(x: S) -> S:
        return jnp.sin(x)

    def F(f):
        g = f
        for _ in range(n):
            g = o.nabla(g)
        return o.integrate(g ** 2)

    t0 = time.perf_counter()
    dF = jax.grad(F)(f)
    value = float(dF(0.3))
    first = time.perf_counter() - t0
    eqns = len(jax.make_jaxpr(dF)(0.3).jaxpr.eqns)
    return {"n": n, "first_s": first, "eqns": eqns, "value": value}


def neural(steps: int, losses_upto: int) -> dict:
    sys.setrecursionlimit(10000)        # as AutoFD's example: its closures nest deeply
    jax, jnp, S = setup()
    import autofd.operators as o
    from autofd import function
    from autofd.general_array import Grid

    @function
    def f(x: S) -> S:
        return jnp.sin(4 * jnp.pi * x)

    @function
    def b(x: S) -> S:
        return jnp.sin(jnp.pi * x)

    @function
    def target(x: S) -> S:
        return jnp.cos(jnp.pi * x)

    @function
    def k(y: S, x: S) -> S:
        return jnp.sin(y) + jnp.cos(x)

    nodes = jnp.linspace(0.0, 1.0, 100)
    w = jnp.full((100,), 1.0 / 100)
    f.grid = Grid((nodes,), (w,))
    k.grid = Grid((nodes, nodes), (w, w))

    def layer(u, k, b):
        return o.integrate(o.broadcast_arg(u, k, argnums=1) * k, argnums=1) + b

    def loss(p):
        k1, b1, k2, b2 = p
        return o.integrate((layer(o.numpy.tanh(layer(f, k1, b1)), k2, b2) - target) ** 2)

    params = (k, b, k, b)
    losses = [float(loss(params))]
    times, eqns = [], []
    for step in range(steps):
        t0 = time.perf_counter()
        g = jax.grad(loss)(params)
        params = jax.tree_util.tree_map(lambda p, d: p - 0.1 * d, params, g)
        times.append(time.perf_counter() - t0)
        eqns.append(len(jax.make_jaxpr(params[0])(0.0, 0.0).jaxpr.eqns))
        if step + 1 <= losses_upto:
            losses.append(float(loss(params)))
        print(f"step {step}: {times[-1]:.2f} s", file=sys.stderr, flush=True)
    return {"step_s": times, "losses": losses, "k1_eqns": eqns}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--problem", choices=["nabla", "neural"], required=True)
    ap.add_argument("--n", type=int, default=1)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--losses", type=int, default=2, help="losses after this many steps")
    args = ap.parse_args()
    import autofd
    import jax
    out = {"versions": {"autofd": getattr(autofd, "__version__", "?"), "jax": jax.__version__}}
    if args.problem == "nabla":
        out["nabla"] = nabla(args.n)
    else:
        out["neural"] = neural(args.steps, args.losses)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
