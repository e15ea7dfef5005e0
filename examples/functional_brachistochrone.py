"""The brachistochrone by functional derivatives (issue 10; AutoFD's example).

The travel time of a bead sliding from (0, 0) to (1, -1) along y(x) is proportional to

    F[y] = ∫₀¹ √(1 + y'²) / √(−y) dx,

minimized by the cycloid. We write y(x) = sin(πx)·MLP(x) − x (the end points are built in)
and train the MLP's parameters with Adam on two losses:

  (a) ∫ (δF/δy)²: the squared functional derivative (the Euler–Lagrange residual), where
      δF/δy = lintra.grad(F)(y) is a Function we never derive by hand;
  (b) F itself.

Both integrals use the same 50-point midpoint grid. (a) lands on the cycloid (asserted). (b)
"overfits the quadrature": F on 50 nodes is not F, and its minimizer exploits the gap (AutoFD
reports the same). The plot goes to examples/out/brachistochrone.png.
"""

import os
import time

import numpy as np

import lintra as lt
import lintra.functional as lf
import lintra.numpy as lnp

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")

# The cycloid through (0, 0) and (1, -1): x = R(θ − sin θ), y = −R(1 − cos θ), θ ∈ [0, θ₂].
THETA2, R = 2.41201, 0.57292
F_STAR = np.sqrt(2 * R) * THETA2            # ds/√(−y) = √(2R) dθ along the cycloid
XS = np.array([0.1, 0.25, 0.5, 0.75, 0.9])
CYCLOID_AT_XS = np.array([-0.2798, -0.4902, -0.7239, -0.8853, -0.9589])

grid = lf.uniform(0.0, 1.0, 50)             # midpoint rule: nodes 0.01, 0.03, …, 0.99


def F(y, q=grid):
    return lf.integrate(lnp.sqrt(1 + lf.nabla(y) ** 2) / lnp.sqrt(-y), q)


def mlp(p, x):
    w1, b1, w2, b2 = p
    return lnp.dot(lnp.tanh(x * w1 + b1), w2) + b2


def make_y(p):
    return lf.function(lambda x: lnp.sin(np.pi * x) * mlp(p, x) - x)


def loss_fd(p):
    return lf.integrate(lt.grad(F)(make_y(p)) ** 2, grid)


def loss_f(p):
    return F(make_y(p))


def init(width=32, seed=0):
    """Hidden units tanh(w (x − c)) with kinks c spread over [0, 1] and slopes |w| log-uniform
    in [1, 30] (the cycloid's y ~ x^(2/3) start needs steep units); the output layer starts
    at zero, so training starts from the straight line y = −x."""
    rng = np.random.default_rng(seed)
    w1 = np.exp(rng.uniform(0.0, np.log(30.0), width)) * rng.choice([-1.0, 1.0], width)
    return [w1, -w1 * rng.uniform(0.0, 1.0, width), np.zeros(width), np.array(0.0)]


def adam(loss, p, steps=3000, lr=2e-2, b1=0.9, b2=0.9, warmup=300, final_lr_factor=0.1):
    """Hand-written Adam with a linear warm-up and an exponential decay. The residual loss is
    stiff (δF/δy ~ (−y)^(−3/2) is largest near x = 0): b2 = 0.9 lets the step sizes follow
    its quickly changing gradient scales, and the warm-up keeps the first steps from diving
    to a spurious minimum (δF/δy → 0 as y → −∞)."""
    step = lt.jit(lt.value_and_grad(loss))
    m = [np.zeros_like(v) for v in p]
    v = [np.zeros_like(v) for v in p]
    value, _ = step(p)                      # stage once, outside the timing
    t0 = time.perf_counter()
    for i in range(1, steps + 1):
        rate = lr * min(1.0, i / warmup) * final_lr_factor ** (i / steps)
        value, g = step(p)
        for k in range(len(p)):
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
            p[k] = p[k] - rate * (m[k] / (1 - b1 ** i)) / (np.sqrt(v[k] / (1 - b2 ** i)) + 1e-8)
    ms = (time.perf_counter() - t0) / steps * 1e3
    return p, float(value), ms


def cycloid_function():
    """The cycloid as a Function y(x) (θ(x) by Newton's method), to measure F on it."""
    def y(x):
        th = lnp.cbrt(6.0 * x / R)          # θ ≈ (6x/R)^(1/3) for small θ
        for _ in range(40):
            th = th - (R * (th - lnp.sin(th)) - x) / (R * (1.0 - lnp.cos(th)))
        return -R * (1.0 - lnp.cos(th))
    return lf.function(y)


def accurate_rule(n=400):
    """Gauss–Legendre in t with x = t²: the 1/√x singularity of the integrand at x = 0
    becomes smooth, so this measures the true F of a trained curve."""
    q = lf.gauss_legendre(0.0, 1.0, n)
    return lf.Quadrature(q.nodes ** 2, 2 * q.nodes * q.weights, (0.0, 1.0))


def main():
    print("brachistochrone: y = sin(pi x) MLP(x) - x, 32 tanh units, Adam, 50-point grid")
    results = {}
    for name, loss in [("(a) dF/dy", loss_fd), ("(b) F", loss_f)]:
        t0 = time.perf_counter()
        p, value, ms = adam(loss, init())
        results[name] = make_y(p)
        print(f"  {name:9s}: final loss {value:.3e}, {ms:.2f} ms per training step "
              f"(jit), {time.perf_counter() - t0:.1f} s in all")

    fine = accurate_rule()
    cyc = cycloid_function()
    print(f"\n  {'x':>9s} " + " ".join(f"{x:8.2f}" for x in XS)
          + "    F(50-pt grid)   F(accurate)")
    print(f"  {'cycloid':>9s} " + " ".join(f"{v:8.4f}" for v in CYCLOID_AT_XS)
          + f"    {float(F(cyc)):12.4f}   {F_STAR:11.4f} (exact)")
    for name, y in results.items():
        print(f"  {name:>9s} " + " ".join(f"{v:8.4f}" for v in y(XS))
              + f"    {float(F(y)):12.4f}   {float(F(y, fine)):11.4f}")

    # (a) must be the cycloid. The tolerance 0.01 covers (1) the references, rounded to 1e-4;
    # (2) the ansatz: its slope at x = 0 is finite, the cycloid's is infinite (y ~ x^(2/3)),
    # so the Euler–Lagrange residual cannot vanish at the first nodes and the fit is a
    # compromise there; (3) optimization: over 8 seeds the largest deviation was 0.0026.
    err = np.max(np.abs(results["(a) dF/dy"](XS) - CYCLOID_AT_XS))
    print(f"\n  (a) max |y - cycloid| at the 5 points: {err:.4f} (asserted < 0.01)")
    assert err < 0.01, f"the dF/dy-trained curve is not the cycloid (max error {err:.4f})"
    fb = results["(b) F"]
    x1 = float(grid.nodes[1])
    err_b = np.max(np.abs(fb(XS) - CYCLOID_AT_XS))
    print(f"  (b) max |y - cycloid| {err_b:.4f} (not asserted): it plunges to "
          f"y({x1:g}) = {float(fb(x1)):.3f} (the cycloid: {float(cyc(x1)):.3f}), nearly all of "
          "the drop before the second node, where the grid does not look, and is deeper "
          f"(faster) at every node after. Its grid F {float(F(fb)):.4f} is below the "
          f"cycloid's {float(F(cyc)):.4f}, its true F {float(F(fb, fine)):.4f} above the "
          f"optimum {F_STAR:.4f}: minimizing F on a coarse grid also minimizes the quadrature "
          "error. The residual loss gives that no reward.")

    plot(results)


def plot(results):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("  (matplotlib is not installed: no plot; `make examples` installs it)")
        return
    os.makedirs(OUT, exist_ok=True)
    th = np.linspace(0.0, THETA2, 300)
    x = np.linspace(0.0, 1.0, 300)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(R * (th - np.sin(th)), -R * (1 - np.cos(th)), "k-", lw=4, alpha=0.3,
            label="cycloid")
    for (name, y), style in zip(results.items(), ["C0-", "C3--"]):
        ax.plot(x, y(x), style, label=f"trained on {name[4:]}")
    ax.plot(grid.nodes, np.full(len(grid), 0.05), "k|", ms=4, label="quadrature nodes")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("brachistochrone: functional-derivative vs direct training")
    ax.legend(loc="lower left")
    path = os.path.join(OUT, "brachistochrone.png")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    print(f"  plot: {os.path.relpath(path)}")


if __name__ == "__main__":
    t_start = time.perf_counter()
    main()
    print(f"done in {time.perf_counter() - t_start:.1f} s")
