"""The AutoFD side of ``benchmarks.functional`` (issue 10): the same problems written with
AutoFD (sail-sg/autofd), timed, their results printed as one JSON object on the last line.

It runs in AutoFD's own virtualenv (``make autofd-envs``), never the project's: AutoFD imports
only on old JAX releases. It is a standalone script (it imports nothing from lintra or from
this package); the driver runs it as

    .venv-autofd/bin/python benchmarks/functional_autofd.py --dtype float64 --problems local,...

Problems (the driver passes the MLP parameters in an .npz file so both tools start from the
same values):

- ``local``: δ/δf ∫ e^f + (∇f)² at f = sin, evaluated with ``jit(vmap(dF))`` on N points;
- ``brach``: the brachistochrone loss ∫ (δF/δy)² of the AutoFD example notebook, one Adam step
  (value_and_grad + update, jitted) per iteration;
- ``readme``: AutoFD's README example, run by the driver as a whole process (``--readme``).

No ``from __future__ import annotations`` here: AutoFD reads the jaxtyping annotations of
``@function`` definitions at run time.
"""

import argparse
import json
import sys
import time

import numpy as np

README_CODE = """
import jax, jax.numpy as jnp
from jaxtyping import Float32, Array
from autofd import function
import autofd.operators as o

@function
def f(x: Float32[Array, ""]) -> Float32[Array, ""]:
  return -x**2

def F(f):
  return o.integrate(o.compose(jnp.exp, f))

dFdf = jax.grad(F)(f)
print(repr(float(dFdf(1.))))
"""


def _median_time(fn, budget: float, min_reps: int = 3, max_reps: int = 50) -> tuple[float, int]:
    times, start = [], time.perf_counter()
    while len(times) < max_reps:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= min_reps and time.perf_counter() - start > budget:
            break
    return float(np.median(times)), len(times)


def setup(dtype: str):
    import jax
    if dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jaxtyping import Array, Float32, Float64
    scalar = (Float64 if dtype == "float64" else Float32)[Array, ""]
    return jax, jnp, scalar, np.dtype(dtype)


def local(args) -> dict:
    jax, jnp, S, dt = setup(args.dtype)
    import autofd.operators as o
    from autofd import function

    @function
    def f(x: S) -> S:
        return jnp.sin(x)

    def F(f):
        return o.integrate(o.numpy.exp(f) + o.nabla(f) ** 2)

    t0 = time.perf_counter()
    dF = jax.grad(F)(f)
    build_first = time.perf_counter() - t0
    build_steady, _ = _median_time(lambda: jax.grad(F)(f), args.budget)
    g = jax.jit(jax.vmap(dF))
    hand = jax.jit(lambda x: jnp.exp(jnp.sin(x)) + 2 * jnp.sin(x))
    out = {"build_first_s": build_first, "build_steady_s": build_steady, "points": {}}
    for n in args.points:
        x = jnp.asarray(np.linspace(0.0, 1.0, n).astype(dt))
        t0 = time.perf_counter()
        y = g(x).block_until_ready()
        first = time.perf_counter() - t0
        steady, reps = _median_time(lambda x=x: g(x).block_until_ready(), args.budget)
        hand(x).block_until_ready()
        hand_s, _ = _median_time(lambda x=x: hand(x).block_until_ready(), args.budget)
        yn, xn = np.asarray(y, np.float64), np.asarray(x, np.float64)
        exact = np.exp(np.sin(xn)) + 2 * np.sin(xn)
        idx = np.linspace(0, n - 1, min(n, 1001)).astype(int)
        out["points"][str(n)] = {
            "first_s": first, "steady_s": steady, "reps": reps, "hand_s": hand_s,
            "max_err_exact": float(np.max(np.abs(yn - exact) / (1 + np.abs(exact)))),
            "sample": yn[idx].tolist()}
    return out


def brach(args) -> dict:
    jax, jnp, S, dt = setup(args.dtype)
    import autofd.operators as o
    from autofd import Grid, function
    data = np.load(args.params)
    n_nodes = int(data["n_nodes"])
    nodes = jnp.asarray(np.linspace(0.01, 1.0, n_nodes).astype(dt))
    weights = jnp.asarray((np.ones(n_nodes) / n_nodes).astype(dt))
    results = {}
    for name in args.mlps:
        k = int(data[f"{name}_layers"])
        params = [(jnp.asarray(data[f"{name}_w{i}"].astype(dt)),
                   jnp.asarray(data[f"{name}_b{i}"].astype(dt))) for i in range(k)]

        def mlp(p, x):
            h = jnp.reshape(x, (1,))
            for i, (w, b) in enumerate(p):
                h = h @ w + b
                if i < len(p) - 1:
                    h = jax.nn.sigmoid(h)
            return jnp.sin(x * jnp.pi) * h.reshape(()) - x

        def brachistochrone(y):
            return o.integrate(o.numpy.sqrt(1. + o.nabla(y) ** 2) / o.numpy.sqrt(-y))

        def curve(p):
            # y closes over the (traced) parameters: AutoFD's o.partial binding of the
            # notebook raises UnexpectedTracerError on jax >= 0.4.36; this form is the same
            # function and runs on jax 0.4.25 (it fails the same way on 0.5.3)
            @function
            def y(x: S) -> S:
                return mlp(p, x)
            y.grid = Grid(nodes=(nodes,), weights=(weights,))
            return y

        def loss_fd(p):
            with jax.ensure_compile_time_eval():
                dy = jax.grad(brachistochrone)(curve(p))
                return o.integrate(dy ** 2)

        def adam_step(p, m, v, t, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
            value, g = jax.value_and_grad(loss_fd)(p)
            t = t + 1
            c1, c2 = 1 - b1 ** t, 1 - b2 ** t
            m = [(b1 * mw + (1 - b1) * gw, b1 * mb + (1 - b1) * gb)
                 for (mw, mb), (gw, gb) in zip(m, g)]
            v = [(b2 * vw + (1 - b2) * gw ** 2, b2 * vb + (1 - b2) * gb ** 2)
                 for (vw, vb), (gw, gb) in zip(v, g)]
            p = [(w - lr * (mw / c1) / (jnp.sqrt(vw / c2) + eps),
                  b - lr * (mb / c1) / (jnp.sqrt(vb / c2) + eps))
                 for (w, b), (mw, mb), (vw, vb) in zip(p, m, v)]
            return p, m, v, t, value

        try:
            with jax.ensure_compile_time_eval():
                dy0 = jax.grad(brachistochrone)(curve(params))
            dy_nodes = np.asarray(jax.jit(jax.vmap(dy0))(nodes), np.float64)
            step = jax.jit(adam_step)
            zeros = [(jnp.zeros_like(w), jnp.zeros_like(b)) for w, b in params]
            state = (params, zeros, zeros, jnp.zeros((), dt))
            t0 = time.perf_counter()
            *state, value = step(*state)
            jax.block_until_ready(state)
            first = time.perf_counter() - t0
            losses = [float(value)]
            steps = args.steps
            t0 = time.perf_counter()
            vals = []
            for _ in range(steps - 1):
                *state, value = step(*state)
                vals.append(value)
            jax.block_until_ready(state)
            per_step = (time.perf_counter() - t0) / (steps - 1)
            losses += [float(v) for v in vals]
            results[name] = {"first_s": first, "step_s": per_step, "steps": steps,
                             "losses": losses, "dy_nodes": dy_nodes.tolist()}
        except Exception as e:  # noqa: BLE001  (reported, not hidden: the driver prints it)
            msg = (str(e).strip().splitlines() or [""])[0]
            results[name] = {"error": f"{type(e).__name__}: {msg}"[:300]}
    return results


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--readme", action="store_true", help="run the README example and exit")
    ap.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    ap.add_argument("--problems", default="local,brach")
    ap.add_argument("--points", default="1000,100000,1000000")
    ap.add_argument("--params", help=".npz of MLP parameters (from the driver)")
    ap.add_argument("--mlps", default="", help="comma-separated MLP names in --params")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--budget", type=float, default=0.5)
    args = ap.parse_args()
    if args.readme:
        exec(compile(README_CODE, "<autofd README>", "exec"), {})
        return 0
    args.points = [int(p) for p in args.points.split(",") if p]
    args.mlps = [m for m in args.mlps.split(",") if m]
    import autofd
    import jax
    out = {"versions": {"autofd": getattr(autofd, "__version__", "?"),
                        "jax": jax.__version__, "numpy": np.__version__,
                        "python": sys.version.split()[0]}}
    for p in args.problems.split(","):
        if p == "local":
            out["local"] = local(args)
        elif p == "brach":
            out["brach"] = brach(args)
        elif p:
            raise SystemExit(f"unknown problem {p!r}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
