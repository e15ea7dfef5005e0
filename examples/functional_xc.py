"""Exchange potentials of density functional theory as functional derivatives (issue 10).

An exchange functional is an integral E_x[ρ] = ∫ ρ(r) ε_x(ρ, ∇ρ)(r) d³r; the exchange potential
is its functional derivative v_x = δE_x/δρ, here `lintra.grad(E_x)(rho)`: a Function of r.

  * LDA: ε_x = −(3/4)(3/π)^(1/3) ρ^(1/3), so v_x = (4/3) ε_x exactly (asserted at points).
  * PBE exchange (a GGA), written from its published formula: ε_x = ε_x^LDA · F_x(s) with
    F_x(s) = 1 + κ − κ/(1 + μ s²/κ) and s = |∇ρ| / (2 (3π²)^(1/3) ρ^(4/3)). Its v_x has a
    −∇·(∂e/∂∇ρ) term that lintra derives by transposing `nabla` (integration by parts). We check
    it against finite differences of E_x along localized bumps h: d/dε E_x[ρ + εh] = ∫ v_x h.

ρ is the density of three independent standard normals. Integrals use a product
Gauss–Legendre rule on a box [−L, L]³: ρ(L) ~ e^(−L²/2), so for L = 6 the box boundary is
invisible (the transpose of `nabla` assumes vanishing boundary terms: see the last section).
"""

import time

import numpy as np

import lintra as lt
import lintra.functional as lf
import lintra.numpy as lnp

C_X = -0.75 * (3.0 / np.pi) ** (1.0 / 3.0)
KAPPA, MU = 0.804, 0.2195149727645171        # PBE (Perdew, Burke, Ernzerhof 1996)
S_SCALE = 4.0 * (3.0 * np.pi ** 2) ** (2.0 / 3.0)   # s² = |∇ρ|² / (S_SCALE ρ^(8/3))

R0 = np.array([0.1, 0.2, 0.3])
JAX_XC_AT_R0 = {"LDA": (-0.287847, -0.383796), "PBE": (-0.289358, -0.446568)}  # jax_xc 0.0.11


def box_rule(L, n):
    q = lf.gauss_legendre(-L, L, n)
    return lf.product(q, q, q)


rho = lf.function(lambda r: (2 * np.pi) ** -1.5 * lnp.exp(-0.5 * lnp.sum(r * r)), "(3)->()")


def eps_lda(rho):
    return C_X * lnp.cbrt(rho)


def eps_pbe(rho):
    # s² from |∇ρ|² (no square root: |∇ρ| is not differentiable where ∇ρ = 0)
    grad_sq = lf.compose(lambda g: lnp.sum(g * g), lf.nabla(rho))
    s2 = grad_sq / (S_SCALE * rho ** (8.0 / 3.0))
    return eps_lda(rho) * (1.0 + KAPPA - KAPPA / (1.0 + MU * s2 / KAPPA))


def energy(eps, q):
    return lambda rho: lf.integrate(rho * eps(rho), q)


def bump(center, width=0.6, height=0.01):
    c = np.asarray(center, float)
    return lf.function(lambda r: height * lnp.exp(-lnp.sum((r - c) ** 2) / (2 * width ** 2)),
                       "(3)->()")


def fd_check(E, v_nodes, q, centers, eps=1e-3):
    """(E[ρ + εh] − E[ρ − εh]) / 2ε against ∫ v h (v given at q's nodes), both with the rule
    q; returns the worst relative gap."""
    worst = 0.0
    for c in centers:
        h = bump(c)
        fd = (E(rho + eps * h) - E(rho - eps * h)) / (2 * eps)
        exact = float(np.sum(q.weights * v_nodes * h(q.nodes)))
        rel = abs(fd - exact) / abs(exact)
        worst = max(worst, rel)
        print(f"    h at {tuple(float(x) for x in c)}: finite difference {float(fd):.10f}, "
              f"∫ v_x h {exact:.10f}, relative gap {rel:.1e}")
    return worst


def main():
    q = box_rule(6.0, 48)
    print(f"density: 3-D standard normal; quadrature: {q}")
    points = np.array([R0, [0.0, 0.0, 0.0], [1.0, -0.5, 0.25], [2.0, 1.0, -1.5]])

    print("\n== LDA exchange ==")
    E_lda = energy(eps_lda, q)
    exact_E = C_X * (2 * np.pi) ** -0.5 * 0.75 ** 1.5      # ∫ ρ^(4/3) in closed form
    E = float(E_lda(rho))
    print(f"  E_x = {E:.12f} (closed form {exact_E:.12f})")
    assert abs(E - exact_E) < 1e-10 * abs(exact_E)
    t0 = time.perf_counter()
    v_lda = lt.grad(E_lda)(rho)
    print(f"  v_x = lintra.grad(E_x)(rho): {v_lda} [{(time.perf_counter() - t0) * 1e3:.0f} ms]")
    got, want = v_lda(points), 4.0 / 3.0 * eps_lda(rho)(points)
    for r, a, b in zip(points, got, want):
        print(f"    r = {tuple(float(x) for x in r)}: v_x = {a:.9f}, (4/3) ε_x = {b:.9f}")
    np.testing.assert_allclose(got, want, rtol=1e-13)
    e0, v0 = float(eps_lda(rho)(R0)), float(v_lda(R0))
    print(f"  at r = (0.1, 0.2, 0.3): ε_x = {e0:.6f}, v_x = {v0:.6f} "
          f"(jax_xc via AutoFD: {JAX_XC_AT_R0['LDA'][0]}, {JAX_XC_AT_R0['LDA'][1]})")
    assert np.allclose([e0, v0], JAX_XC_AT_R0["LDA"], atol=1e-6)

    print("\n== PBE exchange (GGA) ==")
    E_pbe = energy(eps_pbe, q)
    print(f"  E_x = {float(E_pbe(rho)):.12f}")
    t0 = time.perf_counter()
    v_pbe = lt.grad(E_pbe)(rho)
    t1 = time.perf_counter()
    vals = v_pbe(q.nodes)
    t2 = time.perf_counter()
    print(f"  lintra.grad(E_x)(rho) in {(t1 - t0) * 1e3:.0f} ms; v_x at the {len(q)} nodes in "
          f"{t2 - t1:.2f} s")
    e0, v0 = float(eps_pbe(rho)(R0)), float(v_pbe(R0))
    same = np.allclose([e0, v0], JAX_XC_AT_R0["PBE"], atol=1e-6)
    print(f"  at r = (0.1, 0.2, 0.3): ε_x = {e0:.6f}, v_x = {v0:.6f} (jax_xc via AutoFD: "
          f"{JAX_XC_AT_R0['PBE'][0]}, {JAX_XC_AT_R0['PBE'][1]}: "
          f"{'matches to 6 digits' if same else 'DIFFERENT'})")
    assert same
    print("  finite-difference functional derivative, bumps h of width 0.6:")
    centers = [(0.0, 0.0, 0.0), (0.5, -0.3, 0.2), (1.0, 0.8, -0.6), (-1.5, 0.2, 0.4),
               (0.3, -2.0, 1.2)]
    worst = fd_check(E_pbe, vals, q, centers)
    print(f"  worst relative gap {worst:.1e} (asserted < 1e-6)")
    assert worst < 1e-6

    print("\n== the boundary assumption ==")
    # The transpose of nabla is −div by integration by parts, which drops the surface term
    # ∮ h (∂e/∂∇ρ)·n dS. On a box that cuts through ρ and through the bump that term is not
    # zero, and the finite difference (the true derivative of the quadrature's E_x) is
    # ∫ v_x h plus it. We compute the surface term separately to show that this is the gap.
    L, n = 1.0, 24
    small = box_rule(L, n)
    E_small = energy(eps_pbe, small)
    v_small = lt.grad(E_small)(rho)
    h = bump((0.8, 0.0, 0.0))
    fd = float((E_small(rho + 1e-3 * h) - E_small(rho - 1e-3 * h)) / 2e-3)
    inner = float(np.sum(small.weights * v_small(small.nodes) * h(small.nodes)))
    surface = surface_term(h, L, n)
    print(f"  box [-1, 1]^3, bump at (0.8, 0, 0): finite difference {fd:.9f}, ∫ v_x h "
          f"{inner:.9f}, surface term {surface:+.9f}; ∫ v_x h + surface term = "
          f"{inner + surface:.9f}")
    assert abs(fd - (inner + surface)) < 1e-6 * abs(fd)
    print("  so lintra's v_x is the interior part of δE/δρ; on a bounded domain the boundary "
          "part is up to you (here: choose a box where ρ has decayed)")


def surface_term(h, L, n):
    """∮ h (∂e/∂∇ρ)·n dS over the faces of [−L, L]³, e(ρ, ∇ρ) = ρ ε_x^PBE (pointwise)."""
    def e(r, g):
        s2 = lnp.sum(g * g) / (S_SCALE * r ** (8.0 / 3.0))
        return r * C_X * lnp.cbrt(r) * (1.0 + KAPPA - KAPPA / (1.0 + MU * s2 / KAPPA))

    de_dg = lt.vmap(lt.grad(e, argnums=1))
    face = lf.product(lf.gauss_legendre(-L, L, n), lf.gauss_legendre(-L, L, n))
    total = 0.0
    for axis in range(3):
        for side in (-L, L):
            pts = np.insert(face.nodes, axis, side, axis=1)
            flux = de_dg(rho(pts), lf.nabla(rho)(pts))[:, axis] * np.sign(side)
            total += float(np.sum(face.weights * h(pts) * flux))
    return total

if __name__ == "__main__":
    t_start = time.perf_counter()
    main()
    print(f"\ndone in {time.perf_counter() - t_start:.1f} s")
