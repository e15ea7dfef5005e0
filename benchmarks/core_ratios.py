"""The cheap-gradient principle on array programs (issue 2): time(grad) / time(primal), on the
NumPy interpreter, eager and staged (jit), for three array programs. Gradients are checked
against JAX (when installed) before any time is printed.

Run: python -m benchmarks.core_ratios
"""

from __future__ import annotations

import functools

import numpy as np

import lintra as lt
import lintra.numpy as lnp

from .eager import median_time

rng = np.random.default_rng(0)


def mlp_problem(np_):
    def loss(params, x, y):
        h = x
        for w, b in params[:-1]:
            h = np_.tanh(h @ w + b)
        w, b = params[-1]
        out = h @ w + b
        return np_.mean((out - y) ** 2)
    sizes = [64, 256, 256, 10]
    params = [(rng.standard_normal((m, n)) / np.sqrt(m), np.zeros(n))
              for m, n in zip(sizes[:-1], sizes[1:])]
    x, y = rng.standard_normal((512, 64)), rng.standard_normal((512, 10))
    return loss, (params, x, y)


def lse_problem(np_):
    def lse(x):
        m = np_.max(x)
        return m + np_.log(np_.sum(np_.exp(x - m)))
    return lse, (rng.standard_normal(1_000_000),)


def tanh20_problem(np_):
    def net(ws, x):
        for w in ws:
            x = np_.tanh(x @ w)
        return np_.sum(x)
    ws = [rng.standard_normal((128, 128)) / np.sqrt(128) for _ in range(20)]
    return net, (ws, rng.standard_normal((256, 128)))


PROBLEMS = {"MLP loss (64-256-256-10, batch 512)": mlp_problem,
            "logsumexp (n = 10^6)": lse_problem,
            "20-layer tanh network (128 wide, batch 256)": tanh20_problem}


def check_against_jax(make, args):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return "jax not installed"
    jax.config.update("jax_enable_x64", True)
    f_l, _ = make(lnp)
    f_j, _ = make(jnp)
    g_l = lt.tree_leaves(lt.grad(f_l)(*args))
    g_j = jax.tree_util.tree_leaves(jax.grad(f_j)(*args))
    for a, b in zip(g_l, g_j):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-9, atol=1e-12)
    return "agrees with JAX"


def main():
    print("| program | primal eager (ms) | grad eager (ms) | ratio | primal jit (ms) "
          "| grad jit (ms) | ratio | check |")
    print("|---|---|---|---|---|---|---|---|")
    for name, make in PROBLEMS.items():
        f, args = make(lnp)
        check = check_against_jax(make, args)
        g = lt.grad(f)
        jf, jg = lt.jit(f), lt.jit(lt.grad(f))
        for a, b in zip(lt.tree_leaves(g(*args)), lt.tree_leaves(jg(*args))):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
        tp, tg, tpj, tgj = (median_time(functools.partial(h, *args), reps=15)
                            for h in (f, g, jf, jg))
        print(f"| {name} | {tp * 1e3:.2f} | {tg * 1e3:.2f} | {tg / tp:.2f} | "
              f"{tpj * 1e3:.2f} | {tgj * 1e3:.2f} | {tgj / tpj:.2f} | {check} |")


if __name__ == "__main__":
    main()
