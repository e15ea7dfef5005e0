"""A Penrose-style diagram laid out by minimizing an energy with lintra gradients.

The diagram says: Animals contain Mammals and Birds; Mammals contain Dogs and Cats; Dogs,
Cats and Birds are disjoint; Plants are disjoint from Animals and Fungi touch Plants; arrows
go Dogs -> Cats ("chase"), Plants -> Animals ("feed") and Fungi -> Birds ("?"). Each statement
is an energy term (containment, non-overlap, tangency, arrows of a preferred length that keep
clear of other circles, labels clear of the circles inside them, everything on the canvas),
written once as an explicit function (``@lintra.fn``) and mapped over its pairs with
``vmap``. L-BFGS minimizes the sum from a random start; the before/after drawings go to
``examples/out/diagram_before.png`` and ``diagram_after.png``.

Run: ``python examples/diagram_optimization.py`` (``--short`` is the same, with fewer
L-BFGS iterations; it is what ``make demo`` runs).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

import lintra as lt
import lintra.numpy as lnp

NAMES = ["Animals", "Mammals", "Birds", "Dogs", "Cats", "Plants", "Fungi"]
PREFERRED_R = np.array([0.30, 0.17, 0.07, 0.06, 0.06, 0.12, 0.07])
CONTAINS = [("Animals", "Mammals"), ("Animals", "Birds"), ("Mammals", "Dogs"),
            ("Mammals", "Cats"), ("Animals", "Dogs"), ("Animals", "Cats")]
DISJOINT = [("Dogs", "Cats"), ("Mammals", "Birds"), ("Plants", "Animals"), ("Fungi", "Animals")]
TANGENT = [("Fungi", "Plants")]
ARROWS = [("Dogs", "Cats", "chase"), ("Plants", "Animals", "feed"), ("Fungi", "Birds", "?")]
PAD = 0.02          # gap kept by containment, non-overlap and arrows
ARROW_LEN = 0.1     # preferred visible length of an arrow
LABEL_R = 0.035     # a label's size, as a disc
OUT = Path(__file__).resolve().parent / "out"


def _idx(pairs) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([NAMES.index(p[0]) for p in pairs]),
            np.array([NAMES.index(p[1]) for p in pairs]))


def _norm(d):
    return lnp.sqrt(lnp.sum(d * d) + 1e-12)


def _relu2(s):
    return lnp.maximum(s, 0.0) ** 2


@lt.fn
def contain_energy(c_out, r_out, c_in, r_in):
    """The inner circle lies inside the outer one, PAD from its boundary."""
    return _relu2(_norm(c_in - c_out) + r_in - r_out + PAD)


@lt.fn
def disjoint_energy(c1, r1, c2, r2):
    """The two circles keep PAD apart."""
    return _relu2(r1 + r2 + PAD - _norm(c1 - c2))


@lt.fn
def tangent_energy(c1, r1, c2, r2):
    """The two circles touch from outside."""
    return (_norm(c1 - c2) - r1 - r2) ** 2


@lt.fn
def arrow_ends(c1, r1, c2, r2):
    """An arrow from circle 1's boundary to circle 2's, along the line of centers."""
    u = (c2 - c1) / _norm(c2 - c1)
    return c1 + r1 * u, c2 - r2 * u


@lt.fn
def clearance_energy(p, q, c, r):
    """The segment p-q keeps PAD away from the circle (c, r)."""
    d = q - p
    t = lnp.clip(lnp.sum((c - p) * d) / (lnp.sum(d * d) + 1e-12), 0.0, 1.0)
    return _relu2(r + PAD - _norm(p + t * d - c))


def _clear_of(a: str, b: str) -> list[int]:
    """Circles an arrow a -> b must avoid: all but its ends and the circles containing them."""
    around = {o for o, i in CONTAINS if i in (a, b)}
    return [k for k, n in enumerate(NAMES) if n not in {a, b} | around]


# (arrow, circle) pairs for the clearance energy, as index arrays
_ARROW_CLEAR = tuple(np.array(v) for v in zip(*[(k, m) for k, (a, b, _) in enumerate(ARROWS)
                                               for m in _clear_of(a, b)]))


def label_pos(c, r):
    """A circle's label sits just inside its top."""
    return c + lnp.stack([lnp.zeros_like(r), r - 1.6 * LABEL_R], axis=-1)


def unpack(theta):
    """Centers (n, 2) and radii (n,) from the flat variables (radii as logs, so positive)."""
    n = len(NAMES)
    return lnp.reshape(theta[:2 * n], (n, 2)), lnp.exp(theta[2 * n:])


def energy(theta):
    """The diagram's total energy."""
    c, r = unpack(theta)
    pair = lambda f, pairs: lnp.sum(lt.vmap(f)(*_args(c, r, pairs)))
    e = 10 * pair(contain_energy, CONTAINS) + 10 * pair(disjoint_energy, DISJOINT)
    e = e + 10 * pair(tangent_energy, TANGENT)
    lab = label_pos(c, r)
    inner = _idx(CONTAINS)
    e = e + 10 * lnp.sum(lt.vmap(disjoint_energy)(lab[inner[0]], np.full(len(CONTAINS), LABEL_R),
                                                  c[inner[1]], r[inner[1]]))
    i, j = _idx(ARROWS)
    p, q = lt.vmap(arrow_ends)(c[i], r[i], c[j], r[j])
    e = e + lnp.sum((lnp.sqrt(lnp.sum((q - p) ** 2, axis=1) + 1e-12) - ARROW_LEN) ** 2)
    k, m = _ARROW_CLEAR
    e = e + 10 * lnp.sum(lt.vmap(clearance_energy)(p[k], q[k], c[m], r[m]))
    canvas = _relu2(r[:, None] + 0.02 - c) + _relu2(c + r[:, None] + 0.02 - 1.0)
    return e + 10 * lnp.sum(canvas) + 0.1 * lnp.sum((r - PREFERRED_R) ** 2)


def _args(c, r, pairs):
    i, j = _idx(pairs)
    return c[i], r[i], c[j], r[j]


energy_and_grad = lt.jit(lt.value_and_grad(energy))


def lbfgs(fg, x, iters: int = 200, m: int = 10, tol: float = 1e-10):
    """Minimize with L-BFGS (two-loop recursion, backtracking Armijo line search).
    Returns the minimizer and the energy after each iteration."""
    f, g = fg(x)
    s_hist, y_hist, curve = [], [], [float(f)]
    for _ in range(iters):
        q, alphas = g.copy(), []
        for s, y in zip(reversed(s_hist), reversed(y_hist)):
            a = (s @ q) / (y @ s)
            alphas.append(a)
            q -= a * y
        if s_hist:
            q *= (s_hist[-1] @ y_hist[-1]) / (y_hist[-1] @ y_hist[-1])
        for (s, y), a in zip(zip(s_hist, y_hist), reversed(alphas)):
            q += (a - (y @ q) / (y @ s)) * s
        d = -q if g @ q > 0 else -g
        step = 1.0
        while True:
            x_new = x + step * d
            f_new, g_new = fg(x_new)
            if f_new <= f + 1e-4 * step * (g @ d) or step < 1e-12:
                break
            step *= 0.5
        s, y = x_new - x, g_new - g
        if s @ y > 1e-16:
            s_hist, y_hist = (s_hist + [s])[-m:], (y_hist + [y])[-m:]
        x, f, g = x_new, f_new, g_new
        curve.append(float(f))
        if np.linalg.norm(g) < tol or abs(curve[-2] - curve[-1]) < tol * max(1.0, abs(f)):
            break
    return x, curve


def initial(seed: int = 3) -> np.ndarray:
    """A random start: centers anywhere on the canvas, radii near their preferred sizes."""
    rng = np.random.default_rng(seed)
    c = rng.uniform(0.2, 0.8, (len(NAMES), 2))
    return np.concatenate([c.ravel(), np.log(PREFERRED_R * rng.uniform(0.7, 1.3, len(NAMES)))])


def fd_check(theta, eps: float = 1e-6, rtol: float = 1e-5):
    """The compiled gradient vs central finite differences in every variable."""
    f = lambda t: energy_and_grad(t)[0]        # the values of the one compiled program
    _, g = energy_and_grad(theta)
    fd = np.array([(f(theta + e) - f(theta - e)) / (2 * eps) for e in np.eye(len(theta)) * eps])
    err = np.max(np.abs(g - fd)) / max(np.max(np.abs(fd)), 1e-12)
    return err, err < rtol


def draw(theta, path: Path, title: str) -> None:
    """Circles, labels and arrows, drawn with matplotlib."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    c, r = (np.asarray(a) for a in unpack(theta))
    fig, ax = plt.subplots(figsize=(5, 5))
    colors = plt.cm.tab10(np.arange(len(NAMES)))
    for k, name in enumerate(NAMES):
        ax.add_patch(plt.Circle(c[k], r[k], facecolor=colors[k], alpha=0.25,
                                edgecolor=colors[k], lw=2))
        ax.text(*np.asarray(label_pos(c[k], r[k])), name, ha="center", va="center", fontsize=8)
    for a, b, text in ARROWS:
        i, j = NAMES.index(a), NAMES.index(b)
        p, q = (np.asarray(v) for v in arrow_ends(c[i], r[i], c[j], r[j]))
        ax.annotate("", q, p, arrowprops=dict(arrowstyle="->", lw=1.5))
        ax.text(*(p + q) / 2, text, fontsize=7, color="0.3")
    ax.set(xlim=(0, 1), ylim=(0, 1), aspect="equal", title=title, xticks=[], yticks=[])
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--short", action="store_true",
                    default=bool(os.environ.get("LINTRA_EXAMPLES_SHORT")))
    a = ap.parse_args()
    theta0 = initial()
    err, ok = fd_check(theta0)
    print(f"diagram: {len(NAMES)} circles, {len(ARROWS)} arrows, {len(theta0)} variables "
          f"(backend {lt.core.config.default_backend})\n  gradient vs finite differences: "
          f"rel. err {err:.1e} [{'ok' if ok else 'MISMATCH'}]")
    if not ok:
        raise SystemExit("diagram_optimization: the gradient does not match finite differences")
    theta, curve = lbfgs(energy_and_grad, theta0, iters=60 if a.short else 300)
    for k in range(0, len(curve), max(1, len(curve) // 8)):
        print(f"  iter {k:4d}  energy {curve[k]:.6e}")
    print(f"  L-BFGS: {len(curve) - 1} iterations, energy {curve[0]:.3e} -> {curve[-1]:.3e}")
    draw(theta0, OUT / "diagram_before.png", f"before: energy {curve[0]:.2e}")
    draw(theta, OUT / "diagram_after.png", f"after L-BFGS: energy {curve[-1]:.2e}")
    print(f"  wrote {OUT / 'diagram_before.png'} and {OUT / 'diagram_after.png'}")
    if not curve[-1] < 1e-2 * curve[0]:
        raise SystemExit("diagram_optimization: the energy did not drop")


if __name__ == "__main__":
    main()
