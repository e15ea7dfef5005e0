"""Batching (issue 9): per-example gradients and batched Jacobians, lintra against its peers in
one run. Every result is checked against a reference (a Python loop of lintra's own grad, and
JAX) before any time is printed.

- per-example gradients of an MLP loss (batch 256, 784-512-10): lintra ``vmap(grad)`` eager
  and jit, a Python loop of ``grad``, JAX ``jit(vmap(grad))``, PyTorch
  ``torch.func.vmap(torch.func.grad)``;
- ``jacfwd`` / ``jacrev`` of a 200 -> 200 map and ``hessian`` of a 100-D function: lintra's
  ``vmap`` Jacobians against the one-direction-at-a-time loop they replace, and JAX.

Run: python -m benchmarks.vmap [--small]
"""

from __future__ import annotations

import argparse

import numpy as np

import lintra as lt
import lintra.numpy as lnp

from .eager import median_time

rng = np.random.default_rng(0)


def mlp_loss(np_):
    def loss(params, x, y):
        (w1, b1), (w2, b2) = params
        h = np_.tanh(x @ w1 + b1)
        out = h @ w2 + b2
        return np_.sum((out - y) ** 2)
    return loss


def mlp_data(batch: int, d_in: int = 784, d_h: int = 512, d_out: int = 10):
    params = [(rng.standard_normal((d_in, d_h)) / np.sqrt(d_in), np.zeros(d_h)),
              (rng.standard_normal((d_h, d_out)) / np.sqrt(d_h), np.zeros(d_out))]
    return params, rng.standard_normal((batch, d_in)), rng.standard_normal((batch, d_out))


def nonlinear_map(np_, a):
    def f(x):
        return np_.tanh(a @ x) * np_.sin(x)
    return f


def scalar_fn(np_):
    def f(x):
        return np_.sum(np_.sin(x) * np_.cumsum(x) ** 2)
    return f


def _loop_jac(f, x, mode: str):
    """The algorithm vmap replaces: one jvp (or one vjp) per basis vector, stacked."""
    n = x.size
    eye = np.eye(n)
    if mode == "fwd":
        cols = [lt.jvp(f, (x,), (eye[k],))[1] for k in range(n)]
        return np.stack(cols, axis=-1)
    _, f_vjp = lt.vjp(f, x)
    return np.stack([f_vjp(eye[k])[0] for k in range(n)], axis=0)


def _row(name, t, ref_t):
    ratio = f"{t / ref_t:.2f}×" if ref_t else "—"
    return f"| {name} | {t * 1e3:.2f} ms | {ratio} |"


def per_example(batch: int, reps: int):
    params, xs, ys = mlp_data(batch)
    loss = mlp_loss(lnp)
    pe = lt.vmap(lt.grad(loss), in_axes=(None, 0, 0))
    pe_jit = lt.jit(pe)

    def loop():
        return [lt.grad(loss)(params, xs[i], ys[i]) for i in range(batch)]

    ref = loop()
    got = pe(params, xs, ys)
    for k in range(2):
        for j in range(2):
            want = np.stack([r[k][j] for r in ref])
            np.testing.assert_allclose(got[k][j], want, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(pe_jit(params, xs, ys)[k][j], want, rtol=1e-9,
                                       atol=1e-12)
    rows = [("lintra vmap(grad), eager", median_time(lambda: pe(params, xs, ys), reps)),
            ("lintra jit(vmap(grad))", median_time(lambda: pe_jit(params, xs, ys), reps)),
            ("lintra Python loop of grad", median_time(loop, max(1, reps // 3)))]
    try:
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        jpe = jax.jit(jax.vmap(jax.grad(mlp_loss(jnp)), in_axes=(None, 0, 0)))
        jout = jpe(params, xs, ys)
        np.testing.assert_allclose(np.asarray(jout[0][0]), got[0][0], rtol=1e-9, atol=1e-12)
        rows.append(("JAX jit(vmap(grad))",
                     median_time(lambda: jax.block_until_ready(jpe(params, xs, ys)), reps)))
    except ImportError:
        pass
    try:
        import torch
        torch.set_num_threads(1)
        tp = [(torch.tensor(w), torch.tensor(b)) for w, b in params]

        def tloss(p, x, y):
            (w1, b1), (w2, b2) = p
            return (((torch.tanh(x @ w1 + b1) @ w2 + b2) - y) ** 2).sum()
        tpe = torch.func.vmap(torch.func.grad(tloss), in_dims=(None, 0, 0))
        txs, tys = torch.tensor(xs), torch.tensor(ys)
        tout = tpe(tp, txs, tys)
        np.testing.assert_allclose(tout[0][0].numpy(), got[0][0], rtol=1e-9, atol=1e-12)
        rows.append(("PyTorch vmap(grad) (1 thread)", median_time(lambda: tpe(tp, txs, tys),
                                                                  reps)))
    except ImportError:
        pass
    return rows


def jacobians(n_map: int, n_hess: int, reps: int):
    x = rng.standard_normal(n_map)
    a = rng.standard_normal((n_map, n_map)) / np.sqrt(n_map)
    f = nonlinear_map(lnp, a)
    h = scalar_fn(lnp)
    xh = rng.standard_normal(n_hess)
    jf, jr, hs = lt.jacfwd(f)(x), lt.jacrev(f)(x), lt.hessian(h)(xh)
    np.testing.assert_allclose(jf, _loop_jac(f, x, "fwd"), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(jr, _loop_jac(f, x, "rev"), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(jf, jr, rtol=1e-10, atol=1e-12)
    results = {
        "jacfwd": [("lintra jacfwd (vmap)", median_time(lambda: lt.jacfwd(f)(x), reps)),
                   ("lintra loop of jvp (before)",
                    median_time(lambda: _loop_jac(f, x, "fwd"), max(1, reps // 3)))],
        "jacrev": [("lintra jacrev (vmap)", median_time(lambda: lt.jacrev(f)(x), reps)),
                   ("lintra loop of vjp (before)",
                    median_time(lambda: _loop_jac(f, x, "rev"), max(1, reps // 3)))],
        "hessian": [("lintra hessian (vmap)", median_time(lambda: lt.hessian(h)(xh), reps))],
    }
    try:
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        fj, hj = nonlinear_map(jnp, a), scalar_fn(jnp)
        for name, jfun, arg, want in (("jacfwd", jax.jit(jax.jacfwd(fj)), x, jf),
                                      ("jacrev", jax.jit(jax.jacrev(fj)), x, jr),
                                      ("hessian", jax.jit(jax.hessian(hj)), xh, hs)):
            np.testing.assert_allclose(np.asarray(jfun(arg)), want, rtol=1e-9, atol=1e-12)
            results[name].append((f"JAX jit({name})", median_time(
                lambda jfun=jfun, arg=arg: jax.block_until_ready(jfun(arg)), reps)))
    except ImportError:
        pass
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true", help="tiny sizes (a smoke test)")
    args = ap.parse_args()
    batch, n_map, n_hess, reps = (8, 10, 6, 2) if args.small else (256, 200, 100, 5)
    print(f"## Per-example gradients, MLP 784-512-10, batch {batch}\n")
    print("| tool | median | vs lintra vmap(grad) eager |\n|---|---|---|")
    rows = per_example(batch, reps)
    for name, t in rows:
        print(_row(name, t, rows[0][1]))
    res = jacobians(n_map, n_hess, reps)
    for what, rows in res.items():
        size = f"{n_map} -> {n_map}" if what != "hessian" else f"{n_hess}-D"
        print(f"\n## {what}, {size}\n")
        print("| tool | median | vs lintra (vmap) |\n|---|---|---|")
        for name, t in rows:
            print(_row(name, t, rows[0][1]))


if __name__ == "__main__":
    main()
