"""A nonlocal functional and its functional derivative (issue 10).

    F[f] = ∫∫ f(x) k(x, y) f(y) dx dy,      δF/δf (x) = ∫ (k(x, y) + k(y, x)) f(y) dy

on [0, 1]² with a kernel that is not symmetric. The kernel is a Function of two arguments
"(),()->()"; f is lifted to it with `broadcast_arg` (x ↦ f(x) as a function of (x, y)), whose
transpose integrates the other argument out. Three ways to write F:

  1. lf.integrate(broadcast_arg(f, k, 0) * k * broadcast_arg(f, k, 1))   (both arguments)
  2. (K f)(x) = lf.integrate(k * broadcast_arg(f, k, 1), argnums=1), then ∫ f · K f
  3. with functions of one point z = (x, y) ∈ R² ("(2)->()") on lf.product(q, q), where f
     is composed with the coordinate projections z ↦ z[0], z ↦ z[1]

and every gradient is checked against the closed form at several points (same quadrature).
"""

import time

import numpy as np

import lintra as lt
import lintra.functional as lf
import lintra.numpy as lnp

q = lf.gauss_legendre(0.0, 1.0, 32)
XS = np.array([0.05, 0.3, 0.5, 0.77, 0.95])


def kernel(x, y):
    return lnp.exp(-(x - y) ** 2) * (1.0 + x * y ** 2)       # k(x, y) ≠ k(y, x)


k = lf.function(kernel, "(),()->()", domain=q)              # its domain: q for x and for y
f = lf.function(lambda x: lnp.sin(3.0 * x) + 0.5)


def closed_form(x):
    """∫ (k(x, y) + k(y, x)) f(y) dy by the same quadrature, for each x."""
    y, w = q.nodes, q.weights
    fy = np.sin(3.0 * y) + 0.5
    return np.array([np.sum(w * (kernel(xi, y) + kernel(y, xi)) * fy) for xi in x])


def F_broadcast(f):
    return lf.integrate(lf.broadcast_arg(f, k, 0) * k * lf.broadcast_arg(f, k, 1))


def F_operator(f):
    Kf = lf.integrate(k * lf.broadcast_arg(f, k, 1), argnums=1)   # a Function of x
    return lf.integrate(f * Kf, q)


q2 = lf.product(q, q)
k2 = lf.function(lambda z: kernel(z[0], z[1]), "(2)->()")
proj_x = lf.function(lambda z: z[0], "(2)->()")
proj_y = lf.function(lambda z: z[1], "(2)->()")


def F_projection(f):
    return lf.integrate(f(proj_x) * k2 * f(proj_y), q2)


def check(name, F):
    t0 = time.perf_counter()
    value = float(F(f))
    dF = lt.grad(F)(f)
    got = dF(XS)
    dt = time.perf_counter() - t0
    want = closed_form(XS)
    print(f"  {name}: F[f] = {value:.12f}; δF/δf at x = {XS.tolist()}:")
    print(f"    lintra      {np.round(got, 9).tolist()}")
    print(f"    closed form {np.round(want, 9).tolist()}   [{dt * 1e3:.0f} ms]")
    np.testing.assert_allclose(got, want, rtol=1e-12)
    return value, dF


def main():
    print(f"F[f] = ∫∫ f(x) k(x,y) f(y), k = exp(-(x-y)^2)(1 + x y^2), f = sin 3x + 1/2, "
          f"{len(q)}-point Gauss–Legendre per axis")
    v1, dF = check("1. broadcast_arg, integrate over both arguments", F_broadcast)
    v2, _ = check("2. integral operator (integrate argnums=1), then ∫ f·Kf", F_operator)
    assert abs(v1 - v2) < 1e-13

    # the oracle of design §7: d/dε F[f + εh] at 0 equals ∫ δF/δf · h
    h = lf.function(lambda x: lnp.cos(5.0 * x) * x)
    eps = 1e-5
    fd = (F_broadcast(f + eps * h) - F_broadcast(f - eps * h)) / (2 * eps)
    pairing = float(lf.braket(dF, h, q))
    print(f"  directional derivative along h = x cos 5x: finite difference {float(fd):.10f}, "
          f"⟨δF/δf, h⟩ = {pairing:.10f}")
    assert abs(fd - pairing) < 1e-8 * abs(pairing)

    v3 = float(F_projection(f))
    print(f"  3. (2)->() functions on the {len(q2)}-node product rule: F[f] = {v3:.12f}")
    assert abs(v3 - v1) < 1e-13
    # grad through f ∘ projection transposes `compose` in its outer function: the pushforward
    # along the projection integrates out the other coordinate with its factor of q2
    check("3. coordinate projections, f(z[0]) k(z) f(z[1])", F_projection)
    print("nonlocal functional: gradients match the closed form")


if __name__ == "__main__":
    t_start = time.perf_counter()
    main()
    print(f"done in {time.perf_counter() - t_start:.1f} s")
